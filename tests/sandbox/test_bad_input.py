"""Bad input gets a clear 4xx that names the field — never a 500 — and a failed request changes nothing.

Management endpoints answer with Telnyx error objects (``{"errors": [{code, title, detail, source.pointer}]}``);
the RFC endpoints (token, introspect, revoke, register) with RFC 6749 §5.2 / RFC 7591 §3.2.2 errors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
import requests
from oauth_helpers import TIMEOUT, all_pages, api, basic, url

from telnyx_nb.sandbox.policy.terms import MAX_BODY_BYTES

MIB = 1024 * 1024
GOOD_CLIENT = {"name": "Valid", "client_type": "confidential", "allowed_grant_types": ["client_credentials"],
               "allowed_scopes": ["admin"]}


@dataclass
class Case:
    id: str
    method: str
    path: str  # under /v2; "{client}" / "{grant}" are filled with real ids
    json: object = None
    data: object = None
    headers: dict = field(default_factory=dict)
    status: tuple = (400, 422)
    names: str | None = None  # the field the error must name
    rfc: str | tuple | None = None  # expected RFC error code(s); None → a Telnyx error object
    auth: str = "api"  # "api" (Bearer API key), "client" (demo client Basic) or "none"


def _without(name):
    return {k: v for k, v in GOOD_CLIENT.items() if k != name}


CASES = [
    # --- malformed bodies and content types on a management endpoint
    Case("clients-malformed-json", "POST", "/oauth_clients", data='{"name": "x",',
         headers={"Content-Type": "application/json"}, status=(400,)),
    Case("clients-text-plain", "POST", "/oauth_clients", data=json.dumps(GOOD_CLIENT),
         headers={"Content-Type": "text/plain"}, status=(400, 415, 422)),
    Case("clients-form-encoded", "POST", "/oauth_clients", data={"name": "x"}, status=(400, 415, 422)),
    Case("clients-json-array", "POST", "/oauth_clients", json=[GOOD_CLIENT], status=(400, 422)),
    Case("clients-empty-body", "POST", "/oauth_clients", data="", headers={"Content-Type": "application/json"},
         status=(400, 422)),
    # --- missing and invalid fields
    *[Case(f"clients-missing-{name}", "POST", "/oauth_clients", json=_without(name), status=(422,), names=name)
      for name in ("name", "client_type", "allowed_grant_types", "allowed_scopes")],
    Case("clients-bad-client_type", "POST", "/oauth_clients", json={**GOOD_CLIENT, "client_type": "secret"},
         status=(422,), names="client_type"),
    Case("clients-bad-grant-type", "POST", "/oauth_clients",
         json={**GOOD_CLIENT, "allowed_grant_types": ["password"]}, status=(422,), names="allowed_grant_types"),
    Case("clients-grant-types-not-list", "POST", "/oauth_clients",
         json={**GOOD_CLIENT, "allowed_grant_types": "client_credentials"}, status=(422,),
         names="allowed_grant_types"),
    Case("clients-unknown-scope", "POST", "/oauth_clients", json={**GOOD_CLIENT, "allowed_scopes": ["teleport"]},
         status=(422,), names="allowed_scopes"),
    Case("clients-redirect-uris-not-list", "POST", "/oauth_clients",
         json={**GOOD_CLIENT, "redirect_uris": "https://x.example/cb"}, status=(422,), names="redirect_uris"),
    Case("clients-redirect-uri-not-absolute", "POST", "/oauth_clients",
         json={**GOOD_CLIENT, "redirect_uris": ["not a uri"]}, status=(422,), names="redirect_uris"),
    Case("clients-redirect-uri-fragment", "POST", "/oauth_clients",
         json={**GOOD_CLIENT, "redirect_uris": ["https://x.example/cb#frag"]}, status=(422,),
         names="redirect_uris"),  # RFC 6749 §3.1.2
    Case("clients-require-pkce-not-bool", "POST", "/oauth_clients", json={**GOOD_CLIENT, "require_pkce": "yes"},
         status=(422,), names="require_pkce"),
    Case("clients-empty-name", "POST", "/oauth_clients", json={**GOOD_CLIENT, "name": ""}, status=(422,),
         names="name"),
    Case("clients-name-not-string", "POST", "/oauth_clients", json={**GOOD_CLIENT, "name": 42}, status=(422,),
         names="name"),
    Case("clients-logo-not-string", "POST", "/oauth_clients", json={**GOOD_CLIENT, "logo_uri": 5}, status=(422,),
         names="logo_uri"),
    Case("update-unknown-scope", "PUT", "/oauth_clients/{client}", json={"allowed_scopes": ["teleport"]},
         status=(422,), names="allowed_scopes"),
    Case("update-empty-name", "PUT", "/oauth_clients/{client}", json={"name": ""}, status=(422,), names="name"),
    Case("update-malformed-json", "PUT", "/oauth_clients/{client}", data="{nope",
         headers={"Content-Type": "application/json"}, status=(400,)),
    Case("update-half-valid", "PUT", "/oauth_clients/{client}",
         json={"name": "Should Not Stick", "require_pkce": "nope"}, status=(422,), names="require_pkce"),
    # --- pagination and filters
    Case("page-size-zero", "GET", "/oauth_clients?page[size]=0", names="page[size]"),
    Case("page-size-too-big", "GET", "/oauth_clients?page[size]=251", names="page[size]"),
    Case("page-size-text", "GET", "/oauth_grants?page[size]=ten", names="page[size]"),
    Case("page-number-zero", "GET", "/oauth_grants?page[number]=0", names="page[number]"),
    # past Python's 4,300-digit limit for int(), leading zeros included: once a 500
    Case("page-number-zeros", "GET", "/oauth_grants?page[number]=" + "0" * 5000, names="page[number]"),
    Case("filter-client-type", "GET", "/oauth_clients?filter[client_type]=robot", names="filter[client_type]"),
    Case("filter-verified", "GET", "/oauth_clients?filter[verified]=maybe", names="filter[verified]"),
    Case("filter-grant-type", "GET", "/oauth_clients?filter[allowed_grant_types][contains]=password",
         names="filter[allowed_grant_types][contains]"),
    # --- unknown ids
    Case("get-unknown-client", "GET", "/oauth_clients/no-such-client", status=(404,)),
    Case("put-unknown-client", "PUT", "/oauth_clients/no-such-client", json={"name": "x"}, status=(404,)),
    Case("delete-unknown-client", "DELETE", "/oauth_clients/no-such-client", status=(404,)),
    Case("get-unknown-client-old-path", "GET", "/oauth/clients/no-such-client", status=(404,)),
    Case("get-unknown-grant", "GET", "/oauth_grants/no-such-grant", status=(404,)),
    Case("delete-unknown-grant", "DELETE", "/oauth_grants/no-such-grant", status=(404,)),
    Case("get-unknown-grant-old-path", "GET", "/oauth/grants/no-such-grant", status=(404,)),
    Case("unknown-consent-token", "GET", "/oauth/consent/no-such-token", status=(422,)),  # Telnyx: 422
    # --- the consent decision
    Case("grants-missing-consent-token", "POST", "/oauth/grants", json={"allowed": True}, status=(422, 400),
         names="consent_token"),
    Case("grants-allowed-not-bool", "POST", "/oauth/grants", json={"allowed": "yes", "consent_token": "t"},
         status=(422, 400), names="allowed"),
    Case("grants-unknown-consent-token", "POST", "/oauth/grants", json={"allowed": True, "consent_token": "nope"},
         status=(422,), names="consent_token"),
    # --- RFC endpoints
    Case("token-malformed-json", "POST", "/oauth/token", data='{"grant_type":',
         headers={"Content-Type": "application/json"}, status=(400,), rfc="invalid_request", auth="client"),
    Case("token-missing-grant-type", "POST", "/oauth/token", data={"scope": "messaging"}, status=(400,),
         rfc=("invalid_request", "unsupported_grant_type"), names="grant_type", auth="client"),
    Case("token-password-grant", "POST", "/oauth/token", data={"grant_type": "password"}, status=(400,),
         rfc="unsupported_grant_type", auth="client"),
    Case("token-missing-code", "POST", "/oauth/token", data={"grant_type": "authorization_code"}, status=(400,),
         rfc="invalid_request", names="code", auth="client"),
    Case("token-missing-refresh-token", "POST", "/oauth/token", json={"grant_type": "refresh_token"},
         status=(400,), rfc="invalid_request", names="refresh_token", auth="client"),
    Case("token-unknown-scope", "POST", "/oauth/token", data={"grant_type": "client_credentials",
                                                              "scope": "teleport"},
         status=(400,), rfc="invalid_scope", auth="client"),
    Case("token-no-client", "POST", "/oauth/token", data={"grant_type": "client_credentials"}, status=(400, 401),
         rfc="invalid_client", auth="none"),
    Case("token-unknown-client", "POST", "/oauth/token", data={"grant_type": "client_credentials"},
         headers={"Authorization": basic("nobody", "nothing")}, status=(401,), rfc="invalid_client", auth="none"),
    Case("introspect-missing-token", "POST", "/oauth/introspect", json={}, status=(400,), rfc="invalid_request",
         names="token", auth="client"),
    Case("revoke-missing-token", "POST", "/oauth/revoke", data={}, status=(400,), rfc="invalid_request",
         names="token", auth="client"),
    Case("register-malformed-json", "POST", "/oauth/register", data="{oops",
         headers={"Content-Type": "application/json"}, status=(400,),
         rfc=("invalid_request", "invalid_client_metadata"), auth="none"),
    Case("register-bad-auth-method", "POST", "/oauth/register", json={"token_endpoint_auth_method": "magic"},
         status=(400,), rfc="invalid_client_metadata", names="token_endpoint_auth_method", auth="none"),
    Case("register-bad-grant-type", "POST", "/oauth/register", json={"grant_types": ["password"]}, status=(400,),
         rfc="invalid_client_metadata", names="grant_types", auth="none"),
    Case("register-redirect-uris-not-list", "POST", "/oauth/register", json={"redirect_uris": "https://x/cb"},
         status=(400,), rfc=("invalid_redirect_uri", "invalid_client_metadata"), names="redirect_uris",
         auth="none"),
    Case("register-unknown-scope", "POST", "/oauth/register", json={"scope": "messaging teleport"}, status=(400,),
         rfc="invalid_client_metadata", names="scope", auth="none"),
]

TOO_BIG = [
    ("POST", "/oauth_clients", "api"), ("PUT", "/oauth_clients/{client}", "api"), ("POST", "/oauth/token", "client"),
    ("POST", "/oauth/introspect", "client"), ("POST", "/oauth/register", "none"), ("POST", "/oauth/grants", "api"),
]

WRONG_METHODS = [
    ("PATCH", "/oauth_clients/{client}"), ("POST", "/oauth_clients/{client}"), ("DELETE", "/oauth_clients"),
    ("PUT", "/oauth_grants/{grant}"), ("POST", "/oauth_grants/{grant}"), ("PUT", "/oauth_grants"),
    ("GET", "/oauth/token"), ("GET", "/oauth/introspect"), ("GET", "/oauth/revoke"), ("POST", "/oauth/jwks"),
    ("GET", "/oauth/register"), ("POST", "/oauth/authorize"), ("DELETE", "/oauth/consent/whatever"),
    ("PATCH", "/oauth/clients/{client}"), ("DELETE", "/.well-known/oauth-authorization-server"),
]


@pytest.fixture(scope="module")
def target():
    """A sandbox of this module's own (demo data): bad requests must not change it, and a later test checks."""
    from telnyx_nb.sandbox.web.server import Sandbox

    with Sandbox(seed="demo", db=":memory:") as sb:
        yield sb


def fill(sb, path: str) -> str:
    if "{client}" in path:
        path = path.replace("{client}", sb.demo_client_id)
    if "{grant}" in path:
        grant = api(sb).get(url(sb, "/oauth_grants"), timeout=TIMEOUT).json()["data"][0]["id"]
        path = path.replace("{grant}", grant)
    return url(sb, path)


def send(sb, case: Case) -> requests.Response:
    headers = dict(case.headers)
    if case.auth == "api":
        headers["Authorization"] = f"Bearer {sb.api_key}"
    elif case.auth == "client":
        headers["Authorization"] = basic(sb.demo_client_id, sb.demo_client_secret)
    return requests.request(case.method, fill(sb, case.path), json=case.json, data=case.data, headers=headers,
                            allow_redirects=False, timeout=TIMEOUT)


def names_field(body: dict, name: str, rfc: bool) -> bool:
    """The error points at the field (source.pointer / source.parameter) or says its name in the text."""
    spellings = {name, name.replace("_", " ")}
    if rfc:
        return any(s in body.get("error_description", "") for s in spellings)
    for error in body["errors"]:
        source = error.get("source") or {}
        pointer = (source.get("pointer") or source.get("parameter") or "").lstrip("/")
        if pointer == name or pointer.split("/")[0] == name or any(s in error.get("detail", "") for s in spellings):
            return True
    return False


def assert_error_answer(response: requests.Response, case: Case):
    assert response.status_code in case.status, (response.status_code, response.text[:300])
    assert response.headers.get("Content-Type", "").startswith("application/json"), response.headers
    body = response.json()
    if case.rfc:
        expected = (case.rfc,) if isinstance(case.rfc, str) else case.rfc
        assert body["error"] in expected, body
        assert body.get("error_description"), "say what to fix"
    else:
        errors = body["errors"]
        assert errors and all(e["code"] and e["title"] and e["detail"] for e in errors), body
    if case.names:
        assert names_field(body, case.names, bool(case.rfc)), f"error does not name {case.names!r}: {body}"
    assert "Traceback" not in response.text


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_request_gets_a_clear_4xx(target, case):
    assert_error_answer(send(target, case), case)


@pytest.mark.parametrize("method,path,auth", TOO_BIG, ids=[f"{m} {p}" for m, p, _ in TOO_BIG])
def test_bodies_over_the_cap_are_413(target, method, path, auth):
    body = json.dumps({"name": "x" * (MAX_BODY_BYTES + 10), "token": "y", "grant_type": "client_credentials"})
    case = Case("too-big", method, path, data=body, headers={"Content-Type": "application/json"}, status=(413,),
                rfc=None, auth=auth)
    response = send(target, case)
    assert response.status_code == 413, response.status_code
    assert "Traceback" not in response.text
    assert response.json()  # an error object, not an HTML page


def test_a_body_just_under_the_limit_is_not_413(target):
    response = api(target).post(url(target, "/oauth_clients"), timeout=TIMEOUT,
                                json={**GOOD_CLIENT, "name": "n" * (MAX_BODY_BYTES - 4096)})
    assert response.status_code != 413
    assert response.status_code < 500


@pytest.mark.parametrize("method,path", WRONG_METHODS, ids=[f"{m} {p}" for m, p in WRONG_METHODS])
def test_wrong_methods_are_405(target, method, path):
    response = requests.request(method, fill(target, path), headers={"Authorization": f"Bearer {target.api_key}"},
                                json={}, allow_redirects=False, timeout=TIMEOUT)
    assert response.status_code == 405, (response.status_code, response.text[:200])
    assert response.headers.get("Allow"), "RFC 9110 §15.5.6: a 405 lists the allowed methods"
    assert response.json()
    assert "Traceback" not in response.text


@pytest.mark.parametrize("path", ["/oauth_clients", "/oauth/token", "/no/such/endpoint"])
def test_a_method_no_server_knows_is_501_not_405(target, path):
    """RFC 9110 §15.6.2: a method the server does not recognise at all is 501 (405 says the method exists but this
    resource does not allow it), on any path, known or not."""
    response = requests.request("FROB", url(target, path), headers={"Authorization": f"Bearer {target.api_key}"},
                                timeout=TIMEOUT)
    assert response.status_code == 501, (response.status_code, response.text[:200])
    body = response.json()
    assert body["error"] == "not_implemented" and body["errors"][0]["code"] == "10019"
    assert body["error_description"].startswith("FROB is not an HTTP method this server implements")


def test_answers_without_content_name_no_media_type(make_sandbox):
    """A 204 and the automatic answer to OPTIONS have no content: no Content-Type (Flask's default was text/html,
    which also drew the HTML page headers), and no Content-Length on the 204 (RFC 9110 §8.6)."""
    target = make_sandbox(seed="empty")
    created = api(target).post(url(target, "/oauth_clients"), json=GOOD_CLIENT, timeout=TIMEOUT)
    deleted = api(target).delete(url(target, f"/oauth_clients/{created.json()['data']['client_id']}"),
                                 timeout=TIMEOUT)
    assert deleted.status_code == 204 and deleted.content == b""
    assert "Content-Type" not in deleted.headers and "Content-Length" not in deleted.headers, dict(deleted.headers)
    options = api(target).options(url(target, "/oauth_clients"), timeout=TIMEOUT)
    assert options.status_code == 200 and options.content == b"" and options.headers["Allow"]
    assert "Content-Type" not in options.headers, dict(options.headers)
    assert options.headers["X-Content-Type-Options"] == "nosniff"


def test_unknown_path_is_a_json_404(target):
    response = api(target).get(url(target, "/no/such/endpoint"), timeout=TIMEOUT)
    assert response.status_code == 404
    assert response.json()["errors"]


WEIRD_BODIES = [None, 0, "text", [], [[[]]], {"a": {"b": {"c": [1, {"d": None}]}}}, {"name": None},
                {"name": "\u0000\ud7ff\U0001F600"}, {"allowed_grant_types": [None]}, {"allowed_scopes": [1, 2]},
                {"grant_type": ["client_credentials"]}, {"token": {"nested": True}}, {"page": 10 ** 40},
                {"redirect_uris": [None]}, {"client_type": None}, {"allowed": None, "consent_token": None}]


@pytest.mark.parametrize("method,path,auth", [
    ("POST", "/oauth_clients", "api"), ("PUT", "/oauth_clients/{client}", "api"), ("POST", "/oauth/token", "client"),
    ("POST", "/oauth/introspect", "client"), ("POST", "/oauth/revoke", "client"), ("POST", "/oauth/register", "none"),
    ("POST", "/oauth/grants", "api"),
])
def test_odd_json_never_gets_a_500(target, method, path, auth):
    for body in WEIRD_BODIES:
        case = Case("weird", method, path, data=json.dumps(body), headers={"Content-Type": "application/json"},
                    auth=auth)
        response = send(target, case)
        assert response.status_code < 500, (body, response.status_code, response.text[:200])
        assert "Traceback" not in response.text
    odd_queries = ["?page[number]=-1", "?page[size]=1e3", "?page[number]=99999999999999999999",
                   "?filter[name]=%00", "?filter[client_id]="]
    for query in odd_queries:
        response = api(target).get(url(target, "/oauth_clients" + query), timeout=TIMEOUT)
        assert response.status_code < 500, (query, response.status_code)


# --- a failed request changes nothing ---------------------------------------------------------------------------

def snapshot(sb) -> tuple:
    return all_pages(sb, "/oauth_clients"), all_pages(sb, "/oauth_grants")


def test_failed_requests_change_nothing(make_sandbox):
    sb = make_sandbox(seed="demo")
    before = snapshot(sb)
    for case in CASES:
        response = send(sb, case)
        assert response.status_code >= 400, case.id
    for method, path, auth in TOO_BIG:
        send(sb, Case("big", method, path, data=json.dumps({"name": "x" * (MIB + 10)}),
                      headers={"Content-Type": "application/json"}, auth=auth))
    for method, path in WRONG_METHODS:
        send(sb, Case("405", method, path, json={"name": "Changed"}))
    after = snapshot(sb)
    assert after == before


def test_a_half_valid_update_is_all_or_nothing(make_sandbox):
    sb = make_sandbox(seed="demo")
    before = api(sb).get(url(sb, f"/oauth_clients/{sb.demo_client_id}"), timeout=TIMEOUT).json()["data"]
    response = api(sb).put(url(sb, f"/oauth_clients/{sb.demo_client_id}"),
                           json={"name": "Half Applied", "allowed_scopes": ["admin"], "redirect_uris": [7]},
                           timeout=TIMEOUT)
    assert response.status_code == 422
    after = api(sb).get(url(sb, f"/oauth_clients/{sb.demo_client_id}"), timeout=TIMEOUT).json()["data"]
    assert after == before


def test_failed_redemptions_and_decisions_burn_nothing(make_sandbox):
    """A request refused for bad input leaves the code, refresh token and consent token as they were."""
    from oauth_helpers import authorize, create_client, obtain_code, query_of, redeem, refresh, token

    sb = make_sandbox(seed="empty")
    client = create_client(sb)
    code, verifier = obtain_code(sb, client)
    assert redeem(sb, client, code, verifier[:-4] + "AAAA").status_code == 400
    assert token(sb, client, grant_type="authorization_code", code=code).status_code == 400  # no redirect_uri
    issued = redeem(sb, client, code, verifier)
    assert issued.status_code == 200, "a refused attempt did not use up the code"
    refresh_token = issued.json()["refresh_token"]
    assert token(sb, client, grant_type="refresh_token", refresh_token=refresh_token,
                 scope="messaging").status_code == 400  # a scope the server does not publish
    assert refresh(sb, client, refresh_token).status_code == 200

    response, _ = authorize(sb, client, state="keep")
    consent_token = query_of(response.headers["Location"])["consent_token"]
    bad = api(sb).post(url(sb, "/oauth/grants"), json={"allowed": "yes", "consent_token": consent_token},
                       timeout=TIMEOUT)
    assert bad.status_code in (400, 422)
    good = api(sb).post(url(sb, "/oauth/grants"), json={"allowed": True, "consent_token": consent_token},
                        timeout=TIMEOUT)
    assert good.status_code in (200, 201), good.text
    assert query_of(good.json()["redirect_uri"])["code"]
