"""``connect()``: the one-liner every notebook starts with — real API, a running sandbox, or a fresh one.

Resolution order (docs/ARCHITECTURE.md, "Connecting"):

1. ``TELNYX_API_KEY``, or ``TELNYX_CLIENT_ID`` + ``TELNYX_CLIENT_SECRET`` → the real API (``TELNYX_BASE_URL`` or
   production);
2. ``TELNYX_NB_SANDBOX`` (a sandbox's ``--json`` line, or its base URL plus ``TELNYX_NB_SANDBOX_API_KEY``) → that
   running sandbox;
3. otherwise → start an in-process ``Sandbox(seed="demo", db=":memory:")``; the client keeps it alive and stops it
   on ``close()``. Only this branch imports ``telnyx_nb.sandbox``.

Every variable is read by :mod:`telnyx_nb.core.settings` (blank values count as unset). This module sits above
both the API module and the sandbox (it is the one place that knows both), so neither of them imports the other.
"""

from __future__ import annotations

from typing import Any

from telnyx_nb.api.client import TelnyxOAuth
from telnyx_nb.core import settings

__all__ = ["connect"]


def connect(**kwargs: Any) -> TelnyxOAuth:
    """A ready ``TelnyxOAuth``; ``.target`` says what it talks to. Keyword arguments go to the client."""
    env = settings.read()  # the same reader TelnyxOAuth uses, so both agree on what is set
    if env.target == "api":
        client = TelnyxOAuth(**kwargs)
    elif env.target == "sandbox":
        client = TelnyxOAuth.from_sandbox(env.sandbox_info(), **kwargs)
    else:
        from telnyx_nb.sandbox import Sandbox  # Flask, Authlib and waitress load only on this branch

        sandbox = Sandbox(seed="demo", db=":memory:").start()
        client = TelnyxOAuth.from_sandbox(sandbox, **kwargs)
        client._owns_sandbox = True
    # which variable chose the target; the target text itself says so when it overrides another one the user set
    # (real credentials beside TELNYX_NB_SANDBOX: the sandbox's export line does not win)
    client.choice = env.describe_choice()
    client._choice_in_target = bool(env.overridden)
    return client
