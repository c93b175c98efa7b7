"""Limits on what a client may be registered with, on both paths: open registration (RFC 7591, anyone who reaches
the port) and the management API (the account owner). Redirect URIs with userinfo (the consent page would show
``https://telnyx.com@evil.example/cb`` verbatim), ``blob:`` / ``about:`` and wildcards are refused; at most
``MAX_REDIRECT_URIS``; open registration also refuses plain http beyond loopback (RFC 6749 §3.1.2.1, RFC 8252
§7.3), while the management API keeps accepting it (Telnyx publishes no rule; the audit flags it). Errors name
the field: RFC 7591 §3.2.2 codes on registration, a 422 with ``/redirect_uris/N`` on the management API."""

from __future__ import annotations

import pytest
from caller_helpers import register
from oauth_helpers import TIMEOUT, api, url

from telnyx_nb.sandbox.policy.redirects import MAX_URI_LENGTH
from telnyx_nb.sandbox.policy.terms import MAX_LIST_ITEMS, MAX_REDIRECT_URIS

GOOD = "https://app.example/cb"
REFUSED_ON_BOTH = {
    "userinfo": ("https://telnyx.com@evil.example/cb", "userinfo"),
    "userinfo with password": ("https://telnyx.com:pw@evil.example/cb", "userinfo"),
    "userinfo on loopback": ("http://evil.example@127.0.0.1:8976/cb", "userinfo"),
    "blob": ("blob:https://app.example/0b7d", "blob:"),
    "about": ("about:blank", "about:"),
    "About upper case": ("ABOUT:blank", "about:"),
    "wildcard host": ("https://*.example/cb", "wildcard"),
    "wildcard in a label": ("https://app*.example/cb", "wildcard"),
    "wildcard path": ("https://app.example/*", "wildcard"),
    "wildcard private-use": ("com.example.app:/cb*", "wildcard"),
}
PLAIN_HTTP = ["http://app.example/cb", "http://192.168.1.10:8080/cb", "http://127.0.0.1.nip.io/cb",
              "http://localhost.evil.example/cb"]
LOOPBACK_HTTP = ["http://127.0.0.1:8976/callback", "http://[::1]:8976/callback", "http://127.0.0.1/cb",
                 "http://localhost:3000/cb"]


@pytest.fixture(scope="module")
def sb():
    from telnyx_nb.sandbox.web.server import Sandbox

    with Sandbox(seed="empty", db=":memory:") as sandbox:
        yield sandbox


def _manage(sb, redirect_uris, method="post"):
    body = {"name": "x", "client_type": "confidential", "allowed_grant_types": ["authorization_code"],
            "allowed_scopes": ["admin"], "redirect_uris": redirect_uris}
    return getattr(api(sb), method)(url(sb, "/oauth_clients"), json=body, timeout=TIMEOUT)


def _registered(sb, **metadata):
    return register(sb, client_name="x", grant_types=["authorization_code"], **metadata)


@pytest.mark.parametrize("name", REFUSED_ON_BOTH)
def test_a_dangerous_redirect_uri_is_refused_by_open_registration_naming_it(sb, name):
    uri, words = REFUSED_ON_BOTH[name]
    response = _registered(sb, redirect_uris=[GOOD, uri])
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_redirect_uri"
    assert body["error_description"].startswith("redirect_uris[1] ") and words in body["error_description"], body


@pytest.mark.parametrize("name", REFUSED_ON_BOTH)
def test_a_dangerous_redirect_uri_is_refused_by_the_management_api_with_its_pointer(sb, name):
    uri, words = REFUSED_ON_BOTH[name]
    created = _manage(sb, [GOOD, uri])
    assert created.status_code == 422, created.text
    [error] = created.json()["errors"]
    assert error["source"] == {"pointer": "/redirect_uris/1"} and words in error["detail"], error
    client = _manage(sb, [GOOD]).json()["data"]
    updated = api(sb).put(url(sb, f"/oauth_clients/{client['client_id']}"), json={"redirect_uris": [uri]},
                          timeout=TIMEOUT)
    assert updated.status_code == 422 and updated.json()["errors"][0]["source"] == {"pointer": "/redirect_uris/0"}


@pytest.mark.parametrize("uri", PLAIN_HTTP)
def test_open_registration_refuses_plain_http_beyond_loopback(sb, uri):
    response = _registered(sb, redirect_uris=[uri])
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_redirect_uri"
    assert body["error_description"].startswith("redirect_uris[0] ") and "https://" in body["error_description"]


@pytest.mark.parametrize("uri", PLAIN_HTTP)
def test_the_management_api_still_accepts_plain_http(sb, uri):
    assert _manage(sb, [uri]).status_code == 201


@pytest.mark.parametrize("uri", LOOPBACK_HTTP + ["https://app.example/cb", "com.example.app:/oauth2redirect"])
def test_open_registration_accepts_loopback_http_https_and_private_use_schemes(sb, uri):
    response = _registered(sb, redirect_uris=[uri])
    assert response.status_code == 201, response.text


def test_at_most_the_cap_of_redirect_uris_on_both_paths(sb):
    assert MAX_REDIRECT_URIS == 10
    uris = [f"https://app.example/cb{i}" for i in range(MAX_REDIRECT_URIS + 1)]
    assert _registered(sb, redirect_uris=uris[:-1]).status_code == 201
    assert _manage(sb, uris[:-1]).status_code == 201
    refused = _registered(sb, redirect_uris=uris)
    assert refused.status_code == 400
    assert refused.json() == {"error": "invalid_redirect_uri", "invalid_fields": ["redirect_uris"],
                              "error_description": "redirect_uris may list at most 10 URIs."}
    created = _manage(sb, uris)
    assert created.status_code == 422
    [error] = created.json()["errors"]
    assert error["source"] == {"pointer": "/redirect_uris"} and "at most 10" in error["detail"]


@pytest.mark.parametrize("field", ["contacts", "grant_types", "response_types"])
def test_open_registration_caps_every_list(sb, field):
    values = {"contacts": [f"a{i}@app.example" for i in range(MAX_LIST_ITEMS + 1)],
              "grant_types": ["client_credentials"] * (MAX_LIST_ITEMS + 1),
              "response_types": ["code"] * (MAX_LIST_ITEMS + 1)}[field]
    response = register(sb, client_name="x", redirect_uris=[GOOD], **{field: values})
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_client_metadata", "invalid_fields": [field],
                               "error_description": f"{field} may list at most {MAX_LIST_ITEMS} values."}


@pytest.mark.parametrize("field", ["software_id", "software_version", "scope", "contacts"])
def test_open_registration_caps_every_string(sb, field):
    long = "a" * (MAX_URI_LENGTH + 1)
    response = register(sb, client_name="x", redirect_uris=[GOOD], **{field: [long] if field == "contacts" else long})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_client_metadata" and field in body["error_description"], body
    assert body["invalid_fields"] == [field]
    assert f"at most {MAX_URI_LENGTH} characters" in body["error_description"]


def test_the_registration_answer_stays_small(sb):
    """The answer echoes what was registered: with every field at its cap it stays within the body cap."""
    from telnyx_nb.sandbox.policy.terms import MAX_BODY_BYTES

    uri = "https://app.example/" + "a" * (MAX_URI_LENGTH - 40)
    response = register(sb, client_name="n" * 255, grant_types=["authorization_code"],
                        redirect_uris=[f"{uri}{i:02}" for i in range(MAX_REDIRECT_URIS)],
                        contacts=["c" * 200] * MAX_LIST_ITEMS, software_id="s" * 255)
    assert response.status_code == 201, response.text[:300]
    assert len(response.content) < MAX_BODY_BYTES


@pytest.mark.parametrize("uri", PLAIN_HTTP + LOOPBACK_HTTP + [
    "http://LOCALHOST/cb", "http://127.255.255.254:1/x", "http://[0::1]/cb", "http://127.1/cb", "http://127.0.0.1./cb",
    "http://localhost./cb", "http://127.0.0.256/cb", "HTTP://127.0.0.1/cb", "https://app.example/cb"])
def test_the_document_spells_the_anonymous_http_rule_as_the_server_applies_it(uri):
    """openapi.json declares the rule as a pattern; a client built to the document meets no surprise."""
    import re

    from telnyx_nb.sandbox.policy.redirects import redirect_uri_problem
    from telnyx_nb.sandbox.policy.schema import PLAIN_HTTP_BEYOND_LOOPBACK_PATTERN

    by_document = re.search(PLAIN_HTTP_BEYOND_LOOPBACK_PATTERN, uri) is not None
    assert by_document == (redirect_uri_problem(uri, anonymous=True) is not None), uri


def test_a_client_name_is_at_most_255_characters(sb):
    assert register(sb, client_name="n" * 255, redirect_uris=[GOOD]).status_code == 201
    refused = register(sb, client_name="n" * 256, redirect_uris=[GOOD])
    assert refused.status_code == 400
    assert refused.json() == {"error": "invalid_client_metadata", "invalid_fields": ["client_name"],
                              "error_description": "client_name must be at most 255 characters."}


@pytest.mark.parametrize("field", ["client_uri", "logo_uri", "policy_uri", "tos_uri"])
def test_a_web_uri_of_exactly_the_cap_registers_and_one_more_is_refused(sb, field):
    uri = "https://app.example/" + "a" * (MAX_URI_LENGTH - len("https://app.example/"))
    assert register(sb, client_name="x", redirect_uris=[GOOD], **{field: uri}).status_code == 201
    refused = register(sb, client_name="x", redirect_uris=[GOOD], **{field: uri + "a"})
    assert refused.status_code == 400
    assert refused.json() == {"error": "invalid_client_metadata", "invalid_fields": [field],
                              "error_description": f"{field} must be at most {MAX_URI_LENGTH} characters."}


def test_a_scope_open_registration_may_not_ask_for_is_refused_naming_what_it_may(make_sandbox):
    narrowed = make_sandbox(seed="empty", scopes=["admin", "messaging", "numbers"],
                            registrable_scopes=["messaging", "numbers"])
    refused = register(narrowed, client_name="x", redirect_uris=[GOOD], scope="admin")
    assert refused.status_code == 400
    assert refused.json() == {"error": "invalid_client_metadata", "invalid_fields": ["scope"], "error_description": (
        "scope admin cannot be registered openly; registrable scopes: messaging numbers "
        "(an administrator creates clients with other scopes through the management API).")}


def test_the_registrable_scopes_option_says_what_to_choose():
    from telnyx_nb.core.errors import ConfigurationError
    from telnyx_nb.sandbox.policy.registration import check_registrable_scopes
    from telnyx_nb.sandbox.policy.scopes import PUBLISHED_CATALOG, catalog_from

    with pytest.raises(ConfigurationError) as unknown:
        check_registrable_scopes("no-such-scope", PUBLISHED_CATALOG)
    assert str(unknown.value) == ("registrable_scopes: 'no-such-scope' is not a scope of this sandbox; choose from "
                                  "admin (or give a custom catalog with scopes=)")
    assert check_registrable_scopes(None, PUBLISHED_CATALOG) == ("admin",)  # Telnyx's one scope, as MCP clients ask
    with pytest.raises(ConfigurationError) as unknown:
        check_registrable_scopes(["admin", "billing"], catalog_from(["admin", "messaging"]))
    assert str(unknown.value) == ("registrable_scopes: 'billing' is not a scope of this sandbox; choose from "
                                  "admin messaging (or give a custom catalog with scopes=)")


USERINFO_REFUSED = ("must not carry userinfo (user@ before the host): the consent page would show it as if it were "
                    "the host; register the URI with its host alone.")
WILDCARD_REFUSED = ("must not hold a wildcard '*': redirect URIs match exactly (RFC 9700 section 4.1.3); register "
                    "each URI in full.")
PLAIN_HTTP_REFUSED = ("must use https:// (RFC 6749 section 3.1.2.1); plain http:// is allowed only on loopback, "
                      "e.g. http://127.0.0.1:PORT/callback (RFC 8252 section 7.3).")


@pytest.mark.parametrize(("uri", "words"), [("https://telnyx.com@evil.example/cb", USERINFO_REFUSED),
                                            ("https://*.example/cb", WILDCARD_REFUSED),
                                            ("http://app.example/cb", PLAIN_HTTP_REFUSED)])
def test_each_refusal_says_what_to_do_word_for_word(sb, uri, words):
    registered = _registered(sb, redirect_uris=[uri])
    assert registered.json() == {"error": "invalid_redirect_uri", "error_description": f"redirect_uris[0] {words}",
                                 "invalid_fields": ["redirect_uris"]}
    if words is not PLAIN_HTTP_REFUSED:
        [error] = _manage(sb, [uri]).json()["errors"]
        assert error["detail"] == f"redirect_uris[0] {words}"
