"""``connect()``: the one-liner every notebook starts with — real API, a running sandbox, or a fresh one.

Resolution order (docs/ARCHITECTURE.md, "Connecting"):

1. ``TELNYX_API_KEY``, or ``TELNYX_CLIENT_ID`` + ``TELNYX_CLIENT_SECRET`` → the real API (``TELNYX_BASE_URL`` or
   production);
2. ``TELNYX_NB_SANDBOX`` (a sandbox's ``--json`` line, or its base URL) → that running sandbox;
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
    env = os.environ
    if env.get("TELNYX_API_KEY") or (env.get("TELNYX_CLIENT_ID") and env.get("TELNYX_CLIENT_SECRET")):
        return TelnyxOAuth(**kwargs)
    described = env.get("TELNYX_NB_SANDBOX", "").strip()
    if described:
        return TelnyxOAuth.from_sandbox(described, **kwargs)
    server = importlib.import_module("telnyx_nb.sandbox.server")
    sandbox = server.Sandbox(seed="demo", db=":memory:").start()
    client = TelnyxOAuth.from_sandbox(sandbox, **kwargs)
    client._owns_sandbox = True
    return client
