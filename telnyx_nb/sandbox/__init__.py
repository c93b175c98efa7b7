"""The embedded Telnyx OAuth sandbox: a real OAuth 2.0 authorization server on loopback.

``Sandbox`` (in ``web/server.py``) is the public face; import it from here or from ``telnyx_nb``. Flask, Authlib and
waitress load only when a sandbox is built, so importing this package stays cheap.
"""

from __future__ import annotations

__all__ = ["Sandbox"]


def __getattr__(name):
    if name == "Sandbox":
        from .web.server import Sandbox

        return Sandbox
    raise AttributeError(name)
