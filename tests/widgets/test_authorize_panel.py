"""AuthorizePanel walks the authorization-code + PKCE flow by clicks, on a throwaway sandbox (it creates grants)."""

from __future__ import annotations

import pytest

from telnyx_nb import TelnyxOAuth
from telnyx_nb.core.errors import ValidationError
from telnyx_nb.widgets import AuthorizePanel
from telnyx_nb.widgets.base import html_to_text, visible_text


@pytest.fixture
def oauth(make_sandbox):
    with TelnyxOAuth.from_sandbox(make_sandbox()) as client:
        yield client


@pytest.fixture
def panel(oauth):
    p = AuthorizePanel(oauth)
    yield p
    p.close()


def saved_state() -> str:
    """Every live widget model, as the browser receives it and nbclient would save it into a notebook."""
    import json

    import ipywidgets

    return json.dumps(ipywidgets.Widget.get_manager_state(drop_defaults=False)["state"], default=str)


def test_full_flow_allow_then_exchange(panel, oauth):
    assert panel.last_error is None, panel.error_message
    assert panel.client_id.value == oauth.client_id
    assert panel.redirect_uri.value in oauth.get_client(oauth.client_id).redirect_uris
    panel.scopes.value = ("admin",)

    panel.build_button.click()
    request = panel.last_request
    assert request.code_challenge_method == "S256" and request.code_verifier and request.state
    assert "code_challenge=" in request.url and request.url in visible_text(panel)
    assert request.code_verifier not in visible_text(panel)

    panel.start_button.click()
    assert panel.last_error is None, panel.error_message
    consent = panel.last_consent
    assert consent.client_id == oauth.client_id
    assert list(consent.scope_ids) == ["admin"]
    shown = visible_text(panel)
    assert consent.name in shown and "verified" in shown
    assert all(s.description in shown for s in consent.requested_scopes)
    assert "⚠ gives full administrative access to the Telnyx account" in html_to_text(panel.step_consent.value)

    consent_token = panel.consent_token
    panel.allow_button.click()
    assert panel.last_error is None, panel.error_message
    assert panel.last_code and panel.last_denial is None
    code = panel.last_code
    assert "code received" in panel.step_redirect.value
    assert panel.last_code not in visible_text(panel)

    panel.exchange_button.click()
    assert panel.last_error is None, panel.error_message
    token = panel.last_token
    assert token.refresh_token and token.scope.split() == ["admin"]
    assert oauth.introspect(token.access_token).active

    state = saved_state()
    for secret in (consent_token, code, request.code_verifier, token.access_token, token.refresh_token):
        assert secret not in state

    calls = [(r.method, r.url.split("?")[0].rsplit("/v2", 1)[-1]) for r in panel.request_log.records]
    assert ("GET", "/oauth/authorize") in calls
    assert ("POST", "/oauth/grants") in calls
    assert ("POST", "/oauth/token") in calls
    assert any(m == "GET" and u.startswith("/oauth/consent/") for m, u in calls)


def test_deny_is_an_outcome_shown_in_the_panel(panel):
    panel.build_button.click()
    panel.start_button.click()
    panel.deny_button.click()
    assert panel.last_error is None, panel.error_message
    assert panel.last_code is None and panel.last_denial is not None
    assert panel.last_denial.error == "access_denied"
    assert "access denied" in panel.step_redirect.value
    assert panel.exchange_button.disabled


def test_a_code_is_exchanged_once(panel, oauth):
    panel.build_button.click()
    panel.start_button.click()
    panel.allow_button.click()
    code = panel.last_code
    panel.exchange_button.click()
    assert panel.last_token is not None and panel.exchange_button.disabled
    # replaying the code by hand is refused by the server (RFC 6749 §4.1.2)
    with pytest.raises(ValidationError):
        oauth.exchange_code(code, redirect_uri=panel.last_request.redirect_uri,
                            code_verifier=panel.last_request.code_verifier)


def test_unregistered_redirect_uri_is_refused_readably(panel):
    panel.redirect_uri.value = "https://attacker.invalid/cb"
    panel.build_button.click()
    panel.start_button.click()
    assert panel.last_consent is None
    assert panel.last_error is not None
    assert "failed" in panel.status.value and "Traceback" not in visible_text(panel)
    assert "redirect URI is not registered" in panel.status.value


def test_the_picker_offers_what_the_server_publishes_with_descriptions_and_the_admin_warning(panel, oauth):
    advertised = oauth.authorization_server_metadata().scopes_supported
    labels = dict((value, label) for label, value in panel.scopes.options)
    assert tuple(labels) == tuple(advertised)
    assert labels["admin"] == "admin — Administrative access to Telnyx resources  ⚠"
    assert all(labels[s] == f"{s} — not published by Telnyx" for s in advertised if s != "admin")
    assert "admin gives full administrative access to the Telnyx account" in html_to_text(panel.scope_notes.value)


def test_before_the_click_an_empty_selection_says_the_consent_will_ask_for_the_clients_default(panel, oauth):
    allowed = tuple(oauth.get_client(oauth.client_id).allowed_scopes)
    said = html_to_text(panel.default_scopes.value)
    assert ("the request carries no scope, and the consent page will ask for every scope the client is allowed "
            f"(RFC 6749 §3.3): {' '.join(allowed)} — ⚠ admin gives full administrative access") in said
    assert "tnb-bad" in panel.default_scopes.value
    panel.scopes.value = ("admin",)
    assert html_to_text(panel.default_scopes.value).strip() == "Asking for: admin."
    panel.scopes.value = ()

    panel.build_button.click()
    panel.start_button.click()
    assert panel.last_error is None, panel.error_message
    assert set(panel.last_consent.scope_ids) == set(allowed)  # what the panel said is what the user is asked


def test_another_client_id_forgets_the_old_clients_default_until_it_is_loaded(panel, oauth):
    other = oauth.create_client("second app", "public", ["authorization_code"], ["admin"],
                                redirect_uris=["http://127.0.0.1:8765/cb"], require_pkce=True)
    panel.client_id.value = other.client_id
    said = html_to_text(panel.default_scopes.value)
    assert panel.client_allowed_scopes is None and "the server's default for this client" in said
    panel.load_button.click()
    assert panel.last_error is None, panel.error_message
    assert panel.client_allowed_scopes == ("admin",)
    assert "every scope the client is allowed (RFC 6749 §3.3): admin — ⚠" in html_to_text(panel.default_scopes.value)
