"""Redirect URI rules shared by open registration (RFC 7591) and the management API, and the matching rule.

- Schemes a browser would run or read locally (``javascript:``, ``data:``, ``vbscript:``, ``file:``) are never a
  redirect URI: a redirect there executes script in, or reads from, the user's browser (RFC 9700 §4.1).
- A redirect URI is at most ``MAX_URI_LENGTH`` characters, as every URI of the management API.
- Matching is exact (RFC 6749 §3.1.2.3, RFC 9700 §4.1.3), except for loopback IP literals: a native app listens
  on whatever port it got, so ``http://127.0.0.1`` and ``http://[::1]`` match with any port (RFC 8252 §7.3).
  ``localhost`` names are not loopback literals (RFC 8252 §8.3: they may resolve elsewhere) and match exactly.
"""

from __future__ import annotations

from urllib.parse import urlsplit

FORBIDDEN_SCHEMES = ("javascript", "data", "vbscript", "file")
MAX_URI_LENGTH = 2000
LOOPBACK_LITERALS = ("127.0.0.1", "::1")


def redirect_uri_problem(uri: str) -> str | None:
    """What is wrong with ``uri`` as a redirect URI under the rules above (None when it may be registered)."""
    if len(uri) > MAX_URI_LENGTH:
        return f"must be at most {MAX_URI_LENGTH} characters."
    scheme = uri.split(":", 1)[0].strip().lower() if ":" in uri else ""
    if scheme in FORBIDDEN_SCHEMES:
        return (f"the {scheme}: scheme is not allowed for a redirect URI (it would run in or read from the "
                "user's browser); use https://, a loopback http:// URI or a private-use scheme.")
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
