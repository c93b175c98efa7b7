"""The Telnyx OAuth API over ``requests``: one method per endpoint, typed records, retries, PKCE, JWT checks.

``telnyx_nb.api`` never imports ``telnyx_nb.sandbox`` nor ``telnyx_nb.testing``: the two meet over HTTP only.
``telnyx_nb.connect()``, which may start an in-process sandbox, lives above both (:mod:`telnyx_nb.connection`). The
exports load lazily, so importing the package costs no ``requests`` import.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "TelnyxOAuth": "telnyx_nb.api.client",
    "RequestRecord": "telnyx_nb.api.request_log",
    "RetryPolicy": "telnyx_nb.api.retry",
}

__all__ = ["TelnyxOAuth", "RequestRecord", "RetryPolicy"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'telnyx_nb.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
