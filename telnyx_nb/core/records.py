"""Typed, immutable records for every answer of the Telnyx OAuth wire API (docs/contract.md; names in .wire).

Records are frozen dataclasses: lists become tuples, ISO 8601 date-times become tz-aware ``datetime`` objects, and
the parsed JSON stays available as ``.raw`` for fields a newer server adds. Each field declares how it is read
(``json_field(converter)``, converters in :mod:`.convert`) and whether it is a secret (``json_field(secret=True)``);
one :meth:`Record.from_json` (:mod:`.fields`) reads them all. ``repr()`` masks every secret field through
:mod:`telnyx_nb.core.masking`, which declares the same secret names (``RECORD_SECRET_NAMES``; a test holds the two
equal) and hides them in any text, and the panels mask them too, so printing a record in a notebook never leaks
one. Widgets, frames and the audit consume these records; none parses JSON.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from telnyx_nb.core import wire
from telnyx_nb.core.convert import (
    active,
    audience,
    enum,
    flag,
    meta_int,
    parse_datetime,
    seconds,
    secret_expiry,
    tuple_of,
)
from telnyx_nb.core.fields import REQUIRED, Record, all_secret_fields, json_field, malformed, record

__all__ = [
    "Record",
    "OAuthClient",
    "OAuthGrant",
    "ManagedAccount",
    "Page",
    "TokenResponse",
    "Introspection",
    "JWK",
    "JWKS",
    "Registration",
    "ConsentScope",
    "Consent",
    "AuthorizationRequest",
    "AuthorizationServerMetadata",
    "ProtectedResourceMetadata",
    "VerifiedJWT",
    "parse_datetime",
    "secret_field_names",
    "json_field",
    "REQUIRED",
]


@record
class OAuthClient(Record):
    """An ``oauth_client`` (``GET/POST/PUT /oauth_clients``). ``client_secret`` is set only on create.

    Tolerant of the published nullability (``wire.CLIENT_NULLABLE``): ``client_secret`` absent or null,
    ``logo_uri``/``policy_uri``/``tos_uri`` null, and ``verified`` (not in the published object) absent — each is
    then ``None`` (``<NA>`` in a frame). Only ``client_id`` is needed to build one.
    """

    WIRE_FIELDS = wire.CLIENT_OBJECT_FIELDS  # every field is an attribute but record_type

    client_id: str
    name: str | None = None
    client_type: str | None = json_field(enum)
    verified: bool | None = json_field(flag)
    require_pkce: bool | None = json_field(flag)
    allowed_grant_types: tuple[str, ...] = json_field(tuple_of, default=())
    allowed_scopes: tuple[str, ...] = json_field(tuple_of, default=())
    redirect_uris: tuple[str, ...] = json_field(tuple_of, default=())
    logo_uri: str | None = None
    policy_uri: str | None = None
    tos_uri: str | None = None
    org_id: str | None = None
    user_id: str | None = None
    created_at: datetime | None = json_field(parse_datetime)
    updated_at: datetime | None = json_field(parse_datetime)
    client_secret: str | None = json_field(secret=True)


@record
class OAuthGrant(Record):
    """An ``oauth_grant``: a user's consent to a client for some scopes (``/oauth_grants``); ``last_used_at`` is
    ``None`` when the server says null (never used)."""

    WIRE_FIELDS = wire.GRANT_OBJECT_FIELDS

    id: str
    client_id: str
    scopes: tuple[str, ...] = json_field(tuple_of, default=())
    created_at: datetime | None = json_field(parse_datetime)
    last_used_at: datetime | None = json_field(parse_datetime)


@record
class ManagedAccount(Record):
    """A ``managed_account`` of a manager account (``GET /managed_accounts``, ``GET /managed_accounts/{id}``).

    The list answer carries the published fields (``wire.MANAGED_ACCOUNT_FIELDS``); only the single-account answer
    carries ``api_key`` (the managed account's own V2 API key), ``api_token`` and ``balance``. Both credentials are
    secret: masked in the repr and, once read, in any later text (``masking.remember``).
    """

    WIRE_FIELDS = wire.MANAGED_ACCOUNT_FIELDS

    id: str
    email: str | None = None
    api_user: str | None = None
    manager_account_id: str | None = None
    organization_name: str | None = None
    rollup_billing: bool | None = json_field(flag)
    managed_account_allow_custom_pricing: bool | None = json_field(flag)
    created_at: datetime | None = json_field(parse_datetime)
    updated_at: datetime | None = json_field(parse_datetime)
    balance: Any = None  # the single-account answer's balance object, as sent
    api_key: str | None = json_field(secret=True)
    api_token: str | None = json_field(secret=True)


T = TypeVar("T")


@record
class Page(Record, Generic[T]):
    """One page of a list endpoint: ``items`` plus the ``meta`` block (page_number, page_size, totals)."""

    items: tuple[T, ...] = ()
    page_number: int = 1
    page_size: int = 0
    total_pages: int = 1
    total_results: int = 0

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def has_next(self) -> bool:
        return self.page_number < self.total_pages

    def __repr__(self) -> str:
        return (
            f"Page(page_number={self.page_number}, page_size={self.page_size}, total_pages={self.total_pages}, "
            f"total_results={self.total_results}, items=<{len(self.items)} {self._item_name()}>)"
        )

    def _item_name(self) -> str:
        return type(self.items[0]).__name__ if self.items else "items"

    @classmethod
    def from_json(cls, body: Any, parse: Any = None) -> Page[Any]:  # type: ignore[override]
        """A list answer: ``data`` items each read by ``parse`` (e.g. ``OAuthGrant.from_json``), totals from
        ``meta`` — not a wire object of its own, so it reads its two members itself."""
        if not isinstance(body, dict):
            raise malformed("Page", f"expected a JSON object, got {type(body).__name__}")
        meta = body.get("meta") or {}
        if not isinstance(meta, dict):
            meta = {}
        page_number, page_size, total_pages, total_results = (meta_int(meta, n) for n in wire.PAGE_META_FIELDS)
        data = body.get("data") or ()
        if not isinstance(data, (list, tuple)):
            raise malformed("Page", f"'data' must be a list of objects, got {type(data).__name__}")
        items = tuple(parse(item) for item in data)
        page_number = page_number or 1
        if total_pages is None:
            # a meta block without total_pages (seen in the wild): derive it rather than stop after page 1
            if total_results is not None and page_size:
                total_pages = max(1, math.ceil(total_results / page_size))
            else:
                total_pages = page_number
        return cls(
            items=items,
            page_number=page_number,
            page_size=page_size if page_size is not None else len(items),
            total_pages=total_pages,
            total_results=total_results if total_results is not None else len(items),
            raw={"meta": meta},
        )


@record
class TokenResponse(Record):
    """RFC 6749 §5.1 access-token response from ``POST /oauth/token``; ``expires_at`` is when it lapses."""

    access_token: str = json_field(secret=True, default=REQUIRED)
    token_type: str = "Bearer"
    expires_in: int | None = json_field(seconds)
    refresh_token: str | None = json_field(secret=True)
    scope: str | None = None
    id_token: str | None = json_field(secret=True)
    received_at: float = json_field(default_factory=time.time, compare=False, local=True)

    @property
    def expires_at(self) -> datetime | None:
        if self.expires_in is None:
            return None
        return datetime.fromtimestamp(self.received_at + self.expires_in, tz=UTC)

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple_of(self.scope)


@record
class Introspection(Record):
    """RFC 7662 §2.2 introspection answer; an inactive token carries only ``active=False``."""

    active: bool = json_field(active, default=False)
    scope: str | None = None
    client_id: str | None = None
    sub: str | None = None
    aud: str | None = json_field(audience)
    iss: str | None = None
    exp: datetime | None = json_field(parse_datetime)
    iat: datetime | None = json_field(parse_datetime)
    nbf: datetime | None = json_field(parse_datetime)
    jti: str | None = None
    token_type: str | None = None
    username: str | None = None

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple_of(self.scope)


@record
class JWK(Record):
    """One public key of the JWKS (RFC 7517 §4); ``raw`` holds every member (n, e, crv, x, y …)."""

    kid: str | None = None
    kty: str | None = None
    alg: str | None = None
    use: str | None = None


def _keys(value: Any) -> tuple[JWK, ...]:
    return tuple(JWK.from_json(k) for k in value or ())


@record
class JWKS(Record):
    """The JSON Web Key Set from ``GET /oauth/jwks`` (RFC 7517 §5)."""

    keys: tuple[JWK, ...] = json_field(_keys, default=())

    def __iter__(self) -> Iterator[JWK]:
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)

    def kids(self) -> tuple[str | None, ...]:
        return tuple(k.kid for k in self.keys)


@record
class Registration(Record):
    """RFC 7591 §3.2.1 client information response from ``POST /oauth/register``."""

    client_id: str
    client_id_issued_at: datetime | None = json_field(parse_datetime)
    client_secret: str | None = json_field(secret=True)
    client_secret_expires_at: datetime | None = json_field(secret_expiry)
    client_name: str | None = None
    grant_types: tuple[str, ...] = json_field(tuple_of, default=())
    redirect_uris: tuple[str, ...] = json_field(tuple_of, default=())
    response_types: tuple[str, ...] = json_field(tuple_of, default=())
    scope: str | None = None
    token_endpoint_auth_method: str | None = None
    logo_uri: str | None = None
    policy_uri: str | None = None
    tos_uri: str | None = None
    registration_access_token: str | None = json_field(secret=True)


@record
class ConsentScope(Record):
    """A scope the client asks for, as the consent screen describes it."""

    id: str | None = None
    name: str | None = None
    description: str | None = None


def _consent_scopes(value: Any) -> tuple[ConsentScope, ...]:
    return tuple(ConsentScope.from_json(s) for s in value or ())


@record
class Consent(Record):
    """What the user is asked to approve (``GET /oauth/consent/{consent_token}``); ``consent_token`` is the one
    from the authorize redirect (``Consent.from_json(data, consent_token=...)``), not read from the answer."""

    consent_token: str | None = json_field(secret=True, local=True)
    client_id: str | None = None
    name: str | None = None
    logo_uri: str | None = None
    policy_uri: str | None = None
    tos_uri: str | None = None
    redirect_uri: str | None = None
    verified: bool | None = json_field(flag)
    requested_scopes: tuple[ConsentScope, ...] = json_field(_consent_scopes, default=())

    @property
    def scope_ids(self) -> tuple[str | None, ...]:
        return tuple(s.id for s in self.requested_scopes)


@record
class AuthorizationRequest(Record):
    """An authorization-code request (RFC 6749 §4.1.1) with its PKCE pair (RFC 7636 §4.1–4.3) and state.

    Keep it until the redirect comes back: ``state`` checks the redirect, ``code_verifier`` redeems the code.
    Built by the client, never read from an answer.
    """

    url: str
    client_id: str
    redirect_uri: str
    scope: str | None = None
    state: str | None = None
    code_verifier: str | None = json_field(secret=True)
    code_challenge: str | None = None
    code_challenge_method: str | None = None


@record
class AuthorizationServerMetadata(Record):
    """RFC 8414 §2 authorization server metadata (``/.well-known/oauth-authorization-server``)."""

    issuer: str | None = None
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    introspection_endpoint: str | None = None
    revocation_endpoint: str | None = None
    registration_endpoint: str | None = None
    jwks_uri: str | None = None
    scopes_supported: tuple[str, ...] = json_field(tuple_of, default=())
    response_types_supported: tuple[str, ...] = json_field(tuple_of, default=())
    grant_types_supported: tuple[str, ...] = json_field(tuple_of, default=())
    token_endpoint_auth_methods_supported: tuple[str, ...] = json_field(tuple_of, default=())
    code_challenge_methods_supported: tuple[str, ...] = json_field(tuple_of, default=())


@record
class ProtectedResourceMetadata(Record):
    """RFC 9728 §2 protected resource metadata (``/.well-known/oauth-protected-resource``)."""

    resource: str | None = None
    authorization_servers: tuple[str, ...] = json_field(tuple_of, default=())
    scopes_supported: tuple[str, ...] = json_field(tuple_of, default=())
    bearer_methods_supported: tuple[str, ...] = json_field(tuple_of, default=())


@record
class VerifiedJWT(Record):
    """A JWT whose signature and claims checked out (RFC 7519 §7.2, RFC 9068 §4); built by ``jwt.verify``."""

    token: str = json_field(secret=True, default=REQUIRED)
    header: dict[str, Any]
    claims: dict[str, Any]

    @property
    def kid(self) -> str | None:
        return self.header.get("kid")

    @property
    def expires_at(self) -> datetime | None:
        return parse_datetime(self.claims.get("exp"))

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple_of(self.claims.get("scope"))


def secret_field_names() -> frozenset[str]:
    """Every field some record declares secret: what ``masking`` hides by name and the panels never show."""
    return all_secret_fields()
