"""RFC 6749 §5.2 + RFC 7617 §2: a 401 ``invalid_client`` answer to a client that tried HTTP Basic carries a Basic
challenge with its required ``realm`` parameter (strict clients such as openid-client refuse one without it)."""

from __future__ import annotations

import re

import pytest
import requests
from oauth_helpers import TIMEOUT, basic, url

# RFC 7617 §2: challenge = "Basic" realm; auth-param = token BWS "=" BWS ( token / quoted-string )
BASIC_CHALLENGE = re.compile(r'^Basic (?:[!#$%&\'*+.^_`|~0-9A-Za-z-]+="(?:[^"\\]|\\.)*", )*realm="[^"]+"'
                             r'(?:, [!#$%&\'*+.^_`|~0-9A-Za-z-]+="(?:[^"\\]|\\.)*")*$')


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/introspect", "/oauth/revoke"])
@pytest.mark.parametrize("who", ["wrong secret", "unknown client", "not base64"])
def test_a_refused_basic_client_gets_a_basic_challenge_with_a_realm(make_sandbox, path, who):
    sb = make_sandbox()
    header = {"wrong secret": basic(sb.demo_client_id, "not-the-secret"),
              "unknown client": basic("no-such-client", "secret"), "not base64": "Basic %%%"}[who]
    form = {"grant_type": "client_credentials"} if path == "/oauth/token" else {"token": "x"}
    response = requests.post(url(sb, path), data=form, headers={"Authorization": header}, timeout=TIMEOUT)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"
    challenge = response.headers.get("WWW-Authenticate", "")
    assert BASIC_CHALLENGE.match(challenge), challenge
    assert sb.demo_client_secret not in challenge


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/introspect", "/oauth/revoke"])
def test_an_unknown_client_and_a_wrong_secret_in_the_body_get_the_same_401(make_sandbox, path):
    """Telnyx publishes 401 for invalid_client at the token endpoint (RFC 6749 §5.2 allows it for any client
    authentication failure). A 400 for an unknown client_id next to a 401 for a known one with a wrong secret would
    tell anyone which client ids exist."""
    sb = make_sandbox()
    form = {"grant_type": "client_credentials"} if path == "/oauth/token" else {"token": "x"}
    answers = [requests.post(url(sb, path), data={**form, **credentials}, timeout=TIMEOUT) for credentials in (
        {"client_id": sb.demo_client_id, "client_secret": "not-the-secret"},
        {"client_id": "no-such-client", "client_secret": "not-the-secret"},
        {"client_id": "no-such-client"},  # as a public client would
    )]
    assert [a.status_code for a in answers] == [401, 401, 401], [a.text for a in answers]
    assert len({a.text for a in answers}) == 1, [a.text for a in answers]
    assert all(a.json()["error"] == "invalid_client" for a in answers)
    assert all(BASIC_CHALLENGE.match(a.headers.get("WWW-Authenticate", "")) for a in answers)
