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

from .schema import check_body


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


def parse_fault(body) -> Fault:
    """A fault request body checked against ``schema.BODIES["Fault"]`` (the error names the wrong field)."""
    body = check_body("Fault", body)
    status = body.get("status")
    return Fault(body["path"].rstrip("/") or "/", body["method"].upper() if "method" in body else None,
                 int(body.get("count", 1)), int(status) if status is not None else None, body.get("retry_after"),
                 body.get("delay"), body.get("drop", False))


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
