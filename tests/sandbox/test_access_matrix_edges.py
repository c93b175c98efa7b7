"""The edges of the caller × endpoint policy (``telnyx_nb/sandbox/policy/access.py``) that the table test does not look
at: what a refused caller is told (body and RFC 6750 / RFC 9728 challenge, word for word), how the Authorization
header is read (scheme case, other schemes, an empty credential), routes no rule covers (404, OPTIONS, the host
root), and which tokens a Bearer caller may introspect (RFC 7662 §4)."""

from __future__ import annotations

import pytest
import requests
from caller_helpers import client_token, introspect_as, registered_client, user_tokens
from oauth_helpers import CUSTOM_SCOPES, TIMEOUT, create_client, url

from telnyx_nb.sandbox.store.demo import DEMO_REDIRECT_URIS

NO_CREDENTIAL = ("Send 'Authorization: Bearer <API key>' (the sandbox prints its key on start) or a Bearer access "
                 "token whose scope includes admin.")
BAD_CREDENTIAL = ("The Bearer credential is not this sandbox's API key nor a live access token (it may be expired, "
                  "revoked or from another server).")
NOT_ADMIN = ("This token's scope does not include admin: management, fault injection and consent decisions need "
             "the API key or an access token with the admin scope (RFC 6750 section 3.1).")
NO_ACCOUNT = ("This client registered itself (open registration, RFC 7591) and owns no account: its "
              "client_credentials token reaches no account's management API, whatever its scope. Use the API key, "
              "or a token a user granted it on the consent page (authorization_code).")
NOT_A_USER = ("A client_credentials token cannot decide a consent (no client may approve its own): use the API key "
              "or an admin token issued to the user (authorization_code / refresh_token).")


@pytest.fixture(scope="module")
def sb():
    from telnyx_nb.sandbox.web.server import Sandbox

    # a custom catalog (not Telnyx's): tokens without admin exist only there
    with Sandbox(seed="demo", db=":memory:", scopes=CUSTOM_SCOPES) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def owned(sb):
    """A client created through the management API (it acts for the account), allowed admin and messaging."""
    return create_client(sb, allowed_scopes=["admin", "messaging"], redirect_uris=[DEMO_REDIRECT_URIS[0]])


def _clients(sb, authorization: str | None) -> requests.Response:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return requests.get(url(sb, "/oauth_clients"), headers=headers, timeout=TIMEOUT)


def _challenge(sb, extra: str = "") -> str:
    parts = ['realm="telnyx-sandbox"'] + ([extra] if extra else [])
    parts.append(f'resource_metadata="{sb.root_url}/.well-known/oauth-protected-resource/v2"')
    return "Bearer " + ", ".join(parts)


def _refusal(response, status: int, error: str, detail: str, title: str, code: str):
    assert response.status_code == status, response.text
    assert response.json() == {"error": error, "error_description": detail,
                               "errors": [{"code": code, "title": title, "detail": detail}]}


@pytest.mark.parametrize("authorization", [None, "Basic {key}", "Bearer ", "Bearer    ", "{key}"])
def test_without_a_bearer_credential_the_caller_is_told_how_to_authenticate(sb, authorization):
    """No header, another scheme, an empty Bearer or a bare key all count as no credential (RFC 6750 §3)."""
    response = _clients(sb, None if authorization is None else authorization.format(key=sb.api_key))
    _refusal(response, 401, "unauthorized", NO_CREDENTIAL, "Authentication failed", "10009")
    assert response.headers["WWW-Authenticate"] == _challenge(sb)


def test_an_unknown_bearer_credential_is_invalid_token(sb):
    response = _clients(sb, "Bearer not-the-key")
    _refusal(response, 401, "unauthorized", BAD_CREDENTIAL, "Authentication failed", "10009")
    assert response.headers["WWW-Authenticate"] == _challenge(sb, 'error="invalid_token"')


def test_the_bearer_scheme_is_case_insensitive_and_the_credential_may_be_padded(sb):
    """RFC 9110 §11.1: the auth scheme is case-insensitive."""
    for authorization in (f"bearer {sb.api_key}", f"BEARER {sb.api_key}", f"Bearer   {sb.api_key}  "):
        assert _clients(sb, authorization).status_code == 200, authorization


def test_a_token_without_admin_gets_insufficient_scope_naming_admin(sb, owned):
    token = client_token(sb, owned, "messaging")["access_token"]
    response = _clients(sb, f"Bearer {token}")
    _refusal(response, 403, "insufficient_scope", NOT_ADMIN, "Authorization failed", "10010")
    assert response.headers["WWW-Authenticate"] == _challenge(sb, 'error="insufficient_scope", scope="admin"')


def test_a_self_registered_clients_admin_token_is_told_it_owns_no_account(sb):
    token = client_token(sb, registered_client(sb, scope="admin"))["access_token"]
    for response in (_clients(sb, f"Bearer {token}"),
                     requests.post(url(sb, "/oauth/grants"), json={"consent_token": "nope", "allowed": True},
                                   headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)):
        _refusal(response, 403, "forbidden", NO_ACCOUNT, "Client owns no account", "10010")


def test_an_admin_client_token_may_manage_but_not_decide_a_consent(sb, owned):
    token = client_token(sb, owned)["access_token"]
    assert _clients(sb, f"Bearer {token}").status_code == 200
    decided = requests.post(url(sb, "/oauth/grants"), json={"consent_token": "nope", "allowed": True},
                            headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    _refusal(decided, 403, "insufficient_scope", NOT_A_USER, "Authorization failed", "10010")


def test_an_admin_user_token_may_decide_a_consent(sb, owned):
    token = user_tokens(sb, owned, "admin messaging")["access_token"]
    decided = requests.post(url(sb, "/oauth/grants"), json={"consent_token": "nope", "allowed": True},
                            headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    assert decided.status_code not in (401, 403), decided.text


def test_a_user_token_without_admin_may_not_decide_a_consent(sb, owned):
    token = user_tokens(sb, owned, "messaging")["access_token"]
    decided = requests.post(url(sb, "/oauth/grants"), json={"consent_token": "nope", "allowed": True},
                            headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    _refusal(decided, 403, "insufficient_scope", NOT_ADMIN, "Authorization failed", "10010")


def test_an_unknown_path_is_404_without_any_credential(sb):
    response = requests.get(url(sb, "/no/such/route"), timeout=TIMEOUT)
    assert response.status_code == 404 and response.json()["error"] == "not_found"


def test_options_on_a_management_route_lists_methods_without_a_credential(sb):
    """CORS preflights carry no credential: Flask's automatic OPTIONS runs no view, so it is not refused."""
    response = requests.options(url(sb, "/oauth_clients"), timeout=TIMEOUT)
    assert response.status_code == 200
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_discovery_at_the_host_root_is_public(sb):
    response = requests.get(sb.root_url + "/.well-known/oauth-authorization-server", timeout=TIMEOUT)
    assert response.status_code == 200 and response.json()["issuer"] == sb.root_url


def test_a_bearer_caller_without_admin_may_introspect_only_its_own_clients_tokens(sb, owned):
    """RFC 7662 §4 for callers that authenticate with a Bearer token instead of client credentials."""
    anonymous = registered_client(sb, scope="messaging")
    own = client_token(sb, anonymous)["access_token"]
    other = client_token(sb, owned, "messaging")["access_token"]
    assert introspect_as(sb, own, bearer=own)["active"] is True
    assert introspect_as(sb, other, bearer=own) == {"active": False}
    admin = client_token(sb, owned)["access_token"]
    assert introspect_as(sb, own, bearer=admin)["active"] is True  # an admin token sees every client's tokens


def test_a_self_registered_clients_admin_token_introspects_only_its_own_tokens(sb, owned):
    """Owning no account, it is no account owner: admin in its scope does not let it see other clients' tokens."""
    anonymous = registered_client(sb, scope="admin")
    own = client_token(sb, anonymous)["access_token"]
    other = client_token(sb, owned)["access_token"]
    assert introspect_as(sb, own, bearer=own)["active"] is True
    assert introspect_as(sb, other, bearer=own) == {"active": False}
