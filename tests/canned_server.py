"""A tiny HTTP server on 127.0.0.1 that answers what a test scripts: for answers the sandbox never gives.

``serve(respond)`` calls ``respond(method, path, headers)`` for each request and sends back the
``(status, headers, body)`` it returns; it yields the server's ``/v2`` base URL and stops when the block ends.
"""

from __future__ import annotations

import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


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


def as_json(value) -> bytes:
    """A canned answer's body."""
    return json.dumps(value).encode()


def client_json(n: int, **extra) -> dict:
    """An ``oauth_client`` object as the real API sends it (no ``verified``), with ``extra`` fields changed."""
    return {"client_id": f"c{n}", "name": f"client {n}", "client_type": "confidential",
            "allowed_grant_types": ["client_credentials"], "allowed_scopes": ["messaging"],
            "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-02T00:00:00Z", **extra}
