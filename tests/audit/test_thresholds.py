"""Audit rules at their boundaries: what is flagged one second either side of a threshold, and what the finding says.

"More than ``stale_days``" and "older than ``never_used_grace_days``" are strict: a grant last used exactly N days
ago is not yet stale, one second later it is. Frames are built by hand with the contract's dtypes, no network.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from frame_helpers import typed_frame

from telnyx_nb.audit import RULES, find_issues
from telnyx_nb.audit.rules import Thresholds
from telnyx_nb.frames import CLIENT_COLUMNS, GRANT_COLUMNS

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def client(client_id="c1", name="App", **overrides):
    record = {"client_id": client_id, "name": name, "client_type": "confidential", "verified": True,
              "require_pkce": True, "allowed_grant_types": ["authorization_code", "refresh_token"],
              "allowed_scopes": ["messaging", "admin"], "redirect_uris": ["https://app.example.com/cb"]}
    record.update(overrides)
    return record


def grant(grant_id, *, created_ago, used_ago=None, client_id="c1", scopes=("messaging",)):
    return {"id": grant_id, "client_id": client_id, "scopes": list(scopes), "created_at": NOW - created_ago,
            "last_used_at": None if used_ago is None else NOW - used_ago}


def flagged(rule, grants, clients=None, **thresholds):
    found = find_issues(typed_frame(clients or [client()], CLIENT_COLUMNS), typed_frame(grants, GRANT_COLUMNS),
                        now=NOW, rules=[rule], **thresholds)
    return found


def ids(findings):
    return sorted(findings["object_id"].astype(str))


# --------------------------------------------------------------------------------------------- stale_grant
@pytest.mark.parametrize("days", [90, 30, 1])
def test_stale_grant_is_strictly_more_than_stale_days_since_last_use(days):
    grants = [grant("at", created_ago=timedelta(days=400), used_ago=timedelta(days=days)),
              grant("over", created_ago=timedelta(days=400), used_ago=timedelta(days=days) + SECOND),
              grant("under", created_ago=timedelta(days=400), used_ago=timedelta(days=days) - SECOND)]
    kwargs = {} if days == 90 else {"stale_days": days}
    assert ids(flagged("stale_grant", grants, **kwargs)) == ["over"]


def test_stale_grant_says_how_many_days_and_the_threshold():
    grants = [grant("g", created_ago=timedelta(days=400), used_ago=timedelta(days=120, hours=23))]
    finding = flagged("stale_grant", grants).iloc[0]
    assert finding["detail"] == "last used 120 days ago (threshold 90 days)"
    assert finding["client_name"] == "App" and finding["severity"] == "medium" and finding["object_type"] == "grant"
    assert finding["suggested_action"] == RULES["stale_grant"].suggested_action


def test_a_never_used_grant_is_not_stale_however_old():
    grants = [grant("g", created_ago=timedelta(days=4000))]
    assert flagged("stale_grant", grants).empty


def test_stale_days_zero_flags_any_grant_used_before_now():
    grants = [grant("past", created_ago=timedelta(days=3), used_ago=SECOND),
              grant("now", created_ago=timedelta(days=3), used_ago=timedelta(0))]
    assert ids(flagged("stale_grant", grants, stale_days=0)) == ["past"]


# ---------------------------------------------------------------------------------------- never_used_grant
@pytest.mark.parametrize("days", [7, 0, 30])
def test_never_used_grant_is_strictly_older_than_the_grace_period(days):
    grants = [grant("at", created_ago=timedelta(days=days)),
              grant("over", created_ago=timedelta(days=days) + SECOND),
              grant("under", created_ago=max(timedelta(days=days) - SECOND, timedelta(0))),
              grant("used", created_ago=timedelta(days=days + 50), used_ago=timedelta(days=days + 40))]
    kwargs = {} if days == 7 else {"never_used_grace_days": days}
    assert ids(flagged("never_used_grant", grants, **kwargs)) == ["over"]


def test_never_used_grant_says_how_long_ago_it_was_granted():
    grants = [grant("g", created_ago=timedelta(days=12, hours=20))]
    finding = flagged("never_used_grant", grants).iloc[0]
    assert finding["detail"] == "never used; granted 12 days ago"
    assert finding["severity"] == "low" and finding["client_name"] == "App"


def test_thresholds_are_read_per_run_not_fixed():
    grants = [grant("g", created_ago=timedelta(days=40), used_ago=timedelta(days=20))]
    assert flagged("stale_grant", grants, stale_days=19)["object_id"].tolist() == ["g"]
    assert flagged("stale_grant", grants, stale_days=20).empty


@pytest.mark.parametrize("bad", [-1, 1.5, "90", True, None])
def test_threshold_days_must_be_whole_numbers_of_at_least_zero(bad):
    with pytest.raises(ValueError, match=r"stale_days: pass a whole number of days >= 0"):
        Thresholds(stale_days=bad)
    with pytest.raises(ValueError, match=r"never_used_grace_days: pass a whole number of days >= 0"):
        Thresholds(never_used_grace_days=bad)


def test_zero_thresholds_are_allowed_and_now_must_be_timezone_aware():
    assert Thresholds(stale_days=0, never_used_grace_days=0).stale_days == 0
    with pytest.raises(ValueError, match="timezone-aware"):
        Thresholds(now=datetime(2026, 1, 1))
    assert Thresholds(now=NOW).at() == pd.Timestamp(NOW)
    assert Thresholds(admin_scopes="root").admin_scopes == ("root",)


# ------------------------------------------------------------------------------------- scope and client rules
def test_admin_scope_grant_uses_the_configured_admin_scopes():
    grants = [grant("a", created_ago=timedelta(days=1), used_ago=SECOND, scopes=("messaging", "admin")),
              grant("b", created_ago=timedelta(days=1), used_ago=SECOND, scopes=("messaging",))]
    found = flagged("admin_scope_grant", grants)
    assert ids(found) == ["a"] and found.iloc[0]["detail"] == "holds admin"
    grants.append(grant("c", created_ago=timedelta(days=1), used_ago=SECOND, scopes=("voice",)))
    assert ids(flagged("admin_scope_grant", grants, admin_scopes=("messaging",))) == ["a", "b"]


def test_admin_held_by_every_grant_is_the_baseline_not_a_finding_per_grant():
    """On Telnyx every grant holds admin: the report says so once; the rule stays silent. One grant without it,
    and the rule flags the others again."""
    everyone = [grant(g, created_ago=timedelta(days=1), used_ago=SECOND, scopes=("admin",)) for g in "ab"]
    assert ids(flagged("admin_scope_grant", everyone)) == []
    assert ids(flagged("admin_scope_grant", [*everyone, grant("c", created_ago=timedelta(days=1),
                                                                 used_ago=SECOND, scopes=("voice",))])) == ["a", "b"]


def test_grant_scope_exceeds_client_names_only_the_extra_scopes():
    grants = [grant("g", created_ago=timedelta(days=1), used_ago=SECOND, scopes=("messaging", "voice", "ai")),
              grant("ok", created_ago=timedelta(days=1), used_ago=SECOND, scopes=("messaging",))]
    found = flagged("grant_scope_exceeds_client", grants)
    assert ids(found) == ["g"] and found.iloc[0]["detail"] == "holds voice, ai, which the client no longer allows"


def test_client_without_grants_counts_grants_of_that_client_only():
    clients = [client("c1", "Used"), client("c2", "Idle", client_type="public")]
    grants = [grant("g", created_ago=timedelta(days=1), used_ago=SECOND, client_id="c1")]
    found = flagged("client_without_grants", grants, clients)
    assert ids(found) == ["c2"] and found.iloc[0]["detail"] == "public client with no grants"


def test_unverified_client_with_grants_says_how_many():
    clients = [client("c1", "Unverified", verified=False), client("c2", "Idle unverified", verified=False),
               client("c3", "Verified")]
    grants = [grant(f"g{i}", created_ago=timedelta(days=1), used_ago=SECOND, client_id="c1") for i in range(3)]
    grants.append(grant("g9", created_ago=timedelta(days=1), used_ago=SECOND, client_id="c3"))
    found = flagged("unverified_client_with_grants", grants, clients)
    assert ids(found) == ["c1"] and found.iloc[0]["detail"] == "unverified client holds 3 grant(s)"


def test_public_client_credentials_only_for_public_clients():
    clients = [client("p", "Public", client_type="public", allowed_grant_types=["client_credentials"]),
               client("c", "Confidential", allowed_grant_types=["client_credentials"]),
               client("q", "Public code", client_type="public")]
    assert ids(flagged("public_client_credentials", [], clients)) == ["p"]


def test_auth_code_without_pkce_needs_both_the_grant_type_and_pkce_off():
    clients = [client("a", "No PKCE", require_pkce=False),
               client("b", "Machine", require_pkce=False, allowed_grant_types=["client_credentials"]),
               client("c", "PKCE")]
    found = flagged("auth_code_without_pkce", [], clients)
    assert ids(found) == ["a"] and found.iloc[0]["detail"] == "authorization_code allowed with require_pkce = false"


@pytest.mark.parametrize("uri, bad", [
    ("http://app.example.com/cb", True), ("HTTP://app.example.com/cb", True), ("https://app.example.com/cb", False),
    ("http://127.0.0.1:8080/cb", False), ("http://localhost/cb", False), ("http://[::1]/cb", False),
    ("http://127.9.9.9/cb", False), ("http://localhost.evil.example/cb", True), ("com.example.app:/cb", False),
])
def test_non_https_redirect_uri_exempts_loopback_only(uri, bad):
    found = flagged("non_https_redirect_uri", [], [client(redirect_uris=[uri])])
    assert (not found.empty) is bad
    if bad:
        assert found.iloc[0]["detail"] == f"plain HTTP redirect URI: {uri}"


@pytest.mark.parametrize("uri, bad", [("https://*.example.com/cb", True), ("https://app.example.com/cb#x", True),
                                      ("https://app.example.com/cb?a=1", False)])
def test_wildcard_or_fragment_redirect_uri(uri, bad):
    assert (not flagged("redirect_uri_wildcard_or_fragment", [], [client(redirect_uris=[uri])]).empty) is bad


def test_duplicate_client_name_counts_each_group():
    clients = [client("a", "Billing"), client("b", " billing "), client("c", "BILLING"), client("d", "Other"),
               client("e", "Pair"), client("f", "pair")]
    found = flagged("duplicate_client_name", [], clients)
    assert ids(found) == ["a", "b", "c", "e", "f"]
    details = dict(zip(found["object_id"].astype(str), found["detail"]))
    assert details["a"] == "3 clients are named 'Billing'" and details["e"] == "2 clients are named 'Pair'"


def test_orphan_grant_names_the_missing_client():
    grants = [grant("g", created_ago=timedelta(days=1), used_ago=SECOND, client_id="gone")]
    found = flagged("orphan_grant", grants)
    assert ids(found) == ["g"] and found.iloc[0]["detail"] == "client gone no longer exists"
    assert pd.isna(found.iloc[0]["client_name"]) and found.iloc[0]["severity"] == "high"


# ------------------------------------------------------------------------------------- defaults and frame checks
def test_audit_defaults_are_90_stale_days_and_7_grace_days():
    from telnyx_nb.audit import audit

    grants = [grant("stale-at", created_ago=timedelta(days=400), used_ago=timedelta(days=90)),
              grant("stale-over", created_ago=timedelta(days=400), used_ago=timedelta(days=90) + SECOND),
              grant("never-at", created_ago=timedelta(days=7)),
              grant("never-over", created_ago=timedelta(days=7) + SECOND)]
    result = audit(typed_frame([client()], CLIENT_COLUMNS), typed_frame(grants, GRANT_COLUMNS), now=NOW)
    found = dict(zip(result.findings["object_id"].astype(str), result.findings["rule"].astype(str)))
    assert found == {"stale-over": "stale_grant", "never-over": "never_used_grant"}
    assert (result.thresholds.stale_days, result.thresholds.never_used_grace_days) == (90, 7)
    assert result.target == "DataFrames supplied by the caller"


def test_findings_are_typed_with_ordered_severity_and_known_object_types():
    grants = [grant("g", created_ago=timedelta(days=1), used_ago=SECOND, client_id="gone", scopes=("admin",))]
    found = find_issues(typed_frame([client()], CLIENT_COLUMNS), typed_frame(grants, GRANT_COLUMNS), now=NOW)
    assert found["severity"].cat.ordered and list(found["severity"].cat.categories) == ["high", "medium", "low"]
    assert list(found["object_type"].cat.categories) == ["client", "grant"]
    assert all(str(found[c].dtype) == "string" for c in ("rule", "object_id", "detail", "suggested_action"))
    assert list(found["severity"]) == sorted(found["severity"], key=["high", "medium", "low"].index)


def test_a_frame_that_is_not_a_dataframe_or_lacks_columns_is_refused_by_name():
    grants = typed_frame([], GRANT_COLUMNS)
    with pytest.raises(TypeError) as info:
        find_issues([], grants, now=NOW)
    assert str(info.value) == "clients: pass a pandas DataFrame (e.g. api.clients_df()), not list"
    with pytest.raises(ValueError) as info:
        find_issues(typed_frame([client()], CLIENT_COLUMNS), grants.drop(columns=["scopes", "created_at"]), now=NOW)
    assert str(info.value) == ("grants: missing column(s) scopes, created_at; build the frame with telnyx_nb.frames "
                               "or api.grants_df()")
