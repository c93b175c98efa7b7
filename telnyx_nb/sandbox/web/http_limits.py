"""The caps of the served HTTP server, and its refusals in the sandbox's error shape.

Waitress reads a request's head and body before the app runs: without caps a stranger makes it buffer 1 GB of
body or 256 kB of headers per request. ``server_limits`` caps the head at ``MAX_HEADER_BYTES`` (431 beyond) and
the body it buffers at ``MAX_BUFFERED_BODY_BYTES`` (413 from the Content-Length alone); the app itself refuses a
body over ``MAX_BODY_BYTES`` (``app.refuse_oversize_body``). Waitress answers those refusals itself, in plain
text: ``JsonErrorChannel`` makes them the ``WireError`` shape every other answer has (``error``,
``error_description``, ``errors[]``), without echoing anything of the request.
"""

from __future__ import annotations

import json

from waitress.channel import HTTPChannel
from waitress.task import ErrorTask

from telnyx_nb.sandbox.http.wire_errors import WireError
from telnyx_nb.sandbox.policy.terms import MAX_BODY_BYTES, MAX_BUFFERED_BODY_BYTES, MAX_HEADER_BYTES

_DETAILS = {
    413: f"The request body exceeds {MAX_BODY_BYTES // 1024} KiB.",
    431: f"The request headers exceed {MAX_HEADER_BYTES // 1024} KiB (a Bearer token or API key is far shorter).",
}


def server_limits() -> dict:
    """waitress.create_server keyword arguments for the caps above."""
    return {"max_request_header_size": MAX_HEADER_BYTES, "max_request_body_size": MAX_BUFFERED_BODY_BYTES}


class JsonErrorTask(ErrorTask):
    """Waitress's own refusal (bad request line, head or body too large) as a JSON error answer."""

    def execute(self):
        error = self.request.error
        detail = _DETAILS.get(error.code, "The request could not be read as HTTP/1.1.")
        body = json.dumps(WireError(error.code, detail, title=error.reason).body()).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.extend([("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                                      ("X-Content-Type-Options", "nosniff")])
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class JsonErrorChannel(HTTPChannel):
    error_task_class = JsonErrorTask
