"""JSON in and out: the JSON answer, reading a JSON body (management calls), and the Bearer credential sent (whether
it may call is ``policy.access``'s to decide)."""

from __future__ import annotations

import json

from flask import Response, request

from telnyx_nb.sandbox.http.wire_errors import WireError


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or {}, mimetype="application/json")


def no_type_without_content(response: Response) -> Response:
    """``after_request``: an answer with no content (a 204, or the automatic answer to OPTIONS) says no media type.
    Flask gives every response ``text/html`` by default, which told clients an empty HTML page followed (and drew
    the HTML page headers)."""
    if response.status_code == 204 or (request.method == "OPTIONS" and not response.is_streamed
                                       and not response.get_data()):
        del response.headers["Content-Type"]
    return response


def load_json(raw: bytes, object_pairs_hook=None):
    """Parse a request body as JSON; ``ValueError`` (with a message fit for the client) for anything Python's
    parser would accept but the store or a response could not hold: nesting beyond the parser's depth, and lone
    UTF-16 surrogates (``"\\ud800"``), which are not Unicode scalar values (RFC 8259 §8.2) and cannot be stored."""
    try:
        body = json.loads(raw, object_pairs_hook=object_pairs_hook)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("a string holds a lone UTF-16 surrogate escape (U+D800 to U+DFFF)") from None
    return body


def json_body() -> dict:
    """The JSON object body of a management request, or an error naming what is wrong with it."""
    if not request.is_json:
        raise WireError(415, f"Content-Type must be application/json (got {request.mimetype or 'none'!r}).",
                        parameter="Content-Type")
    raw = request.get_data(cache=True)
    try:
        body = load_json(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise WireError(400, f"The body is not valid JSON: {exc}.", pointer="") from None
    if not isinstance(body, dict):
        raise WireError(422, "The body must be a JSON object.", pointer="")
    return body


def bearer_credential() -> str | None:
    """The credential of ``Authorization: Bearer <credential>``; None without one."""
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    return credential.strip() if scheme.lower() == "bearer" and credential.strip() else None

