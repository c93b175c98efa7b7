"""The sandbox's notion of now: the real clock plus an offset that tests move forward.

Every expiry the sandbox decides (access and refresh tokens, authorization codes, consent links), every timestamp
it writes (``created_at``, ``updated_at``, ``last_used_at``, ``revoked_at``) and the JWT ``iat``/``exp`` claims
read this clock, so ``sandbox.clock.advance(3601)`` expires a one-hour token at once instead of after an hour of
sleeping. The offset only grows forward from the real time, so ordering between requests is kept.

A ``Clock`` is also a plain callable returning epoch seconds, the shape ``TelnyxOAuth(clock=...)`` takes, so a
client and the sandbox can share one notion of now.
"""

from __future__ import annotations

import math
import threading
import time
from datetime import UTC, datetime

from telnyx_nb.core.errors import ArgumentTypeError, ConfigurationError


class Clock:
    """Real time plus an adjustable offset (seconds). Thread-safe; one per sandbox."""

    def __init__(self, offset: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._offset = float(offset)

    def __call__(self) -> float:
        return self.time()

    def __repr__(self) -> str:
        return f"Clock(offset={self._offset:g}s)"

    @property
    def offset(self) -> float:
        """How far ahead of the real clock this clock runs, in seconds."""
        return self._offset

    def time(self) -> float:
        """Epoch seconds, as ``time.time()`` would answer at the sandbox's now."""
        return time.time() + self._offset

    def seconds(self) -> int:
        """Whole epoch seconds (what token, code and consent lifetimes are stored in)."""
        return int(self.time())

    def now(self) -> datetime:
        """The sandbox's now as a timezone-aware UTC datetime."""
        return datetime.fromtimestamp(self.time(), UTC)

    def advance(self, seconds: float) -> float:
        """Move now forward by ``seconds`` (a finite number >= 0); returns the new epoch time."""
        fix = f"seconds: use a finite number >= 0 (time only moves forward); got {seconds!r}"
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise ArgumentTypeError(fix)
        if not math.isfinite(seconds) or seconds < 0:
            raise ConfigurationError(fix)
        with self._lock:
            self._offset += float(seconds)
        return self.time()

    def reset(self) -> None:
        """Back to the real clock (for a shared sandbox between tests; tokens issued 'in the future' stay so)."""
        with self._lock:
            self._offset = 0.0

