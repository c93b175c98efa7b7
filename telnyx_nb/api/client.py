"""``TelnyxOAuth``: one method per endpoint of the Telnyx OAuth wire API, named for what a user does.

The methods come by subject from three mixins — :mod:`.authorization` (discovery, the authorization-code flow),
:mod:`.tokens` (token endpoints, JWKS and JWT checks, registration) and :mod:`.management` (clients and grants) —
which share what this class holds: the credentials, the send loop and the internals below (``_json``, ``_data``,
``_require_management``, ``_client_auth``). The shared mechanics (session, retries, error mapping, request log)
live in :mod:`.send_loop`, credentials in :mod:`.auth`, page walking in :mod:`.pagination`; each method only says
which endpoint it calls, what it sends, whether a replay is safe, and which record it returns. The ``*_df()``
conveniences hand records (or raw pages) to :mod:`telnyx_nb.frames`, which builds the frames.

    >>> tx = TelnyxOAuth()                        # TELNYX_API_KEY or TELNYX_CLIENT_ID/SECRET from the environment
    >>> tx.grants_df()                             # every grant, typed, with the client's name and type
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, Self
from urllib.parse import urlsplit

import requests

from telnyx_nb.api.auth import BearerKey, ClientBasic, ClientCredentialsToken
from telnyx_nb.api.authorization import AuthorizationFlows
from telnyx_nb.api.managed_accounts import ManagedAccountsAPI
from telnyx_nb.api.management import ManagementAPI
from telnyx_nb.api.pacing import Pacer
from telnyx_nb.api.pagination import MAX_WORKERS
from telnyx_nb.api.request_log import RequestRecord
from telnyx_nb.api.retry import DEFAULT_MAX_RETRIES
from telnyx_nb.api.send_loop import DEFAULT_TIMEOUT, SendLoop
from telnyx_nb.api.tokens import TokenEndpoints
from telnyx_nb.core import settings, wire
from telnyx_nb.core.errors import APIError, ConfigurationError, NotFoundError
from telnyx_nb.core.masking import mask, remember
from telnyx_nb.core.records import ManagedAccount, TokenResponse

__all__ = ["TelnyxOAuth", "PRODUCTION_BASE_URL"]

PRODUCTION_BASE_URL = "https://api.telnyx.com/v2"
# Endpoints with no id in the path (docs/contract.md): a 404 from one of them points at the base URL.
_FIXED_PATHS = frozenset({"/oauth_clients", "/oauth_grants", "/oauth/token", "/oauth/introspect", "/oauth/jwks",
                          "/oauth/register", "/oauth/revoke", "/managed_accounts"})
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


class TelnyxOAuth(AuthorizationFlows, TokenEndpoints, ManagementAPI, ManagedAccountsAPI):
    """A client for the Telnyx OAuth API — or any server speaking it, such as the bundled sandbox.

    ``api_key`` authenticates management calls (clients, grants, consent). Without one, ``client_id`` +
    ``client_secret`` obtain a client_credentials token from ``{base_url}/oauth/token`` that is cached, renewed
    before it expires and renewed once more on a 401. ``client_id``/``client_secret`` are also the default client
    for token, introspection and revocation calls. Arguments fall back to ``TELNYX_API_KEY``, ``TELNYX_CLIENT_ID``,
    ``TELNYX_CLIENT_SECRET`` and ``TELNYX_BASE_URL``, as in the official SDKs (read by :mod:`telnyx_nb.core.settings`);
    of the credential variables, a client declared a sandbox reads only ``TELNYX_NB_SANDBOX_API_KEY``.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        base_url: str | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        session: requests.Session | None = None,
        max_retry_time: float = 60.0,
        max_workers: int = MAX_WORKERS,
        is_sandbox: bool | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        # A client declared a sandbox never borrows the real account's TELNYX_* credentials (they would go to the
        # wrong server, and advising them would switch the target); its key may come from TELNYX_NB_SANDBOX_API_KEY.
        self._declared_sandbox = bool(is_sandbox)
        env = settings.read()
        self._take_credentials(api_key, client_id, client_secret, env)
        self.max_workers = _checked_workers(max_workers)
        # None: the real clock. A test passes a sandbox's clock so token expiry and JWT exp follow clock.advance().
        self.clock = _checked_clock(clock)
        self.token_cache: ClientCredentialsToken | None = None
        if self.api_key:
            management: requests.auth.AuthBase | None = BearerKey(self.api_key)
        elif self.client_id and self.client_secret:
            self.token_cache = ClientCredentialsToken(self._fetch_management_token, clock=clock)
            management = self.token_cache
        else:
            management = None
        self._send_loop = SendLoop(
            base_url or env.base_url or PRODUCTION_BASE_URL,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_time=max_retry_time,
            session=session,
            default_auth=management,
            pool_size=max(16, self.max_workers * 2),
        )
        host = (urlsplit(self.base_url).hostname or "").lower()
        self._is_sandbox = bool(is_sandbox) if is_sandbox is not None else host in _LOOPBACK
        self.sandbox: Any = None  # the Sandbox object this client was made from, if any
        self._owns_sandbox = False  # True when connect() started it: close() then stops it
        # set by connect(): which variable chose this target (settings.describe_choice), and whether the target
        # text must carry it (it overrides another variable the user set)
        self.choice: str | None = None
        self._choice_in_target = False
        self.acting_as: ManagedAccount | None = None  # the account a for_managed_account() client acts as
        self._keys = None
        self._keys_lock = threading.Lock()
        self._metadata = None

    def _take_credentials(self, api_key: str | None, client_id: str | None, client_secret: str | None,
                          env: settings.Settings) -> None:
        """The API key and the OAuth client, from the arguments or else the environment (never the real account's
        variables for a declared sandbox); a secret without its client id is refused, naming the fix."""
        env_key, key_variable = env.api_key_for(self._declared_sandbox)
        env_id, env_secret = env.client_for(self._declared_sandbox)
        id_source = "client_id=" if self._declared_sandbox else settings.CLIENT_ID  # never advise the real one's
        self.api_key = _credential(api_key or env_key, "api_key", key_variable)
        self.client_id = _credential(client_id or env_id, "client_id", id_source)
        self.client_secret = _credential(client_secret or env_secret, "client_secret",
                                         "client_secret=" if self._declared_sandbox else settings.CLIENT_SECRET)
        if self.client_secret and not self.client_id:
            raise ConfigurationError(
                "client_secret was given without client_id: pass client_id="
                + ("" if self._declared_sandbox else f" or set {settings.CLIENT_ID}")
            )
        remember(self.api_key, self.client_secret)

    # ------------------------------------------------------------------------------------------------ set-up
    @classmethod
    def from_sandbox(cls, sandbox: Any, **kwargs: Any) -> TelnyxOAuth:
        """Connect to a running sandbox: a ``Sandbox`` object, its ``--json`` line (or parsed dict), or its URL.

        The demo client becomes the default client for token calls. Keyword arguments override (e.g. ``timeout``).
        A bare URL takes its API key from ``TELNYX_NB_SANDBOX_API_KEY`` — never from ``TELNYX_API_KEY``, the real
        account's.
        """
        info: dict[str, Any]
        if isinstance(sandbox, Mapping):
            info = dict(sandbox)
        elif isinstance(sandbox, str):
            info = settings.parse_sandbox(sandbox)
        elif hasattr(sandbox, "base_url"):
            info = {
                name: getattr(sandbox, name, None)
                for name in ("base_url", "api_key", "demo_client_id", "demo_client_secret")
            }
        else:
            raise ConfigurationError(f"from_sandbox() cannot use a {type(sandbox).__name__}")
        if not info.get("base_url"):
            raise ConfigurationError(
                "the sandbox has no base_url: start it first (Sandbox(...).start() or `with Sandbox() as sb:`)"
            )
        base_url = str(info["base_url"])
        if urlsplit(base_url).path in ("", "/"):
            base_url = base_url.rstrip("/") + "/v2"
        kwargs.setdefault("api_key", info.get("api_key"))
        kwargs.setdefault("client_id", info.get("demo_client_id"))
        kwargs.setdefault("client_secret", info.get("demo_client_secret"))
        kwargs.setdefault("is_sandbox", True)
        client = cls(base_url=base_url, **kwargs)
        if not isinstance(sandbox, (str, Mapping)):
            client.sandbox = sandbox
        return client

    @property
    def base_url(self) -> str:
        return self._send_loop.base_url

    @property
    def is_sandbox(self) -> bool:
        """True when talking to a telnyx-nb sandbox (or any loopback server), not the real Telnyx API."""
        return self._is_sandbox

    @property
    def target(self) -> str:
        """A one-line human description of where calls go and with which credential (masked)."""
        where = f"sandbox at {self.base_url}" if self.is_sandbox else f"Telnyx API at {self.base_url}"
        if self.api_key:
            how = f"API key {mask(self.api_key)}" + (
                f" of managed account {self.acting_as.id}" if self.acting_as else "")
        elif self.token_cache is not None:
            how = f"client credentials of {self.client_id}"
        else:
            how = "no credentials"
        text = f"{where} ({how})"
        return f"{text}, {self.choice}" if self._choice_in_target and self.choice else text

    @property
    def target_and_choice(self) -> str:
        """:attr:`target`, plus which variable chose it when ``connect()`` made this client: a command's first line."""
        if self.choice and not self._choice_in_target:
            return f"{self.target}, {self.choice}"
        return self.target

    @property
    def send_loop(self) -> SendLoop:
        """The loop every request of this client goes through (session, auth, pacing, retries, request log)."""
        return self._send_loop

    @property
    def timeout(self) -> Any:
        return self._send_loop.timeout

    def add_listener(self, callback: Callable[[RequestRecord], None]) -> None:
        """Call ``callback(RequestRecord)`` after every HTTP exchange (each attempt), e.g. for a request log."""
        self._send_loop.add_listener(callback)

    def remove_listener(self, callback: Callable[[RequestRecord], None]) -> None:
        self._send_loop.remove_listener(callback)

    def close(self) -> None:
        """Close pooled connections (and stop a sandbox this client started)."""
        self._send_loop.close()
        if self.sandbox is not None and getattr(self, "_owns_sandbox", False):
            self.sandbox.stop()

    def __enter__(self) -> TelnyxOAuth:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"TelnyxOAuth({self.target})"

    # ------------------------------------------------------------------------------------------- internals
    def _require_management(self) -> None:
        if self._send_loop.default_auth is None and self._declared_sandbox:
            raise ConfigurationError(  # never advise TELNYX_API_KEY here: connect() would then pick production
                f"this call needs the sandbox's API key: set TELNYX_NB_SANDBOX to the sandbox's --json line (it "
                f"carries the key; `telnyx-nb explore` prints an export line), or set {settings.SANDBOX_API_KEY}, "
                "or pass api_key="
            )
        if self._send_loop.default_auth is None:
            raise ConfigurationError(
                "this call needs an API key or client credentials: pass api_key= (or set TELNYX_API_KEY), "
                "or client_id= and client_secret= (TELNYX_CLIENT_ID / TELNYX_CLIENT_SECRET)"
            )

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._send_loop.request(method, path, **kwargs)
        except NotFoundError as exc:
            if path in _FIXED_PATHS:  # these always exist: a 404 means the base URL is wrong, not the object
                exc.message = f"{exc.message} — is the base URL right? ({self.base_url}; Telnyx's is " \
                              f"{PRODUCTION_BASE_URL}, a sandbox's ends in /v2)"
                exc.args = (exc.message,)
            raise
        if 300 <= response.status_code < 400:  # RFC 9110 §15.4: not done, go elsewhere; never a silent success
            raise APIError(
                f"HTTP {response.status_code} on {method} {urlsplit(str(path)).path}: the server redirects to "
                f"{response.headers.get('location') or 'nowhere'}, and credentials never follow a redirect: is the "
                f"base URL right? ({self.base_url})",
                status=response.status_code, method=method, url=response.url,
            )
        if response.status_code == 204 or not response.content or getattr(response, "deleted_by_earlier_attempt",
                                                                           False):
            return None
        try:
            return response.json()
        except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested too deep to decode
            ctype = response.headers.get("content-type", "no content type")
            what = (f"the body is not valid JSON ({exc})" if "json" in ctype.lower()
                    else f"expected JSON, got {ctype}")
            raise APIError(
                f"HTTP {response.status_code} on {method} {urlsplit(str(path)).path}: {what}",
                status=response.status_code,
                method=method,
                url=response.url,
            ) from exc

    def _data(self, method: str, path: str, **kwargs: Any) -> Any:
        """Management endpoints wrap their object in ``{"data": …}``."""
        self._require_management()
        body = self._json(method, path, **kwargs)
        return body.get("data") if isinstance(body, dict) else body

    def _client_auth(
        self, client_id: str | None, client_secret: str | None
    ) -> tuple[requests.auth.AuthBase | None, dict[str, str]]:
        """Client authentication for the token/introspect/revoke endpoints: HTTP Basic for a confidential client
        (RFC 6749 §2.3.1); a public client identifies itself with ``client_id`` in the body (§3.2.1)."""
        client_id = client_id or self.client_id
        if client_secret is None and client_id == self.client_id:
            client_secret = self.client_secret
        if not client_id:
            raise ConfigurationError(
                "no client to authenticate as: pass client_id= (and client_secret= for a confidential client) "
                "or create TelnyxOAuth(client_id=..., client_secret=...)"
            )
        if client_secret:
            return ClientBasic(client_id, client_secret), {}
        return None, {"client_id": client_id}

    def _as_managed_account(self, account: ManagedAccount, *, session: requests.Session | None = None) -> Self:
        """A client acting as ``account`` with its ``api_key``: this one's base URL, timeouts, retry policy, paging
        threads and clock; its own connection pool (``session``, or a new one) and pacer (another credential,
        another rate-limit window); none of this client's other credentials (not its default OAuth client)."""
        assert account.api_key
        loop = self._send_loop
        other = type(self)(account.api_key, base_url=loop.base_url, timeout=loop.timeout or DEFAULT_TIMEOUT,
                           max_workers=self.max_workers, is_sandbox=self.is_sandbox, clock=self.clock,
                           session=session)
        other.client_id = other.client_secret = None  # never the environment's TELNYX_CLIENT_ID for another account
        other._send_loop.retry = loop.retry  # frozen: shared as is
        other._send_loop.pacer = None if loop.pacer is None else Pacer(max_wait=loop.retry.max_retry_after)
        other.acting_as = account
        return other

    def _fetch_management_token(self) -> TokenResponse:
        assert self.client_id and self.client_secret
        return self.issue_token("client_credentials", client_id=self.client_id, client_secret=self.client_secret)

    # ------------------------------------------------------------------------------------------------ frames
    def clients_df(self, *, progress: bool | None = None, page_size: int = wire.DEFAULT_PAGE_SIZE,
                   **filters: Any) -> Any:
        """Every client matching ``filters`` as a DataFrame (columns: ``telnyx_nb.frames.CLIENT_COLUMNS``)."""
        from telnyx_nb import frames

        return frames.clients_frame(self.all_clients(page_size=page_size, progress=progress, **filters))

    def grants_df(
        self, *, with_clients: bool = True, progress: bool | None = None, page_size: int = wire.DEFAULT_PAGE_SIZE
    ) -> Any:
        """Every grant as a DataFrame (``GRANT_COLUMNS``), joined with its client's name, type and verified flag
        unless ``with_clients=False``. Grants and clients are fetched at the same time; the grant pages are read
        as columns, not records (``frames.grants_frame_from_pages``), so a million grants fit in memory."""
        from telnyx_nb import frames

        wire.check_page_size(page_size)  # before the clients' thread starts
        self._require_management()

        def grants_page(number: int) -> Any:
            return self._json("GET", "/oauth_grants", params=self._page_params(number, page_size))

        def clients() -> list[Any]:
            return self.all_clients(page_size=page_size, progress=False)

        return frames.grants_frame_from_pages(grants_page, clients=clients if with_clients else None,
                                              max_workers=self.max_workers, progress=progress)

    def managed_accounts_df(self, *, progress: bool | None = None, page_size: int = wire.DEFAULT_PAGE_SIZE,
                            **filters: Any) -> Any:
        """Every managed account (the manager's key) as a DataFrame (``frames.MANAGED_ACCOUNT_COLUMNS``: the
        published list fields; never a credential). Filters as :meth:`managed_accounts`."""
        from telnyx_nb import frames

        return frames.managed_accounts_frame(self.managed_accounts(page_size=page_size, progress=progress, **filters))

    def jwks_df(self) -> Any:
        """The server's signing keys as a DataFrame: kid, kty, alg, use, size/curve, RFC 7638 thumbprint."""
        from telnyx_nb import frames

        return frames.jwks_frame(self.jwks())

    def introspection_df(self, token: str) -> Any:
        """One-row DataFrame of ``introspect(token)``."""
        from telnyx_nb import frames

        return frames.introspection_frame(self.introspect(token))



def _checked_workers(max_workers: object) -> int:
    """``max_workers``, a whole number of at least 1 (a bool is not one)."""
    if not isinstance(max_workers, int) or isinstance(max_workers, bool) or max_workers < 1:
        raise ConfigurationError(f"max_workers must be a whole number >= 1, got {max_workers!r}")
    return max_workers


def _checked_clock(clock: Callable[[], float] | None) -> Callable[[], float] | None:
    """``clock``: None (the real one) or a callable returning epoch seconds."""
    if clock is not None and not callable(clock):
        raise ConfigurationError(f"clock must be a callable returning epoch seconds (like time.time), "
                                 f"got {clock!r}")
    return clock

def _credential(value: Any, name: str, variable: str) -> str | None:
    """A credential with surrounding whitespace removed (a key read from a file keeps its newline, which
    http.client would refuse — quoting the key in full); inner whitespace or a non-string is an error."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigurationError(f"{name} must be a string, got {type(value).__name__} (check {variable})")
    value = value.strip()
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise ConfigurationError(f"{name} contains whitespace or control characters: check {variable} "
                                 f"(got {mask(value)})")
    return value or None

