"""Plain-HTTP callers of docs/security.md (client and user tokens, anonymous registration, introspection), built
the way an attacker or a user would get them (registration, token requests, the consent flow)."""

from __future__ import annotations

import requests
from oauth_helpers import TIMEOUT, api, authorize, basic, query_of, token, url

from telnyx_nb.sandbox.store.demo import DEMO_REDIRECT_URIS


def token_request(sb, client: dict, **form) -> requests.Response:
    """POST /oauth/token as the client sends it: HTTP Basic when it has a secret, else its ``client_id`` alone."""
    return token(sb, client, auth="basic" if client.get("client_secret") else "none", **form)


def client_token(sb, client: dict, scope: str | None = None) -> dict:
    form = {"grant_type": "client_credentials"}
    if scope:
        form["scope"] = scope
    response = token_request(sb, client, **form)
    assert response.status_code == 200, response.text
    return response.json()


def user_code(sb, client: dict, scope: str, redirect_uri: str = DEMO_REDIRECT_URIS[0]) -> tuple[str, str, str]:
    """Authorize as the sandbox's user (consent decided with the API key); returns (code, verifier, location)."""
    response, verifier = authorize(sb, client, scope=scope, state="s", redirect_uri=redirect_uri)
    assert response.status_code == 302, response.text
    consent_token = query_of(response.headers["Location"])["consent_token"]
    decided = api(sb).post(url(sb, "/oauth/grants"), json={"consent_token": consent_token, "allowed": True},
                           timeout=TIMEOUT)
    assert decided.status_code == 200, decided.text
    location = decided.json()["redirect_uri"]
    return query_of(location)["code"], verifier, location


def user_tokens(sb, client: dict, scope: str, redirect_uri: str = DEMO_REDIRECT_URIS[0]) -> dict:
    """An access + refresh token pair issued to the user through the authorization-code flow with PKCE."""
    code, verifier, _ = user_code(sb, client, scope, redirect_uri)
    response = token_request(sb, client, grant_type="authorization_code", code=code, redirect_uri=redirect_uri,
                             code_verifier=verifier)
    assert response.status_code == 200, response.text
    return response.json()


def register(sb, **metadata) -> requests.Response:
    """Anonymous RFC 7591 registration: no credential at all."""
    return requests.post(url(sb, "/oauth/register"), json=metadata, timeout=TIMEOUT)


def registered_client(sb, **metadata) -> dict:
    body = {"client_name": "anonymous", "grant_types": ["client_credentials"], **metadata}
    response = register(sb, **body)
    assert response.status_code == 201, response.text
    return response.json()


def introspect_as(sb, token: str, *, client: dict | None = None, bearer: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {
        "Authorization": basic(client["client_id"], client["client_secret"])}
    response = requests.post(url(sb, "/oauth/introspect"), data={"token": token}, headers=headers, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()
