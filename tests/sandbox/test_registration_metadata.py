"""RFC 7591 registration metadata refused before Authlib sees it (``telnyx_nb/sandbox/policy/validation.py``): each
wrong type or value gets the RFC 7591 §3.2.2 error code and a description naming the field and what it accepts;
what a registered client becomes (``endpoints.SandboxRegistration``: defaults, PKCE for public apps, a working
secret for confidential ones); and the paging metadata of the management lists (``page_meta``)."""

from __future__ import annotations

import pytest
from caller_helpers import register
from oauth_helpers import (
    CUSTOM_SCOPES,
    TIMEOUT,
    api,
    authorize,
    consent_page,
    create_client,
    query_of,
    redirect_of,
    token,
    url,
)

LIST_OF_STRINGS = "must be a list of non-empty strings."
NOT_ABSOLUTE = "must be an absolute URI without a fragment (RFC 6749 section 3.1.2)."


@pytest.fixture
def sb(make_sandbox):
    return make_sandbox(seed="empty")


@pytest.mark.parametrize("metadata, error, description", [
    ({"client_name": 5}, "invalid_client_metadata", "client_name must be a string."),
    ({"software_version": 1}, "invalid_client_metadata", "software_version must be a string."),
    ({"redirect_uris": "https://a.example/cb"}, "invalid_redirect_uri", f"redirect_uris {LIST_OF_STRINGS}"),
    ({"redirect_uris": [""]}, "invalid_redirect_uri", f"redirect_uris {LIST_OF_STRINGS}"),
    ({"contacts": [1]}, "invalid_client_metadata", f"contacts {LIST_OF_STRINGS}"),
    ({"grant_types": "authorization_code"}, "invalid_client_metadata", f"grant_types {LIST_OF_STRINGS}"),
    ({"redirect_uris": ["https://a.example/cb", "https://a.example/cb#x"]}, "invalid_redirect_uri",
     f"redirect_uris[1] {NOT_ABSOLUTE}"),
    ({"redirect_uris": ["/relative"]}, "invalid_redirect_uri", f"redirect_uris[0] {NOT_ABSOLUTE}"),
    ({"logo_uri": "ftp://x.example/y"}, "invalid_client_metadata", "logo_uri must be an http(s) URL."),
    ({"tos_uri": "https://"}, "invalid_client_metadata", "tos_uri must be an http(s) URL."),
    ({"client_uri": "ftp://x.example/"}, "invalid_client_metadata", "client_uri must be an http(s) URL."),
    ({"policy_uri": "javascript:alert(1)"}, "invalid_client_metadata", "policy_uri must be an http(s) URL."),
    ({"grant_types": ["client_credentials", "password"]}, "invalid_client_metadata",
     "grant_types may hold only authorization_code, client_credentials, refresh_token; not 'password'."),
    ({"response_types": ["token"]}, "invalid_client_metadata", "response_types may hold only code; not 'token'."),
    ({"scope": "admin teleport"}, "invalid_client_metadata",
     "scope 'teleport' is unknown; use space-separated scopes from: admin."),
    ({"token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata",
     "token_endpoint_auth_method must be none, client_secret_basic or client_secret_post."),
])
def test_refused_registration_metadata_is_named_with_what_is_accepted(sb, metadata, error, description):
    response = register(sb, **{"client_name": "x", **metadata})
    assert response.status_code == 400
    [refused_field] = metadata
    # Telnyx's register error lists the fields to fix: the one refused, named as the client sent it
    assert response.json() == {"error": error, "error_description": description, "invalid_fields": [refused_field]}


def test_an_unknown_scope_is_refused_listing_a_custom_catalog_space_separated(make_sandbox):
    """With a catalog of its own (not Telnyx's one scope), the refusal lists every scope in the form to send."""
    sb = make_sandbox(seed="empty", scopes=CUSTOM_SCOPES)
    response = register(sb, client_name="x", scope="messaging teleport")
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_client_metadata", "invalid_fields": ["scope"], "error_description":
                               f"scope 'teleport' is unknown; use space-separated scopes from: {' '.join(CUSTOM_SCOPES)}."}


def test_a_registered_client_is_allowed_only_the_scopes_it_asked_for(make_sandbox):
    """Least privilege (RFC 7591 §2 ``scope``): asking for two scopes of a larger catalog gives those two, not every
    registrable one; asking for none gives every registrable one."""
    sb = make_sandbox(seed="empty", scopes=CUSTOM_SCOPES)
    narrow = register(sb, client_name="narrow", scope="messaging voice").json()["client_id"]
    wide = register(sb, client_name="wide").json()["client_id"]

    def allowed(client_id: str) -> list[str]:
        return api(sb).get(url(sb, f"/oauth_clients/{client_id}"), timeout=TIMEOUT).json()["data"]["allowed_scopes"]

    assert allowed(narrow) == ["messaging", "voice"]
    assert allowed(wide) == list(CUSTOM_SCOPES)


@pytest.mark.parametrize("metadata", [
    {"client_uri": "http://app.example/", "logo_uri": "https://app.example/logo.png"},
    {"grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
     "redirect_uris": ["https://app.example/cb"], "token_endpoint_auth_method": "none"},
    {"scope": "admin", "contacts": ["ops@app.example"], "software_version": "1.0"},
    {"token_endpoint_auth_method": "client_secret_basic", "policy_uri": "https://app.example/privacy"},
    {"token_endpoint_auth_method": "client_secret_post", "tos_uri": "https://app.example/terms"},
    # a native app's redirect URIs (RFC 8252): a private-use scheme (section 7.1), a loopback literal (7.3)
    {"redirect_uris": ["com.example.app:/oauth2redirect"], "token_endpoint_auth_method": "none"},
    {"redirect_uris": ["com.example.app:/cb", "http://127.0.0.1/cb"], "token_endpoint_auth_method": "none"},
])
def test_well_formed_registration_metadata_is_accepted(sb, metadata):
    response = register(sb, **{"client_name": "x", **metadata})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("clients, size, pages", [(0, 2, 0), (3, 2, 2), (3, 3, 1), (3, 4, 1), (4, 2, 2)])
def test_list_metadata_counts_whole_pages(sb, clients, size, pages):
    for _ in range(clients):
        create_client(sb)
    meta = api(sb).get(url(sb, "/oauth_clients"), params={"page[size]": size}, timeout=TIMEOUT).json()["meta"]
    assert meta == {"page_number": 1, "page_size": size, "total_pages": pages, "total_results": clients}


def test_a_native_app_registered_with_a_private_use_scheme_gets_its_code_there(sb):
    """RFC 8252 §7.1: a mobile app registers ``com.example.app:/cb`` and is redirected there after consent."""
    redirect = "com.example.app:/oauth2redirect"
    client = register(sb, client_name="Field App", redirect_uris=[redirect], token_endpoint_auth_method="none",
                      grant_types=["authorization_code", "refresh_token"]).json()
    assert client["redirect_uris"] == [redirect]
    response, verifier = authorize(sb, client, redirect_uri=redirect, state="s1")
    location = redirect_of(consent_page(response).decide(allow=True))
    assert location.startswith(redirect + "?")
    code = query_of(location)["code"]
    tokens = token(sb, client, auth="none", grant_type="authorization_code", code=code, redirect_uri=redirect,
                   code_verifier=verifier)
    assert tokens.status_code == 200, tokens.text


def _stored(sb, client_id: str) -> dict:
    return api(sb).get(url(sb, f"/oauth_clients/{client_id}"), timeout=TIMEOUT).json()["data"]


def test_a_registration_without_metadata_gets_the_documented_defaults(sb):
    """RFC 7591 §2: a confidential client_secret_basic app allowed authorization_code and every registrable scope."""
    answer = register(sb).json()
    stored = _stored(sb, answer["client_id"])
    assert {k: stored[k] for k in ("name", "client_type", "require_pkce", "allowed_grant_types", "redirect_uris",
                                   "logo_uri", "policy_uri", "tos_uri")} == {
        "name": "Unnamed client", "client_type": "confidential", "require_pkce": False,
        "allowed_grant_types": ["authorization_code"], "redirect_uris": [],
        "logo_uri": None, "policy_uri": None, "tos_uri": None}
    assert stored["allowed_scopes"] == list(sb.config.registrable_scopes)
    assert (stored["org_id"], stored["user_id"]) == (sb.config.org_id, sb.config.user_id)  # the account's own
    assert set(answer) == {"client_id", "client_secret", "client_id_issued_at", "client_secret_expires_at",
                           "client_name", "grant_types", "response_types", "scope", "redirect_uris",
                           "token_endpoint_auth_method"}  # RFC 7591 §3.2.1: the registered metadata, nothing else
    assert answer["token_endpoint_auth_method"] == "client_secret_basic"
    assert answer["grant_types"] == ["authorization_code"] and answer["response_types"] == ["code"]
    assert answer["scope"] == " ".join(sb.config.registrable_scopes)
    assert answer["client_name"] == "Unnamed client" and answer["redirect_uris"] == []


def test_a_public_registration_must_use_pkce_and_has_no_secret(sb):
    answer = register(sb, client_name="Phone", token_endpoint_auth_method="none", redirect_uris=["myapp://cb"],
                      grant_types=["authorization_code"]).json()
    assert "client_secret" not in answer and "client_secret_expires_at" not in answer
    stored = _stored(sb, answer["client_id"])
    assert stored["client_type"] == "public" and stored["require_pkce"] is True
    response, _ = authorize(sb, answer, redirect_uri="myapp://cb", pkce=None, state="s")
    refused = query_of(response.headers["Location"])
    assert refused["error"] == "invalid_request" and "code_challenge" in refused["error_description"], refused


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_a_confidential_registration_gets_a_secret_that_works_at_the_token_endpoint(sb, method):
    links = {"logo_uri": "https://worker.example/logo.png", "policy_uri": "https://worker.example/privacy",
             "tos_uri": "https://worker.example/terms"}
    answer = register(sb, client_name="Worker", token_endpoint_auth_method=method, scope="admin",
                      grant_types=["client_credentials"], **links).json()
    assert answer["token_endpoint_auth_method"] == method and answer["client_secret_expires_at"] == 0
    assert answer["response_types"] == []  # no authorization_code, so no front channel
    client = {"client_id": answer["client_id"], "client_secret": answer["client_secret"]}
    issued = token(sb, client, auth="basic" if method == "client_secret_basic" else "post",
                   grant_type="client_credentials")
    assert issued.status_code == 200, issued.text
    assert issued.json()["scope"] == "admin"
    stored = _stored(sb, answer["client_id"])
    assert stored["client_type"] == "confidential" and stored["allowed_scopes"] == ["admin"]
    assert stored["allowed_grant_types"] == ["client_credentials"] and stored["name"] == "Worker"
    assert {k: stored[k] for k in links} == links


@pytest.mark.parametrize("description", ["The body must be a JSON object of client metadata.", "must be a string.",
                                         "colour must be red.", ""])
def test_a_refusal_that_names_no_metadata_field_lists_none(description):
    """invalid_fields lists a field only when the refusal's first word is one of RFC 7591's metadata names."""
    from telnyx_nb.sandbox.protocol.registration import invalid_fields

    assert invalid_fields(description) == []
    assert invalid_fields("redirect_uris[2] must use https://") == ["redirect_uris"]

