"""Lifetimes on the real clock: a sandbox started with short ``access_token_ttl`` / ``code_ttl`` / ``consent_ttl``
lets an expiry be seen in a second or two, without moving any clock (no ``time.time`` patch, no private module).

The store keeps expiry in whole seconds (valid while ``expires_at > now``), so "past the lifetime" is waited for
from the moment the answer that created the credential arrived, plus the lifetime: a deadline, not a guess.
"""

from __future__ import annotations

import argparse
import time
from urllib.parse import urljoin

import pytest
import requests
from oauth_helpers import (
    REDIRECT_URI,
    TIMEOUT,
    api,
    authorize,
    create_client,
    introspect,
    obtain_code,
    query_of,
    redeem,
    refresh,
    token,
    url,
)

from telnyx_nb.sandbox import cli as sandbox_cli
from telnyx_nb.sandbox.policy.terms import (
    ACCESS_TOKEN_LIFETIME,
    CODE_LIFETIME,
    CONSENT_LIFETIME,
    REFRESH_TOKEN_LIFETIME,
)
from telnyx_nb.sandbox.web.server import Sandbox


def wait_past(deadline: float) -> None:
    """Return once the wall clock is at or past ``deadline`` (the expiry we wait for is on that clock)."""
    while time.time() < deadline:
        time.sleep(max(0.0, min(0.25, deadline - time.time())) + 0.01)


def test_access_tokens_expire_after_access_token_ttl_and_are_refused(make_sandbox):
    sb = make_sandbox(seed="empty", access_token_ttl=1)
    client = create_client(sb)
    code, verifier = obtain_code(sb, client)
    issued = redeem(sb, client, code, verifier).json()
    machine = token(sb, client, grant_type="client_credentials").json()
    created = time.time()
    assert issued["expires_in"] == 1 and machine["expires_in"] == 1
    wait_past(created + 1)
    assert introspect(sb, issued["access_token"]) == {"active": False}
    assert introspect(sb, machine["access_token"]) == {"active": False}
    assert api(sb, machine["access_token"]).get(url(sb, "/oauth_clients"), timeout=TIMEOUT).status_code == 401
    # the refresh token outlives the access token: that is what it is for
    renewed = refresh(sb, client, issued["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["expires_in"] == 1 and renewed.json()["refresh_token"] != issued["refresh_token"]


def test_access_tokens_are_active_within_their_lifetime(make_sandbox):
    sb = make_sandbox(seed="empty")
    client = create_client(sb)
    issued = token(sb, client, grant_type="client_credentials").json()
    assert issued["expires_in"] == ACCESS_TOKEN_LIFETIME
    assert introspect(sb, issued["access_token"])["active"] is True


def test_refresh_tokens_expire_after_refresh_token_ttl(make_sandbox):
    sb = make_sandbox(seed="empty", refresh_token_ttl=1)
    client = create_client(sb)
    code, verifier = obtain_code(sb, client)
    issued = redeem(sb, client, code, verifier).json()
    wait_past(time.time() + 1)
    late = refresh(sb, client, issued["refresh_token"])
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"


def test_codes_expire_after_code_ttl(make_sandbox):
    sb = make_sandbox(seed="empty", code_ttl=1)
    client = create_client(sb)
    code, verifier = obtain_code(sb, client)
    wait_past(time.time() + 1)
    late = redeem(sb, client, code, verifier)
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"


def test_a_code_is_redeemable_within_code_ttl(make_sandbox):
    sb = make_sandbox(seed="empty", code_ttl=CODE_LIFETIME)
    client = create_client(sb)
    code, verifier = obtain_code(sb, client)
    assert redeem(sb, client, code, verifier).status_code == 200


def test_consent_pages_expire_after_consent_ttl(make_sandbox):
    sb = make_sandbox(seed="empty", consent_ttl=1)
    client = create_client(sb)
    response, _verifier = authorize(sb, client, state="late")
    assert response.status_code == 302, response.text
    created = time.time()
    page_url = urljoin(response.url, response.headers["Location"])
    consent_token = query_of(page_url)["consent_token"]
    wait_past(created + 1)
    page = requests.get(page_url, headers={"Accept": "text/html"}, timeout=TIMEOUT)
    assert 400 <= page.status_code < 500
    decision = requests.post(page_url.split("?")[0], data={"consent_token": consent_token, "decision": "allow"},
                             allow_redirects=False, timeout=TIMEOUT)
    assert 400 <= decision.status_code < 500
    assert "code=" not in decision.headers.get("Location", "")
    assert not decision.headers.get("Location", "").startswith(REDIRECT_URI)


def test_lifetimes_default_to_the_policy_and_must_be_whole_seconds_of_at_least_one():
    sb = Sandbox()
    assert (sb.config.access_token_ttl, sb.config.refresh_token_ttl, sb.config.code_ttl, sb.config.consent_ttl) == (
        ACCESS_TOKEN_LIFETIME, REFRESH_TOKEN_LIFETIME, CODE_LIFETIME, CONSENT_LIFETIME)
    for name in ("access_token_ttl", "refresh_token_ttl", "code_ttl", "consent_ttl"):
        for bad in (0, -1, 1.5, True, "60"):
            with pytest.raises(ValueError, match=rf"{name}: use a whole number of seconds, at least 1"):
                Sandbox(**{name: bad})


def test_the_cli_takes_the_code_and_consent_lifetimes():
    parser = argparse.ArgumentParser()
    sandbox_cli.add_arguments(parser)
    args = parser.parse_args(["--code-ttl", "5", "--consent-ttl", "7"])
    assert (args.code_ttl, args.consent_ttl) == (5, 7)
    defaults = parser.parse_args([])
    assert (defaults.code_ttl, defaults.consent_ttl) == (CODE_LIFETIME, CONSENT_LIFETIME)
    with pytest.raises(SystemExit):
        parser.parse_args(["--code-ttl", "0"])
