"""Who may do what: the caller × endpoint table of docs/security.md, driven cell by cell over HTTP, and the
rules that keep an anonymous party from becoming the account owner (registration, introspection, revocation).

The attack these stop: anyone who reaches the port registers a client (RFC 7591), takes a client_credentials
token and administers the sandbox with it — lists, rewrites and deletes clients, arms faults, approves consents.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
from caller_helpers import client_token, introspect_as, register, registered_client, user_tokens
from oauth_helpers import CUSTOM_SCOPES, TIMEOUT, api, basic, create_client, demo_client, url

from telnyx_nb.sandbox.store.demo import DEMO_REDIRECT_URIS
from telnyx_nb.sandbox.web.server import Sandbox

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
CALLERS = ("API key", "admin user token", "admin client token", "non-admin token", "registered client's token",
           "no credential")
MISSING = "00000000-0000-4000-8000-000000000000"

# One concrete request per method of each row of the table (first cell, exactly as written there). Each is
# harmless when allowed: unknown ids, bodies the endpoint refuses after the access check, a read.
REQUESTS = {
    "`GET /oauth_clients`, `GET /oauth/clients`": [("GET", "/oauth_clients", None),
                                                   ("GET", "/oauth/clients", None)],
    "`POST /oauth_clients`, `POST /oauth/clients`": [("POST", "/oauth_clients", {}),
                                                     ("POST", "/oauth/clients", {})],
    "`GET`/`PUT`/`DELETE /oauth_clients/{id}` (both spellings)": [
        ("GET", f"/oauth_clients/{MISSING}", None), ("PUT", f"/oauth_clients/{MISSING}", {"name": "x"}),
        ("DELETE", f"/oauth_clients/{MISSING}", None), ("GET", f"/oauth/clients/{MISSING}", None),
        ("PUT", f"/oauth/clients/{MISSING}", {"name": "x"}), ("DELETE", f"/oauth/clients/{MISSING}", None)],
    "`GET /oauth_grants`, `GET /oauth/grants`": [("GET", "/oauth_grants", None), ("GET", "/oauth/grants", None)],
    "`GET`/`DELETE /oauth_grants/{id}` (both spellings)": [
        ("GET", f"/oauth_grants/{MISSING}", None), ("DELETE", f"/oauth_grants/{MISSING}", None),
        ("GET", f"/oauth/grants/{MISSING}", None), ("DELETE", f"/oauth/grants/{MISSING}", None)],
    "`GET`/`POST`/`DELETE /_sandbox/faults`": [("GET", "/_sandbox/faults", None),
                                                ("POST", "/_sandbox/faults", {"path": 5}),
                                                ("DELETE", "/_sandbox/faults", None)],
    "`PUT /_sandbox/clients/{client_id}/verified`": [("PUT", f"/_sandbox/clients/{MISSING}/verified",
                                                      {"verified": "not a boolean"})],
    "`GET /managed_accounts`, `GET /managed_accounts/{id}`": [("GET", "/managed_accounts", None),
                                                              ("GET", f"/managed_accounts/{MISSING}", None)],
    "`GET /oauth/consent/{consent_token}`": [("GET", "/oauth/consent/not-a-consent-token", None)],
    "`POST /oauth/grants` (consent decision)": [("POST", "/oauth/grants", {"consent_token": "nope",
                                                                          "allowed": True})],
    "discovery, `GET /oauth/jwks`, `GET /openapi.json`": [
        ("GET", "/.well-known/oauth-authorization-server", None), ("GET", "/oauth/jwks", None),
        ("GET", "/openapi.json", None)],
}


def _url(sb, path: str) -> str:
    return sb.root_url + path if path.startswith("/_sandbox") else url(sb, path)  # faults live at the root


def _table() -> dict[str, dict[str, str]]:
    """The caller × endpoint table of docs/security.md: row name → caller → expected (✓, 401, 403)."""
    text = DOC.read_text()
    section = text.split("## Caller × endpoint", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    header = [c.strip() for c in rows[0].strip("|").split("|")]
    assert tuple(header[1:]) == CALLERS, header
    table = {}
    for line in rows[2:]:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        table[cells[0]] = dict(zip(CALLERS, cells[1:]))
    return table


TABLE = _table()
CASES = [(row, caller, TABLE[row][caller]) for row in TABLE for caller in CALLERS]


def test_every_row_of_the_documented_table_is_driven():
    assert set(TABLE) == set(REQUESTS)


@pytest.fixture(scope="module")
def sb():
    # A custom catalog (not Telnyx's) so that a token *without* admin can exist: the table holds for any catalog.
    with Sandbox(seed="demo", db=":memory:", scopes=CUSTOM_SCOPES) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def credentials(sb):
    owned = create_client(sb, allowed_scopes=["admin", "messaging", "numbers:read"],
                          redirect_uris=[DEMO_REDIRECT_URIS[0]])
    anonymous = registered_client(sb)  # asks for no scope: gets every registrable one, admin included
    assert "admin" in anonymous["scope"].split()
    return {
        "API key": sb.api_key,
        "admin user token": user_tokens(sb, owned, "admin messaging")["access_token"],
        "admin client token": client_token(sb, owned)["access_token"],  # no scope: all allowed, admin included
        "non-admin token": client_token(sb, owned, "messaging numbers:read")["access_token"],
        "registered client's token": client_token(sb, anonymous)["access_token"],  # holds admin, owns no account
        "no credential": None,
    }


@pytest.mark.parametrize("row, caller, expected", CASES, ids=[f"{r.split('`')[1] if '`' in r else r} | {c}"
                                                              for r, c, _ in CASES])
def test_caller_endpoint_table(sb, credentials, row, caller, expected):
    """Each cell of docs/security.md: allowed (the request reaches the endpoint), 403 insufficient_scope with
    the RFC 6750 §3.1 challenge naming admin, 403 "owns no account" (a self-registered client's own token), or
    401."""
    credential = credentials[caller]
    headers = {"Authorization": f"Bearer {credential}"} if credential else {}
    for method, path, body in REQUESTS[row]:
        response = requests.request(method, _url(sb, path), json=body, headers=headers, timeout=TIMEOUT)
        where = f"{caller} → {method} {path}: {response.status_code} {response.text[:200]}"
        if expected == "✓":
            assert response.status_code not in (401, 403), where
        elif expected == "403":
            assert response.status_code == 403, where
            challenge = response.headers["WWW-Authenticate"]
            assert challenge.startswith("Bearer ") and 'error="insufficient_scope"' in challenge, where
            assert 'scope="admin"' in challenge, where
            assert response.json()["error"] == "insufficient_scope", where
        elif expected == "403 manager":
            assert response.status_code == 403, where
            body = response.json()
            assert body["error"] == "forbidden" and body["errors"][0]["code"] == "10010", where
            assert "manager account's own API key" in body["errors"][0]["detail"], where
        elif expected == "403 no account":
            assert response.status_code == 403, where
            body = response.json()
            assert body["error"] == "forbidden" and "owns no account" in body["error_description"], where
            assert body["errors"][0]["code"] == "10010" and "owns no account" in body["errors"][0]["detail"], where
        else:
            assert expected == "401" and response.status_code == 401, where
            assert "resource_metadata=" in response.headers["WWW-Authenticate"], where


def test_an_anonymous_client_token_cannot_mark_itself_verified_or_rewrite_another_client(sb):
    """The attack end to end: register, take a token, try to administer. Nothing changes."""
    victim = create_client(sb, name="victim")
    attacker = registered_client(sb, client_name="attacker")
    token = client_token(sb, attacker)["access_token"]
    attempts = [
        ("PUT", f"/oauth_clients/{victim['client_id']}", {"redirect_uris": ["https://evil.example/cb"]}),
        ("PUT", f"/oauth_clients/{attacker['client_id']}", {"verified": True}),
        ("DELETE", f"/oauth_clients/{victim['client_id']}", None),
        ("POST", "/_sandbox/faults", {"path": "/v2/oauth/token", "status": 503, "count": 100}),
    ]
    for method, path, body in attempts:
        response = requests.request(method, _url(sb, path), json=body, timeout=TIMEOUT,
                                    headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 403, (method, path, response.text)
    after = api(sb).get(url(sb, f"/oauth_clients/{victim['client_id']}"), timeout=TIMEOUT).json()["data"]
    assert after["redirect_uris"] == victim["redirect_uris"]
    mine = api(sb).get(url(sb, f"/oauth_clients/{attacker['client_id']}"), timeout=TIMEOUT).json()["data"]
    assert mine["verified"] is False
    assert api(sb).get(_url(sb, "/_sandbox/faults"), timeout=TIMEOUT).json()["data"] == []


def test_a_client_credentials_admin_token_cannot_approve_its_own_consent(sb):
    """No client approves its own consent: the decision needs the API key or the user's admin token."""
    from oauth_helpers import authorize, query_of

    demo = demo_client(sb)
    response, _ = authorize(sb, demo, scope="admin", redirect_uri="http://127.0.0.1:8888/callback")
    consent_token = query_of(response.headers["Location"])["consent_token"]
    token = client_token(sb, demo)["access_token"]
    decided = requests.post(url(sb, "/oauth/grants"), json={"consent_token": consent_token, "allowed": True},
                            headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    assert decided.status_code == 403
    # the consent is still open: the user may still decide it
    assert api(sb).get(url(sb, f"/oauth/consent/{consent_token}"), timeout=TIMEOUT).status_code == 200


def test_a_self_registered_client_may_hold_admin_but_its_own_token_reaches_no_account(make_sandbox):
    """In the published world (admin only) open registration yields admin: what keeps the account safe is that
    the client owns no account — its client_credentials token is refused by management (403 naming why)."""
    sb = make_sandbox(seed="empty")
    registered = registered_client(sb, scope="admin")
    assert registered["scope"] == "admin"
    token = client_token(sb, registered)
    assert token["scope"] == "admin"
    listed = requests.get(url(sb, "/oauth_clients"), headers={"Authorization": f"Bearer {token['access_token']}"},
                          timeout=TIMEOUT)
    assert listed.status_code == 403
    assert listed.json()["error"] == "forbidden" and "owns no account" in listed.json()["error_description"]
    assert listed.json()["errors"][0]["detail"].startswith("This client registered itself")
    # a client created through the management API acts for the account that owns it
    owned = create_client(sb, allowed_grant_types=["client_credentials"], redirect_uris=[])
    owned_token = client_token(sb, owned)["access_token"]
    assert requests.get(url(sb, "/oauth_clients"), headers={"Authorization": f"Bearer {owned_token}"},
                        timeout=TIMEOUT).status_code == 200
    # and introspection with the registered client's token as Bearer reveals nothing of other clients' tokens
    assert introspect_as(sb, owned_token, bearer=token["access_token"]) == {"active": False}


def test_a_user_gives_a_self_registered_client_effect_through_the_consent_page(make_sandbox):
    """A user's consent makes the registered client's token act for the user's account."""
    sb = make_sandbox(seed="empty")
    registered = registered_client(sb, grant_types=["authorization_code", "client_credentials"], scope="admin",
                                   redirect_uris=[DEMO_REDIRECT_URIS[0]])
    access = user_tokens(sb, registered, "admin")["access_token"]
    listed = requests.get(url(sb, "/oauth_grants"), headers={"Authorization": f"Bearer {access}"}, timeout=TIMEOUT)
    assert listed.status_code == 200


def test_open_registration_never_yields_verified(sb):
    client = registered_client(sb, verified=True)
    stored = api(sb).get(url(sb, f"/oauth_clients/{client['client_id']}"), timeout=TIMEOUT).json()["data"]
    assert stored["verified"] is False


def test_registrable_scopes_narrow_open_registration_within_the_catalog(make_sandbox):
    sb = make_sandbox(seed="empty", scopes=CUSTOM_SCOPES, registrable_scopes=("messaging:read",))
    assert register(sb, client_name="x", scope="voice").json()["error"] == "invalid_client_metadata"
    assert registered_client(sb)["scope"] == "messaging:read"
    with pytest.raises(ValueError, match="'messaging' is not a scope of this sandbox"):
        Sandbox(registrable_scopes=("messaging", "admin"))  # the published catalog has admin only


@pytest.mark.parametrize("field, value", [("client_name", "n" * 256), ("logo_uri", "https://e.test/" + "a" * 2000),
                                          ("redirect_uris", ["https://e.test/" + "a" * 2000])])
def test_registration_is_length_bounded_as_the_management_api(sb, field, value):
    response = register(sb, **{"client_name": "x", field: value})
    assert response.status_code == 400
    assert field.rstrip("s") in response.json()["error_description"]


@pytest.mark.parametrize("uri", ["javascript:alert(document.cookie)", "data:text/html,<script>x</script>",
                                 "vbscript:msgbox", "file:///etc/passwd", "JavaScript://x/%0aalert(1)"])
def test_script_and_file_redirect_uris_are_refused_on_both_paths(sb, uri):
    """A redirect to javascript:/data: runs the attacker's script with the code in the user's browser."""
    registered = register(sb, client_name="x", redirect_uris=[uri])
    assert registered.status_code == 400 and registered.json()["error"] == "invalid_redirect_uri"
    created = api(sb).post(url(sb, "/oauth_clients"), timeout=TIMEOUT, json={
        "name": "x", "client_type": "confidential", "allowed_grant_types": ["authorization_code"],
        "allowed_scopes": ["admin"], "redirect_uris": ["https://ok.example/cb", uri]})
    assert created.status_code == 422
    assert created.json()["errors"][0]["source"]["pointer"] == "/redirect_uris/1"


def test_introspection_by_a_client_reveals_nothing_about_other_clients_tokens(sb):
    """RFC 7662 §4: token scanning by one client must not learn about another's tokens."""
    victim, snooper = create_client(sb), create_client(sb, allowed_scopes=["messaging"])
    victim_token = client_token(sb, victim)["access_token"]
    own_token = client_token(sb, snooper)["access_token"]  # a Bearer without admin
    assert introspect_as(sb, victim_token, client=snooper) == {"active": False}
    assert introspect_as(sb, own_token, client=snooper)["active"] is True
    assert introspect_as(sb, victim_token, bearer=sb.api_key)["active"] is True  # the account owner sees all
    assert introspect_as(sb, victim_token, bearer=own_token) == {"active": False}  # a non-admin Bearer too


def test_revocation_answers_the_same_for_another_clients_token_and_an_unknown_one(sb):
    """RFC 7009: no oracle for which tokens exist, and another client's token stays live."""
    victim, other = create_client(sb), create_client(sb)
    victim_token = client_token(sb, victim)["access_token"]
    headers = {"Authorization": basic(other["client_id"], other["client_secret"])}
    theirs = requests.post(url(sb, "/oauth/revoke"), data={"token": victim_token}, headers=headers, timeout=TIMEOUT)
    unknown = requests.post(url(sb, "/oauth/revoke"), data={"token": "x" * len(victim_token)}, headers=headers,
                            timeout=TIMEOUT)
    assert (theirs.status_code, theirs.content) == (unknown.status_code, unknown.content)
    assert introspect_as(sb, victim_token, bearer=sb.api_key)["active"] is True


def test_the_sdk_client_credentials_mode_still_gets_admin_without_asking(sb):
    """RFC 6749 §3.3: no scope → the client's allowed scopes; the official SDK relies on it for management."""
    token = client_token(sb, demo_client(sb))
    assert "admin" in token["scope"].split()
    listed = requests.get(url(sb, "/oauth_clients"), headers={"Authorization": f"Bearer {token['access_token']}"},
                          timeout=TIMEOUT)
    assert listed.status_code == 200


def test_every_route_has_an_explicit_rule_and_an_unlisted_one_is_admin_only(sb):
    """Fail closed: a route added without a rule must not be open to every caller."""
    from telnyx_nb.sandbox.policy.access import ADMIN, RULES, rule_for

    views = {rule.endpoint.split(":", 1)[0].removeprefix("root-") for rule in sb.app.url_map.iter_rules()}
    assert views <= set(RULES), sorted(views - set(RULES))
    assert rule_for("a_new_route:/v2/new") == ADMIN
