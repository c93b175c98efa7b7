"""The Telnyx OAuth API over ``requests``: one method per endpoint, typed records, retries, PKCE, JWT checks.

``telnyx_nb.api`` never imports ``telnyx_nb.sandbox``: the two meet over HTTP only (``connect()`` alone may start
an in-process sandbox, and it imports it only then).
"""

from __future__ import annotations

from telnyx_nb.api.client import TelnyxOAuth
from telnyx_nb.api.connect import connect
from telnyx_nb.api.transport import RequestRecord

__all__ = ["TelnyxOAuth", "connect", "RequestRecord"]
