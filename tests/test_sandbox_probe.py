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

from oauth_helpers import (REDIRECT_URI, TIMEOUT, api, authorize, basic, consent_page, create_client, query_of,
                           url)


@pytest.fixture(scope="module")
def sb():
    from telnyx_nb.sandbox.server import Sandbox

    with Sandbox(seed="empty") as sandbox:
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

DEEP = "[" * 50_000 + "]" * 50_000
LONE_SURROGATE = '{"name": "bad \\ud800 name", "client_type": "public", "allowed_grant_types": ["authorization_code"],' \
                 ' "allowed_scopes": ["voice"], "redirect_uris": ["http://127.0.0.1:9/cb"]}'


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


@pytest.mark.parametrize("value", ["http://é.example/cb", 'http://127.0.0.1:9/"cb', "http://127.0.0.1:9/\\"])
def test_an_unregistered_non_ascii_redirect_uri_gets_the_error_page(sb, client, value):
    """Never a redirect to an unregistered URI (§4.1.2.1), and never a 500 for its characters."""
    response, _ = authorize(sb, client, redirect_uri=value)
    no_500(response)
    assert response.status_code == 400
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
        assert session.refresh_token(token_url(sb), refresh_token=token["refresh_token"])["access_token"]
