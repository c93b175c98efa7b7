"""Snapshots and diffs: changes made through the API between two snapshots of the demo account are found,
and nothing else is reported; the files are Hive-partitioned Parquet that DuckDB reads; the CLI writes and
compares them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from oauth_helpers import CUSTOM_SCOPES, create_client, obtain_code, redeem

pytest.importorskip("pyarrow")


@pytest.fixture
def demo(make_sandbox):
    from telnyx_nb import TelnyxOAuth

    # a custom catalog beside the demo data: "scopes widened" needs more than Telnyx's one scope to show
    sb = make_sandbox(seed="demo", scopes=CUSTOM_SCOPES)
    with TelnyxOAuth.from_sandbox(sb) as api:
        yield sb, api


def _changes(frame, change):
    return frame[frame["change"] == change]


def test_diff_finds_planted_grant_and_client_changes_between_two_snapshots(demo, tmp_path):
    from telnyx_nb.audit import diff, list_snapshots, snapshot

    sb, api = demo
    widened_client = create_client(sb, allowed_scopes=["messaging", "voice"])
    code, verifier = obtain_code(sb, widened_client, scope="messaging")
    assert redeem(sb, widened_client, code, verifier).status_code == 200
    before = snapshot(api, tmp_path)

    # planted: one revocation, one new grant, one grant widened by a second consent, client edits/create/delete
    revoked = api.list_grants(page_size=3).items[1].id
    api.revoke_grant(revoked)
    added_client = create_client(sb, allowed_scopes=["messaging", "numbers:read"])
    code, verifier = obtain_code(sb, added_client, scope="messaging numbers:read")
    assert redeem(sb, added_client, code, verifier).status_code == 200
    code, verifier = obtain_code(sb, widened_client, scope="messaging voice")
    assert redeem(sb, widened_client, code, verifier).status_code == 200
    acme = next(c for c in api.all_clients() if c.name == "Acme Dispatch")
    api.update_client(acme.client_id, redirect_uris=["https://dispatch.acme.example/v2/callback"],
                      require_pkce=False)
    doomed = next(c for c in api.all_clients() if c.name == "Sandbox Playground")  # holds no grants
    api.delete_client(doomed.client_id)
    after = snapshot(api, tmp_path)

    assert list_snapshots(tmp_path) == [before.taken_at, after.taken_at]
    changes = diff(tmp_path)

    assert list(_changes(changes, "grant revoked")["object_id"]) == [revoked]
    added = _changes(changes, "grant added")
    assert list(added["client_id"]) == [added_client["client_id"]]
    assert list(added["after"]) == ["messaging numbers:read"]
    widened = _changes(changes, "scopes widened")
    assert list(widened["client_id"]) == [widened_client["client_id"]]
    assert list(zip(widened["before"], widened["after"])) == [("messaging", "messaging voice")]
    edited = _changes(changes, "client changed")
    assert set(edited["object_id"]) == {acme.client_id}
    assert dict(zip(edited["field"], zip(edited["before"], edited["after"]))) == {
        "redirect_uris": ("https://dispatch.acme.example/oauth/callback",
                          "https://dispatch.acme.example/v2/callback"),
        "require_pkce": ("True", "False"),
    }
    assert list(_changes(changes, "client created")["object_id"]) == [added_client["client_id"]]
    assert list(_changes(changes, "client deleted")["object_id"]) == [doomed.client_id]
    assert list(_changes(changes, "client deleted")["client_name"]) == ["Sandbox Playground"]
    assert len(changes) == 7  # nothing else moved


def test_a_snapshot_reads_back_as_the_frames_it_was_taken_from(demo, tmp_path):
    from telnyx_nb.audit import diff, load_snapshot, snapshot

    _, api = demo
    taken = snapshot(api, tmp_path)
    back = load_snapshot(tmp_path)
    pd.testing.assert_frame_equal(back.clients, api.clients_df(progress=False))
    pd.testing.assert_frame_equal(back.grants, api.grants_df(with_clients=False, progress=False))
    assert back.taken_at == taken.taken_at
    assert diff(back, api).empty  # nothing changed since


def test_snapshots_are_hive_partitioned_by_date_and_queryable_with_duckdb(demo, tmp_path):
    pytest.importorskip("duckdb")
    from telnyx_nb.audit import history, snapshot
    from telnyx_nb.sandbox.store.demo import demo_dataset

    _, api = demo
    monday = datetime(2026, 11, 30, 9, tzinfo=UTC)
    snapshot(api, tmp_path, at=monday)
    api.revoke_grant(api.list_grants(page_size=1).items[0].id)
    snapshot(api, tmp_path, at=monday + timedelta(days=1))
    assert sorted(p.name for p in (tmp_path / "grants").iterdir()) == ["date=2026-11-30", "date=2026-12-01"]
    rows = history(tmp_path).sql("SELECT CAST(date AS VARCHAR), count(*) FROM grants GROUP BY ALL ORDER BY 1")
    rows = rows.fetchall()
    seeded = len(demo_dataset(datetime.now(UTC))[1])
    assert rows == [("2026-11-30", seeded), ("2026-12-01", seeded - 1)]


def test_diff_tells_widened_from_narrowed_and_changed_scopes_on_frames():
    from telnyx_nb import frames
    from telnyx_nb.audit import diff

    clients = frames.empty_frame(frames.CLIENT_COLUMNS)
    stamp = pd.Timestamp("2026-01-01", tz="UTC")

    def grants(scopes):
        return pd.DataFrame({"id": ["g1", "g2", "g3"], "client_id": ["c", "c", "c"], "scopes": scopes,
                             "created_at": [stamp] * 3, "last_used_at": [stamp] * 3})

    changes = diff((clients, grants([["a"], ["a", "b"], ["a"]])), (clients, grants([["a", "b"], ["b"], ["b"]])))
    assert dict(zip(changes["object_id"], changes["change"].astype(str))) == {
        "g1": "scopes widened", "g2": "scopes narrowed", "g3": "scopes changed"}


def test_diff_of_a_directory_with_one_snapshot_says_what_is_missing(demo, tmp_path):
    from telnyx_nb.audit import diff, snapshot

    _, api = demo
    snapshot(api, tmp_path)
    with pytest.raises(ValueError, match="holds 1 snapshot"):
        diff(tmp_path)
    with pytest.raises(FileNotFoundError, match="no snapshots here"):
        diff(tmp_path / "elsewhere", tmp_path)


def _cli(*args, sb):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX")}
    env["TELNYX_NB_SANDBOX"] = sb.json_line()
    return subprocess.run([sys.executable, "-m", "telnyx_nb.cli", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_snapshot_cli_writes_parquet_and_reports_changes_since_the_last_one(demo, tmp_path):
    sb, api = demo
    first = _cli("snapshot", "--out", str(tmp_path), sb=sb)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("wrote ") == 2 and "since the snapshot" not in first.stdout
    revoked = api.list_grants(page_size=1).items[0].id
    api.revoke_grant(revoked)
    second = _cli("snapshot", "--out", str(tmp_path), sb=sb)
    assert second.returncode == 0, second.stderr
    assert "1 grant revoked" in second.stdout and revoked in second.stdout

    compared = _cli("diff", str(tmp_path), "--out", str(tmp_path / "changes.csv"), sb=sb)
    assert compared.returncode == 0, compared.stderr
    written = pd.read_csv(tmp_path / "changes.csv")
    assert list(written["object_id"]) == [revoked]
    assert sb.api_key not in first.stdout + second.stdout + compared.stdout + first.stderr + second.stderr


def test_diff_cli_without_two_snapshots_exits_2_naming_the_fix(demo, tmp_path):
    sb, _ = demo
    result = _cli("diff", str(tmp_path), sb=sb)
    assert result.returncode == 2
    assert "telnyx-nb snapshot --out" in result.stderr
