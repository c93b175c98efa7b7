"""Telnyx's published OAuth contract (docs/contract.md), driven over HTTP against a sandbox: page bounds and
defaults, refused extra and server-owned fields, statuses, nullability, both error shapes, the key shape and the
RFC 9728 documents."""

from __future__ import annotations

import re
import uuid

import pytest
import requests

from telnyx_nb.sandbox.web.server import Sandbox

LISTS = ["/oauth_clients", "/oauth/clients", "/oauth_grants", "/oauth/grants"]
SERVER_OWNED = ["verified", "client_id", "client_secret", "created_at", "updated_at", "record_type", "org_id",
                "user_id"]


@pytest.fixture(scope="module")
def sb():
    with Sandbox(seed="grants=150") as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def http(sb):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {sb.api_key}"
    yield session
    session.close()


def new_client(sb, http, **overrides) -> dict:
    body = {"name": "Contract app", "client_type": "confidential", "allowed_grant_types": ["client_credentials"],
            "allowed_scopes": ["admin"], **overrides}
    answer = http.post(f"{sb.base_url}/oauth_clients", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]


def assert_error(answer, status: int, *, pointer: str | None = None, parameter: str | None = None):
    """Both shapes in one body: oauth_Error and Telnyx's errors[] naming the field."""
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    body = answer.json()
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["error_description"], str) and body["error_description"]
    (item,) = body["errors"]
    assert set(item) >= {"code", "title", "detail"}
    if pointer is not None:
        assert item["source"] == {"pointer": pointer}
        assert pointer.lstrip("/").split("/")[0] in body["error_description"]
    if parameter is not None:
        assert item["source"] == {"parameter": parameter}
        assert parameter in body["error_description"]
    return body


# ----- pagination -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", LISTS)
def test_lists_default_to_page_1_of_20(sb, http, path):
    meta = http.get(f"{sb.base_url}{path}").json()["meta"]
    assert (meta["page_number"], meta["page_size"]) == (1, 20)


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("size", [1, 100])
def test_page_size_accepts_1_to_100(sb, http, path, size):
    answer = http.get(f"{sb.base_url}{path}", params={"page[size]": size})
    assert answer.status_code == 200, answer.text
    assert answer.json()["meta"]["page_size"] == size
    if path.endswith("grants"):
        assert len(answer.json()["data"]) == size  # 150 grants seeded


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("name,value", [("page[size]", "101"), ("page[size]", "250"), ("page[size]", "0"),
                                        ("page[size]", "ten"), ("page[number]", "0"), ("page[number]", "-1"),
                                        ("page[number]", "1.5")])
def test_page_out_of_range_is_a_400_naming_the_parameter(sb, http, path, name, value):
    assert_error(http.get(f"{sb.base_url}{path}", params={name: value}), 400, parameter=name)


def test_a_far_page_is_empty_not_an_error(sb, http):
    answer = http.get(f"{sb.base_url}/oauth_grants", params={"page[number]": str(10**20)})
    assert answer.status_code == 200 and answer.json()["data"] == []


def test_filter_verified_still_filters(sb, http):
    client = new_client(sb, http)
    http.put(f"{sb.root_url}/_sandbox/clients/{client['client_id']}/verified", json={"verified": True})
    verified = http.get(f"{sb.base_url}/oauth_clients", params={"filter[verified]": "true", "page[size]": 100})
    assert client["client_id"] in {c["client_id"] for c in verified.json()["data"]}
    assert all(c["verified"] is True for c in verified.json()["data"])
    assert_error(http.get(f"{sb.base_url}/oauth_clients", params={"filter[verified]": "yes"}), 400,
                 parameter="filter[verified]")


# ----- create -----------------------------------------------------------------------------------------------
def test_create_is_201_with_published_defaults_and_nullable_uris(sb, http):
    answer = http.post(f"{sb.base_url}/oauth_clients", json={
        "name": "Defaults", "client_type": "confidential", "allowed_grant_types": ["client_credentials"],
        "allowed_scopes": ["admin"]})
    assert answer.status_code == 201
    data = answer.json()["data"]
    for field in ("record_type", "client_id", "name", "org_id", "user_id", "client_type", "require_pkce",
                  "created_at", "updated_at"):
        assert data[field] is not None, field
    assert data["record_type"] == "oauth_client"
    assert data["redirect_uris"] == [] and data["require_pkce"] is False
    assert data["logo_uri"] is None and data["policy_uri"] is None and data["tos_uri"] is None
    assert isinstance(data["client_secret"], str) and data["client_secret"]


def test_client_secret_only_on_create_of_a_confidential_client(sb, http):
    public = new_client(sb, http, client_type="public", allowed_grant_types=["authorization_code"],
                        redirect_uris=["https://app.example/cb"])
    assert "client_secret" not in public
    confidential = new_client(sb, http)
    fetched = http.get(f"{sb.base_url}/oauth_clients/{confidential['client_id']}").json()["data"]
    assert "client_secret" not in fetched


@pytest.mark.parametrize("field", SERVER_OWNED + ["colour"])
def test_create_refuses_extra_and_server_owned_fields_by_name(sb, http, field):
    body = {"name": "Extra", "client_type": "confidential", "allowed_grant_types": ["client_credentials"],
            "allowed_scopes": ["admin"], field: True}
    before = http.get(f"{sb.base_url}/oauth_clients").json()["meta"]["total_results"]
    assert_error(http.post(f"{sb.base_url}/oauth_clients", json=body), 422, pointer=f"/{field}")
    assert http.get(f"{sb.base_url}/oauth_clients").json()["meta"]["total_results"] == before  # nothing written


@pytest.mark.parametrize("field", ["name", "allowed_scopes", "client_type", "allowed_grant_types"])
def test_create_requires_each_published_field(sb, http, field):
    body = {"name": "Req", "client_type": "confidential", "allowed_grant_types": ["client_credentials"],
            "allowed_scopes": ["admin"]}
    del body[field]
    assert_error(http.post(f"{sb.base_url}/oauth_clients", json=body), 422, pointer=f"/{field}")


@pytest.mark.parametrize("body,pointer", [
    ({"redirect_uris": ["not a uri"]}, "/redirect_uris/0"),
    ({"redirect_uris": ["https://ok.example/cb", "https://x.example/cb#frag"]}, "/redirect_uris/1"),
    ({"logo_uri": "ftp://files.example/logo.png"}, "/logo_uri"),
    ({"policy_uri": "nope"}, "/policy_uri"),
    ({"require_pkce": "yes"}, "/require_pkce"),
    ({"allowed_scopes": ["admin", "everything"]}, "/allowed_scopes/1"),
    ({"name": "   "}, "/name"),
])
def test_create_names_the_wrong_field(sb, http, body, pointer):
    full = {"name": "Bad", "client_type": "confidential", "allowed_grant_types": ["client_credentials"],
            "allowed_scopes": ["admin"], **body}
    assert_error(http.post(f"{sb.base_url}/oauth_clients", json=full), 422, pointer=pointer)


# ----- update, get, delete ------------------------------------------------------------------------------------
@pytest.mark.parametrize("field", SERVER_OWNED + ["client_type", "colour"])
def test_update_refuses_extra_server_owned_fields_and_client_type(sb, http, field):
    client = new_client(sb, http)
    answer = http.put(f"{sb.base_url}/oauth_clients/{client['client_id']}", json={"name": "Renamed", field: "x"})
    assert_error(answer, 422, pointer=f"/{field}")
    assert http.get(f"{sb.base_url}/oauth_clients/{client['client_id']}").json()["data"]["name"] == "Contract app"


def test_update_is_200_every_field_optional_and_uris_clearable(sb, http):
    client = new_client(sb, http, logo_uri="https://app.example/logo.png")
    url = f"{sb.base_url}/oauth_clients/{client['client_id']}"
    assert http.put(url, json={}).status_code == 200
    answer = http.put(url, json={"logo_uri": None, "require_pkce": True})
    assert answer.status_code == 200
    assert answer.json()["data"]["logo_uri"] is None and answer.json()["data"]["require_pkce"] is True
    assert http.get(url).status_code == 200


def test_delete_is_204_without_body_then_404(sb, http):
    client = new_client(sb, http)
    url = f"{sb.base_url}/oauth_clients/{client['client_id']}"
    answer = http.delete(url)
    assert answer.status_code == 204 and answer.content == b""
    assert_error(http.get(url), 404)
    assert_error(http.delete(url), 404)
    assert_error(http.put(url, json={"name": "x"}), 404)


def test_grants_revoke_is_200_with_the_grant_and_unknown_is_404(sb, http):
    grant = http.get(f"{sb.base_url}/oauth_grants", params={"page[size]": 1}).json()["data"][0]
    for field in ("id", "record_type", "client_id", "scopes", "created_at"):
        assert grant[field] is not None, field
    assert "last_used_at" in grant
    uuid.UUID(grant["id"])
    answer = http.delete(f"{sb.base_url}/oauth_grants/{grant['id']}")
    assert answer.status_code == 200 and answer.json()["data"]["id"] == grant["id"]
    assert answer.json()["data"]["record_type"] == "oauth_grant"
    assert_error(http.get(f"{sb.base_url}/oauth_grants/{uuid.uuid4()}"), 404)
    assert_error(http.delete(f"{sb.base_url}/oauth/grants/{uuid.uuid4()}"), 404)


def test_some_grants_were_never_used(sb, http):
    grants = http.get(f"{sb.base_url}/oauth_grants", params={"page[size]": 100}).json()["data"]
    assert all(g["last_used_at"] is None or isinstance(g["last_used_at"], str) for g in grants)


# ----- the admin route that owns `verified` ---------------------------------------------------------------
def test_admin_route_sets_verified_for_the_account_owner_only(sb, http):
    client = new_client(sb, http)
    url = f"{sb.root_url}/_sandbox/clients/{client['client_id']}/verified"
    assert client["verified"] is False
    assert_error(requests.put(url, json={"verified": True}), 401)
    registered = requests.post(f"{sb.base_url}/oauth/register", json={
        "client_name": "Self-registered", "grant_types": ["client_credentials"], "scope": "admin"}).json()
    token = requests.post(f"{sb.base_url}/oauth/token", data={"grant_type": "client_credentials"},
                          auth=(registered["client_id"], registered["client_secret"])).json()["access_token"]
    # a self-registered client's own token holds admin but owns no account: it verifies nothing (docs/security.md)
    registered_url = f"{sb.root_url}/_sandbox/clients/{registered['client_id']}/verified"
    assert_error(requests.put(registered_url, json={"verified": True},
                              headers={"Authorization": f"Bearer {token}"}), 403)
    answer = http.put(url, json={"verified": True})
    assert answer.status_code == 200 and answer.json()["data"]["verified"] is True
    assert http.get(f"{sb.base_url}/oauth_clients/{client['client_id']}").json()["data"]["verified"] is True
    assert_error(http.put(url, json={"verified": "yes"}), 422, pointer="/verified")
    assert_error(http.put(url, json={"verified": False, "name": "x"}), 422, pointer="/name")
    assert_error(http.put(f"{sb.root_url}/_sandbox/clients/{uuid.uuid4()}/verified", json={"verified": True}), 404)


# ----- errors everywhere --------------------------------------------------------------------------------
def test_every_management_and_generic_error_has_both_shapes(sb, http):
    assert_error(requests.get(f"{sb.base_url}/oauth_clients"), 401)
    assert_error(requests.get(f"{sb.base_url}/oauth_grants", headers={"Authorization": "Bearer nope"}), 401)
    assert_error(http.get(f"{sb.base_url}/no_such_thing"), 404)
    assert_error(http.get(f"{sb.root_url}/.well-known/nothing"), 404)
    assert_error(http.patch(f"{sb.base_url}/oauth_clients"), 405)
    assert_error(http.post(f"{sb.base_url}/oauth_clients", data="name=x",
                           headers={"Content-Type": "application/x-www-form-urlencoded"}), 415)
    assert_error(http.post(f"{sb.base_url}/oauth_clients", data="{", headers={"Content-Type": "application/json"}),
                 400)
    assert_error(http.post(f"{sb.base_url}/oauth_clients", json=[1]), 422)
    assert_error(http.post(f"{sb.root_url}/_sandbox/faults", json={"path": "/v2/x", "count": 0}), 422,
                 pointer="/count")


def test_rfc_endpoints_keep_the_rfc_error_shape(sb):
    answer = requests.post(f"{sb.base_url}/oauth/token", data={"grant_type": "password"})
    assert answer.status_code in (400, 401)
    assert set(answer.json()) == {"error", "error_description"}


def test_a_code_flow_client_keeps_a_redirect_uri(sb, http):
    body = {"name": "Code", "client_type": "public", "allowed_grant_types": ["authorization_code"],
            "allowed_scopes": ["admin"]}
    assert_error(http.post(f"{sb.base_url}/oauth_clients", json=body), 422, pointer="/redirect_uris")
    client = new_client(sb, http, **{**body, "redirect_uris": ["https://app.example/cb"]})
    answer = http.put(f"{sb.base_url}/oauth_clients/{client['client_id']}", json={"redirect_uris": []})
    assert_error(answer, 409, pointer="/redirect_uris")  # well-formed, but conflicts with the stored grant types


# ----- key shape and discovery --------------------------------------------------------------------------
def test_generated_api_key_has_telnyx_shape(sb):
    assert re.fullmatch(r"KEY[0-9A-Za-z_-]{55}", sb.api_key)
    with Sandbox(seed="empty") as other:
        assert re.fullmatch(r"KEY[0-9A-Za-z_-]{55}", other.api_key) and other.api_key != sb.api_key


def test_a_given_api_key_need_not_have_the_shape_but_must_fit_a_header():
    with Sandbox(seed="empty", api_key="test-key") as sandbox:
        assert requests.get(f"{sandbox.base_url}/oauth_clients",
                            headers={"Authorization": "Bearer test-key"}).status_code == 200
    with pytest.raises(ValueError, match="api_key"):
        Sandbox(api_key="has space")


def test_rfc9728_each_document_names_the_resource_of_its_url(sb):
    root = requests.get(f"{sb.root_url}/.well-known/oauth-protected-resource").json()
    assert root["resource"] == sb.root_url
    v2 = requests.get(f"{sb.root_url}/.well-known/oauth-protected-resource/v2").json()
    assert v2["resource"] == sb.base_url
    under = requests.get(f"{sb.base_url}/.well-known/oauth-protected-resource").json()
    assert under["resource"] == sb.base_url
    issuer = requests.get(f"{sb.root_url}/.well-known/oauth-authorization-server").json()["issuer"]
    assert root["authorization_servers"] == v2["authorization_servers"] == [issuer]


def test_401_points_at_the_document_of_the_api_resource(sb):
    challenge = requests.get(f"{sb.base_url}/oauth_clients").headers["WWW-Authenticate"]
    url = re.search(r'resource_metadata="([^"]+)"', challenge).group(1)
    assert requests.get(url).json()["resource"] == sb.base_url


def test_served_openapi_uses_the_same_bounds(sb):
    doc = requests.get(f"{sb.base_url}/openapi.json").json()
    params = {p["name"]: p["schema"] for p in doc["paths"]["/v2/oauth_grants"]["get"]["parameters"]}
    assert params["page[size]"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
    create = doc["components"]["schemas"]["OAuthClientCreate"]
    assert create["additionalProperties"] is False and "verified" not in create["properties"]
    assert set(create["required"]) == {"name", "allowed_scopes", "client_type", "allowed_grant_types"}
    update = doc["components"]["schemas"]["OAuthClientUpdate"]
    assert "client_type" not in update["properties"] and "required" not in update
