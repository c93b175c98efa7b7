"""A browser on a JupyterHub (Binder) whose requests reach the container through a stand-in for
jupyter-server-proxy, as its ``LocalProxyHandler`` (4.x, ``handlers.py``) forwards them: the address
``https://{hub}{prefix}proxy/{port}/{path}`` becomes ``http://127.0.0.1:{port}/{path}`` with the browser's own
headers (``Host`` included) plus ``X-Forwarded-Context`` / ``X-ProxyContextPath`` / ``X-Forwarded-Prefix`` =
``{prefix}proxy/{port}``; a root-absolute ``Location`` in the answer is put back under that context, relative and
absolute ones pass unchanged. No JupyterHub runs: the requests are real HTTP to the real servers behind it."""

from __future__ import annotations

import re
import time
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests

TIMEOUT = 10
HUB = "hub.example.org"
PREFIX = "/user/ada/"


def wait_for(predicate, timeout: float = 20.0) -> None:
    """Until ``predicate()`` holds (a panel finishing on the listener's thread); fails after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "the panel never got there"
        time.sleep(0.05)


def proxy_headers(port: int, host: str = HUB, prefix: str = PREFIX) -> dict[str, str]:
    """The headers jupyter-server-proxy adds for ``{prefix}proxy/{port}``, plus the browser's ``Host``."""
    context = f"{prefix.rstrip('/')}/proxy/{port}"
    return {"Host": host, "X-Forwarded-Context": context, "X-ProxyContextPath": context,
            "X-Forwarded-Prefix": context}


class HubBrowser:
    """``request(method, url)`` for a URL on the hub's origin under this user's proxy (the only way the browser
    reaches the container); ``follow(url)`` follows redirects as a browser does, through the same proxy."""

    def __init__(self, hub: str = HUB, prefix: str = PREFIX) -> None:
        self.hub, self.prefix = hub, prefix
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
        sent = {**(headers or {}), **proxy_headers(port, self.hub, self.prefix)}
        if method.upper() == "POST":  # what a browser adds to a form post from a page of this origin
            sent.setdefault("Origin", self.origin)
            sent.setdefault("Sec-Fetch-Site", "same-origin")
        sent = {name: value for name, value in sent.items() if value is not None}  # None: a header left out
        self.visited.append(url)
        kwargs.setdefault("timeout", TIMEOUT)
        response = requests.request(method, urlunsplit(("http", f"127.0.0.1:{port}", path, parts.query, "")),
                                    headers=sent, allow_redirects=False, **{k: v for k, v in kwargs.items()
                                                                            if k != "allow_redirects"})
        location = response.headers.get("Location")
        if location and location.startswith("/") and not location.startswith("//"):
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
