"""The demo client signs in end to end on a Binder-like hub: the Authorize panel's listener and the sandbox both
in the "container" (127.0.0.1), the browser on the hub's origin reaching them only through (a stand-in for)
jupyter-server-proxy, the sandbox started as binder/start starts it (``proxy_prefix``). The panel registers the
per-launch callback address on the sandbox's client (never on a real account's), and says so.

Real HTTP to the real listener and sandbox; the proxy's rewriting is ``hub_proxy_helpers.HubBrowser``."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
from hub_proxy_helpers import HUB, PREFIX, HubBrowser, allow_and_wait, begin_address, built_panel, hub_environment

from telnyx_nb import TelnyxOAuth
from telnyx_nb.widgets import AuthorizePanel
from telnyx_nb.widgets.base import visible_text


@pytest.fixture
def hub_sandbox(make_sandbox):
    return make_sandbox(proxy_prefix=PREFIX)


def _open_link(panel: AuthorizePanel, browser: HubBrowser):
    """What the user's click leads to: the start page (its script sends location.origin to begin) or, when the
    public address is known, the authorization URL through the proxy; follows redirects to the consent page."""
    link = panel.step_url.value.split("<a href='", 1)[1].split("'", 1)[0].replace("&amp;", "&")
    address = urljoin(browser.origin + "/", link)
    if panel.listener.start_url:
        start = browser.follow(address)
        assert start.status_code == 200 and "location.origin" in start.text
        address = begin_address(address, start.text, browser.origin)
    return browser.follow(address)


@pytest.mark.parametrize("public_url", [None, f"https://{HUB}/"], ids=["stock-binder", "public-url-known"])
def test_the_demo_client_signs_in_through_the_hubs_proxy(hub_sandbox, monkeypatch, public_url):
    hub_environment(monkeypatch, public_url)
    with TelnyxOAuth.from_sandbox(hub_sandbox) as oauth:
        with built_panel(oauth) as panel:
            promised = "registers that address on the client for you" in visible_text(panel)
            assert promised == (public_url is None)  # before the start page ran; with a known URL it is done
            browser = HubBrowser()
            consent = _open_link(panel, browser)
            assert consent.status_code == 200, consent.text[:500]
            port = panel.listener.port
            callback = f"https://{HUB}{PREFIX}proxy/{port}/callback"
            assert panel.last_request.redirect_uri == callback
            # the sandbox's pages were reached through the proxy too, never at the container's 127.0.0.1
            sandbox_port = urlsplit(hub_sandbox.root_url).port
            assert consent.url.startswith(browser.proxied(sandbox_port, "/v2/oauth/consent?consent_token="))

            # the panel registered the hub address on the sandbox's demo client, and says so
            assert panel.registered_redirect_uri == callback
            assert callback in oauth.get_client(hub_sandbox.demo_client_id).redirect_uris
            assert "registered" in visible_text(panel) and callback in visible_text(panel)

            token = allow_and_wait(browser, consent, callback, panel)
            assert oauth.introspect(token.access_token).client_id == hub_sandbox.demo_client_id


def test_reopening_the_start_page_registers_the_address_once_and_keeps_saying_so(hub_sandbox, monkeypatch):
    hub_environment(monkeypatch, None)
    with TelnyxOAuth.from_sandbox(hub_sandbox) as oauth:
        with built_panel(oauth) as panel:
            browser = HubBrowser()
            start = browser.origin + panel.listener.start_url
            page = browser.follow(start)
            assert _open_link(panel, browser).status_code == 200
            assert "for you" not in visible_text(panel)  # done: the link now opens the authorization URL
            begin = begin_address(start, page.text, browser.origin)
            assert browser.follow(begin).status_code == 200  # the start page again (history, a second tab)
            callback = f"https://{HUB}{PREFIX}proxy/{panel.listener.port}/callback"
            assert oauth.get_client(hub_sandbox.demo_client_id).redirect_uris.count(callback) == 1
            assert panel.registered_redirect_uri == callback and callback in visible_text(panel)


def test_against_an_account_that_is_not_a_sandbox_the_panel_registers_nothing(hub_sandbox, monkeypatch):
    """Only a sandbox's client is written to: a session that is not declared a sandbox (a real Telnyx account)
    leaves the client as it is, and the authorization server then refuses the unregistered redirect URI."""
    hub_environment(monkeypatch, None)
    with TelnyxOAuth(hub_sandbox.api_key, base_url=hub_sandbox.base_url, client_id=hub_sandbox.demo_client_id,
                     client_secret=hub_sandbox.demo_client_secret, is_sandbox=False) as oauth:
        before = oauth.get_client(hub_sandbox.demo_client_id).redirect_uris
        with built_panel(oauth) as panel:
            refused = _open_link(panel, HubBrowser())
            assert refused.status_code == 422 and "redirect" in refused.text.lower()  # Telnyx: 422 "Invalid redirect URI"
            assert panel.registered_redirect_uri is None
            assert oauth.get_client(hub_sandbox.demo_client_id).redirect_uris == before
            shown = visible_text(panel)
            assert "must have" in shown and "registered the" not in shown and "for you" not in shown
