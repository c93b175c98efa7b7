"""Expiry without sleeping: ``telnyx_sandbox.clock.advance(seconds)``."""

from datetime import timedelta

import pytest
from webapp import create_app

from telnyx_nb.core.errors import JWTVerificationError, ValidationError

REDIRECT_URI = "http://localhost:8000/callback"


def code_for(telnyx_oauth, telnyx_sandbox):
    request = telnyx_oauth.authorization_url(telnyx_sandbox.demo_client_id,
                                             telnyx_sandbox.demo_client["redirect_uris"][0], "admin")
    redirect = telnyx_sandbox.approve(request.url)
    return telnyx_oauth.parse_redirect(redirect, request.state), request


def tokens_for(telnyx_oauth, telnyx_sandbox):
    code, request = code_for(telnyx_oauth, telnyx_sandbox)
    return telnyx_oauth.exchange_code(code, redirect_uri=request.redirect_uri, code_verifier=request.code_verifier)


def test_an_access_token_expires_after_an_hour_and_the_refresh_token_still_works(telnyx_oauth, telnyx_sandbox):
    tokens = tokens_for(telnyx_oauth, telnyx_sandbox)
    assert telnyx_oauth.introspect(tokens.access_token).active
    telnyx_sandbox.clock.advance(3601)
    assert not telnyx_oauth.introspect(tokens.access_token).active
    with pytest.raises(JWTVerificationError) as caught:  # the API module's own exp check follows the clock
        telnyx_oauth.verify_jwt(tokens.access_token)
    assert caught.value.reason == "expired"
    renewed = telnyx_oauth.refresh(tokens.refresh_token)
    assert telnyx_oauth.introspect(renewed.access_token).active
    claims = telnyx_oauth.verify_jwt(renewed.access_token).claims
    assert claims["iat"] >= int(telnyx_sandbox.clock.time()) - 5  # iat/exp are the sandbox's now
    assert claims["exp"] - claims["iat"] == 3600


def test_a_refresh_token_expires_after_thirty_days(telnyx_oauth, telnyx_sandbox):
    tokens = tokens_for(telnyx_oauth, telnyx_sandbox)
    telnyx_sandbox.clock.advance(30 * 86400 + 1)
    with pytest.raises(ValidationError) as caught:
        telnyx_oauth.refresh(tokens.refresh_token)
    assert caught.value.error == "invalid_grant"


@pytest.mark.telnyx_sandbox(access_token_ttl=60)
def test_sandbox_options_come_from_the_marker(telnyx_oauth, telnyx_sandbox):
    token = telnyx_oauth.client_credentials_token()
    assert token.expires_in == 60
    telnyx_sandbox.clock.advance(61)
    assert not telnyx_oauth.introspect(token.access_token).active


def test_an_authorization_code_expires_after_ten_minutes(telnyx_oauth, telnyx_sandbox):
    code, request = code_for(telnyx_oauth, telnyx_sandbox)
    telnyx_sandbox.clock.advance(601)
    with pytest.raises(ValidationError) as caught:
        telnyx_oauth.exchange_code(code, redirect_uri=request.redirect_uri, code_verifier=request.code_verifier)
    assert caught.value.error == "invalid_grant"


def test_a_consent_link_expires(telnyx_oauth, telnyx_sandbox):
    request = telnyx_oauth.authorization_url(telnyx_sandbox.demo_client_id,
                                             telnyx_sandbox.demo_client["redirect_uris"][0])
    consent_token = telnyx_oauth.begin_authorization(request)
    telnyx_sandbox.clock.advance(601)
    with pytest.raises(ValidationError, match="start again"):  # Telnyx's 422 for an expired consent token
        telnyx_oauth.decide_consent(consent_token, True)


def test_the_client_credentials_cache_renews_when_the_clock_passes_expiry(telnyx_sandbox):
    with telnyx_sandbox.oauth(api_key=None) as api:  # management by an auto-fetched token
        api.list_grants()
        api.list_grants()
        assert api.token_cache.fetch_count == 1
        telnyx_sandbox.clock.advance(3600)
        api.list_grants()
        assert api.token_cache.fetch_count == 2


def test_last_used_at_follows_the_clock(telnyx_oauth, telnyx_sandbox):
    tokens = tokens_for(telnyx_oauth, telnyx_sandbox)
    telnyx_sandbox.clock.advance(20 * 86400)  # within the refresh token's 30 days
    telnyx_oauth.refresh(tokens.refresh_token)
    grant = next(g for g in telnyx_oauth.all_grants() if g.client_id == telnyx_sandbox.demo_client_id)
    assert abs(grant.last_used_at - telnyx_sandbox.clock.now()) < timedelta(minutes=1)
    assert grant.last_used_at - grant.created_at > timedelta(days=19)


def test_the_web_app_refreshes_an_expired_session(telnyx_sandbox):
    client = telnyx_sandbox.create_client("Web app", redirect_uris=[REDIRECT_URI])
    app = create_app(base_url=telnyx_sandbox.in_process_base_url, client_id=client["client_id"],
                     client_secret=client["client_secret"], redirect_uri=REDIRECT_URI,
                     http=telnyx_sandbox.session()).test_client()
    redirect = telnyx_sandbox.approve(app.get("/login").headers["Location"])
    app.get(redirect.split("localhost:8000", 1)[1])
    telnyx_sandbox.clock.advance(3601)
    assert app.get("/me").headers["Location"] == "/me"  # expired → refreshed → back to /me
    assert app.get("/me").get_data(as_text=True).startswith("Signed in as ")
