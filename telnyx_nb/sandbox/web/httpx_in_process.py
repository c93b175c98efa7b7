"""The in-process sandbox under ``httpx``: ``httpx.Client(transport=sandbox.httpx_transport())``.

Same routing as ``transports.InProcess``: the sandbox's own host and ``api.telnyx.com`` (where the official
``telnyx`` SDK fetches its client_credentials token) reach the app; any other host is an ``httpx.ConnectError``.
A drop fault is the ``httpx.RemoteProtocolError`` httpx raises when a server closes without answering.
``httpx.WSGITransport`` would do the WSGI call, but it routes every host to the app and passes the asked-for host
through; this one refuses strangers and shows the app its own host.
"""

from __future__ import annotations

import httpx

from telnyx_nb.sandbox.web.faults import ConnectionDropped
from telnyx_nb.sandbox.web.in_process import SDK_HOSTS, InProcess, UnknownHost

__all__ = ["SandboxTransport"]


class SandboxTransport(httpx.BaseTransport):
    """An ``httpx`` transport that answers from the sandbox's WSGI app, in-process."""

    def __init__(self, sandbox, hosts: tuple[str, ...] = SDK_HOSTS) -> None:
        self.app = InProcess(sandbox, hosts)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        try:
            answer = self.app.call(request.method, str(request.url), request.headers.multi_items(), body)
        except UnknownHost as exc:
            raise httpx.ConnectError(str(exc), request=request) from None
        except ConnectionDropped:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.",
                                            request=request) from None
        return httpx.Response(answer.status, headers=answer.headers, content=answer.body, request=request)

    def close(self) -> None:
        """``httpx.Client.close()`` calls this: from then on the transport refuses (``SandboxClosed``)."""
        self.app.close()
