"""How management calls authenticate: a fixed API key, or a client-credentials token fetched and renewed for you.

Both are ``requests`` auth objects that set ``Authorization: Bearer …`` (RFC 6750 §2.1). The token cache asks
``fetch()`` for a token (RFC 6749 §4.4, client_credentials at the configured base URL's ``/oauth/token``), keeps
it, and fetches a new one ``margin`` seconds before it expires; ``invalidate()`` forgets it so the next call gets
a fresh one. Its clock is injectable (``clock=`` any callable returning seconds, e.g. a sandbox's ``clock``), so a
test can move time past ``expires_in`` instead of sleeping.

Renewal after a 401 is the token's own decision, as in httpx's ``Auth.auth_flow`` (and requests' digest auth,
which re-sends from a response hook): the send loop asks :func:`auth_flow` for one generator per request and sends
every answer into it; the generator says whether to send the request once more. Only the client-credentials token
ever says yes — once per request, after forgetting the token the server refused — so a fixed API key or client
Basic credentials that get 401 end in ``AuthenticationError`` at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator
from typing import Any

import requests

from telnyx_nb.core.masking import mask, remember
from telnyx_nb.core.records import TokenResponse

__all__ = ["BearerKey", "ClientCredentialsToken", "ClientBasic", "auth_flow", "AuthFlow", "credential_name"]

# One request's authentication: primed with next(); each answer sent in yields True when the request should be
# sent once more (the credentials were renewed), else False.
AuthFlow = Generator[bool, requests.Response, None]


def auth_flow(auth: Any) -> AuthFlow:
    """The flow for one request made with ``auth`` (any requests auth, or None), primed and ready for answers."""
    own = getattr(auth, "auth_flow", None)
    flow = own() if callable(own) else _send_once()
    next(flow)
    return flow


def credential_name(auth: Any) -> str:
    """Which of the server's rate-limit windows a request with ``auth`` counts in (``pacing.py``): the API key,
    one client's Basic credentials, the management token, or none. Never the secret itself."""
    if auth is None:
        return "anonymous"
    if isinstance(auth, BearerKey):
        return "api_key"
    if isinstance(auth, requests.auth.HTTPBasicAuth):
        return f"client:{auth.username!s}"
    return type(auth).__name__


def _send_once() -> AuthFlow:
    """Credentials that cannot be renewed: no answer is a reason to send again."""
    while True:
        yield False


class BearerKey(requests.auth.AuthBase):
    """``Authorization: Bearer <API key>``; the key never shows in repr."""

    def __init__(self, api_key: str) -> None:
        self._key = api_key
        remember(api_key)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._key}"
        return request

    def __repr__(self) -> str:
        return f"BearerKey({mask(self._key)})"


class ClientBasic(requests.auth.HTTPBasicAuth):
    """Client authentication by HTTP Basic (RFC 6749 §2.3.1), with a masked repr."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        super().__init__(client_id, client_secret)
        remember(client_secret)

    def __repr__(self) -> str:
        return f"ClientBasic({self.username!r}, {mask(self.password)})"


class ClientCredentialsToken(requests.auth.AuthBase):
    """A cached client_credentials access token, renewed before it expires (thread-safe)."""

    def __init__(self, fetch: Callable[[], TokenResponse], *, margin: float = 10.0,
                 clock: Callable[[], float] | None = None) -> None:
        self._fetch = fetch
        self.margin = margin
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._token: TokenResponse | None = None
        self._expires_at = 0.0  # deadline on self._clock
        self.fetch_count = 0

    @property
    def token(self) -> TokenResponse | None:
        """The cached token response (None before the first call)."""
        return self._token

    def _fresh(self) -> bool:
        if self._token is None:
            return False
        # Renew `margin` seconds early, but never more than half a short-lived token's life early.
        lifetime = self._token.expires_in
        if lifetime is None:
            return True
        early = min(self.margin, lifetime / 2)
        return self._clock() < self._expires_at - early

    def access_token(self) -> str:
        """The current access token, fetching a new one when none is cached or it is about to expire."""
        with self._lock:
            if not self._fresh():
                started = self._clock()
                token = self._fetch()
                self.fetch_count += 1
                remember(token.access_token, token.refresh_token)
                self._token = token
                self._expires_at = started + (token.expires_in or 0)
            assert self._token is not None
            return self._token.access_token

    def invalidate(self) -> None:
        """Forget the cached token: the next request fetches a new one."""
        with self._lock:
            self._token = None
            self._expires_at = 0.0

    def auth_flow(self) -> AuthFlow:
        """Send with the cached token; on the first 401 (RFC 6750 §3.1 ``invalid_token``: revoked, or expired
        before ``expires_in`` said) forget that token and send once more, with a fresh one fetched on the way out.
        Every later answer is final (a server that refuses each new token is not asked forever)."""
        response = yield False
        while response.status_code != 401:
            response = yield False
        self._forget(response.request)
        yield True
        yield from _send_once()

    def _forget(self, refused: requests.PreparedRequest | None) -> None:
        """Forget the token the server refused — not one another thread has fetched since (that one is new)."""
        sent = refused.headers.get("Authorization") if refused is not None else None
        with self._lock:
            if self._token is not None and (sent is None or sent == f"Bearer {self._token.access_token}"):
                self._token = None
                self._expires_at = 0.0

    def expire_now(self) -> None:
        """Make the cache believe the token has expired (what renewal tests and demos need)."""
        with self._lock:
            self._expires_at = 0.0

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.access_token()}"
        return request

    def __repr__(self) -> str:
        state = "empty" if self._token is None else f"token {mask(self._token.access_token)}"
        return f"ClientCredentialsToken({state})"
