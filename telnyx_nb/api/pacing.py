"""Pacing by the server's rate-limit headers, so concurrent paging slows down before a window is spent.

Telnyx limits requests per credential and says so on every answer: ``x-ratelimit-limit``, ``x-ratelimit-remaining``
and ``x-ratelimit-reset`` (whole seconds until the window resets). It promises no ``Retry-After`` and tells
clients to read the headers and pace themselves. So:

* each credential (the API key, a client's HTTP Basic, the management token, no credential) has a
  :class:`Window`: how many requests this client may still send in the current window (``allowance``) and by
  when the window has surely reset (``deadline``: the earliest ``answer time + x-ratelimit-reset`` seen, an upper
  bound when the server rounds up as Telnyx's seconds do);
* before a request, :meth:`Window.reserve` takes one from the allowance; when none is left, the caller waits for
  the deadline — every paging thread waits there together — and a new window starts with the published limit;
* after an answer, :meth:`Window.observe` lowers the allowance to what the server says remains (other programs
  may share the credential) and moves the deadline earlier, never later; an answer to a request sent in a window
  that has since been replaced is old news and only updates the limit;
* without the headers (a server that publishes no limit, or with the sandbox's limit off) nothing is paced.

A 429 is the retry policy's business (``retry.py``: without ``Retry-After`` it waits ``x-ratelimit-reset``); its
headers also reach the window here (remaining 0), so the other threads hold back until the reset as well. A wait
longer than ``max_wait`` seconds (an hourly window) is not taken: the request goes and the server's 429 surfaces
as ``RateLimitError``, rather than a call hanging silently.

Time is ``time.monotonic`` (the header counts seconds from the answer, and the wall clock may step). The decisions
(:class:`Window`) are pure and take ``now``; :class:`Pacer` adds the lock, the per-credential table and the sleep.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = ["Pacer", "Window", "Limits", "read_limits", "WAIT_FOR_ANSWER", "MAX_PACE_WAIT"]

MAX_PACE_WAIT = 60.0  # longer waits are not taken (the server's 429 says so instead)
WAIT_FOR_ANSWER = 0.05  # re-check period while the window is spent and its deadline not yet known
MAX_CREDENTIALS = 32


@dataclass(frozen=True)
class Limits:
    """The ``x-ratelimit-*`` headers of one answer."""

    limit: int
    remaining: int
    reset: int


def read_limits(headers: Mapping[str, str] | None) -> Limits | None:
    """The three headers as whole numbers >= 0 (any case), or None when one is missing or unreadable."""
    if not headers:
        return None
    headers = {name.lower(): value for name, value in headers.items()}
    try:
        values = [int(str(headers[f"x-ratelimit-{name}"]).strip()) for name in ("limit", "remaining", "reset")]
    except (KeyError, ValueError):
        return None
    if min(values) < 0:
        return None
    return Limits(*values)


class Window:
    """One credential's view of its server window; pure decisions, ``now`` in monotonic seconds."""

    def __init__(self) -> None:
        self.limit: int | None = None
        self.allowance: int | None = None  # None: unknown, nothing to pace by
        self.deadline: float | None = None
        self.generation = 0  # which of our windows a request was sent in
        self.in_flight = 0

    def reserve(self, now: float, *, max_wait: float = MAX_PACE_WAIT) -> tuple[float, int]:
        """``(0, generation)`` when a request may go now (it is counted), else ``(seconds to wait, -1)``."""
        if self.allowance is not None and self.allowance <= 0:
            if self.deadline is None:  # a new window spent before any of its answers came back
                if self.in_flight:
                    return WAIT_FOR_ANSWER, -1
            elif now < self.deadline:
                wait = self.deadline - now
                if wait <= max_wait:
                    return wait, -1
            else:  # the window has reset: start the next one with the published limit
                self.generation += 1
                self.allowance = self.limit
                self.deadline = None
        if self.allowance is not None:
            self.allowance -= 1
        self.in_flight += 1
        return 0.0, self.generation

    def observe(self, now: float, generation: int, limits: Limits | None) -> None:
        """An answer (or none: ``limits`` None) to a request ``reserve`` let go in ``generation``."""
        self.in_flight = max(0, self.in_flight - 1)
        if limits is None:
            return
        self.limit = limits.limit
        if generation != self.generation:
            return
        if self.allowance is None:  # the first word: requests still in flight may not be counted yet
            self.allowance = limits.remaining - self.in_flight
        else:
            self.allowance = min(self.allowance, limits.remaining)
        ends = now + limits.reset
        self.deadline = ends if self.deadline is None else min(self.deadline, ends)


class Pacer:
    """Thread-safe windows by credential; ``acquire`` sleeps as the window says, ``release`` hands back the answer.

    ``clock`` and ``sleep`` may be replaced (tests); ``max_wait`` bounds one wait (see the module docstring)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, max_wait: float = MAX_PACE_WAIT) -> None:
        self._clock = clock
        self._max_wait = max_wait
        self._changed = threading.Condition()
        self._windows: OrderedDict[str, Window] = OrderedDict()

    def window(self, credential: str) -> Window:
        with self._changed:
            return self._window(credential)

    def _window(self, credential: str) -> Window:
        window = self._windows.get(credential)
        if window is None:
            window = self._windows[credential] = Window()
            while len(self._windows) > MAX_CREDENTIALS:
                self._windows.popitem(last=False)
        self._windows.move_to_end(credential)
        return window

    def acquire(self, credential: str) -> tuple[str, int, float]:
        """Wait until a request with ``credential`` may go; returns the ticket for ``release`` (and the seconds
        waited, for the log)."""
        waited = 0.0
        with self._changed:
            while True:
                wait, generation = self._window(credential).reserve(self._clock(), max_wait=self._max_wait)
                if generation >= 0:
                    return credential, generation, waited
                started = self._clock()
                self._changed.wait(wait)  # an answer may end the wait early (a deadline moved, a window began)
                waited += self._clock() - started

    def release(self, ticket: tuple[str, int, float], headers: Mapping[str, str] | None) -> None:
        """The answer's headers (None when no answer came) for the request ``ticket`` let go."""
        credential, generation, _ = ticket
        with self._changed:
            self._window(credential).observe(self._clock(), generation, read_limits(headers))
            self._changed.notify_all()
