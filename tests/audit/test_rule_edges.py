"""Audit rules at edges the demo data never reaches: registering a new rule, list cells of every shape, clients
without a name, timestamps in mixed offsets, sorting without pyarrow, the summary, and ``audit()`` on any object
that serves ``clients_df()`` and ``grants_df()`` (as ``TelnyxOAuth`` does; the live one is tests/audit/test_live.py).
No network."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from frame_helpers import typed_frame

from telnyx_nb.audit import RULES, audit, find_issues
from telnyx_nb.audit.registry import items, rule
from telnyx_nb.audit.risk import RISK_COLUMNS
from telnyx_nb.frames import CLIENT_COLUMNS, GRANT_COLUMNS

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def client(client_id="c1", name="App", **overrides):
    return {"client_id": client_id, "name": name, "client_type": "confidential", "verified": True,
            "require_pkce": True, "allowed_grant_types": ["authorization_code"], "allowed_scopes": ["messaging"],
            "redirect_uris": ["https://app.example.com/cb"]} | overrides


def grant(grant_id, client_id="c1", *, created_days=400, used_days=1, scopes=("messaging",)):
    return {"id": grant_id, "client_id": client_id, "scopes": list(scopes),
            "created_at": NOW - timedelta(days=created_days),
            "last_used_at": None if used_days is None else NOW - timedelta(days=used_days)}


def frames(clients, grants):
    return typed_frame(clients, CLIENT_COLUMNS), typed_frame(grants, GRANT_COLUMNS)


# -------------------------------------------------------------------------------------------- the registry
@pytest.fixture
def scratch_rule():
    yield "flag_everything"
    RULES.pop("flag_everything", None)


def test_a_new_rule_registers_under_its_name_with_its_doc_in_plain_words(scratch_rule):
    def flag_everything(clients, grants, t):
        """Flags  every ``client``, as :data:`RULES`
        say."""
        return [{"object_id": c, "client_name": None, "detail": "flagged"} for c in clients["client_id"]]

    assert rule("low", "client", "Do nothing.")(flag_everything) is flag_everything
    registered = RULES[scratch_rule]
    assert (registered.name, registered.severity, registered.object_type, registered.suggested_action) == (
        "flag_everything", "low", "client", "Do nothing.")
    assert registered.check is flag_everything and registered.doc == "Flags every client, as RULES say."
    found = find_issues(*frames([client()], []), now=NOW, rules=[scratch_rule])
    assert found[["rule", "severity", "object_id", "detail", "suggested_action"]].values.tolist() == [
        ["flag_everything", "low", "c1", "flagged", "Do nothing."]]


def test_a_rule_without_a_docstring_has_an_empty_doc(scratch_rule):
    def flag_everything(clients, grants, t):
        return []

    rule("high", "grant", "x")(flag_everything)
    assert RULES[scratch_rule].doc == ""


@pytest.mark.parametrize("severity, object_type", [("urgent", "grant"), ("high", "user"), ("HIGH", "CLIENT")])
def test_a_rule_must_have_a_known_severity_and_object_type(severity, object_type):
    with pytest.raises(AssertionError):
        rule(severity, object_type, "x")


# ------------------------------------------------------------------------------------------------ list cells
@pytest.mark.parametrize("cell, expected", [
    (None, []), (pd.NA, []), (float("nan"), []), ("messaging voice", ["messaging", "voice"]),
    (("a", "b"), ["a", "b"]), (np.array(["a"]), ["a"]), (7, [7]), ([], []),
])
def test_a_list_cell_of_any_shape_reads_as_a_list(cell, expected):
    assert items(cell) == expected


# --------------------------------------------------------------------------------------- names and clocks
def test_grant_findings_of_a_client_without_a_name_say_an_empty_name():
    found = find_issues(*frames([client(name=None)], [grant("g", used_days=200)]), now=NOW, rules=["stale_grant"])
    assert found["client_name"].tolist() == [""]


def test_client_findings_of_a_client_without_a_name_have_no_name():
    found = find_issues(*frames([client(name=None, require_pkce=False)], []), now=NOW,
                        rules=["auth_code_without_pkce"])
    assert found["client_name"].isna().tolist() == [True] and found["object_id"].tolist() == ["c1"]


def test_timestamps_in_mixed_offsets_are_compared_in_utc():
    clients, grants = frames([client()], [grant("stale"), grant("fresh"), grant("never", used_days=None)])
    grants["last_used_at"] = pd.Series(["2026-01-01T00:00:00+02:00", "2026-05-31T23:00:00-05:00", None],
                                       dtype=object)
    grants["created_at"] = pd.Series(["2025-01-01T00:00:00Z", "2025-01-01T00:00:00+01:00",
                                      "2026-05-01T00:00:00-03:00"], dtype=object)
    found = find_issues(clients, grants, now=NOW, rules=["stale_grant", "never_used_grant"])
    assert dict(zip(found["object_id"], found["detail"])) == {
        "stale": "last used 151 days ago (threshold 90 days)", "never": "never used; granted 31 days ago"}


def test_plain_http_to_an_empty_host_is_not_loopback():
    found = find_issues(*frames([client(redirect_uris=["http:///cb"])], []), now=NOW,
                        rules=["non_https_redirect_uri"])
    assert found["detail"].tolist() == ["plain HTTP redirect URI: http:///cb"]


# ------------------------------------------------------------------------------------------------ sorting
def _unsorted():
    clients = [client("c1", "Beta", require_pkce=False), client("c2", None, require_pkce=False),
               client("c3", "Alpha", require_pkce=False), client("c4", "Alpha", require_pkce=False)]
    grants = [grant("g9", "c4", scopes=("voice",)), grant("g1", "c3", scopes=("voice",)),
              grant("g5", "gone"), grant("g2", "c2", used_days=300)]
    return frames(clients, grants)


EXPECTED_ORDER = [  # severity, then rule, then client name (missing last), then id
    ("high", "grant_scope_exceeds_client", "Alpha", "g1"), ("high", "grant_scope_exceeds_client", "Alpha", "g9"),
    ("high", "orphan_grant", None, "g5"),
    ("medium", "auth_code_without_pkce", "Alpha", "c3"), ("medium", "auth_code_without_pkce", "Alpha", "c4"),
    ("medium", "auth_code_without_pkce", "Beta", "c1"), ("medium", "auth_code_without_pkce", None, "c2"),
    ("medium", "stale_grant", "", "g2"),
    ("low", "client_without_grants", "Beta", "c1"),
    ("low", "duplicate_client_name", "Alpha", "c3"), ("low", "duplicate_client_name", "Alpha", "c4"),
]


def _order(found):
    return [(s, r, None if pd.isna(n) else n, o) for s, r, n, o in
            found[["severity", "rule", "client_name", "object_id"]].astype(object).itertuples(index=False)]


def test_findings_sort_by_severity_rule_name_and_id_missing_names_last():
    found = find_issues(*_unsorted(), now=NOW)
    assert _order(found) == EXPECTED_ORDER
    assert list(found.index) == list(range(len(found)))


# ---------------------------------------------------------------------------------------------- the summary
def test_the_summary_counts_only_the_rules_that_found_something():
    result = audit(*_unsorted(), now=NOW)
    summary = result.summary()
    assert [tuple(row) for row in summary.astype(object).itertuples(index=False)] == [
        ("high", "grant_scope_exceeds_client", 2), ("high", "orphan_grant", 1),
        ("medium", "auth_code_without_pkce", 4), ("medium", "stale_grant", 1), ("low", "client_without_grants", 1),
        ("low", "duplicate_client_name", 2)]


def test_the_summary_of_a_clean_audit_is_an_empty_table_with_its_columns():
    summary = audit(*frames([client()], [grant("g")]), now=NOW).summary()
    assert summary.empty and list(summary.columns) == ["severity", "rule", "findings"]


def test_an_audit_without_now_records_the_moment_it_ran():
    before = datetime.now(UTC)
    result = audit(*frames([client()], [grant("g")]))
    assert before <= result.thresholds.now <= datetime.now(UTC)


# ----------------------------------------------------------------------------------------- audit(a session)
class FrameSession:
    """Serves frames the way TelnyxOAuth does (clients_df / grants_df / target) and remembers how it was asked."""

    def __init__(self, clients, grants, target=None):
        self._clients, self._grants, self.asked = clients, grants, []
        if target is not None:
            self.target = target

    def clients_df(self, progress=None):
        self.asked.append(("clients_df", {"progress": progress}))
        return self._clients

    def grants_df(self, with_clients=True, progress=None):
        self.asked.append(("grants_df", {"with_clients": with_clients, "progress": progress}))
        return self._grants


def test_auditing_a_session_reads_both_frames_once_and_names_its_target():
    clients, grants = frames([client()], [grant("g", used_days=40, scopes=("messaging", "admin")), grant("k")])
    session = FrameSession(clients, grants, target="https://api.telnyx.com (org 1)")
    result = audit(session, progress=False, stale_days=30, never_used_grace_days=3, admin_scopes=["voice", "admin"],
                   now=NOW)
    assert session.asked == [("clients_df", {"progress": False}),
                             ("grants_df", {"with_clients": False, "progress": False})]
    assert result.clients is clients and result.target == "https://api.telnyx.com (org 1)"
    # the grants as given, with their risk added, riskiest first
    assert list(result.grants["id"]) == ["g", "k"] and list(result.grants.columns) == [*grants.columns, *RISK_COLUMNS]
    pd.testing.assert_frame_equal(result.grants[list(grants.columns)], grants)
    assert set(zip(result.findings["rule"], result.findings["object_id"])) == {
        ("stale_grant", "g"), ("admin_scope_grant", "g"), ("grant_scope_exceeds_client", "g")}
    assert result.baseline is None  # k holds no admin scope: admin is not everyone's
    assert (result.thresholds.stale_days, result.thresholds.never_used_grace_days,
            result.thresholds.admin_scopes) == (30, 3, ("voice", "admin"))
    never = audit(FrameSession(*frames([client()], [grant("n", created_days=5, used_days=None)])),
                  never_used_grace_days=3, now=NOW)
    assert never.findings["rule"].tolist() == ["never_used_grant"]


def test_a_session_without_a_target_is_called_a_live_session_and_progress_passes_through():
    session = FrameSession(*frames([client()], [grant("g")]))
    assert audit(session, now=NOW, progress=True).target == "a live session"
    assert session.asked[0] == ("clients_df", {"progress": True})


def test_an_object_serving_only_clients_is_not_a_session():
    class ClientsOnly:
        def clients_df(self, progress=None):
            raise AssertionError("must not be called")

    with pytest.raises(TypeError, match="source: pass a TelnyxOAuth"):
        audit(ClientsOnly())
