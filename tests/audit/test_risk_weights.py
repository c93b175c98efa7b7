"""The risk score's weights, thresholds and levels, pinned on hand-built frames (no network): each signal alone
scores exactly its documented weight, signals add up, and every threshold sits where the docs say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from frame_helpers import typed_frame

from telnyx_nb.audit import audit
from telnyx_nb.audit import risk as risk_module
from telnyx_nb.audit.levels import LEVELS
from telnyx_nb.audit.risk import level_of, score_grants
from telnyx_nb.audit.rules import Thresholds
from telnyx_nb.frames import CLIENT_COLUMNS, GRANT_COLUMNS

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)

# what docs/audit-history.md and the module docstring publish
DOCUMENTED = {"orphaned_client": 40, "stale": 30, "never_used": 25, "exceeds_client": 30, "no_pkce": 20,
              "unverified_client": 20, "risky_redirect_uri": 20, "admin_scope": 20, "public_client": 10,
              "old_client": 5, "crowded_client": 5}


def _client(client_id="c1", **overrides):
    return {"client_id": client_id, "name": client_id.upper(), "client_type": "confidential", "verified": True,
            "require_pkce": True, "allowed_grant_types": ["authorization_code", "refresh_token"],
            "allowed_scopes": ["admin"], "redirect_uris": ["https://app.example.com/cb"],
            "created_at": NOW - timedelta(days=30)} | overrides


def _grant(grant_id, client_id="c1", *, created=timedelta(days=30), used=timedelta(days=1), scopes=("admin",)):
    return {"id": grant_id, "client_id": client_id, "scopes": list(scopes), "created_at": NOW - created,
            "last_used_at": None if used is None else NOW - used}


def _scores(clients, grants, **thresholds) -> dict[str, int]:
    c, g = typed_frame(clients, CLIENT_COLUMNS), typed_frame(grants, GRANT_COLUMNS)
    scored = score_grants(c, g, Thresholds(now=NOW, **thresholds))
    return dict(zip(g["id"], scored["risk_score"].astype(int)))


def test_the_weights_are_the_documented_ones():
    assert risk_module.WEIGHTS == DOCUMENTED
    assert (risk_module.OLD_CLIENT_DAYS, risk_module.CROWDED_CLIENT_GRANTS) == (365, 50)
    assert risk_module.LEVEL_FLOORS == {"critical": 60, "high": 40, "medium": 20}


@pytest.mark.parametrize(("signal", "clients", "grant"), [
    ("orphaned_client", [], _grant("g", "gone")),
    ("stale", [_client()], _grant("g", created=timedelta(days=400), used=timedelta(days=90) + SECOND)),
    ("never_used", [_client()], _grant("g", created=timedelta(days=7) + SECOND, used=None)),
    ("exceeds_client", [_client(allowed_scopes=["admin", "voice"])], _grant("g", scopes=("voice", "numbers"))),
    ("no_pkce", [_client(require_pkce=False)], _grant("g")),
    ("unverified_client", [_client(verified=False)], _grant("g")),
    ("risky_redirect_uri", [_client(redirect_uris=["http://app.example.net/cb"])], _grant("g")),
    ("risky_redirect_uri", [_client(redirect_uris=["https://app.example.com/cb#done"])], _grant("g")),
    ("public_client", [_client(client_type="public")], _grant("g")),
    ("old_client", [_client(created_at=NOW - timedelta(days=365) - SECOND)], _grant("g")),
])
def test_each_signal_alone_scores_its_weight(signal, clients, grant):
    assert _scores(clients, [grant]) == {"g": DOCUMENTED[signal]}  # admin held by every grant: the baseline


def test_admin_scope_counts_only_where_admin_is_not_the_baseline():
    clients = [_client(), _client("k", allowed_scopes=["voice"])]
    mixed = [_grant("g"), _grant("k", "k", scopes=("voice",))]
    assert _scores(clients, mixed) == {"g": DOCUMENTED["admin_scope"], "k": 0}
    assert _scores(clients, mixed[:1]) == {"g": 0}  # every grant holds admin: the baseline, not a risk
    assert _scores(clients, mixed[:1], scopes_supported=("admin",)) == {"g": 0}


def test_thresholds_sit_where_documented():
    fresh = _scores([_client(created_at=NOW - timedelta(days=365))],
                    [_grant("old-enough-not"), _grant("at", used=timedelta(days=90)),
                     _grant("grace", created=timedelta(days=7), used=None)])
    assert fresh == {"old-enough-not": 0, "at": 0, "grace": 0}  # each threshold is "more than"
    assert _scores([_client()], [_grant("a"), _grant("b")], stale_days=0)["a"] == DOCUMENTED["stale"]
    crowded = [_grant(f"g{i}") for i in range(50)]
    assert set(_scores([_client()], crowded).values()) == {DOCUMENTED["crowded_client"]}
    assert set(_scores([_client()], crowded[:49]).values()) == {0}


def test_signals_add_up_and_the_reason_lists_them_weightiest_first():
    clients = [_client(client_type="public", require_pkce=False, verified=False,
                       redirect_uris=["http://app.example.net/cb"], created_at=NOW - timedelta(days=500))]
    grants = [_grant("g", created=timedelta(days=400), used=timedelta(days=200))]
    c, g = typed_frame(clients, CLIENT_COLUMNS), typed_frame(grants, GRANT_COLUMNS)
    row = score_grants(c, g, Thresholds(now=NOW)).iloc[0]
    assert row["risk_score"] == 30 + 20 + 20 + 20 + 10 + 5 and row["risk_level"] == "critical"
    assert row["risk_reason"] == ("stale; no PKCE; unverified client; risky redirect URI; public client; "
                                  "client over a year old")


def test_levels_are_ordered_and_change_at_the_floors():
    levels = level_of([0, 19, 20, 39, 40, 59, 60, 500])
    assert list(levels) == ["low", "low", "medium", "medium", "high", "high", "critical", "critical"]
    assert list(levels.categories) == LEVELS and levels.ordered


def test_revoke_first_leaves_out_low_grants_and_words_the_ages():
    clients = typed_frame([_client()], CLIENT_COLUMNS)
    grants = typed_frame([_grant("fine"), _grant("idle", created=timedelta(days=300), used=timedelta(days=120)),
                          _grant("unused", created=timedelta(days=40), used=None), _grant("lost", "gone")],
                         GRANT_COLUMNS)
    first = audit(clients, grants, now=NOW).revoke_first()
    assert list(first["grant"]) == ["lost", "idle", "unused"] and list(first["rank"]) == [1, 2, 3]
    assert list(first["reason"]) == ["client deleted", "last used 120 days ago", "never used in 40 days"]
    assert list(first["client"]) == ["(deleted client gone)", "C1", "C1"]
    assert audit(clients, grants, now=NOW).revoke_first(n=1)["grant"].tolist() == ["lost"]
    assert isinstance(first, pd.DataFrame)


def test_a_server_publishing_only_admin_makes_it_the_baseline_even_where_a_grant_lacks_it():
    clients = [_client(), _client("k", allowed_scopes=["voice"])]
    mixed = [_grant("g"), _grant("k", "k", scopes=("voice",))]
    assert _scores(clients, mixed, scopes_supported=("admin",)) == {"g": 0, "k": 0}
    assert _scores(clients, mixed, scopes_supported=("admin", "voice")) == {"g": DOCUMENTED["admin_scope"], "k": 0}


class _Session:
    """What audit() reads from a TelnyxOAuth: the two frames and the server's metadata."""

    def __init__(self, clients, grants, published):
        self.clients, self.grants, self.published = clients, grants, published

    def clients_df(self, progress=None):
        return self.clients

    def grants_df(self, with_clients=True, progress=None):
        return self.grants

    def authorization_server_metadata(self):
        from telnyx_nb.core.errors import TelnyxNBError
        from telnyx_nb.core.records import AuthorizationServerMetadata

        if self.published is None:
            raise TelnyxNBError("metadata unavailable")
        return AuthorizationServerMetadata.from_json({"scopes_supported": list(self.published)})


def test_a_live_audit_reads_the_published_scopes_and_goes_on_without_them():
    clients = typed_frame([_client(), _client("k", allowed_scopes=["voice"])], CLIENT_COLUMNS)
    grants = typed_frame([_grant("g"), _grant("k", "k", scopes=("voice",))], GRANT_COLUMNS)
    published = audit(_Session(clients, grants, ["admin"]), now=NOW)
    assert published.thresholds.scopes_supported == ("admin",)
    assert published.baseline.reason == "the server publishes only admin" and published.baseline.holding == 1
    assert "1 of 2 grants hold admin" in published.baseline.sentence()
    assert "admin_scope_grant" not in set(published.findings["rule"])
    unknown = audit(_Session(clients, grants, None), now=NOW)  # metadata unreadable: judged on the grants alone
    assert unknown.thresholds.scopes_supported is None and unknown.baseline is None
    assert set(unknown.findings.loc[unknown.findings["rule"] == "admin_scope_grant", "object_id"]) == {"g"}


def test_equal_risks_put_never_used_then_longest_idle_first():
    clients = typed_frame([_client("old", created_at=NOW - timedelta(days=400)), _client("young")], CLIENT_COLUMNS)
    grants = typed_frame([_grant("stale-100", "young", created=timedelta(days=300), used=timedelta(days=100)),
                          _grant("unused", "old", created=timedelta(days=40), used=None),  # 25 + old client 5
                          _grant("stale-200", "young", created=timedelta(days=300), used=timedelta(days=200))],
                         GRANT_COLUMNS)
    ranked = audit(clients, grants, now=NOW).grants
    assert list(ranked["id"]) == ["unused", "stale-200", "stale-100"]
    assert set(ranked["risk_score"]) == {30}


def test_an_account_without_grants_has_no_baseline_to_state():
    empty = audit(typed_frame([_client()], CLIENT_COLUMNS), typed_frame([], GRANT_COLUMNS), now=NOW,
                  scopes_supported=["admin"])
    assert empty.baseline is None and empty.revoke_first().empty
    assert list(empty.grants.columns) == [*GRANT_COLUMNS, "risk_score", "risk_level", "risk_reason"]
