"""What the store's claims and revocations (``telnyx_nb/sandbox/store/database.py``) mean to a user, over HTTP: a consent
link's lifetime to the second, what revoking a grant or deleting a client does to codes and links still in flight,
and how a new consent after a revocation starts a new grant instead of reviving the old one."""

from __future__ import annotations

import pytest
import requests
from oauth_helpers import (
    CUSTOM_SCOPES,
    TIMEOUT,
    all_pages,
    api,
    authorize,
    basic,
    consent_page,
    create_client,
    introspect,
    obtain_code,
    query_of,
    redeem,
    token,
    url,
)

CONSENT_TTL = 600  # seconds; expiry is reached with sb.clock.advance


@pytest.fixture
def sb(make_sandbox):
    return make_sandbox(seed="empty", consent_ttl=CONSENT_TTL, scopes=CUSTOM_SCOPES)  # several names: custom


def _consent_token(sb, client, scope="admin") -> str:
    response, _ = authorize(sb, client, scope=scope, state="s")
    assert response.status_code == 302, response.text[:300]
    return query_of(response.headers["Location"])["consent_token"]


def _grants(sb, client) -> list[dict]:
    return [g for g in all_pages(sb, "/oauth_grants") if g["client_id"] == client["client_id"]]


def test_a_consent_link_is_dead_from_its_expiry_second(sb):
    client = create_client(sb)
    consent_token = _consent_token(sb, client)
    sb.clock.advance(CONSENT_TTL)
    looked_up = api(sb).get(url(sb, f"/oauth/consent/{consent_token}"), timeout=TIMEOUT)
    assert looked_up.status_code == 422, looked_up.text
    decided = api(sb).post(url(sb, "/oauth/grants"), json={"consent_token": consent_token, "allowed": True},
                           timeout=TIMEOUT)
    assert 400 <= decided.status_code < 500 and "redirect_uri" not in decided.json()
    assert _grants(sb, client) == []


def test_a_consent_link_works_well_within_its_lifetime(sb):
    client = create_client(sb)
    consent_token = _consent_token(sb, client)
    sb.clock.advance(CONSENT_TTL // 2)
    looked_up = api(sb).get(url(sb, f"/oauth/consent/{consent_token}"), timeout=TIMEOUT)
    assert looked_up.status_code == 200, looked_up.text
    assert looked_up.json()["data"]["client_id"] == client["client_id"]


def test_a_code_issued_under_a_grant_revoked_before_redemption_is_refused(sb):
    """Revoking a grant ends what it has not yet issued, too: no token, not even a dead one, comes back."""
    client = create_client(sb)
    code, verifier = obtain_code(sb, client)
    [grant] = _grants(sb, client)
    assert api(sb).delete(url(sb, f"/oauth_grants/{grant['id']}"), timeout=TIMEOUT).status_code == 200
    refused = redeem(sb, client, code, verifier)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_a_consent_after_a_revocation_starts_a_new_grant_with_only_the_new_scopes(sb):
    client = create_client(sb, allowed_scopes=list(CUSTOM_SCOPES))
    code, verifier = obtain_code(sb, client, scope="messaging voice")
    assert redeem(sb, client, code, verifier).status_code == 200
    [old] = _grants(sb, client)
    assert api(sb).delete(url(sb, f"/oauth_grants/{old['id']}"), timeout=TIMEOUT).status_code == 200
    code, verifier = obtain_code(sb, client, scope="numbers:read")
    issued = redeem(sb, client, code, verifier)
    assert issued.status_code == 200, issued.text
    [new] = _grants(sb, client)
    assert new["id"] != old["id"] and new["scopes"] == ["numbers:read"]
    assert introspect(sb, issued.json()["access_token"])["grant_id"] == new["id"]


def test_consenting_again_adds_only_the_scopes_the_grant_lacks_in_the_order_asked(sb):
    client = create_client(sb, allowed_scopes=list(CUSTOM_SCOPES))
    obtain_code(sb, client, scope="voice")
    obtain_code(sb, client, scope="messaging voice numbers:read")
    [grant] = _grants(sb, client)
    assert grant["scopes"] == ["voice", "messaging", "numbers:read"]


def test_deleting_a_client_ends_its_pending_consent_links(sb):
    client = create_client(sb)
    consent_token = _consent_token(sb, client)
    assert api(sb).delete(url(sb, f"/oauth_clients/{client['client_id']}"), timeout=TIMEOUT).status_code == 204
    looked_up = api(sb).get(url(sb, f"/oauth/consent/{consent_token}"), timeout=TIMEOUT)
    assert looked_up.status_code == 422, looked_up.text


def test_deleting_one_client_leaves_another_clients_consent_links_and_grants(sb):
    doomed, kept = create_client(sb), create_client(sb)
    code, verifier = obtain_code(sb, kept)
    kept_tokens = redeem(sb, kept, code, verifier).json()
    pending = _consent_token(sb, kept)
    assert api(sb).delete(url(sb, f"/oauth_clients/{doomed['client_id']}"), timeout=TIMEOUT).status_code == 204
    assert api(sb).get(url(sb, f"/oauth/consent/{pending}"), timeout=TIMEOUT).status_code == 200
    assert len(_grants(sb, kept)) == 1
    assert introspect(sb, kept_tokens["access_token"])["active"] is True


@pytest.mark.parametrize("secret", ["", "x"])
def test_a_wrong_or_empty_client_secret_never_authenticates(sb, secret):
    client = create_client(sb)
    refused = token(sb, {**client, "client_secret": secret}, auth="post", grant_type="client_credentials")
    assert refused.status_code in (400, 401) and refused.json()["error"] == "invalid_client"
    headers = {"Authorization": basic(client["client_id"], secret)}
    refused = requests.post(url(sb, "/oauth/token"), data={"grant_type": "client_credentials"}, headers=headers,
                            timeout=TIMEOUT)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"


def test_a_consent_page_is_shown_once_decided_no_more(sb):
    client = create_client(sb)
    response, _ = authorize(sb, client, state="s")
    page = consent_page(response)
    page.decide(allow=True)
    looked_up = api(sb).get(url(sb, f"/oauth/consent/{page.consent_token}"), timeout=TIMEOUT)
    assert looked_up.status_code == 422
