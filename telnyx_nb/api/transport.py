"""HTTP mechanics shared by every endpoint: the pooled session, timeouts, retries, error mapping, the request log.

Retry policy (at least the official SDK's, and safer):

* What is retried: connection failures, timeouts, 408, 409, 429 and every 5xx; a server's ``x-should-retry:
  true|false`` header overrides the status rule, as in the SDK.
* Never replay a request whose effect could double. A request is *idempotent* when its method is (RFC 9110
  §9.2.2: GET, HEAD, OPTIONS, PUT, DELETE) or its caller says so (token issuance by client_credentials,
  introspection, revocation). Anything else — redeeming a code or refresh token, creating or registering a client,
  deciding a consent — is retried only when the server provably did nothing: the connection was never made, or
  the answer was 429 (RFC 6585 §4: refused) or 503 with ``Retry-After`` (RFC 9110 §15.6.4: refused, come back).
* When: ``retry-after-ms``, else ``Retry-After`` in seconds or as an HTTP date (RFC 9110 §10.2.3) — a wait over
  60 s is not taken (the error carries it) rather than knocking early; without one, exponential backoff from 0.5 s
  doubling to at most 8 s, with up to 25 % jitter. Bounded by
  ``max_retries`` and by ``max_retry_time`` seconds in total (a wait that would pass the budget is not taken).
* A 401 on a call authenticated with an auto-fetched client-credentials token gets one more try with a fresh
  token (outside the retry count).
* A timeout is always set.
* Credentials (the API key, a token, client credentials) go only to the base URL's origin (scheme, host, port):
  a request to any other origin — a pasted authorize URL, a discovery document elsewhere — is sent without them.
* A DELETE whose answer was lost (timeout or dropped connection after the request went out) and whose retry
  gets 404 did its work the first time: that 404 is the success of the call (logged), not ``NotFoundError``.

``error_from_response`` is the one place an HTTP answer becomes a :mod:`telnyx_nb.errors` exception.
"""

from __future__ import annotations

import email.utils
import html
import logging
import random
import re
import shlex
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter

from telnyx_nb import __version__
from telnyx_nb.api.wire import read_error_body
from telnyx_nb.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    ConfigurationError,
    RateLimitError,
    TelnyxNBError,
    class_for_status,
)
from telnyx_nb.masking import mask_mapping, mask_text, mask_third_party_logs

log = logging.getLogger("telnyx_nb.api")
mask_third_party_logs()  # urllib3 logs request paths at DEBUG; the consent path carries the consent token

__all__ = ["Transport", "RequestRecord", "error_from_response", "parse_retry_after", "DEFAULT_TIMEOUT"]

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 2
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 60.0
RETRY_STATUSES = frozenset({408, 409, 429})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
REQUEST_ID_HEADERS = ("x-request-id", "x-telnyx-request-id", "request-id", "x-amzn-requestid")
USER_AGENT = f"telnyx-nb/{__version__} python-requests/{requests.__version__}"

# `auth=DEFAULT` means "the client's management credentials" (API key or auto token).
DEFAULT: Any = object()


@dataclass(frozen=True)
class RequestRecord:
    """One finished HTTP exchange (one attempt), as request-log listeners see it. Secrets are masked."""

    method: str
    url: str
    status: int | None
    elapsed: float
    error: str | None = None
    attempt: int = 1
    request_id: str | None = None
    request_headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None

    def as_curl(self) -> str:
        """A ``curl`` command line reproducing the request, with every secret masked."""
        parts = ["curl", "-X", self.method]
        for name, value in self.request_headers.items():
            if name.lower() in ("user-agent", "accept-encoding", "connection", "content-length"):
                continue
            parts += ["-H", f"{name}: {value}"]
        if self.body:
            parts += ["--data", self.body]
        parts.append(self.url)
        return " ".join(shlex.quote(p) for p in parts)

    def __str__(self) -> str:
        outcome = self.status if self.status is not None else self.error
        return f"{self.method} {self.url} → {outcome} in {self.elapsed * 1000:.0f} ms (attempt {self.attempt})"


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (delay-seconds or HTTP-date, RFC 9110 §10.2.3)."""
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _request_id(headers: Mapping[str, str]) -> str | None:
    for name in REQUEST_ID_HEADERS:
        if headers.get(name):
            return headers[name]
    return None


def error_from_response(response: requests.Response) -> APIError:
    """Map an HTTP error answer to the exception tree — the only place this happens.

    The body may be the published ``oauth_Error`` (``{"error", "error_description"}``, also RFC 6749 §5.2, RFC 7591
    §3.2.2), Telnyx's ``{"errors": [{code, title, detail, source: {pointer|parameter}}]}``, or both in one body
    (:func:`telnyx_nb.api.wire.read_error_body` reads either); the message names the fields the server pointed at.
    """
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    said = read_error_body(body)
    method = response.request.method if response.request is not None else None
    url = response.url
    summary = said.summary() or _readable_text(response.text or "") or response.reason or "error"
    path = urlsplit(url).path if url else ""
    message = f"HTTP {status} on {method} {path}: {summary}"
    request_id = _request_id(response.headers)
    if request_id:
        message += f" (request id {request_id})"
    cls = class_for_status(status)
    kwargs: dict[str, Any] = dict(
        status=status,
        code=said.code,
        title=said.title,
        detail=said.detail,
        errors=said.errors,
        error=said.error,
        error_description=said.error_description,
        request_id=request_id,
        pointers=said.pointers,
        method=method,
        url=url,
    )
    if cls is RateLimitError:
        return RateLimitError(message, retry_after=parse_retry_after(response.headers), **kwargs)
    return cls(message, **kwargs)


_SCRIPTS = re.compile(r"<(script|style|head)\b.*?</\1>", re.S | re.I)
_TAGS = re.compile(r"<[^>]+>")


def _readable_text(body: str, limit: int = 240) -> str:
    """The words of a plain-text or HTML error body (an error page, a gateway's 502), shortened."""
    text = html.unescape(_TAGS.sub(" ", _SCRIPTS.sub(" ", body)))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the request provably never reached the server (no TCP connection was established)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # MaxRetryError wraps the real cause
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def _connection_reason(exc: requests.exceptions.ConnectionError, url: str) -> str:
    """One readable reason for a failed connection, with the likely fix, instead of urllib3's nested repr."""
    parts = urlsplit(url)
    where = parts.netloc or url
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in chain and len(chain) < 10:
        chain.append(seen)
        nested = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        reason = getattr(seen, "reason", None)
        reason = reason if isinstance(reason, BaseException) else None
        seen = reason or nested or seen.__cause__ or seen.__context__
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in str(exc).lower():
        return f"connection refused by {where}: nothing is listening there (check the base URL, or start the server)"
    if isinstance(exc, requests.exceptions.SSLError):
        hint = ""
        if "WRONG_VERSION_NUMBER" in str(exc) or "record layer failure" in str(exc):
            hint = f": the server at {where} answered without TLS; use http:// instead of https://"
        return f"TLS handshake with {where} failed{hint}"
    if "Name or service not known" in str(exc) or "NameResolutionError" in str(exc) or "getaddrinfo" in str(exc):
        return f"cannot resolve the host {parts.hostname!r} (check the base URL)"
    if any(isinstance(e, (ConnectionResetError, BrokenPipeError)) for e in chain) or "aborted" in str(exc).lower():
        return f"the connection to {where} was closed before an answer arrived"
    last = chain[-1]
    return f"cannot connect to {where} ({type(last).__name__}: {last})"


class Transport:
    """A pooled ``requests.Session`` bound to one base URL, with the retry policy above."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float | tuple[float, float] | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_time: float = 60.0,
        session: requests.Session | None = None,
        default_auth: requests.auth.AuthBase | None = None,
        pool_size: int = 16,
    ) -> None:
        if (not isinstance(base_url, str) or urlsplit(base_url).scheme.lower() not in ("http", "https")
                or not urlsplit(base_url).netloc):
            raise ConfigurationError(
                f"base_url must be an absolute URL like 'https://api.telnyx.com/v2', got {base_url!r}"
            )
        parts = timeout if isinstance(timeout, tuple) else (timeout,)
        if not parts or len(parts) > 2 or not all(
            isinstance(p, (int, float)) and not isinstance(p, bool) and p > 0 for p in parts
        ):
            raise ConfigurationError(
                f"timeout must be a positive number of seconds (or a (connect, read) pair of them), got {timeout!r}"
            )
        if not isinstance(max_retries, int) or isinstance(max_retries, bool) or max_retries < 0:
            raise ConfigurationError(f"max_retries must be a whole number >= 0, got {max_retries!r}")
        if (not isinstance(max_retry_time, (int, float)) or isinstance(max_retry_time, bool)
                or max_retry_time < 0):
            raise ConfigurationError(f"max_retry_time must be a number of seconds >= 0, got {max_retry_time!r}")
        if session is not None and not isinstance(session, requests.Session):
            raise ConfigurationError(f"session must be a requests.Session, got {type(session).__name__}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_time = max_retry_time
        self.default_auth = default_auth
        self._listeners: list[Callable[[RequestRecord], None]] = []
        self._listeners_lock = threading.Lock()
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers["User-Agent"] = USER_AGENT
        session.headers.setdefault("Accept", "application/json")
        self.session = session

    # -- request log -------------------------------------------------------------------------------------------
    def add_listener(self, callback: Callable[[RequestRecord], None]) -> None:
        with self._listeners_lock:
            self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[RequestRecord], None]) -> None:
        with self._listeners_lock:
            if callback in self._listeners:
                self._listeners.remove(callback)

    def _emit(self, record: RequestRecord) -> None:
        log.debug("%s", record)
        for callback in list(self._listeners):
            try:
                callback(record)
            except Exception:  # a broken listener must not break the call
                log.exception("request-log listener %r failed", callback)

    # -- URLs --------------------------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        """Absolute URL for a path under the base URL (absolute URLs pass through)."""
        if "://" in path:
            return path
        return self.base_url + "/" + path.lstrip("/")

    @property
    def root_url(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    def root(self, path: str) -> str:
        return urljoin(self.root_url + "/", path.lstrip("/"))

    def same_origin(self, url: str) -> bool:
        """True when ``url`` is on the base URL's origin (RFC 6454: scheme, host and port)."""
        return _origin(url) == _origin(self.base_url)

    # -- the request loop --------------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: Any = DEFAULT,
        idempotent: bool | None = None,
        allow_redirects: bool = False,
        ok_statuses: tuple[int, ...] = (),
    ) -> requests.Response:
        """Send a request with retries; return the response or raise a :mod:`telnyx_nb.errors` exception.

        Any 2xx/3xx (and ``ok_statuses``) is returned; other statuses raise through ``error_from_response``.
        """
        method = method.upper()
        url = self.url(path)
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        if auth is DEFAULT:
            auth = self.default_auth
        if not self.same_origin(url):
            if auth is not None or any(k.lower() == "authorization" for k in (headers or {})):
                log.warning("%s %s: not the base URL's origin, sent without credentials", method,
                            mask_text(_origin(url)))
            auth = None
            headers = {k: v for k, v in (headers or {}).items() if k.lower() != "authorization"}
        started = time.monotonic()
        answer_lost = False  # an earlier attempt reached the server but its answer never came
        deadline = started + self.max_retry_time
        retries_taken = 0
        renewed_token = False
        body_preview = _preview_body(json, data)
        while True:
            attempt = retries_taken + 1 + int(renewed_token)
            t0 = time.monotonic()
            response: requests.Response | None = None
            failure: TelnyxNBError | None = None
            reached = True
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    data=data,
                    headers=headers,
                    auth=auth,
                    timeout=self.timeout,
                    allow_redirects=allow_redirects,
                )
            except requests.exceptions.Timeout as exc:
                reached = not isinstance(exc, requests.exceptions.ConnectTimeout)
                failure = APITimeoutError(
                    f"{method} {urlsplit(url).path}: no answer within {self.timeout} s "
                    f"({'connect' if not reached else 'read'} timeout)",
                    method=method,
                    url=url,
                )
            except requests.exceptions.ConnectionError as exc:
                reached = not _never_connected(exc)
                failure = APIConnectionError(
                    f"{method} {urlsplit(url).path}: {_connection_reason(exc, url)}",
                    method=method,
                    url=url,
                )
            except requests.exceptions.RequestException as exc:  # invalid URL, too many redirects …
                # `from None`: the cause's own message may quote a header (an API key); ours is masked
                raise APIConnectionError(f"{method} {urlsplit(url).path}: {exc}", method=method, url=url) from None
            except ValueError as exc:  # http.client refuses a header value (e.g. a key with a trailing newline)
                raise ConfigurationError(
                    f"{method} {urlsplit(url).path}: a request header is invalid ({mask_text(exc)}); check the "
                    "API key / client credentials for stray whitespace or newlines"
                ) from None
            elapsed = time.monotonic() - t0
            self._emit(_record(method, url, response, failure, elapsed, attempt, body_preview, params))

            if response is not None and response.status_code == 401 and not renewed_token:
                invalidate = getattr(auth, "invalidate", None)
                if invalidate is not None:  # our auto token may have been revoked or expired early
                    invalidate()
                    renewed_token = True
                    continue

            delay = self._retry_delay(response, failure, reached, idempotent, retries_taken)
            if delay is not None and time.monotonic() + delay <= deadline:
                answer_lost = answer_lost or (failure is not None and reached)
                retries_taken += 1
                log.info("retrying %s %s in %.2f s (retry %d)", method, mask_text(url), delay, retries_taken)
                time.sleep(delay)
                continue

            if failure is not None:
                raise failure
            assert response is not None
            if method == "DELETE" and answer_lost and response.status_code == 404:
                # The first DELETE did it; only its answer was lost. Idempotent in effect (RFC 9110 §9.2.2).
                log.info("%s %s: 404 on a retry after a lost answer; the first attempt deleted it", method,
                         mask_text(url))
                response.deleted_by_earlier_attempt = True
                return response
            if response.status_code >= 400 and response.status_code not in ok_statuses:
                raise error_from_response(response)
            return response

    def _retry_delay(
        self,
        response: requests.Response | None,
        failure: TelnyxNBError | None,
        reached: bool,
        idempotent: bool,
        retries_taken: int,
    ) -> float | None:
        """Seconds to wait before the next attempt, or None when this outcome must not be retried."""
        if retries_taken >= self.max_retries:
            return None
        retry_after = None
        if failure is not None:
            if reached and not idempotent:
                return None
        else:
            assert response is not None
            status = response.status_code
            should = response.headers.get("x-should-retry")
            if should == "false":
                return None
            retry_after = parse_retry_after(response.headers)
            if should != "true":
                if not (status in RETRY_STATUSES or status >= 500):
                    return None
                refused = status == 429 or (status == 503 and retry_after is not None)
                if not idempotent and not refused:
                    return None
        if retry_after is not None:
            # The server said when to come back: obey it, or give up and surface it (RateLimitError.retry_after)
            # rather than knock again early.
            return retry_after if retry_after <= MAX_RETRY_AFTER else None
        backoff = min(INITIAL_RETRY_DELAY * (2.0**retries_taken), MAX_RETRY_DELAY)
        return backoff * (1 - 0.25 * random.random())

    def close(self) -> None:
        self.session.close()


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1
    return scheme, (parts.hostname or ""), port or {"http": 80, "https": 443}.get(scheme)


def _preview_body(json: Any, data: Mapping[str, Any] | None) -> str | None:
    if json is not None:
        import json as _json

        return mask_text(_json.dumps(json, default=str))
    if data:
        return mask_text(urlencode(data, doseq=True))
    return None


def _record(
    method: str,
    url: str,
    response: requests.Response | None,
    failure: TelnyxNBError | None,
    elapsed: float,
    attempt: int,
    body: str | None,
    params: Mapping[str, Any] | None,
) -> RequestRecord:
    if response is not None and response.request is not None:
        full_url = response.request.url or url
        sent_headers = dict(response.request.headers)
    else:
        full_url = url + ("?" + urlencode(params, doseq=True) if params else "")
        sent_headers = {}
    return RequestRecord(
        method=method,
        url=mask_text(full_url),
        status=response.status_code if response is not None else None,
        elapsed=elapsed,
        error=str(failure) if failure is not None else None,
        attempt=attempt,
        request_id=_request_id(response.headers) if response is not None else None,
        request_headers=mask_mapping(sent_headers),
        body=body,
    )
