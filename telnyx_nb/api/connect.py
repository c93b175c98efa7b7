"""``connect()``: the one-liner every notebook starts with — real API, a running sandbox, or a fresh one.

Resolution order (docs/ARCHITECTURE.md, "Connecting"):

1. ``TELNYX_API_KEY``, or ``TELNYX_CLIENT_ID`` + ``TELNYX_CLIENT_SECRET`` → the real API (``TELNYX_BASE_URL`` or
   production);
   (blank values count as unset);
2. ``TELNYX_NB_SANDBOX`` (a sandbox's ``--json`` line, or its base URL plus ``TELNYX_NB_SANDBOX_API_KEY``) → that
   running sandbox;
3. otherwise → start an in-process ``Sandbox(seed="demo", db=":memory:")``; the client keeps it alive and stops it
   on ``close()``. Only this branch imports ``telnyx_nb.sandbox``.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from telnyx_nb.api.client import TelnyxOAuth

__all__ = ["connect"]


def connect(**kwargs: Any) -> TelnyxOAuth:
    """A ready ``TelnyxOAuth``; ``.target`` says what it talks to. Keyword arguments go to the client."""
    def setting(name: str) -> str:  # a blank value counts as unset: TELNYX_API_KEY="  " must not mean production
        return os.environ.get(name, "").strip()

    if setting("TELNYX_API_KEY") or (setting("TELNYX_CLIENT_ID") and setting("TELNYX_CLIENT_SECRET")):
        return TelnyxOAuth(**kwargs)
    described = setting("TELNYX_NB_SANDBOX")
    if described:
        return TelnyxOAuth.from_sandbox(described, **kwargs)
    server = importlib.import_module("telnyx_nb.sandbox.server")
    sandbox = server.Sandbox(seed="demo", db=":memory:").start()
    client = TelnyxOAuth.from_sandbox(sandbox, **kwargs)
    client._owns_sandbox = True
    return client
