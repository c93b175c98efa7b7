"""The loopback listener answers only the sign-in it was started for.

- ``/callback``: any page can make the browser request ``http://127.0.0.1:8976/callback?...`` (an ``<img>``); such a
  request must not use up the listener's one redirect. A redirect whose ``state`` is missing or not the pending
  request's is answered 400 and the listener keeps waiting (RFC 6749 §10.12).
- ``/start`` and ``/begin`` (a hub whose public address is unknown): a request that does not carry the nonce of
  the panel's own link is refused 403 — no redirect URI is written on the client and the pending request stays.

Real HTTP to the real listener (and the real sandbox for the panel's end of it)."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
import requests
import test_authorize_panel
from hub_proxy_helpers import HUB, PREFIX, TIMEOUT, begin_address, built_panel, hub_listener, proxy_headers
from oauth_helpers import approve_in_browser, wait_for

from telnyx_nb.widgets.loopback import LoopbackListener

oauth = test_authorize_panel.oauth
panel = test_authorize_panel.panel


# ---------------------------------------------------------------------------------------------- /callback
@pytest.mark.parametrize("query", ["code=planted", "code=planted&state=", "code=planted&state=guess",
                                   "error=access_denied", "error=access_denied&state=guess",
                                   "code=planted&state=good&state=bad", "code=planted&state=GOOD"])
def test_a_redirect_without_the_pending_state_is_refused_and_the_listener_keeps_waiting(query):
    got = []
    with LoopbackListener(0, "/callback", state="good", on_redirect=got.append) as listener:
        answer = requests.get(f"{listener.redirect_uri}?{query}", timeout=TIMEOUT)
        assert answer.status_code == 400 and "state" in answer.text
        assert listener.received is None and listener.running
        ok = requests.get(f"{listener.redirect_uri}?code=real&state=good", timeout=TIMEOUT)
        assert ok.status_code == 200 and "Approved" in ok.text
        assert listener.wait(5) == f"{listener.redirect_uri}?code=real&state=good"
    wait_for(lambda: got, what="the redirect")
    assert got == [f"{listener.redirect_uri}?code=real&state=good"]


def test_a_denial_with_the_pending_state_is_delivered():
    with LoopbackListener(0, "/callback", state=lambda: "now") as listener:
        answer = requests.get(f"{listener.redirect_uri}?error=access_denied&state=now", timeout=TIMEOUT)
        assert answer.status_code == 200 and "Access denied" in answer.text
        assert listener.wait(5).endswith("?error=access_denied&state=now")


def test_a_listener_with_no_pending_request_accepts_nothing():
    with LoopbackListener(0, "/callback", state=lambda: None) as listener:
        assert requests.get(f"{listener.redirect_uri}?code=c&state=s", timeout=TIMEOUT).status_code == 400
        assert listener.received is None


def test_a_planted_redirect_does_not_end_the_panels_sign_in(panel, oauth):
    """An <img src=http://127.0.0.1:8976/callback?code=x> on any page: refused; the user's approval still lands."""
    panel.scopes.value = ("admin",)
    panel.build_button.click()
    assert panel.last_error is None, panel.error_message
    listener = panel.listener
    for query in ("code=planted", "code=planted&state=forged", "error=access_denied"):
        assert requests.get(f"{listener.redirect_uri}?{query}", timeout=TIMEOUT).status_code == 400
    assert listener.running and listener.received is None and panel.last_error is None
    landed = approve_in_browser(panel.last_request.url)
    assert landed.status_code == 200 and "Approved" in landed.text
    wait_for(lambda: panel.last_token is not None or panel.last_error is not None, what="the panel's token")
    assert panel.last_error is None, panel.error_message
    assert oauth.introspect(panel.last_token.access_token).active


# ------------------------------------------------------------------------------------------ /start, /begin
def test_the_start_url_carries_an_unguessable_nonce_that_differs_per_listener():
    with hub_listener([]) as one, hub_listener([]) as two:
        nonces = [re.fullmatch(rf"/user/ada/proxy/{lst.port}/start\?n=([\w-]+)", lst.start_url).group(1)
                  for lst in (one, two)]
    assert nonces[0] != nonces[1] and all(len(n) >= 43 for n in nonces)  # 256 bits, base64url


@pytest.mark.parametrize("nonce", [None, "", "guess", "n"])
def test_start_and_begin_without_the_links_nonce_are_refused(nonce):
    started: list[str] = []
    with hub_listener(started) as listener:
        base = f"http://127.0.0.1:{listener.port}"
        params = {} if nonce is None else {"n": nonce}
        page = requests.get(f"{base}/start", params=params, headers=proxy_headers(listener.port), timeout=TIMEOUT)
        assert page.status_code == 403 and "begin" not in page.text
        begin = requests.get(f"{base}/begin", params={**params, "origin": f"https://{HUB}"},
                             headers=proxy_headers(listener.port), allow_redirects=False, timeout=TIMEOUT)
        assert begin.status_code == 403 and "Location" not in begin.headers
        assert started == [] and listener.public_redirect_uri is None


def test_a_begun_sign_in_cannot_be_moved_to_another_origin():
    started: list[str] = []
    with hub_listener(started) as listener:
        start = f"http://127.0.0.1:{listener.port}/start?{urlsplit(listener.start_url).query}"
        page = requests.get(start, headers=proxy_headers(listener.port), timeout=TIMEOUT)
        assert page.status_code == 200
        first = requests.get(begin_address(start, page.text, f"https://{HUB}"), headers=proxy_headers(listener.port),
                             allow_redirects=False, timeout=TIMEOUT)
        assert first.status_code == 302
        again = requests.get(begin_address(start, page.text, f"https://{HUB}"), headers=proxy_headers(listener.port),
                             allow_redirects=False, timeout=TIMEOUT)
        assert again.status_code == 302  # a reload on the same hub is fine
        moved = requests.get(begin_address(start, page.text, "https://evil.example"),
                             headers=proxy_headers(listener.port, "evil.example"), allow_redirects=False,
                             timeout=TIMEOUT)
        assert moved.status_code == 409 and "Location" not in moved.headers
        assert started == [f"https://{HUB}/user/ada/proxy/{listener.port}/callback"] * 2
        assert listener.public_redirect_uri == started[0]


def test_a_forged_host_without_the_nonce_writes_nothing_on_the_sandboxs_client(make_sandbox, stock_binder):
    """The reproduction: on a hub without a public URL, GET /begin?origin=https://evil.example with Host:
    evil.example made the panel register the attacker's redirect URI and replace the pending request."""
    from telnyx_nb import TelnyxOAuth

    sandbox = make_sandbox(proxy_prefix=PREFIX)
    with TelnyxOAuth.from_sandbox(sandbox) as client, built_panel(client) as panel:
        before = client.get_client(sandbox.demo_client_id).redirect_uris
        pending = panel.last_request
        port = panel.listener.port
        for params in ({"origin": "https://evil.example"}, {"origin": "https://evil.example", "n": "x" * 43}):
            answer = requests.get(f"http://127.0.0.1:{port}/begin", params=params,
                                  headers=proxy_headers(port, "evil.example"), allow_redirects=False,
                                  timeout=TIMEOUT)
            assert answer.status_code == 403 and "Location" not in answer.headers
        assert client.get_client(sandbox.demo_client_id).redirect_uris == before
        assert panel.last_request is pending and panel.registered_redirect_uri is None
        assert panel.listener.public_redirect_uri is None


def test_the_begin_address_on_the_start_page_is_relative_and_holds_the_nonce():
    with hub_listener([]) as listener:
        start = f"http://127.0.0.1:{listener.port}{urlsplit(listener.start_url).path}?{urlsplit(listener.start_url).query}"
        page = requests.get(start, headers=proxy_headers(listener.port), timeout=TIMEOUT)
        address = begin_address(start, page.text, f"https://{HUB}")
        assert address.startswith(urljoin(start, "begin?n=")) and urlsplit(listener.start_url).query in address
