"""DNS-rebinding defence and the same-origin check of the consent form.

DNS rebinding: a page on ``attacker.example`` re-points its name at 127.0.0.1 and then talks to the sandbox as
"same origin" — but its requests still say ``Host: attacker.example``. So a request is served only when its
``Host`` names this server: a loopback name (``localhost``, ``127.0.0.1``, ``[::1]``), the host it is bound to, or
a host of a public URL it was told about (``--public-url``, for proxies such as Binder's jupyter-server-proxy,
which forwards the browser's ``Host``). Anything else gets 421 Misdirected Request (RFC 9110 §15.5.20) and nothing
else: the check wraps the whole WSGI app. The port is not compared: a rebinding attack needs a foreign *name*.

The consent form's POST must come from a page of this server: when the browser sends ``Origin`` (or, without it,
``Referer``), its host must be the request's own ``Host`` or a public URL's (a cross-site form post is refused).
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from telnyx_nb.errors import ConfigurationError

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARD_HOSTS = ("", "0.0.0.0", "::")


def _hostname(netloc: str) -> str | None:
    try:
        return urlsplit(f"//{netloc}").hostname
    except ValueError:
        return None


def check_public_url(url: str) -> str:
    """A ``--public-url`` value: an absolute http(s) URL (otherwise a ``ConfigurationError`` naming the fix)."""
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"public_url: use the absolute http(s) URL the browser uses to reach the sandbox, "
                         f"e.g. https://hub.example.org/user/me/proxy/8765/; got {url!r}")
    return url


def allowed_hostnames(bound_host: str, public_urls=()) -> frozenset[str]:
    names = set(LOOPBACK_NAMES)
    if bound_host not in WILDCARD_HOSTS:
        names.add(bound_host.strip("[]").lower())
    names.update(urlsplit(u).hostname for u in public_urls)
    return frozenset(n.lower() for n in names if n)


class HostCheck:
    """WSGI middleware: 421 for a ``Host`` this server does not answer to."""

    def __init__(self, app, hostnames: frozenset[str]):
        self.app = app
        self.hostnames = hostnames

    def __call__(self, environ, start_response):
        host = environ.get("HTTP_HOST", "")
        name = _hostname(host)
        if name is not None and name.lower() in self.hostnames:
            return self.app(environ, start_response)
        detail = (f"This server does not answer to the Host {host[:100]!r} (DNS-rebinding defence). Use "
                  "http://127.0.0.1:PORT, or start the sandbox with --public-url for the address a proxy uses.")
        body = json.dumps({"errors": [{"code": "421", "title": "Misdirected request", "detail": detail,
                                       "source": {"parameter": "Host"}}],
                           "error": "invalid_request", "error_description": "Host not served here"}).encode()
        start_response("421 Misdirected Request", [("Content-Type", "application/json"),
                                                   ("Content-Length", str(len(body))),
                                                   ("X-Content-Type-Options", "nosniff")])
        return [body]


def cross_origin_problem(headers, public_urls=()) -> str | None:
    """Why a browser form POST is not from this server's own pages, or None (no Origin/Referer: not a browser
    that tells, so nothing to compare — RFC 6454 §7.3 lets privacy-minded browsers omit it).

    ``Origin: null`` is what a browser sends for a form POST from a page under ``Referrer-Policy: no-referrer``
    (Fetch §3.1, "append a request Origin header") — our own consent page — but also from a sandboxed frame an
    attacker controls. Fetch Metadata tells them apart: ``Sec-Fetch-Site`` is set by the browser alone (a page
    cannot forge it), so a null origin passes only with ``Sec-Fetch-Site: same-origin``."""
    own = {headers.get("Host", "").lower()} | {urlsplit(u).netloc.lower() for u in public_urls}
    fetch_site = headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return "Sec-Fetch-Site"
    origin = headers.get("Origin")
    if origin is not None:
        if origin == "null":
            return None if fetch_site == "same-origin" else "Origin"
        if urlsplit(origin).netloc.lower() not in own:
            return "Origin"
        return None
    referer = headers.get("Referer")
    if referer and urlsplit(referer).netloc.lower() not in own:
        return "Referer"
    return None
