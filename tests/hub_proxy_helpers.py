"""A browser on a JupyterHub (Binder) whose requests reach the container through a stand-in for
jupyter-server-proxy, as its ``LocalProxyHandler`` (4.x, ``handlers.py``) forwards them: the address
``https://{hub}{prefix}proxy/{port}/{path}`` becomes ``http://127.0.0.1:{port}/{path}`` with the browser's own
headers (``Host`` included) plus ``X-Forwarded-Context`` / ``X-ProxyContextPath`` / ``X-Forwarded-Prefix`` =
``{prefix}proxy/{port}``; a root-absolute ``Location`` in the answer is put back under that context, relative and
absolute ones pass unchanged. No JupyterHub runs: the requests are real HTTP to the real servers behind it.
``HubBrowser(jupyter=URL)`` sends them to a real Jupyter server with jupyter-server-proxy instead
(``running_jupyter_server``), which does all of that itself."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from urllib.parse import quote, urljoin, urlsplit

import requests
from oauth_helpers import redirect_of, wait_for
from server_helpers import free_port, stop_group, wait_listening

from telnyx_nb.testing.harness import ConsentPage

TIMEOUT = 10
HUB = "hub.example.org"
PREFIX = "/user/ada/"


def hub_listener(started: list[str]):
    """A redirect listener as the Authorize panel starts it on a hub with no public URL (state ``s``); each
    ``/begin`` appends the redirect URI it would register to ``started``."""
    from telnyx_nb.widgets.loopback import LoopbackListener

    def on_start(redirect_uri: str) -> str:
        started.append(redirect_uri)
        return "https://auth.example/authorize?client_id=c&redirect_uri=x"

    return LoopbackListener(0, "/callback", environ={"JUPYTERHUB_SERVICE_PREFIX": PREFIX}, on_start=on_start,
                            state="s")


def hub_environment(monkeypatch, public_url: str | None = None) -> None:
    """A kernel's environment on the hub: ``JUPYTERHUB_SERVICE_PREFIX`` set, the public URL given or (as on a stock
    Binder) unknown."""
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", PREFIX)
    monkeypatch.delenv("JUPYTERHUB_PUBLIC_URL", raising=False)
    if public_url:
        monkeypatch.setenv("TELNYX_NB_PUBLIC_URL", public_url)
    else:
        monkeypatch.delenv("TELNYX_NB_PUBLIC_URL", raising=False)


@contextlib.contextmanager
def built_panel(oauth):
    """The Authorize panel on the demo client and its first registered (loopback) redirect URI, ``admin`` asked
    for and the request built (the listener started); closed on exit."""
    from telnyx_nb.widgets import AuthorizePanel

    panel = AuthorizePanel(oauth, autoload=False)
    try:
        panel.load()
        assert urlsplit(panel.redirect_uri.value).hostname == "127.0.0.1"
        panel.scopes.value = ("admin",)
        panel.build_button.click()
        assert panel.last_error is None, panel.error_message
        yield panel
    finally:
        panel.close()


def begin_address(start: str, page: str, origin: str) -> str:
    """What the listener's start page (opened at ``start``) does in the browser: its script replaces the location
    with ``begin?n=<the link's nonce>&origin=`` + ``location.origin``, relative to the page's own address."""
    match = re.search(r"location\.replace\('(begin\?n=[\w-]+&origin=)' \+ encodeURIComponent\(location\.origin\)",
                      page)
    assert match, f"no begin address on the start page: {page[:300]}"
    return urljoin(start, match.group(1) + quote(origin, safe=""))


def proxy_headers(port: int, host: str = HUB, prefix: str = PREFIX) -> dict[str, str]:
    """The headers jupyter-server-proxy adds for ``{prefix}proxy/{port}``, plus the browser's ``Host``."""
    context = f"{prefix.rstrip('/')}/proxy/{port}"
    return {"Host": host, "X-Forwarded-Context": context, "X-ProxyContextPath": context,
            "X-Forwarded-Prefix": context}


class HubBrowser:
    """``request(method, url)`` for a URL on the hub's origin under this user's proxy (the only way the browser
    reaches the container); ``follow(url)`` follows redirects as a browser does, through the same proxy."""

    def __init__(self, hub: str = HUB, prefix: str = PREFIX, *, jupyter: str | None = None) -> None:
        self.hub, self.prefix, self.jupyter = hub, prefix, jupyter
        self.origin = f"https://{hub}"
        self.visited: list[str] = []

    def proxied(self, port: int, path: str) -> str:
        return f"{self.origin}{self.prefix.rstrip('/')}/proxy/{port}{path}"

    def request(self, method: str, url: str, *, headers: dict | None = None, **kwargs) -> requests.Response:
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == self.origin, f"the browser cannot reach {url} from the hub"
        match = re.fullmatch(re.escape(self.prefix.rstrip("/")) + r"/proxy/(\d+)(/.*|)", parts.path)
        assert match, f"{url} is not under {self.prefix}proxy/<port>/: the browser would get the hub's 404"
        port, path = int(match.group(1)), match.group(2) or "/"
        if self.jupyter:  # the real proxy: the browser's request as it is, to the Jupyter server
            sent, target = {**(headers or {}), "Host": self.hub}, f"{self.jupyter}{parts.path}"
        else:
            sent, target = {**(headers or {}), **proxy_headers(port, self.hub, self.prefix)}, f"http://127.0.0.1:{port}{path}"
        if method.upper() == "POST":  # what a browser adds to a form post from a page of this origin
            sent.setdefault("Origin", self.origin)
            sent.setdefault("Sec-Fetch-Site", "same-origin")
        sent = {name: value for name, value in sent.items() if value is not None}  # None: a header left out
        self.visited.append(url)
        kwargs.setdefault("timeout", TIMEOUT)
        kwargs.pop("allow_redirects", None)  # a browser's redirects are followed by follow(), one at a time
        response = requests.request(method, target + (f"?{parts.query}" if parts.query else ""), headers=sent,
                                    allow_redirects=False, **kwargs)
        location = response.headers.get("Location")
        if not self.jupyter and location and location.startswith("/") and not location.startswith("//"):
            response.headers["Location"] = f"{self.prefix.rstrip('/')}/proxy/{port}{location}"
        response.url = url  # the address the browser shows (relative Locations resolve against it)
        return response

    def follow(self, url: str, limit: int = 10) -> requests.Response:
        """GET ``url`` and every redirect after it (resolved against the address it came from, RFC 9110 §10.2.2)
        while it stays on the hub; returns the last answer."""
        for _ in range(limit):
            response = self.request("GET", url, headers={"Accept": "text/html"})
            location = response.headers.get("Location")
            if response.status_code not in (301, 302, 303, 307, 308) or not location:
                return response
            url = urljoin(url, location)
            if not url.startswith(self.origin + "/"):
                return response
        raise AssertionError(f"more than {limit} redirects: {self.visited}")


def allow_and_wait(browser: HubBrowser, consent: requests.Response, callback: str, panel):
    """Click Allow on the proxied consent page, follow the redirect to the listener's ``callback`` (through the
    proxy), and wait for the panel to exchange the code; returns the panel's token."""
    landed = redirect_of(ConsentPage(consent.url, consent).decide(True, session=browser))
    assert landed.startswith(callback + "?"), landed
    tab = browser.follow(landed)
    assert tab.status_code == 200 and "Approved" in tab.text
    wait_for(lambda: panel.last_token is not None or panel.last_error is not None, what="the panel's token")
    assert panel.last_error is None, panel.error_message
    return panel.last_token


@contextlib.contextmanager
def running_jupyter_server(base_url: str, root_dir, home, env: dict | None = None):
    """A Jupyter server under a hub-style ``base_url`` as Binder runs it (jupyter-server-proxy and Voila are
    server extensions there; no token, and any ``Host`` is let in, as behind the hub); yields its local URL."""
    port = free_port()
    log = home / "server.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "server", "--no-browser", "--allow-root", "--ip=127.0.0.1",
             f"--port={port}", f"--ServerApp.base_url={base_url}", "--IdentityProvider.token=",
             "--ServerApp.password=", "--ServerApp.allow_remote_access=True", f"--ServerApp.root_dir={root_dir}"],
            stdout=out, stderr=subprocess.STDOUT, env={**(env or os.environ), "HOME": str(home)},
            start_new_session=True,
        )
    try:
        wait_listening(port, server, log, timeout=90, what="jupyter server")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_group(server)
