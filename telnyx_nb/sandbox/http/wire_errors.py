"""Error answers for the sandbox's non-RFC endpoints, in both of Telnyx's shapes in one body (docs/contract.md).

``{"error": "<code>", "error_description": "…"}`` is the published ``oauth_Error`` of the oauth_clients,
oauth_grants and discovery endpoints; ``{"errors": [{"code", "title", "detail", "source": {"pointer": "/field"}}]}``
is Telnyx's general API error list. A body field is named by a JSON pointer (``source.pointer``); a query or path
parameter by ``source.parameter`` (JSON:API's convention). Raising ``WireError`` anywhere in a route produces that
answer with its status; nothing reaches the client as a traceback.
"""

from __future__ import annotations

from flask import Response, json

# Telnyx-like numeric codes, one per kind of failure.
CODES = {
    400: ("10015", "Bad Request"),
    401: ("10009", "Authentication failed"),
    403: ("10010", "Authorization failed"),
    404: ("10005", "Resource not found"),
    405: ("10012", "Method not allowed"),
    409: ("10013", "Conflict"),
    413: ("10014", "Request entity too large"),
    415: ("10016", "Unsupported media type"),
    422: ("10002", "Invalid parameter"),
    429: ("10011", "Too many requests"),
    500: ("10007", "Unexpected error"),
    501: ("10019", "Not implemented"),
    502: ("10017", "Bad gateway"),
    503: ("10018", "Service unavailable"),
}


# The oauth_Error ``error`` code for each status (RFC 6749 §5.2's words where one fits).
ERROR_CODES = {
    400: "invalid_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 413: "request_too_large", 415: "unsupported_media_type", 422: "invalid_request",
    429: "too_many_requests", 500: "server_error", 501: "not_implemented", 502: "bad_gateway",
    503: "temporarily_unavailable",
}


class WireError(Exception):
    """An error answer the sandbox sends: status, a detail that says what to fix, and the field it concerns (if
    any). Server side only — not to be confused with the client's ``telnyx_nb.core.errors.APIError``, which is what
    ``telnyx_nb.api`` raises when it *receives* such an answer."""

    def __init__(self, status: int, detail: str, *, pointer: str | None = None, parameter: str | None = None,
                 title: str | None = None, headers: dict | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.pointer = pointer
        self.parameter = parameter
        self.title = title
        self.headers = headers or {}

    def body(self) -> dict:
        code, default_title = CODES.get(self.status, (str(self.status), "Error"))
        item = {"code": code, "title": self.title or default_title, "detail": self.detail}
        if self.pointer is not None:
            item["source"] = {"pointer": self.pointer}
        elif self.parameter is not None:
            item["source"] = {"parameter": self.parameter}
        return {"error": ERROR_CODES.get(self.status, "error"), "error_description": rfc_text(self.detail),
                "errors": [item]}

    def response(self) -> Response:
        return Response(json.dumps(self.body()), status=self.status, headers=self.headers,
                        mimetype="application/json")


_RFC_TEXT_SWAPS = {'"': "'", "\\": "/"}


def rfc_text(text: str) -> str:
    """RFC 6749 §5.2: error_description holds only %x20-21 / %x23-5B / %x5D-7E; a quote, backslash or non-ASCII
    character (from an echoed parameter name or a JSON parser message) is swapped for one it may hold."""
    return "".join(c if 0x20 <= ord(c) <= 0x7E and c not in _RFC_TEXT_SWAPS else _RFC_TEXT_SWAPS.get(c, "?")
                   for c in text)


def rfc_error(status: int, error: str, description: str, headers: dict | None = None, **members) -> Response:
    """An RFC 6749 §5.2 / RFC 7591 §3.2.2 error answer (token, introspect, revoke, register); ``members`` are
    further members of the body (registration's ``invalid_fields``)."""
    body = {"error": error, "error_description": rfc_text(description), **members}
    # Never cached, like every answer of these endpoints (RFC 6749 §5.1; Authlib's own errors say the same).
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache", **(headers or {})}
    return Response(json.dumps(body), status=status, headers=headers, mimetype="application/json")
