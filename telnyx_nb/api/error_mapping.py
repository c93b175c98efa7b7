"""An HTTP error answer → the :mod:`telnyx_nb.core.errors` exception for it. The only place this happens.

The status alone picks the class (:func:`telnyx_nb.core.errors.class_for_status`: 404 → ``NotFoundError`` whichever body
shape); the body fills in what the server said, in either published shape (:func:`telnyx_nb.core.wire.read_error_body`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from telnyx_nb.api.retry import parse_rate_limit_reset, parse_retry_after
from telnyx_nb.core.errors import APIError, RateLimitError, class_for_status
from telnyx_nb.core.masking import mask_text
from telnyx_nb.core.wire import read_error_body

__all__ = ["error_from_response", "explain", "request_id", "readable_text", "REQUEST_ID_HEADERS"]

REQUEST_ID_HEADERS = ("x-request-id", "x-telnyx-request-id", "request-id", "x-amzn-requestid")


def request_id(headers: Mapping[str, str]) -> str | None:
    """The server's id for this exchange, from the first request-id header it sent (support asks for it)."""
    for name in REQUEST_ID_HEADERS:
        if headers.get(name):
            return headers[name]
    return None


def error_from_response(response: requests.Response) -> APIError:
    """Map an HTTP error answer to the exception tree — the only place this happens.

    The body may be the published ``oauth_Error`` (``{"error", "error_description"}``, also RFC 6749 §5.2, RFC 7591
    §3.2.2), Telnyx's ``{"errors": [{code, title, detail, source: {pointer|parameter}}]}``, or both in one body
    (:func:`telnyx_nb.core.wire.read_error_body` reads either); the message names the fields the server pointed at.
    """
    status = response.status_code
    try:
        body = response.json()
    except (ValueError, RecursionError):  # a body nested too deep is no error body either
        body = None
    said = read_error_body(body)
    method = response.request.method if response.request is not None else None
    url = response.url
    summary = said.summary() or readable_text(response.text or "") or response.reason or "error"
    path = urlsplit(url).path if url else ""
    message = f"HTTP {status} on {method} {path}: {summary}"
    server_id = request_id(response.headers)
    if server_id:
        message += f" (request id {server_id})"
    cls = class_for_status(status)
    kwargs: dict[str, Any] = dict(
        status=status,
        code=said.code,
        title=said.title,
        detail=said.detail,
        errors=said.errors,
        error=said.error,
        error_description=said.error_description,
        request_id=server_id,
        pointers=said.pointers,
        method=method,
        url=url,
    )
    if cls is RateLimitError:
        wait = parse_retry_after(response.headers)
        if wait is None:  # Telnyx sends no Retry-After, but says when the window resets
            wait = parse_rate_limit_reset(response.headers)
        return RateLimitError(message, retry_after=wait, **kwargs)
    return cls(message, **kwargs)


def explain(exc: APIError, meanings: Mapping[int, str]) -> APIError:
    """``exc`` with what its status means on this endpoint (Telnyx's published meaning) and the fix appended to its
    message, when ``meanings`` has its status; the class (picked by status above) is unchanged. Returns ``exc``."""
    meaning = meanings.get(exc.status) if exc.status is not None else None
    if meaning:
        exc.message = mask_text(f"{exc.message} — {meaning}")
        exc.args = (exc.message,)
    return exc


_SCRIPTS = re.compile(r"<(script|style|head)\b.*?</\1>", re.S | re.I)
_TAGS = re.compile(r"<[^>]+>")


def readable_text(body: str, limit: int = 240) -> str:
    """The words of a plain-text or HTML error body (an error page, a gateway's 502), shortened."""
    text = html.unescape(_TAGS.sub(" ", _SCRIPTS.sub(" ", body)))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
