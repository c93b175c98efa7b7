"""The authorization-code flow comes back to the kernel: the Authorize panel's loopback listener (RFC 8252 §7.3)
receives the browser's redirect from the real consent page, checks state and iss (RFC 9207), and exchanges the
code; the paste box covers every other case. The "browser" here is requests, following the consent page's own form
over real HTTP; tests/e2e/test_browser.py does the same in chromium."""

from __future__ import annotations

import re

import requests
import test_authorize_panel
from oauth_helpers import approve_in_browser, wait_for

from telnyx_nb import TelnyxOAuth
from telnyx_nb.core.errors import AuthorizationFlowError, StateMismatch
from telnyx_nb.widgets import AuthorizePanel
from telnyx_nb.widgets.base import visible_text
from telnyx_nb.widgets.loopback import LoopbackListener, browser_url, public_origin

TIMEOUT = 10
oauth = test_authorize_panel.oauth  # the same throwaway-sandbox fixtures
panel = test_authorize_panel.panel


def test_allow_on_the_consent_page_reaches_the_listener_and_the_panel_shows_tokens(panel, oauth):
    panel.scopes.value = ("admin",)
    panel.build_button.click()
    assert panel.last_error is None, panel.error_message
    listener = panel.listener
    assert listener.running and panel.last_request.redirect_uri == listener.redirect_uri
    assert f"listener on 127.0.0.1:{listener.port}" in visible_text(panel)

    landed = approve_in_browser(panel.last_request.url)
    assert landed.status_code == 200 and "Approved" in landed.text
    assert landed.url.startswith(listener.redirect_uri + "?")
    code = re.search(r"code=([^&]+)", landed.url).group(1)
    assert code not in landed.text  # the page does not repeat the secret

    wait_for(lambda: panel.last_token is not None or panel.last_error is not None, what="the panel's token")
    assert panel.last_error is None, panel.error_message
    assert panel.last_token.refresh_token and panel.last_token.scope == "admin"
    assert oauth.introspect(panel.last_token.access_token).active
    assert "4 · Token response" in visible_text(panel)
    wait_for(lambda: not listener.running, what="the listener to stop")  # one redirect, then it stops


def test_deny_on_the_consent_page_is_shown_as_denied_in_tab_and_panel(panel):
    panel.build_button.click()
    landed = approve_in_browser(panel.last_request.url, allow=False)
    assert "Access denied" in landed.text and "access_denied" in landed.text
    wait_for(lambda: panel.last_denial is not None, what="the panel's denial")
    assert panel.last_code is None and panel.last_token is None
    assert "access denied" in visible_text(panel)


def test_a_forged_redirect_with_another_state_is_refused(panel):
    """The listener itself refuses it (400) and keeps waiting: a forged redirect neither ends nor spoils the sign-in
    (test_loopback_guards.py has the rest); a pasted one is the panel's to refuse."""
    panel.build_button.click()
    issuer = panel.client.authorization_server_metadata().issuer  # the right iss: the state is what is forged
    forged = requests.get(panel.listener.redirect_uri, params={"code": "stolen", "state": "not-ours", "iss": issuer},
                          timeout=TIMEOUT)
    assert forged.status_code == 400 and panel.listener.running and panel.listener.received is None
    assert panel.last_error is None and panel.last_code is None
    panel.paste.value = f"{panel.last_request.redirect_uri}?code=stolen&state=not-ours&iss={issuer}"
    panel.paste_button.click()
    assert isinstance(panel.last_error, StateMismatch)
    assert panel.last_code is None and panel.last_token is None


def test_a_redirect_from_another_issuer_is_refused_rfc_9207(panel, oauth):
    panel.listen.value = False
    panel.build_button.click()
    request = panel.last_request
    panel.paste.value = f"{request.redirect_uri}?code=abc&state={request.state}&iss=https%3A%2F%2Fevil.example"
    panel.paste_button.click()
    assert isinstance(panel.last_error, AuthorizationFlowError) and "RFC 9207" in panel.error_message
    assert panel.last_code is None


def test_paste_box_takes_the_address_the_browser_landed_on(panel, oauth):
    panel.listen.value = False  # e.g. a redirect URI the kernel cannot listen on
    panel.build_button.click()
    assert panel.listener is None
    consent_token = oauth.begin_authorization(panel.last_request)
    landed = oauth.decide_consent(consent_token, True)  # the address bar after Allow
    panel.paste.value = landed
    panel.paste_button.click()
    assert panel.last_error is None, panel.error_message
    assert panel.last_token is not None and panel.paste.value == ""  # the code is not left on screen


def test_sandbox_shortcut_buttons_are_labelled_and_off_for_the_real_api(panel, make_sandbox):
    assert "sandbox shortcut" in panel.allow_button.description
    sb = make_sandbox()
    real_like = TelnyxOAuth(api_key=sb.api_key, base_url=sb.base_url, client_id=sb.demo_client_id,
                            client_secret=sb.demo_client_secret, is_sandbox=False)
    other = AuthorizePanel(real_like)
    try:
        other.build_button.click()
        other.start_button.click()
        assert other.consent_token and other.allow_button.disabled  # the user decides in the browser
    finally:
        other.close()
        real_like.close()


def test_listener_takes_one_redirect_and_never_answers_other_paths():
    got = []
    with LoopbackListener(0, "/callback", on_redirect=got.append, state="s") as listener:
        assert requests.get(f"http://127.0.0.1:{listener.port}/favicon.ico", timeout=TIMEOUT).status_code == 404
        assert requests.get(listener.redirect_uri, timeout=TIMEOUT).status_code == 400  # neither code nor error
        first = requests.get(listener.redirect_uri + "?code=one&state=s", timeout=TIMEOUT)
        assert first.status_code == 200 and first.headers["Cache-Control"] == "no-store"
        assert listener.wait(5) == listener.redirect_uri + "?code=one&state=s"
    wait_for(lambda: got, what="the redirect")
    assert got == [listener.redirect_uri + "?code=one&state=s"]


def test_a_taken_port_moves_the_listener_and_says_so():
    with LoopbackListener(0) as holder, LoopbackListener(holder.port) as moved:
        assert moved.moved and moved.port != holder.port


def test_on_a_jupyterhub_the_listener_is_reached_through_jupyter_server_proxy():
    hub = {"JUPYTERHUB_SERVICE_PREFIX": "/user/ada/", "TELNYX_NB_PUBLIC_URL": "https://hub.example.org/hub/"}
    assert public_origin(hub) == "https://hub.example.org"
    assert browser_url("http://127.0.0.1:8765/v2/oauth/authorize?x=1", hub) == \
        "https://hub.example.org/user/ada/proxy/8765/v2/oauth/authorize?x=1"
    assert browser_url("https://api.telnyx.com/v2/oauth/authorize", hub) == "https://api.telnyx.com/v2/oauth/authorize"
    assert browser_url("http://127.0.0.1:8765/x", {}) == "http://127.0.0.1:8765/x"
    with LoopbackListener(0, environ=hub, state="s") as listener:
        assert listener.behind_proxy
        assert listener.redirect_uri == f"https://hub.example.org/user/ada/proxy/{listener.port}/callback"
        # jupyter-server-proxy strips /user/ada/proxy/<port>: the listener gets /callback?…
        assert requests.get(listener.local_uri + "?code=c&state=s", timeout=TIMEOUT).status_code == 200
        assert listener.wait(5) == listener.redirect_uri + "?code=c&state=s"


def test_the_consent_page_marks_admin_as_high_risk_and_the_panel_picker_too(panel):
    labels = dict((value, label) for label, value in panel.scopes.options)
    assert "⚠" in labels["admin"] and "full administrative access to the Telnyx account" in panel.scope_notes.value
    panel.scopes.value = ("admin",)
    panel.build_button.click()
    page = requests.get(panel.last_request.url, timeout=TIMEOUT).text
    admin = page.split('data-scope="admin"', 1)[1].split("</li>", 1)[0]
    assert 'data-risk="high"' in admin and "High risk" in admin
