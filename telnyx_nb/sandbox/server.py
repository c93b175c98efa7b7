"""``Sandbox``: the embedded Telnyx OAuth server, served by waitress from a background thread.

    with Sandbox(seed="demo") as sb:
        print(sb.base_url, sb.api_key, sb.demo_client_id)

``db=":memory:"`` is a throwaway database (a temporary WAL file removed on stop, so that every worker thread sees
the same data); any other value is a file path that keeps clients, grants, keys and the API key across restarts.
Seeds: ``"demo"`` (the demo account of ``demo.py``), ``"empty"``, or ``"grants=N"`` (a synthetic account). Seeding
a database that already holds data adds nothing twice. ``reset=True`` deletes a file database first, so the seed
starts over (the demo's revoked grants come back); when a seed first filled the database is kept in its settings
(``seeded_at``), because the demo's ages are counted from that moment.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone

from .policy import ACCESS_TOKEN_LIFETIME, REFRESH_TOKEN_LIFETIME

SEED_PATTERN = re.compile(r"^(demo|empty|grants=(\d{1,7}))$")
_API_KEY_SETTING = "api_key"
_DEMO_CLIENT_SETTING = "demo_client"
_SEEDED_AT_SETTING = "seeded_at"


def new_api_key() -> str:
    """``KEY`` + 32 URL-safe characters."""
    return "KEY" + secrets.token_urlsafe(24)


def check_seed(seed: str) -> str:
    if not isinstance(seed, str) or not SEED_PATTERN.match(seed):
        raise ValueError(f"seed: use 'demo', 'empty' or 'grants=N' (e.g. 'grants=10000'); got {seed!r}")
    return seed


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


def describe_age(moment: datetime | None, now: datetime | None = None) -> str:
    """``'seeded 2026-11-30 10:00 UTC (3 days ago)'`` — what ``explore`` says about the demo data."""
    if moment is None:
        return "seeded at an unknown time (before telnyx-nb recorded it)"
    now = now or datetime.now(timezone.utc)
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 120:
        ago = "just now"
    elif seconds < 7200:
        ago = f"{seconds // 60} minutes ago"
    elif seconds < 2 * 86400:
        ago = f"{seconds // 3600} hours ago"
    else:
        ago = f"{seconds // 86400} days ago"
    return f"seeded {moment.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC ({ago})"


class Sandbox:
    """A Telnyx OAuth sandbox on loopback. ``start()`` returns self; ``stop()`` finishes in-flight requests."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, db: str = ":memory:", seed: str = "demo",
                 api_key: str | None = None, *, threads: int = 8, reset: bool = False,
                 access_token_ttl: int = ACCESS_TOKEN_LIFETIME, refresh_token_ttl: int = REFRESH_TOKEN_LIFETIME):
        # Short lifetimes let tests of expiry and refresh run on the real clock (no time patching).
        for name, value in (("access_token_ttl", access_token_ttl), ("refresh_token_ttl", refresh_token_ttl)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: use a whole number of seconds, at least 1; got {value!r}")
        self.access_token_ttl = access_token_ttl
        self.refresh_token_ttl = refresh_token_ttl
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port: use a number from 0 (any free port) to 65535; got {port!r}")
        if api_key is not None and (not isinstance(api_key, str) or not api_key.strip() or " " in api_key):
            raise ValueError("api_key: use a non-empty string without spaces, e.g. 'KEY' + 32 URL-safe characters")
        self.host = host
        self.port = port
        self.db = str(db)
        self.seed = check_seed(seed)
        self.reset = bool(reset)
        self.seeded_at: datetime | None = None  # when the seed filled this database (None: empty seed, or unknown)
        self._api_key_override = api_key
        self.threads = threads
        self.api_key: str | None = None
        self.demo_client_id: str | None = None
        self.demo_client_secret: str | None = None
        self.root_url: str | None = None
        self.base_url: str | None = None
        self.store = None
        self.app = None
        self._server = None
        self._thread: threading.Thread | None = None
        self._tmpdir: str | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # the API key and secrets stay out of reprs
        where = self.base_url or "not started"
        return f"<Sandbox {where} db={self.db!r} seed={self.seed!r}>"

    # ----- lifecycle -------------------------------------------------------------------------------------------
    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> "Sandbox":
        with self._lock:
            if self._server is not None:
                return self
            try:
                self._start()
            except BaseException:
                self._cleanup()
                raise
        return self

    def _start(self) -> None:
        from waitress import create_server

        from .app import SandboxState, create_app
        from .faults import Faults
        from .keys import KeyRing
        from .oauth import SandboxAuthorizationServer
        from .store import Store

        if self.db == ":memory:":
            self._tmpdir = tempfile.mkdtemp(prefix="telnyx-nb-sandbox-")
            path = os.path.join(self._tmpdir, "sandbox.sqlite3")
        else:
            path = os.path.abspath(os.path.expanduser(self.db))
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            if self.reset:
                delete_database(path)
        self.store = store = Store(path)
        keyring = KeyRing.load_or_create(store)
        self._seed(store)
        if self._api_key_override:  # --api-key wins and is kept for the next start on this database
            store.set_setting(_API_KEY_SETTING, self._api_key_override)
        self.api_key = store.set_setting_once(_API_KEY_SETTING, new_api_key())
        org_id = store.set_setting_once("org_id", str(uuid.uuid4()))
        user_id = store.set_setting_once("user_id", str(uuid.uuid4()))
        seeded_at = store.get_setting(_SEEDED_AT_SETTING)
        self.seeded_at = datetime.fromisoformat(seeded_at) if seeded_at else None
        demo = store.get_setting(_DEMO_CLIENT_SETTING)
        if demo:
            self.demo_client_id, self.demo_client_secret = json.loads(demo)

        app_holder: dict = {}

        def wsgi(environ, start_response):  # the app is built once the port is known
            return app_holder["app"](environ, start_response)

        self._server = server = create_server(
            wsgi, host=self.host, port=self.port, threads=self.threads, ident="telnyx-nb-sandbox",
            clear_untrusted_proxy_headers=True, channel_timeout=30, connection_limit=200)
        port = server.effective_port
        shown_host = self.host if self.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        if ":" in shown_host:
            shown_host = f"[{shown_host}]"
        self.port = port
        self.root_url = f"http://{shown_host}:{port}"
        self.base_url = f"{self.root_url}/v2"
        oauth = SandboxAuthorizationServer(store, keyring, issuer=self.root_url, resource=self.base_url,
                                           base_url=self.base_url, org_id=org_id, user_id=user_id,
                                           access_token_ttl=self.access_token_ttl,
                                           refresh_token_ttl=self.refresh_token_ttl)
        state = SandboxState(store=store, oauth=oauth, api_key=self.api_key, root_url=self.root_url,
                             base_url=self.base_url, org_id=org_id, user_id=user_id, faults=Faults())
        self.app = app_holder["app"] = create_app(state)
        self._thread = threading.Thread(target=server.run, name=f"telnyx-nb-sandbox:{port}", daemon=True)
        self._thread.start()

    def _seed(self, store) -> None:
        """Insert the chosen seed; ids already present are skipped, so reseeding adds nothing twice."""
        if self.seed == "empty":
            return
        from .demo import demo_dataset, synthetic_dataset

        now = datetime.now(timezone.utc)
        if store.is_empty():  # a database seeded before this was recorded stays "unknown", not "just now"
            store.set_setting_once(_SEEDED_AT_SETTING, now.isoformat(timespec="seconds"))
        if self.seed == "demo":
            clients, grants = demo_dataset(now)
        else:
            clients, grants = synthetic_dataset(int(self.seed.split("=", 1)[1]), now)
        for client in clients:  # ids are deterministic, secrets never are: a published secret would open any sandbox
            if client.get("secret"):
                client["secret"] = secrets.token_urlsafe(36)
        if clients and store.get_setting(_DEMO_CLIENT_SETTING) is None:
            demo_client = clients[0]
            store.set_setting_once(_DEMO_CLIENT_SETTING,
                                   json.dumps([demo_client["client_id"], demo_client.get("secret")]))
            store.set_setting_once("org_id", demo_client["org_id"])
            store.set_setting_once("user_id", demo_client["user_id"])
        store.insert_clients(clients)
        store.insert_grants(grants)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, let in-flight requests finish (up to ``timeout`` seconds), then close everything."""
        with self._lock:
            server, self._server = self._server, None
            if server is not None:
                self._shutdown(server, timeout)
            self._cleanup()

    def _shutdown(self, server, timeout: float) -> None:
        from waitress import wasyncore
        from waitress.channel import HTTPChannel

        closed = threading.Event()

        def stop_listening():
            wasyncore.dispatcher.close(server)  # the listening socket only; the trigger stays
            closed.set()

        server.trigger.pull_trigger(stop_listening)
        closed.wait(timeout)
        deadline = time.monotonic() + timeout
        dispatcher = server.task_dispatcher
        while time.monotonic() < deadline:
            channels = [c for c in list(server._map.values()) if isinstance(c, HTTPChannel)]
            busy = dispatcher.active_count or dispatcher.queue or any(c.requests or c.total_outbufs_len
                                                                      for c in channels)
            if not busy:
                break
            time.sleep(0.02)
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        if self._thread is not None:
            self._thread.join(timeout)
        dispatcher.shutdown(timeout=timeout)

    def _cleanup(self) -> None:
        if self.store is not None:
            self.store.close()
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    # ----- what clients need --------------------------------------------------------------------------------------
    def credentials(self) -> dict:
        return {"base_url": self.base_url, "api_key": self.api_key, "demo_client_id": self.demo_client_id,
                "demo_client_secret": self.demo_client_secret}

    def json_line(self) -> str:
        """The one-line JSON the CLI prints with ``--json`` (and ``TELNYX_NB_SANDBOX`` accepts)."""
        return json.dumps(self.credentials(), separators=(", ", ": "))
