"""Fault injection for testing clients: make the next N requests to a path fail or slow down.

Armed through ``POST /_sandbox/faults`` (Bearer API key) with ``{"path", "method"?, "count", "status"?,
"retry_after"?, "delay"?, "drop"?}``; ``DELETE /_sandbox/faults`` clears every fault. Off until armed. A fault with
only a delay serves the request normally after sleeping; one with a status answers that status instead; one with
``"drop": true`` closes the connection without any answer (``ConnectionDropped`` tells the server or the
in-process transport to do so), what a client sees when a proxy or the network cuts it off mid-request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from .errors import ApiError

STATUSES = (429, 500, 502, 503)


@dataclass
class Fault:
    path: str
    method: str | None
    remaining: int
    status: int | None
    retry_after: float | None
    delay: float | None
    drop: bool = False

    def as_dict(self) -> dict:
        return {"path": self.path, "method": self.method, "count": self.remaining, "status": self.status,
                "retry_after": self.retry_after, "delay": self.delay, "drop": self.drop}


class ConnectionDropped(Exception):
    """Raised out of the WSGI app for a drop fault: the server (or transport) closes without answering."""


DROP_ENVIRON_KEY = "telnyx_nb.sandbox.drop"


def drop_connections(wsgi_app):
    """WSGI middleware: a request the app marked with ``DROP_ENVIRON_KEY`` raises ``ConnectionDropped`` before
    anything is sent (Flask turns exceptions into 500s, so the mark travels out in the environ)."""

    def app(environ, start_response):
        captured = []
        body = wsgi_app(environ, lambda *args: captured.append(args))
        if environ.get(DROP_ENVIRON_KEY):
            if hasattr(body, "close"):
                body.close()
            raise ConnectionDropped(environ.get("PATH_INFO"))
        start_response(*captured[0])
        return body

    return app


def _number(body: dict, name: str, *, minimum: float, maximum: float, integer: bool = False):
    value = body.get(name)
    if value is None:
        return None
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not minimum <= value <= maximum:
        kind = "a whole number" if integer else "a number"
        raise ApiError(422, f"{name} must be {kind} from {minimum:g} to {maximum:g}.", pointer=f"/{name}")
    return value


def parse_fault(body: dict) -> Fault:
    """Validate a fault request body, naming the field that is wrong."""
    path = body.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise ApiError(422, "path must be a request path starting with '/', e.g. \"/v2/oauth_grants\".",
                       pointer="/path")
    method = body.get("method")
    if method is not None and (not isinstance(method, str) or not method.isalpha()):
        raise ApiError(422, "method must be an HTTP method such as \"GET\", or left out for any method.",
                       pointer="/method")
    count = _number(body, "count", minimum=1, maximum=10000, integer=True)
    status = body.get("status")
    if status is not None and (isinstance(status, bool) or status not in STATUSES):
        raise ApiError(422, f"status must be one of {', '.join(map(str, STATUSES))}.", pointer="/status")
    retry_after = _number(body, "retry_after", minimum=0, maximum=3600)
    delay = _number(body, "delay", minimum=0, maximum=30)
    drop = body.get("drop", False)
    if not isinstance(drop, bool):
        raise ApiError(422, "drop must be true (close the connection without an answer) or false.", pointer="/drop")
    if drop and status is not None:
        raise ApiError(422, "a dropped connection has no status: give drop or status, not both.", pointer="/drop")
    if status is None and delay is None and not drop:
        raise ApiError(422, "give a status (429, 500, 502, 503), a delay in seconds, drop: true, or a delay with "
                            "one of the others.", pointer="/status")
    unknown = sorted(set(body) - {"path", "method", "count", "status", "retry_after", "delay", "drop"})
    if unknown:
        raise ApiError(422, f"unknown field {unknown[0]!r}.", pointer=f"/{unknown[0]}")
    return Fault(path.rstrip("/") or "/", method.upper() if method else None, count or 1, status, retry_after,
                 delay, drop)


class Faults:
    """The armed faults; thread-safe, consumed one request at a time."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> int:
        with self._lock:
            n = len(self._faults)
            self._faults.clear()
            return n

    def discard(self, fault: Fault) -> None:
        """Disarm one fault (if it has not fired its last time already)."""
        with self._lock:
            self._faults[:] = [f for f in self._faults if f is not fault]

    def list(self) -> list[dict]:
        with self._lock:
            return [f.as_dict() for f in self._faults]

    def take(self, method: str, path: str) -> Fault | None:
        """Consume one matching fault for this request, if any."""
        path = path.rstrip("/") or "/"
        with self._lock:
            for fault in self._faults:
                if fault.path == path and fault.method in (None, method):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None
