"""The rules the sandbox's grants enforce (``telnyx_nb/sandbox/protocol/grant_types.py``), over HTTP, one behaviour per test.

PKCE demanded at the authorization endpoint (RFC 7636 §4.4.1), the redirect_uri rules of RFC 6749 §3.1.2.3 and
§4.1.3, what a code and a refresh token carry into the tokens they buy (user, grant, scope: RFC 6749 §4.1.2, §6),
who may burn a code, and RFC 9700 §4.14.2 refresh-token reuse inside and past the grace window. Expiry is moved
with the sandbox's own clock (``sb.clock.advance``), never by sleeping or patching time.
"""

from __future__ import annotations

import html

import pytest
import requests
from oauth_helpers import (  # several scope names: this module's sandboxes publish CUSTOM_SCOPES
    CUSTOM_SCOPES,
    REDIRECT_URI,
    TIMEOUT,
    all_pages,
    api,
    basic,
    claims_of,
    consent_page,
    introspect,
    query_of,
    race,
    redeem,
    redirect_of,
    refresh,
    token,
    url,
)
from oauth_helpers import custom_authorize as authorize
from oauth_helpers import custom_create_client as create_client
from oauth_helpers import custom_obtain_code as obtain_code

PKCE_REQUIRED = ("This client requires PKCE: send 'code_challenge' and 'code_challenge_method=S256' "
                 "(RFC 7636 section 4.4.1).")
NOT_REGISTERED = "is not one of the client's registered redirect_uris (exact match, RFC 6749 section 3.1.2.3)."
# what a refused code or refresh token is told: the lookup's answer, or the claim's when a racer got there first
CODE_REFUSALS = {"Invalid 'code' in request.", "The authorization code was already used or has expired."}
REFRESH_REFUSED = "The code or refresh token is invalid, expired, revoked or was issued to another client."
REFRESH_REFUSALS = {REFRESH_REFUSED, "The refresh token was already used, revoked or has expired."}
CODE_TTL, ACCESS_TTL, REFRESH_TTL = 600, 3600, 86400  # seconds; expiry is reached with sb.clock.advance


@pytest.fixture
def sb(make_sandbox):
    return make_sandbox(seed="empty", code_ttl=CODE_TTL, access_token_ttl=ACCESS_TTL, refresh_token_ttl=REFRESH_TTL,
                        scopes=CUSTOM_SCOPES)


def _user_tokens(sb, client, scope="messaging"):
    code, verifier = obtain_code(sb, client, scope=scope)
    issued = redeem(sb, client, code, verifier)
    assert issued.status_code == 200, issued.text
    return issued.json()


def _set_scopes(sb, client, scopes):
    api(sb).put(url(sb, f"/oauth_clients/{client['client_id']}"), json={"allowed_scopes": scopes},
                timeout=TIMEOUT).raise_for_status()


def _active(sb, value) -> bool:
    return introspect(sb, value)["active"]


def _revoke(sb, client, value):
    response = requests.post(url(sb, "/oauth/revoke"), data={"token": value}, timeout=TIMEOUT,
                             headers={"Authorization": basic(client["client_id"], client["client_secret"])})
    assert response.status_code == 200, response.text


# --- PKCE at the authorization endpoint ------------------------------------------------------------------------

@pytest.mark.parametrize("kind,require_pkce", [("public", False), ("confidential", True)])
def test_authorize_without_a_code_challenge_is_refused_for_public_and_pkce_requiring_clients(sb, kind, require_pkce):
    """Every public client needs PKCE even when its require_pkce flag is off, and so does a confidential client
    that set it; the error goes back to the client and says what to send."""
    client = create_client(sb, client_type=kind, require_pkce=require_pkce,
                           allowed_grant_types=["authorization_code", "refresh_token"])
    response, _ = authorize(sb, client, pkce=None, state="s")
    assert response.status_code == 302, response.text[:300]
    params = query_of(response.headers["Location"])
    assert params["error"] == "invalid_request" and params["error_description"] == PKCE_REQUIRED
    assert "code" not in params and "consent_token" not in params


def test_a_public_client_with_a_code_challenge_reaches_the_consent_page(sb):
    client = create_client(sb, client_type="public", require_pkce=False,
                           allowed_grant_types=["authorization_code", "refresh_token"])
    response, _ = authorize(sb, client, state="s")
    assert consent_page(response).consent_token


# --- redirect_uri ---------------------------------------------------------------------------------------------

def _error_page_detail(response) -> str:
    assert 400 <= response.status_code < 500 and "Location" not in response.headers, response.status_code
    return html.unescape(response.text)


def test_an_unregistered_redirect_uri_is_named_on_the_error_page(sb):
    client = create_client(sb)
    response, _ = authorize(sb, client, redirect_uri="https://evil.example/cb", state="s")
    assert f"redirect_uri https://evil.example/cb {NOT_REGISTERED}" in _error_page_detail(response)


def test_an_unregistered_redirect_uri_that_error_description_cannot_hold_is_left_out_of_the_message(sb):
    """RFC 6749 §4.1.2.1 limits error_description's characters (no '"' or '\\'): such a URI is not quoted, and
    the answer is still the 400 error page, not a server error."""
    client = create_client(sb)
    response, _ = authorize(sb, client, redirect_uri='https://evil.example/"cb\\', state="s")
    detail = _error_page_detail(response)
    assert f"redirect_uri {NOT_REGISTERED}" in detail
    assert "evil.example" not in detail


def test_a_client_with_one_registered_redirect_uri_may_leave_it_out_of_authorize_and_token(sb):
    """RFC 6749 §3.1.2.3 / §4.1.3: the single registered URI is used, and redirect_uri is then not required
    when the code is redeemed."""
    client = create_client(sb)
    response, verifier = authorize(sb, client, redirect_uri=None, state="s")
    location = redirect_of(consent_page(response).decide(allow=True))
    assert location.startswith(REDIRECT_URI + "?")
    code = query_of(location)["code"]
    issued = token(sb, client, grant_type="authorization_code", code=code, code_verifier=verifier)
    assert issued.status_code == 200, issued.text


# --- what a code carries into its tokens ----------------------------------------------------------------------

def test_tokens_from_a_code_and_from_its_refreshes_name_the_user_and_the_grant(sb):
    """Every access token of the family says, in its own claims (RFC 9068 §2.2, for a resource server that
    verifies it locally) and through introspection (RFC 7662 §2.2), the consenting user and the grant; so
    revoking the grant ends all of them."""
    client = create_client(sb)
    first = _user_tokens(sb, client)
    second = refresh(sb, client, first["refresh_token"]).json()
    third = refresh(sb, client, second["refresh_token"]).json()
    [grant] = [g for g in all_pages(sb, "/oauth_grants") if g["client_id"] == client["client_id"]]
    for value in (first["access_token"], second["access_token"], third["access_token"], third["refresh_token"]):
        described = introspect(sb, value)
        assert described["active"] is True
        assert (described["sub"], described["grant_id"]) == (grant["user_id"], grant["id"])
    for value in (first["access_token"], second["access_token"], third["access_token"]):
        claims = claims_of(value)
        assert (claims["sub"], claims["grant_id"]) == (grant["user_id"], grant["id"])
    assert api(sb).delete(url(sb, f"/oauth_grants/{grant['id']}"), timeout=TIMEOUT).status_code == 200
    assert not _active(sb, third["access_token"]) and not _active(sb, third["refresh_token"])


def test_scopes_the_client_lost_after_consent_are_not_issued_with_the_code(sb):
    client = create_client(sb)
    code, verifier = obtain_code(sb, client, scope="messaging voice")
    _set_scopes(sb, client, ["voice", "numbers:read"])
    issued = redeem(sb, client, code, verifier)
    assert issued.status_code == 200, issued.text
    assert issued.json()["scope"] == "voice"
    assert introspect(sb, issued.json()["access_token"])["scope"] == "voice"


def test_a_code_whose_scopes_were_all_taken_from_the_client_is_refused(sb):
    client = create_client(sb)
    code, verifier = obtain_code(sb, client, scope="messaging")
    _set_scopes(sb, client, ["voice"])
    refused = redeem(sb, client, code, verifier)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_another_client_presenting_a_code_does_not_burn_it_for_its_owner(sb):
    """A client that learned a code (same redirect URI and verifier, say) is refused, and the owner can still
    redeem it: the other client's attempt changes nothing."""
    owner, other = create_client(sb), create_client(sb)
    code, verifier = obtain_code(sb, owner)
    stolen = redeem(sb, other, code, verifier)
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
    assert redeem(sb, owner, code, verifier).status_code == 200


def test_a_code_is_refused_from_its_expiry_second(sb):
    client = create_client(sb)
    code, verifier = obtain_code(sb, client)
    sb.clock.advance(CODE_TTL)
    late = redeem(sb, client, code, verifier)
    assert late.status_code == 400
    assert late.json() == {"error": "invalid_grant", "error_description": "Invalid 'code' in request."}


def _one_winner(answers, refusals) -> None:
    """Exactly one racer got 200; every other one ``invalid_grant`` with one of ``refusals`` as its reason."""
    assert sorted(a.status_code for a in answers) == [200] + [400] * (len(answers) - 1)
    for loser in (a.json() for a in answers if a.status_code != 200):
        assert loser["error"] == "invalid_grant" and loser["error_description"] in refusals, loser


def test_the_losers_of_a_race_for_one_code_are_told_it_was_used(sb):
    client = create_client(sb)
    code, verifier = obtain_code(sb, client)
    answers = race(lambda: redeem(sb, client, code, verifier))
    _one_winner(answers, CODE_REFUSALS)


# --- refresh tokens ---------------------------------------------------------------------------------------------

def test_a_refresh_without_scope_gets_everything_granted_even_after_a_narrower_refresh(sb):
    """RFC 6749 §6: an omitted scope means the scope originally granted; a narrower refresh narrows only the
    access token it buys."""
    client = create_client(sb)
    first = _user_tokens(sb, client, scope="messaging voice")
    narrow = token(sb, client, grant_type="refresh_token", refresh_token=first["refresh_token"], scope="voice")
    assert narrow.status_code == 200 and narrow.json()["scope"] == "voice"
    full = refresh(sb, client, narrow.json()["refresh_token"])
    assert full.status_code == 200, full.text
    assert full.json()["scope"] == "messaging voice"
    assert introspect(sb, full.json()["access_token"])["scope"] == "messaging voice"


def test_scopes_the_client_lost_are_dropped_from_a_refresh(sb):
    client = create_client(sb)
    first = _user_tokens(sb, client, scope="messaging voice")
    _set_scopes(sb, client, ["voice"])
    renewed = refresh(sb, client, first["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["scope"] == "voice"


def test_a_refresh_refused_because_every_scope_was_lost_leaves_the_token_usable(sb):
    client = create_client(sb)
    first = _user_tokens(sb, client, scope="messaging")
    _set_scopes(sb, client, ["voice"])
    refused = refresh(sb, client, first["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"
    _set_scopes(sb, client, ["messaging", "voice"])
    again = refresh(sb, client, first["refresh_token"])
    assert again.status_code == 200, again.text
    assert again.json()["scope"] == "messaging"


def test_a_refresh_token_outlives_its_access_token(sb):
    client = create_client(sb)
    first = _user_tokens(sb, client)
    sb.clock.advance(ACCESS_TTL + 1)
    assert not _active(sb, first["access_token"])
    renewed = refresh(sb, client, first["refresh_token"])
    assert renewed.status_code == 200, renewed.text


def test_a_refresh_token_is_refused_from_its_expiry_second_on_the_sandbox_clock(sb):
    client = create_client(sb)
    first = _user_tokens(sb, client)
    sb.clock.advance(REFRESH_TTL)
    late = refresh(sb, client, first["refresh_token"])
    assert late.status_code == 400
    assert late.json() == {"error": "invalid_grant", "error_description": REFRESH_REFUSED}


def test_the_losers_of_a_race_for_one_refresh_token_are_told_it_was_used(sb):
    client = create_client(sb)
    first = _user_tokens(sb, client)
    answers = race(lambda: refresh(sb, client, first["refresh_token"]))
    _one_winner(answers, REFRESH_REFUSALS)


# --- refresh-token reuse (RFC 9700 §4.14.2) -----------------------------------------------------------------

def test_replaying_a_later_generation_refresh_token_revokes_the_whole_family(make_sandbox):
    """Reuse is detected for every rotated-out token, not only the code's first one: the family goes, from the
    first access token to the newest refresh token."""
    sb = make_sandbox(seed="empty", refresh_reuse_grace=0, scopes=CUSTOM_SCOPES)
    client = create_client(sb)
    first = _user_tokens(sb, client)
    second = refresh(sb, client, first["refresh_token"]).json()
    third = refresh(sb, client, second["refresh_token"]).json()
    replay = refresh(sb, client, second["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    for value in (first["access_token"], second["access_token"], third["access_token"], third["refresh_token"]):
        assert not _active(sb, value)


def test_a_replay_within_the_grace_window_is_refused_but_revokes_nothing(make_sandbox):
    sb = make_sandbox(seed="empty", refresh_reuse_grace=30, scopes=CUSTOM_SCOPES)
    client = create_client(sb)
    first = _user_tokens(sb, client)
    second = refresh(sb, client, first["refresh_token"]).json()
    replay = refresh(sb, client, first["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert _active(sb, second["access_token"]) and _active(sb, second["refresh_token"])
    assert refresh(sb, client, second["refresh_token"]).status_code == 200


def test_a_replay_after_the_grace_window_revokes_the_family(make_sandbox):
    sb = make_sandbox(seed="empty", refresh_reuse_grace=30, scopes=CUSTOM_SCOPES)
    client = create_client(sb)
    first = _user_tokens(sb, client)
    second = refresh(sb, client, first["refresh_token"]).json()
    sb.clock.advance(31)
    assert refresh(sb, client, first["refresh_token"]).status_code == 400
    assert not _active(sb, second["access_token"]) and not _active(sb, second["refresh_token"])


def test_presenting_the_refresh_token_of_a_revoked_access_token_revokes_nothing_else(make_sandbox):
    """Revoking one access token ends its pair's refresh token too; presenting that dead refresh token is not a
    reuse (it was never redeemed), so the family's other tokens live on."""
    sb = make_sandbox(seed="empty", refresh_reuse_grace=0, scopes=CUSTOM_SCOPES)
    client = create_client(sb)
    first = _user_tokens(sb, client)
    second = refresh(sb, client, first["refresh_token"]).json()
    _revoke(sb, client, second["access_token"])
    refused = refresh(sb, client, second["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert _active(sb, first["access_token"])


def test_by_default_any_reuse_of_a_rotated_out_refresh_token_revokes_the_family(make_sandbox):
    """The default is strict (RFC 9700 §4.14.2): the rotated-out token coming back one second after its
    redemption ends the family, so a thief who redeemed a stolen token first cannot keep refreshing. Uses the
    sandbox's default grace on purpose: a change of the default (to any grace ≥ 1 s) fails here."""
    sb = make_sandbox(seed="empty", scopes=CUSTOM_SCOPES)  # this module's catalog; the grace stays the default
    client = create_client(sb)
    first = _user_tokens(sb, client)
    thief = refresh(sb, client, first["refresh_token"]).json()
    sb.clock.advance(1)
    victim = refresh(sb, client, first["refresh_token"])
    assert victim.status_code == 400 and victim.json()["error"] == "invalid_grant"
    assert not _active(sb, thief["access_token"]) and not _active(sb, thief["refresh_token"])
    assert refresh(sb, client, thief["refresh_token"]).status_code == 400


def _lose_the_claim_to_a_racer(sb, monkeypatch):
    """Between this request's lookup of its refresh token and its claim, a racing request claims the token first:
    the interleaving a real race only sometimes produces, made certain."""
    claim = sb.store.claim_refresh

    def racer_claims_first(refresh_token, client_id):
        monkeypatch.setattr(sb.store, "claim_refresh", claim)
        assert claim(refresh_token, client_id) is not None  # the racer wins
        return claim(refresh_token, client_id)  # this request loses

    monkeypatch.setattr(sb.store, "claim_refresh", racer_claims_first)


def test_by_default_the_loser_of_a_refresh_race_is_a_reuse_and_the_family_is_revoked(make_sandbox, monkeypatch):
    """RFC 9700 §4.14.2 draws no line between a spent token presented during its redemption and one presented a
    second later: under the strict default both end the family, or racing the rightful holder would slip past
    reuse detection."""
    sb = make_sandbox(seed="empty", scopes=CUSTOM_SCOPES)
    client = create_client(sb)
    first = _user_tokens(sb, client)
    _lose_the_claim_to_a_racer(sb, monkeypatch)
    lost = refresh(sb, client, first["refresh_token"])
    assert lost.status_code == 400 and lost.json()["error"] == "invalid_grant"
    assert lost.json()["error_description"] == "The refresh token was already used, revoked or has expired."
    assert not _active(sb, first["access_token"])


def test_with_a_grace_window_the_loser_of_a_refresh_race_revokes_nothing(make_sandbox, monkeypatch):
    sb = make_sandbox(seed="empty", refresh_reuse_grace=10, scopes=CUSTOM_SCOPES)
    client = create_client(sb)
    first = _user_tokens(sb, client)
    _lose_the_claim_to_a_racer(sb, monkeypatch)
    lost = refresh(sb, client, first["refresh_token"])
    assert lost.status_code == 400 and lost.json()["error"] == "invalid_grant"
    assert _active(sb, first["access_token"])
