"""What the pytest fixtures hand a test: a sandbox plus the helpers a test of OAuth-using code needs.

``SandboxHarness`` wraps a started ``Sandbox``: credentials, in-process clients (``session()``, ``httpx_client()``,
``oauth()``, ``telnyx_client()``), ``create_client()`` / ``create_grant()`` / ``token()``, ``approve(url)`` (the
user on the consent page), ``faults`` and ``clock``. Everything in-process by default; ``base_url`` (and
``root_url``) start the loopback server the first time they are read, for code that only takes a URL.

``SandboxPool`` keeps one built sandbox per set of options for a whole test session and hands it out with its
database restored from a snapshot taken right after seeding (SQLite's backup API, well under a millisecond), so
each test sees a fresh store without paying for a new app, seed and signing key.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

__all__ = ["SandboxHarness", "SandboxPool", "FaultControl", "ArmedFault", "ApprovalError", "DEFAULT_REDIRECT_URI"]

DEFAULT_REDIRECT_URI = "http://localhost:8000/callback"
ALL_GRANT_TYPES = ("authorization_code", "client_credentials", "refresh_token")


class ApprovalError(AssertionError):
    """``approve()`` could not reach a consent page: the authorize request itself was refused."""


class ArmedFault:
    """One armed fault; a context manager that disarms it on exit. ``fired`` counts the requests it hit."""

    def __init__(self, faults, fault) -> None:
        self._faults = faults
        self.fault = fault
        self.count = fault.remaining

    @property
    def remaining(self) -> int:
        return max(0, self.fault.remaining)

    @property
    def fired(self) -> int:
        return self.count - self.remaining

    def disarm(self) -> None:
        self._faults.discard(self.fault)

    def __enter__(self) -> ArmedFault:
        return self

    def __exit__(self, *exc) -> None:
        self.disarm()

    def __repr__(self) -> str:
        return f"<ArmedFault {self.fault.as_dict()} fired={self.fired}>"


class FaultControl:
    """Arm faults on a path (as the server sees it, e.g. ``/v2/oauth/token``) for the next ``count`` requests.

        with telnyx_sandbox.faults.rate_limit("/v2/oauth_clients", retry_after=2):
            ...                                  # the next request there gets 429 + Retry-After: 2
    """

    def __init__(self, sandbox) -> None:
        self._sandbox = sandbox

    @property
    def _faults(self):
        return self._sandbox.faults

    def arm(self, path: str, *, status: int | None = None, retry_after: float | None = None,
            delay: float | None = None, drop: bool = False, count: int = 1, method: str | None = None,
            reset: int | None = None) -> ArmedFault:
        """Arm a fault, checked as ``POST /_sandbox/faults`` checks it (a bad value raises, naming the field)."""
        from telnyx_nb.sandbox.http.wire_errors import WireError
        from telnyx_nb.sandbox.web.faults import parse_fault

        body = {"path": path, "method": method, "count": count, "status": status, "retry_after": retry_after,
                "delay": delay, "drop": drop, "reset": reset}
        try:
            fault = parse_fault({k: v for k, v in body.items() if v is not None})
        except WireError as exc:
            raise ValueError(f"fault: {exc.detail}") from None
        self._faults.add(fault)
        return ArmedFault(self._faults, fault)

    def rate_limit(self, path: str, *, retry_after: float = 1, count: int = 1, method: str | None = None):
        """429 Too Many Requests with ``Retry-After`` (RFC 6585 §4), and Telnyx's 10011 body and headers."""
        return self.arm(path, status=429, retry_after=retry_after, count=count, method=method)

    def too_many_requests(self, path: str, *, reset: int = 1, count: int = 1, method: str | None = None):
        """Telnyx's published 429 as a rate-limited server sends it: code 10011, ``x-ratelimit-remaining: 0``,
        ``x-ratelimit-reset: reset`` and no ``Retry-After``."""
        return self.arm(path, status=429, reset=reset, count=count, method=method)

    def server_error(self, path: str, *, status: int = 500, retry_after: float | None = None, count: int = 1,
                     method: str | None = None):
        """A 500, 502 or 503 (with ``Retry-After`` when given)."""
        return self.arm(path, status=status, retry_after=retry_after, count=count, method=method)

    def delay(self, path: str, seconds: float, *, count: int = 1, method: str | None = None):
        """Answer normally after ``seconds`` of real waiting."""
        return self.arm(path, delay=seconds, count=count, method=method)

    def drop(self, path: str, *, count: int = 1, method: str | None = None):
        """Close the connection without any answer (requests: ``ConnectionError``; httpx: ``RemoteProtocolError``)."""
        return self.arm(path, drop=True, count=count, method=method)

    def clear(self) -> int:
        return self._faults.clear()

    def armed(self) -> list[dict]:
        return self._faults.list()


class SandboxHarness:
    """A started sandbox and the helpers a test needs (see the module docstring)."""

    def __init__(self, sandbox, *, owned: bool = False) -> None:
        self.sandbox = sandbox
        self._owned = owned
        self._session = None
        self._closers: list = []
        self.faults = FaultControl(sandbox)

    def __repr__(self) -> str:
        return f"<SandboxHarness {self.sandbox!r}>"

    # ----- who and where ------------------------------------------------------------------------------------
    @property
    def clock(self):
        """The sandbox's clock: ``clock.advance(3601)`` expires a one-hour token now."""
        return self.sandbox.clock

    @property
    def api_key(self) -> str:
        return self.sandbox.api_key

    @property
    def seed(self) -> str:
        return self.sandbox.seed

    @property
    def demo_client(self) -> dict:
        """The demo client's credentials (confidential, every grant type, `admin`, PKCE required)."""
        from telnyx_nb.sandbox.store.demo import DEMO_REDIRECT_URIS

        return {"client_id": self.sandbox.demo_client_id, "client_secret": self.sandbox.demo_client_secret,
                "redirect_uris": list(DEMO_REDIRECT_URIS)}

    @property
    def demo_client_id(self) -> str | None:
        return self.sandbox.demo_client_id

    @property
    def demo_client_secret(self) -> str | None:
        return self.sandbox.demo_client_secret

    @property
    def in_process_base_url(self) -> str:
        """The base URL (``…/v2``) to give code that also takes the in-process session or client; reading it
        starts no server."""
        return self.sandbox.base_url

    @property
    def base_url(self) -> str:
        """The loopback base URL (``http://127.0.0.1:PORT/v2``), serving from the first read on."""
        return self.sandbox.serve().base_url

    @property
    def root_url(self) -> str:
        return self.sandbox.serve().root_url

    # ----- in-process clients -------------------------------------------------------------------------------
    def requests_adapter(self, **kwargs):
        return self.sandbox.requests_adapter(**kwargs)

    def httpx_transport(self, **kwargs):
        return self.sandbox.httpx_transport(**kwargs)

    def session(self):
        """A ``requests.Session`` served in-process (one per harness, closed at teardown)."""
        if self._session is None:
            self._session = self.sandbox.requests_session()
            self._closers.append(self._session.close)
        return self._session

    def httpx_client(self, **kwargs):
        """An ``httpx.Client`` on the in-process transport (closed at teardown)."""
        import httpx

        client = httpx.Client(transport=self.httpx_transport(), **kwargs)
        self._closers.append(client.close)
        return client

    def oauth(self, **kwargs):
        """A ``TelnyxOAuth`` on the in-process session with the API key, the demo client and the sandbox clock."""
        from telnyx_nb.api.client import TelnyxOAuth

        options = {"api_key": self.api_key, "client_id": self.demo_client_id,
                   "client_secret": self.demo_client_secret, "base_url": self.in_process_base_url,
                   "is_sandbox": True, "clock": self.clock}
        options.update(kwargs)
        options.setdefault("session", self.sandbox.requests_session())
        client = TelnyxOAuth(**options)
        self._closers.append(client.close)
        return client

    def telnyx_client(self, *, client_id: str | None = None, client_secret: str | None = None, **kwargs):
        """The official ``telnyx`` SDK in client-credentials mode (the demo client by default), with strict
        response validation, on the in-process transport: its token request to api.telnyx.com is served too."""
        import telnyx

        options = {"client_id": client_id or self.demo_client_id,
                   "client_secret": client_secret or self.demo_client_secret,
                   "base_url": self.in_process_base_url, "http_client": self.httpx_client(),
                   "_strict_response_validation": True, "max_retries": 0}
        options.update(kwargs)
        client = telnyx.Telnyx(**options)
        self._closers.append(client.close)
        return client

    # ----- data ---------------------------------------------------------------------------------------------
    def _call(self, method: str, path: str, **kwargs):
        from telnyx_nb.api.error_mapping import error_from_response

        response = self.session().request(method, self.in_process_base_url + path, timeout=10, **kwargs)
        if response.status_code >= 400:
            raise error_from_response(response)
        return response

    def create_client(self, name: str = "Test client", *, client_type: str = "confidential",
                      allowed_grant_types=ALL_GRANT_TYPES, allowed_scopes=("admin",),
                      redirect_uris=(DEFAULT_REDIRECT_URI,), **fields: Any) -> dict:
        """Create a client through ``POST /v2/oauth_clients`` (so the sandbox's own validation applies); returns
        the wire object, with ``client_secret`` for a confidential client."""
        body = {"name": name, "client_type": client_type, "allowed_grant_types": list(allowed_grant_types),
                "allowed_scopes": list(allowed_scopes), "redirect_uris": list(redirect_uris), **fields}
        return self._call("POST", "/oauth_clients", json=body,
                          headers={"Authorization": f"Bearer {self.api_key}"}).json()["data"]

    def create_grant(self, client_id: str | None = None, scopes=("admin",), *,
                     created_at: datetime | None = None, last_used_at: datetime | None = None) -> dict:
        """Plant a grant (what a user's consent leaves), with any ages: audit tests need old and unused ones.
        Times default to the sandbox clock's now; ``last_used_at=None`` means never used."""
        grant = {"id": str(uuid.uuid4()), "client_id": client_id or self.demo_client_id,
                 "user_id": self.sandbox.store.get_setting("user_id"), "scopes": list(scopes),
                 "created_at": created_at or self.clock.now(), "last_used_at": last_used_at}
        for name in ("created_at", "last_used_at"):
            if isinstance(grant[name], datetime) and grant[name].tzinfo is None:
                grant[name] = grant[name].replace(tzinfo=UTC)
        self.sandbox.store.insert_grants([grant])
        return self.sandbox.store.get_grant(grant["id"])

    def token(self, scope: str | None = None, *, client_id: str | None = None,
              client_secret: str | None = None) -> dict:
        """A client_credentials token response (RFC 6749 §4.4.3) for the demo client or the one given."""
        data = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
        auth = (client_id or self.demo_client_id, client_secret or self.demo_client_secret)
        return self._call("POST", "/oauth/token", data=data, auth=auth).json()

    # ----- the user -----------------------------------------------------------------------------------------
    def approve(self, authorize_url: str, *, allow: bool = True) -> str:
        """Act as the signed-in user: open ``authorize_url`` (the sandbox's or api.telnyx.com's), answer the
        consent page, and return the redirect URI the browser would be sent to (with ``code`` and ``state``, or
        ``error=access_denied`` when ``allow=False``). An authorize request answered by a redirect with an error
        (RFC 6749 §4.1.2.1) returns that redirect; one refused outright raises ``ApprovalError``."""
        session = self.session()
        answer = session.get(authorize_url, allow_redirects=False, timeout=10)
        location = answer.headers.get("Location", "")
        if answer.status_code not in (302, 303) or not location:
            raise ApprovalError(f"the authorize request was refused ({answer.status_code}): "
                                f"{_page_text(answer.text)}")
        consent_url = urljoin(authorize_url, location)
        consent_token = parse_qs(urlsplit(consent_url).query).get("consent_token")
        if not consent_token:
            return location  # an error redirect to the client (RFC 6749 §4.1.2.1)
        page = session.get(consent_url, timeout=10)
        if page.status_code != 200:
            raise ApprovalError(f"the consent page did not open ({page.status_code}): {_page_text(page.text)}")
        decided = session.post(consent_url.split("?", 1)[0], allow_redirects=False, timeout=10,
                               data={"consent_token": consent_token[0], "decision": "allow" if allow else "deny"})
        if decided.status_code != 303:
            raise ApprovalError(f"the consent decision was refused ({decided.status_code}): "
                                f"{_page_text(decided.text)}")
        return decided.headers["Location"]

    def deny(self, authorize_url: str) -> str:
        return self.approve(authorize_url, allow=False)

    # ----- lifecycle ----------------------------------------------------------------------------------------
    def close(self) -> None:
        for closer in reversed(self._closers):
            try:
                closer()
            except Exception:  # noqa: BLE001 - teardown goes on
                pass
        self._closers.clear()
        self._session = None
        self.faults.clear()
        from telnyx_nb.sandbox.web.in_process import retire

        retire(self.sandbox)  # whatever this test took (even from .sandbox directly) refuses from now on
        if self._owned:
            self.sandbox.stop()


def _page_text(html: str, limit: int = 300) -> str:
    from telnyx_nb.api.error_mapping import readable_text

    return readable_text(html or "", limit)


def _new_demo_secret(sandbox) -> None:
    """Give the restored demo client a secret of its own: clients that cache tokens per credentials for the
    whole process (the official SDK does, with an lru_cache) would otherwise send the last test's token."""
    if not sandbox.demo_client_id or not sandbox.demo_client_secret:
        return
    import json
    import secrets

    from telnyx_nb.sandbox.store.database import digest

    secret = secrets.token_urlsafe(36)
    with sandbox.store.write() as db:
        db.execute("UPDATE clients SET secret_hash = ? WHERE client_id = ?", (digest(secret), sandbox.demo_client_id))
        db.execute("UPDATE settings SET value = ? WHERE key = 'demo_client'",
                   (json.dumps([sandbox.demo_client_id, secret]),))
    sandbox.demo_client_secret = secret


class SandboxPool:
    """Built sandboxes by options, each with a snapshot of its freshly seeded database, for a whole session."""

    def __init__(self) -> None:
        self._keyring = None
        self._entries: dict[str, tuple[Any, sqlite3.Connection]] = {}

    @property
    def keyring(self):
        """One signing key for every sandbox of the session (generated on first use)."""
        if self._keyring is None:
            from joserfc.jwk import RSAKey

            from telnyx_nb.sandbox.protocol.keys import KeyRing, new_private_jwk

            self._keyring = KeyRing(RSAKey.import_key(new_private_jwk()))
        return self._keyring

    def new(self, **options):
        """A new started (not serving) sandbox on a throwaway database, signing with the session key."""
        from telnyx_nb.sandbox.web.server import Sandbox

        options.setdefault("db", ":memory:")
        options.setdefault("signing_key", self.keyring)
        return Sandbox(**options).start(serve=False)

    def fresh(self, **options):
        """The pooled sandbox for ``options``, its database back to the seeded snapshot, faults and clock reset."""
        options.setdefault("seed", "demo")
        key = repr(sorted(options.items()))
        entry = self._entries.get(key)
        if entry is not None and entry[0].app is None:  # a test stopped it: build another
            entry = None
        if entry is None:
            sandbox = self.new(**options)
            snapshot = sqlite3.connect(":memory:", check_same_thread=False)
            sandbox.store.conn().backup(snapshot)
            self._entries[key] = (sandbox, snapshot)
            return sandbox
        sandbox, snapshot = entry
        snapshot.backup(sandbox.store.conn())
        sandbox.store.forget_list_caches()  # the restored generations repeat: remembered totals would lie
        sandbox.faults.clear()
        sandbox.rate_limits.reset()  # every test starts with full windows
        sandbox.clock.reset()
        _new_demo_secret(sandbox)
        return sandbox

    def close(self) -> None:
        for sandbox, snapshot in self._entries.values():
            sandbox.stop()
            snapshot.close()
        self._entries.clear()
