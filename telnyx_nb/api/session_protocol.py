"""What the client's mixins need of the client, declared: the contract behind ``TelnyxOAuth``'s four mixins.

``TelnyxOAuth`` is composed by subject from :mod:`.authorization`, :mod:`.tokens`, :mod:`.management` and
:mod:`.managed_accounts`. Their methods send through the client's internals (``_json``, ``_data``,
``_require_management``, ``_client_auth``, ``_as_managed_account``) and read its state (the credentials, the send
loop, the cached discovery document, the key cache, the clock, the paging threads). :class:`OAuthSession` names
each of them with its type; every mixin subclasses it, so the type checker (``make lint``, mypy strict) checks each
use against this list, and refuses a ``TelnyxOAuth`` that leaves one of the methods out (it would be abstract).

Why a Protocol and not composition (Authlib hands its ``server`` to each grant object): the mixins' methods *are*
the client's public API (``tx.issue_token()``, ``tx.create_client()``), so composition would need a forwarding
method per endpoint on ``TelnyxOAuth`` (some thirty that say nothing) or a change of the public API. The Protocol
declares the same contract with no change to a call or to behaviour; at run time ``TelnyxOAuth``'s own definitions
come first in its MRO, so the stubs below are never called.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, Self

import requests

from telnyx_nb.api.send_loop import SendLoop
from telnyx_nb.core.records import AuthorizationServerMetadata, ManagedAccount

if TYPE_CHECKING:  # joserfc loads only when a JWT is first verified
    from telnyx_nb.api.jwt import KeyCache

__all__ = ["OAuthSession"]


class OAuthSession(Protocol):
    """The client as its mixins see it (``TelnyxOAuth`` provides every member)."""

    # credentials: the API key for management calls, the default client for the token endpoints (RFC 6749 §2.3.1)
    api_key: str | None
    client_id: str | None
    client_secret: str | None
    # the clock JWT exp/nbf are judged by (epoch seconds; None: the real one), and the paging threads' cap
    clock: Callable[[], float] | None
    max_workers: int
    # every request goes through the send loop (session, auth, pacing, retries, request log)
    _send_loop: SendLoop
    # the authorization server's metadata once fetched (its issuer checks redirects and JWTs), and the JWKS cache:
    # both start empty and the mixins fill them (a default here keeps mypy from typing them by their first filling)
    _metadata: AuthorizationServerMetadata | None = None
    _keys: KeyCache | None = None
    _keys_lock: threading.Lock

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send through the send loop; the parsed JSON body, or None for an empty answer."""
        ...

    def _data(self, method: str, path: str, **kwargs: Any) -> Any:
        """A management call (credentials required): the ``data`` member of the answer."""
        ...

    def _require_management(self) -> None:
        """Raise ``ConfigurationError`` naming the fix when no management credential is configured."""
        ...

    def _client_auth(self, client_id: str | None,
                     client_secret: str | None) -> tuple[requests.auth.AuthBase | None, dict[str, str]]:
        """The client authentication of a token-endpoint call: Basic auth, or ``client_id`` in the body."""
        ...

    def _as_managed_account(self, account: ManagedAccount, *, session: requests.Session | None = None) -> Self:
        """A new client of the same class acting as ``account`` with its ``api_key``: same base URL, timeouts and
        retry policy, its own connection pool and rate-limit window."""
        ...

    # one mixin calls another: the token endpoints read the issuer from discovery, discovery needs no token
    def authorization_server_metadata(self) -> AuthorizationServerMetadata:
        """``GET /.well-known/oauth-authorization-server`` (RFC 8414 §3), kept in ``_metadata``."""
        ...

