"""``telnyx-nb audit --managed-accounts`` (and ``snapshot``) from a shell, over real HTTP against a fleet sandbox run as
its own process: the 3-of-20 partial run (exit 3), the ``--state`` checkpoint surviving ``kill -9`` (the rerun
fetches only the accounts not yet done: counted on the server), a state of another server or other options refused,
and no key in any output or state file.

Server-side counting: a delay fault armed with a large count on each account's ``GET /v2/managed_accounts/{id}``
(the retrieval of its key, the first request of its audit) is consumed once per retrieval, so the count left in
``GET /_sandbox/faults`` says how many times the CLI fetched each account.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import requests

SEED = "accounts=20,grants=30"
ARMED = 1000  # a fault's count: far more than any run consumes


@pytest.fixture(scope="module")
def fleet():
    """``telnyx-nb sandbox --seed accounts=20,grants=30 --json`` as a process; its --json line, parsed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX_")}
    process = subprocess.Popen([sys.executable, "-m", "telnyx_nb.cli", "sandbox", "--json", "--port", "0", "--db",
                                ":memory:", "--seed", SEED], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True, env=env)
    try:
        line = process.stdout.readline()
        info = json.loads(line)
        info["line"] = line.strip()
        yield info
    finally:
        process.terminate()
        process.wait(timeout=30)


def _api(fleet, method: str, path: str, **kwargs):
    answer = requests.request(method, fleet["base_url"].removesuffix("/v2") + path,
                              headers={"Authorization": f"Bearer {fleet['api_key']}"}, timeout=30, **kwargs)
    answer.raise_for_status()
    return answer.json() if answer.content else None


@pytest.fixture
def faults(fleet):
    """Arm faults on the fleet sandbox; every fault is cleared after the test (the sandbox is shared)."""
    def arm(path: str, **fault):
        _api(fleet, "POST", "/_sandbox/faults", json={"path": path, "method": "GET", **fault})

    yield arm
    _api(fleet, "DELETE", "/_sandbox/faults")


def _listed(fleet, include_cancelled: bool = False) -> list[str]:
    params = {"page[size]": 100, **({"include_cancelled_accounts": "true"} if include_cancelled else {})}
    return [a["id"] for a in _api(fleet, "GET", "/v2/managed_accounts", params=params)["data"]]


def _readable(fleet) -> list[str]:
    """The listed accounts whose own key reads their grants (not the disabled ones), and that hold some."""
    readable = []
    for a in _listed(fleet):
        key = _api(fleet, "GET", f"/v2/managed_accounts/{a}")["data"]["api_key"]
        answer = requests.get(fleet["base_url"] + "/oauth_grants", headers={"Authorization": f"Bearer {key}"},
                              timeout=30)
        if answer.ok and answer.json()["data"]:
            readable.append(a)
    return readable


def _retrievals(fleet, ids) -> dict[str, int]:
    """How many times each account's key was retrieved since its counting fault was armed."""
    left = {f["path"]: f["count"] for f in _api(fleet, "GET", "/_sandbox/faults")["data"]}
    return {a: ARMED - left.get(f"/v2/managed_accounts/{a}", 0) for a in ids}


def _cli(fleet, *args: str, cwd: Path, popen: bool = False, env_extra: dict | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX_")}
    env.update({"TELNYX_NB_SANDBOX": fleet["line"]} if env_extra is None else env_extra)
    command = [sys.executable, "-m", "telnyx_nb.cli", *args]
    if popen:
        return subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


def _checkpointed(state: Path) -> set[str]:
    return {p.stem for p in (state / "accounts").glob("*.pickle")}


def _keys(fleet, ids) -> list[str]:
    """The manager's key and every account's own key (retrieved before any counting fault is armed)."""
    return [fleet["api_key"], *(_api(fleet, "GET", f"/v2/managed_accounts/{a}")["data"]["api_key"] for a in ids)]


def _no_secret(keys, *texts) -> None:
    for key in keys:
        for text in texts:
            assert key not in text


def _state_text(state: Path) -> str:
    return "".join(p.read_bytes().decode("latin-1") for p in state.rglob("*") if p.is_file())


def test_three_of_twenty_fail_and_the_seventeen_others_are_reported_with_exit_3(fleet, tmp_path):
    every = _listed(fleet, include_cancelled=True)
    assert len(every) == 20
    done = _cli(fleet, "audit", "--managed-accounts", "--include-cancelled", "--out", "grants.parquet",
                "--state", "state", "--max-in-flight", "4", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    failed = [line for line in done.stderr.splitlines() if line.startswith("failed: ")]
    assert len(failed) == 3
    failed_ids = {line.split()[1] for line in failed}
    # the seed's two disabled accounts and its cancelled one: their keys are refused when read
    assert sum("disabled" in line for line in failed) == 2 and sum("cancelled" in line for line in failed) == 1
    assert all(" at read: " in line and "401" in line for line in failed)
    assert "17 of 20 accounts audited" in done.stderr
    audited = set(every) - failed_ids
    assert _checkpointed(tmp_path / "state") == audited  # the failed ones are not checkpointed: a rerun retries
    grants = pd.read_parquet(tmp_path / "grants.parquet")
    assert set(grants["account_id"]) <= audited and len(grants) == 15 * 30  # two of the 17 hold nothing
    assert list(grants.columns[:2]) == ["account_id", "organization_name"]
    progress = [line for line in done.stderr.splitlines() if line.startswith("[")]
    assert len(progress) == 20  # a plain line per finished account (stderr is not a terminal)
    _no_secret(_keys(fleet, every), done.stdout, done.stderr, _state_text(tmp_path / "state"),
               (tmp_path / "grants.parquet").read_bytes().decode("latin-1"))


def test_killed_with_sigkill_the_rerun_fetches_only_the_accounts_not_yet_done(fleet, faults, tmp_path):
    listed = _listed(fleet)  # 19: the cancelled one is not listed; its 2 disabled ones fail (not checkpointed)
    keys = _keys(fleet, listed)
    for a in listed:
        faults(f"/v2/managed_accounts/{a}", count=ARMED, delay=0.4)
    state = tmp_path / "state"
    args = ("audit", "--managed-accounts", "--state", "state", "--max-in-flight", "2", "--out", "resumed.csv")
    started = time.monotonic()
    first = _cli(fleet, *args, cwd=tmp_path, popen=True)
    try:
        while len(_checkpointed(state)) < 4 and time.monotonic() - started < 120:
            time.sleep(0.05)
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
    assert first.returncode == -signal.SIGKILL
    killed_at = time.monotonic() - started
    done_before = _checkpointed(state)
    assert 4 <= len(done_before) < 17, "killed too late to prove anything"
    assert not (tmp_path / "resumed.csv").exists()
    before = _retrievals(fleet, listed)

    second = _cli(fleet, *args, cwd=tmp_path)
    assert second.returncode == 3, second.stderr  # the 2 disabled accounts
    assert f"resumed: {len(done_before)} accounts from state" in second.stderr
    after = _retrievals(fleet, listed)
    fetched = {a for a in listed if after[a] > before[a]}
    assert fetched == set(listed) - done_before  # the server saw only the accounts not yet done
    assert all(after[a] - before[a] == 1 for a in fetched)
    assert len(_checkpointed(state)) == 17
    print(f"killed after {killed_at:.1f}s with {len(done_before)} of 17 checkpointed; "
          f"whole test {time.monotonic() - started:.1f}s")

    _api(fleet, "DELETE", "/_sandbox/faults")  # the clean run is not slowed
    clean = _cli(fleet, "audit", "--managed-accounts", "--out", "clean.csv", cwd=tmp_path)
    assert clean.returncode == 3, clean.stderr
    order = ["account_id", "id"]
    resumed_frame = pd.read_csv(tmp_path / "resumed.csv").sort_values(order, ignore_index=True)
    clean_frame = pd.read_csv(tmp_path / "clean.csv").sort_values(order, ignore_index=True)
    pd.testing.assert_frame_equal(resumed_frame, clean_frame)
    _no_secret(keys, second.stdout, second.stderr, _state_text(state), (tmp_path / "resumed.csv").read_text())


def test_a_failed_account_is_not_checkpointed_and_a_rerun_fetches_only_it(fleet, faults, tmp_path):
    a, b, c = _readable(fleet)[:3]
    faults(f"/v2/managed_accounts/{b}", count=ARMED, status=503)  # b answers 503 this run, retries included
    for account in (a, c):
        faults(f"/v2/managed_accounts/{account}", count=ARMED, delay=0.01)  # counts only
    args = ("audit", "--managed-accounts", "--accounts", f"{a},{b},{c}", "--state", "state", "--out", "g.csv")
    first = _cli(fleet, *args, cwd=tmp_path)
    assert first.returncode == 3, first.stderr
    assert [line.split()[1] for line in first.stderr.splitlines() if line.startswith("failed: ")] == [b]
    assert _checkpointed(tmp_path / "state") == {a, c}
    _api(fleet, "DELETE", "/_sandbox/faults")
    for account in (a, b, c):
        faults(f"/v2/managed_accounts/{account}", count=ARMED, delay=0.01)
    second = _cli(fleet, *args, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert _retrievals(fleet, (a, b, c)) == {a: 0, b: 1, c: 0}
    assert set(pd.read_csv(tmp_path / "g.csv")["account_id"]) == {a, b, c}


def test_a_state_of_another_server_or_other_options_is_refused_in_one_line(fleet, make_sandbox, tmp_path):
    other = make_sandbox(seed="accounts=2,grants=1")
    env = {"TELNYX_NB_SANDBOX": other.json_line()}
    begun = _cli(fleet, "audit", "--managed-accounts", "--state", "state", cwd=tmp_path, env_extra=env)
    assert begun.returncode == 0, begun.stderr
    assert len(_checkpointed(tmp_path / "state")) == 2

    def refused(*extra: str) -> str:
        done = _cli(fleet, "audit", "--managed-accounts", "--state", "state", *extra, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        errors = [line for line in done.stderr.splitlines() if line.startswith("telnyx-nb audit:")]
        assert len(errors) == 1 and "Traceback" not in done.stderr
        assert not any(line.startswith("[") for line in done.stderr.splitlines())  # nothing was fetched
        return errors[0]

    line = refused()
    assert "--state state" in line and other.base_url in line and fleet["base_url"] in line
    assert "another directory" in line
    again = _cli(fleet, "audit", "--managed-accounts", "--state", "state", "--stale-days", "30", cwd=tmp_path,
                 env_extra=env)
    assert again.returncode == 2 and "stale_days" in again.stderr and "same options" in again.stderr
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "notes.txt").write_text("mine")
    junk = _cli(fleet, "audit", "--managed-accounts", "--state", "junk", cwd=tmp_path)
    assert junk.returncode == 2 and "not a fleet audit state directory" in junk.stderr
    assert (tmp_path / "junk" / "notes.txt").read_text() == "mine"


def test_nothing_audited_and_usage_errors_exit_2(fleet, tmp_path):
    demo = _cli(fleet, "audit", "--managed-accounts", cwd=tmp_path, env_extra={})  # a demo sandbox: no fleet
    assert demo.returncode == 2, demo.stderr
    assert "Traceback" not in demo.stderr
    usage = _cli(fleet, "audit", "--state", "state", cwd=tmp_path)
    assert usage.returncode == 2 and "only with --managed-accounts" in usage.stderr
    assert not (tmp_path / "state").exists()
    gone = _cli(fleet, "audit", "--managed-accounts", "--accounts", "no-such-account", cwd=tmp_path)
    assert gone.returncode == 2 and "nothing audited" in gone.stderr


def test_fail_on_wins_over_partial(fleet, tmp_path):
    done = _cli(fleet, "audit", "--managed-accounts", "--fail-on", "high", cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # the seed plants high findings; 2 accounts failed as well
    assert len([line for line in done.stderr.splitlines() if line.startswith("failed: ")]) == 2
    assert "worst_risk_level" in done.stdout  # without --out: the accounts ranked by their worst grant
    _no_secret([fleet["api_key"]], done.stdout, done.stderr)


def test_help_documents_the_fleet_exit_statuses(fleet, tmp_path):
    done = _cli(fleet, "audit", "--help", cwd=tmp_path)
    assert "--managed-accounts" in done.stdout and "3 partial" in done.stdout and "--fail-on matched" in done.stdout
    snap = _cli(fleet, "snapshot", "--help", cwd=tmp_path)
    assert "--state" in snap.stdout and "3 partial" in snap.stdout


def test_the_fleet_report_is_written_as_html(fleet, tmp_path):
    from telnyx_nb.audit import report

    if not hasattr(report, "render_fleet_html"):
        pytest.skip("report.render_fleet_html is not in this tree yet (fleet-report builds it)")
    done = _cli(fleet, "audit", "--managed-accounts", "--out", "report.html", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    html = (tmp_path / "report.html").read_text()
    assert "<html" in html.lower() and fleet["api_key"] not in html


def test_the_fleet_snapshot_is_written_per_account(fleet, tmp_path):
    from telnyx_nb.audit import snapshots

    if not hasattr(snapshots, "write_fleet_snapshot"):
        pytest.skip("snapshots.write_fleet_snapshot is not in this tree yet (fleet-history builds it)")
    done = _cli(fleet, "snapshot", "--managed-accounts", "--out", "snaps", "--state", "state", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert len({p.name for p in (tmp_path / "snaps").rglob("account_id=*")}) >= 15
