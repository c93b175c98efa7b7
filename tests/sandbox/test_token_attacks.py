"""RFC 9700 token hardening over HTTP: refresh-token reuse, revocation of a family, code replay by another
client, RFC 9207 ``iss`` (server and client). Loopback redirect ports (RFC 8252 §7.3): test_redirect_uri_rules.py."""

from __future__ import annotations

import threading

import pytest
import requests
from caller_helpers import introspect_as, token_request, user_code, user_tokens
from oauth_helpers import TIMEOUT, api, authorize, basic, create_client, demo_client, query_of, url

from telnyx_nb import TelnyxOAuth
from telnyx_nb.core.errors import IssuerMismatch
from telnyx_nb.sandbox.store.demo import DEMO_REDIRECT_URIS

REDIRECT = DEMO_REDIRECT_URIS[0]  # the demo client's registered redirect (the Authorize panel's listener)


def _refresh(sb, client, refresh_token) -> requests.Response:
    return token_request(sb, client, grant_type="refresh_token", refresh_token=refresh_token)


def _active(sb, token) -> bool:
    return introspect_as(sb, token, bearer=sb.api_key)["active"]


def test_a_stolen_refresh_token_replayed_after_rotation_revokes_the_whole_family(make_sandbox):
    """RFC 9700 §4.14.2: the thief's replay (or the victim's, whichever comes second) ends every token of the
    family, the rotated-in refresh token and the access tokens issued from it included."""
    sb = make_sandbox(refresh_reuse_grace=0)
    demo = demo_client(sb)
    first = user_tokens(sb, demo, "admin")
    second = _refresh(sb, demo, first["refresh_token"]).json()
    assert _active(sb, second["access_token"]) and _active(sb, second["refresh_token"])
    replay = _refresh(sb, demo, first["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    for token in (first["access_token"], second["access_token"], second["refresh_token"]):
        assert not _active(sb, token)
    assert _refresh(sb, demo, second["refresh_token"]).status_code == 400


def test_a_reuse_does_not_touch_other_families_of_the_same_user(make_sandbox):
    sb = make_sandbox(refresh_reuse_grace=0)
    demo = demo_client(sb)
    victim, bystander = user_tokens(sb, demo, "admin"), user_tokens(sb, demo, "admin")
    _refresh(sb, demo, victim["refresh_token"])
    _refresh(sb, demo, victim["refresh_token"])
    assert _active(sb, bystander["access_token"]) and _active(sb, bystander["refresh_token"])


def test_concurrent_refreshes_of_one_token_do_not_poison_the_family(make_sandbox):
    """Two tabs refreshing at once: exactly one wins; the loser is refused but the winner's tokens live."""
    sb = make_sandbox(refresh_reuse_grace=10)  # a grace window: racers are not reusers
    demo = demo_client(sb)
    pair = user_tokens(sb, demo, "admin")
    barrier, answers = threading.Barrier(8), []

    def racer():
        barrier.wait()
        answers.append(_refresh(sb, demo, pair["refresh_token"]))

    threads = [threading.Thread(target=racer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [a.json() for a in answers if a.status_code == 200]
    assert len(winners) == 1, [a.text for a in answers]
    assert all(a.json()["error"] == "invalid_grant" for a in answers if a.status_code != 200)
    assert _active(sb, winners[0]["access_token"]) and _active(sb, winners[0]["refresh_token"])
    assert _refresh(sb, demo, winners[0]["refresh_token"]).status_code == 200


def test_another_client_presenting_a_spent_refresh_token_revokes_nothing(make_sandbox):
    sb = make_sandbox(refresh_reuse_grace=0)
    demo, other = demo_client(sb), create_client(sb)
    first = user_tokens(sb, demo, "admin")
    second = _refresh(sb, demo, first["refresh_token"]).json()
    assert _refresh(sb, other, first["refresh_token"]).status_code == 400
    assert _active(sb, second["refresh_token"])


def test_revoking_a_refresh_token_ends_the_access_tokens_of_its_family(make_sandbox):
    """RFC 7009 §2.1: logging out with the refresh token must not leave its access tokens usable."""
    sb = make_sandbox()
    demo = demo_client(sb)
    first = user_tokens(sb, demo, "admin")
    second = _refresh(sb, demo, first["refresh_token"]).json()
    revoked = requests.post(url(sb, "/oauth/revoke"), data={"token": second["refresh_token"]}, timeout=TIMEOUT,
                            headers={"Authorization": basic(demo["client_id"], demo["client_secret"])})
    assert revoked.status_code == 200
    for token in (first["access_token"], second["access_token"], second["refresh_token"]):
        assert not _active(sb, token)


def test_a_spent_code_replayed_by_another_client_leaves_the_owners_tokens_alone(make_sandbox):
    """Anyone who saw a spent code (a log, a Referer) must not be able to log the user out with it."""
    sb = make_sandbox()
    demo, other = demo_client(sb), create_client(sb, redirect_uris=[REDIRECT])
    code, verifier, _ = user_code(sb, demo, "admin")
    owner = token_request(sb, demo, grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
                          code_verifier=verifier).json()
    replay = token_request(sb, other, grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
                           code_verifier=verifier)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert _active(sb, owner["access_token"]) and _active(sb, owner["refresh_token"])
    # the owner replaying its own code still revokes what the code issued (RFC 6749 §4.1.2)
    token_request(sb, demo, grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
                  code_verifier=verifier)
    assert not _active(sb, owner["access_token"])


def test_every_authorization_response_names_the_issuer(make_sandbox):
    """RFC 9207 §2: code, denial and error redirects all carry iss; the metadata says so."""
    sb = make_sandbox()
    demo = demo_client(sb)
    metadata = requests.get(sb.root_url + "/.well-known/oauth-authorization-server", timeout=TIMEOUT).json()
    assert metadata["authorization_response_iss_parameter_supported"] is True
    _, _, success = user_code(sb, demo, "admin")
    assert query_of(success)["iss"] == metadata["issuer"] == sb.root_url
    response, _ = authorize(sb, demo, scope="admin", redirect_uri=REDIRECT)
    token = query_of(response.headers["Location"])["consent_token"]
    denied = api(sb).post(url(sb, "/oauth/grants"), json={"consent_token": token, "allowed": False},
                          timeout=TIMEOUT).json()["redirect_uri"]
    assert query_of(denied)["error"] == "access_denied" and query_of(denied)["iss"] == sb.root_url
    error, _ = authorize(sb, demo, scope="not-a-scope", redirect_uri=REDIRECT)
    assert error.status_code == 302 and query_of(error.headers["Location"])["iss"] == sb.root_url


def test_the_client_refuses_a_redirect_from_another_issuer(make_sandbox):
    """Mix-up attack: a code that another authorization server sent back must not be redeemed here."""
    sb = make_sandbox()
    with TelnyxOAuth.from_sandbox(sb) as oauth:
        request = oauth.authorization_url(sb.demo_client_id, REDIRECT, "admin")
        good = oauth.decide_consent(oauth.begin_authorization(request), True)
        assert oauth.parse_redirect(good, request.state) == query_of(good)["code"]
        forged = good.replace(requests.utils.quote(sb.root_url, safe=""), "https%3A%2F%2Fevil.example")
        assert "evil.example" in forged
        with pytest.raises(IssuerMismatch):
            oauth.parse_redirect(forged, request.state)
        slashed = good.replace(requests.utils.quote(sb.root_url, safe=""),
                               requests.utils.quote(sb.root_url + "/", safe=""))
        with pytest.raises(IssuerMismatch):  # RFC 9207 §2.4: simple string comparison, no normalising
            oauth.parse_redirect(slashed, request.state)
        without_iss = "&".join(p for p in good.split("&") if not p.startswith("iss="))
        with pytest.raises(IssuerMismatch):  # the server promised iss: a response without it is not its own
            oauth.parse_redirect(without_iss, request.state)
