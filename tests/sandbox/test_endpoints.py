"""Every endpoint of the wire contract (docs/contract.md) answers over HTTP, at the current path and at the older
published spelling.

Read-only checks use the shared demo sandbox; anything that writes gets its own sandbox from ``make_sandbox``.
"""

from __future__ import annotations

import math
import re
from urllib.parse import urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet
from oauth_helpers import (
    REDIRECT_URI,
    TIMEOUT,
    all_pages,
    api,
    authorize,
    basic,
    consent_page,
    create_client,
    demo_client,
    introspect,
    query_of,
    token,
    url,
)

CLIENT_PATHS = ["/oauth_clients", "/oauth/clients"]  # current, older docs
GRANT_PATHS = ["/oauth_grants", "/oauth/grants"]
CLIENT_FIELDS = {"record_type", "client_id", "name", "org_id", "user_id", "client_type", "require_pkce",
                 "allowed_grant_types", "allowed_scopes", "redirect_uris", "logo_uri", "policy_uri", "tos_uri",
                 "created_at", "updated_at", "verified"}
GRANT_FIELDS = {"record_type", "id", "client_id", "scopes", "created_at", "last_used_at"}
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")
PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k"}


@pytest.fixture
def writable(make_sandbox):
    return make_sandbox(seed="demo")


def assert_client_shape(item: dict, *, secret_expected: bool = False):
    assert CLIENT_FIELDS <= item.keys(), CLIENT_FIELDS - item.keys()
    assert item["record_type"] == "oauth_client"
    assert item["client_type"] in ("public", "confidential")
    for name in ("client_id", "name", "org_id", "user_id"):
        assert isinstance(item[name], str) and item[name], name
    for name in ("logo_uri", "policy_uri", "tos_uri"):
        assert item[name] is None or isinstance(item[name], str), name
    assert isinstance(item["require_pkce"], bool) and isinstance(item["verified"], bool)
    for name in ("allowed_grant_types", "allowed_scopes", "redirect_uris"):
        assert isinstance(item[name], list)
    assert set(item["allowed_grant_types"]) <= {"client_credentials", "authorization_code", "refresh_token"}
    assert ISO.match(item["created_at"]) and ISO.match(item["updated_at"])
    if secret_expected:
        assert isinstance(item.get("client_secret"), str) and len(item["client_secret"]) >= 16
    else:
        assert not item.get("client_secret"), "client_secret may only be returned by create"


def assert_grant_shape(item: dict):
    assert GRANT_FIELDS <= item.keys(), GRANT_FIELDS - item.keys()
    assert item["record_type"] == "oauth_grant"
    assert isinstance(item["scopes"], list) and all(isinstance(s, str) for s in item["scopes"])
    assert ISO.match(item["created_at"])
    assert item["last_used_at"] is None or ISO.match(item["last_used_at"])


# --- discovery -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["root", "v2"])
def test_authorization_server_metadata_at_root_and_under_base(sandbox, where):
    base = sandbox.root_url if where == "root" else sandbox.base_url
    response = requests.get(base.rstrip("/") + "/.well-known/oauth-authorization-server", timeout=TIMEOUT)
    assert response.status_code == 200
    meta = response.json()
    for name in ("issuer", "authorization_endpoint", "token_endpoint", "introspection_endpoint",
                 "registration_endpoint", "jwks_uri"):
        assert meta[name].startswith("http://127.0.0.1:"), (name, meta[name])
    assert meta["token_endpoint"] == url(sandbox, "/oauth/token")
    assert meta["jwks_uri"] == url(sandbox, "/oauth/jwks")
    assert "code" in meta["response_types_supported"]
    assert {"authorization_code", "client_credentials", "refresh_token"} <= set(meta["grant_types_supported"])
    assert {"client_secret_basic", "client_secret_post", "none"} <= set(meta["token_endpoint_auth_methods_supported"])
    assert "S256" in meta["code_challenge_methods_supported"]
    assert meta["scopes_supported"] == ["admin"]  # Telnyx's published vocabulary, nothing invented
    # the advertised endpoints are live
    assert requests.get(meta["jwks_uri"], timeout=TIMEOUT).status_code == 200


def test_metadata_promises_only_the_query_response_mode_it_serves(sandbox):
    """RFC 8414 §2: an omitted response_modes_supported means ["query", "fragment"]; the server answers every
    authorization response in the query (a response_mode=fragment request still gets it there), so the metadata
    says so rather than let a client rely on the default."""
    meta = requests.get(sandbox.root_url + "/.well-known/oauth-authorization-server", timeout=TIMEOUT).json()
    assert meta["response_modes_supported"] == ["query"]


@pytest.mark.parametrize("where", ["root", "v2"])
def test_protected_resource_metadata_at_root_and_under_base(sandbox, where):
    base = sandbox.root_url if where == "root" else sandbox.base_url
    response = requests.get(base.rstrip("/") + "/.well-known/oauth-protected-resource", timeout=TIMEOUT)
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body["resource"], str) and body["resource"]
    issuer = requests.get(sandbox.root_url + "/.well-known/oauth-authorization-server", timeout=TIMEOUT).json()["issuer"]
    assert issuer in body["authorization_servers"]


def test_both_locations_serve_the_same_authorization_server_document(sandbox):
    document = "oauth-authorization-server"
    at_root = requests.get(f"{sandbox.root_url}/.well-known/{document}", timeout=TIMEOUT).json()
    under_base = requests.get(f"{sandbox.base_url}/.well-known/{document}", timeout=TIMEOUT).json()
    assert at_root == under_base
    assert at_root["issuer"] == sandbox.root_url  # RFC 8414 §3: the document sits under the issuer's root


def test_the_api_resource_document_is_the_same_at_its_rfc9728_location_and_under_v2(sandbox):
    at_rfc_location = requests.get(f"{sandbox.root_url}/.well-known/oauth-protected-resource/v2",
                                   timeout=TIMEOUT).json()
    under_base = requests.get(f"{sandbox.base_url}/.well-known/oauth-protected-resource", timeout=TIMEOUT).json()
    assert at_rfc_location == under_base and at_rfc_location["resource"] == sandbox.base_url


def test_issued_tokens_name_the_published_issuer_and_resource(writable):
    meta = requests.get(writable.root_url + "/.well-known/oauth-authorization-server", timeout=TIMEOUT).json()
    # RFC 9728 §3.1: the document of the resource {root}/v2 is at {root}/.well-known/oauth-protected-resource/v2
    resource = requests.get(writable.root_url + "/.well-known/oauth-protected-resource/v2", timeout=TIMEOUT).json()
    access = token(writable, demo_client(writable), grant_type="client_credentials").json()["access_token"]
    info = introspect(writable, access)
    assert info["iss"] == meta["issuer"]
    assert info["aud"] == resource["resource"]  # RFC 9068 §3: aud is the resource the token is for


def test_jwks_publishes_public_keys_only(sandbox):
    response = requests.get(url(sandbox, "/oauth/jwks"), timeout=TIMEOUT)
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert keys
    for key in keys:
        assert {"kid", "kty", "alg", "use"} <= key.keys()
        assert key["use"] == "sig"
        assert not PRIVATE_JWK_MEMBERS & key.keys(), "private key material published"


def test_openapi_document_covers_every_endpoint(sandbox):
    response = requests.get(url(sandbox, "/openapi.json"), timeout=TIMEOUT)
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.1")
    assert doc["info"]["title"] and doc["info"]["version"]
    server_path = urlsplit(doc.get("servers", [{"url": "/"}])[0]["url"]).path.rstrip("/")
    base_path = urlsplit(sandbox.base_url).path.rstrip("/")  # "/v2"
    served = set()
    for path, item in doc["paths"].items():
        absolute = server_path + path
        shape = re.sub(r"\{[^}]+\}", "{}", absolute)
        for method, operation in item.items():
            if method in ("get", "post", "put", "delete", "patch"):
                assert operation.get("responses"), (method, path)
                served.add((method.upper(), shape))
                if "{" not in path and method == "get":
                    # what is documented is served (a 4xx for missing parameters is fine, "no such method" is not)
                    live = api(sandbox).get(sandbox.root_url + absolute, allow_redirects=False, timeout=TIMEOUT)
                    assert live.status_code != 405 and live.status_code < 500, (absolute, live.status_code)
    expected = {("GET", "/.well-known/oauth-authorization-server"), ("GET", "/.well-known/oauth-protected-resource")}
    expected |= {(m, base_path + p) for m, p in [
        ("GET", "/.well-known/oauth-authorization-server"), ("GET", "/.well-known/oauth-protected-resource"),
        ("GET", "/oauth/authorize"), ("GET", "/oauth/consent/{}"), ("POST", "/oauth/grants"),
        ("POST", "/oauth/token"), ("POST", "/oauth/introspect"), ("POST", "/oauth/revoke"), ("GET", "/oauth/jwks"),
        ("POST", "/oauth/register"), ("GET", "/oauth_clients"), ("POST", "/oauth_clients"),
        ("GET", "/oauth_clients/{}"), ("PUT", "/oauth_clients/{}"), ("DELETE", "/oauth_clients/{}"),
        ("GET", "/oauth_grants"), ("GET", "/oauth_grants/{}"), ("DELETE", "/oauth_grants/{}"),
        ("GET", "/openapi.json"),
    ]}
    missing = expected - served
    assert not missing, f"openapi.json does not document {sorted(missing)}"


# --- authentication of management calls ------------------------------------------------------------------------

@pytest.mark.parametrize("header", [None, "Bearer KEYnot-the-key", "Basic Zm9vOmJhcg=="])
def test_management_calls_need_the_api_key(sandbox, header):
    headers = {"Authorization": header} if header else {}
    response = requests.get(url(sandbox, "/oauth_clients"), headers=headers, timeout=TIMEOUT)
    assert response.status_code == 401
    errors = response.json()["errors"]
    assert errors and errors[0]["code"] and errors[0]["title"]


def test_management_accepts_a_bearer_access_token_the_sandbox_issued(writable):
    issued = token(writable, demo_client(writable), grant_type="client_credentials")
    assert issued.status_code == 200, issued.text
    response = api(writable, issued.json()["access_token"]).get(url(writable, "/oauth_clients"), timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.json()["data"]


# --- oauth_clients ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", CLIENT_PATHS)
def test_list_clients_meta_is_exact(sandbox, path):
    everything = all_pages(sandbox, path)
    assert len(everything) >= 10
    assert len({c["client_id"] for c in everything}) == len(everything)
    response = api(sandbox).get(url(sandbox, path), timeout=TIMEOUT)
    assert response.status_code == 200
    body = response.json()
    assert body["meta"] == {"page_number": 1, "page_size": 20, "total_results": len(everything),
                            "total_pages": math.ceil(len(everything) / 20)}
    for item in body["data"]:
        assert_client_shape(item)


@pytest.mark.parametrize("path", CLIENT_PATHS)
def test_list_clients_pages_partition_the_collection(sandbox, path):
    everything = [c["client_id"] for c in all_pages(sandbox, path)]
    size = 3
    seen = []
    pages = math.ceil(len(everything) / size)
    for number in range(1, pages + 1):
        body = api(sandbox).get(url(sandbox, path), params={"page[number]": number, "page[size]": size},
                                timeout=TIMEOUT).json()
        assert body["meta"] == {"page_number": number, "page_size": size, "total_results": len(everything),
                                "total_pages": pages}
        assert len(body["data"]) == (size if number < pages else len(everything) - size * (pages - 1))
        seen.extend(c["client_id"] for c in body["data"])
    assert seen == everything


@pytest.mark.parametrize("path", GRANT_PATHS + CLIENT_PATHS)
def test_page_size_bounds_and_pages_past_the_end(sandbox, path):
    total = api(sandbox).get(url(sandbox, path), timeout=TIMEOUT).json()["meta"]["total_results"]
    for size in (1, 100):
        body = api(sandbox).get(url(sandbox, path), params={"page[size]": size}, timeout=TIMEOUT).json()
        assert len(body["data"]) == min(size, total)
        assert body["meta"] == {"page_number": 1, "page_size": size, "total_results": total,
                                "total_pages": math.ceil(total / size)}
    beyond = api(sandbox).get(url(sandbox, path), params={"page[number]": 999, "page[size]": 100}, timeout=TIMEOUT)
    assert beyond.status_code == 200
    assert beyond.json()["data"] == []
    assert beyond.json()["meta"]["total_results"] == total


def _local_filter(clients, name, value):
    if name == "filter[client_type]":
        return [c for c in clients if c["client_type"] == value]
    if name == "filter[name]":
        return [c for c in clients if c["name"] == value]
    if name == "filter[name][contains]":
        return [c for c in clients if value.lower() in c["name"].lower()]
    if name == "filter[client_id]":
        return [c for c in clients if c["client_id"] == value]
    if name == "filter[allowed_grant_types][contains]":
        return [c for c in clients if value in c["allowed_grant_types"]]
    if name == "filter[verified]":
        return [c for c in clients if c["verified"] is (value == "true")]
    raise AssertionError(name)


@pytest.mark.parametrize("path", CLIENT_PATHS)
def test_every_client_filter(sandbox, path):
    clients = all_pages(sandbox, path)
    demo = next(c for c in clients if c["client_id"] == sandbox.demo_client_id)
    cases = [
        ("filter[client_type]", "public"), ("filter[client_type]", "confidential"),
        ("filter[name]", demo["name"]), ("filter[name][contains]", demo["name"].split()[-1][:3]),
        ("filter[client_id]", demo["client_id"]),
        ("filter[allowed_grant_types][contains]", "client_credentials"),
        ("filter[allowed_grant_types][contains]", "authorization_code"),
        ("filter[verified]", "true"), ("filter[verified]", "false"),
    ]
    for name, value in cases:
        got = all_pages(sandbox, path, **{name: value})
        expected = _local_filter(clients, name, value)
        assert expected, f"demo data should exercise {name}={value}"
        if name == "filter[name][contains]":
            # case sensitivity is the server's choice; what it returns must contain the text
            assert {c["client_id"] for c in expected if value in c["name"]} <= {c["client_id"] for c in got}
            assert all(value.lower() in c["name"].lower() for c in got)
        else:
            assert sorted(c["client_id"] for c in got) == sorted(c["client_id"] for c in expected), (name, value)
    both = all_pages(sandbox, path, **{"filter[client_type]": "confidential", "filter[verified]": "true"})
    assert sorted(c["client_id"] for c in both) == sorted(
        c["client_id"] for c in clients if c["client_type"] == "confidential" and c["verified"])


def test_name_filters_take_text_literally(make_sandbox):
    """Wildcard characters of SQL LIKE are plain text to a user searching names."""
    sb = make_sandbox(seed="empty")
    for name in ("100% Done", "Plain", "snake_case", "snakeXcase", "Back\\slash"):
        create_client(sb, name=name)

    def contains(text):
        return sorted(c["name"] for c in all_pages(sb, "/oauth_clients", **{"filter[name][contains]": text}))
    assert contains("%") == ["100% Done"]
    assert contains("_") == ["snake_case"]
    assert contains("snake_") == ["snake_case"]
    assert contains("\\") == ["Back\\slash"]
    assert contains("'") == []
    assert [c["name"] for c in all_pages(sb, "/oauth_clients", **{"filter[name]": "Plain"})] == ["Plain"]
    assert all_pages(sb, "/oauth_clients", **{"filter[name]": "Plai"}) == []


def test_unicode_round_trips(make_sandbox):
    sb = make_sandbox(seed="empty")
    name = "Café ☎ 电话 \U0001F680"
    made = create_client(sb, name=name)
    assert made["name"] == name
    assert api(sb).get(url(sb, f"/oauth_clients/{made['client_id']}"), timeout=TIMEOUT).json()["data"]["name"] == name
    assert [c["name"] for c in all_pages(sb, "/oauth_clients", **{"filter[name][contains]": "☎ 电"})] == [name]


@pytest.mark.parametrize("path", CLIENT_PATHS)
def test_get_client(sandbox, path):
    response = api(sandbox).get(url(sandbox, f"{path}/{sandbox.demo_client_id}"), timeout=TIMEOUT)
    assert response.status_code == 200
    data = response.json()["data"]
    assert_client_shape(data)
    assert data["client_id"] == sandbox.demo_client_id
    assert data["client_type"] == "confidential"
    assert set(data["allowed_grant_types"]) == {"client_credentials", "authorization_code", "refresh_token"}


@pytest.mark.parametrize("path", CLIENT_PATHS)
def test_create_update_delete_client(writable, path):
    session = api(writable)
    body = {"name": "Crud Test", "client_type": "confidential", "allowed_grant_types": ["client_credentials"],
            "allowed_scopes": ["admin"], "redirect_uris": ["https://example.test/cb"], "require_pkce": False,
            "logo_uri": "https://example.test/logo.png", "policy_uri": "https://example.test/policy",
            "tos_uri": "https://example.test/tos"}
    created = session.post(url(writable, path), json=body, timeout=TIMEOUT)
    assert created.status_code in (200, 201), created.text
    data = created.json()["data"]
    assert_client_shape(data, secret_expected=True)
    for name, value in body.items():
        assert data[name] == value, name
    client_id = data["client_id"]

    fetched = session.get(url(writable, f"{path}/{client_id}"), timeout=TIMEOUT).json()["data"]
    assert_client_shape(fetched)
    assert fetched["name"] == "Crud Test"

    changes = {"name": "Crud Renamed", "allowed_scopes": ["admin"], "require_pkce": True,
               "allowed_grant_types": ["client_credentials", "authorization_code"],
               "redirect_uris": ["https://example.test/cb2"], "logo_uri": "https://example.test/l2.png",
               "policy_uri": "https://example.test/p2", "tos_uri": "https://example.test/t2"}
    updated = session.put(url(writable, f"{path}/{client_id}"), json=changes, timeout=TIMEOUT)
    assert updated.status_code == 200, updated.text
    data = updated.json()["data"]
    assert_client_shape(data)
    for name, value in changes.items():
        assert data[name] == value, name
    assert data["updated_at"] >= data["created_at"]
    # a partial update changes only what it names
    partial = session.put(url(writable, f"{path}/{client_id}"), json={"name": "Only Name"}, timeout=TIMEOUT)
    assert partial.status_code == 200
    assert partial.json()["data"]["allowed_scopes"] == ["admin"]
    assert session.get(url(writable, f"{path}/{client_id}"), timeout=TIMEOUT).json()["data"]["name"] == "Only Name"

    deleted = session.delete(url(writable, f"{path}/{client_id}"), timeout=TIMEOUT)
    assert deleted.status_code == 204
    assert deleted.content == b""
    gone = session.get(url(writable, f"{path}/{client_id}"), timeout=TIMEOUT)
    assert gone.status_code == 404
    assert gone.json()["errors"]


def test_public_client_gets_no_secret(writable):
    data = create_client(writable, client_type="public", allowed_grant_types=["authorization_code"])
    assert_client_shape(data)
    assert data["client_type"] == "public"


def test_client_secret_is_never_listed(writable):
    create_client(writable)
    for item in all_pages(writable, "/oauth_clients"):
        assert not item.get("client_secret")


# --- oauth_grants ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", GRANT_PATHS)
def test_list_and_get_grants(sandbox, path):
    grants = all_pages(sandbox, path)
    assert len(grants) >= 100  # a few hundred demo grants
    assert len({g["id"] for g in grants}) == len(grants)
    first = api(sandbox).get(url(sandbox, path), timeout=TIMEOUT).json()
    assert first["meta"] == {"page_number": 1, "page_size": 20, "total_results": len(grants),
                             "total_pages": math.ceil(len(grants) / 20)}
    for item in first["data"]:
        assert_grant_shape(item)
    assert any(g["last_used_at"] is None for g in grants) and any(g["last_used_at"] for g in grants)
    one = api(sandbox).get(url(sandbox, f"{path}/{grants[0]['id']}"), timeout=TIMEOUT)
    assert one.status_code == 200
    assert one.json()["data"] == grants[0]


@pytest.mark.parametrize("path", GRANT_PATHS)
def test_revoke_grant(writable, path):
    grant = api(writable).get(url(writable, "/oauth_grants"), timeout=TIMEOUT).json()["data"][0]
    response = api(writable).delete(url(writable, f"{path}/{grant['id']}"), timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert_grant_shape(data)
    assert data["id"] == grant["id"]
    # a revoked grant is gone from the account
    assert api(writable).get(url(writable, f"{path}/{grant['id']}"), timeout=TIMEOUT).status_code == 404
    assert grant["id"] not in {g["id"] for g in all_pages(writable, path)}


# --- RFC endpoints ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("auth,as_json", [("basic", False), ("basic", True), ("post", False), ("post", True)])
def test_client_credentials_token_every_client_authentication(writable, auth, as_json):
    response = token(writable, demo_client(writable), auth=auth, as_json=as_json,
                     grant_type="client_credentials", scope="admin")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert isinstance(body["expires_in"], int) and 0 < body["expires_in"] <= 24 * 3600
    assert body["access_token"].count(".") == 2
    assert body.get("scope") == "admin"
    assert "no-store" in response.headers.get("Cache-Control", "")  # RFC 6749 §5.1


def test_access_token_is_an_rfc9068_jwt_signed_by_a_published_key(writable):
    body = token(writable, demo_client(writable), grant_type="client_credentials", scope="admin").json()
    keys = KeySet.import_key_set(requests.get(url(writable, "/oauth/jwks"), timeout=TIMEOUT).json())
    decoded = jwt.decode(body["access_token"], keys)
    assert decoded.header["kid"] in {k.kid for k in keys.keys}
    assert decoded.header.get("typ", "").lower() in ("at+jwt", "application/at+jwt")  # RFC 9068 §2.1
    claims = decoded.claims
    meta = requests.get(writable.root_url + "/.well-known/oauth-authorization-server", timeout=TIMEOUT).json()
    assert claims["iss"] == meta["issuer"]
    assert claims["client_id"] == writable.demo_client_id and claims["sub"]
    assert claims["scope"] == "admin"
    assert claims["aud"] and claims["jti"]
    assert claims["exp"] - claims["iat"] == body["expires_in"]


@pytest.mark.parametrize("how", ["basic-form", "basic-json", "post-form", "bearer-api-key", "bearer-token"])
def test_introspect_every_caller_authentication(writable, how):
    issued = token(writable, demo_client(writable), grant_type="client_credentials", scope="admin").json()
    access = issued["access_token"]
    cid, secret = writable.demo_client_id, writable.demo_client_secret
    endpoint = url(writable, "/oauth/introspect")
    if how == "basic-form":
        response = requests.post(endpoint, data={"token": access}, headers={"Authorization": basic(cid, secret)},
                                 timeout=TIMEOUT)
    elif how == "basic-json":
        response = requests.post(endpoint, json={"token": access}, headers={"Authorization": basic(cid, secret)},
                                 timeout=TIMEOUT)
    elif how == "post-form":
        response = requests.post(endpoint, data={"token": access, "client_id": cid, "client_secret": secret},
                                 timeout=TIMEOUT)
    elif how == "bearer-api-key":
        response = api(writable).post(endpoint, json={"token": access}, timeout=TIMEOUT)
    else:
        response = api(writable, access).post(endpoint, json={"token": access}, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["active"] is True
    assert body["client_id"] == cid and body["scope"] == "admin"
    assert isinstance(body["exp"], int) and isinstance(body["iat"], int)
    assert isinstance(body["aud"], str) and isinstance(body["iss"], str)


@pytest.mark.parametrize("endpoint", ["/oauth/introspect", "/oauth/revoke"])
@pytest.mark.parametrize("hint", ["refresh_token", "access_token", "id_token", "bogus"])
def test_token_type_hint_is_only_a_hint(writable, endpoint, hint):
    """RFC 7662 §2.1 / RFC 7009 §2.1: a wrong hint only widens the search. An unknown hint may be refused as a bad
    request, but never as a failed authentication (401 tells a correct caller its credentials are wrong)."""
    client = demo_client(writable)
    access = token(writable, client, grant_type="client_credentials").json()["access_token"]
    response = requests.post(url(writable, endpoint), data={"token": access, "token_type_hint": hint},
                             headers={"Authorization": basic(client["client_id"], client["client_secret"])},
                             timeout=TIMEOUT)
    if hint in ("access_token", "refresh_token"):
        assert response.status_code == 200, response.text
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert "token_type_hint" in response.json()["error_description"]
    elif endpoint == "/oauth/introspect":
        assert response.json()["active"] is True
    else:
        assert introspect(writable, access) == {"active": False}


def test_introspect_needs_a_caller(sandbox):
    response = requests.post(url(sandbox, "/oauth/introspect"), data={"token": "whatever"}, timeout=TIMEOUT)
    assert response.status_code == 401


def test_introspect_unknown_token_is_inactive(sandbox):
    assert introspect(sandbox, "not-a-token") == {"active": False}


def test_revoke_endpoint_rfc7009(writable):
    client = demo_client(writable)
    access = token(writable, client, grant_type="client_credentials").json()["access_token"]
    response = requests.post(url(writable, "/oauth/revoke"), data={"token": access},
                             headers={"Authorization": basic(client["client_id"], client["client_secret"])},
                             timeout=TIMEOUT)
    assert response.status_code == 200
    assert introspect(writable, access)["active"] is False
    # RFC 7009 §2.2: an unknown token is answered 200 as well
    again = requests.post(url(writable, "/oauth/revoke"), json={"token": "never-issued"},
                          headers={"Authorization": basic(client["client_id"], client["client_secret"])},
                          timeout=TIMEOUT)
    assert again.status_code == 200


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post", "none"])
def test_register_rfc7591(writable, method):
    body = {"client_name": f"Registered {method}", "grant_types": ["authorization_code", "refresh_token"],
            "redirect_uris": [REDIRECT_URI], "response_types": ["code"], "scope": "admin",
            "token_endpoint_auth_method": method, "logo_uri": "https://example.test/l.png",
            "policy_uri": "https://example.test/p", "tos_uri": "https://example.test/t"}
    response = requests.post(url(writable, "/oauth/register"), json=body, timeout=TIMEOUT)
    assert response.status_code == 201, response.text  # RFC 7591 §3.2.1
    data = response.json()
    assert isinstance(data["client_id"], str) and isinstance(data["client_id_issued_at"], int)
    assert None not in data.values(), "RFC 7591 §3.2.1: omit, do not send null"
    for name, value in body.items():
        if name == "scope":
            assert set(data[name].split()) == set(value.split())
        else:
            assert data[name] == value, name
    if method == "none":
        assert "client_secret" not in data
    else:
        assert isinstance(data["client_secret"], str)
    listed = api(writable).get(url(writable, f"/oauth_clients/{data['client_id']}"), timeout=TIMEOUT)
    assert listed.status_code == 200
    assert listed.json()["data"]["client_type"] == ("public" if method == "none" else "confidential")


def test_register_with_no_metadata_at_all(writable):
    response = requests.post(url(writable, "/oauth/register"), json={}, timeout=TIMEOUT)
    assert response.status_code == 201, response.text
    assert response.json()["client_id"]


# --- authorize, consent (JSON), grants decision ---------------------------------------------------------------

def test_authorize_redirects_to_the_consent_page(writable):
    client = create_client(writable)
    response, _ = authorize(writable, client, scope="admin", state="s1")
    page = consent_page(response)
    assert client["name"] in page.html


@pytest.mark.parametrize("allowed", [True, False])
def test_consent_json_and_post_grants(writable, allowed):
    client = create_client(writable, logo_uri="https://example.test/logo.png")
    response, _ = authorize(writable, client, scope="admin", state="xyz")
    location = response.headers["Location"]
    consent_token = query_of(location)["consent_token"]
    consent = api(writable).get(url(writable, f"/oauth/consent/{consent_token}"), timeout=TIMEOUT)
    assert consent.status_code == 200, consent.text
    data = consent.json()["data"]
    assert data["client_id"] == client["client_id"] and data["name"] == client["name"]
    assert data["redirect_uri"] == REDIRECT_URI and data["logo_uri"] == "https://example.test/logo.png"
    assert isinstance(data["verified"], bool)
    assert data["requested_scopes"] == [{"id": "admin", "name": "Admin",
                                         "description": "Administrative access to Telnyx resources"}]
    decided = api(writable).post(url(writable, "/oauth/grants"),
                                 json={"allowed": allowed, "consent_token": consent_token}, timeout=TIMEOUT)
    assert decided.status_code == 200, decided.text  # Telnyx's published success status
    redirect = decided.json()["redirect_uri"]
    assert redirect.startswith(REDIRECT_URI + "?")
    params = query_of(redirect)
    assert params["state"] == "xyz"
    if allowed:
        assert params["code"]
    else:
        assert params["error"] == "access_denied" and "code" not in params
