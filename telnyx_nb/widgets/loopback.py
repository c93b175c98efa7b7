"""A short-lived loopback listener that catches the authorization redirect, as native apps do (RFC 8252 §7.3).

The Authorize panel starts one in the kernel on ``127.0.0.1`` (a port the user registered, or any free one), sends
its address as the ``redirect_uri``, and gets back the URL the browser was redirected to. The browser tab shows
"approved" or "denied" and can be closed. One redirect is accepted, then the listener stops; it also stops after
``lifetime`` seconds, so an abandoned sign-in leaves nothing listening. Only a redirect carrying the pending
request's ``state`` counts (RFC 6749 §10.12): the port is well known (8976) and any page can make the browser
request ``/callback?code=…`` (an ``<img>``); such a request is answered 400 and the listener keeps waiting.

On a JupyterHub (Binder) the browser cannot reach the container's 127.0.0.1: the listener is reached through
jupyter-server-proxy at ``{origin}{JUPYTERHUB_SERVICE_PREFIX}proxy/{port}/callback``, which the client must have
registered as a redirect URI. The origin (``https://hub.example.org``) is not known inside the container: it comes
from ``TELNYX_NB_PUBLIC_URL`` (or JupyterHub's ``JUPYTERHUB_PUBLIC_URL``) when set. Without either (a stock Binder),
the panel's link opens the listener's **start page** first, through the proxy by a root-relative address
(``{prefix}proxy/{port}/start``, which the browser resolves against the public origin). Its script sends
``location.origin`` to ``begin``; the listener accepts it only when it names the host the request came in on (the
``Host`` header jupyter-server-proxy passes on) and, when the proxy says where it serves the listener
(``X-Forwarded-Context``), only when that is ``{prefix}proxy/{port}``. It then knows its public callback URL, asks the
panel for an authorization URL with that redirect URI, and redirects the browser there. ``Host`` is the requester's
to choose, so ``start`` and ``begin`` also require the listener's **nonce** (256 random bits, only in the panel's
link): without it they answer 403, and no redirect URI is ever registered and no pending request replaced because of
a request that did not come from that link. Once begun, the sign-in stays on its origin (another one: 409).

The code in the redirect is a secret: nothing here logs a request line, and the page the browser sees does not
repeat the code.
"""

from __future__ import annotations

import hmac
import html
import os
import secrets
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

__all__ = ["LoopbackListener", "browser_url", "is_loopback_uri", "public_origin", "LISTENER_PORT", "START_PATH"]

LISTENER_PORT = 8976  # the fixed port the demo client registers (DEMO_REDIRECT_URIS); any free one otherwise
LIFETIME = 600.0  # seconds a listener waits for the browser before it gives up
START_PATH = "/start"  # the start page (hub without a known origin): learns the origin in the browser
BEGIN_PATH = "/begin"  # where the start page sends ``origin``; answers with the redirect to the authorization URL
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


def service_prefix(environ: dict | None = None) -> str:
    """This Jupyter server's path on a JupyterHub (``/user/alice/``), '' elsewhere."""
    env = os.environ if environ is None else environ
    return (env.get("JUPYTERHUB_SERVICE_PREFIX") or "").strip()


def browser_url(url: str, environ: dict | None = None, *, origin: str | None = None) -> str:
    """An address the user's browser can open for a loopback ``url``: through jupyter-server-proxy on a JupyterHub
    (``{prefix}proxy/{port}/…``, absolute when the origin is known — ``origin`` or the environment), unchanged
    everywhere else."""
    env = os.environ if environ is None else environ
    prefix = service_prefix(env)
    parts = urlsplit(url)
    if not prefix or parts.hostname not in _LOOPBACK_HOSTS or parts.port is None:
        return url
    path = f"{prefix.rstrip('/')}/proxy/{parts.port}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")
    return (origin or public_origin(env) or "") + path


def _origin_of(text: str) -> str | None:
    """``scheme://host[:port]`` when ``text`` is exactly an http(s) origin (as ``location.origin`` gives it)."""
    parts = urlsplit(text or "")
    if parts.scheme in ("http", "https") and parts.netloc and not parts.path and not parts.query \
            and not parts.fragment and "@" not in parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="referrer" content="no-referrer"></head>
<body style="font-family:system-ui,sans-serif;max-width:38em;margin:4em auto;line-height:1.5">
<h1 style="color:{colour}">{title}</h1><p>{message}</p></body></html>"""

# The start page: the browser alone knows the public origin (``location``); the relative ``begin`` resolves against
# the proxied address this page was opened under.
_START_SCRIPT = ("<script>location.replace({begin} + encodeURIComponent(location.origin));</script>"
                 "<noscript>Scripts are off: copy the address the sign-in ends on into the notebook's paste box."
                 "</noscript>")


def _same(given: list[str] | None, expected: str | None) -> bool:
    """Exactly one value equal to ``expected`` (constant time); never true when nothing is expected."""
    return bool(expected) and given is not None and len(given) == 1 and hmac.compare_digest(
        given[0].encode(), expected.encode())


class _Handler(BaseHTTPRequestHandler):
    server_version = "telnyx-nb-loopback"
    listener: LoopbackListener

    def log_message(self, format: str, *args) -> None:  # the request line holds the code: never log it
        return

    def do_GET(self) -> None:  # noqa: N802 (http.server's spelling)
        listener = self.listener
        parts = urlsplit(self.path)
        starting = listener.on_start is not None and listener.needs_start_page
        if starting and parts.path.endswith((START_PATH, BEGIN_PATH)):
            self._start_or_begin(parts.path, parse_qs(parts.query))
            return
        # jupyter-server-proxy strips /proxy/<port>; its /proxy/absolute/<port>/ form keeps the full path
        if not parts.path.endswith(listener.path):
            self._answer(404, "Not found", f"This listener only answers {listener.path}.", "#a00")
            return
        query = parse_qs(parts.query)
        if "code" not in query and "error" not in query:
            self._answer(400, "Nothing to receive", "This address expects the authorization server's redirect "
                         "(with code and state, or error).", "#a00")
            return
        if not _same(query.get("state"), listener.expected_state()):  # RFC 6749 §10.12: not our sign-in
            self._answer(400, "Not this sign-in", "This redirect does not carry the state of the sign-in the "
                         "notebook is waiting for; the notebook keeps waiting for its own.", "#a00")
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

    def _start_or_begin(self, path: str, query: dict) -> None:
        """The start page, or its ``begin``: only for a request carrying the panel link's nonce."""
        listener = self.listener
        if not _same(query.get("n"), listener.nonce):
            self._answer(403, "Not this sign-in", "Open the sign-in link from the notebook's Authorize panel.",
                         "#a00")
            return
        if path.endswith(START_PATH):
            begin = f"'begin?n={listener.nonce}&origin='"  # token_urlsafe: [A-Za-z0-9_-] only, safe in a script
            self._answer(200, "Signing in…", "Taking you to the authorization server."
                         + _START_SCRIPT.format(begin=begin), "#555")
            return
        self._begin(query)

    def _begin(self, query: dict) -> None:
        """The start page's origin → the public callback URL → a redirect to the authorization URL built for it."""
        listener = self.listener
        origin = _origin_of((query.get("origin") or [""])[0])
        host = (self.headers.get("Host") or "").strip().lower()
        context = self.headers.get("X-Forwarded-Context")
        expected_context = f"{service_prefix(listener._environ).rstrip('/')}/proxy/{listener.port}"
        if origin is None or urlsplit(origin).netloc.lower() != host:
            self._answer(400, "Wrong address", "The start page must be opened through this Jupyter server's proxy "
                         "(its origin must be the host this request came to).", "#a00")
            return
        if context is not None and context.rstrip("/") != expected_context:
            self._answer(400, "Wrong address", "This listener is not served under "
                         f"<code>{html.escape(context)}</code>.", "#a00")
            return
        if listener.received is not None:
            self._answer(409, "Already received", "This sign-in already finished; start a new one in the "
                         "notebook.", "#a60")
            return
        if listener.begun_origin not in (None, origin):
            self._answer(409, "Already begun", "This sign-in already began on another address; start a new one "
                         "in the notebook.", "#a60")
            return
        try:
            target = listener.begin(origin)
        except Exception as exc:  # shown in the tab; the panel shows its own error line
            self._answer(502, "Could not start the sign-in", html.escape(type(exc).__name__) + ": see the "
                         "notebook.", "#a00")
            return
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Length", "0")
        self.end_headers()

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
    server sent it (``redirect_uri?code=…&state=…``); ``wait()`` returns the same. ``state``: the pending request's
    state, or a callable giving it (the panel's current request); a redirect without exactly that state is refused,
    and without a state nothing is accepted. ``on_start(redirect_uri)``, when given, serves the start page (a hub
    whose public origin is unknown): it returns the authorization URL for the public redirect URI the start page
    found, and the browser is sent there.
    """

    def __init__(self, port: int = LISTENER_PORT, path: str = "/callback", *, fallback: bool = True,
                 lifetime: float = LIFETIME, on_redirect: Callable[[str], None] | None = None,
                 environ: dict | None = None, uri_host: str = "127.0.0.1",
                 on_start: Callable[[str], str] | None = None,
                 state: str | Callable[[], str | None] | None = None) -> None:
        self.uri_host = uri_host  # how the redirect URI names this host (RFC 8252 §8.3 prefers 127.0.0.1)
        self.path = path if path.startswith("/") else "/" + path
        self.requested_port = port
        self.fallback = fallback
        self.lifetime = lifetime
        self.on_redirect = on_redirect
        self.on_start = on_start
        self.public_redirect_uri: str | None = None  # learnt by the start page
        self.begun_origin: str | None = None  # the hub origin the start page reported first
        self.nonce = secrets.token_urlsafe(32)  # in the start link only: start/begin require it
        self._state = state
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

    def expected_state(self) -> str | None:
        """The state a redirect must carry now (None: accept nothing)."""
        return self._state() if callable(self._state) else self._state

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
        if self.public_redirect_uri:
            return self.public_redirect_uri
        return browser_url(self.local_uri, self._environ) if self.behind_proxy else self.local_uri

    @property
    def behind_proxy(self) -> bool:
        """On a JupyterHub whose public origin is known from the environment."""
        env = os.environ if self._environ is None else self._environ
        return bool(service_prefix(env) and public_origin(env))

    @property
    def needs_start_page(self) -> bool:
        """On a JupyterHub whose public origin is unknown: the browser must tell it (:data:`START_PATH`)."""
        env = os.environ if self._environ is None else self._environ
        return bool(service_prefix(env)) and not public_origin(env)

    @property
    def start_url(self) -> str | None:
        """The root-relative address of the start page through jupyter-server-proxy (None when not needed)."""
        if not (self.port and self.needs_start_page):
            return None
        return f"{service_prefix(self._environ).rstrip('/')}/proxy/{self.port}{START_PATH}?n={self.nonce}"

    def describe(self) -> str:
        """What the listener is doing, as an HTML sentence for the panel (how the redirect will come back)."""
        if self.received:
            return "the redirect arrived."
        if not self.running:
            return "the listener stopped (timed out): build the URL again, or paste the address below."
        note = f"a listener on 127.0.0.1:{self.port} is waiting for the redirect."
        if self.moved:
            note += (f" (Port {self.requested_port} was taken; port {self.port} works where the server "
                     "accepts any loopback port, RFC 8252 §7.3 — else register it on the client.)")
        if self.behind_proxy or self.public_redirect_uri:
            note += (f" Through Jupyter's proxy its address is {html.escape(self.redirect_uri)}: the client "
                     "must have it registered as a redirect URI.")
        elif self.needs_start_page:
            proxied = f"{service_prefix(self._environ).rstrip('/')}/proxy/{self.port}{self.path}"
            note += (" The link opens a start page through Jupyter's proxy that finds this server's public "
                     f"address; the client must have <code>https://&lt;this hub&gt;{html.escape(proxied)}</code> "
                     "registered as a redirect URI.")
        return note

    def begin(self, origin: str) -> str:
        """The public redirect URI for ``origin``; returns where to send the browser (``on_start``'s URL, through
        the proxy when it is a loopback address)."""
        self.begun_origin = origin
        self.public_redirect_uri = browser_url(self.local_uri, self._environ, origin=origin)
        target = self.on_start(self.public_redirect_uri) if self.on_start is not None else ""
        return browser_url(target, self._environ, origin=origin)

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

