"""The authorization-code flow end to end over HTTP, as a browser and an OAuth client would walk it.

authorize → the sandbox's HTML consent page → Allow/Deny (the page's own form) → redirect with code → token;
then refresh rotation, revocation, grant and client deletion, and tokens that are tampered with or expired.
"""

from __future__ import annotations

import html
import time
from datetime import datetime

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
    jwt_part,
    query_of,
    redeem,
    redirect_of,
    refresh,
    token,
    url,
)
from oauth_helpers import custom_authorize as authorize
from oauth_helpers import custom_create_client as create_client
from oauth_helpers import custom_obtain_code as obtain_code


@pytest.fixture
def sb(make_sandbox):
    return make_sandbox(seed="empty", scopes=CUSTOM_SCOPES)


def grants_of(sb, client_id: str) -> list[dict]:
    return [g for g in all_pages(sb, "/oauth_grants") if g["client_id"] == client_id]


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- the happy path --------------------------------------------------------------------------------------------

def test_code_flow_with_pkce_through_the_consent_page(sb):
    client = create_client(sb, require_pkce=True, logo_uri="https://example.test/logo.png")
    response, verifier = authorize(sb, client, scope="messaging numbers:read", state="st-123")
    page = consent_page(response)
    # a real page a person can judge: who asks, for what, and the two choices
    assert client["name"] in page.html
    assert "https://example.test/logo.png" in page.html
    consent = api(sb).get(url(sb, f"/oauth/consent/{page.consent_token}"), timeout=TIMEOUT).json()["data"]
    assert {s["id"] for s in consent["requested_scopes"]} == {"messaging", "numbers:read"}
    for scope in consent["requested_scopes"]:  # the page shows what the JSON says
        assert html.escape(scope["name"]) in page.html and html.escape(scope["description"]) in page.html
    assert consent["verified"] is False and "unverified" in page.text.lower()
    assert "voice" not in page.text.lower().replace("invoice", ""), "only the requested scopes are shown"
    # a custom catalog's scopes are labelled as not Telnyx's, each of them
    assert page.html.count('data-custom="true"') == 2 and "Not a Telnyx scope" in page.text

    location = redirect_of(page.decide(allow=True))
    assert location.startswith(REDIRECT_URI + "?")
    params = query_of(location)
    assert params["state"] == "st-123" and params["code"]

    issued = redeem(sb, client, params["code"], verifier)
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert body["token_type"] == "Bearer" and isinstance(body["expires_in"], int)
    assert set(body["scope"].split()) == {"messaging", "numbers:read"}
    assert body["refresh_token"] and body["refresh_token"].count(".") != 2, "refresh tokens are opaque"

    info = introspect(sb, body["access_token"])
    assert info["active"] is True and info["client_id"] == client["client_id"]
    assert set(info["scope"].split()) == {"messaging", "numbers:read"}

    grants = grants_of(sb, client["client_id"])
    assert len(grants) == 1
    grant = grants[0]
    assert set(grant["scopes"]) == {"messaging", "numbers:read"}
    assert grant["last_used_at"] is not None, "issuing tokens uses the grant"
    claims = claims_of(body["access_token"])
    assert grant["id"] in claims.values(), "the access token names its grant"
    assert claims["client_id"] == client["client_id"]


def test_consent_page_marks_a_verified_client(make_sandbox):
    demo = make_sandbox(seed="demo")
    record = api(demo).get(url(demo, f"/oauth_clients/{demo.demo_client_id}"), timeout=TIMEOUT).json()["data"]
    assert record["verified"] is True
    response, _ = authorize(demo, record, redirect_uri=record["redirect_uris"][0], scope="admin", state="v")
    page = consent_page(response)
    text = page.text.lower()
    assert "verified" in text and "unverified" not in text


def test_public_client_redeems_with_client_id_only(sb):
    client = create_client(sb, client_type="public", allowed_grant_types=["authorization_code", "refresh_token"])
    code, verifier = obtain_code(sb, client)
    issued = redeem(sb, client, code, verifier, auth="none")
    assert issued.status_code == 200, issued.text
    again = refresh(sb, client, issued.json()["refresh_token"], auth="none")
    assert again.status_code == 200, again.text


def test_a_dynamically_registered_public_client_completes_the_flow(sb):
    registered = requests.post(url(sb, "/oauth/register"), json={
        "client_name": "Registered App", "redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"], "scope": "voice"},
        timeout=TIMEOUT)
    assert registered.status_code == 201, registered.text
    client = {"client_id": registered.json()["client_id"], "name": "Registered App"}
    code, verifier = obtain_code(sb, client, scope="voice")
    issued = redeem(sb, client, code, verifier, auth="none")
    assert issued.status_code == 200, issued.text
    assert issued.json()["scope"] == "voice"


def test_plain_pkce_and_client_secret_post(sb):
    client = create_client(sb, require_pkce=True)
    code, verifier = obtain_code(sb, client, pkce="plain")
    issued = redeem(sb, client, code, verifier, auth="post")
    assert issued.status_code == 200, issued.text


def test_confidential_client_without_pkce_when_not_required(sb):
    client = create_client(sb, require_pkce=False)
    code, verifier = obtain_code(sb, client, pkce=None)
    assert verifier is None
    assert redeem(sb, client, code, None).status_code == 200


@pytest.mark.parametrize("mistake", ["wrong-verifier", "no-verifier", "other-redirect-uri", "other-client",
                                     "unknown-code"])
def test_code_redemption_mistakes_are_invalid_grant(sb, mistake):
    client = create_client(sb, redirect_uris=[REDIRECT_URI, "http://127.0.0.1:9/other"])
    code, verifier = obtain_code(sb, client)
    params = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
              "code_verifier": verifier}
    who = client
    if mistake == "wrong-verifier":
        params["code_verifier"] = verifier[:-4] + "AAAA"
    elif mistake == "no-verifier":
        del params["code_verifier"]
    elif mistake == "other-redirect-uri":
        params["redirect_uri"] = "http://127.0.0.1:9/other"  # RFC 6749 §4.1.3: must be identical
    elif mistake == "other-client":
        who = create_client(sb)
    else:
        params["code"] = "not-a-code"
    response = token(sb, who, **params)
    assert response.status_code == 400, response.text
    if mistake == "no-verifier":
        # a missing parameter is a malformed request (RFC 6749 §5.2), and the answer says which one
        assert response.json()["error"] == "invalid_request"
        assert "code_verifier" in response.json()["error_description"]
    else:
        assert response.json()["error"] == "invalid_grant"  # RFC 7636 §4.6, RFC 6749 §5.2


# --- deny, and errors at the authorization endpoint ------------------------------------------------------------

def test_deny_redirects_with_access_denied(sb):
    client = create_client(sb)
    response, _ = authorize(sb, client, scope="voice", state="deny-me")
    location = redirect_of(consent_page(response).decide(allow=False))
    assert location.startswith(REDIRECT_URI + "?")
    params = query_of(location)
    assert params["error"] == "access_denied" and params["state"] == "deny-me"  # RFC 6749 §4.1.2.1
    assert "code" not in params
    assert grants_of(sb, client["client_id"]) == []


@pytest.mark.parametrize("case,expected", [
    ("response-type-token", "unsupported_response_type"),
    ("scope-not-allowed", "invalid_scope"),
    ("scope-unknown", "invalid_scope"),
    ("pkce-missing-required", "invalid_request"),
    ("pkce-missing-public", "invalid_request"),
    ("pkce-bad-method", "invalid_request"),
    ("response-type-missing", "invalid_request"),
])
def test_authorize_errors_go_to_a_valid_redirect_uri(sb, case, expected):
    """RFC 6749 §4.1.2.1: with a known client and its registered redirect_uri, errors go back to the client."""
    kind = "public" if case == "pkce-missing-public" else "confidential"
    client = create_client(sb, client_type=kind, require_pkce=(case == "pkce-missing-required"),
                           allowed_grant_types=["authorization_code", "refresh_token"])
    kwargs = {"scope": "messaging", "state": "keep-me", "pkce": "S256"}
    if case == "response-type-token":
        kwargs["response_type"] = "token"
    elif case == "response-type-missing":
        kwargs["response_type"] = None
    elif case == "scope-not-allowed":
        kwargs["scope"] = "messaging admin"
    elif case == "scope-unknown":
        kwargs["scope"] = "messaging teleport"
    elif case.startswith("pkce-missing"):
        kwargs["pkce"] = None
    else:
        kwargs.update(pkce=None, code_challenge="x" * 43, code_challenge_method="S512")
    response, _ = authorize(sb, client, **kwargs)
    assert response.status_code == 302, (response.status_code, response.text[:300])
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?"), location
    params = query_of(location)
    assert params["error"] == expected
    assert params["state"] == "keep-me"
    assert "code" not in params


@pytest.mark.parametrize("case", ["unknown-client", "missing-client", "unregistered-uri", "uri-with-suffix",
                                  "uri-with-query"])
def test_authorize_errors_without_a_trusted_redirect_get_an_error_page(sb, case):
    """RFC 6749 §4.1.2.1: never redirect to an unverified URI; show the error to the user instead."""
    client = create_client(sb)
    params = {"client_id": client["client_id"], "redirect_uri": REDIRECT_URI, "response_type": "code",
              "scope": "messaging", "state": "s"}
    if case == "unknown-client":
        params["client_id"] = "no-such-client"
    elif case == "missing-client":
        del params["client_id"]
    elif case == "unregistered-uri":
        params["redirect_uri"] = "https://evil.example/cb"
    elif case == "uri-with-suffix":
        params["redirect_uri"] = REDIRECT_URI + "/extra"
    else:
        params["redirect_uri"] = REDIRECT_URI + "?next=https://evil.example"
    response = requests.get(url(sb, "/oauth/authorize"), params=params, allow_redirects=False,
                            headers={"Accept": "text/html"}, timeout=TIMEOUT)
    assert 400 <= response.status_code < 500, response.status_code
    assert "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")
    assert "evil.example" not in response.headers.get("Location", "")


def test_authorize_follows_the_clients_current_configuration(sb):
    client = create_client(sb, redirect_uris=[REDIRECT_URI, "http://127.0.0.1:9/second"])
    session = api(sb)
    session.put(url(sb, f"/oauth_clients/{client['client_id']}"), json={"redirect_uris": ["http://127.0.0.1:9/second"]},
                timeout=TIMEOUT).raise_for_status()
    response, _ = authorize(sb, client, state="s")  # REDIRECT_URI is no longer registered
    assert 400 <= response.status_code < 500 and "Location" not in response.headers
    session.put(url(sb, f"/oauth_clients/{client['client_id']}"),
                json={"redirect_uris": [REDIRECT_URI], "allowed_grant_types": ["client_credentials"]},
                timeout=TIMEOUT).raise_for_status()
    response, _ = authorize(sb, client, state="s")
    assert response.status_code == 302
    params = query_of(response.headers["Location"])
    assert params["error"] == "unauthorized_client" and params["state"] == "s"  # RFC 6749 §4.1.2.1


# --- consent tokens ----------------------------------------------------------------------------------------------

def test_consent_token_is_single_use(sb):
    client = create_client(sb)
    response, _ = authorize(sb, client, state="once")
    page = consent_page(response)
    assert redirect_of(page.decide(allow=True))
    second = page.decide(allow=True)
    assert 400 <= second.status_code < 500, second.status_code
    assert "code=" not in second.headers.get("Location", "")
    via_json = api(sb).post(url(sb, "/oauth/grants"), json={"allowed": True, "consent_token": page.consent_token},
                            timeout=TIMEOUT)
    assert 400 <= via_json.status_code < 500
    assert via_json.json()["errors"]
    looked_up = api(sb).get(url(sb, f"/oauth/consent/{page.consent_token}"), timeout=TIMEOUT)
    assert 400 <= looked_up.status_code < 500


def test_allowing_again_widens_the_existing_grant(sb):
    client = create_client(sb)
    code, verifier = obtain_code(sb, client, scope="messaging")
    assert redeem(sb, client, code, verifier).status_code == 200
    first = grants_of(sb, client["client_id"])
    code, verifier = obtain_code(sb, client, scope="voice")
    issued = redeem(sb, client, code, verifier)
    assert issued.status_code == 200
    second = grants_of(sb, client["client_id"])
    assert len(first) == len(second) == 1
    assert second[0]["id"] == first[0]["id"]
    assert set(second[0]["scopes"]) == {"messaging", "voice"}


# --- client authentication at the token endpoint ---------------------------------------------------------------

def test_wrong_client_secret_is_invalid_client(sb):
    client = create_client(sb)
    response = token(sb, {**client, "client_secret": "wrong"}, grant_type="client_credentials")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "WWW-Authenticate" in response.headers  # RFC 6749 §5.2 with HTTP Basic


def test_confidential_client_cannot_authenticate_by_client_id_alone(sb):
    client = create_client(sb)
    response = token(sb, client, auth="none", grant_type="client_credentials")
    assert response.status_code in (400, 401)
    assert response.json()["error"] == "invalid_client"


def test_public_client_may_not_use_client_credentials(sb):
    """A public client configured with client_credentials is still refused it (RFC 6749 §4.4)."""
    client = create_client(sb, client_type="public", allowed_grant_types=["client_credentials", "authorization_code"])
    response = token(sb, client, auth="none", grant_type="client_credentials")
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "unauthorized_client"


def test_grant_type_not_allowed_for_client(sb):
    client = create_client(sb, allowed_grant_types=["authorization_code"])
    response = token(sb, client, grant_type="client_credentials")
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


# --- refresh rotation -------------------------------------------------------------------------------------------

def test_refresh_tokens_rotate_and_the_old_one_dies(sb):
    client = create_client(sb)
    code, verifier = obtain_code(sb, client, scope="messaging voice")
    first = redeem(sb, client, code, verifier).json()
    used_at = when(grants_of(sb, client["client_id"])[0]["last_used_at"])
    time.sleep(1.1)  # last_used_at must move even with one-second timestamps

    second = refresh(sb, client, first["refresh_token"])
    assert second.status_code == 200, second.text
    second = second.json()
    assert second["refresh_token"] and second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert set(second["scope"].split()) == {"messaging", "voice"}
    assert introspect(sb, second["access_token"])["active"] is True
    assert when(grants_of(sb, client["client_id"])[0]["last_used_at"]) > used_at

    third = refresh(sb, client, second["refresh_token"])
    assert third.status_code == 200, third.text
    third = third.json()
    assert third["refresh_token"] not in (first["refresh_token"], second["refresh_token"])

    reused = refresh(sb, client, first["refresh_token"])
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    # strict by default (RFC 9700 §4.14.2): the reuse ended the family, the newest pair included
    assert introspect(sb, third["access_token"]) == {"active": False}
    assert refresh(sb, client, third["refresh_token"]).status_code == 400


def test_refresh_token_of_another_client_is_refused(sb):
    owner, other = create_client(sb), create_client(sb)
    code, verifier = obtain_code(sb, owner)
    issued = redeem(sb, owner, code, verifier).json()
    stolen = refresh(sb, other, issued["refresh_token"])
    assert stolen.status_code == 400
    assert stolen.json()["error"] == "invalid_grant"
    assert refresh(sb, owner, issued["refresh_token"]).status_code == 200, "a refused theft does not burn it"


def test_refresh_may_narrow_but_not_widen_scope(sb):
    client = create_client(sb)
    code, verifier = obtain_code(sb, client, scope="messaging voice")
    issued = redeem(sb, client, code, verifier).json()
    wider = token(sb, client, grant_type="refresh_token", refresh_token=issued["refresh_token"],
                  scope="messaging voice numbers:read")
    assert wider.status_code == 400
    assert wider.json()["error"] == "invalid_scope"  # RFC 6749 §6
    narrower = token(sb, client, grant_type="refresh_token", refresh_token=issued["refresh_token"], scope="voice")
    assert narrower.status_code == 200, narrower.text
    assert narrower.json()["scope"] == "voice"


# --- revocation and deletion ------------------------------------------------------------------------------------

def _issue_pair(sb, client):
    code, verifier = obtain_code(sb, client)
    body = redeem(sb, client, code, verifier).json()
    return body["access_token"], body["refresh_token"]


def test_rfc7009_revoke_access_and_refresh_tokens(sb):
    client = create_client(sb)
    access, refresh_token = _issue_pair(sb, client)
    auth = {"Authorization": basic(client["client_id"], client["client_secret"])}
    assert requests.post(url(sb, "/oauth/revoke"), data={"token": access, "token_type_hint": "access_token"},
                         headers=auth, timeout=TIMEOUT).status_code == 200
    assert introspect(sb, access) == {"active": False}
    assert requests.post(url(sb, "/oauth/revoke"), data={"token": refresh_token}, headers=auth,
                         timeout=TIMEOUT).status_code == 200
    assert introspect(sb, refresh_token)["active"] is False
    assert refresh(sb, client, refresh_token).json()["error"] == "invalid_grant"


def test_a_client_cannot_revoke_another_clients_token(sb):
    """RFC 7009 §2.1: the server checks the token was issued to the caller; another client's token is answered
    as an unknown one (200, nothing revoked), so the endpoint tells nobody which tokens exist."""
    owner, other = create_client(sb), create_client(sb)
    access = token(sb, owner, grant_type="client_credentials").json()["access_token"]
    response = requests.post(url(sb, "/oauth/revoke"), data={"token": access},
                             headers={"Authorization": basic(other["client_id"], other["client_secret"])},
                             timeout=TIMEOUT)
    unknown = requests.post(url(sb, "/oauth/revoke"), data={"token": "never-issued"},
                            headers={"Authorization": basic(other["client_id"], other["client_secret"])},
                            timeout=TIMEOUT)
    assert (response.status_code, response.text) == (unknown.status_code, unknown.text) == (200, "{}")
    assert introspect(sb, access)["active"] is True


def test_revoking_a_grant_kills_its_tokens(sb):
    client = create_client(sb)
    access, refresh_token = _issue_pair(sb, client)
    other_client = create_client(sb)
    other_access, _ = _issue_pair(sb, other_client)
    grant = grants_of(sb, client["client_id"])[0]
    assert api(sb).delete(url(sb, f"/oauth_grants/{grant['id']}"), timeout=TIMEOUT).status_code == 200
    assert introspect(sb, access) == {"active": False}
    assert refresh(sb, client, refresh_token).json()["error"] == "invalid_grant"
    assert introspect(sb, other_access)["active"] is True, "other grants are untouched"


def test_deleting_a_client_kills_its_grants_and_tokens(sb):
    client = create_client(sb)
    access, refresh_token = _issue_pair(sb, client)
    machine = token(sb, client, grant_type="client_credentials").json()["access_token"]
    bystander = create_client(sb)
    bystander_access, _ = _issue_pair(sb, bystander)
    assert api(sb).delete(url(sb, f"/oauth_clients/{client['client_id']}"), timeout=TIMEOUT).status_code == 204
    assert introspect(sb, access) == {"active": False}
    assert introspect(sb, machine) == {"active": False}
    assert refresh(sb, client, refresh_token).status_code in (400, 401)
    assert grants_of(sb, client["client_id"]) == []
    assert introspect(sb, bystander_access)["active"] is True


# --- tampered and expired tokens --------------------------------------------------------------------------------

def test_tampered_tokens_are_inactive_and_refused(sb):
    client = create_client(sb)
    good = token(sb, client, grant_type="client_credentials", scope="messaging").json()["access_token"]
    header, payload, signature = good.split(".")
    claims = claims_of(good)
    forged = [
        f"{header}.{payload}.{signature[:-6]}{'A' * 6 if not signature.endswith('AAAAAA') else 'B' * 6}",
        f"{header}.{jwt_part({**claims, 'scope': 'admin'})}.{signature}",
        f"{jwt_part({'alg': 'none', 'typ': 'at+jwt'})}.{payload}.",
        f"{jwt_part({'alg': 'HS256', 'typ': 'at+jwt'})}.{payload}.{signature}",
        good[:-1],
        "garbage",
    ]
    for bad in forged:
        assert introspect(sb, bad) == {"active": False}, bad[:40]
        refused = api(sb, bad).get(url(sb, "/oauth_clients"), timeout=TIMEOUT)
        assert refused.status_code == 401
    assert introspect(sb, good)["active"] is True



# Expiry of access tokens, refresh tokens, codes and consent pages: tests/sandbox/test_lifetimes.py (short
# lifetimes on the real clock instead of a patched time.time).


def test_consent_page_escapes_client_supplied_text(sb):
    client = create_client(sb, name='<script>alert("x")</script> & Co')
    response, _ = authorize(sb, client, state='"><img src=x onerror=alert(1)>')
    page = consent_page(response)
    assert '<script>alert("x")</script>' not in page.html
    assert "<img src=x" not in page.html
    assert "&lt;script&gt;" in page.html
    # the escaped state still round-trips to the client untouched
    location = redirect_of(page.decide(allow=True))
    assert query_of(location)["state"] == '"><img src=x onerror=alert(1)>'


def test_secrets_stay_out_of_logs_and_reprs(sb, caplog):
    caplog.set_level("DEBUG")
    client = create_client(sb)
    code, verifier = obtain_code(sb, client)
    issued = redeem(sb, client, code, verifier).json()
    refresh(sb, client, issued["refresh_token"])
    token(sb, {**client, "client_secret": "wrong-" + client["client_secret"]}, grant_type="client_credentials")
    requests.post(url(sb, "/oauth/introspect"), json={"token": issued["access_token"]},
                  headers={"Authorization": "Bearer " + sb.api_key}, timeout=TIMEOUT)
    secrets_seen = [client["client_secret"], issued["access_token"], issued["refresh_token"], sb.api_key, code,
                    issued["access_token"].split(".")[2]]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in secrets_seen:
        assert secret not in logged
        assert secret not in repr(sb)
