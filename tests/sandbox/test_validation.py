"""The management schema's answers for bad input, without a server: status, the JSON pointer (bodies) or the
parameter (queries) each answer names, and a detail that says what to fix (``sandbox/policy/schema.py``)."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

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


def test_an_unknown_scope_lists_a_custom_catalog_comma_separated():
    error = refused(schema.check_create, {**CREATE, "allowed_scopes": ["nope"]}, ("admin", "messaging"))
    assert error.detail == "allowed_scopes[0] 'nope' is not a scope of this server; use: admin, messaging."


def test_an_update_is_checked_against_the_sandboxs_own_catalog():
    custom = ("admin", "messaging")
    assert schema.check_update({"allowed_scopes": ["messaging"]}, {}, custom) == {"allowed_scopes": ["messaging"]}
    assert refused(schema.check_update, {"allowed_scopes": ["messaging"]}, {}).pointer == "/allowed_scopes/0"


def test_a_custom_catalog_is_what_a_create_body_may_name():
    """Client bodies are checked against the sandbox's own catalog, not a module global."""
    custom = ("admin", "messaging")
    assert schema.check_create({**CREATE, "allowed_scopes": ["messaging"]}, custom)["allowed_scopes"] == ["messaging"]
    with pytest.raises(WireError) as caught:
        schema.check_create({**CREATE, "allowed_scopes": ["messaging"]})  # the published catalog: admin only
    assert caught.value.pointer == "/allowed_scopes/0" and "use: admin" in caught.value.detail


LONG_URL = "https://app.example/" + "x" * 2000


@pytest.mark.parametrize(("body", "pointer", "detail"), [
    ({"name": "x" * 256}, "/name", "name must be at most 255 characters."),
    ({"name": 5}, "/name", "name must be a string."),
    ({"allowed_scopes": "admin"}, "/allowed_scopes", "allowed_scopes must be a list."),
    ({"redirect_uris": [LONG_URL]}, "/redirect_uris/0", "redirect_uris[0] must be at most 2000 characters."),
    ({"logo_uri": LONG_URL}, "/logo_uri", "logo_uri must be at most 2000 characters."),
    ({"policy_uri": "mailto:team@app.example"}, "/policy_uri", "policy_uri must be an http(s) URL (or null)."),
    ({"tos_uri": "ftp://files.example/tos"}, "/tos_uri", "tos_uri must be an http(s) URL (or null)."),
    ({"client_secret": "s3cret"}, "/client_secret", "client_secret is set by the server; remove it from the body."),
    ({"created_at": "2026-01-01"}, "/created_at", "created_at is set by the server; remove it from the body."),
    # a field name with the pointer's own separators is escaped (RFC 6901 section 3)
    ({"a/b~c": 1}, "/a~1b~0c", "'a/b~c' is not a field of this body; remove it (fields: allowed_grant_types, "
     "allowed_scopes, client_type, logo_uri, name, policy_uri, redirect_uris, require_pkce, tos_uri)."),
    ({"redirect_uris": ["https://user@app.example/cb"]}, "/redirect_uris/0",
     "redirect_uris[0] must not carry userinfo (user@ before the host): the consent page would show it as if it were "
     "the host; register the URI with its host alone."),
    ({"redirect_uris": ["https://*.app.example/cb"]}, "/redirect_uris/0",
     "redirect_uris[0] must not hold a wildcard '*': redirect URIs match exactly (RFC 9700 section 4.1.3); register "
     "each URI in full."),
    ({"redirect_uris": ["https://app.example/cb", "cb"]}, "/redirect_uris/1",
     "redirect_uris[1] 'cb' is not an absolute URI (e.g. https://app.example.com/callback)."),
])
def test_more_bad_create_fields_word_for_word(body, pointer, detail):
    error = refused(schema.check_create, {**CREATE, **body})
    assert (error.status, error.pointer, error.detail) == (422, pointer, detail)


@pytest.mark.parametrize(("fault", "pointer", "detail"), [
    ({"path": "v2/oauth_grants", "status": 429}, "/path",
     "path must be a request path starting with '/', e.g. \"/v2/oauth_grants\"."),
    ({"path": 3, "status": 500}, "/path", "path must be a string."),
    ({"status": 500}, "/path", "path is required."),
    ({"path": "/v2", "status": 418}, "/status", "status 418 is not one of: 429, 500, 502, 503."),
    ({"path": "/v2"}, "/status", "give a status (429, 500, 502, 503), a delay in seconds, drop: true, or a delay "
     "with one of the others."),
    ({"path": "/v2", "drop": False}, "/status", "give a status (429, 500, 502, 503), a delay in seconds, drop: "
     "true, or a delay with one of the others."),
    ({"path": "/v2", "drop": True, "status": 500}, "/drop",
     "a dropped connection has no status: give drop or status, not both."),
    ({"path": "/v2", "status": 429, "retry_after": -1}, "/retry_after", "retry_after must be from 0 to 3600."),
    ({"path": "/v2", "status": 429, "retry_after": 3601}, "/retry_after", "retry_after must be from 0 to 3600."),
    ({"path": "/v2", "status": 429, "reset": 86401}, "/reset", "reset must be from 0 to 86400."),
    ({"path": "/v2", "delay": 30.5}, "/delay", "delay must be from 0 to 30."),
    ({"path": "/v2", "delay": "x"}, "/delay", "delay must be a number."),
    ({"path": "/v2", "status": 500, "count": 0}, "/count", "count must be from 1 to 10000."),
    ({"path": "/v2", "status": 500, "count": 1.5}, "/count", "count must be a whole number."),
    ({"path": "/v2", "status": 500, "method": "G T"}, "/method",
     "method must be an HTTP method such as \"GET\", or left out for any method."),
    ({"path": "/v2", "status": 500, "drop": "yes"}, "/drop", "drop must be true or false."),
    ({"path": "/v2", "status": 500, "colour": 1}, "/colour", "'colour' is not a field of this body; remove it "
     "(fields: count, delay, drop, method, path, reset, retry_after, status)."),
])
def test_a_bad_fault_is_answered_word_for_word(fault, pointer, detail):
    error = refused(schema.check_body, "Fault", fault)
    assert (error.status, error.pointer, error.detail) == (422, pointer, detail)


@pytest.mark.parametrize(("body", "pointer", "detail"), [
    ({"allowed": True, "consent_token": ""}, "/consent_token", "consent_token must not be empty."),
    ({"allowed": "yes", "consent_token": "t"}, "/allowed", "allowed must be true or false."),
    ({"allowed": True}, "/consent_token", "consent_token is required."),
    ([], "", "the body must be a JSON object."),
    (None, "", "the body must be a JSON object."),
])
def test_a_bad_consent_decision_is_answered_word_for_word(body, pointer, detail):
    error = refused(schema.check_body, "ConsentDecision", body)
    assert (error.status, error.pointer, error.detail) == (422, pointer, detail)


def test_verified_is_answered_word_for_word():
    error = refused(schema.check_body, "VerifiedUpdate", {"verified": "yes"})
    assert error.detail == "verified must be true or false."
    assert schema.check_body("VerifiedUpdate", {"verified": False}) == {"verified": False}


@pytest.fixture(params=["as reported", "reversed"])
def error_order(request, monkeypatch):
    """jsonschema promises no order for a body's errors: the answer must not depend on it."""
    if request.param == "reversed":
        report = Draft202012Validator.iter_errors
        monkeypatch.setattr(Draft202012Validator, "iter_errors",
                            lambda self, instance: reversed(list(report(self, instance))))
    return request.param


@pytest.mark.usefixtures("error_order")
@pytest.mark.parametrize(("body", "pointer"), [
    # an unknown field first, whatever else is wrong: removing it is the first fix
    ({"colour": 1}, "/colour"),
    ({"colour": 1, "name": 5}, "/colour"),
    ({"name": 5, **{k: v for k, v in CREATE.items() if k != "name"}, "zzz": 1}, "/zzz"),
    # then a missing field, before a wrong one
    ({"name": 5}, "/allowed_scopes"),
    ({**{k: v for k, v in CREATE.items() if k != "client_type"}, "require_pkce": "x"}, "/client_type"),
    # then the first wrong field by name, whichever order the body lists them in
    ({**CREATE, "name": 5, "require_pkce": "x"}, "/name"),
    ({**CREATE, "require_pkce": "x", "name": 5}, "/name"),
    ({**CREATE, "tos_uri": 1, "logo_uri": 1}, "/logo_uri"),
])
def test_of_several_wrong_fields_the_one_to_fix_first_is_named(body, pointer):
    assert refused(schema.check_create, body).pointer == pointer


@pytest.mark.usefixtures("error_order")
def test_a_rule_over_several_fields_is_named_after_a_wrong_field():
    """The fault's anyOf (status, delay or drop) is the last thing named: a wrong path is fixed first."""
    assert refused(schema.check_body, "Fault", {"path": "v2"}).pointer == "/path"
    assert refused(schema.check_body, "Fault", {"path": "/v2", "retry_after": -1}).pointer == "/retry_after"
    # a missing field before a rule over several (drop with a status)
    assert refused(schema.check_body, "Fault", {"drop": True, "status": 500}).pointer == "/path"
    # a body that is not an object is said so, not that its (absent) drop and status conflict
    assert refused(schema.check_body, "Fault", []).detail == "the body must be a JSON object."


def first_error(rule: dict, instance):
    return next(Draft202012Validator(rule, format_checker=schema.FORMATS).iter_errors(instance))


@pytest.mark.parametrize(("rule", "instance", "pointer", "detail"), [
    # kinds of rule no body uses today answer in the same plain form, should a body come to use them
    ({"properties": {"n": {"minimum": 1}}}, {"n": 0}, "/n", "n must be at least 1."),
    ({"properties": {"tags": {"maxItems": 2}}}, {"tags": [1, 2, 3]}, "/tags", "tags may list at most 2 values."),
    ({"properties": {"app": {"properties": {"name": {"type": "string"}}}}}, {"app": {"name": 1}}, "/app/name",
     "app.name must be a string."),
    ({"properties": {"tags": {"uniqueItems": True}}}, {"tags": [1, 1]}, "/tags",
     "tags: [1, 1] has non-unique elements."),
])
def test_an_answer_names_the_field_for_any_kind_of_rule(rule, instance, pointer, detail):
    error = schema._describe(first_error(rule, instance), "Other")
    assert (error.status, error.pointer, error.detail) == (422, pointer, detail)


def test_an_update_naming_both_lists_with_the_code_flow_and_no_uri_is_malformed():
    error = refused(schema.check_update, {"allowed_grant_types": ["authorization_code"], "redirect_uris": []},
                    {"allowed_grant_types": ["client_credentials"], "redirect_uris": []})
    assert (error.status, error.pointer, error.detail) == (422, "/redirect_uris", (
        "a client allowed the authorization_code grant needs at least one redirect URI in redirect_uris."))


@pytest.mark.parametrize(("field", "detail"), [
    ("client_type", "client_type cannot change after creation; create a new client instead."),
    ("client_id", "client_id is set by the server; remove it from the body."),
    ("verified", "verified is owned by the server; remove it (in the sandbox, PUT "
     "/_sandbox/clients/{client_id}/verified with the API key sets it)."),
])
def test_an_update_naming_a_field_it_cannot_change_says_why(field, detail):
    error = refused(schema.check_update, {field: "x"}, {"allowed_grant_types": ["client_credentials"]})
    assert (error.status, error.pointer, error.detail) == (422, f"/{field}", detail)


def test_the_update_conflict_is_answered_word_for_word_and_names_what_the_body_sent():
    detail = ("the client would be allowed the authorization_code grant without a redirect URI: send redirect_uris "
              "with at least one URI, or drop authorization_code.")
    code_flow = {"allowed_grant_types": ["authorization_code"], "redirect_uris": ["http://127.0.0.1/cb"]}
    error = refused(schema.check_update, {"redirect_uris": []}, code_flow)
    assert (error.status, error.pointer, error.detail) == (409, "/redirect_uris", detail)
    error = refused(schema.check_update, {"allowed_grant_types": ["client_credentials", "authorization_code"]},
                    {"allowed_grant_types": ["client_credentials"]})  # a stored client with no redirect_uris at all
    assert (error.status, error.pointer, error.detail) == (409, "/allowed_grant_types", detail)


def test_an_update_that_keeps_the_code_flow_possible_passes_cleaned():
    code_flow = {"allowed_grant_types": ["authorization_code"], "redirect_uris": ["http://127.0.0.1/cb"]}
    assert schema.check_update({"name": " New ", "allowed_scopes": ["admin", "admin"]}, code_flow) == {
        "name": "New", "allowed_scopes": ["admin"]}
    assert schema.check_update({"redirect_uris": ["http://127.0.0.1/a", "http://127.0.0.1/a"]}, code_flow) == {
        "redirect_uris": ["http://127.0.0.1/a"]}
    # dropping the code flow along with the last URI is fine, and so is a client that never had it
    assert schema.check_update({"allowed_grant_types": ["client_credentials", "client_credentials"],
                                "redirect_uris": []}, code_flow) == {
        "allowed_grant_types": ["client_credentials"], "redirect_uris": []}
    assert schema.check_update({"redirect_uris": []}, {}) == {"redirect_uris": []}
    assert schema.check_update({}, code_flow) == {}


def test_a_create_body_is_not_changed_by_the_check():
    body = {**CREATE, "name": " App ", "allowed_scopes": ["admin", "admin"]}
    before = {**body, "allowed_scopes": list(body["allowed_scopes"])}
    schema.check_create(body)
    assert body == before


def test_a_catalog_of_its_own_leaves_the_published_schemas_as_they_were():
    """``body_schemas`` copies the client bodies; the served OpenAPI document and other sandboxes keep theirs."""
    custom = schema.body_schemas(("admin", "messaging"))
    for name in ("OAuthClientCreate", "OAuthClientUpdate"):
        assert custom[name]["properties"]["allowed_scopes"]["items"] == {"enum": ["admin", "messaging"]}
        assert schema.BODIES[name]["properties"]["allowed_scopes"]["items"] == {"enum": ["admin"]}
        assert schema.body_schemas()[name]["properties"]["allowed_scopes"]["items"] == {"enum": ["admin"]}
    assert custom["Fault"] == schema.BODIES["Fault"] and set(custom) == set(schema.BODIES)


@pytest.mark.parametrize(("query", "parameter", "detail"), [
    ({"page[number]": "-5"}, "page[number]", "page[number] must be a whole number of at least 1; got '-5'."),
    ({"page[size]": "1.5"}, "page[size]", "page[size] must be a whole number from 1 to 100; got '1.5'."),
    ({"page[size]": "+5"}, "page[size]", "page[size] must be a whole number from 1 to 100; got '+5'."),
    ({"page[size]": " 5"}, "page[size]", "page[size] must be a whole number from 1 to 100; got ' 5'."),
    ({"filter[verified]": "True"}, "filter[verified]", "filter[verified] must be true or false; got 'True'."),
    ({"filter[allowed_grant_types][contains]": "implicit"}, "filter[allowed_grant_types][contains]",
     "filter[allowed_grant_types][contains] must be one of: authorization_code, client_credentials, refresh_token; "
     "got 'implicit'."),
    ({"pages": "2"}, "pages", "unknown query parameter 'pages'; this list takes: filter[allowed_grant_types][contains], "
     "filter[client_id], filter[client_type], filter[name], filter[name][contains], filter[verified], page[number], "
     "page[size]."),
])
def test_more_bad_query_parameters_word_for_word(query, parameter, detail):
    error = refused(schema.check_query, "clients", query)
    assert (error.status, error.parameter, error.detail) == (400, parameter, detail)


def test_whole_numbers_past_pythons_digit_limit_are_still_checked_against_the_bounds():
    """A page number of 5,000 digits is refused by its size, not by a ValueError (a 500)."""
    huge = "9" * 5000
    assert refused(schema.check_query, "clients", {"page[size]": huge}).parameter == "page[size]"
    assert refused(schema.check_query, "clients", {"page[number]": "-" + huge}).parameter == "page[number]"
    assert schema.check_query("clients", {"page[number]": huge})["page[number]"] == 10**4000
    # leading zeros do not count: 5,000 zeros are the number 0, below the page numbers' minimum of 1
    assert refused(schema.check_query, "clients", {"page[number]": "0" * 5000}).parameter == "page[number]"
    assert schema.check_query("clients", {"page[number]": "0" * 5000 + "7"})["page[number]"] == 7
    assert schema.check_query("clients", {"page[number]": "4" * 4000})["page[number]"] == int("4" * 4000)


def test_other_query_parameters_are_left_to_the_endpoint_and_leading_zeros_are_a_number():
    values = schema.check_query("grants", {"page[size]": "007", "include": "client"})
    assert values == {"page[number]": 1, "page[size]": 7}


def test_the_managed_accounts_list_takes_its_own_parameters_with_defaults():
    assert schema.check_query("managed_accounts", {}) == {
        "page[number]": 1, "page[size]": 20, "sort": "created_at", "include_cancelled_accounts": False}
    values = schema.check_query("managed_accounts", {"sort": "-email", "include_cancelled_accounts": "true",
                                                     "filter[email][contains]": "ops"})
    assert (values["sort"], values["include_cancelled_accounts"], values["filter[email][contains]"]) == (
        "-email", True, "ops")
    error = refused(schema.check_query, "managed_accounts", {"sort": "name"})
    assert (error.parameter, error.detail) == (
        "sort", "sort must be one of: created_at, -created_at, email, -email; got 'name'.")
    error = refused(schema.check_query, "managed_accounts", {"include_cancelled_accounts": "1"})
    assert error.detail == "include_cancelled_accounts must be true or false; got '1'."
    error = refused(schema.check_query, "managed_accounts", {"filter[name]": "x"})
    assert error.parameter == "filter[name]" and error.detail.startswith("unknown query parameter 'filter[name]'")
