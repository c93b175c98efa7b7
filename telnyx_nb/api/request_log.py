"""The request log: one masked :class:`RequestRecord` per HTTP attempt, handed to listeners.

The send loop calls its hook (by default a :class:`RequestLog`) once per attempt, as httpx calls its ``response``
event hooks; the panels' request logs and ``TelnyxOAuth.add_listener`` subscribe to it. Records are masked when
made (:mod:`telnyx_nb.core.masking`), so no listener ever holds a secret.
"""

from __future__ import annotations

import json as _json
import logging
import shlex
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests

from telnyx_nb.api.error_mapping import request_id
from telnyx_nb.core.errors import TelnyxNBError
from telnyx_nb.core.masking import mask_mapping, mask_text

__all__ = ["RequestRecord", "RequestLog", "make_record", "preview_body"]

log = logging.getLogger("telnyx_nb.api")


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


class RequestLog:
    """The send loop's per-attempt hook: logs each record at DEBUG and hands it to every listener (thread-safe).

    A listener that raises is logged and skipped: a broken request log must not break the call it records.
    """

    def __init__(self) -> None:
        self._listeners: list[Callable[[RequestRecord], None]] = []
        self._lock = threading.Lock()

    def add(self, callback: Callable[[RequestRecord], None]) -> None:
        with self._lock:
            self._listeners.append(callback)

    def remove(self, callback: Callable[[RequestRecord], None]) -> None:
        with self._lock:
            if callback in self._listeners:
                self._listeners.remove(callback)

    def __call__(self, record: RequestRecord) -> None:
        log.debug("%s", record)
        for callback in list(self._listeners):
            try:
                callback(record)
            except Exception:  # a broken listener must not break the call
                log.exception("request-log listener %r failed", callback)


def preview_body(json: Any, data: Mapping[str, Any] | None) -> str | None:
    """The request body as the log shows it (JSON, or the form urlencoded), masked."""
    if json is not None:
        return mask_text(_json.dumps(json, default=str))
    if data:
        return mask_text(urlencode(data, doseq=True))
    return None


def make_record(
    method: str,
    url: str,
    response: requests.Response | None,
    failure: TelnyxNBError | None,
    elapsed: float,
    attempt: int,
    body: str | None,
    params: Mapping[str, Any] | None,
) -> RequestRecord:
    """The record of one attempt: the URL and headers as sent when an answer came, else as they would have been."""
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
        request_id=request_id(response.headers) if response is not None else None,
        request_headers=mask_mapping(sent_headers),
        body=body,
    )
