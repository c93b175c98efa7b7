"""OAuth endpoints over real HTTP: tokens, the authorization-code + PKCE flow, refresh, introspection,
revocation, registration, JWKS and JWT verification, and the client-credentials auto-token path."""

from __future__ import annotations

import time

import pytest
from oauth_helpers import reheader, tamper

from telnyx_nb import TelnyxOAuth
from telnyx_nb.api import pkce
from telnyx_nb.api.jwt import decode_unverified
from telnyx_nb.core.errors import (
    AuthenticationError,
    AuthorizationDenied,
    ConfigurationError,
    JWTVerificationError,
    NotFoundError,
    StateMismatch,
    ValidationError,
)
from telnyx_nb.core.records import Introspection, TokenResponse

REDIRECT = "http://127.0.0.1:8888/callback"


@pytest.fixture(scope="module")
def tx(sandbox):
    with TelnyxOAuth.from_sandbox(sandbox) as client:
        yield client


# ---------------------------------------------------------------------------------------------- tokens
def test_client_credentials_token_is_a_verifiable_jwt(tx, sandbox):
    token = tx.client_credentials_token(scope="admin")
    assert isinstance(token, TokenResponse)
    assert token.token_type == "Bearer" and token.expires_in > 0 and token.scopes == ("admin",)
    header, claims = decode_unverified(token.access_token)
    assert header["kid"] and claims["client_id"] == sandbox.demo_client_id
    verified = tx.verify_jwt(token.access_token)
    assert verified.claims["scope"] == "admin" and verified.kid == header["kid"]
    assert token.access_token not in repr(token) and token.access_token not in repr(verified)


def test_introspection_of_a_live_and_an_unknown_token(tx, sandbox):
    token = tx.client_credentials_token()
    info = tx.introspect(token.access_token)
    assert isinstance(info, Introspection)
    assert info.active and info.client_id == sandbox.demo_client_id
    assert info.exp is not None and info.exp.tzinfo is not None
    assert tx.introspect("not-a-token-at-all").active is False


def test_introspection_with_the_api_key_only(sandbox):
    keyonly = TelnyxOAuth(sandbox.api_key, base_url=sandbox.base_url)
    token = TelnyxOAuth.from_sandbox(sandbox).client_credentials_token()
    assert keyonly.introspect(token.access_token).active


def test_wrong_client_secret_is_an_authentication_error_with_rfc_error(tx, sandbox):
    with pytest.raises(AuthenticationError) as info:
        tx.client_credentials_token(client_id=sandbox.demo_client_id, client_secret="wrong-secret-123456")
    err = info.value
    assert err.status == 401 and err.error == "invalid_client"
    assert "wrong-secret-123456" not in str(err) and "wrong-secret-123456" not in repr(err)


def test_bad_grant_type_is_refused_before_sending(tx):
    with pytest.raises(ConfigurationError, match="grant_type"):
        tx.issue_token("password", username="u", password="p")


def _app(make_sandbox, client_type="confidential") -> TelnyxOAuth:
    """An empty sandbox with one fresh client of ours; the returned TelnyxOAuth acts as that client."""
    sb = make_sandbox(seed="empty")
    admin = TelnyxOAuth.from_sandbox(sb)
    created = admin.create_client(
        "Flow app",
        client_type,
        ["authorization_code", "refresh_token"] + (["client_credentials"] if client_type == "confidential" else []),
        ["admin"],
        redirect_uris=[REDIRECT],
    )
    return TelnyxOAuth(sb.api_key, client_id=created.client_id, client_secret=created.client_secret,
                       base_url=sb.base_url)


def _authorize(tx: TelnyxOAuth, **kwargs):
    request = tx.authorization_url(redirect_uri=REDIRECT, scope=["admin"], **kwargs)
    consent_token = tx.begin_authorization(request)
    return request, consent_token


@pytest.mark.parametrize("method", ["S256", "plain"])
def test_authorization_code_flow_with_pkce_then_refresh(make_sandbox, method):
    tx = _app(make_sandbox)
    request, consent_token = _authorize(tx, pkce=method)
    assert request.code_challenge_method == method
    if method == "plain":
        assert request.code_challenge == request.code_verifier
    consent = tx.get_consent(consent_token)
    assert consent.client_id == tx.client_id and consent.redirect_uri == REDIRECT
    assert consent.scope_ids == ("admin",)
    assert consent.requested_scopes[0].description == "Administrative access to Telnyx resources"

    redirect = tx.decide_consent(consent_token, True)
    code = tx.parse_redirect(redirect, request.state)
    tokens = tx.exchange_code(code, redirect_uri=REDIRECT, code_verifier=request.code_verifier)
    assert tokens.refresh_token and tokens.scopes == ("admin",)
    assert tx.introspect(tokens.access_token).active

    renewed = tx.refresh(tokens.refresh_token)
    assert renewed.access_token != tokens.access_token
    assert tx.introspect(renewed.access_token).active
    with pytest.raises(ValidationError) as info:  # refresh tokens rotate: the old one is spent
        tx.refresh(tokens.refresh_token)
    assert info.value.error == "invalid_grant"

    # a code is single-use; replaying it also revokes what it issued (RFC 6749 §4.1.2)
    with pytest.raises(ValidationError) as info:
        tx.exchange_code(code, redirect_uri=REDIRECT, code_verifier=request.code_verifier)
    assert info.value.error == "invalid_grant" and info.value.status == 400

    # the flow created a grant, visible through the management API
    grants = tx.all_grants(progress=False)
    assert [g.client_id for g in grants] == [tx.client_id]


def test_wrong_code_verifier_is_refused(make_sandbox):
    tx = _app(make_sandbox)
    request, consent_token = _authorize(tx)
    code = tx.parse_redirect(tx.decide_consent(consent_token, True), request.state)
    with pytest.raises(ValidationError) as info:
        tx.exchange_code(code, redirect_uri=REDIRECT, code_verifier=pkce.generate_verifier())
    assert info.value.error == "invalid_grant"


def test_denied_consent_surfaces_access_denied(make_sandbox):
    tx = _app(make_sandbox)
    request, consent_token = _authorize(tx)
    redirect = tx.decide_consent(consent_token, False)
    with pytest.raises(AuthorizationDenied) as info:
        tx.parse_redirect(redirect, request.state)
    assert info.value.error == "access_denied"


def test_public_client_flow_authenticates_by_client_id_alone(make_sandbox):
    tx = _app(make_sandbox, client_type="public")
    assert tx.client_secret is None
    request, consent_token = _authorize(tx)
    code = tx.parse_redirect(tx.decide_consent(consent_token, True), request.state)
    tokens = tx.exchange_code(code, redirect_uri=REDIRECT, code_verifier=request.code_verifier)
    assert tx.introspect(tokens.access_token).active is True  # no secret: introspection uses the API key


def test_state_mismatch_refuses_the_code():
    with pytest.raises(StateMismatch):
        TelnyxOAuth.parse_redirect(f"{REDIRECT}?code=abc&state=theirs", "ours")
    with pytest.raises(StateMismatch):  # even an error redirect must carry our state
        TelnyxOAuth.parse_redirect(f"{REDIRECT}?error=access_denied", "ours")
    assert TelnyxOAuth.parse_redirect(f"{REDIRECT}?code=abc&state=ours", "ours") == "abc"


def test_begin_authorization_with_an_unregistered_redirect_uri_is_refused_not_redirected(tx):
    # RFC 6749 §4.1.2.1: never redirect to an unregistered URI; the error page's words reach the message
    request = tx.authorization_url(redirect_uri="https://evil.example/cb", scope="admin")
    with pytest.raises(ValidationError) as info:
        tx.begin_authorization(request)
    assert info.value.status == 422 and "evil.example" in str(info.value) and "<" not in str(info.value)
    assert "Invalid redirect URI" in str(info.value) and "update_client(redirect_uris=" in str(info.value)


def test_begin_authorization_surfaces_an_error_redirect(tx):
    from telnyx_nb.sandbox.store.demo import DEMO_REDIRECT_URIS  # tx is the demo client

    request = tx.authorization_url(redirect_uri=DEMO_REDIRECT_URIS[0], scope="no-such-scope")
    with pytest.raises(AuthorizationDenied) as info:
        tx.begin_authorization(request)
    assert info.value.error == "invalid_scope" and info.value.error_description


def test_pkce_rules():
    verifier = pkce.generate_verifier()
    assert 43 <= len(verifier) <= 128
    # RFC 7636 Appendix B test vector
    assert (
        pkce.code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "S256")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
    with pytest.raises(ConfigurationError, match="RFC 7636"):
        pkce.code_challenge("short", "S256")
    with pytest.raises(ConfigurationError, match="code_challenge_method"):
        pkce.code_challenge(verifier, "S512")


def test_revoke_token(make_sandbox):
    tx = _app(make_sandbox)
    token = tx.client_credentials_token()
    assert tx.introspect(token.access_token).active
    tx.revoke_token(token.access_token, "access_token")
    assert tx.introspect(token.access_token).active is False
    tx.revoke_token(token.access_token)  # RFC 7009 §2.2: revoking again is fine


def _register(make_sandbox, **fields):
    """A client on an empty sandbox and the registration (RFC 7591) it made with ``fields``."""
    tx = TelnyxOAuth.from_sandbox(make_sandbox(seed="empty"))
    return tx, tx.register_client(**fields)


def test_register_client_then_use_it(make_sandbox):
    tx, reg = _register(make_sandbox, client_name="Registered app", grant_types=["client_credentials"],
                        scope=["admin"], token_endpoint_auth_method="client_secret_basic")
    assert reg.client_id and reg.client_secret and reg.client_id_issued_at is not None
    assert reg.client_secret not in repr(reg)
    token = tx.client_credentials_token(client_id=reg.client_id, client_secret=reg.client_secret)
    assert tx.introspect(token.access_token).client_id == reg.client_id
    with pytest.raises(ConfigurationError, match="unknown registration field"):
        tx.register_client(client_colour="red")


def test_register_public_client_has_no_secret(make_sandbox):
    _, reg = _register(make_sandbox, client_name="Public app", redirect_uris=["http://127.0.0.1:9999/cb"],
                       grant_types=["authorization_code"], token_endpoint_auth_method="none")
    assert reg.client_secret is None and reg.token_endpoint_auth_method == "none"


def test_a_refused_registration_names_the_field_to_fix(make_sandbox):
    """The sandbox's register 400 lists the refused field in invalid_fields, as Telnyx's does; the API module hands
    it on as the error's pointer."""
    from telnyx_nb.core.errors import ValidationError

    tx = TelnyxOAuth.from_sandbox(make_sandbox(seed="empty"))
    with pytest.raises(ValidationError) as refused:
        tx.register_client(client_name="App", redirect_uris=["http://app.example/cb"])  # plain http beyond loopback
    assert refused.value.pointers == ["redirect_uris"]
    assert "redirect_uris[0] must use https://" in str(refused.value)


# ------------------------------------------------------------------------------------------- JWKS & JWT
def test_jwks_lists_public_signing_keys(tx):
    jwks = tx.jwks()
    assert len(jwks) >= 1
    for key in jwks:
        assert key.kid and key.kty and key.use in (None, "sig")
        assert "d" not in key.raw and "p" not in key.raw  # never a private member


def test_jwt_verification_reasons(tx):
    token = tx.client_credentials_token().access_token
    claims = decode_unverified(token)[1]
    assert tx.verify_jwt(token, audience=claims["aud"]).claims["jti"] == claims["jti"]

    def reason(tok, **kwargs):
        with pytest.raises(JWTVerificationError) as info:
            tx.verify_jwt(tok, **kwargs)
        return info.value.reason

    assert reason(tamper(token, scope="admin")) == "bad_signature"
    assert reason(token, issuer="https://someone-else.example") == "wrong_issuer"
    assert reason(token, audience="https://not-this-api.example") == "wrong_audience"
    assert reason("not.a.jwt") == "malformed"
    assert reason("garbage") == "malformed"
    assert reason(reheader(token, alg="HS256")) == "bad_signature"

    cache = tx._key_cache()
    before = cache.fetch_count
    assert reason(reheader(token, kid="rotated-away")) == "unknown_kid"
    assert cache.fetch_count == before  # fetched moments ago: the next refetch waits (test_jwt_defaults.py)
    cache.min_refetch_interval = 0
    assert reason(reheader(token, kid="rotated-away")) == "unknown_kid"
    assert cache.fetch_count == before + 1  # refetched exactly once for the unknown kid


def test_expired_and_not_yet_valid_tokens(tx):
    from telnyx_nb.api.jwt import verify

    token = tx.client_credentials_token().access_token
    claims = decode_unverified(token)[1]
    cache = tx._key_cache()
    with pytest.raises(JWTVerificationError) as info:
        verify(token, cache, audience=claims["aud"], now=claims["exp"] + 5)
    assert info.value.reason == "expired"
    with pytest.raises(JWTVerificationError) as info:
        verify(token, cache, audience=claims["aud"], now=claims["iat"] - 3600)
    assert info.value.reason == "not_yet_valid"


# ------------------------------------------------------------------------------- auto token from client creds
def test_client_credentials_auto_token_path(sandbox):
    records = []
    tx = TelnyxOAuth(
        client_id=sandbox.demo_client_id, client_secret=sandbox.demo_client_secret, base_url=sandbox.base_url
    )
    tx.add_listener(records.append)
    assert tx.api_key is None and "client credentials" in tx.target
    first = tx.list_clients(page_size=2)
    tx.list_grants(page_size=2)
    assert tx.token_cache.fetch_count == 1  # cached between calls
    token_calls = [r for r in records if r.url.endswith("/oauth/token")]
    assert len(token_calls) == 1 and token_calls[0].url.startswith(sandbox.base_url)

    # renewal: make the cache believe the token expired
    old = tx.token_cache.token.access_token
    tx.token_cache.expire_now()
    assert tx.list_clients(page_size=2).total_results == first.total_results
    assert tx.token_cache.fetch_count == 2 and tx.token_cache.token.access_token != old

    # a 401 (token revoked server-side) is retried once with a fresh token
    tx.revoke_token(tx.token_cache.token.access_token)
    records.clear()
    assert tx.list_grants(page_size=1).items
    assert tx.token_cache.fetch_count == 3
    statuses = [(r.url.rsplit("/", 1)[-1].split("?")[0], r.status) for r in records]
    assert statuses == [("oauth_grants", 401), ("token", 200), ("oauth_grants", 200)]


def test_renewal_before_expiry_margin(sandbox):
    tx = TelnyxOAuth(
        client_id=sandbox.demo_client_id, client_secret=sandbox.demo_client_secret, base_url=sandbox.base_url
    )
    tx.list_clients(page_size=1)
    cache = tx.token_cache
    # pretend the cached token has only `margin - 1` seconds left: it must be renewed before use
    cache._expires_at = time.monotonic() + cache.margin - 1
    tx.list_clients(page_size=1)
    assert cache.fetch_count == 2


def test_no_credentials_is_a_clear_configuration_error(sandbox):
    tx = TelnyxOAuth(base_url=sandbox.base_url)
    with pytest.raises(ConfigurationError, match="TELNYX_API_KEY"):
        tx.list_clients()
    assert tx.jwks().keys  # public endpoints still work


def test_credentials_from_the_environment(sandbox, monkeypatch):
    monkeypatch.setenv("TELNYX_CLIENT_ID", sandbox.demo_client_id)
    monkeypatch.setenv("TELNYX_CLIENT_SECRET", sandbox.demo_client_secret)
    monkeypatch.setenv("TELNYX_BASE_URL", sandbox.base_url)
    tx = TelnyxOAuth()
    assert tx.base_url == sandbox.base_url.rstrip("/")
    assert tx.list_clients(page_size=1).total_results > 0
    monkeypatch.delenv("TELNYX_CLIENT_ID")
    monkeypatch.delenv("TELNYX_CLIENT_SECRET")
    monkeypatch.setenv("TELNYX_API_KEY", sandbox.api_key)
    assert TelnyxOAuth().list_clients(page_size=1).total_results > 0


def test_wrong_api_key_is_an_authentication_error(sandbox):
    tx = TelnyxOAuth("KEY" + "x" * 32, base_url=sandbox.base_url)
    with pytest.raises(AuthenticationError) as info:
        tx.list_clients()
    assert info.value.status == 401 and "x" * 32 not in str(info.value)


def test_begin_authorization_for_an_unknown_client_is_not_found_with_the_published_meaning(tx):
    """Telnyx answers 404 "Client not found" (an HTML page): a NotFoundError saying what to check."""
    request = tx.authorization_url("00000000-0000-4000-8000-000000000000", REDIRECT, "admin")
    with pytest.raises(NotFoundError) as info:
        tx.begin_authorization(request)
    assert info.value.status == 404 and "Client not found" in str(info.value) and "<" not in str(info.value)


def test_an_invalid_consent_token_is_a_validation_error_that_says_to_start_again(tx):
    """Telnyx answers 422 for an unknown, used or expired consent token, on both consent endpoints."""
    for call in (lambda: tx.get_consent("no-such-token"), lambda: tx.decide_consent("no-such-token", True)):
        with pytest.raises(ValidationError) as info:
            call()
        assert info.value.status == 422 and "begin_authorization()" in str(info.value)
        assert "consent_token" in info.value.error_description
