"""The management schema's answers for bad input, without a server: status, the JSON pointer (bodies) or the
parameter (queries) each answer names, and a detail that says what to fix (``sandbox/policy/schema.py``)."""

from __future__ import annotations

import pytest

from telnyx_nb.sandbox.http.wire_errors import WireError
from telnyx_nb.sandbox.policy import schema

CREATE = {"name": "App", "allowed_scopes": ["admin"], "client_type": "confidential",
          "allowed_grant_types": ["client_credentials"]}


def refused(check, *args) -> WireError:
    with pytest.raises(WireError) as caught:
        check(*args)
    return caught.value


ELEVEN_URIS = [f"http://127.0.0.1/cb{i}" for i in range(11)]


@pytest.mark.parametrize(("field", "value", "pointer", "detail"), [
    ("name", "", "/name", "name must be a non-empty string (not only spaces)."),
    ("name", "   ", "/name", "name must be a non-empty string (not only spaces)."),
    ("allowed_scopes", ["nope"], "/allowed_scopes/0",
     "allowed_scopes[0] 'nope' is not a scope of this server; use: admin."),
    ("allowed_scopes", [], "/allowed_scopes", "allowed_scopes must list at least 1 value."),
    ("allowed_grant_types", [], "/allowed_grant_types", "allowed_grant_types must list at least 1 value."),
    ("redirect_uris", ELEVEN_URIS, "/redirect_uris", "redirect_uris may list at most 10 URIs."),
    ("client_type", "secret", "/client_type", "client_type 'secret' is not one of: public, confidential."),
    ("allowed_grant_types", ["implicit"], "/allowed_grant_types/0",
     "allowed_grant_types[0] 'implicit' is not one of: authorization_code, client_credentials, refresh_token."),
    ("redirect_uris", ["http://app.example/cb#frag"], "/redirect_uris/0",
     "redirect_uris[0] must not contain a fragment '#' (RFC 6749 section 3.1.2)."),
    ("redirect_uris", ["javascript:alert(1)"], "/redirect_uris/0",
     "redirect_uris[0] the javascript: scheme is not allowed for a redirect URI (it would run in or read from the "
     "user's browser); use https://, a loopback http:// URI or a private-use scheme."),
    ("redirect_uris", [1], "/redirect_uris/0", "redirect_uris[0] must be a string."),
    ("require_pkce", "yes", "/require_pkce", "require_pkce must be true or false."),
    ("logo_uri", "ftp://files.example/logo.png", "/logo_uri", "logo_uri must be an http(s) URL (or null)."),
    ("policy_uri", 12, "/policy_uri", "policy_uri must be a string or null."),
    ("tos_uri", "nope", "/tos_uri",
     "tos_uri 'nope' is not an absolute URI (e.g. https://app.example.com/callback)."),
    ("verified", True, "/verified", "verified is owned by the server; remove it (in the sandbox, PUT "
     "/_sandbox/clients/{client_id}/verified with the API key sets it)."),
    ("colour", "blue", "/colour", "'colour' is not a field of this body; remove it (fields: allowed_grant_types, "
     "allowed_scopes, client_type, logo_uri, name, policy_uri, redirect_uris, require_pkce, tos_uri)."),
])
def test_a_bad_create_field_is_a_422_naming_its_pointer(field, value, pointer, detail):
    """The pointer says where, the detail (word for word: it is what a user reads) says what to do instead."""
    error = refused(schema.check_create, {**CREATE, field: value})
    assert (error.status, error.pointer, error.detail) == (422, pointer, detail)
    body = error.body()
    assert body["errors"][0]["source"] == {"pointer": pointer} and body["error"] == "invalid_request"


def test_a_missing_required_field_is_named():
    error = refused(schema.check_create, {k: v for k, v in CREATE.items() if k != "name"})
    assert (error.status, error.pointer, error.detail) == (422, "/name", "name is required.")


def test_a_body_that_is_not_an_object_points_at_the_whole_body():
    error = refused(schema.check_create, [])
    assert (error.status, error.pointer) == (422, "")


def test_the_code_flow_without_a_redirect_uri_names_redirect_uris():
    error = refused(schema.check_create, {**CREATE, "allowed_grant_types": ["authorization_code"]})
    assert (error.status, error.pointer, error.detail) == (422, "/redirect_uris", (
        "a client allowed the authorization_code grant needs at least one redirect URI in redirect_uris."))


def test_an_update_that_leaves_the_stored_code_flow_without_a_redirect_uri_conflicts():
    current = {"allowed_grant_types": ["authorization_code"], "redirect_uris": ["http://127.0.0.1/cb"]}
    error = refused(schema.check_update, {"redirect_uris": []}, current)
    assert (error.status, error.pointer) == (409, "/redirect_uris")
    error = refused(schema.check_update, {"allowed_grant_types": ["authorization_code"]},
                    {"allowed_grant_types": ["client_credentials"], "redirect_uris": []})
    assert (error.status, error.pointer) == (409, "/allowed_grant_types")


def test_a_good_create_body_gets_the_published_defaults_and_duplicates_dropped():
    fields = schema.check_create({**CREATE, "name": "  App  ", "allowed_scopes": ["admin", "admin"]})
    assert fields["name"] == "App" and fields["allowed_scopes"] == ["admin"]
    assert (fields["redirect_uris"], fields["require_pkce"]) == ([], False)


@pytest.mark.parametrize(("fault", "pointer"), [
    ({"path": "v2/oauth_grants", "status": 429}, "/path"),
    ({"path": "/v2", "status": 418}, "/status"),
    ({"path": "/v2"}, "/status"),  # neither status, delay nor drop
    ({"path": "/v2", "drop": True, "status": 500}, "/drop"),
    ({"path": "/v2", "status": 429, "retry_after": -1}, "/retry_after"),
    ({"path": "/v2", "delay": 31}, "/delay"),
    ({"path": "/v2", "status": 500, "count": 0}, "/count"),
    ({"path": "/v2", "status": 500, "method": "G T"}, "/method"),
])
def test_a_bad_fault_names_its_field(fault, pointer):
    error = refused(schema.check_body, "Fault", fault)
    assert (error.status, error.pointer) == (422, pointer)


def test_verified_must_be_a_boolean():
    error = refused(schema.check_body, "VerifiedUpdate", {"verified": "yes"})
    assert (error.status, error.pointer) == (422, "/verified")


@pytest.mark.parametrize(("query", "parameter", "detail"), [
    ({"page[size]": "101"}, "page[size]", "page[size] must be a whole number from 1 to 100; got '101'."),
    ({"page[size]": "abc"}, "page[size]", "page[size] must be a whole number from 1 to 100; got 'abc'."),
    ({"page[number]": "0"}, "page[number]", "page[number] must be a whole number of at least 1; got '0'."),
    ({"filter[verified]": "yes"}, "filter[verified]", "filter[verified] must be true or false; got 'yes'."),
    ({"filter[client_type]": "secret"}, "filter[client_type]",
     "filter[client_type] must be one of: public, confidential; got 'secret'."),
    ({"filter[colour]": "blue"}, "filter[colour]",
     "unknown query parameter 'filter[colour]'; this list takes: filter[allowed_grant_types][contains], "
     "filter[client_id], filter[client_type], filter[name], filter[name][contains], filter[verified], page[number], "
     "page[size]."),
])
def test_a_bad_query_parameter_is_a_400_naming_it(query, parameter, detail):
    error = refused(schema.check_query, "clients", query)
    assert (error.status, error.parameter, error.pointer, error.detail) == (400, parameter, None, detail)
    assert error.body()["errors"][0]["source"] == {"parameter": parameter}


def test_a_good_query_is_typed_with_defaults():
    values = schema.check_query("clients", {"filter[verified]": "true", "page[number]": "3"})
    assert values == {"page[number]": 3, "page[size]": 20, "filter[verified]": True}


def test_a_custom_catalog_is_what_a_create_body_may_name():
    """Client bodies are checked against the sandbox's own catalog, not a module global."""
    custom = ("admin", "messaging")
    assert schema.check_create({**CREATE, "allowed_scopes": ["messaging"]}, custom)["allowed_scopes"] == ["messaging"]
    with pytest.raises(WireError) as caught:
        schema.check_create({**CREATE, "allowed_scopes": ["messaging"]})  # the published catalog: admin only
    assert caught.value.pointer == "/allowed_scopes/0" and "use: admin" in caught.value.detail
