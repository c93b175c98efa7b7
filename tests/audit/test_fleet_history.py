"""A fleet's snapshots as history, over a real sandbox fleet: two nightly runs of audit_fleet written as
Hive-partitioned Parquet, with changes made in between through the accounts' own keys. The layout and its
columns, no key on disk, docs/audit-history.md's "gained an admin grant of an unverified client this week" query,
the fleet diff per account and fleet-wide (the same rows the single-account diff gives each account), the CLI, and
a run killed halfway that leaves no half file and is not read as a run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("pyarrow")
pytest.importorskip("duckdb")

from telnyx_nb import TelnyxOAuth  # noqa: E402
from telnyx_nb.audit import audit_fleet  # noqa: E402
from telnyx_nb.audit.snapshots import (  # noqa: E402
    diff,
    fleet_diff,
    fleet_history,
    snapshot,
    write_fleet_snapshot,
)
from telnyx_nb.core.errors import ConfigurationError  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
REDIRECT = "https://unvetted.example/cb"


def _grant(member, client_id: str, redirect: str) -> None:
    """An admin grant for the client, as the account's user consents to it (authorize, consent, allow)."""
    consent = member.begin_authorization(member.authorization_url(client_id, redirect, "admin"))
    member.decide_consent(consent, True)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """Two runs a day apart; in between, with each account's own key: account A gains an admin grant of a new,
    unverified client; account B loses a grant and a client of it stops requiring PKCE; account D gains an admin
    grant of an existing verified client (a change, but not one the history query asks about)."""
    from telnyx_nb.sandbox.web.server import Sandbox

    sb = Sandbox(seed="accounts=12,grants=10", db=":memory:").start()
    out = tmp_path_factory.mktemp("fleet")
    now = datetime.now(UTC)
    try:
        with TelnyxOAuth.from_sandbox(sb) as manager:
            first = audit_fleet(manager, progress=False)
            write_fleet_snapshot(first, out, taken_at=now - timedelta(days=1))
            busy = first.accounts[~first.accounts["failed"] & (first.accounts["grants"] > 0)]["account_id"].tolist()
            a, b = busy[0], busy[1]
            verified = first.clients[first.clients["verified"].astype(bool)
                                     & first.clients["allowed_grant_types"].map(lambda g: "authorization_code" in g)
                                     & first.clients["account_id"].isin(busy[2:])].iloc[0]
            d = verified["account_id"]
            with manager.for_managed_account(a) as member:
                tool = member.create_client("Unvetted Tool", "public", ["authorization_code"], ["admin"],
                                            redirect_uris=[REDIRECT])
                _grant(member, tool.client_id, REDIRECT)
            with manager.for_managed_account(b) as member:
                revoked = member.list_grants(page_size=1).items[0]
                member.revoke_grant(revoked.id)
                pkce = first.clients[(first.clients["account_id"] == b) & first.clients["require_pkce"].astype(bool)]
                loosened = pkce["client_id"].iloc[0]
                member.update_client(loosened, require_pkce=False)
            with manager.for_managed_account(d) as member:
                _grant(member, verified["client_id"], verified["redirect_uris"][0])
            second = audit_fleet(manager, progress=False)
            write_fleet_snapshot(second, out, taken_at=now)
        keys = [k for (k,) in sb.store.conn().execute("SELECT api_key FROM accounts").fetchall()] + [sb.api_key]
        yield dict(out=out, first=first, second=second, a=a, b=b, d=d, tool=tool.client_id, revoked=revoked.id,
                   loosened=loosened, keys=keys, now=now)
    finally:
        sb.stop()


def test_each_account_and_day_is_a_hive_partition_with_the_snapshots_columns(fleet, tmp_path):
    out, second = fleet["out"], fleet["second"]
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    pattern = re.compile(r"^(clients|grants)/account_id=[0-9a-f-]{36}/date=\d{4}-\d{2}-\d{2}/\d{8}T\d{12}Z\.parquet$"
                         r"|^runs/date=\d{4}-\d{2}-\d{2}/\d{8}T\d{12}Z\.parquet$")
    assert files and all(pattern.match(f) for f in files), [f for f in files if not pattern.match(f)][:3]
    read = set(second.accounts.loc[~second.accounts["failed"], "account_id"])
    failed = set(second.failures["account_id"])
    assert failed  # the seed's disabled account: a row of the run's roll-up only
    for table in ("clients", "grants"):
        held = {p.parent.parent.name.removeprefix("account_id=") for p in out.glob(f"{table}/*/*/*.parquet")}
        assert held == read  # the empty accounts too (empty files): read and empty is not "not read"

    import pyarrow.parquet as pq

    # the columns and types of the single-account snapshot, organization_name first (account_id is the path's)
    one = snapshot((second.clients, second.grants), tmp_path / "one")
    for table in ("clients", "grants"):
        written = pq.read_schema(next(out.glob(f"{table}/*/*/*.parquet")))
        single = pq.read_schema(one.paths[table])
        assert written.names == ["organization_name", *single.names]
        assert [written.field(n).type for n in single.names] == list(single.types)
    runs = fleet_history(out).sql("SELECT account_id, failed, stage, reason FROM runs "
                                  "WHERE snapshot_at = (SELECT max(snapshot_at) FROM runs)").df()
    assert set(runs["account_id"]) == read | failed
    assert set(runs.loc[runs["failed"], "account_id"]) == failed and runs.loc[runs["failed"], "reason"].notna().all()

    on_disk = b"".join(p.read_bytes() for p in out.rglob("*.parquet"))
    for key in fleet["keys"]:
        assert key.encode() not in on_disk


def _docs_query() -> str:
    """The query of docs/audit-history.md, exactly as a reader copies it."""
    text = (ROOT / "docs" / "audit-history.md").read_text()
    (query,) = re.findall(r'gained = fleet_history\("fleet"\)\.sql\("""(.*?)"""\)', text, re.S)
    return query


def test_the_docs_query_names_the_account_that_gained_an_admin_grant_of_an_unverified_client(fleet):
    gained = fleet_history(fleet["out"]).sql(_docs_query()).df()
    new_grant = fleet["second"].grants[fleet["second"].grants["client_id"] == fleet["tool"]]["id"].tolist()
    # D's new admin grant is of a verified client, B's change is a revocation, the seed's grants were there before
    assert list(zip(gained["account_id"], gained["client"], gained["grant_id"])) == [
        (fleet["a"], "Unvetted Tool", *new_grant)]


def test_the_query_ignores_a_change_older_than_the_week(fleet, tmp_path):
    # the same two runs, a fortnight earlier: the grant was gained, but not this week
    for run, days in ((fleet["first"], 15), (fleet["second"], 14)):
        write_fleet_snapshot(run, tmp_path, taken_at=fleet["now"] - timedelta(days=days))
    assert fleet_history(tmp_path).sql(_docs_query()).df().empty


def _single_account_diff(fleet, account):
    def side(run):
        return (run.clients[run.clients["account_id"] == account].drop(columns=["account_id", "organization_name"]),
                run.grants[run.grants["account_id"] == account].drop(columns=["account_id", "organization_name"]))

    return diff(side(fleet["first"]), side(fleet["second"]))


def test_the_fleet_diff_gives_each_account_what_the_single_account_diff_gives_it(fleet):
    changes = fleet_diff(fleet["out"])
    assert set(changes["account_id"]) == {fleet["a"], fleet["b"], fleet["d"]}
    for account in (fleet["a"], fleet["b"], fleet["d"]):
        mine = changes[changes["account_id"] == account]
        expected = _single_account_diff(fleet, account)
        assert mine.drop(columns=["account_id", "organization_name"]).reset_index(drop=True).equals(expected), \
            (mine, expected)
        names = fleet["second"].accounts.set_index("account_id")["organization_name"]
        assert set(mine["organization_name"]) == {names[account]}
    b = changes[changes["account_id"] == fleet["b"]]
    assert list(zip(b["change"].astype(str), b["object_id"], b["field"].fillna(""), b["after"].fillna(""))) == [
        ("grant revoked", fleet["revoked"], "", ""), ("client changed", fleet["loosened"], "require_pkce", "False")]
    a = changes[changes["account_id"] == fleet["a"]]
    assert sorted(a["change"].astype(str)) == ["client created", "grant added"]
    assert set(changes.attrs["not_compared"]) == set(fleet["second"].failures["account_id"])


def test_one_account_and_since(fleet):
    one = fleet_diff(fleet["out"], account=fleet["b"])
    assert set(one["account_id"]) == {fleet["b"]} and len(one) == 2
    day_before = (fleet["now"] - timedelta(days=1)).date()
    assert fleet_diff(fleet["out"], since=fleet["now"].date()).equals(fleet_diff(fleet["out"]))
    # nothing before the first run: each account from its first snapshot, the same two runs here
    assert len(fleet_diff(fleet["out"], since=day_before)) == len(fleet_diff(fleet["out"]))
    with pytest.raises(ConfigurationError, match="--account nope: not an account of the latest run"):
        fleet_diff(fleet["out"], account="nope")


def _cli(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX")}
    return subprocess.run([sys.executable, "-m", "telnyx_nb.cli", "diff", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_diff_cli_per_account_and_fleet_wide(fleet, tmp_path):
    out = str(fleet["out"])
    wide = _cli("--fleet", out, "--out", str(tmp_path / "changes.parquet"))
    assert wide.returncode == 0, wide.stderr
    assert "3 account(s) changed" in wide.stdout and "not read in the latest run" in wide.stderr
    written = pd.read_parquet(tmp_path / "changes.parquet")
    assert list(written.columns[:2]) == ["account_id", "organization_name"]
    assert set(written["account_id"]) == {fleet["a"], fleet["b"], fleet["d"]}

    one = _cli(out, "--account", fleet["a"], "--out", str(tmp_path / "a.csv"))  # the layout, recognised
    assert one.returncode == 0, one.stderr
    assert set(pd.read_csv(tmp_path / "a.csv")["account_id"]) == {fleet["a"]}

    unknown = _cli("--fleet", out, "--account", "nope")
    assert unknown.returncode == 2 and "--account nope" in unknown.stderr
    stray = _cli(str(tmp_path), "--since", "2026-01-01")
    assert stray.returncode == 2 and "--fleet DIR" in stray.stderr


def test_a_run_killed_halfway_leaves_no_half_file_and_is_not_a_run(fleet, tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    out = tmp_path / "fleet"
    write_fleet_snapshot(fleet["first"], out, taken_at=fleet["now"] - timedelta(days=1))
    before = sorted(out.rglob("*"))
    real, calls = pq.write_table, []

    def dies_on_the_fifth(table, where, **kwargs):
        calls.append(where)
        if len(calls) == 5:
            Path(where).write_bytes(b"PAR1 half")  # what a kill mid-write leaves: a partial file ...
            raise KeyboardInterrupt
        return real(table, where, **kwargs)

    monkeypatch.setattr(pq, "write_table", dies_on_the_fifth)
    with pytest.raises(KeyboardInterrupt):
        write_fleet_snapshot(fleet["second"], out, taken_at=fleet["now"])
    monkeypatch.undo()
    left = sorted(out.rglob("*"))
    assert not [p for p in left if p.name.endswith(".tmp")]  # ... under a temporary name, removed
    assert len([p for p in left if p.is_file()]) == len([p for p in before if p.is_file()]) + 4
    history = fleet_history(out)
    assert history.sql("SELECT count(DISTINCT snapshot_at) FROM grants").fetchall() == [(1,)]
    changes = fleet_diff(out)  # one complete run: nothing to compare, the half run is not one
    assert changes.empty and set(changes.attrs["not_compared"].values()) == {
        "first seen in the latest run", "not read in the latest run"}


def test_a_frame_carrying_a_secret_is_refused_and_nothing_is_written(fleet, tmp_path):
    from dataclasses import replace

    leaky = replace(fleet["first"], clients=fleet["first"].clients.assign(client_secret="s3cr3t"))
    with pytest.raises(ConfigurationError, match="client_secret"):
        write_fleet_snapshot(leaky, tmp_path)
    assert not any(tmp_path.iterdir())
    with pytest.raises(ConfigurationError, match="timezone-aware"):
        write_fleet_snapshot(fleet["first"], tmp_path, taken_at=datetime(2026, 1, 1))
