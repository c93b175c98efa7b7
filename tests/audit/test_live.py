"""The audit against a running sandbox over HTTP: planted cases, a dry run that changes nothing, a real revocation."""

from __future__ import annotations

import pandas as pd
import pytest
import requests

from telnyx_nb import TelnyxOAuth
from telnyx_nb.audit import RULES, audit, revoke
from telnyx_nb.sandbox.store.demo import DEMO_REDIRECT_URIS, PLANTED


@pytest.fixture(scope="module")
def live(sandbox):
    with TelnyxOAuth.from_sandbox(sandbox) as api:
        yield api, audit(api)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_each_rule_finds_exactly_the_planted_cases_in_the_sandbox(live, rule):
    _, result = live
    found = result.findings[result.findings["rule"] == rule]
    assert set(found["object_id"]) == set(PLANTED[rule]["ids"])
    if PLANTED[rule]["ids"]:
        assert set(found["client_name"].dropna()) == set(PLANTED[rule]["client_names"])


def test_live_audit_says_what_it_audited(live):
    api, result = live
    assert result.target == api.target
    assert len(result.clients) == 14 and len(result.grants) > 300
    # Telnyx's one scope is everyone's: said once as the baseline, never as a finding per grant
    assert result.baseline is not None and result.baseline.holding == len(result.grants)
    assert "admin_scope_grant" not in set(result.findings["rule"])


def test_dry_run_changes_nothing(live):
    api, result = live
    methods = []
    listener = lambda record: methods.append(record.method)  # noqa: E731
    before = api.grants_df(with_clients=False)
    api.add_listener(listener)
    try:
        plan = revoke(result.findings, api)  # dry_run defaults to True
    finally:
        api.remove_listener(listener)
    after = api.grants_df(with_clients=False)
    assert methods == []  # not even a read: a dry run is computed from the findings alone
    assert before.equals(after)
    grant_findings = result.findings[result.findings["object_type"] == "grant"]
    assert set(plan["grant_id"]) == set(grant_findings["object_id"])
    assert len(plan) == plan["grant_id"].nunique()  # one row per grant, however many rules flagged it
    assert set(plan["outcome"].astype(str)) == {"would revoke"}


def _authorize(api: TelnyxOAuth, client_id: str, client_secret: str, redirect_uri: str, scope: str):
    """Run the authorization-code flow with PKCE as a user would: the tokens are tied to a grant."""
    request = api.authorization_url(client_id, redirect_uri, scope)
    consent = api.begin_authorization(request)
    code = api.parse_redirect(api.decide_consent(consent, True), request.state)
    return api.exchange_code(code, redirect_uri=redirect_uri, code_verifier=request.code_verifier,
                             client_id=client_id, client_secret=client_secret)


def _age(sb, grant_id: str, days: int) -> None:
    """Make a grant look last used ``days`` ago (its tokens stay valid): stale to the audit."""
    from datetime import timedelta

    from telnyx_nb.sandbox.store.tables import iso

    with sb.store.write() as db:
        db.execute("UPDATE grants SET last_used_at = ? WHERE id = ?", (iso(sb.clock.now() - timedelta(days=days)),
                                                                       grant_id))


def test_real_run_revokes_exactly_the_listed_grants_and_their_tokens(make_sandbox):
    sb = make_sandbox()
    with TelnyxOAuth.from_sandbox(sb) as api:
        # a grant gone stale (flagged) whose tokens still work, and one that breaks no rule (kept)
        stale_tokens = _authorize(api, sb.demo_client_id, sb.demo_client_secret, DEMO_REDIRECT_URIS[0], "admin")
        control = api.create_client("Audit Control", "confidential", ["authorization_code", "refresh_token"],
                                    ["admin"], redirect_uris=["https://control.example.com/cb"], require_pkce=True)
        control_tokens = _authorize(api, control.client_id, control.client_secret,
                                    "https://control.example.com/cb", "admin")
        grants = api.grants_df(with_clients=False)
        demo_grant = set(grants.loc[grants["client_id"] == sb.demo_client_id, "id"])
        control_grant = set(grants.loc[grants["client_id"] == control.client_id, "id"])
        assert len(demo_grant) == 1 and len(control_grant) == 1
        _age(sb, next(iter(demo_grant)), 200)

        result = audit(api)
        findings = result.findings
        listed = findings[findings["rule"] == "stale_grant"]
        assert set(listed["object_id"]) == set(PLANTED["stale_grant"]["ids"]) | demo_grant
        assert not control_grant & set(findings["object_id"])
        risk = result.grants.set_index("id")
        # a client created through the API is unverified until Telnyx verifies it: that is all its grant shows
        assert risk.loc[next(iter(control_grant)), "risk_reason"] == "unverified client"

        outcome = revoke(listed, api, dry_run=False)
        assert set(outcome["grant_id"]) == set(listed["object_id"])
        assert set(outcome["outcome"].astype(str)) == {"revoked"}

        remaining = set(api.grants_df(with_clients=False)["id"])
        assert remaining == set(grants["id"]) - set(listed["object_id"])
        assert not api.introspect(stale_tokens.access_token).active
        if stale_tokens.refresh_token:
            assert not api.introspect(stale_tokens.refresh_token).active
        assert api.introspect(control_tokens.access_token).active  # an unlisted grant keeps working

        # safe to run twice: already revoked grants are reported, not raised
        again = revoke(listed, api, dry_run=False)
        assert set(again["outcome"].astype(str)) == {"already revoked"}
        assert "stale_grant" not in set(audit(api).findings["rule"])


def test_one_failed_revocation_is_reported_and_the_rest_go_on(make_sandbox):
    sb = make_sandbox()
    with TelnyxOAuth.from_sandbox(sb, max_retries=0) as api:
        findings = audit(api).findings
        listed = pd.concat([findings[findings["rule"] == "stale_grant"].head(3),
                            findings[findings["rule"] == "public_client_credentials"]])  # a client: not revocable
        first, *rest = list(listed[listed["object_type"] == "grant"]["object_id"])
        armed = requests.post(f"{sb.root_url}/_sandbox/faults", timeout=10,
                              headers={"Authorization": f"Bearer {sb.api_key}"},
                              json={"path": f"/v2/oauth_grants/{first}", "method": "DELETE", "count": 1,
                                    "status": 503})
        assert armed.status_code < 300, armed.text

        outcome = revoke(listed, api, dry_run=False).set_index("grant_id")
        assert list(outcome.index) == [first, *rest]  # client findings are not grants: left out
        assert outcome.loc[first, "outcome"] == "failed"
        assert "503" in outcome.loc[first, "detail"] or "ServerError" in outcome.loc[first, "detail"]
        assert set(outcome.loc[rest, "outcome"].astype(str)) == {"revoked"}
        assert first in set(api.grants_df(with_clients=False)["id"])  # the failed one is still there to retry
        assert revoke(listed, api, dry_run=False).set_index("grant_id").loc[first, "outcome"] == "revoked"
