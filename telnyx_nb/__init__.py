"""telnyx-nb: explore and audit the Telnyx OAuth 2.0 API from Jupyter.

Everything public is exported lazily, so ``import telnyx_nb`` stays fast and loads neither Flask, Authlib,
ipywidgets nor matplotlib until a sandbox, a panel or a plot is first used.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> module that defines it
_EXPORTS = {
    "__version__": "telnyx_nb.core.version",
    "TelnyxOAuth": "telnyx_nb.api.client",
    "connect": "telnyx_nb.connection",
    "Sandbox": "telnyx_nb.sandbox.web.server",
    "TelnyxNBError": "telnyx_nb.core.errors",
    "APIError": "telnyx_nb.core.errors",
    "AuthenticationError": "telnyx_nb.core.errors",
    "PermissionDeniedError": "telnyx_nb.core.errors",
    "NotFoundError": "telnyx_nb.core.errors",
    "ConflictError": "telnyx_nb.core.errors",
    "ValidationError": "telnyx_nb.core.errors",
    "RateLimitError": "telnyx_nb.core.errors",
    "ServerError": "telnyx_nb.core.errors",
    "TransportError": "telnyx_nb.core.errors",
    "APIConnectionError": "telnyx_nb.core.errors",
    "APITimeoutError": "telnyx_nb.core.errors",
    "AuthorizationFlowError": "telnyx_nb.core.errors",
    "AuthorizationDenied": "telnyx_nb.core.errors",
    "StateMismatch": "telnyx_nb.core.errors",
    "IssuerMismatch": "telnyx_nb.core.errors",
    "JWTVerificationError": "telnyx_nb.core.errors",
    "TokenPanel": "telnyx_nb.widgets",
    "IntrospectionPanel": "telnyx_nb.widgets",
    "JWKSPanel": "telnyx_nb.widgets",
    "AuthorizePanel": "telnyx_nb.widgets",
    "ClientsPanel": "telnyx_nb.widgets",
    "GrantsPanel": "telnyx_nb.widgets",
    "Explorer": "telnyx_nb.widgets",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'telnyx_nb' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this hook
    return value


def __dir__() -> list[str]:
    return __all__
