"""What every route reads: one ``SandboxState`` per app, built by ``web.server.Sandbox`` and kept in the app's
``extensions`` so that a blueprint's views find it through Flask's ``current_app`` (no closures over it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask, current_app

if TYPE_CHECKING:
    from telnyx_nb.sandbox.config import SandboxConfig
    from telnyx_nb.sandbox.web.faults import Faults
    from telnyx_nb.sandbox.web.rate_limits import RateLimits

EXTENSION = "telnyx_nb.sandbox"


@dataclass
class SandboxState:
    """The store, the Authlib server (``protocol.authorization_server``) and the one ``SandboxConfig`` both read
    (URLs, account ids, bound host, public URLs), the API key in use, the armed faults and the rate limits."""

    store: object
    oauth: object  # protocol.authorization_server.SandboxAuthorizationServer
    config: SandboxConfig
    api_key: str
    faults: Faults
    rate_limits: RateLimits | None = None  # web/rate_limits.py; None: no limits at all


def attach(app: Flask, state: SandboxState) -> None:
    app.extensions[EXTENSION] = state


def sandbox_state() -> SandboxState:
    """The state of the app serving the current request."""
    return current_app.extensions[EXTENSION]
