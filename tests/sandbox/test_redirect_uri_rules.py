"""The redirect URI rules (``telnyx_nb/sandbox/policy/redirects.py``) as a registering client and an authorizing browser
meet them: the length bound at its edge, the refused schemes and what the refusal says, and the loopback rule of
RFC 8252 §7.3 (any port, but the same path, query and no user part)."""

from __future__ import annotations

import pytest
from caller_helpers import register
from oauth_helpers import TIMEOUT, api, authorize, create_client, url

from telnyx_nb.sandbox.policy.redirects import MAX_URI_LENGTH

SCHEME_REFUSED = ("the {scheme}: scheme is not allowed for a redirect URI (it would run in or read from the "
                  "user's browser); use https://, a loopback http:// URI or a private-use scheme.")


@pytest.fixture
def sb(make_sandbox):
    return make_sandbox(seed="empty")


def _uri_of_length(n: int) -> str:
    base = "https://e.test/"
    return base + "a" * (n - len(base))


def _management_create(sb, redirect_uris):
    return api(sb).post(url(sb, "/oauth_clients"), timeout=TIMEOUT, json={
        "name": "x", "client_type": "confidential", "allowed_grant_types": ["authorization_code"],
        "allowed_scopes": ["admin"], "redirect_uris": redirect_uris})


def test_a_redirect_uri_of_exactly_the_maximum_length_can_be_registered_on_both_paths(sb):
    assert MAX_URI_LENGTH == 2000
    uri = _uri_of_length(MAX_URI_LENGTH)
    registered = register(sb, client_name="x", redirect_uris=[uri], grant_types=["authorization_code"])
    assert registered.status_code == 201, registered.text
    assert registered.json()["redirect_uris"] == [uri]
    assert _management_create(sb, [uri]).status_code == 201


def test_a_redirect_uri_one_character_too_long_is_refused_with_the_limit_named(sb):
    registered = register(sb, client_name="x", redirect_uris=[_uri_of_length(MAX_URI_LENGTH + 1)],
                          grant_types=["authorization_code"])
    assert registered.status_code == 400
    assert registered.json() == {"error": "invalid_redirect_uri", "invalid_fields": ["redirect_uris"],
                                 "error_description": "redirect_uris[0] must be at most 2000 characters."}


@pytest.mark.parametrize("uri,scheme", [("JavaScript:alert(1)", "javascript"), ("DATA:text/html,x", "data"),
                                        ("VBScript:msgbox", "vbscript"), ("File:///etc/passwd", "file"),
                                        ("javascript:a:b", "javascript")])
def test_a_refused_scheme_is_named_in_lower_case_with_what_to_use_instead(sb, uri, scheme):
    expected = f"redirect_uris[1] {SCHEME_REFUSED.format(scheme=scheme)}"
    registered = register(sb, client_name="x", redirect_uris=["https://ok.example/cb", uri])
    assert registered.status_code == 400
    assert registered.json() == {"error": "invalid_redirect_uri", "error_description": expected,
                                 "invalid_fields": ["redirect_uris"]}
    created = _management_create(sb, ["https://ok.example/cb", uri])
    assert created.status_code == 422
    [error] = created.json()["errors"]
    assert error["detail"] == expected and error["source"]["pointer"] == "/redirect_uris/1"


@pytest.mark.parametrize("presented, matches", [
    ("http://127.0.0.1:5", True),  # no path is the root path
    ("http://127.0.0.1:5/", True),
    ("HTTP://127.0.0.1:5/", True),  # the scheme is case-insensitive (RFC 3986 §3.1)
    ("http://127.0.0.1:5/q?x=1", True),  # a registered query must come back as registered
    ("http://127.0.0.1:5/q?x=2", False),
    ("http://127.0.0.1:5/q", False),
    ("http://127.0.0.1:5/#f", False),
    ("http://user@127.0.0.1:5/", False),  # a user part would make it another URI
    ("http://127.0.0.1:notaport/", False),  # refused, not a server error
    ("https://app.example/cb", True),  # an exact match among the registered ones, whatever its position
    ("https://app.example:444/cb", False),  # only loopback literals match on any port
    ("http://127.0.0.1:51234/callback", True),  # any port on the IPv4 loopback literal
    ("http://127.0.0.1/callback", True),
    ("http://[::1]:40000/callback", True),  # and on the IPv6 one
    ("http://127.0.0.1:51234/other", False),  # the path still matches exactly
    ("http://127.0.0.1:51234/callback?x=1", False),
    ("http://localhost:51234/callback", False),  # localhost names are not loopback literals (RFC 8252 §8.3)
    ("https://127.0.0.1:51234/callback", False),
    ("http://127.0.0.2:8888/callback", False),  # no other host is loosened: a code sent to an attacker's host
    ("http://evil.example:8888/callback", False),
])
def test_loopback_redirect_uris_match_on_any_port_with_the_same_path_and_query(sb, presented, matches):
    client = create_client(sb, redirect_uris=["http://127.0.0.1:8888/", "https://app.example/cb",
                                              "http://127.0.0.1:8888/q?x=1", "http://127.0.0.1:8888/callback",
                                              "http://[::1]:8888/callback", "http://localhost:8888/callback"])
    response, _ = authorize(sb, client, redirect_uri=presented)
    if matches:
        assert response.status_code == 302 and "consent_token" in response.headers["Location"], response.text
    else:
        # Telnyx's published status for an unregistered redirect URI: 422, an HTML page, never a redirect
        assert response.status_code == 422 and "Location" not in response.headers, response.text[:300]
        assert response.headers["Content-Type"].startswith("text/html")


def test_a_consent_decided_after_the_client_dropped_its_redirect_uri_is_refused_naming_it(make_sandbox):
    """The redirect URI is checked again when the user decides, against the client as it is then: one the client
    dropped while the consent page was open receives no code (RFC 6749 §3.1.2.3), and the answer says why."""
    from urllib.parse import urljoin

    from oauth_helpers import REDIRECT_URI, query_of

    sb = make_sandbox(seed="empty")
    dropped = "http://127.0.0.1:9/dropped"
    client = create_client(sb, redirect_uris=[REDIRECT_URI, dropped])
    response, _verifier = authorize(sb, client, redirect_uri=dropped)
    assert response.status_code == 302, response.text[:300]
    consent_token = query_of(urljoin(response.url, response.headers["Location"]))["consent_token"]
    updated = api(sb).put(url(sb, f"/oauth_clients/{client['client_id']}"), json={"redirect_uris": [REDIRECT_URI]},
                          timeout=10)
    assert updated.status_code == 200, updated.text
    decision = api(sb).post(url(sb, "/oauth/grants"), json={"consent_token": consent_token, "allowed": True},
                            timeout=10)
    assert decision.status_code == 422, decision.text
    assert (f"The authorization request is no longer valid: redirect_uri {dropped} is not one of the client's "
            "registered redirect_uris (exact match, RFC 6749 section 3.1.2.3).") in decision.text
    assert "code=" not in decision.text
