"""The Telnyx OAuth API over ``requests``: one method per endpoint, typed records, retries, PKCE, JWT checks.

``telnyx_nb.api`` never imports ``telnyx_nb.sandbox``: the two meet over HTTP only (``connect()`` alone may start
an in-process sandbox, and it imports it only then). The exports load lazily, so ``telnyx_nb.core.wire`` (the wire
vocabulary the frames, widgets and audit read) costs no ``requests`` import.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "TelnyxOAuth": "telnyx_nb.api.client",
    "connect": "telnyx_nb.api.connect",
    "RequestRecord": "telnyx_nb.api.request_log",
    "RetryPolicy": "telnyx_nb.api.retry",
}

__all__ = ["TelnyxOAuth", "connect", "RequestRecord", "RetryPolicy"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'telnyx_nb.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
