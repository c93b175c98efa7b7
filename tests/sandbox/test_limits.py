"""The numbers that decide security, pinned: each constant of ``sandbox/policy/terms.py`` (lifetimes, the reuse grace,
the caps on tokens, bodies, headers and registrations) and the rule constants beside it. A change to any of them
fails here, on purpose: change the number, this table and docs/security.md together. The default lifetimes are
also held against the sandbox's clock, so a default that stops reaching the server fails too."""

from __future__ import annotations

import inspect

import pytest
from oauth_helpers import authorize, consent_page, create_client, introspect, obtain_code, redeem, refresh, token

from telnyx_nb.sandbox.config import SandboxConfig
from telnyx_nb.sandbox.policy import redirects, registration, terms
from telnyx_nb.sandbox.protocol import keys
from telnyx_nb.sandbox.web import server

DAY = 86400
PINNED = {
    (terms, "ACCESS_TOKEN_LIFETIME"): 3600,
    (terms, "REFRESH_TOKEN_LIFETIME"): 30 * DAY,
    (terms, "CODE_LIFETIME"): 600,
    (terms, "CONSENT_LIFETIME"): 600,
    (terms, "REFRESH_REUSE_GRACE"): 0,
    (terms, "MAX_TOKEN_LENGTH"): 4096,
    (terms, "MAX_BODY_BYTES"): 64 * 1024,
    (terms, "MAX_BUFFERED_BODY_BYTES"): 1024 * 1024,
    (terms, "MAX_HEADER_BYTES"): 32 * 1024,
    (terms, "MAX_REDIRECT_URIS"): 10,
    (terms, "MAX_LIST_ITEMS"): 10,
    (terms, "GRANT_TYPES"): ["authorization_code", "client_credentials", "refresh_token"],
    (terms, "AUTH_METHODS"): ["client_secret_basic", "client_secret_post", "none"],
    (redirects, "MAX_URI_LENGTH"): 2000,
    (redirects, "FORBIDDEN_SCHEMES"): ("javascript", "data", "vbscript", "file", "blob", "about"),
    (redirects, "LOOPBACK_LITERALS"): ("127.0.0.1", "::1"),
    (registration, "MAX_NAME_LENGTH"): 255,
    (keys, "ALGORITHM"): "RS256",
    (keys, "_VERIFIED_LIMIT"): 4096,
}


@pytest.mark.parametrize(("module", "name"), list(PINNED), ids=[f"{m.__name__.rsplit('.', 1)[1]}.{n}"
                                                                 for m, n in PINNED])
def test_the_security_constants_are_pinned(module, name):
    assert getattr(module, name) == PINNED[module, name]


@pytest.mark.parametrize("name", ["access_token_ttl", "refresh_token_ttl", "code_ttl", "consent_ttl",
                                  "refresh_reuse_grace"])
def test_the_sandbox_and_its_config_default_to_the_policy(name):
    constant = {"access_token_ttl": terms.ACCESS_TOKEN_LIFETIME, "refresh_token_ttl": terms.REFRESH_TOKEN_LIFETIME,
                "code_ttl": terms.CODE_LIFETIME, "consent_ttl": terms.CONSENT_LIFETIME,
                "refresh_reuse_grace": terms.REFRESH_REUSE_GRACE}[name]
    assert inspect.signature(server.Sandbox).parameters[name].default == constant
    assert getattr(SandboxConfig(), name) == constant


@pytest.fixture
def sb(make_sandbox):
    return make_sandbox(seed="empty")


def test_a_default_access_token_lives_exactly_an_hour_on_the_sandbox_clock(sb):
    client = create_client(sb)
    issued = token(sb, client, grant_type="client_credentials").json()
    assert issued["expires_in"] == 3600
    sb.clock.advance(3598)
    assert introspect(sb, issued["access_token"])["active"] is True
    sb.clock.advance(2)
    assert introspect(sb, issued["access_token"]) == {"active": False}


def test_a_default_refresh_token_lives_exactly_thirty_days(sb):
    client = create_client(sb)
    code, verifier = obtain_code(sb, client)
    first = redeem(sb, client, code, verifier).json()
    sb.clock.advance(30 * DAY - 2)
    second = refresh(sb, client, first["refresh_token"])
    assert second.status_code == 200, second.text
    sb.clock.advance(30 * DAY)
    assert refresh(sb, client, second.json()["refresh_token"]).status_code == 400


def test_a_default_code_lives_ten_minutes(sb):
    client = create_client(sb)
    code, verifier = obtain_code(sb, client)
    sb.clock.advance(600)
    assert redeem(sb, client, code, verifier).status_code == 400
    code, verifier = obtain_code(sb, client)
    sb.clock.advance(598)
    assert redeem(sb, client, code, verifier).status_code == 200


def test_a_default_consent_page_lives_ten_minutes(sb):
    client = create_client(sb)
    page = consent_page(authorize(sb, client, state="s")[0])
    sb.clock.advance(600)
    assert 400 <= page.decide(True).status_code < 500  # the expired page: no code
    page = consent_page(authorize(sb, client, state="s")[0])
    sb.clock.advance(598)
    assert page.decide(True).status_code == 303
