"""Fault injection for testing clients: make the next N requests to a path fail or slow down.

Armed through ``POST /_sandbox/faults`` (Bearer API key) with ``{"path", "method"?, "count", "status"?,
"retry_after"?, "delay"?, "drop"?, "reset"?}``; ``DELETE /_sandbox/faults`` clears every fault. Off until armed.
A fault with only a delay serves the request normally after sleeping; one with a status answers that status
instead; one with ``"drop": true`` closes the connection without any answer (``ConnectionDropped`` tells the
server or the in-process transport to do so), what a client sees when a proxy or the network cuts it off mid-request.
A 429 is Telnyx's published one (``rate_limits.too_many_requests``): code 10011 and the ``x-ratelimit-*`` headers,
``x-ratelimit-reset`` from ``reset`` (default: ``retry_after`` rounded up, else 1); ``Retry-After`` only when
``retry_after`` is given, since Telnyx promises none.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from flask import Blueprint, Response, request

from telnyx_nb.sandbox.policy.schema import check_body
from telnyx_nb.sandbox.web.http_errors import WireError
from telnyx_nb.sandbox.web.messages import json_body, json_response, require_api_auth
from telnyx_nb.sandbox.web.rate_limits import Decision, Rate, too_many_requests
from telnyx_nb.sandbox.web.state import sandbox_state


@dataclass
class Fault:
    path: str
    method: str | None
    remaining: int
    status: int | None
    retry_after: float | None
    delay: float | None
    drop: bool = False
    reset: int | None = None  # a 429's x-ratelimit-reset (seconds); default: Retry-After rounded up, else 1

    def as_dict(self) -> dict:
        return {"path": self.path, "method": self.method, "count": self.remaining, "status": self.status,
                "retry_after": self.retry_after, "delay": self.delay, "drop": self.drop, "reset": self.reset}


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
                 body.get("delay"), body.get("drop", False), body.get("reset"))


FAULT_LIMIT = 20  # the x-ratelimit-limit an injected 429 reports when the sandbox enforces no limit of its own


def fault_decision(fault: Fault, rate: Rate | None) -> Decision:
    """What an injected 429 says in its ``x-ratelimit-*`` headers: the window is spent (remaining 0), the limit
    is the sandbox's (or ``FAULT_LIMIT``), and it resets after ``reset`` seconds (else ``Retry-After`` rounded
    up, else 1)."""
    if fault.reset is not None:
        reset = fault.reset
    else:
        reset = max(1, math.ceil(fault.retry_after)) if fault.retry_after is not None else 1
    return Decision(False, rate.limit if rate else FAULT_LIMIT, 0, reset)


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


def inject_fault():
    """The ``before_request`` hook: serve the next armed fault of this request's method and path, if any. Faults
    stand for the network and upstream failures a client meets before any server logic, so this runs before the
    rate limits and the access check (arming them is what needs the account owner: ``/_sandbox/faults``)."""
    if request.path.startswith("/_sandbox/"):
        return None
    state = sandbox_state()
    fault = state.faults.take(request.method, request.path)
    if fault is None:
        return None
    if fault.delay:
        time.sleep(fault.delay)
    if fault.drop:  # drop_connections closes the connection instead of sending this
        request.environ[DROP_ENVIRON_KEY] = True
        return ""
    if fault.status is None:
        return None
    headers = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = str(int(fault.retry_after) if float(fault.retry_after).is_integer()
                                     else fault.retry_after)
    if fault.status == 429:  # the published 429: its body and x-ratelimit-* headers (Retry-After if asked)
        return too_many_requests(fault_decision(fault, state.config.rate_limit), headers)
    return WireError(fault.status, f"Injected fault for {request.method} {request.path} "
                                   "(armed through /_sandbox/faults).", headers=headers).response()


blueprint = Blueprint("faults", __name__)


@blueprint.route("/_sandbox/faults", methods=["GET", "POST", "DELETE"])
def faults():
    state = sandbox_state()
    require_api_auth(state)
    if request.method == "POST":
        fault = parse_fault(json_body())
        state.faults.add(fault)
        return json_response({"data": fault.as_dict()}, 201)
    if request.method == "DELETE":
        state.faults.clear()
        return Response(status=204)
    return json_response({"data": state.faults.list()})
