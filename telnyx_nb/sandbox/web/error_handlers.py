"""Every failure as an answer in the sandbox's error shapes, never a traceback: Telnyx error objects
(``http.wire_errors.WireError``) on the management API and the front channel, RFC 6749 §5.2 / RFC 7591 §3.2.2
errors on the RFC endpoints (token, introspect, revoke, register). An unexpected exception is a 500 error object,
logged without request data (its message or locals may hold secrets)."""

from __future__ import annotations

import logging
import os
import traceback

from flask import Flask, request
from werkzeug.exceptions import HTTPException

from telnyx_nb.sandbox.http.wire_errors import WireError, rfc_error
from telnyx_nb.sandbox.policy.terms import MAX_BODY_BYTES
from telnyx_nb.sandbox.protocol.rfc_requests import ClientAuthError, ParamError

log = logging.getLogger("telnyx_nb.sandbox")

TOO_BIG = f"The request body exceeds {MAX_BODY_BYTES // 1024} KiB."
RFC_PATHS = ("/v2/oauth/token", "/v2/oauth/introspect", "/v2/oauth/revoke", "/v2/oauth/register")
# RFC 9110 §9, PATCH (RFC 5789) and QUERY (the HTTP working group's safe method with a body): a route that lacks
# one of these answers 405 with its Allow list; any other method is one this server does not know at all, 501
# (RFC 9110 §15.6.2)
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "QUERY"})


def on_wire_error(error: WireError):
    return error.response()


def on_http_error(error: HTTPException):
    status = error.code or 500
    if request.path in RFC_PATHS and status in (400, 413):
        detail = TOO_BIG if status == 413 else "The request could not be read."
        return rfc_error(status, "invalid_request", detail)
    if status in (404, 405) and request.method not in KNOWN_METHODS:
        return WireError(501, f"{request.method} is not an HTTP method this server implements; the routes and their "
                              "methods are listed at /v2/openapi.json.").response()
    if status == 404:
        return WireError(404, f"No route for {request.path}; the routes are listed at /v2/openapi.json.").response()
    if status == 405:
        allowed = ", ".join(sorted(m for m in (error.valid_methods or []) if m not in ("HEAD", "OPTIONS")))
        return WireError(405, f"{request.method} is not allowed on {request.path}; use {allowed}.",
                         headers={"Allow": ", ".join(error.valid_methods or [])}).response()
    if status == 413:
        return WireError(413, TOO_BIG).response()
    return WireError(status, error.description or error.name).response()


def on_unexpected(error: Exception):
    # Where, not what: the message or locals of an exception may hold request data (secrets).
    frames = traceback.extract_tb(error.__traceback__)
    where = f"{os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else "?"
    log.error("sandbox: unexpected %s at %s on %s %s", type(error).__name__, where, request.method, request.path)
    return WireError(500, "The sandbox hit an unexpected error; this is a bug in the sandbox.").response()


def on_param_error(error: ParamError):
    return rfc_error(400, "invalid_request", str(error))


def on_client_auth_error(error: ClientAuthError):
    return rfc_error(error.status, error.error, error.description, error.headers())


def install(app: Flask) -> None:
    """Register the handlers on ``app`` (Flask picks the most specific exception class first)."""
    app.register_error_handler(WireError, on_wire_error)
    app.register_error_handler(HTTPException, on_http_error)
    app.register_error_handler(Exception, on_unexpected)
    app.register_error_handler(ParamError, on_param_error)
    app.register_error_handler(ClientAuthError, on_client_auth_error)
