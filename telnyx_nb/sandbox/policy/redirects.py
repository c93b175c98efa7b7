"""Redirect URI rules shared by open registration (RFC 7591) and the management API, and the matching rule.

- Schemes a browser would run or read locally (``javascript:``, ``data:``, ``vbscript:``, ``file:``, ``blob:``,
  ``about:``) are never a redirect URI: a redirect there executes script in, or reads from, the user's browser
  (RFC 9700 §4.1).
- No userinfo (``https://telnyx.com@evil.example/cb``): the consent page shows the URI verbatim, and a reader takes
  the part before ``@`` for the host (RFC 3986 §3.2.1 deprecates it; RFC 9700 §4.1).
- No wildcard ``*`` in the host or path: redirect URIs match exactly (RFC 9700 §4.1.3), a pattern is not one.
- A redirect URI is at most ``MAX_URI_LENGTH`` characters, as every URI of the management API; a client holds at
  most ``policy.MAX_REDIRECT_URIS`` of them.
- Open registration (``anonymous``) also refuses plain ``http`` beyond loopback (RFC 6749 §3.1.2.1 wants TLS;
  RFC 8252 §7.3 allows a loopback IP literal, §8.3 ``localhost``). The management API keeps accepting it: Telnyx
  publishes no rule, and the audit flags such clients.
- Matching is exact (RFC 6749 §3.1.2.3, RFC 9700 §4.1.3), except for loopback IP literals: a native app listens
  on whatever port it got, so ``http://127.0.0.1`` and ``http://[::1]`` match with any port (RFC 8252 §7.3).
  ``localhost`` names are not loopback literals (RFC 8252 §8.3: they may resolve elsewhere) and match exactly.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

FORBIDDEN_SCHEMES = ("javascript", "data", "vbscript", "file", "blob", "about")
MAX_URI_LENGTH = 2000
LOOPBACK_LITERALS = ("127.0.0.1", "::1")


def _is_loopback_host(host: str | None) -> bool:
    """localhost, ::1 or an IPv4 literal in 127.0.0.0/8 (as ``schema.PLAIN_HTTP_BEYOND_LOOPBACK_PATTERN`` spells it)."""
    if host in ("localhost", "::1"):
        return True
    try:
        return host is not None and ipaddress.IPv4Address(host).is_loopback
    except ValueError:
        return False


def redirect_uri_problem(uri: str, *, anonymous: bool = False) -> str | None:
    """What is wrong with ``uri`` as a redirect URI under the rules above (None when it may be registered);
    ``anonymous``: for open registration, which also refuses plain http beyond loopback."""
    if len(uri) > MAX_URI_LENGTH:
        return f"must be at most {MAX_URI_LENGTH} characters."
    scheme = uri.split(":", 1)[0].strip().lower() if ":" in uri else ""
    if scheme in FORBIDDEN_SCHEMES:
        return (f"the {scheme}: scheme is not allowed for a redirect URI (it would run in or read from the "
                "user's browser); use https://, a loopback http:// URI or a private-use scheme.")
    try:
        parts = urlsplit(uri)
    except ValueError:
        return None  # not a URI at all: the URI check names it
    if "@" in parts.netloc:
        return ("must not carry userinfo (user@ before the host): the consent page would show it as if it were the "
                "host; register the URI with its host alone.")
    if "*" in parts.netloc + parts.path:
        return ("must not hold a wildcard '*': redirect URIs match exactly (RFC 9700 section 4.1.3); register "
                "each URI in full.")
    if anonymous and scheme == "http" and not _is_loopback_host(parts.hostname):
        return ("must use https:// (RFC 6749 section 3.1.2.1); plain http:// is allowed only on loopback, e.g. "
                "http://127.0.0.1:PORT/callback (RFC 8252 section 7.3).")
    return None


def _loopback_parts(uri: str):
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return None
    if parts.scheme.lower() != "http" or parts.hostname not in LOOPBACK_LITERALS or parts.username is not None:
        return None
    return parts.hostname, parts.path or "/", parts.query, parts.fragment


def redirect_uri_matches(registered: list[str], presented: str) -> bool:
    """Exact match, or the same loopback literal, path and query on any port (RFC 8252 §7.3)."""
    if presented in registered:
        return True
    wanted = _loopback_parts(presented)
    return wanted is not None and any(_loopback_parts(uri) == wanted for uri in registered)
