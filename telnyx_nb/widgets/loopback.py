"""A short-lived loopback listener that catches the authorization redirect, as native apps do (RFC 8252 §7.3).

The Authorize panel starts one in the kernel on ``127.0.0.1`` (a port the user registered, or any free one), sends
its address as the ``redirect_uri``, and gets back the URL the browser was redirected to. The browser tab shows
"approved" or "denied" and can be closed. One redirect is accepted, then the listener stops; it also stops after
``lifetime`` seconds, so an abandoned sign-in leaves nothing listening.

On a JupyterHub (Binder) the browser cannot reach the container's 127.0.0.1: the listener is reached through
jupyter-server-proxy at ``{origin}{JUPYTERHUB_SERVICE_PREFIX}proxy/{port}/callback``, which the client must have
registered as a redirect URI. The origin (``https://hub.example.org``) is not known inside the container, so it
comes from ``TELNYX_NB_PUBLIC_URL`` (or JupyterHub's ``JUPYTERHUB_PUBLIC_URL``); without it the redirect URI stays
the loopback one and the panel's paste box takes the address the browser ended on.

The code in the redirect is a secret: nothing here logs a request line, and the page the browser sees does not
repeat the code.
"""

from __future__ import annotations

import html
import os
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

__all__ = ["LoopbackListener", "browser_url", "is_loopback_uri", "public_origin", "LISTENER_PORT"]

LISTENER_PORT = 8976  # the fixed port the demo client registers (DEMO_REDIRECT_URIS); any free one otherwise
LIFETIME = 600.0  # seconds a listener waits for the browser before it gives up
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def is_loopback_uri(uri: str) -> bool:
    """An ``http://`` URI on a loopback host (RFC 8252 §7.3), the kind a listener in this kernel can receive."""
    parts = urlsplit(uri or "")
    return parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS


def public_origin(environ: dict | None = None) -> str | None:
    """The browser-side origin of this Jupyter server on a JupyterHub, when it is known (else None)."""
    env = os.environ if environ is None else environ
    for name in ("TELNYX_NB_PUBLIC_URL", "JUPYTERHUB_PUBLIC_URL"):
        value = (env.get(name) or "").strip()
        if value:
            parts = urlsplit(value)
            if parts.scheme in ("http", "https") and parts.netloc:
                return f"{parts.scheme}://{parts.netloc}"
    return None


def browser_url(url: str, environ: dict | None = None) -> str:
    """An address the user's browser can open for a loopback ``url``: through jupyter-server-proxy on a JupyterHub
    (``{prefix}proxy/{port}/…``, absolute when the origin is known), unchanged everywhere else."""
    env = os.environ if environ is None else environ
    prefix = (env.get("JUPYTERHUB_SERVICE_PREFIX") or "").strip()
    parts = urlsplit(url)
    if not prefix or parts.hostname not in _LOOPBACK_HOSTS or parts.port is None:
        return url
    path = f"{prefix.rstrip('/')}/proxy/{parts.port}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")
    return (public_origin(env) or "") + path


_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="referrer" content="no-referrer"></head>
<body style="font-family:system-ui,sans-serif;max-width:38em;margin:4em auto;line-height:1.5">
<h1 style="color:{colour}">{title}</h1><p>{message}</p></body></html>"""


class _Handler(BaseHTTPRequestHandler):
    server_version = "telnyx-nb-loopback"
    listener: LoopbackListener

    def log_message(self, format: str, *args) -> None:  # the request line holds the code: never log it
        return

    def do_GET(self) -> None:  # noqa: N802 (http.server's spelling)
        listener = self.listener
        parts = urlsplit(self.path)
        # jupyter-server-proxy strips /proxy/<port>; its /proxy/absolute/<port>/ form keeps the full path
        if not parts.path.endswith(listener.path):
            self._answer(404, "Not found", f"This listener only answers {listener.path}.", "#a00")
            return
        query = parse_qs(parts.query)
        if "code" not in query and "error" not in query:
            self._answer(400, "Nothing to receive", "This address expects the authorization server's redirect "
                         "(with code and state, or error).", "#a00")
            return
        accepted = listener._deliver(listener.redirect_uri + ("?" + parts.query if parts.query else ""))
        if not accepted:
            self._answer(409, "Already received", "This sign-in already finished; start a new one in the "
                         "notebook.", "#a60")
        elif "error" in query:
            error = query["error"][0]
            self._answer(200, "Access denied", f"The authorization server answered <code>error="
                         f"{html.escape(error)}</code>. Return to the notebook; you can close this tab.", "#a00")
        else:
            self._answer(200, "Approved", "The notebook received the authorization code and is exchanging it for "
                         "tokens. You can close this tab and return to the notebook.", "#070")

    def _answer(self, status: int, title: str, message: str, colour: str) -> None:
        body = _PAGE.format(title=html.escape(title), message=message, colour=colour).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")  # the URL carries the code
        self.end_headers()
        self.wfile.write(body)


class LoopbackListener:
    """``http.server`` on 127.0.0.1 in a daemon thread, receiving one authorization redirect.

    ``port``: the registered port (falls back to any free port when it is taken, if ``fallback``), or 0 for any
    free port. ``on_redirect(url)`` is called from the listener's thread with the redirect as the authorization
    server sent it (``redirect_uri?code=…&state=…``); ``wait()`` returns the same.
    """

    def __init__(self, port: int = LISTENER_PORT, path: str = "/callback", *, fallback: bool = True,
                 lifetime: float = LIFETIME, on_redirect: Callable[[str], None] | None = None,
                 environ: dict | None = None, uri_host: str = "127.0.0.1") -> None:
        self.uri_host = uri_host  # how the redirect URI names this host (RFC 8252 §8.3 prefers 127.0.0.1)
        self.path = path if path.startswith("/") else "/" + path
        self.requested_port = port
        self.fallback = fallback
        self.lifetime = lifetime
        self.on_redirect = on_redirect
        self._environ = environ
        self.port: int | None = None
        self.received: str | None = None
        self.moved = False  # True when the registered port was taken and another one is used
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._timer: threading.Timer | None = None

    def __repr__(self) -> str:
        state = "received" if self.received else ("listening" if self.running else "stopped")
        return f"<LoopbackListener {self.local_uri or 'not started'} {state}>"

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def local_uri(self) -> str | None:
        host = f"[{self.uri_host}]" if ":" in self.uri_host else self.uri_host
        return f"http://{host}:{self.port}{self.path}" if self.port else None

    @property
    def redirect_uri(self) -> str | None:
        """What the client sends (and must have registered): the proxied address on a JupyterHub whose public
        origin is known, else the loopback one."""
        if not self.port:
            return None
        return browser_url(self.local_uri, self._environ) if self.behind_proxy else self.local_uri

    @property
    def behind_proxy(self) -> bool:
        env = os.environ if self._environ is None else self._environ
        return bool((env.get("JUPYTERHUB_SERVICE_PREFIX") or "").strip() and public_origin(env))

    def start(self) -> LoopbackListener:
        handler = type("Handler", (_Handler,), {"listener": self})
        try:
            server = ThreadingHTTPServer(("127.0.0.1", self.requested_port), handler)
        except OSError:
            if not self.fallback or self.requested_port == 0:
                raise
            server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
            self.moved = True
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True,
                         name=f"telnyx-nb-loopback:{self.port}").start()
        self._timer = threading.Timer(self.lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def _deliver(self, url: str) -> bool:
        with self._lock:
            if self.received is not None:
                return False
            self.received = url
        self._done.set()

        def hand_over() -> None:  # off the handler's thread, so the browser gets its page at once
            self.stop()
            if self.on_redirect is not None:
                self.on_redirect(url)

        threading.Thread(target=hand_over, daemon=True, name="telnyx-nb-loopback-handover").start()
        return True

    def wait(self, timeout: float | None = None) -> str | None:
        """The redirect once received (None when ``timeout`` passes first)."""
        self._done.wait(timeout)
        return self.received

    def stop(self) -> None:
        with self._lock:
            server, self._server = self._server, None
        if self._timer is not None:
            self._timer.cancel()
        if server is not None:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> LoopbackListener:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

