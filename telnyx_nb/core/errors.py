"""Every error telnyx-nb raises, in one tree, so callers can catch at the level they care about.

```
TelnyxNBError                      base of everything below
 ├── ConfigurationError            missing credentials, bad argument value (also a ValueError)
 │    └── ArgumentTypeError        an argument of the wrong type (also a TypeError)
 ├── APIError                      the server answered with an HTTP error
 │    ├── AuthenticationError      401
 │    ├── PermissionDeniedError    403
 │    ├── NotFoundError            404
 │    ├── ConflictError            409
 │    ├── ValidationError          400 / 413 / 422 (incl. RFC 6749 §5.2 invalid_grant…)   .pointers
 │    ├── RateLimitError           429                                      .retry_after
 │    └── ServerError              5xx
 ├── TransportError                no usable HTTP answer
 │    ├── APIConnectionError       could not connect / connection dropped
 │    └── APITimeoutError          no answer within the timeout
 ├── AuthorizationFlowError        the authorization-code redirect was not a success
 │    ├── AuthorizationDenied      redirect carried error=… (RFC 6749 §4.1.2.1)   .error .error_description
 │    ├── StateMismatch            redirect's state differs from ours (RFC 6749 §10.12, CSRF)
 │    └── IssuerMismatch           redirect's iss is not our server's, or missing (RFC 9207, mix-up)
 └── JWTVerificationError          a JWT failed verification                       .reason
```

Every error carries the same attributes (``None`` when they do not apply): ``status``, ``code``, ``title``,
``detail`` (the first Telnyx error object), ``errors`` (all of them), ``error`` and ``error_description``
(RFC 6749 / 7591 error answers), ``request_id``, ``pointers`` (JSON pointers or field names a validation error
names), ``method`` and ``url``. Messages pass through :func:`telnyx_nb.core.masking.mask_text`, so no secret appears in
``str(exc)`` or a traceback. Responses are mapped to these classes in exactly one place:
``telnyx_nb.api.error_mapping.error_from_response``.
"""

from __future__ import annotations

from typing import Any

from telnyx_nb.core.masking import mask_text

__all__ = [
    "TelnyxNBError",
    "ConfigurationError",
    "ArgumentTypeError",
    "APIError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "ValidationError",
    "RateLimitError",
    "ServerError",
    "TransportError",
    "APIConnectionError",
    "APITimeoutError",
    "AuthorizationFlowError",
    "AuthorizationDenied",
    "StateMismatch",
    "IssuerMismatch",
    "JWTVerificationError",
    "class_for_status",
]


class TelnyxNBError(Exception):
    """Base class: ``except TelnyxNBError`` catches everything telnyx-nb raises on purpose."""

    status: int | None = None

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        title: str | None = None,
        detail: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        error: str | None = None,
        error_description: str | None = None,
        request_id: str | None = None,
        pointers: list[str] | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        self.message = mask_text(message)
        super().__init__(self.message)
        if status is not None:
            self.status = status
        self.code = code
        self.title = title
        self.detail = mask_text(detail) if detail is not None else None
        self.errors = _masked(errors or [])  # a server may echo a submitted token in an error's detail
        self.error = error
        self.error_description = mask_text(error_description) if error_description is not None else None
        self.request_id = request_id
        self.pointers = list(pointers or [])
        self.method = method
        self.url = mask_text(url) if url is not None else None

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status!r})"


def _masked(value: Any) -> Any:
    """``value`` with every string inside (dicts and lists walked) passed through ``mask_text``."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(v) for v in value]
    return value


class ConfigurationError(TelnyxNBError, ValueError):
    """A setting or argument is missing or invalid; the message names it and says how to fix it."""


class ArgumentTypeError(ConfigurationError, TypeError):
    """An argument has the wrong type (a list where a DataFrame belongs…); still a ``TypeError`` for callers that
    caught one before the tree existed."""


class APIError(TelnyxNBError):
    """The server answered with an HTTP error status (4xx/5xx)."""


class AuthenticationError(APIError):
    """401: missing/invalid API key, client credentials or access token."""

    status = 401


class PermissionDeniedError(APIError):
    """403: authenticated, but not allowed to do this."""

    status = 403


class NotFoundError(APIError):
    """404: no such client, grant, consent token or path."""

    status = 404


class ConflictError(APIError):
    """409: the request conflicts with the current state."""

    status = 409


class ValidationError(APIError):
    """400/413/422: the request was refused as invalid.

    ``.pointers`` lists the fields named (``/name``, ``redirect_uris``); on the RFC endpoints ``.error`` holds the
    RFC 6749 §5.2 / RFC 7591 §3.2.2 code (``invalid_grant``, ``invalid_redirect_uri`` …).
    """

    status = 422


class RateLimitError(APIError):
    """429: too many requests; ``.retry_after`` is the server's requested wait in seconds (or None)."""

    status = 429

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(APIError):
    """5xx: the server failed (retried automatically for safe requests before this is raised)."""

    status = 500


class TransportError(TelnyxNBError):
    """No usable HTTP answer arrived."""


class APIConnectionError(TransportError):
    """The connection could not be made or was dropped."""


class APITimeoutError(TransportError):
    """The server did not answer within the timeout."""


class AuthorizationFlowError(TelnyxNBError):
    """The authorization-code redirect did not carry a usable code."""


class AuthorizationDenied(AuthorizationFlowError):
    """The redirect carried ``error=`` (RFC 6749 §4.1.2.1), e.g. ``access_denied`` when the user said no."""


class StateMismatch(AuthorizationFlowError):
    """The redirect's ``state`` is not the one we sent (RFC 6749 §10.12): possibly a forged redirect."""


class IssuerMismatch(AuthorizationFlowError):
    """The redirect's ``iss`` is not the issuer we talk to, or is missing though the server promised it
    (RFC 9207 §2.4): the response may come from another authorization server (a mix-up attack)."""


class JWTVerificationError(TelnyxNBError):
    """A JWT did not verify; ``.reason`` is one of :data:`REASONS`."""

    REASONS = (
        "expired",
        "not_yet_valid",
        "wrong_issuer",
        "wrong_audience",
        "wrong_type",
        "unknown_kid",
        "bad_signature",
        "malformed",
    )

    def __init__(self, reason: str, message: str, **kwargs: Any) -> None:
        if reason not in self.REASONS:
            raise ConfigurationError(f"unknown JWT failure reason {reason!r}: use one of {self.REASONS}")
        super().__init__(message, **kwargs)
        self.reason = reason


_BY_STATUS: dict[int, type[APIError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: ValidationError,
    422: ValidationError,
    429: RateLimitError,
}


def class_for_status(status: int) -> type[APIError]:
    """The exception class for an HTTP error status."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    return APIError
