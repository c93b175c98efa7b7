"""telnyx-nb: explore and audit the Telnyx OAuth 2.0 API from Jupyter.

Everything public is exported lazily, so ``import telnyx_nb`` stays fast and loads neither Flask, Authlib,
ipywidgets nor matplotlib until a sandbox, a panel or a plot is first used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "TelnyxOAuth": "telnyx_nb.api.client",
    "connect": "telnyx_nb.api.connect",
    "Sandbox": "telnyx_nb.sandbox.web.server",
    "TelnyxNBError": "telnyx_nb.errors",
    "APIError": "telnyx_nb.errors",
    "AuthenticationError": "telnyx_nb.errors",
    "PermissionDeniedError": "telnyx_nb.errors",
    "NotFoundError": "telnyx_nb.errors",
    "ConflictError": "telnyx_nb.errors",
    "ValidationError": "telnyx_nb.errors",
    "RateLimitError": "telnyx_nb.errors",
    "ServerError": "telnyx_nb.errors",
    "TransportError": "telnyx_nb.errors",
    "APIConnectionError": "telnyx_nb.errors",
    "APITimeoutError": "telnyx_nb.errors",
    "AuthorizationFlowError": "telnyx_nb.errors",
    "AuthorizationDenied": "telnyx_nb.errors",
    "StateMismatch": "telnyx_nb.errors",
    "IssuerMismatch": "telnyx_nb.errors",
    "JWTVerificationError": "telnyx_nb.errors",
    "TokenPanel": "telnyx_nb.widgets",
    "IntrospectionPanel": "telnyx_nb.widgets",
    "JWKSPanel": "telnyx_nb.widgets",
    "AuthorizePanel": "telnyx_nb.widgets",
    "ClientsPanel": "telnyx_nb.widgets",
    "GrantsPanel": "telnyx_nb.widgets",
    "Explorer": "telnyx_nb.widgets",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'telnyx_nb' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this hook
    return value


def __dir__() -> list[str]:
    return __all__
