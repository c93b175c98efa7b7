"""TokenPanel driven by clicks against the sandbox over HTTP: issue, decode, countdown, introspect, refresh."""

from __future__ import annotations

import re
import time

import pytest

from telnyx_nb import TelnyxOAuth
from telnyx_nb.core.records import AuthorizationServerMetadata
from telnyx_nb.widgets import TokenPanel
from telnyx_nb.widgets.base import html_to_text, visible_text


@pytest.fixture
def panel(oauth, open_panel):
    return open_panel(TokenPanel, oauth)


def test_scope_picker_offers_what_the_server_publishes_each_described(panel, oauth):
    advertised = oauth.authorization_server_metadata().scopes_supported
    assert advertised and tuple(value for _label, value in panel.scopes.options) == tuple(advertised)
    labels = dict((value, label) for label, value in panel.scopes.options)
    assert labels["admin"] == "admin — Administrative access to Telnyx resources  ⚠"
    assert all(labels[s] == f"{s} — not published by Telnyx" for s in advertised if s != "admin")
    assert "admin gives full administrative access to the Telnyx account" in html_to_text(panel.scope_notes.value)
    assert panel.scopes.rows >= len(advertised)  # every scope in view, none behind a scroll bar
    assert panel.last_error is None


def test_before_the_click_an_empty_selection_says_it_brings_the_clients_default_and_then_does(panel, oauth):
    allowed = tuple(oauth.get_client(oauth.client_id).allowed_scopes)
    assert "admin" in allowed  # the demo client, as every client of a real account
    said = html_to_text(panel.default_scopes.value)
    assert f"the token will carry every scope the client is allowed (RFC 6749 §3.3): {' '.join(allowed)}" in said
    assert "⚠ admin gives full administrative access to the Telnyx account" in said
    assert "tnb-bad" in panel.default_scopes.value  # said as a warning, not in grey
    panel.scopes.value = ("admin",)
    assert html_to_text(panel.default_scopes.value).strip() == "Asking for: admin."
    panel.scopes.value = ()
    assert panel.last_token is None  # all of that before any request for a token

    panel.issue_button.click()
    assert panel.last_error is None, panel.error_message
    assert set(panel.last_token.scope.split()) == set(allowed)  # what the panel said is what the server granted


def test_a_scope_telnyx_does_not_publish_is_offered_only_when_the_server_lists_it_and_is_marked(oauth, open_panel,
                                                                                                 monkeypatch):
    custom = AuthorizationServerMetadata(scopes_supported=("admin", "fax:send"))  # a server's own vocabulary
    monkeypatch.setattr(oauth, "authorization_server_metadata", lambda: custom)
    panel = open_panel(TokenPanel, oauth)
    assert [value for _label, value in panel.scopes.options] == ["admin", "fax:send"]
    assert dict((v, label) for label, v in panel.scopes.options)["fax:send"] == "fax:send — not published by Telnyx"
    assert "fax:send: not published by Telnyx" in html_to_text(panel.scope_notes.value)


def test_issue_client_credentials_shows_masked_token_decoded_jwt_and_countdown(panel):
    panel.scopes.value = ("admin",)
    panel.issue_button.click()

    assert panel.last_error is None, panel.error_message
    token = panel.last_token
    assert token.token_type == "Bearer"
    assert token.scope.split() == ["admin"]
    assert panel.jwt_header["kid"] and panel.jwt_header["alg"]
    assert panel.jwt_claims["scope"].split() == ["admin"]
    assert re.search(r"expires in \d+m \d\ds", panel.countdown.value)
    assert panel.countdown.remaining > 0

    shown = visible_text(panel)
    assert "JWT claims" in shown and panel.jwt_claims["jti"] in shown
    assert token.access_token not in shown  # masked until the user asks
    panel.reveal.value = True
    assert token.access_token in visible_text(panel)
    panel.reveal.value = False
    assert token.access_token not in visible_text(panel)


def test_countdown_says_expired_and_stops_with_the_panel(oauth):
    panel = TokenPanel(oauth)
    panel.issue_button.click()
    thread = panel.countdown._thread
    assert thread is not None and thread.daemon  # never keeps the kernel (or pytest) alive
    panel.countdown.expires_at = time.time() - 1
    panel.countdown.tick()
    assert "expired" in panel.countdown.value
    panel.close()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_request_log_lists_the_exchange_with_a_masked_curl(panel):
    panel.issue_button.click()
    record = panel.request_log.records[-1]
    assert record.method == "POST" and record.url.endswith("/oauth/token") and record.status == 200
    assert "POST" in panel.request_log.table.value and "/oauth/token" in panel.request_log.table.value
    curl = panel.request_log.curl.value
    assert curl.startswith("curl") and "/oauth/token" in curl
    assert panel.client.client_secret not in curl
    assert panel.last_token.access_token not in visible_text(panel.request_log)


def test_busy_state_holds_while_the_request_runs(panel, oauth):
    seen = []
    oauth.add_listener(lambda record: seen.append((panel.busy, panel.issue_button.disabled, panel.status.value)))
    panel.issue_button.click()
    assert seen and all(busy and disabled for busy, disabled, _ in seen)
    assert "Issue token" in seen[0][2]
    assert not panel.busy and not panel.issue_button.disabled
    assert "✓" in panel.status.value


def test_introspect_in_place(panel):
    assert panel.introspect_button.disabled  # nothing to introspect yet
    panel.issue_button.click()
    panel.introspect_button.click()
    assert panel.last_error is None, panel.error_message
    assert panel.last_introspection.active is True
    assert panel.last_introspection.client_id == panel.client.client_id
    assert "active" in panel.introspection.value


def test_bad_credentials_show_a_readable_error_not_a_traceback(sandbox):
    with TelnyxOAuth.from_sandbox(sandbox, client_secret="not-the-secret-at-all") as wrong:
        panel = TokenPanel(wrong)
        try:
            panel.issue_button.click()
            assert panel.last_token is None
            assert panel.last_error is not None
            assert "AuthenticationError" in panel.status.value or "invalid_client" in panel.status.value
            assert "Traceback" not in visible_text(panel)
            assert "not-the-secret-at-all" not in visible_text(panel)
            assert not panel.busy and not panel.issue_button.disabled
        finally:
            panel.close()


def test_unreachable_server_is_reported_in_the_panel():
    client = TelnyxOAuth(api_key="KEY" + "x" * 32, client_id="c", client_secret="s" * 20,
                         base_url="http://127.0.0.1:9/v2", max_retries=0, timeout=2)
    panel = TokenPanel(client)
    try:
        assert panel.last_error is not None
        assert "reachable" in panel.status.value
        panel.issue_button.click()
        assert panel.last_token is None and "Issue token" in panel.status.value
    finally:
        panel.close()
        client.close()


def test_missing_refresh_token_names_the_field(panel):
    panel.grant_type.value = "refresh_token"
    assert panel.refresh_box.layout.display == "flex" and panel.code_box.layout.display == "none"
    panel.issue_button.click()
    assert panel.last_token is None
    assert "Refresh token is empty" in panel.status.value


def test_authorization_code_grant_then_refresh_in_place(make_sandbox):
    sb = make_sandbox()
    with TelnyxOAuth.from_sandbox(sb) as client:
        redirect_uri = client.get_client(client.client_id).redirect_uris[0]
        request = client.authorization_url(client.client_id, redirect_uri, "admin")
        consent_token = client.begin_authorization(request)
        code = client.parse_redirect(client.decide_consent(consent_token, True), request.state)

        panel = TokenPanel(client)
        try:
            panel.grant_type.value = "authorization_code"
            panel.code.value = code
            panel.redirect_uri.value = redirect_uri
            panel.code_verifier.value = request.code_verifier
            panel.issue_button.click()
            assert panel.last_error is None, panel.error_message
            first = panel.last_token
            assert first.refresh_token and not panel.refresh_button.disabled
            assert panel.refresh_token.value == first.refresh_token

            panel.refresh_button.click()
            assert panel.last_error is None, panel.error_message
            second = panel.last_token
            assert second.access_token != first.access_token
            assert second.refresh_token != first.refresh_token  # rotated (RFC 6749 §10.4)

            # the old refresh token is spent: redeeming it again is refused, readably
            panel.grant_type.value = "refresh_token"
            panel.refresh_token.value = first.refresh_token
            panel.issue_button.click()
            assert panel.last_token is second
            assert "invalid_grant" in panel.status.value
        finally:
            panel.close()


def test_introspect_in_place_after_revocation_says_why(make_sandbox):
    with TelnyxOAuth.from_sandbox(make_sandbox()) as client:
        panel = TokenPanel(client)
        try:
            panel.issue_button.click()
            client.revoke_token(panel.last_token.access_token)  # RFC 7009, behind the panel's back
            panel.introspect_button.click()
            assert panel.last_error is None, panel.error_message
            assert panel.last_introspection.active is False and panel.last_reason == "revoked"
            assert "✗ inactive" in panel.introspection.value and "revoked" in panel.introspection.value
        finally:
            panel.close()
