"""Headers for the HTML the sandbox serves (the consent page and the error pages), and nosniff for everything.

The consent page is where a user decides; an attacker would frame it (clickjacking), inject script into it, or
learn the consent token from a Referer. So every HTML answer carries (RFC 9700 §4.16, OWASP's header list):

- ``Content-Security-Policy``: nothing loads but images (client logos, http(s) only) and the page's own
  ``<style>`` blocks, allowed by their SHA-256 hash; no script at all; ``frame-ancestors 'none'``; ``base-uri
  'none'``; the form may post only to this server and (after the 303) the client's redirect URI's origin;
- ``X-Frame-Options: DENY`` (older browsers), ``Referrer-Policy: no-referrer``, ``Cache-Control: no-store``;
- ``X-Content-Type-Options: nosniff`` on every answer, HTML or JSON.
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

from flask import g

_STYLE_BLOCK = re.compile(rb"<style>(.*?)</style>", re.DOTALL)


def form_action_source(redirect_uri: str | None) -> str | None:
    """The CSP source for where the consent form's 303 goes: the redirect URI's origin, or its private scheme."""
    if not redirect_uri:
        return None
    parts = urlsplit(redirect_uri)
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    if parts.scheme and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", parts.scheme):
        return f"{parts.scheme}:"
    return None


def _style_hashes(body: bytes) -> list[str]:
    return [f"'sha256-{base64.b64encode(hashlib.sha256(block).digest()).decode()}'"
            for block in _STYLE_BLOCK.findall(body)]


def content_security_policy(body: bytes, form_targets: tuple[str, ...] = ()) -> str:
    styles = " ".join(_style_hashes(body)) or "'none'"
    form_action = " ".join(("'self'", *form_targets))
    return (f"default-src 'none'; style-src {styles}; img-src http: https:; form-action {form_action}; "
            "frame-ancestors 'none'; base-uri 'none'")


def apply(response):
    """``after_request`` hook: the headers above; HTML answers get the full set."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html" and not response.direct_passthrough:
        targets = tuple(t for t in g.get("form_action_sources", ()) if t)
        response.headers["Content-Security-Policy"] = content_security_policy(response.get_data(), targets)
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    return response
