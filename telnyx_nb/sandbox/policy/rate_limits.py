"""Rate limits as Telnyx publishes them: per-credential windows, ``x-ratelimit-*`` headers, 429 with code 10011.

Two limiters, both fixed windows opened by a key's first request (``FixedWindows``):

* the **general limit** (``Sandbox(rate_limit="20/s")``, ``telnyx-nb sandbox --rate-limit 20/s``; off by default):
  every request but the sandbox's own ``/_sandbox/`` controls counts against its caller's window — the API key is
  the account owner's, a bearer token counts for its client (a user's token for that client and user: the grant),
  HTTP Basic or a body ``client_id`` for that client, anyone else for their remote address;
* the **registration flood limit** (``registration_rate_limit``, default ``20/min``; ``None`` turns it off): the
  clients open registration (``POST /oauth/register`` without the API key) creates count against the source
  address, whether the general limit is on or not, so one source cannot fill the database with clients. A refused
  registration (400) gives its place back: a client that gets its metadata wrong is not slowed, a flood is.

A limited answer carries ``x-ratelimit-limit``, ``x-ratelimit-remaining`` and ``x-ratelimit-reset`` (whole seconds
until the window resets, rounded up, so a client that waits that long finds a new window); past the limit the
answer is 429 with Telnyx's published body (``errors[0].code`` 10011) plus the ``oauth_Error`` members, and no
``Retry-After`` (Telnyx promises none). With the general limit off, answers carry no ``x-ratelimit-*`` headers
(there is no limit to describe), except open registration's, which is limited.

Time is the sandbox clock (``clock.py``): ``sandbox.clock.advance(1)`` opens a new window at once, so tests of
the limit need not sleep. The clock only moves forward; a window that ends further ahead than one period (the
pool's ``clock.reset()``, or the system clock stepping back) is treated as over.

Memory is bounded: windows are kept in the order they opened, expired ones are dropped as new requests arrive,
and at most ``max_keys`` are kept (the oldest go first; a key dropped early simply starts a new window). A
claimed ``client_id`` (HTTP Basic, body) is counted before its secret is checked, as a gateway would: the limit is
about load, the token endpoint still authenticates.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from telnyx_nb.core.errors import ArgumentTypeError, ConfigurationError

__all__ = ["Rate", "Decision", "FixedWindows", "parse_rate", "DEFAULT_REGISTRATION_RATE", "TOO_MANY_DETAIL",
           "TOO_MANY_TITLE", "HEADERS"]

TOO_MANY_TITLE = "Too many requests"
TOO_MANY_DETAIL = "You have exceeded the maximum number of allowed requests."
HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
DEFAULT_REGISTRATION_RATE = "20/min"
MAX_KEYS = 10_000
_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
_RATE = re.compile(r"^\s*(\d{1,9})\s*/\s*(\d{0,5})\s*(s|sec|second|m|min|minute|h|hour)\s*$", re.IGNORECASE)
_FIX = ("use N/s, N/min or N/h (N a whole number >= 1; e.g. '20/s', '1200/min'), or N/Ks for a K-second window "
        "(e.g. '100/10s'); None or 'off' for no limit")


@dataclass(frozen=True)
class Rate:
    """``limit`` requests per ``period`` whole seconds."""

    limit: int
    period: int

    def __str__(self) -> str:
        for unit, seconds in (("h", 3600), ("min", 60)):
            if self.period == seconds:
                return f"{self.limit}/{unit}"
        return f"{self.limit}/s" if self.period == 1 else f"{self.limit}/{self.period}s"


def parse_rate(value, name: str = "rate_limit") -> Rate | None:
    """``"20/s"``, ``"1200/min"``, ``"100/10s"`` … as a ``Rate``; None, ``""`` or ``"off"`` as None (no limit).

    Anything else raises ``ConfigurationError`` naming ``name`` and the accepted forms."""
    if value is None or isinstance(value, Rate):
        return value
    if not isinstance(value, str):
        raise ArgumentTypeError(f"{name}: {_FIX}; got {value!r}")
    if value.strip().lower() in ("", "off", "none"):
        return None
    match = _RATE.match(value)
    if not match:
        raise ConfigurationError(f"{name}: {_FIX}; got {value!r}")
    limit, count, unit = int(match[1]), int(match[2] or 1), _UNITS[match[3].lower()]
    if limit < 1 or count < 1:
        raise ConfigurationError(f"{name}: {_FIX}; got {value!r}")
    if count * unit > 86400:
        raise ConfigurationError(f"{name}: use a window of at most a day (e.g. '1000/h'); got {value!r}")
    return Rate(limit, count * unit)


@dataclass(frozen=True)
class Decision:
    """One request's place in its window: ``allowed`` or not, and what the ``x-ratelimit-*`` headers say."""

    allowed: bool
    limit: int
    remaining: int
    reset: int

    def headers(self) -> dict[str, str]:
        return dict(zip(HEADERS, (str(self.limit), str(self.remaining), str(self.reset)), strict=True))


class FixedWindows:
    """Per-key fixed windows of ``rate``: thread-safe (waitress serves on several threads), memory-bounded."""

    def __init__(self, rate: Rate, clock: Callable[[], float], *, max_keys: int = MAX_KEYS) -> None:
        self.rate = rate
        self._clock = clock
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._windows: OrderedDict[str, list] = OrderedDict()  # key → [window end, requests counted]
        self.refused = 0  # 429s answered so far (what a test of a client's pacing looks at)

    def __len__(self) -> int:
        return len(self._windows)

    def hit(self, key: str) -> Decision:
        """Count one request for ``key``; refused (``allowed`` False, not counted) once the window is spent."""
        now = self._clock()
        period, limit = self.rate.period, self.rate.limit
        with self._lock:
            self._drop_expired(now)
            window = self._windows.get(key)
            if window is None or not now < window[0] <= now + period:
                window = [now + period, 0]
                self._windows.pop(key, None)
                self._windows[key] = window  # the newest window goes last: the dict stays ordered by end
                while len(self._windows) > self._max_keys:
                    self._windows.popitem(last=False)
            allowed = window[1] < limit
            if allowed:
                window[1] += 1
            else:
                self.refused += 1
            return Decision(allowed, limit, limit - window[1], max(1, math.ceil(window[0] - now)))

    def give_back(self, key: str) -> None:
        """Uncount one request of ``key``'s current window (one that turned out not to count, see RateLimits)."""
        with self._lock:
            window = self._windows.get(key)
            if window is not None and window[1] > 0:
                window[1] -= 1

    def _drop_expired(self, now: float) -> None:
        while self._windows:
            end = next(iter(self._windows.values()))[0]
            if now < end <= now + self.rate.period:
                return
            self._windows.popitem(last=False)

    def reset(self) -> None:
        """Forget every window (the test pool does so between tests)."""
        with self._lock:
            self._windows.clear()
            self.refused = 0


# ----- wiring into the Flask app ---------------------------------------------------------------------------------
_DECISION = "telnyx_nb_ratelimit"  # flask.g attribute: the decision whose headers the answer carries


class RateLimits:
    """The sandbox's limiters (either may be None: off) and the Flask hooks that apply them."""

    def __init__(self, general: Rate | None, registration: Rate | None, clock: Callable[[], float]) -> None:
        self.general = FixedWindows(general, clock) if general else None
        self.registration = FixedWindows(registration, clock) if registration else None

    def reset(self) -> None:
        for windows in (self.general, self.registration):
            if windows is not None:
                windows.reset()

    def check(self, state):
        """``before_request``: count this request; a 429 answer when a window is spent, else None."""
        from flask import g, request

        registering = self.registration is not None and _is_registration()
        if request.path.startswith("/_sandbox/") or (self.general is None and not registering):
            return None  # with only the flood limit on, other requests cost nothing here
        key = credential_key(state)
        decision = self.general.hit(key) if self.general is not None else None
        if registering and not key.startswith("account") and (decision is None or decision.allowed):
            flood_key = f"address:{request.remote_addr or 'unknown'}"
            flood = self.registration.hit(flood_key)
            # the answer describes the tighter of the two windows
            shown = decision is None or not flood.allowed or flood.remaining < decision.remaining
            if flood.allowed:  # given back by add_headers unless a client was created
                g.telnyx_nb_flood = (flood_key, shown)
            if shown:
                decision = flood
        if decision is None:
            return None
        setattr(g, _DECISION, decision)
        return None if decision.allowed else too_many_requests(decision)

    def add_headers(self, response):
        """``after_request``: the ``x-ratelimit-*`` headers of this request's window (when it was limited).

        Open registration counts the clients it creates: a refused registration (400) gives its place back, so
        a client that gets its metadata wrong is not slowed, a flood of new clients is."""
        from flask import g

        decision = g.get(_DECISION)
        flood_key, shown = g.pop("telnyx_nb_flood", (None, False))
        if flood_key is not None and response.status_code != 201:
            self.registration.give_back(flood_key)
            if shown:
                decision = Decision(decision.allowed, decision.limit, decision.remaining + 1, decision.reset)
        if decision is not None:
            response.headers.update(decision.headers())
        return response


def too_many_requests(decision: Decision, headers: dict | None = None):
    """The published 429: ``errors[0]`` code 10011 plus the ``oauth_Error`` members; no ``Retry-After`` (an
    injected fault may add one through ``headers``)."""
    from telnyx_nb.sandbox.http.wire_errors import WireError

    return WireError(429, TOO_MANY_DETAIL, title=TOO_MANY_TITLE,
                     headers={**decision.headers(), **(headers or {})}).response()


def credential_key(state) -> str:
    """Whose window a request counts against: ``account`` (the API key), ``client:<id>`` (a client's token,
    HTTP Basic, or a ``client_id`` parameter), ``grant:<client>:<user>`` (a user's token), else
    ``address:<remote address>``. An unknown Bearer credential counts for its address (it gets 401 later)."""
    import base64
    import binascii
    from urllib.parse import unquote

    from flask import request

    from telnyx_nb.sandbox.http.wire_errors import WireError
    from telnyx_nb.sandbox.policy import access

    scheme, _, credential = request.headers.get("Authorization", "").strip().partition(" ")
    scheme, credential = scheme.lower(), credential.strip()
    if scheme == "bearer" and credential:
        try:
            caller = access.identify(state)
        except WireError:
            caller = None
        if caller is not None and caller.kind == "api_key":  # each managed account has a budget of its own
            return f"account:{caller.account_id}" if caller.account_id else "account"
        if caller is not None:
            return f"grant:{caller.client_id}:{caller.user_id}" if caller.user_id else f"client:{caller.client_id}"
    elif scheme == "basic" and credential:
        try:
            client_id = unquote(base64.b64decode(credential, validate=True).decode("utf-8").partition(":")[0])
        except (binascii.Error, ValueError):
            client_id = ""
        if client_id:
            return f"client:{client_id}"
    client_id = request.args.get("client_id") or (request.form.get("client_id") if request.mimetype ==
                                                    "application/x-www-form-urlencoded" else None)
    if client_id:
        return f"client:{client_id}"
    return f"address:{request.remote_addr or 'unknown'}"


def _is_registration() -> bool:
    """An RFC 7591 registration request (the account owner's API key is exempted by the caller)."""
    from flask import request

    return request.method == "POST" and request.endpoint == "registration.register"
