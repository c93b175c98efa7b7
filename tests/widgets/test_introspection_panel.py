"""IntrospectionPanel against the sandbox: active tokens, and why an inactive one is inactive."""

from __future__ import annotations

import pytest
from oauth_helpers import tamper

from telnyx_nb import TelnyxOAuth
from telnyx_nb.widgets import IntrospectionPanel, TokenPanel
from telnyx_nb.widgets.base import visible_text


@pytest.fixture
def panel(oauth, open_panel):
    return open_panel(IntrospectionPanel, oauth)


def test_active_token_received_from_the_token_panel(oauth, panel):
    token_panel = TokenPanel(oauth)
    try:
        token_panel.on_token(panel.receive)
        token_panel.issue_button.click()
        token = token_panel.last_token
        assert panel.token.value == token.access_token
        panel.introspect_button.click()
        assert panel.last_error is None, panel.error_message
        assert panel.last_active is True and panel.last_reason is None
        assert panel.last_introspection.client_id == oauth.client_id
        shown = visible_text(panel)
        assert "✓ active" in shown and oauth.client_id in shown
        assert token.access_token not in shown  # the input is a password box until revealed
    finally:
        token_panel.close()


def test_tampered_jwt_is_inactive_with_reason(oauth, panel):
    token = oauth.client_credentials_token("admin").access_token
    panel.token.value = tamper(token)
    panel.introspect_button.click()
    assert panel.last_error is None, panel.error_message
    assert panel.last_active is False
    assert panel.last_reason == "bad_signature"
    assert "tampered" in panel.verdict.value


def test_revoked_token_is_inactive_with_reason(make_sandbox):
    with TelnyxOAuth.from_sandbox(make_sandbox()) as client:
        token = client.client_credentials_token("admin").access_token
        client.revoke_token(token)
        panel = IntrospectionPanel(client)
        try:
            panel.receive(token)
            panel.introspect_button.click()
            assert panel.last_active is False and panel.last_reason == "revoked"
            assert "revoked" in panel.verdict.value
        finally:
            panel.close()


def test_opaque_unknown_token_is_inactive(panel):
    panel.token.value = "not-a-token-this-server-issued"
    panel.introspect_button.click()
    assert panel.last_active is False and panel.last_reason == "opaque"


def test_empty_input_names_the_field(panel):
    panel.introspect_button.click()
    assert panel.last_introspection is None
    assert "Token is empty" in panel.status.value


def test_an_inactive_answer_reads_as_one_state(panel):
    """The request succeeded, the answer is no: the status line says "✗ … inactive" like the verdict above it."""
    panel.token.value = "not-a-token-this-server-issued"
    panel.introspect_button.click()
    assert "✗ inactive" in panel.verdict.value
    assert "✗ Introspect token: the token is inactive" in panel.status.value and "✓" not in panel.status.value


def test_a_new_attempt_forgets_the_last_answer(panel):
    panel.token.value = "not-a-token-this-server-issued"
    panel.introspect_button.click()
    panel.token.value = ""
    panel.introspect_button.click()
    assert "Token is empty" in panel.status.value and panel.verdict.value == "" and panel.last_active is None
