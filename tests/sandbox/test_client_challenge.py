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
