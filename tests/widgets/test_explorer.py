"""Explorer: every panel in tabs on one session, linked so that issue → introspect → verify is three clicks."""

from __future__ import annotations

import pytest

from telnyx_nb import TelnyxOAuth
from telnyx_nb.widgets import Explorer
from telnyx_nb.widgets.base import visible_text


@pytest.fixture
def explorer(sandbox, open_panel):
    return open_panel(Explorer, sandbox)


def test_tabs_and_lazy_loading(explorer):
    assert tuple(explorer.tabs.titles) == Explorer.TAB_TITLES
    assert explorer.token.scopes.options  # the first tab loads at once
    assert explorer.clients.df is None  # the others when opened
    explorer.tabs.selected_index = Explorer.TAB_TITLES.index("Clients")
    assert explorer.clients.df is not None and len(explorer.clients.df) > 0
    explorer.tabs.selected_index = Explorer.TAB_TITLES.index("Discovery")
    assert explorer.discovery.metadata.issuer in explorer.discovery.server_view.value
    assert "RFC 9728" in visible_text(explorer.discovery)


def test_issue_introspect_verify(explorer):
    explorer.token.issue_button.click()
    token = explorer.last_token
    assert token is not None
    assert explorer.introspection.token.value == token.access_token
    assert explorer.jwks.token.value == token.access_token
    explorer.introspection.introspect_button.click()
    assert explorer.introspection.last_active is True
    explorer.jwks.verify_button.click()
    assert explorer.jwks.last_verdict == "valid"
    # each panel logs its own requests only
    assert all(r.url.endswith("/oauth/introspect") for r in explorer.introspection.request_log.records)
    assert token.access_token not in visible_text(explorer)


def test_no_secret_reaches_a_widget_model_until_revealed(explorer):
    """Widget models are what a browser receives and what nbclient saves into a notebook."""
    import json

    import ipywidgets

    def saved_state() -> str:
        return json.dumps(ipywidgets.Widget.get_manager_state(drop_defaults=False)["state"], default=str)

    explorer.token.issue_button.click()
    explorer.introspection.introspect_button.click()
    explorer.jwks.verify_button.click()
    token = explorer.last_token.access_token
    assert explorer.introspection.last_active and explorer.jwks.last_verdict == "valid"
    assert token not in saved_state()
    assert explorer.client.client_secret not in saved_state()
    assert "(type or paste to replace)" in explorer.introspection.token.hidden.placeholder

    explorer.introspection.reveal.value = True  # the user's explicit choice
    assert token in saved_state()
    explorer.introspection.reveal.value = False
    assert token not in saved_state()


def test_panels_without_a_client_share_one_connect_session(sandbox):
    from telnyx_nb.widgets import IntrospectionPanel, TokenPanel

    token_panel, introspection_panel = TokenPanel(), IntrospectionPanel()
    try:
        assert token_panel.client is introspection_panel.client
        assert token_panel.client.base_url == sandbox.base_url  # connect() read TELNYX_NB_SANDBOX
        assert repr(token_panel) == f"TokenPanel(target={token_panel.client.target!r})"
        assert token_panel.client.client_id in token_panel.credentials.value
    finally:
        token_panel.close()
        introspection_panel.close()


def test_a_token_from_the_authorize_tab_reaches_the_other_tabs(make_sandbox):
    with TelnyxOAuth.from_sandbox(make_sandbox()) as client:  # the flow creates a grant: not on shared data
        app = Explorer(client)
        try:
            app.tabs.selected_index = Explorer.TAB_TITLES.index("Authorize")
            for button in (app.authorize.build_button, app.authorize.start_button, app.authorize.allow_button,
                           app.authorize.exchange_button):
                button.click()
                assert app.authorize.last_error is None, app.authorize.error_message
            token = app.authorize.last_token
            assert app.last_token is token and "from the Authorize tab" in app.token.status.value
            assert app.token.last_grant_type == "authorization_code"  # not the dropdown's client_credentials
            assert "grant_type <code>authorization_code</code>" in app.token.response.value
            assert not app.token.refresh_button.disabled  # a code grant carries a refresh token
            assert app.introspection.token.value == token.access_token == app.jwks.token.value
            app.token.refresh_button.click()
            assert app.last_token.access_token != token.access_token
            assert app.token.last_grant_type == "refresh_token"
            assert app.introspection.token.value == app.last_token.access_token
        finally:
            app.close()
