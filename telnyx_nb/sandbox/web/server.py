"""``Sandbox``: the embedded Telnyx OAuth server, served by waitress from a background thread.

    with Sandbox(seed="demo") as sb:
        print(sb.base_url, sb.api_key, sb.demo_client_id)

``db=":memory:"`` is a throwaway database (a temporary WAL file removed on stop, so that every worker thread sees
the same data); any other value is a file path that keeps clients, grants, keys and the API key across restarts.
Seeds (``store/seeding.py``): ``"demo"``, ``"empty"``, ``"grants=N"`` or ``"accounts=N,grants=M"`` (a fleet:
``store/fleet.py``); seeding a database that already holds data adds nothing twice. ``reset=True`` deletes a file
database first, so the seed starts over (the demo's revoked grants come back). The keyword arguments become one
``SandboxConfig`` (``config.py``, checked once; bad values raise ``telnyx_nb.core.errors.ConfigurationError``),
which the Authlib server and the routes share.

``start(serve=False)`` builds the same app without serving it: ``requests_adapter()`` and ``httpx_transport()``
call it in-process (no socket, no thread), and ``serve()`` starts the loopback server later on the port reserved
at start. Where sockets are disabled altogether the sandbox still runs in-process, under ``IN_PROCESS_ROOT``.
``clock`` is the sandbox's notion of now (``clock.advance(seconds)`` expires tokens without sleeping).
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import socket
import string
import tempfile
import threading
import uuid
from datetime import datetime

from telnyx_nb.sandbox.clock import Clock
from telnyx_nb.sandbox.config import SandboxConfig
from telnyx_nb.sandbox.http.hosts import LOOPBACK_NAMES
from telnyx_nb.sandbox.policy.rate_limits import DEFAULT_REGISTRATION_RATE
from telnyx_nb.sandbox.policy.terms import (
    ACCESS_TOKEN_LIFETIME,
    CODE_LIFETIME,
    CONSENT_LIFETIME,
    REFRESH_REUSE_GRACE,
    REFRESH_TOKEN_LIFETIME,
)
from telnyx_nb.sandbox.store.seeding import demo_credentials, seed_store, seeded_at
from telnyx_nb.sandbox.web.shutdown import shut_down

__all__ = ["IN_PROCESS_ROOT", "Sandbox", "delete_database", "exposure_warning", "new_api_key",
           "private_database_file"]
_API_KEY_SETTING = "api_key"


class _QueueDepthLog:
    """Waitress warns "Task queue depth is N" whenever a request waits for a busy worker thread. For a sandbox that
    is expected load (a fleet audit opens more connections than there are threads), and in a process with no
    logging set up, such as a Jupyter kernel, Python prints every such warning to stderr, into the notebook's output.
    The sandbox keeps the message, at DEBUG, under ``telnyx_nb.sandbox.queue``."""

    _log = logging.getLogger("telnyx_nb.sandbox.queue")

    def warning(self, message: str, *args) -> None:
        self._log.debug(message, *args)


_QUEUE_DEPTH_LOG = _QueueDepthLog()
# The root URL of a sandbox that could not reserve a port (sockets disabled): reachable in-process only.
# RFC 6761 §6.4: .invalid names never resolve, so nothing on a network can answer for it by mistake.
IN_PROCESS_ROOT = "http://telnyx-sandbox.invalid"


API_KEY_ALPHABET = string.ascii_letters + string.digits + "_-"
API_KEY_PATTERN = re.compile(r"^KEY[0-9A-Za-z_-]{55}$")  # Telnyx's shape, the one secret scanners look for


def new_api_key() -> str:
    """A key in Telnyx's shape: ``KEY`` + 55 characters of ``[0-9A-Za-z_-]``."""
    return "KEY" + "".join(secrets.choice(API_KEY_ALPHABET) for _ in range(55))


def private_database_file(path: str) -> None:
    """The database holds the API key, the signing key and every hash: its directory is created 0700 and the
    file 0600 (SQLite gives its -wal and -shm files the database file's mode). An existing file is narrowed to
    0600 too; an existing directory is the user's and is left as it is."""
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def exposure_warning(host: str) -> str | None:
    """The warning for a bind beyond loopback: plain HTTP and the API key are then on the network."""
    if host.strip("[]").lower() in LOOPBACK_NAMES or host.startswith("127."):
        return None
    return (f"WARNING: listening on {host}, beyond loopback: other machines can reach this sandbox over plain "
            "HTTP, and its API key and tokens cross the network unencrypted. Use it on trusted networks only.")


def delete_database(path: str) -> list[str]:
    """Remove a SQLite file database and its WAL/shared-memory companions; returns the files removed."""
    removed = []
    for name in (path, path + "-wal", path + "-shm", path + "-journal"):
        try:
            os.remove(name)
            removed.append(name)
        except FileNotFoundError:
            continue
    return removed


class Sandbox:
    """A Telnyx OAuth sandbox on loopback. ``start()`` returns self; ``stop()`` finishes in-flight requests."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, db: str = ":memory:", seed: str = "demo",
                 api_key: str | None = None, *, threads: int = 8, reset: bool = False,
                 access_token_ttl: int = ACCESS_TOKEN_LIFETIME, refresh_token_ttl: int = REFRESH_TOKEN_LIFETIME,
                 scopes=None, registrable_scopes=None, public_urls=(),
                 refresh_reuse_grace: float = REFRESH_REUSE_GRACE, signing_key=None,
                 code_ttl: int = CODE_LIFETIME, consent_ttl: int = CONSENT_LIFETIME, proxy_prefix: str | None = None,
                 rate_limit: str | None = None, registration_rate_limit: str | None = DEFAULT_REGISTRATION_RATE):
        # signing_key: a private RS256 JWK (or a keys.KeyRing) for a new database; test suites reuse one, since
        # making RSA keys is the slow part of a start. A database that already holds a key keeps its own.
        # Short lifetimes let tests of expiry and refresh run on the real clock (no time patching).
        # rate_limit ("20/s", "1200/min", …; off by default) and registration_rate_limit (per source address,
        # default 20/min; None turns it off): policy/rate_limits.py.
        self.config = SandboxConfig(
            host=host, port=port, db=db, seed=seed, api_key=api_key, threads=threads, reset=reset,
            access_token_ttl=access_token_ttl, refresh_token_ttl=refresh_token_ttl, code_ttl=code_ttl,
            consent_ttl=consent_ttl, scopes=scopes, registrable_scopes=registrable_scopes, public_urls=public_urls,
            refresh_reuse_grace=refresh_reuse_grace, proxy_prefix=proxy_prefix, rate_limit=rate_limit,
            registration_rate_limit=registration_rate_limit)
        self.seeded_at: datetime | None = None  # when the seed filled this database (None: empty seed, or unknown)
        self.api_key: str | None = None  # the key in use (config.api_key is only an override)
        self.demo_client_id: str | None = None
        self.demo_client_secret: str | None = None
        self.store = None
        self.app = None
        self.faults = None  # the armed faults (web.faults.Faults) once started
        self.rate_limits = None  # the limiters' windows (policy.rate_limits.RateLimits) once started
        self._server = None
        self._thread: threading.Thread | None = None
        self._tmpdir: str | None = None
        self._lock = threading.Lock()
        self._signing_key = signing_key
        self._socket: socket.socket | None = None
        self.clock = Clock()

    # ----- where it is and what it holds (every other option: ``sb.config``) ----------------------------------------
    @property
    def base_url(self) -> str | None:
        """The API's base URL (``<root_url>/v2``) once started; None before."""
        return self.config.base_url

    @property
    def root_url(self) -> str | None:
        """The host root (``http://127.0.0.1:<port>``, or ``IN_PROCESS_ROOT``) once started; None before."""
        return self.config.root_url

    @property
    def host(self) -> str:
        return self.config.host

    @property
    def port(self) -> int:
        """The port reserved at start (0 before: the system picks one)."""
        return self.config.port

    @property
    def db(self) -> str:
        """``":memory:"`` (a throwaway database) or the file path as given."""
        return self.config.db

    @property
    def seed(self) -> str:
        return self.config.seed

    def __repr__(self) -> str:  # the API key and secrets stay out of reprs
        where = self.base_url or "not started"
        return f"<Sandbox {where} db={self.db!r} seed={self.seed!r}>"

    # ----- lifecycle -------------------------------------------------------------------------------------------
    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """True while the loopback HTTP server serves (an in-process-only sandbox is not 'running')."""
        return self._server is not None

    def start(self, *, serve: bool = True) -> Sandbox:
        """Build the store and the app (once) and, unless ``serve=False``, serve them on loopback."""
        with self._lock:
            if self.app is None:
                try:
                    self._start()
                except BaseException:
                    self._cleanup()
                    raise
            if serve and self._server is None:
                self._serve()
        return self

    def serve(self) -> Sandbox:
        """Serve over HTTP on the port reserved at start (an in-process sandbox starts its server late)."""
        return self.start(serve=True)

    def _reserve_socket(self) -> socket.socket | None:
        """Bind (not yet listen on) the port, so the URL is known before any thread starts; None if sockets are
        disabled (pytest-socket and the like), when the sandbox runs in-process only."""
        host, port = self.config.host, self.config.port
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except Exception:  # noqa: BLE001 - blockers raise their own types (e.g. a RuntimeError subclass)
            return None
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
        except BaseException:
            sock.close()
            raise
        return sock

    def _start(self) -> None:
        from telnyx_nb.sandbox.policy.rate_limits import RateLimits
        from telnyx_nb.sandbox.protocol.authorization_server import SandboxAuthorizationServer
        from telnyx_nb.sandbox.protocol.keys import KeyRing
        from telnyx_nb.sandbox.store.database import Store
        from telnyx_nb.sandbox.web.app import SandboxState, create_app
        from telnyx_nb.sandbox.web.faults import Faults

        config = self.config
        if config.throwaway:
            self._tmpdir = tempfile.mkdtemp(prefix="telnyx-nb-sandbox-")
            path = os.path.join(self._tmpdir, "sandbox.sqlite3")
        else:
            path = os.path.abspath(os.path.expanduser(config.db))
            if config.reset:
                delete_database(path)
            private_database_file(path)
        self.store = store = Store(path, clock=self.clock, durable=not config.throwaway)
        keyring = KeyRing.load_or_create(store, self._signing_key)
        seed_store(store, config.seed, self.clock.now())
        if config.api_key:  # --api-key wins and is kept for the next start on this database
            store.set_setting(_API_KEY_SETTING, config.api_key)
        self.api_key = store.set_setting_once(_API_KEY_SETTING, new_api_key())
        org_id = store.set_setting_once("org_id", str(uuid.uuid4()))
        user_id = store.set_setting_once("user_id", str(uuid.uuid4()))
        self.seeded_at = seeded_at(store)
        self.demo_client_id, self.demo_client_secret = demo_credentials(store)

        self._socket = self._reserve_socket()
        if self._socket is not None:
            port = self._socket.getsockname()[1]
            shown_host = config.host if config.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
            if ":" in shown_host:
                shown_host = f"[{shown_host}]"
            root_url = f"http://{shown_host}:{port}"
        else:
            port, root_url = config.port, IN_PROCESS_ROOT
        self.config = config = config.bound(root_url=root_url, port=port, org_id=org_id, user_id=user_id)
        oauth = SandboxAuthorizationServer(store, keyring, config)
        limits = RateLimits(config.rate_limit, config.registration_rate_limit, self.clock)
        state = SandboxState(store=store, oauth=oauth, config=config, api_key=self.api_key, faults=Faults(),
                             rate_limits=limits)
        self.app = create_app(state)
        self.faults = state.faults
        self.rate_limits = limits

    def _serve(self) -> None:
        from waitress import create_server
        from waitress.channel import ClientDisconnected

        from telnyx_nb.sandbox.web.faults import ConnectionDropped
        from telnyx_nb.sandbox.web.http_limits import JsonErrorChannel, server_limits

        if self._socket is None:
            raise RuntimeError("this sandbox could not open a socket (are sockets disabled?); reach it in-process "
                               "with requests_adapter() or httpx_transport()")
        app = self.app

        def wsgi(environ, start_response):
            try:
                return app(environ, start_response)
            except ConnectionDropped:  # an armed drop fault: close the connection without an answer
                raise ClientDisconnected() from None

        # Slow clients (slowloris): waitress reads headers asynchronously, so a connection trickling bytes holds no
        # worker thread, only a slot; with poll() (not select(), capped at 1024 descriptors) there is room for
        # 1000 of them, and idle ones are reaped every 5 s after 15 s of silence. Waitress has no deadline for a
        # whole request head, so a client that trickles forever keeps its slot: beyond ~1000 such clients a
        # server with a header deadline (nginx's client_header_timeout, or uvicorn/h11's) in front is the fix.
        self._server = server = create_server(
            wsgi, sockets=[self._socket], threads=self.config.threads, ident="telnyx-nb-sandbox",
            clear_untrusted_proxy_headers=True, channel_timeout=15, cleanup_interval=5, connection_limit=1000,
            asyncore_use_poll=True, **server_limits())
        server.channel_class = JsonErrorChannel  # waitress's own 413/431/400 in the error shape
        server.task_dispatcher.queue_logger = _QUEUE_DEPTH_LOG
        self._socket = None  # waitress owns (and closes) it now
        self._thread = threading.Thread(target=server.run, name=f"telnyx-nb-sandbox:{self.port}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, let in-flight requests finish (up to ``timeout`` seconds), then close everything."""
        with self._lock:
            server, self._server = self._server, None
            if server is not None:
                shut_down(server, self._thread, timeout)
            self._cleanup()

    def _cleanup(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        self.app = None
        if self.store is not None:
            self.store.close()
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    # ----- in-process transports (in_process.py, httpx_in_process.py) -----------------------------------------------
    def requests_adapter(self, **kwargs):
        """A ``requests`` adapter calling this sandbox's app in-process (mount it on a Session for its URLs)."""
        from telnyx_nb.sandbox.web.in_process import SandboxAdapter

        return SandboxAdapter(self._started(), **kwargs)

    def requests_session(self, **kwargs):
        """A ``requests.Session`` whose requests to this sandbox (and ``api.telnyx.com``) stay in-process."""
        from telnyx_nb.sandbox.web.in_process import sandbox_session

        return sandbox_session(self._started(), **kwargs)

    def httpx_transport(self, **kwargs):
        """An ``httpx.BaseTransport`` for ``httpx.Client(transport=...)``: in-process, also for api.telnyx.com."""
        from telnyx_nb.sandbox.web.httpx_in_process import SandboxTransport

        return SandboxTransport(self._started(), **kwargs)

    def _started(self) -> Sandbox:
        return self if self.app is not None else self.start(serve=False)

    # ----- what clients need --------------------------------------------------------------------------------------
    def credentials(self) -> dict:
        return {"base_url": self.base_url, "api_key": self.api_key, "demo_client_id": self.demo_client_id,
                "demo_client_secret": self.demo_client_secret}

    def json_line(self) -> str:
        """The one-line JSON the CLI prints with ``--json`` (and ``TELNYX_NB_SANDBOX`` accepts); with a custom scope
        catalog it says so (``"scope_catalog": "custom"`` and the ``scopes`` it publishes, not Telnyx's)."""
        line = self.credentials()
        if self.config.scopes.custom:
            line.update(scope_catalog="custom", scopes=list(self.config.scopes.names))
        return json.dumps(line, separators=(", ", ": "))
