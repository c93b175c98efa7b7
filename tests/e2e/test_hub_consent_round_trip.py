"""The consent round trip on a stock Binder, through the real jupyter-server-proxy: a Jupyter server under the hub
prefix (as Binder runs it), the sandbox started as binder/start starts it (``proxy_prefix``), the Authorize panel in
this process as the kernel (``JUPYTERHUB_SERVICE_PREFIX`` set, no public URL), and a "browser" on the hub's origin
whose every request reaches the container only through that Jupyter server with the hub's ``Host``.

Click the link → start page → the authorization URL (the sandbox, proxied) → consent page → Allow → the listener
(proxied) → the panel exchanges the code. Without ``proxy_prefix`` the sandbox refuses the hub's Host (421)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hub_proxy_helpers import PREFIX, HubBrowser, allow_and_wait, begin_address, built_panel, running_jupyter_server

from telnyx_nb import TelnyxOAuth


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory):
    home = tmp_path_factory.mktemp("hub-home")
    with running_jupyter_server(PREFIX, home, home) as url:
        yield url


def test_the_demo_client_signs_in_through_the_real_jupyter_server_proxy(jupyter, stock_binder, make_sandbox):
    sandbox = make_sandbox(proxy_prefix=PREFIX)
    browser = HubBrowser(jupyter=jupyter)
    with TelnyxOAuth.from_sandbox(sandbox) as oauth, built_panel(oauth) as panel:
        start = browser.origin + panel.listener.start_url
        page = browser.follow(start)
        assert page.status_code == 200 and "location.origin" in page.text, page.text[:300]
        # what the start page's script does: location.replace('begin?n=<nonce>&origin=' + location.origin)
        consent = browser.follow(begin_address(start, page.text, browser.origin))
        assert consent.status_code == 200, consent.text[:500]
        sandbox_port = urlsplit(sandbox.root_url).port
        assert consent.url.startswith(browser.proxied(sandbox_port, "/v2/oauth/consent?consent_token="))

        callback = browser.proxied(panel.listener.port, "/callback")
        assert panel.registered_redirect_uri == callback == panel.last_request.redirect_uri
        token = allow_and_wait(browser, consent, callback, panel)
        assert oauth.introspect(token.access_token).active


def test_without_proxy_prefix_the_sandbox_refuses_the_hubs_host_through_the_proxy(jupyter, make_sandbox):
    sandbox = make_sandbox()
    browser = HubBrowser(jupyter=jupyter)
    port = urlsplit(sandbox.root_url).port
    assert browser.follow(browser.proxied(port, "/.well-known/oauth-authorization-server")).status_code == 421
    served = make_sandbox(proxy_prefix=PREFIX)
    port = urlsplit(served.root_url).port
    assert browser.follow(browser.proxied(port, "/.well-known/oauth-authorization-server")).status_code == 200
