"""A stock Binder: the kernel knows its hub path (``JUPYTERHUB_SERVICE_PREFIX``) but not the public origin. The
Authorize panel's link opens the listener's start page through jupyter-server-proxy; the page reports
``location.origin``; the listener checks it against the ``Host`` the request came in on (and the proxy's
``X-Forwarded-Context``), builds the public callback URL, and sends the browser to the authorization URL made for it.

No JupyterHub runs here: these are real HTTP requests to the real listener and sandbox, with the headers
jupyter-server-proxy (4.x, ``handlers.py``) passes on — the browser's ``Host`` and ``X-Forwarded-Context:
{base_url}proxy/{port}`` — written by hand. That the proxy strips ``{prefix}proxy/{port}`` is its documented
behaviour; the path each request uses here is the one the listener sees behind it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from hub_proxy_helpers import HUB, TIMEOUT, begin_address, hub_listener, proxy_headers
from oauth_helpers import wait_for
from server_helpers import free_port

from telnyx_nb import TelnyxOAuth
from telnyx_nb.widgets import AuthorizePanel
from telnyx_nb.widgets.loopback import LoopbackListener


def _begin(listener: LoopbackListener, origin: str, headers: dict[str, str]) -> requests.Response:
    """The start page's script, run: GET begin with the link's nonce and ``origin``."""
    return requests.get(f"http://127.0.0.1:{listener.port}/begin", params={"n": listener.nonce, "origin": origin},
                        headers=headers, allow_redirects=False, timeout=TIMEOUT)


def test_the_start_page_learns_the_public_callback_and_redirects_to_the_authorization_url():
    started: list[str] = []
    with hub_listener(started) as listener:
        assert listener.needs_start_page
        assert listener.start_url == f"/user/ada/proxy/{listener.port}/start?n={listener.nonce}"
        start = f"http://127.0.0.1:{listener.port}/start?n={listener.nonce}"
        page = requests.get(start, headers=proxy_headers(listener.port), timeout=TIMEOUT)
        assert page.status_code == 200 and "location.origin" in page.text
        assert page.headers["Cache-Control"] == "no-store"
        begin = requests.get(begin_address(start, page.text, f"https://{HUB}"), headers=proxy_headers(listener.port),
                             allow_redirects=False, timeout=TIMEOUT)
        assert begin.status_code == 302
        assert begin.headers["Location"] == "https://auth.example/authorize?client_id=c&redirect_uri=x"
        assert started == [f"https://{HUB}/user/ada/proxy/{listener.port}/callback"]
        assert listener.redirect_uri == started[0]  # what the redirect is reported under from now on


@pytest.mark.parametrize("origin, host", [
    ("https://evil.example", HUB),               # another site's origin: not where this request came in
    (f"https://{HUB}/path", HUB),                # not an origin
    (f"https://user@{HUB}", HUB),                # userinfo is no origin either
    ("javascript:alert(1)", HUB),
])
def test_the_start_page_refuses_an_origin_that_is_not_the_requests_own(origin, host):
    started: list[str] = []
    with hub_listener(started) as listener:
        answer = _begin(listener, origin, proxy_headers(listener.port, host))
        assert answer.status_code == 400 and "Location" not in answer.headers
        assert started == [] and listener.public_redirect_uri is None


def test_the_start_page_refuses_a_proxy_context_that_is_not_this_listener():
    started: list[str] = []
    with hub_listener(started) as listener:
        headers = {"Host": HUB, "X-Forwarded-Context": "/user/eve/proxy/1234"}
        answer = _begin(listener, f"https://{HUB}", headers)
        assert answer.status_code == 400 and started == []


def test_without_a_start_handler_the_listener_answers_only_its_callback():
    with LoopbackListener(0, "/callback") as listener:
        assert listener.start_url is None
        assert requests.get(f"http://127.0.0.1:{listener.port}/start", timeout=TIMEOUT).status_code == 404
        assert requests.get(f"http://127.0.0.1:{listener.port}/begin?origin=http://x", timeout=TIMEOUT).status_code \
            == 404


@pytest.fixture
def oauth(make_sandbox):
    with TelnyxOAuth.from_sandbox(make_sandbox()) as client:
        yield client


def test_on_a_stock_binder_the_panel_signs_in_through_the_start_page(stock_binder, oauth):
    port = free_port()
    loopback_uri, hub_uri = f"http://127.0.0.1:{port}/callback", f"https://{HUB}/user/ada/proxy/{port}/callback"
    app = oauth.create_client("Binder notebook", "confidential", ["authorization_code"], ["admin"],
                              redirect_uris=[loopback_uri, hub_uri], require_pkce=True)
    panel = AuthorizePanel(oauth, autoload=False)
    try:
        panel.client_id.value = app.client_id
        panel.client_secret.value = app.client_secret
        panel.load()
        panel.redirect_uri.value = loopback_uri
        panel.scopes.value = ("admin",)
        panel.build_button.click()
        assert panel.last_error is None, panel.error_message
        listener = panel.listener
        # root-relative: the hub's origin
        assert f"href='/user/ada/proxy/{port}/start?n={listener.nonce}'" in panel.step_url.value

        begin = _begin(listener, f"https://{HUB}", proxy_headers(port))
        assert begin.status_code == 302, begin.text
        request = panel.last_request
        assert request.redirect_uri == hub_uri
        sandbox = urlsplit(request.url)
        assert begin.headers["Location"] == \
            f"https://{HUB}/user/ada/proxy/{sandbox.port}{sandbox.path}?{sandbox.query}"  # the sandbox, proxied too

        # the user approves on the consent page; the sandbox redirects to the public callback, which the proxy
        # hands to the listener as /callback?…
        landed = oauth.decide_consent(oauth.begin_authorization(request), True)
        assert landed.startswith(hub_uri + "?")
        tab = requests.get(f"http://127.0.0.1:{port}/callback?{urlsplit(landed).query}",
                           headers=proxy_headers(port), timeout=TIMEOUT)
        assert tab.status_code == 200 and "Approved" in tab.text
        wait_for(lambda: panel.last_token is not None or panel.last_error is not None, what="the panel's token")
        assert panel.last_error is None, panel.error_message
        assert panel.last_token.scope == "admin"
        assert oauth.introspect(panel.last_token.access_token).client_id == app.client_id
        assert parse_qs(urlsplit(listener.received).query)["state"] == [request.state]
    finally:
        panel.close()
