"""DNS-rebinding defence and the same-origin check of the consent form.

DNS rebinding: a page on ``attacker.example`` re-points its name at 127.0.0.1 and then talks to the sandbox as
"same origin" — but its requests still say ``Host: attacker.example``. So a request is served only when its
``Host`` is exactly ``host[:port]`` (``host_header_name``) and names this server: a loopback name (``localhost``,
``127.0.0.1``, ``[::1]``), the host it is bound to, or a host of a public URL it was told about
(``--public-url``, for proxies such as Binder's jupyter-server-proxy, which forwards the browser's ``Host``).
Anything else gets 421 Misdirected Request (RFC 9110 §15.5.20) and nothing else: the check wraps the whole WSGI
app. The port is not compared: a rebinding attack needs a foreign *name*.

Behind a hub whose address the container cannot know (a stock Binder), ``--proxy-prefix PREFIX`` (the Jupyter
server's ``JUPYTERHUB_SERVICE_PREFIX``) lets a request carry any ``Host`` when its ``X-Forwarded-Context`` is exactly
``{PREFIX}proxy/{this server's port}``: what jupyter-server-proxy sends for the one path that reaches this port
(``{base_url}proxy/{port}``). That is sound only where the port is reachable from the browser's machine through the
hub's authenticated proxy alone — a loopback bind inside the container (a rebinding page can set the header too, so
the option is refused beyond loopback, and ``explore`` on a laptop never sets it; docs/security.md).

The consent form's POST must come from a page of this server: when the browser sends ``Origin`` (or, without it,
``Referer``), its host must be the request's own ``Host`` or a public URL's (a cross-site form post is refused).
"""

from __future__ import annotations

import ipaddress
import json
import re
from urllib.parse import urlsplit

from telnyx_nb.core.errors import ConfigurationError

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARD_HOSTS = ("", "0.0.0.0", "::")


# RFC 9110 §7.2: Host = uri-host [ ":" port ]; the host a DNS name or IPv4 address (letters, digits, "-", "_",
# "."), or an IPv6 literal in brackets (RFC 3986 §3.2.2); the port digits. Nothing else: no userinfo, path, query
# or fragment, which a URL parser would read past to find a loopback name at the end.
_HOST_HEADER = re.compile(r"(?:(?P<name>[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_.])?)|\[(?P<ipv6>[0-9A-Fa-f:.]+)\])"
                          r"(?::[0-9]{1,5})?")


def host_header_name(value: str) -> str | None:
    """The host of a ``Host`` header of the form ``host[:port]``, lower-cased (an IPv6 literal without its
    brackets); None for any other form."""
    match = _HOST_HEADER.fullmatch(value)
    if match is None:
        return None
    if match["ipv6"] is None:
        return match["name"].lower()
    try:
        ipaddress.IPv6Address(match["ipv6"])
    except ValueError:
        return None
    return match["ipv6"].lower()


def check_public_url(url: str) -> str:
    """A ``--public-url`` value: an absolute http(s) URL (otherwise a ``ConfigurationError`` naming the fix)."""
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"public_url: use the absolute http(s) URL the browser uses to reach the sandbox, "
                         f"e.g. https://hub.example.org/user/me/proxy/8765/; got {url!r}")
    return url


def _is_loopback(host: str) -> bool:
    name = host.strip("[]").lower()
    try:
        return name == "localhost" or ipaddress.ip_address(name).is_loopback
    except ValueError:  # a name: it may resolve anywhere
        return False


def check_proxy_prefix(prefix: str | None, bound_host: str) -> str | None:
    """A ``--proxy-prefix`` value: the Jupyter server's hub path (``/user/alice/``); None or '' for none. Refused
    beyond a loopback bind, where the port is reachable without the hub's proxy."""
    if prefix is None or prefix == "":
        return None
    if not isinstance(prefix, str) or not re.fullmatch(r"/[!-~]*", prefix) or any(c in prefix for c in "?#"):
        raise ConfigurationError(f"proxy_prefix: use the Jupyter server's path on the hub as JUPYTERHUB_SERVICE_PREFIX "
                         f"gives it, e.g. /user/alice/; got {prefix!r}")
    if not _is_loopback(bound_host):
        raise ConfigurationError(f"proxy_prefix: only for a sandbox bound to loopback (its port must be reachable only "
                         f"through the hub's proxy); drop --proxy-prefix or --host {bound_host}")
    return prefix


def proxy_context(prefix: str | None, root_url: str) -> str | None:
    """The ``X-Forwarded-Context`` jupyter-server-proxy sends to this server, ``{prefix}proxy/{port}`` (its
    ``url_path_join(base_url, "proxy", port)``); None without a prefix."""
    port = urlsplit(root_url).port
    if prefix is None or port is None:  # no port: an in-process sandbox, which no proxy reaches
        return None
    return f"{prefix.rstrip('/')}/proxy/{port}"


def allowed_hostnames(bound_host: str, public_urls=()) -> frozenset[str]:
    names = set(LOOPBACK_NAMES)
    if bound_host not in WILDCARD_HOSTS:
        names.add(bound_host.strip("[]").lower())
    names.update(urlsplit(u).hostname for u in public_urls)
    return frozenset(n.lower() for n in names if n)


class HostCheck:
    """WSGI middleware: 421 for a ``Host`` this server does not answer to (any ``Host`` passes when the request
    comes through the hub's proxy for this very port: ``proxy_context``, see the module docstring)."""

    def __init__(self, app, hostnames: frozenset[str], proxy_context: str | None = None):
        self.app = app
        self.hostnames = hostnames
        self.proxy_context = proxy_context

    def __call__(self, environ, start_response):
        host = environ.get("HTTP_HOST", "")
        name = host_header_name(host)
        proxied = self.proxy_context is not None and environ.get("HTTP_X_FORWARDED_CONTEXT") == self.proxy_context
        if name is not None and (name.lower() in self.hostnames or proxied):
            return self.app(environ, start_response)
        detail = (f"This server does not answer to the Host {host[:100]!r} (DNS-rebinding defence). Use "
                  "http://127.0.0.1:PORT, or start the sandbox with --public-url for the address a proxy uses "
                  "(--proxy-prefix behind a JupyterHub's jupyter-server-proxy).")
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
