"""An admin-only account, as Telnyx publishes it, audited over real HTTP: every grant holds ``admin``, so the audit
says that once and ranks grants by what really differs. Every risky grant (stale, never used, unverified client,
public client without PKCE, plain-http or wildcard redirect URI, deleted client) must rank above every benign one
(fresh, of a verified confidential client with PKCE and an https redirect), and benign grants raise nothing high."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from telnyx_nb import TelnyxOAuth
from telnyx_nb.audit import audit
from telnyx_nb.cli import main
from telnyx_nb.testing.harness import SandboxHarness

BENIGN = "https://benign.example.com/callback"
CODE_FLOW = ["authorization_code", "refresh_token"]


def _client(api, sb, name, *, client_type="confidential", verified=True, require_pkce=True, redirect_uri=BENIGN):
    """Create the client through the management API, then set what only Telnyx (or an old registration) sets:
    ``verified``, and settings the sandbox would refuse today (PKCE off, a plain-http redirect URI)."""
    created = api.create_client(name, client_type, CODE_FLOW, ["admin"], redirect_uris=[BENIGN], require_pkce=True)
    with sb.store.write() as db:
        db.execute("UPDATE clients SET verified = ?, require_pkce = ?, redirect_uris = ? WHERE client_id = ?",
                   (int(verified), int(require_pkce), json.dumps([redirect_uri]), created.client_id))
    return created.client_id


@pytest.fixture
def planted(make_sandbox):
    """(sandbox, api, benign grant ids, risky grant id by kind) on an admin-only account."""
    sb = make_sandbox(seed="empty")
    harness = SandboxHarness(sb)
    now = sb.clock.now()

    def grant(client_id, *, created_days=30, used_days=2):
        return harness.create_grant(client_id, ["admin"], created_at=now - timedelta(days=created_days),
                                    last_used_at=None if used_days is None else now - timedelta(days=used_days))["id"]

    with TelnyxOAuth.from_sandbox(sb) as api:
        good = [_client(api, sb, "Good One"), _client(api, sb, "Good Two")]
        benign = [grant(good[0], used_days=d) for d in (0, 3, 80)] + [grant(good[1], created_days=3, used_days=1)]
        risky = {
            "stale": grant(good[0], created_days=400, used_days=200),
            "never used": grant(good[1], created_days=60, used_days=None),
            "unverified client": grant(_client(api, sb, "Unverified", verified=False)),
            "public client without PKCE": grant(_client(api, sb, "Pocket App", client_type="public",
                                                        require_pkce=False, redirect_uri="com.pocket.app:/cb")),
            "plain-http redirect URI": grant(_client(api, sb, "Plain", redirect_uri="http://plain.example.net/cb")),
            "wildcard redirect URI": grant(_client(api, sb, "Wild", redirect_uri="https://*.wild.example.com/cb")),
            "deleted client": grant(str(uuid.uuid4())),
        }
        yield sb, api, benign, risky


def test_every_risky_grant_ranks_above_every_benign_one(planted):
    _, api, benign, risky = planted
    result = audit(api, progress=False)
    grants = result.grants.set_index(result.grants["id"].astype(str))
    assert set(grants.index) == set(benign) | set(risky.values())
    assert grants.loc[list(risky.values()), "risk_score"].min() > grants.loc[benign, "risk_score"].max()
    # the frame comes riskiest first: the risky grants fill its top rows
    assert set(result.grants["id"].head(len(risky))) == set(risky.values())
    assert set(grants.loc[benign, "risk_level"].astype(str)) == {"low"}
    assert set(grants.loc[list(risky.values()), "risk_level"].astype(str)) <= {"medium", "high", "critical"}
    # each kind scores exactly its weight (public without PKCE: public 10 + no PKCE 20)
    scores = {kind: int(grants.loc[grant_id, "risk_score"]) for kind, grant_id in risky.items()}
    assert scores == {"stale": 30, "never used": 25, "unverified client": 20, "public client without PKCE": 30,
                      "plain-http redirect URI": 20, "wildcard redirect URI": 20, "deleted client": 40}
    assert grants.loc[risky["public client without PKCE"], "risk_reason"] == "no PKCE; public client"


def test_admin_is_said_once_and_benign_grants_raise_no_high_finding(planted):
    _, api, benign, risky = planted
    result = audit(api, progress=False)
    assert result.baseline is not None and result.baseline.holding == result.baseline.grants == 11
    assert "admin_scope_grant" not in set(result.findings["rule"])
    on_benign = result.findings[result.findings["object_id"].isin(benign)]
    assert on_benign.empty  # nothing at all, so nothing high
    first = result.revoke_first(n=20)
    assert set(first["grant"]) == set(risky.values())  # full ids: what revoke and the API take
    assert first["risk_score"].is_monotonic_decreasing and first.loc[0, "grant"] == risky["deleted client"]


def test_fail_on_risk_levels_and_severities_keep_their_meaning(planted, monkeypatch, capsys):
    sb, api, _, risky = planted
    monkeypatch.setenv("TELNYX_NB_SANDBOX", sb.json_line())
    assert main(["audit", "--fail-on", "risk:critical"]) == 0  # the worst grant scores 40: high, not critical
    assert main(["audit", "--fail-on", "risk:high"]) == 1
    out = capsys.readouterr()
    assert "Revoke these first (to act on them: --out report.html, then telnyx-nb revoke --from report.html):" \
        in out.out and risky["deleted client"] in out.out
    assert "Baseline: all 11 grants hold admin" in out.err
    for grant_id in risky.values():
        api.revoke_grant(grant_id)
    assert main(["audit", "--fail-on", "risk:medium"]) == 0  # only benign grants are left
    assert main(["audit", "--fail-on", "high"]) == 1  # severities as before: the wildcard client is still high
    assert main(["audit", "--fail-on", "low"]) == 1
