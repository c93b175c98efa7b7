"""``TelnyxOAuth``: one method per endpoint of the Telnyx OAuth wire API, named for what a user does.

The shared mechanics (session, retries, error mapping, request log) live in :mod:`.transport`, credentials in
:mod:`.auth`, PKCE in :mod:`.pkce`, JWT checks in :mod:`.jwt`, page walking in :mod:`.pagination`; each method
here only says which endpoint it calls, what it sends, whether a replay is safe, and which record it returns.

    >>> tx = TelnyxOAuth()                        # TELNYX_API_KEY or TELNYX_CLIENT_ID/SECRET from the environment
    >>> tx.grants_df()                             # every grant, typed, with the client's name and type
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from telnyx_nb import settings
from telnyx_nb.api import pkce as _pkce  # `pkce` is a keyword argument of authorization_url()
from telnyx_nb.api import wire
from telnyx_nb.api.auth import BearerKey, ClientBasic, ClientCredentialsToken
from telnyx_nb.api.pagination import MAX_WORKERS, fetch_all, iterate
from telnyx_nb.api.records import (
    JWKS,
    AuthorizationRequest,
    AuthorizationServerMetadata,
    Consent,
    Introspection,
    OAuthClient,
    OAuthGrant,
    Page,
    ProtectedResourceMetadata,
    Registration,
    TokenResponse,
    VerifiedJWT,
)
from telnyx_nb.api.transport import DEFAULT, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, RequestRecord, Transport
from telnyx_nb.errors import (
    APIError,
    AuthorizationDenied,
    AuthorizationFlowError,
    ConfigurationError,
    IssuerMismatch,
    NotFoundError,
    StateMismatch,
    TelnyxNBError,
)
from telnyx_nb.masking import mask, remember

__all__ = ["TelnyxOAuth", "PRODUCTION_BASE_URL", "CLIENT_FILTERS", "CLIENT_FIELDS"]

PRODUCTION_BASE_URL = "https://api.telnyx.com/v2"
# Endpoints with no id in the path (docs/contract.md): a 404 from one of them points at the base URL.
class _class_or_instance:
    """A method callable on the class (``self`` is None) or on an instance, e.g. ``parse_redirect``."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func
        self.__doc__ = func.__doc__

    def __get__(self, obj: Any, owner: Any = None) -> Callable[..., Any]:
        import functools

        return functools.wraps(self.func)(functools.partial(self.func, obj))


_FIXED_PATHS = frozenset({"/oauth_clients", "/oauth_grants", "/oauth/token", "/oauth/introspect", "/oauth/jwks",
                          "/oauth/register", "/oauth/revoke"})
# The wire vocabulary (enums, page bounds, body fields, filters) lives in .wire; these names stay importable here.
MAX_PAGE_SIZE = wire.MAX_PAGE_SIZE
DEFAULT_PAGE_SIZE = wire.DEFAULT_PAGE_SIZE
GRANT_TYPES = wire.GRANT_TYPES
CLIENT_TYPES = wire.CLIENT_TYPES
CLIENT_FILTERS = wire.CLIENT_FILTERS  # keyword → query parameter of GET /oauth_clients
CLIENT_FIELDS = wire.CLIENT_UPDATE_FIELDS  # fields PUT /oauth_clients/{id} accepts
REGISTRATION_FIELDS = wire.REGISTRATION_FIELDS
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
SANDBOX_KEY_VARIABLE = settings.SANDBOX_API_KEY  # the key for a sandbox given by its bare URL


class TelnyxOAuth:
    """A client for the Telnyx OAuth API — or any server speaking it, such as the bundled sandbox.

    ``api_key`` authenticates management calls (clients, grants, consent). Without one, ``client_id`` +
    ``client_secret`` obtain a client_credentials token from ``{base_url}/oauth/token`` that is cached, renewed
    before it expires and renewed once more on a 401. ``client_id``/``client_secret`` are also the default client
    for token, introspection and revocation calls. Arguments fall back to ``TELNYX_API_KEY``, ``TELNYX_CLIENT_ID``,
    ``TELNYX_CLIENT_SECRET`` and ``TELNYX_BASE_URL``, as in the official SDKs (read by :mod:`telnyx_nb.settings`);
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
        if not isinstance(max_workers, int) or isinstance(max_workers, bool) or max_workers < 1:
            raise ConfigurationError(f"max_workers must be a whole number >= 1, got {max_workers!r}")
        self.max_workers = max_workers
        if clock is not None and not callable(clock):
            raise ConfigurationError(f"clock must be a callable returning epoch seconds (like time.time), "
                                     f"got {clock!r}")
        # None: the real clock. A test passes a sandbox's clock so token expiry and JWT exp follow clock.advance().
        self.clock = clock
        self.token_cache: ClientCredentialsToken | None = None
        if self.api_key:
            management: requests.auth.AuthBase | None = BearerKey(self.api_key)
        elif self.client_id and self.client_secret:
            self.token_cache = ClientCredentialsToken(self._fetch_management_token, clock=clock)
            management = self.token_cache
        else:
            management = None
        self._transport = Transport(
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
        self._keys: Any = None
        self._keys_lock = threading.Lock()
        self._metadata: AuthorizationServerMetadata | None = None

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
        return self._transport.base_url

    @property
    def is_sandbox(self) -> bool:
        """True when talking to a telnyx-nb sandbox (or any loopback server), not the real Telnyx API."""
        return self._is_sandbox

    @property
    def target(self) -> str:
        """A one-line human description of where calls go and with which credential (masked)."""
        where = f"sandbox at {self.base_url}" if self.is_sandbox else f"Telnyx API at {self.base_url}"
        if self.api_key:
            how = f"API key {mask(self.api_key)}"
        elif self.token_cache is not None:
            how = f"client credentials of {self.client_id}"
        else:
            how = "no credentials"
        return f"{where} ({how})"

    @property
    def transport(self) -> Transport:
        return self._transport

    @property
    def timeout(self) -> Any:
        return self._transport.timeout

    def add_listener(self, callback: Callable[[RequestRecord], None]) -> None:
        """Call ``callback(RequestRecord)`` after every HTTP exchange (each attempt), e.g. for a request log."""
        self._transport.add_listener(callback)

    def remove_listener(self, callback: Callable[[RequestRecord], None]) -> None:
        self._transport.remove_listener(callback)

    def close(self) -> None:
        """Close pooled connections (and stop a sandbox this client started)."""
        self._transport.close()
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
        if self._transport.default_auth is None and self._declared_sandbox:
            raise ConfigurationError(  # never advise TELNYX_API_KEY here: connect() would then pick production
                f"this call needs the sandbox's API key: set TELNYX_NB_SANDBOX to the sandbox's --json line (it "
                f"carries the key; `telnyx-nb explore` prints an export line), or set {SANDBOX_KEY_VARIABLE}, "
                "or pass api_key="
            )
        if self._transport.default_auth is None:
            raise ConfigurationError(
                "this call needs an API key or client credentials: pass api_key= (or set TELNYX_API_KEY), "
                "or client_id= and client_secret= (TELNYX_CLIENT_ID / TELNYX_CLIENT_SECRET)"
            )

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._transport.request(method, path, **kwargs)
        except NotFoundError as exc:
            if path in _FIXED_PATHS:  # these always exist: a 404 means the base URL is wrong, not the object
                exc.message = f"{exc.message} — is the base URL right? ({self.base_url}; Telnyx's is " \
                              f"{PRODUCTION_BASE_URL}, a sandbox's ends in /v2)"
                exc.args = (exc.message,)
            raise
        if response.status_code == 204 or not response.content or getattr(response, "deleted_by_earlier_attempt",
                                                                           False):
            return None
        try:
            return response.json()
        except ValueError as exc:
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

    def _fetch_management_token(self) -> TokenResponse:
        assert self.client_id and self.client_secret
        return self.issue_token("client_credentials", client_id=self.client_id, client_secret=self.client_secret)

    # ------------------------------------------------------------------------------------------- discovery
    def _well_known(self, name: str) -> dict[str, Any]:
        # RFC 8414 §3 / RFC 9728 §3: the document lives at the host root for an issuer without a path; servers
        # reached through an overridden base URL (and the official SDK) also serve it under the base.
        urls = [self._transport.root(f"/.well-known/{name}"), self._transport.url(f"/.well-known/{name}")]
        last: NotFoundError | None = None
        for url in dict.fromkeys(urls):
            try:
                return self._json("GET", url, auth=None)
            except NotFoundError as exc:
                last = exc
        assert last is not None
        raise last

    def authorization_server_metadata(self) -> AuthorizationServerMetadata:
        """``GET /.well-known/oauth-authorization-server`` — RFC 8414 §3 authorization server metadata."""
        metadata = AuthorizationServerMetadata.from_json(self._well_known("oauth-authorization-server"))
        self._metadata = metadata
        return metadata

    def protected_resource_metadata(self) -> ProtectedResourceMetadata:
        """``GET /.well-known/oauth-protected-resource`` — RFC 9728 §3 protected resource metadata."""
        return ProtectedResourceMetadata.from_json(self._well_known("oauth-protected-resource"))

    # ---------------------------------------------------------------------------------- authorization code
    def authorization_url(
        self,
        client_id: str | None = None,
        redirect_uri: str | None = None,
        scope: str | list[str] | tuple[str, ...] | None = None,
        *,
        state: str | None = None,
        pkce: str | None = "S256",
        code_verifier: str | None = None,
    ) -> AuthorizationRequest:
        """Build the ``GET /oauth/authorize`` URL (RFC 6749 §4.1.1) with a fresh ``state`` (§10.12) and a PKCE
        pair (RFC 7636 §4.1–4.3; ``pkce="S256"`` by default, ``"plain"`` allowed, ``None`` for none).

        Keep the returned request: its ``state`` checks the redirect and its ``code_verifier`` redeems the code.
        """
        client_id = client_id or self.client_id
        if not client_id:
            raise ConfigurationError("authorization_url() needs client_id= (the OAuth client asking for consent)")
        if not redirect_uri:
            raise ConfigurationError("authorization_url() needs redirect_uri= (one registered on the client)")
        if pkce is not None and pkce not in _pkce.METHODS:
            raise ConfigurationError(f"pkce must be 'S256', 'plain' or None (RFC 7636 §4.2), got {pkce!r}")
        scope_text = " ".join(scope) if isinstance(scope, (list, tuple)) else scope
        state = state if state is not None else _pkce.generate_state()
        params: dict[str, str] = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri}
        if scope_text:
            params["scope"] = scope_text
        params["state"] = state
        verifier = challenge = None
        if pkce is not None:
            verifier = _pkce.validate_verifier(code_verifier) if code_verifier else _pkce.generate_verifier()
            challenge = _pkce.code_challenge(verifier, pkce)
            params["code_challenge"] = challenge
            params["code_challenge_method"] = pkce
            remember(verifier)
        url = self._transport.url("/oauth/authorize") + "?" + urlencode(params)
        return AuthorizationRequest(
            url=url,
            client_id=client_id,
            redirect_uri=redirect_uri,
            scope=scope_text,
            state=state,
            code_verifier=verifier,
            code_challenge=challenge,
            code_challenge_method=pkce,
        )

    def begin_authorization(self, request: AuthorizationRequest | str) -> str:
        """Open the authorize URL as the signed-in user would (``GET /oauth/authorize``, RFC 6749 §4.1.1) and
        return the ``consent_token`` of the consent screen it redirects to.

        Raises :class:`AuthorizationDenied` when the server redirects straight back with ``error=`` (§4.1.2.1),
        and an :class:`APIError` when it refuses to redirect at all (unknown client, unregistered redirect URI).
        """
        url = request.url if isinstance(request, AuthorizationRequest) else str(request)
        response = self._transport.request("GET", url, headers={"Accept": "text/html"}, allow_redirects=False)
        location = response.headers.get("location")
        if not location:
            raise AuthorizationFlowError(
                f"GET /oauth/authorize answered {response.status_code} without a redirect to a consent screen",
                status=response.status_code,
            )
        query = parse_qs(urlsplit(location).query)
        if "consent_token" in query:
            token = query["consent_token"][0]
            remember(token)
            return token
        if "error" in query:
            expected = request.state if isinstance(request, AuthorizationRequest) else None
            self.parse_redirect(location, expected)  # raises AuthorizationDenied / StateMismatch
        raise AuthorizationFlowError(f"the authorize redirect carried no consent_token: {location}")

    def get_consent(self, consent_token: str) -> Consent:
        """``GET /oauth/consent/{consent_token}`` — what the consent screen shows (client, requested scopes)."""
        remember(consent_token)
        data = self._data("GET", f"/oauth/consent/{_segment(consent_token, 'consent_token')}")
        return Consent.from_json(data or {}, consent_token=consent_token)

    def decide_consent(self, consent_token: str, allowed: bool) -> str:
        """``POST /oauth/grants`` — allow or deny the consent; returns the redirect URI carrying ``code`` and
        ``state`` (or ``error=access_denied``, RFC 6749 §4.1.2.1). Consent tokens are single-use: never replayed."""
        if not isinstance(allowed, bool):
            raise ConfigurationError(f"allowed must be True or False, got {allowed!r}")
        self._require_management()
        remember(consent_token)
        body = self._json(
            "POST", "/oauth/grants", json={"allowed": allowed, "consent_token": consent_token}, idempotent=False
        )
        redirect = (body or {}).get("redirect_uri")
        if not redirect:
            raise AuthorizationFlowError("POST /oauth/grants answered without a redirect_uri")
        return redirect

    def _expected_issuer(self) -> tuple[str | None, bool]:
        """(issuer, whether the server promised ``iss`` in its authorization responses, RFC 9207 §3)."""
        if self._metadata is None:
            try:
                self.authorization_server_metadata()
            except TelnyxNBError:  # no discovery: an iss present must still be the API's host (Telnyx's issuer)
                return self._transport.root_url, False
        assert self._metadata is not None
        promised = self._metadata.raw.get("authorization_response_iss_parameter_supported") is True
        return self._metadata.issuer or self._transport.root_url, promised

    @_class_or_instance
    def parse_redirect(self, redirect_uri: str, expected_state: str | None, *,
                       expected_issuer: str | None = None) -> str:
        """The authorization ``code`` from the redirect (RFC 6749 §4.1.2), after checking ``iss`` (RFC 9207) and
        ``state`` (§10.12).

        On a session (``oauth.parse_redirect(...)``) the expected issuer is the server's (its RFC 8414 metadata);
        called on the class, only ``expected_issuer=`` is checked. Raises :class:`IssuerMismatch` when ``iss``
        names another server (or is missing though the server promised it), :class:`StateMismatch` when the
        state is not ours, :class:`AuthorizationDenied` for ``error=``.
        """
        _required(redirect_uri, "redirect_uri", "parse_redirect() needs the URI the browser was redirected to")
        parts = urlsplit(redirect_uri)
        query = parse_qs(parts.query) or parse_qs(parts.fragment)
        promised = False
        if expected_issuer is None and self is not None:
            expected_issuer, promised = self._expected_issuer()
        issuer = query.get("iss", [None])[0]
        if issuer is None and promised:
            raise IssuerMismatch("the redirect carries no iss although the server sends it in every authorization "
                                 "response (RFC 9207 §2.4): refusing it")
        if issuer is not None and expected_issuer is not None and issuer.rstrip("/") != expected_issuer.rstrip("/"):
            raise IssuerMismatch(f"the redirect comes from the issuer {issuer!r}, not {expected_issuer!r} "
                                 "(RFC 9207 §2.4, mix-up defence): refusing it")
        state = query.get("state", [None])[0]
        if expected_state is not None and state != expected_state:
            raise StateMismatch(
                "the redirect's state does not match the one sent (RFC 6749 §10.12): refusing its code"
            )
        if "error" in query:
            error = query["error"][0]
            description = query.get("error_description", [None])[0]
            raise AuthorizationDenied(
                f"authorization failed: {error}" + (f" ({description})" if description else ""),
                error=error,
                error_description=description,
            )
        code = query.get("code", [None])[0]
        if not code:
            raise AuthorizationFlowError("the redirect carries neither code nor error (RFC 6749 §4.1.2)")
        remember(code)
        return code

    # ------------------------------------------------------------------------------------------------ tokens
    def issue_token(
        self,
        grant_type: str,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        **params: Any,
    ) -> TokenResponse:
        """``POST /oauth/token`` (RFC 6749 §3.2) with a form body; the client authenticates by HTTP Basic.

        Only client_credentials requests are replayed freely (a second token harms nothing); redeeming a code or
        refresh token is single-use (§4.1.2, §10.4) and is retried only when the server provably did nothing.
        """
        if grant_type not in GRANT_TYPES:
            raise ConfigurationError(f"grant_type must be one of {GRANT_TYPES}, got {grant_type!r}")
        auth, body = self._client_auth(client_id, client_secret)
        body["grant_type"] = grant_type
        for key, value in params.items():
            if value is None:
                continue
            body[key] = " ".join(value) if key == "scope" and isinstance(value, (list, tuple)) else str(value)
        remember(body.get("code"), body.get("refresh_token"), body.get("code_verifier"))
        data = self._json(
            "POST", "/oauth/token", data=body, auth=auth, idempotent=grant_type == "client_credentials"
        )
        token = TokenResponse.from_json(data)
        remember(token.access_token, token.refresh_token, token.id_token)
        return token

    def client_credentials_token(self, scope: str | list[str] | None = None, **client: Any) -> TokenResponse:
        """A token for the client itself (RFC 6749 §4.4)."""
        return self.issue_token("client_credentials", scope=scope, **client)

    def exchange_code(
        self,
        code: str,
        *,
        redirect_uri: str,
        code_verifier: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> TokenResponse:
        """Redeem an authorization code (RFC 6749 §4.1.3) with its PKCE verifier (RFC 7636 §4.5)."""
        _required(code, "code", "exchange_code() needs the code from the redirect (parse_redirect() returns it)")
        _required(redirect_uri, "redirect_uri", "exchange_code() needs redirect_uri=, the one sent to /oauth/authorize "
                  "(RFC 6749 §4.1.3)")
        return self.issue_token(
            "authorization_code",
            client_id=client_id,
            client_secret=client_secret,
            code=code,
            redirect_uri=redirect_uri,
            code_verifier=code_verifier,
        )

    def refresh(
        self,
        refresh_token: str,
        *,
        scope: str | list[str] | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> TokenResponse:
        """Trade a refresh token for new tokens (RFC 6749 §6); the server may rotate the refresh token."""
        _required(refresh_token, "refresh_token", "refresh() needs the refresh_token of an earlier token response")
        return self.issue_token(
            "refresh_token", client_id=client_id, client_secret=client_secret, refresh_token=refresh_token, scope=scope
        )

    def introspect(
        self, token: str, *, client_id: str | None = None, client_secret: str | None = None
    ) -> Introspection:
        """``POST /oauth/introspect`` (RFC 7662 §2.1): is ``token`` active, and for whom? Read-only: replayable.

        Authenticates as the client named in the call (HTTP Basic), else with the API key when one is configured
        (the account owner sees every token), else as the configured confidential client — which learns only
        about its own tokens (RFC 7662 §4). RFC 7662 §2.1 requires some authorization; a public client's bare
        client_id is the last resort.
        """
        if not token:
            raise ConfigurationError("introspect() needs the token to inspect")
        remember(token)
        secret = client_secret or (self.client_secret if (client_id or self.client_id) == self.client_id else None)
        if self.api_key and client_id is None and client_secret is None:
            auth, extra = DEFAULT, {}
        elif (client_id or self.client_id) and secret:
            auth, extra = self._client_auth(client_id, secret)
        elif self._transport.default_auth is not None:
            auth, extra = DEFAULT, {}
        else:
            auth, extra = self._client_auth(client_id, client_secret)
        data = self._json("POST", "/oauth/introspect", data={"token": token, **extra}, auth=auth, idempotent=True)
        return Introspection.from_json(data or {})

    def revoke_token(
        self,
        token: str,
        token_type_hint: str | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> None:
        """``POST /oauth/revoke`` (RFC 7009 §2.1). Revoking twice is harmless (§2.2), so it is replayable."""
        if token_type_hint is not None and token_type_hint not in wire.TOKEN_TYPE_HINTS:
            raise ConfigurationError(
                "token_type_hint must be 'access_token', 'refresh_token' or None (RFC 7009 §2.1), "
                f"got {token_type_hint!r}"
            )
        remember(token)
        auth, body = self._client_auth(client_id, client_secret)
        body["token"] = token
        if token_type_hint:
            body["token_type_hint"] = token_type_hint
        self._json("POST", "/oauth/revoke", data=body, auth=auth, idempotent=True)

    # -------------------------------------------------------------------------------------------------- keys
    def jwks(self) -> JWKS:
        """``GET /oauth/jwks`` — the public keys that sign access tokens (RFC 7517 §5)."""
        jwks = JWKS.from_json(self._json("GET", "/oauth/jwks", auth=None) or {})
        return jwks

    def _key_cache(self) -> Any:
        with self._keys_lock:
            if self._keys is None:
                from telnyx_nb.api.jwt import KeyCache

                self._keys = KeyCache(self.jwks)
            return self._keys

    def verify_jwt(
        self,
        token: str,
        *,
        audience: str | list[str] | None = None,
        issuer: str | None = None,
        leeway: int = 0,
    ) -> VerifiedJWT:
        """Verify an access token's signature against the server's JWKS (keys cached by kid; fetched again once
        for an unknown kid) and its exp/nbf, ``iss`` (default: the server metadata's issuer) and ``aud`` claims.

        Raises :class:`JWTVerificationError` whose ``.reason`` names the failed check.
        """
        from telnyx_nb.api.jwt import verify

        _required(token, "token", "verify_jwt() needs the access token (a compact JWT) to verify")
        if issuer is None:
            if self._metadata is None:
                self.authorization_server_metadata()
            assert self._metadata is not None
            issuer = self._metadata.issuer
        now = int(self.clock()) if self.clock is not None else None
        return verify(token, self._key_cache(), issuer=issuer, audience=audience, leeway=leeway, now=now)

    # ------------------------------------------------------------------------------------------ registration
    def register_client(self, **metadata: Any) -> Registration:
        """``POST /oauth/register`` — open dynamic client registration (RFC 7591 §3.1). Never replayed blindly:
        a lost answer would otherwise register a second client."""
        unknown = sorted(set(metadata) - set(REGISTRATION_FIELDS))
        if unknown:
            raise ConfigurationError(
                f"unknown registration field(s) {unknown}; RFC 7591 §2 fields accepted: {list(REGISTRATION_FIELDS)}"
            )
        body = {k: (" ".join(v) if k == "scope" and isinstance(v, (list, tuple)) else v) for k, v in metadata.items()}
        data = self._json("POST", "/oauth/register", json=body, auth=None, idempotent=False)
        registration = Registration.from_json(data)
        remember(registration.client_secret, registration.registration_access_token)
        return registration

    # ----------------------------------------------------------------------------------------------- clients
    @staticmethod
    def _client_filters(filters: Mapping[str, Any]) -> dict[str, str]:
        params: dict[str, str] = {}
        for key, value in filters.items():
            if value is None:
                continue
            if key not in CLIENT_FILTERS:
                raise ConfigurationError(
                    f"unknown client filter {key!r}; use one of {sorted(CLIENT_FILTERS)} (GET /oauth_clients)"
                )
            if key == "client_type" and value not in CLIENT_TYPES:
                raise ConfigurationError(f"client_type filter must be one of {list(CLIENT_TYPES)}, got {value!r}")
            if key == "verified":
                if isinstance(value, str) and value.lower() in ("true", "false"):
                    value = value.lower() == "true"
                if not isinstance(value, bool):
                    raise ConfigurationError(f"verified filter must be True or False, got {value!r}")
            if isinstance(value, bool):
                value = "true" if value else "false"
            params[CLIENT_FILTERS[key]] = str(value)
        return params

    @staticmethod
    def _page_params(page_number: int, page_size: int) -> dict[str, int]:
        """The page query of the list endpoints, refused before any request when outside the contract's bounds
        (``page[size]`` 1–100, ``page[number]`` >= 1): a real server answers 4xx to those."""
        return {wire.PAGE_NUMBER: wire.check_page_number(page_number),
                wire.PAGE_SIZE: wire.check_page_size(page_size)}

    def list_clients(
        self, *, page_number: int = 1, page_size: int = DEFAULT_PAGE_SIZE, **filters: Any
    ) -> Page[OAuthClient]:
        """``GET /oauth_clients`` — one page of clients. Filters: ``client_type``, ``name``, ``name_contains``,
        ``client_id``, ``grant_type`` (allowed_grant_types contains), ``verified``."""
        self._require_management()
        params = {**self._page_params(page_number, page_size), **self._client_filters(filters)}
        body = self._json("GET", "/oauth_clients", params=params)
        return Page.from_json(body or {}, OAuthClient.from_json)

    def iter_clients(self, *, page_size: int = DEFAULT_PAGE_SIZE, **filters: Any) -> Iterator[OAuthClient]:
        """Every client matching ``filters``, fetched page after page as you iterate."""
        self._client_filters(filters)  # validate before the first request
        wire.check_page_size(page_size)
        return iterate(lambda n: self.list_clients(page_number=n, page_size=page_size, **filters))

    def all_clients(
        self, *, page_size: int = DEFAULT_PAGE_SIZE, progress: bool | None = None, **filters: Any
    ) -> list[OAuthClient]:
        """Every client matching ``filters``: page 1, then the rest concurrently (order preserved)."""
        self._client_filters(filters)
        wire.check_page_size(page_size)
        return fetch_all(
            lambda n: self.list_clients(page_number=n, page_size=page_size, **filters),
            max_workers=self.max_workers,
            progress=progress,
            description="clients",
        )

    def create_client(
        self,
        name: str,
        client_type: str,
        allowed_grant_types: list[str] | tuple[str, ...],
        allowed_scopes: list[str] | tuple[str, ...],
        *,
        redirect_uris: list[str] | tuple[str, ...] | None = None,
        require_pkce: bool | None = None,
        logo_uri: str | None = None,
        policy_uri: str | None = None,
        tos_uri: str | None = None,
    ) -> OAuthClient:
        """``POST /oauth_clients`` — create a client. The answer is the only one carrying ``client_secret``
        (confidential clients): keep it. Not replayed blindly (a lost answer would otherwise create two)."""
        if client_type not in CLIENT_TYPES:
            raise ConfigurationError(f"client_type must be one of {list(CLIENT_TYPES)}, got {client_type!r}")
        allowed_grant_types = _names(allowed_grant_types, "allowed_grant_types")
        allowed_scopes = _names(allowed_scopes, "allowed_scopes")
        if redirect_uris is not None:
            redirect_uris = [redirect_uris] if isinstance(redirect_uris, str) else redirect_uris
        bad = [g for g in allowed_grant_types if g not in GRANT_TYPES]
        if bad:
            raise ConfigurationError(f"allowed_grant_types has unknown grant type(s) {bad}; use {list(GRANT_TYPES)}")
        body: dict[str, Any] = {
            "name": name,
            "client_type": client_type,
            "allowed_grant_types": list(allowed_grant_types),
            "allowed_scopes": list(allowed_scopes),
        }
        optional = dict(
            redirect_uris=list(redirect_uris) if redirect_uris is not None else None,
            require_pkce=require_pkce,
            logo_uri=logo_uri,
            policy_uri=policy_uri,
            tos_uri=tos_uri,
        )
        body.update({k: v for k, v in optional.items() if v is not None})
        client = OAuthClient.from_json(self._data("POST", "/oauth_clients", json=body, idempotent=False))
        remember(client.client_secret)
        return client

    def get_client(self, client_id: str) -> OAuthClient:
        """``GET /oauth_clients/{id}``."""
        return OAuthClient.from_json(self._data("GET", f"/oauth_clients/{_segment(client_id, 'client_id')}"))

    def update_client(self, client_id: str, **changes: Any) -> OAuthClient:
        """``PUT /oauth_clients/{id}`` — change any of ``CLIENT_FIELDS`` (a PUT of the same body is idempotent)."""
        unknown = sorted(set(changes) - set(CLIENT_FIELDS))
        if unknown:
            raise ConfigurationError(f"cannot update {unknown}; updatable fields: {list(CLIENT_FIELDS)}")
        if not changes:
            raise ConfigurationError(f"update_client() needs at least one change among {list(CLIENT_FIELDS)}")
        body = {k: list(v) if isinstance(v, tuple) else v for k, v in changes.items()}
        return OAuthClient.from_json(
            self._data("PUT", f"/oauth_clients/{_segment(client_id, 'client_id')}", json=body)
        )

    def delete_client(self, client_id: str) -> None:
        """``DELETE /oauth_clients/{id}`` — the server also revokes the client's grants and tokens."""
        self._require_management()
        self._json("DELETE", f"/oauth_clients/{_segment(client_id, 'client_id')}")

    # ------------------------------------------------------------------------------------------------ grants
    def list_grants(self, *, page_number: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> Page[OAuthGrant]:
        """``GET /oauth_grants`` — one page of grants."""
        self._require_management()
        body = self._json("GET", "/oauth_grants", params=self._page_params(page_number, page_size))
        return Page.from_json(body or {}, OAuthGrant.from_json)

    def iter_grants(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[OAuthGrant]:
        """Every grant, fetched page after page as you iterate."""
        wire.check_page_size(page_size)  # now, not at the first next()
        return iterate(lambda n: self.list_grants(page_number=n, page_size=page_size))

    def all_grants(self, *, page_size: int = DEFAULT_PAGE_SIZE, progress: bool | None = None) -> list[OAuthGrant]:
        """Every grant: page 1, then the rest concurrently (order preserved)."""
        wire.check_page_size(page_size)
        return fetch_all(
            lambda n: self.list_grants(page_number=n, page_size=page_size),
            max_workers=self.max_workers,
            progress=progress,
            description="grants",
        )

    def get_grant(self, grant_id: str) -> OAuthGrant:
        """``GET /oauth_grants/{id}``."""
        return OAuthGrant.from_json(self._data("GET", f"/oauth_grants/{_segment(grant_id, 'grant_id')}"))

    def revoke_grant(self, grant_id: str) -> OAuthGrant:
        """``DELETE /oauth_grants/{id}`` — revoke a grant (and every token issued under it); returns it (only its
        ``id`` when the revoking answer was lost and the retry found it already gone)."""
        data = self._data("DELETE", f"/oauth_grants/{_segment(grant_id, 'grant_id')}")
        return OAuthGrant.from_json(data if isinstance(data, dict) else {"id": grant_id, "client_id": None})

    # ------------------------------------------------------------------------------------------------ frames
    def clients_df(self, *, progress: bool | None = None, page_size: int = DEFAULT_PAGE_SIZE, **filters: Any) -> Any:
        """Every client matching ``filters`` as a DataFrame (columns: ``telnyx_nb.frames.CLIENT_COLUMNS``)."""
        from telnyx_nb import frames

        return frames.clients_frame(self.all_clients(page_size=page_size, progress=progress, **filters))

    def grants_df(
        self, *, with_clients: bool = True, progress: bool | None = None, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Any:
        """Every grant as a DataFrame (``GRANT_COLUMNS``), joined with its client's name, type and verified flag
        unless ``with_clients=False``. Grants and clients are fetched at the same time."""
        from telnyx_nb import frames

        wire.check_page_size(page_size)  # before the clients' thread starts
        if not with_clients:
            return frames.grants_frame_from_columns(self._grant_columns(page_size, progress))
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="telnyx-nb-clients") as pool:
            clients_future = pool.submit(self.all_clients, page_size=page_size, progress=False)
            chunks = self._grant_columns(page_size, progress)
            clients = clients_future.result()
        return frames.grants_frame_from_columns(chunks, clients=clients)

    def _grant_columns(self, page_size: int, progress: bool | None) -> list[Any]:
        """Every page of ``GET /oauth_grants`` as ``frames.GrantColumns`` (no record per grant): what
        ``grants_df()`` reads, so a million grants fit in memory. Same pagination as :meth:`all_grants`."""
        from telnyx_nb.frames import GrantColumns

        self._require_management()
        scope_lists: dict[tuple, list] = {}  # shared across pages: one list per distinct scope set

        def fetch(number: int) -> Page[Any]:
            body = self._json("GET", "/oauth_grants", params=self._page_params(number, page_size)) or {}
            page = Page.from_json({"meta": body.get("meta"), "data": ()}, None)
            data = body.get("data") or []
            if not isinstance(data, list):
                raise APIError(f"the server's answer is not a valid page: 'data' must be a list of objects, got "
                               f"{type(data).__name__}")
            chunk = GrantColumns(data, scope_lists)
            return Page(items=(chunk,) if len(chunk) else (), page_number=page.page_number,
                        page_size=page.page_size, total_pages=page.total_pages, total_results=page.total_results)

        return fetch_all(fetch, max_workers=self.max_workers, progress=progress, description="grants")

    def jwks_df(self) -> Any:
        """The server's signing keys as a DataFrame: kid, kty, alg, use, size/curve, RFC 7638 thumbprint."""
        from telnyx_nb import frames

        return frames.jwks_frame(self.jwks())

    def introspection_df(self, token: str) -> Any:
        """One-row DataFrame of ``introspect(token)``."""
        from telnyx_nb import frames

        return frames.introspection_frame(self.introspect(token))


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


def _required(value: Any, name: str, message: str) -> None:
    """Refuse a missing or non-string argument before any request, naming it."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{message} (got {name}={value!r})" if value not in (None, "") else message)


def _names(value: Any, name: str) -> list[str]:
    """A list of names from a list/tuple, or from one space-separated string (as RFC 6749 §3.3 writes scopes),
    so ``allowed_scopes="messaging"`` means ``["messaging"]`` and never ``["m", "e", …]``."""
    if isinstance(value, str):
        return value.split()
    if not isinstance(value, (list, tuple, set, frozenset)) or not all(isinstance(v, str) for v in value):
        raise ConfigurationError(f"{name} must be a list of strings (or one space-separated string), got {value!r}")
    return list(value)


def _segment(value: str, name: str) -> str:
    """A path segment from an id, refusing values that would change the path."""
    if not isinstance(value, str) or not value.strip() or "/" in value or value in (".", ".."):
        raise ConfigurationError(f"{name} must be a non-empty id without '/', got {value!r}")
    from urllib.parse import quote

    return quote(value, safe="")
