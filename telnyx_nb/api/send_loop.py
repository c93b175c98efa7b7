"""The client's send loop: the pooled session and timeouts, and the loop that sends a request through the layers.

A request goes through layers, each in its own module, as in httpx's ``Client.send``:

* authentication (:mod:`telnyx_nb.api.auth`): the auth object sets the credentials, and its flow decides whether a
  401 earns one more try with a fresh client-credentials token (outside the retry count);
* the send itself (here): a timeout is always set, and connection failures and timeouts become
  :class:`~telnyx_nb.core.errors.TransportError` with one readable reason;
* pacing (:mod:`telnyx_nb.api.pacing`, :class:`Pacer`): before each attempt to the base URL's origin, wait as
  the credential's ``x-ratelimit-*`` headers say (nothing when the server sends none); every answer updates them;
* the request log hook (:mod:`telnyx_nb.api.request_log`), called once per attempt with a masked record;
* the retry policy (:mod:`telnyx_nb.api.retry`, :class:`RetryPolicy`): which outcomes are sent again, after how
  long, within which budget — its docstring states the policy in full;
* error mapping (:mod:`telnyx_nb.api.error_mapping`, ``error_from_response``): the one place an HTTP answer
  becomes a :mod:`telnyx_nb.core.errors` exception.

Credentials (the API key, a token, client credentials) go only to the base URL's origin (scheme, host, port): a
request to any other origin — a pasted authorize URL, a discovery document elsewhere — is sent without them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, cast
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter

from telnyx_nb.api.auth import auth_flow, credential_name
from telnyx_nb.api.error_mapping import error_from_response
from telnyx_nb.api.pacing import Pacer
from telnyx_nb.api.request_log import RequestLog, RequestRecord, make_record, preview_body
from telnyx_nb.api.retry import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_TIME,
    RetryPolicy,
)
from telnyx_nb.core.errors import APIConnectionError, APITimeoutError, ConfigurationError, TelnyxNBError
from telnyx_nb.core.masking import mask_text, mask_third_party_logs
from telnyx_nb.core.version import __version__

log = logging.getLogger("telnyx_nb.api")
mask_third_party_logs()  # urllib3 logs request paths at DEBUG; the consent path carries the consent token

__all__ = ["SendLoop", "DEFAULT", "DEFAULT_TIMEOUT", "USER_AGENT"]

DEFAULT_TIMEOUT = 30.0
USER_AGENT = f"telnyx-nb/{__version__} python-requests/{requests.__version__}"

# `auth=DEFAULT` means "the client's management credentials" (API key or auto token).
DEFAULT: Any = object()


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


class SendLoop:
    """A pooled ``requests.Session`` bound to one base URL, sending through the layers above.

    ``retry`` is the :class:`RetryPolicy` (default: one from ``max_retries`` and ``max_retry_time``);
    ``request_log`` the per-attempt hook (default: a :class:`RequestLog`, which ``add_listener`` subscribes to);
    ``pacer`` the shared :class:`Pacer` (default: a new one; ``None`` turns pacing off).
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float | tuple[float, float] | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_time: float = DEFAULT_MAX_RETRY_TIME,
        session: requests.Session | None = None,
        default_auth: requests.auth.AuthBase | None = None,
        pool_size: int = 16,
        retry: RetryPolicy | None = None,
        request_log: Callable[[RequestRecord], None] | None = None,
        pacer: Pacer | None | Any = DEFAULT,
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
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ConfigurationError(f"retry must be a RetryPolicy, got {type(retry).__name__}")
        self.retry = retry if retry is not None else RetryPolicy(max_retries=max_retries,
                                                                 max_retry_time=max_retry_time)
        if session is not None and not isinstance(session, requests.Session):
            raise ConfigurationError(f"session must be a requests.Session, got {type(session).__name__}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.default_auth = default_auth
        self.request_log = request_log if request_log is not None else RequestLog()
        if pacer is not DEFAULT and pacer is not None and not isinstance(pacer, Pacer):
            raise ConfigurationError(f"pacer must be a Pacer or None, got {type(pacer).__name__}")
        self.pacer: Pacer | None = Pacer(max_wait=self.retry.max_retry_after) if pacer is DEFAULT else pacer
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers["User-Agent"] = USER_AGENT
            session.headers["Accept"] = "application/json"  # requests' own default is */*
        self.session = session

    @property
    def max_retries(self) -> int:
        return self.retry.max_retries

    @property
    def max_retry_time(self) -> float:
        return self.retry.max_retry_time

    # -- request log -------------------------------------------------------------------------------------------
    # listeners live on the default RequestLog; a hook of one's own (request_log=) has none: AttributeError
    def add_listener(self, callback: Callable[[RequestRecord], None]) -> None:
        cast(RequestLog, self.request_log).add(callback)

    def remove_listener(self, callback: Callable[[RequestRecord], None]) -> None:
        cast(RequestLog, self.request_log).remove(callback)

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
        """Send a request with retries; return the response or raise a :mod:`telnyx_nb.core.errors` exception.

        Any 2xx/3xx (and ``ok_statuses``) is returned; other statuses raise through ``error_from_response``.

        One function on purpose: the loop read top to bottom (as httpx's ``Client.send``), each step a call.
        """
        method = method.upper()
        url = self._target(method, path)
        idempotent = self.retry.is_idempotent(method, idempotent)
        if auth is DEFAULT:
            auth = self.default_auth
        if not self.same_origin(url):
            if auth is not None or any(k.lower() == "authorization" for k in (headers or {})):
                log.warning("%s %s: not the base URL's origin, sent without credentials", method,
                            mask_text(_origin(url)))
            auth = None
            headers = {k: v for k, v in (headers or {}).items() if k.lower() != "authorization"}
        flow = auth_flow(auth)
        # the server's windows are per credential, and only the base URL's server publishes ours
        # a window is named only when there is a pacer, so below `window is not None` means self.pacer is set
        window = credential_name(auth) if self.pacer is not None and self.same_origin(url) else None
        started = time.monotonic()
        answer_lost = False  # an earlier attempt reached the server but its answer never came
        retries_taken = 0
        renewals = 0  # fresh-credential resends the auth flow asked for (not retries)
        body_preview = preview_body(json, data)
        while True:
            attempt = retries_taken + 1 + renewals
            ticket = self.pacer.acquire(window) if window is not None else None  # type: ignore[union-attr]
            t0 = time.monotonic()
            response = None
            try:
                response, failure, reached = self._send(method, url, params=params, json=json, data=data,
                                                        headers=headers, auth=auth, allow_redirects=allow_redirects)
            finally:  # every attempt let go is handed back, answered or not
                if ticket is not None:
                    self.pacer.release(  # type: ignore[union-attr]  # a ticket comes from the pacer
                        ticket, response.headers if response is not None else None)
            self.request_log(make_record(method, url, response, failure, time.monotonic() - t0, attempt,
                                         body_preview, params))

            if response is not None and flow.send(response):
                renewals += 1
                continue

            delay = self.retry.wait(status=response.status_code if response is not None else None,
                                    headers=response.headers if response is not None else None,
                                    reached=reached, idempotent=idempotent, retries_taken=retries_taken)
            if delay is not None and self.retry.fits_budget(time.monotonic() - started, delay):
                answer_lost = answer_lost or (failure is not None and reached)
                retries_taken += 1
                log.info("retrying %s %s in %.2f s (retry %d)", method, mask_text(url), delay, retries_taken)
                time.sleep(delay)
                continue

            if failure is not None:
                raise failure
            assert response is not None
            if self.retry.done_by_earlier_attempt(method, response.status_code, answer_lost):
                log.info("%s %s: 404 on a retry after a lost answer; the first attempt deleted it", method,
                         mask_text(url))
                response.deleted_by_earlier_attempt = True  # type: ignore[attr-defined]  # read by TelnyxOAuth._json
                return response
            if response.status_code >= 400 and response.status_code not in ok_statuses:
                raise error_from_response(response)
            return response

    def _target(self, method: str, path: str) -> str:
        """The absolute URL of ``path``, refused as a connection that can never be made when urllib cannot split
        it (a broken IPv6 literal, a port out of range): a URL taken from a server's document may be anything."""
        url = self.url(path)
        try:
            urlsplit(url).port  # noqa: B018  # splitting and reading the port are urllib's checks
        except ValueError as exc:
            raise APIConnectionError(f"{method} {mask_text(url)}: not a valid URL ({exc})", method=method,
                                     url=url) from None
        return url

    def _send(self, method: str, url: str, **kwargs: Any
              ) -> tuple[requests.Response | None, TelnyxNBError | None, bool]:
        """One attempt: ``(response, None, True)``, or ``(None, failure, reached)`` when no answer came —
        ``reached`` False only when the request provably never left (the retry policy may then replay anything)."""
        try:
            return self.session.request(method, url, timeout=self.timeout, **kwargs), None, True
        except requests.exceptions.Timeout as exc:
            reached = not isinstance(exc, requests.exceptions.ConnectTimeout)
            return None, APITimeoutError(
                f"{method} {urlsplit(url).path}: no answer within {self.timeout} s "
                f"({'connect' if not reached else 'read'} timeout)",
                method=method,
                url=url,
            ), reached
        except requests.exceptions.ConnectionError as exc:
            return None, APIConnectionError(
                f"{method} {urlsplit(url).path}: {_connection_reason(exc, url)}",
                method=method,
                url=url,
            ), not _never_connected(exc)
        except requests.exceptions.RequestException as exc:  # invalid URL, too many redirects …
            # `from None`: the cause's own message may quote a header (an API key); ours is masked
            raise APIConnectionError(f"{method} {urlsplit(url).path}: {exc}", method=method, url=url) from None
        except ValueError as exc:  # http.client refuses a header value (e.g. a key with a trailing newline)
            raise ConfigurationError(
                f"{method} {urlsplit(url).path}: a request header is invalid ({mask_text(exc)}); check the "
                "API key / client credentials for stray whitespace or newlines"
            ) from None

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
