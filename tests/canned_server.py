"""A tiny HTTP server on 127.0.0.1 that answers what a test scripts: for answers the sandbox never gives.

``serve(respond)`` calls ``respond(method, path, headers)`` for each request and sends back the
``(status, headers, body)`` it returns; it yields the server's ``/v2`` base URL and stops when the block ends.
``Script`` is such a ``respond`` that plays answers in order; ``transport`` is a ``SendLoop`` with its request log
collected in a list, so a test counts attempts on both sides.
"""

from __future__ import annotations

import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from telnyx_nb.api.request_log import RequestRecord
from telnyx_nb.api.send_loop import SendLoop

BODY = b'{"errors": [{"code": "x", "title": "scripted", "detail": "scripted answer"}]}'


@contextlib.contextmanager
def serve(respond):
    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            status, headers, body = respond(self.command, self.path, self.headers)
            self.send_response(status)
            for name, value in {"content-type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v2"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class Script:
    """Answers ``(status, headers)`` in order (the last one repeats) with ``body``, counting what arrived."""

    def __init__(self, *answers, body=BODY):
        self.answers = list(answers)
        self.body = body
        self.seen: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def __call__(self, method, path, headers):
        with self.lock:
            self.seen.append((method, path))
            status, extra = self.answers[min(len(self.seen), len(self.answers)) - 1]
        return status, extra, self.body


def transport(base_url, **kwargs) -> tuple[SendLoop, list[RequestRecord]]:
    """A ``SendLoop`` on ``base_url`` and the list its request log fills, one record an attempt."""
    tx = SendLoop(base_url, **kwargs)
    records: list[RequestRecord] = []
    tx.add_listener(records.append)
    return tx, records


def as_json(value) -> bytes:
    """A canned answer's body."""
    return json.dumps(value).encode()


def client_json(n: int, **extra) -> dict:
    """An ``oauth_client`` object as the real API sends it (no ``verified``), with ``extra`` fields changed."""
    return {"client_id": f"c{n}", "name": f"client {n}", "client_type": "confidential",
            "allowed_grant_types": ["client_credentials"], "allowed_scopes": ["messaging"],
            "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-02T00:00:00Z", **extra}
