"""The sandbox as a careful outside client sees it: RFC details an independent OAuth client or a fuzzer trips on.

Each test pins one rule with its RFC section. Flows are driven with Authlib's client side (``OAuth2Session``,
form bodies, HTTP Basic or client_secret_post) and with plain ``requests`` — never with our own API module.
"""

from __future__ import annotations

import base64
import json
import threading

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from oauth_helpers import (  # several scope names: this module's sandboxes publish CUSTOM_SCOPES
    CUSTOM_SCOPES,
    REDIRECT_URI,
    TIMEOUT,
    api,
    basic,
    consent_page,
    query_of,
    readline_within,
    url,
)
from oauth_helpers import custom_authorize as authorize
from oauth_helpers import custom_create_client as create_client


@pytest.fixture(scope="module")
def sb():
    from telnyx_nb.sandbox.web.server import Sandbox

    with Sandbox(seed="empty", scopes=CUSTOM_SCOPES) as sandbox:
        yield sandbox


@pytest.fixture
def client(sb):
    return create_client(sb)


def token_url(sb) -> str:
    return url(sb, "/oauth/token")


def no_500(response: requests.Response) -> requests.Response:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    assert "Traceback" not in response.text
    return response


def code_for(sb, client: dict, **kwargs) -> tuple[str, str]:
    """Walk authorize → consent page → Allow; returns (code, code_verifier)."""
    response, verifier = authorize(sb, client, state="st", **kwargs)
    decision = consent_page(response).decide(True)
    assert decision.status_code == 303, decision.text[:300]
    return query_of(decision.headers["Location"])["code"], verifier


# --- input a JSON parser accepts but a store cannot hold -------------------------------------------------------

DEEP = "[" * 20_000 + "]" * 20_000  # far past the parser's depth, within the body cap
LONE_SURROGATE = ('{"name": "bad \\ud800 name", "client_type": "public", '
                  '"allowed_grant_types": ["authorization_code"], "allowed_scopes": ["voice"], '
                  '"redirect_uris": ["http://127.0.0.1:9/cb"]}')


@pytest.mark.parametrize("path,auth", [("/oauth_clients", "api"), ("/oauth/token", "client"),
                                       ("/oauth/introspect", "client"), ("/oauth/revoke", "client"),
                                       ("/oauth/register", None), ("/oauth/grants", "api")])
@pytest.mark.parametrize("body", [DEEP, LONE_SURROGATE, '{"token": "\\udfff", "grant_type": "client_credentials"}'],
                         ids=["deeply-nested", "lone-surrogate-name", "lone-surrogate-token"])
def test_json_a_store_cannot_hold_is_a_400_not_a_500(sb, client, path, auth, body):
    headers = {"Content-Type": "application/json"}
    if auth == "api":
        headers["Authorization"] = f"Bearer {sb.api_key}"
    elif auth == "client":
        headers["Authorization"] = basic(client["client_id"], client["client_secret"])
    response = no_500(requests.post(url(sb, path), data=body, headers=headers, timeout=TIMEOUT))
    assert response.status_code == 400, (response.status_code, response.text[:300])
    answer = response.json()
    message = answer.get("error_description") or answer["errors"][0]["detail"]
    assert "JSON" in message


# --- the authorization endpoint with values outside error_description's ASCII ------------------------------------

@pytest.mark.parametrize("value", ["tokén", 'code"', "code\\x", "\u2603"])
def test_an_odd_response_type_goes_back_as_unsupported_response_type(sb, client, value):
    """RFC 6749 §4.1.2.1: the error goes to the verified redirect URI, whatever characters the bad value holds."""
    response, _ = authorize(sb, client, state="st", response_type=value)
    no_500(response)
    assert response.status_code == 302, response.text[:300]
    location = query_of(response.headers["Location"])
    assert location["error"] == "unsupported_response_type"
    assert location["state"] == "st"
    assert value not in location["error_description"]


def test_an_error_redirect_is_no_json_and_never_cached(sb, client):
    """An authorization error goes back by a 302 that, like the success 302, is the browser's (the SDK sends
    ``Accept: text/html`` and expects no JSON): it was labelled application/json with an empty body — not JSON
    (RFC 8259) — and, unlike the success 302, cacheable though its Location carries the client's state."""
    response, _ = authorize(sb, client, state="st", response_type="token")
    assert response.status_code == 302 and "error=" in response.headers["Location"]
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers.get("Cache-Control") == "no-store"


@pytest.mark.parametrize("value", ["http://é.example/cb", 'http://127.0.0.1:9/"cb', "http://127.0.0.1:9/\\"])
def test_an_unregistered_non_ascii_redirect_uri_gets_the_error_page(sb, client, value):
    """Never a redirect to an unregistered URI (§4.1.2.1), and never a 500 for its characters."""
    response, _ = authorize(sb, client, redirect_uri=value)
    no_500(response)
    assert response.status_code == 422  # Telnyx's "Invalid redirect URI", an HTML page
    assert "Location" not in response.headers
    assert "redirect_uri" in response.text


# --- client authentication (RFC 6749 §2.3, §5.2) -----------------------------------------------------------------

def test_basic_and_body_credentials_together_are_refused(sb, client):
    """§2.3: "The client MUST NOT use more than one authentication method in each request"."""
    body = {"grant_type": "client_credentials", "client_id": client["client_id"],
            "client_secret": client["client_secret"]}
    for url_path in ("/oauth/token", "/oauth/introspect", "/oauth/revoke"):
        response = no_500(requests.post(url(sb, url_path), data={**body, "token": "x"},
                                        auth=(client["client_id"], client["client_secret"]), timeout=TIMEOUT))
        assert response.status_code == 400, (url_path, response.text)
        assert response.json()["error"] == "invalid_request"
        assert "not both" in response.json()["error_description"]


def test_basic_with_a_matching_body_client_id_is_fine_and_another_is_refused(sb, client):
    auth = (client["client_id"], client["client_secret"])
    same = requests.post(token_url(sb), data={"grant_type": "client_credentials", "client_id": client["client_id"]},
                         auth=auth, timeout=TIMEOUT)
    assert same.status_code == 200, same.text
    other = requests.post(token_url(sb), data={"grant_type": "client_credentials", "client_id": "someone-else"},
                          auth=auth, timeout=TIMEOUT)
    assert other.status_code == 400 and other.json()["error"] == "invalid_request"


@pytest.mark.parametrize("header", ["Basic " + base64.b64encode(b"\xff\xfe:secret").decode(), "Basic !!!",
                                    "Basic", "basic " + base64.b64encode(b"nobody:nothing").decode()])
def test_failed_basic_authentication_is_401_with_a_challenge(sb, header):
    """§5.2: invalid_client, 401 and WWW-Authenticate when the client tried the Authorization header."""
    response = no_500(requests.post(token_url(sb), data={"grant_type": "client_credentials"},
                                    headers={"Authorization": header}, timeout=TIMEOUT))
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"
    assert response.headers.get("WWW-Authenticate", "").lower().startswith("basic")


# --- an independent RFC client: Authlib's OAuth2Session ----------------------------------------------------------

@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_authlib_client_credentials(sb, client, method):
    with OAuth2Session(client["client_id"], client["client_secret"], token_endpoint_auth_method=method,
                       scope="messaging") as session:
        token = session.fetch_token(token_url(sb), grant_type="client_credentials")
        assert token["token_type"] == "Bearer" and token["scope"] == "messaging"
        introspected = session.introspect_token(url(sb, "/oauth/introspect"), token=token["access_token"]).json()
        assert introspected["active"] is True and introspected["client_id"] == client["client_id"]


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_authlib_code_flow_with_pkce_refresh_revoke(sb, client, method):
    verifier = "v" * 20 + "-._~" + "x" * 40  # RFC 7636 §4.1: 43-128 unreserved characters
    with OAuth2Session(client["client_id"], client["client_secret"], token_endpoint_auth_method=method,
                       scope="messaging voice", redirect_uri=REDIRECT_URI, code_challenge_method="S256") as session:
        authorization_url, state = session.create_authorization_url(url(sb, "/oauth/authorize"),
                                                                    code_verifier=verifier)
        response = requests.get(authorization_url, allow_redirects=False, timeout=TIMEOUT)
        decision = consent_page(response).decide(True)
        assert decision.status_code == 303
        token = session.fetch_token(token_url(sb), authorization_response=decision.headers["Location"],
                                    code_verifier=verifier)
        assert set(token["scope"].split()) == {"messaging", "voice"} and token["refresh_token"]

        refreshed = session.refresh_token(token_url(sb), refresh_token=token["refresh_token"])
        assert refreshed["refresh_token"] != token["refresh_token"]  # rotation
        old = session.introspect_token(url(sb, "/oauth/introspect"), token=token["refresh_token"],
                                       token_type_hint="refresh_token").json()
        assert old == {"active": False}

        revoked = session.revoke_token(url(sb, "/oauth/revoke"), token=refreshed["refresh_token"],
                                       token_type_hint="refresh_token")
        assert revoked.status_code == 200
        for kind in ("access_token", "refresh_token"):  # RFC 7009 §2.1: the refresh token's access token goes too
            answer = session.introspect_token(url(sb, "/oauth/introspect"), token=refreshed[kind]).json()
            assert answer == {"active": False}, kind


def test_a_public_client_with_authlib_and_no_secret(sb):
    public = create_client(sb, client_type="public", allowed_grant_types=["authorization_code", "refresh_token"])
    with OAuth2Session(public["client_id"], token_endpoint_auth_method="none", scope="messaging",
                       redirect_uri=REDIRECT_URI, code_challenge_method="S256") as session:
        verifier = "p" * 64
        authorization_url, _ = session.create_authorization_url(url(sb, "/oauth/authorize"), code_verifier=verifier)
        decision = consent_page(requests.get(authorization_url, allow_redirects=False, timeout=TIMEOUT)).decide(True)
        token = session.fetch_token(token_url(sb), authorization_response=decision.headers["Location"],
                                    code_verifier=verifier)
        assert token["access_token"] and token["refresh_token"]
        renewed = session.refresh_token(token_url(sb), refresh_token=token["refresh_token"])
        assert renewed["access_token"]
        introspection = url(sb, "/oauth/introspect")
        assert session.introspect_token(introspection, token=renewed["access_token"]).json()["active"] is True
        # RFC 7009 §2.1: a public client revokes its own tokens with client_id alone.
        assert session.revoke_token(url(sb, "/oauth/revoke"), token=renewed["refresh_token"]).status_code == 200
        assert session.introspect_token(introspection, token=renewed["access_token"]).json() == {"active": False}


# --- the token endpoint's rules (RFC 6749 §4.1.3, §5.1, §6; RFC 7636 §4.6) ---------------------------------------

def redeem(sb, client, code, verifier, **extra):
    body = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
            "redirect_uri": REDIRECT_URI, **extra}
    return requests.post(token_url(sb), data=body, auth=(client["client_id"], client["client_secret"]),
                         timeout=TIMEOUT)


def refresh(sb, client, refresh_token, scope=None):
    body = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    if scope is not None:
        body["scope"] = scope
    return requests.post(token_url(sb), data=body, auth=(client["client_id"], client["client_secret"]),
                         timeout=TIMEOUT)


def introspect(sb, client, token, **extra):
    return requests.post(url(sb, "/oauth/introspect"), data={"token": token, **extra},
                         auth=(client["client_id"], client["client_secret"]), timeout=TIMEOUT).json()


def test_token_answers_are_never_cached(sb, client):
    """§5.1 and §5.2: Cache-Control: no-store (and Pragma: no-cache) on success and error alike."""
    auth = (client["client_id"], client["client_secret"])
    good = requests.post(token_url(sb), data={"grant_type": "client_credentials"}, auth=auth, timeout=TIMEOUT)
    bad = requests.post(token_url(sb), data={"grant_type": "client_credentials", "scope": "admin"}, auth=auth,
                        timeout=TIMEOUT)
    assert (good.status_code, bad.status_code) == (200, 400)
    for response in (good, bad):
        assert "no-store" in response.headers.get("Cache-Control", "")
        assert response.headers.get("Pragma") == "no-cache"


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/introspect", "/oauth/revoke"])
@pytest.mark.parametrize("refusal", ["repeated parameter", "two authentication methods", "missing parameter"])
def test_errors_refused_before_authlib_are_never_cached_either(sb, client, path, refusal):
    """The rule above held only for the errors Authlib writes: the sandbox's own early refusals (a repeated
    parameter, §3.2; Basic and body credentials together, §2.3; a missing parameter) answered without no-store."""
    body = {"grant_type": "client_credentials", "token": "t"}
    if refusal == "repeated parameter":
        body = [*body.items(), ("scope", "voice"), ("scope", "voice")]
    elif refusal == "two authentication methods":
        body.update(client_id=client["client_id"], client_secret=client["client_secret"])
    else:
        body = {}
    response = requests.post(url(sb, path), data=body, auth=(client["client_id"], client["client_secret"]),
                             timeout=TIMEOUT)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request", response.text
    assert response.headers.get("Cache-Control") == "no-store" and response.headers.get("Pragma") == "no-cache"


def test_redirect_uri_must_repeat_the_authorized_one(sb):
    """§4.1.3: redirect_uri is required at the token endpoint when the authorization request carried it, and
    must be identical."""
    other = "http://127.0.0.1:9/other"
    client = create_client(sb, redirect_uris=[REDIRECT_URI, other])
    for sent in (other, None, REDIRECT_URI + "/"):
        code, verifier = code_for(sb, client)
        response = redeem(sb, client, code, verifier, redirect_uri=sent)
        assert response.status_code == 400 and response.json()["error"] == "invalid_grant", (sent, response.text)
    code, verifier = code_for(sb, client)
    assert redeem(sb, client, code, verifier).status_code == 200


def test_a_code_is_bound_to_its_client_and_its_verifier(sb, client):
    """§4.1.3: another client cannot redeem it; RFC 7636 §4.6: a wrong code_verifier is invalid_grant."""
    intruder = create_client(sb)
    code, verifier = code_for(sb, client)
    stolen = redeem(sb, intruder, code, verifier)
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
    wrong = redeem(sb, client, code, verifier[:-1] + ("A" if verifier[-1] != "A" else "B"))
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    missing = redeem(sb, client, code, None)
    assert missing.status_code == 400 and missing.json()["error"] in ("invalid_grant", "invalid_request")


def test_refresh_narrows_the_access_token_and_keeps_the_grant(sb, client):
    """§6: the requested scope MUST NOT exceed what was originally granted, an omitted one equals it, and a new
    refresh token keeps the scope of the one presented: narrowing once does not lose the rest for good."""
    code, verifier = code_for(sb, client, scope="messaging voice")
    issued = redeem(sb, client, code, verifier).json()
    narrow = refresh(sb, client, issued["refresh_token"], scope="voice")
    assert narrow.status_code == 200 and narrow.json()["scope"] == "voice"
    assert introspect(sb, client, narrow.json()["access_token"])["scope"] == "voice"
    assert set(introspect(sb, client, narrow.json()["refresh_token"])["scope"].split()) == {"messaging", "voice"}

    again = refresh(sb, client, narrow.json()["refresh_token"], scope="messaging voice")
    assert again.status_code == 200, again.text
    assert set(again.json()["scope"].split()) == {"messaging", "voice"}
    omitted = refresh(sb, client, again.json()["refresh_token"])
    assert set(omitted.json()["scope"].split()) == {"messaging", "voice"}

    wider = refresh(sb, client, omitted.json()["refresh_token"], scope="messaging voice numbers:read")
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"
    assert refresh(sb, client, omitted.json()["refresh_token"]).status_code == 200  # the refused try burnt nothing


def test_refresh_never_returns_scopes_the_client_has_lost(sb, client):
    code, verifier = code_for(sb, client, scope="messaging voice")
    issued = redeem(sb, client, code, verifier).json()
    changed = api(sb).put(url(sb, f"/oauth_clients/{client['client_id']}"), json={"allowed_scopes": ["voice"]},
                          timeout=TIMEOUT)
    assert changed.status_code == 200
    refreshed = refresh(sb, client, issued["refresh_token"])
    assert refreshed.status_code == 200 and refreshed.json()["scope"] == "voice"
    claims = introspect(sb, client, refreshed.json()["access_token"])
    assert claims["active"] and claims["scope"] == "voice"
    asked = refresh(sb, client, refreshed.json()["refresh_token"], scope="messaging")
    assert asked.status_code == 400 and asked.json()["error"] == "invalid_scope"


def test_introspection_of_refresh_tokens_and_hints(sb, client):
    """RFC 7662 §2.1: token_type_hint is only a hint; a refresh token introspects as active until rotated."""
    code, verifier = code_for(sb, client)
    issued = redeem(sb, client, code, verifier).json()
    for hint in (None, "refresh_token", "access_token", "no_such_hint"):
        extra = {"token_type_hint": hint} if hint else {}
        answer = introspect(sb, client, issued["refresh_token"], **extra)
        assert answer["active"] is True and answer["client_id"] == client["client_id"], hint
    refresh(sb, client, issued["refresh_token"])
    assert introspect(sb, client, issued["refresh_token"]) == {"active": False}


def test_a_refresh_token_never_introspects_with_its_access_tokens_jti(sb, client):
    """RFC 7662 §2.2 / RFC 7519 §4.1.7: jti identifies one token. The refresh token answered with the jti of the
    access token issued beside it, so a resource server keying revocations or replays on jti took two tokens for
    one; the opaque refresh token has no JWT id and says none."""
    code, verifier = code_for(sb, client)
    issued = redeem(sb, client, code, verifier).json()
    access, refresh_answer = (introspect(sb, client, issued[kind]) for kind in ("access_token", "refresh_token"))
    assert access["active"] and refresh_answer["active"]
    assert access["jti"]
    assert "jti" not in refresh_answer


@pytest.mark.parametrize("caller", ["client Basic", "Bearer API key"])
def test_an_introspection_answer_is_never_cached_whoever_asks(sb, client, caller):
    """An active token's description (scope, subject, expiry) is no more cacheable than the token answer (RFC 6749
    §5.1): the client-authenticated answer said no-store, the official SDK's Bearer-authenticated one did not."""
    issued = requests.post(token_url(sb), data={"grant_type": "client_credentials"},
                           auth=(client["client_id"], client["client_secret"]), timeout=TIMEOUT).json()
    auth = {"auth": (client["client_id"], client["client_secret"])} if caller == "client Basic" else {
        "headers": {"Authorization": f"Bearer {sb.api_key}"}}
    response = requests.post(url(sb, "/oauth/introspect"), data={"token": issued["access_token"]}, timeout=TIMEOUT,
                             **auth)
    assert response.json()["active"] is True
    assert "no-store" in response.headers.get("Cache-Control", "") and response.headers.get("Pragma") == "no-cache"


@pytest.mark.parametrize("token", ["never-issued", "e30.e30.e30", "x" * 5000, "\u00e9\u2603"])
def test_revoking_an_unknown_token_answers_200(sb, client, token):
    """RFC 7009 §2.2: invalid tokens do not cause an error response."""
    response = requests.post(url(sb, "/oauth/revoke"), data={"token": token, "token_type_hint": "refresh_token"},
                             auth=(client["client_id"], client["client_secret"]), timeout=TIMEOUT)
    assert response.status_code == 200, response.text


def test_answers_that_carry_a_client_secret_are_never_cached(sb):
    created = api(sb).post(url(sb, "/oauth_clients"), timeout=TIMEOUT, json={
        "name": "cache probe", "client_type": "confidential", "allowed_grant_types": ["client_credentials"],
        "allowed_scopes": ["voice"]})
    registered = requests.post(url(sb, "/oauth/register"), json={"client_name": "cache probe"}, timeout=TIMEOUT)
    for response in (created, registered):
        assert response.status_code == 201 and "client_secret" in response.text
        assert "no-store" in response.headers.get("Cache-Control", ""), response.url


def test_a_consent_decision_carrying_a_code_is_never_cached(sb, client):
    """The authorization code is a credential like the secret above; the browser's 303 with it said no-store
    (an HTML answer), the API's 200 ``{"redirect_uri": "…?code=…"}`` did not."""
    response, _ = authorize(sb, client, state="st")
    consent_token = query_of(response.headers["Location"])["consent_token"]
    decided = api(sb).post(url(sb, "/oauth/grants"), json={"consent_token": consent_token, "allowed": True},
                           timeout=TIMEOUT)
    assert decided.status_code == 200 and "code=" in decided.json()["redirect_uri"]
    assert decided.headers.get("Cache-Control") == "no-store" and decided.headers.get("Pragma") == "no-cache"


# --- short token lifetimes: expiry on the real clock -------------------------------------------------------------

def _wait_past(moment: int) -> None:
    """Sleep until the wall clock's whole second is past ``moment`` (token times are whole seconds)."""
    import time

    while int(time.time()) <= moment:
        time.sleep(0.05)


def test_short_lifetimes_expire_access_then_refresh_tokens():
    from telnyx_nb.sandbox.web.server import Sandbox

    with Sandbox(seed="empty", access_token_ttl=1, refresh_token_ttl=3, scopes=CUSTOM_SCOPES) as short:
        client = create_client(short)
        code, verifier = code_for(short, client)
        issued = redeem(short, client, code, verifier).json()
        assert issued["expires_in"] == 1
        claims = introspect(short, client, issued["access_token"])
        assert claims["exp"] - claims["iat"] == 1
        refresh_exp = introspect(short, client, issued["refresh_token"])["exp"]
        assert refresh_exp - claims["iat"] == 3

        _wait_past(claims["exp"])
        assert introspect(short, client, issued["access_token"]) == {"active": False}
        refused = api(short, issued["access_token"]).get(url(short, "/oauth_clients"), timeout=TIMEOUT)
        assert refused.status_code == 401
        renewed = refresh(short, client, issued["refresh_token"])
        assert renewed.status_code == 200 and renewed.json()["expires_in"] == 1

        _wait_past(introspect(short, client, renewed.json()["refresh_token"])["exp"])
        late = refresh(short, client, renewed.json()["refresh_token"])
        assert late.status_code == 400 and late.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("ttl", [0, -5, 1.5, "60", True])
def test_a_bad_lifetime_is_refused_by_name(ttl):
    from telnyx_nb.sandbox.web.server import Sandbox

    with pytest.raises(ValueError, match="access_token_ttl"):
        Sandbox(access_token_ttl=ttl)
    with pytest.raises(ValueError, match="refresh_token_ttl"):
        Sandbox(refresh_token_ttl=ttl)


def test_the_cli_takes_token_lifetimes():
    import os
    import signal
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-m", "telnyx_nb.cli", "sandbox", "--port", "0", "--db", ":memory:", "--seed", "demo",
         "--json", "--access-token-ttl", "42", "--refresh-token-ttl", "600"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        line = json.loads(readline_within(process.stdout, 60, what="JSON line from telnyx-nb sandbox --json"))
        response = requests.post(line["base_url"] + "/oauth/token", data={"grant_type": "client_credentials"},
                                 auth=(line["demo_client_id"], line["demo_client_secret"]), timeout=TIMEOUT)
        assert response.status_code == 200 and response.json()["expires_in"] == 42
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        process.stdout.close()
        process.stderr.close()
    bad = subprocess.run([sys.executable, "-m", "telnyx_nb.cli", "sandbox", "--access-token-ttl", "0"],
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "--access-token-ttl" in bad.stderr


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/introspect", "/oauth/revoke"])
def test_a_repeated_parameter_is_invalid_request(sb, client, path):
    """RFC 6749 §3.2: request parameters MUST NOT be included more than once (the server cannot know which)."""
    body = "grant_type=client_credentials&token=x&scope=voice&scope=messaging"
    response = no_500(requests.post(url(sb, path), data=body, auth=(client["client_id"], client["client_secret"]),
                                    headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=TIMEOUT))
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request" and "scope" in response.json()["error_description"]


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/introspect", "/oauth/revoke"])
@pytest.mark.parametrize("body", [b"grant_type=client_credentials&token=x&scope=voic\xe9",  # Latin-1, not UTF-8
                                  b"grant_type=client_credentials&token=x&scope=voic%E9"])
def test_a_form_body_that_is_not_utf8_is_refused_as_such(sb, client, path, body):
    """RFC 6749 Appendix B: a form body is UTF-8. One that is not must be refused for what it is; the whole form
    read as empty ("grant_type is required", though it was sent) or a value kept as its raw %-escape misleads."""
    response = no_500(requests.post(url(sb, path), data=body, auth=(client["client_id"], client["client_secret"]),
                                    headers={"Content-Type": "application/x-www-form-urlencoded; charset=ISO-8859-1"},
                                    timeout=TIMEOUT))
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request" and "UTF-8" in response.json()["error_description"]


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/introspect", "/oauth/revoke"])
def test_a_repeated_json_name_is_invalid_request_like_a_repeated_form_parameter(sb, client, path):
    """RFC 6749 §3.2 holds for the JSON bodies the SDKs send too: with a name twice (RFC 8259 §4: "unpredictable")
    the server silently took the last value where a form with the same parameter twice is refused."""
    body = '{"grant_type": "client_credentials", "token": "x", "scope": "teleport", "scope": "voice"}'
    response = no_500(requests.post(url(sb, path), data=body, auth=(client["client_id"], client["client_secret"]),
                                    headers={"Content-Type": "application/json"}, timeout=TIMEOUT))
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request" and "scope" in response.json()["error_description"]


@pytest.mark.parametrize("path,auth", [("/oauth/token", "client"), ("/oauth_clients", "api"),
                                       ("/oauth/register", None)])
def test_a_content_coded_body_is_415_with_accept_encoding(sb, client, path, auth):
    """RFC 9110 §15.5.16 / §12.5.3: a body in a content coding the server does not decode is a 415 whose
    Accept-Encoding says what it takes; it was read as raw bytes ("not valid JSON: can't decode byte 0x8b")."""
    import gzip

    body = gzip.compress(b'{"grant_type": "client_credentials", "name": "x"}')
    credentials = {"client": {"auth": (client["client_id"], client["client_secret"])},
                   "api": {"headers": {"Authorization": f"Bearer {sb.api_key}"}}, None: {}}[auth]
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip", **credentials.pop("headers", {})}
    response = no_500(requests.post(url(sb, path), data=body, headers=headers, timeout=TIMEOUT, **credentials))
    assert response.status_code == 415, response.text
    assert response.headers.get("Accept-Encoding") == "identity"
    assert "Content-Encoding" in response.json()["error_description"]
    assert response.json()["error"] == ("unsupported_media_type" if path == "/oauth_clients" else "invalid_request")


def test_a_content_coding_header_without_a_body_is_no_refusal(sb):
    """Only a body can be in a content coding: a GET that carries a stray Content-Encoding is served."""
    response = requests.get(url(sb, "/oauth_clients"), timeout=TIMEOUT,
                            headers={"Authorization": f"Bearer {sb.api_key}", "Content-Encoding": "gzip"})
    assert response.status_code == 200, response.text


def test_a_repeated_parameter_at_authorize_is_refused_not_redirected(sb, client):
    """RFC 6749 §3.1: parameters MUST NOT be included more than once; with client_id or redirect_uri twice the
    server cannot trust either, so the user sees an error page."""
    response = requests.get(url(sb, "/oauth/authorize"), allow_redirects=False, timeout=TIMEOUT, params=[
        ("client_id", client["client_id"]), ("client_id", client["client_id"]), ("response_type", "code"),
        ("redirect_uri", REDIRECT_URI), ("code_challenge", "a" * 43), ("code_challenge_method", "S256")])
    assert response.status_code == 400 and "Location" not in response.headers


@pytest.mark.parametrize("client_id", [None, ""])
def test_an_empty_client_id_at_authorize_reads_as_a_missing_one(sb, client_id):
    """RFC 6749 §3.1: a parameter sent without a value is treated as omitted. An empty client_id is a missing
    one (400, say it is required), not a client that "does not exist"."""
    params = {"response_type": "code", "redirect_uri": REDIRECT_URI}
    if client_id is not None:
        params["client_id"] = client_id
    response = requests.get(url(sb, "/oauth/authorize"), params=params, allow_redirects=False, timeout=TIMEOUT)
    assert response.status_code == 400 and "Location" not in response.headers
    assert "client_id" in response.text and "does not exist" not in response.text


@pytest.mark.parametrize("metadata,field", [({"grant_types": ["implicit"]}, "grant_types"),
                                            ({"response_types": ["token"]}, "response_types"),
                                            ({"scope": "messaging nosuch"}, "scope")])
def test_registration_errors_say_what_is_accepted(sb, metadata, field):
    """RFC 7591 §3.2.2 invalid_client_metadata, with a description that names the field and the accepted values."""
    response = requests.post(url(sb, "/oauth/register"), json={"client_name": "x", **metadata}, timeout=TIMEOUT)
    assert response.status_code == 400
    answer = response.json()
    assert answer["error"] == "invalid_client_metadata"
    assert field in answer["error_description"] and "Invalid claim" not in answer["error_description"]


# --- HTTP details: HEAD, OPTIONS, trailing slashes, ids, concurrent updates ----------------------------------------

@pytest.mark.parametrize("path", ["/oauth_clients", "/oauth_grants", "/oauth/jwks",
                                  "/.well-known/oauth-authorization-server", "/openapi.json"])
def test_head_answers_like_get_without_a_body(sb, path):
    """RFC 9110 §9.3.2: HEAD is GET without content: same status and headers."""
    get = api(sb).get(url(sb, path), timeout=TIMEOUT)
    head = api(sb).head(url(sb, path), timeout=TIMEOUT)
    assert (head.status_code, head.content) == (get.status_code, b"")
    assert head.headers["Content-Type"] == get.headers["Content-Type"]


@pytest.mark.parametrize("path,methods", [("/oauth/token", {"POST"}), ("/oauth_clients", {"GET", "POST"}),
                                          ("/oauth_clients/x", {"GET", "PUT", "DELETE"})])
def test_options_lists_the_allowed_methods(sb, path, methods):
    response = requests.options(url(sb, path), timeout=TIMEOUT)
    assert response.status_code in (200, 204)
    assert methods <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_trailing_slashes_reach_the_same_endpoints(sb, client):
    assert api(sb).get(url(sb, "/oauth_clients/"), timeout=TIMEOUT).status_code == 200
    assert api(sb).get(url(sb, f"/oauth_clients/{client['client_id']}/"), timeout=TIMEOUT).status_code == 200
    token = requests.post(url(sb, "/oauth/token/"), data={"grant_type": "client_credentials"},
                          auth=(client["client_id"], client["client_secret"]), timeout=TIMEOUT)
    assert token.status_code == 200
    assert requests.get(sb.root_url + "/.well-known/oauth-authorization-server/", timeout=TIMEOUT).ok


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "%00", "%C0%AF", "a" * 2000, "'; DROP TABLE clients; --",
                                    "%E2%98%83", "..%2F..%2Fetc"])
@pytest.mark.parametrize("collection", ["/oauth_clients", "/oauth_grants", "/oauth/clients"])
def test_ids_that_are_not_uuids_are_a_json_404(sb, collection, bad_id):
    response = no_500(api(sb).get(url(sb, f"{collection}/{bad_id}"), timeout=TIMEOUT))
    assert response.status_code == 404
    assert response.json()["errors"][0]["detail"]


def test_concurrent_updates_of_one_client_never_mix(sb, client):
    """Every PUT applies whole: the final record is exactly one request's (name, allowed_scopes) pair."""
    path = url(sb, f"/oauth_clients/{client['client_id']}")
    variants = {f"variant {i}": sorted(["voice", "messaging", "numbers:read", "admin"][: 1 + i % 4])
                for i in range(16)}
    statuses = []

    def put(name):
        statuses.append(api(sb).put(path, json={"name": name, "allowed_scopes": variants[name]},
                                    timeout=TIMEOUT).status_code)

    threads = [threading.Thread(target=put, args=(name,)) for name in variants]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * len(variants)
    final = api(sb).get(path, timeout=TIMEOUT).json()["data"]
    assert sorted(final["allowed_scopes"]) == variants[final["name"]]


@pytest.mark.parametrize("value", ["Ωmega client ☃", "😀" * 60, "line\u2028sep", "x" * 255])
def test_unusual_but_valid_names_round_trip(sb, value):
    created = create_client(sb, name=value)
    assert created["name"] == value
    fetched = api(sb).get(url(sb, f"/oauth_clients/{created['client_id']}"), timeout=TIMEOUT).json()["data"]
    assert fetched["name"] == value


def test_big_numbers_and_nesting_get_field_errors(sb):
    body = {"name": "n", "client_type": "confidential", "allowed_grant_types": ["client_credentials"],
            "allowed_scopes": ["voice"], "require_pkce": 10 ** 30, "logo_uri": {"nested": [{"deep": [1e308]}]}}
    response = no_500(api(sb).post(url(sb, "/oauth_clients"), json=body, timeout=TIMEOUT))
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"]["pointer"] in ("/require_pkce", "/logo_uri")


# --- discovery as RFC 9728 / RFC 8414 clients compute it ----------------------------------------------------------

def test_protected_resource_metadata_at_the_rfc9728_location(sb):
    """RFC 9728 §3.1/§3.3: for resource http://host:port/v2 the document is at
    /.well-known/oauth-protected-resource/v2 and names exactly that resource."""
    document = requests.get(sb.root_url + "/.well-known/oauth-protected-resource/v2", timeout=TIMEOUT)
    assert document.status_code == 200
    assert document.json()["resource"] == sb.base_url
    issuer = document.json()["authorization_servers"][0]
    metadata = requests.get(issuer + "/.well-known/oauth-authorization-server", timeout=TIMEOUT).json()
    assert metadata["issuer"] == issuer  # RFC 8414 §3.3


def test_a_401_from_the_api_points_at_the_resource_metadata(sb):
    """RFC 9728 §5.1 resource_metadata in the challenge; RFC 6750 §3.1 invalid_token for a refused credential."""
    missing = requests.get(url(sb, "/oauth_clients"), timeout=TIMEOUT)
    wrong = requests.get(url(sb, "/oauth_clients"), headers={"Authorization": "Bearer nope"}, timeout=TIMEOUT)
    assert (missing.status_code, wrong.status_code) == (401, 401)
    for response in (missing, wrong):
        challenge = response.headers["WWW-Authenticate"]
        assert challenge.startswith("Bearer ")
        pointer = challenge.split('resource_metadata="', 1)[1].split('"', 1)[0]
        assert requests.get(pointer, timeout=TIMEOUT).json()["resource"] == sb.base_url
    assert 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]
    assert "error=" not in missing.headers["WWW-Authenticate"]  # RFC 6750 §3.1: no error without a credential


# --- error_description stays within RFC 6749 §5.2's characters ----------------------------------------------------

RFC_DESCRIPTION = __import__("re").compile(r"^[\x20-\x21\x23-\x5B\x5D-\x7E]*$")


@pytest.mark.parametrize("path,body,content_type", [
    ("/oauth/token", '{"grant_type": "client_credentials", "x": "\\q"}', "application/json"),
    ("/oauth/token", '{"gr\u00e4nt": {"a": 1}}', "application/json"),
    ("/oauth/token", '{"grant_type": "\\ud800"}', "application/json"),
    ("/oauth/token", "grant_type=t%C3%B6ken%22", "application/x-www-form-urlencoded"),
    ("/oauth/token", "%C3%A9=1&%C3%A9=2&grant_type=client_credentials", "application/x-www-form-urlencoded"),
    ("/oauth/introspect", '{"t\u00f6ken": ["x"]}', "application/json"),
    ("/oauth/register", '{"grant_types": ["\u00e9\\"x"]}', "application/json"),
    ("/oauth/register", '{"scope": "messaging \u2603"}', "application/json"),
])
def test_error_descriptions_hold_only_the_allowed_characters(sb, client, path, body, content_type):
    headers = {"Content-Type": content_type}
    if path != "/oauth/register":
        headers["Authorization"] = basic(client["client_id"], client["client_secret"])
    response = no_500(requests.post(url(sb, path), data=body.encode(), headers=headers, timeout=TIMEOUT))
    assert response.status_code in (400, 401)
    description = response.json()["error_description"]
    assert description and RFC_DESCRIPTION.match(description), description


@pytest.mark.parametrize("value", [12345, 1.5, True, {"a": 1}, ["x"]])
@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/introspect", "/oauth/revoke"])
def test_json_parameters_must_be_strings(sb, client, path, value):
    """The OpenAPI document says string; a client sending a number or object gets told, not a silent str()."""
    body = {"grant_type": "client_credentials", "token": value} if path != "/oauth/token" else {"grant_type": value}
    response = no_500(requests.post(url(sb, path), json=body, timeout=TIMEOUT,
                                    auth=(client["client_id"], client["client_secret"])))
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert "must be a string" in response.json()["error_description"]


@pytest.mark.parametrize("empty", ["client_secret", "client_id", "scope"])
@pytest.mark.parametrize("encoding", ["form", "json"])
def test_an_empty_parameter_counts_as_omitted(sb, client, empty, encoding):
    """RFC 6749 §3.2: "Parameters sent without a value MUST be treated as if they were omitted" — so an empty
    client_secret next to HTTP Basic is not a second authentication method."""
    body = {"grant_type": "client_credentials", empty: ""}
    sent = {"data": body} if encoding == "form" else {"json": body}
    response = requests.post(token_url(sb), auth=(client["client_id"], client["client_secret"]), timeout=TIMEOUT,
                             **sent)
    assert response.status_code == 200, response.text
    assert set(response.json()["scope"].split()) == set(client["allowed_scopes"])
