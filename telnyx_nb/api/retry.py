"""The retry policy: which failed attempts are sent again, and after how long. Pure decisions, no I/O.

Retry policy (at least the official SDK's, and safer):

* What is retried: connection failures, timeouts, 408, 409, 429 and every 5xx; a server's ``x-should-retry:
  true|false`` header overrides the status rule, as in the SDK.
* Never replay a request whose effect could double. A request is *idempotent* when its method is (RFC 9110
  §9.2.2: GET, HEAD, OPTIONS, PUT, DELETE) or its caller says so (token issuance by client_credentials,
  introspection, revocation). Anything else — redeeming a code or refresh token, creating or registering a client,
  deciding a consent — is retried only when the server provably did nothing: the connection was never made, or
  the answer was 429 (RFC 6585 §4: refused) or 503 with ``Retry-After`` (RFC 9110 §15.6.4: refused, come back).
* When: ``retry-after-ms``, else ``Retry-After`` in seconds or as an HTTP date (RFC 9110 §10.2.3), else for a 429
  ``x-ratelimit-reset`` (Telnyx publishes its rate limits with that header and promises no ``Retry-After``: the
  window's reset is when a retry can succeed, so guessing sooner only earns another 429) — a wait over
  60 s is not taken (the error carries it) rather than knocking early; without one, exponential backoff from 0.5 s
  doubling to at most 8 s, with up to 25 % jitter. Bounded by
  ``max_retries`` and by ``max_retry_time`` seconds in total (a wait that would pass the budget is not taken).
* A DELETE whose answer was lost (timeout or dropped connection after the request went out) and whose retry
  gets 404 did its work the first time: that 404 is the success of the call (logged), not ``NotFoundError``.

:class:`RetryPolicy` holds these rules as data and answers one question per attempt (:meth:`RetryPolicy.wait`);
the send loop (:mod:`telnyx_nb.api.send_loop`) sends, sleeps and counts. Renewing a token after a 401 is not a
retry: the client-credentials auth object decides that (:mod:`telnyx_nb.api.auth`).
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from telnyx_nb.core.errors import ConfigurationError

__all__ = ["RetryPolicy", "parse_retry_after", "parse_rate_limit_reset", "DEFAULT_MAX_RETRIES",
           "DEFAULT_MAX_RETRY_TIME", "MAX_RETRY_AFTER"]

DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_RETRY_TIME = 60.0
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 60.0
JITTER = 0.25
RETRY_STATUSES = frozenset({408, 409, 429})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (delay-seconds or HTTP-date, RFC 9110 §10.2.3).

    Header names match in any case; ``now`` (epoch seconds, default the real clock) is what an HTTP date counts
    from. A negative wait or a date in the past is 0; an unreadable value is None (no advice).
    """
    headers = {name.lower(): value for name, value in headers.items()}
    millis = _finite(headers.get("retry-after-ms"))
    if millis is not None:
        return max(0.0, millis / 1000.0)
    value = headers.get("retry-after")
    if not value:
        return None
    seconds = _finite(value)
    if seconds is not None:
        return max(0.0, seconds)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _finite(value: str | None) -> float | None:
    """A header's number, or None: float() also reads "nan" and "inf", which are no wait at all."""
    try:
        number = float(value) if value else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


def parse_rate_limit_reset(headers: Mapping[str, str] | None) -> float | None:
    """``x-ratelimit-reset``: whole seconds until the rate-limit window resets (any header case); None when
    missing or unreadable."""
    for name, value in (headers or {}).items():
        if name.lower() == "x-ratelimit-reset":
            try:
                seconds = int(str(value).strip())
            except ValueError:
                return None
            return float(seconds) if seconds >= 0 else None
    return None


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class RetryPolicy:
    """What is retried and how long to wait (the rules in this module's docstring), as an immutable value.

    ``max_retries`` counts retries, not attempts (2 → at most 3 attempts); ``max_retry_time`` bounds the whole
    call in seconds, waits included. ``random`` returns a float in [0, 1) for the jitter (a test may pin it).
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    max_retry_time: float = DEFAULT_MAX_RETRY_TIME
    initial_delay: float = INITIAL_RETRY_DELAY
    max_delay: float = MAX_RETRY_DELAY
    max_retry_after: float = MAX_RETRY_AFTER
    jitter: float = JITTER
    retry_statuses: frozenset[int] = RETRY_STATUSES
    idempotent_methods: frozenset[str] = IDEMPOTENT_METHODS
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.max_retries, int) or isinstance(self.max_retries, bool) or self.max_retries < 0:
            raise ConfigurationError(f"max_retries must be a whole number >= 0, got {self.max_retries!r}")
        if not _number(self.max_retry_time) or self.max_retry_time < 0:
            raise ConfigurationError(f"max_retry_time must be a number of seconds >= 0, got {self.max_retry_time!r}")

    def is_idempotent(self, method: str, idempotent: bool | None = None) -> bool:
        """The caller's word when given, else the method's (RFC 9110 §9.2.2)."""
        return method.upper() in self.idempotent_methods if idempotent is None else idempotent

    def wait(
        self,
        *,
        status: int | None,
        headers: Mapping[str, str] | None = None,
        reached: bool = True,
        idempotent: bool,
        retries_taken: int,
    ) -> float | None:
        """Seconds to wait before the next attempt, or None when this outcome must not be retried.

        ``status`` is the answer's (None when no answer came: a timeout or a failed connection), ``headers`` its
        headers, ``reached`` whether the request may have reached the server (False only when the connection was
        provably never made), ``retries_taken`` how many retries this call has used.
        """
        if retries_taken >= self.max_retries:
            return None
        retry_after = None
        if status is None:
            if reached and not idempotent:
                return None
        else:
            headers = {name.lower(): value for name, value in (headers or {}).items()}
            should = headers.get("x-should-retry")
            if should == "false":
                return None
            retry_after = parse_retry_after(headers)
            if retry_after is None and status == 429:
                retry_after = parse_rate_limit_reset(headers)  # the window's reset: when a retry can succeed
            if should != "true":
                if not (status in self.retry_statuses or status >= 500):
                    return None
                refused = status == 429 or (status == 503 and retry_after is not None)
                if not idempotent and not refused:
                    return None
        if retry_after is not None:
            # The server said when to come back: obey it, or give up and surface it (RateLimitError.retry_after)
            # rather than knock again early.
            return retry_after if retry_after <= self.max_retry_after else None
        return self.backoff(retries_taken)

    def backoff(self, retries_taken: int) -> float:
        """Exponential backoff from ``initial_delay``, doubling per retry up to ``max_delay``, less up to
        ``jitter`` of it (so clients that failed together do not come back together)."""
        delay = min(self.initial_delay * (2.0**retries_taken), self.max_delay)
        return delay * (1 - self.jitter * self.random())

    def fits_budget(self, elapsed: float, delay: float) -> bool:
        """True when waiting ``delay`` more seconds keeps the call within ``max_retry_time`` (``elapsed`` so far)."""
        return elapsed + delay <= self.max_retry_time

    @staticmethod
    def done_by_earlier_attempt(method: str, status: int, answer_lost: bool) -> bool:
        """A DELETE retried after its answer was lost, now answered 404: the first attempt deleted it (idempotent
        in effect, RFC 9110 §9.2.2), so the call succeeded."""
        return method.upper() == "DELETE" and answer_lost and status == 404
