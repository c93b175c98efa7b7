"""Typed, immutable records for every answer of the Telnyx OAuth wire API (docs/contract.md; names in .wire).

Records are frozen dataclasses: lists become tuples, ISO 8601 date-times become tz-aware ``datetime`` objects, and
the parsed JSON stays available as ``.raw`` for fields a newer server adds. ``repr()`` masks every secret field
(client secrets, tokens, code verifiers) through :mod:`telnyx_nb.masking`, so printing a record in a notebook never
leaks one. Widgets, frames and the audit consume these records; none of them parses JSON.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Generic, TypeVar

from telnyx_nb.api import wire
from telnyx_nb.errors import APIError
from telnyx_nb.masking import mask

__all__ = [
    "Record",
    "OAuthClient",
    "OAuthGrant",
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
]


_ZERO = timedelta(0)


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601 / RFC 3339 date-time (``Z`` or offset) or epoch seconds → tz-aware UTC ``datetime``."""
    if value is None or value == "":
        return None
    if type(value) is str:  # the common case, first
        if value.isdigit():  # a NumericDate (RFC 7519 §2) sent as a string by a lax server
            return datetime.fromtimestamp(int(value), tz=UTC)
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:  # the API speaks UTC; a naive stamp is UTC
            return parsed.replace(tzinfo=UTC)
        return parsed if parsed.utcoffset() == _ZERO else parsed.astimezone(UTC)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=UTC)
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:  # the API speaks UTC; a naive stamp is UTC
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _malformed_as_api_error(parse: Any, name: str) -> Any:
    @functools.wraps(parse)
    def wrapper(cls: Any, data: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(data, dict):
            raise APIError(f"the server's answer is not a valid {name}: expected a JSON object, got "
                           f"{type(data).__name__}")
        try:
            return parse(cls, data, *args, **kwargs)
        except KeyError as exc:
            raise APIError(f"the server's answer is not a valid {name}: field {exc.args[0]!r} is missing") from exc
        except (TypeError, ValueError, AttributeError) as exc:
            raise APIError(f"the server's answer is not a valid {name}: {exc}") from exc
    return wrapper


def _flag(value: Any) -> bool | None:
    """A JSON boolean, tolerating the string and 0/1 spellings of lax servers; anything else is unknown (None)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None


def _enum(value: Any) -> Any:
    """Enum values (client_type …) compare lower-case, as the wire API spells them."""
    return value.strip().lower() if isinstance(value, str) else value


def _active(value: Any) -> bool:
    """RFC 7662 §2.2 ``active`` is a boolean; fail closed on anything else (``bool("false")`` would be True)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _meta_int(meta: dict[str, Any], name: str) -> int | None:
    value = meta.get(name)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _tuple(value: Any) -> tuple:
    if value is None:
        return ()
    if isinstance(value, str):  # RFC 6749 §3.3 scope strings are space separated
        return tuple(value.split())
    return tuple(value)


def _opt_tuple(value: Any) -> tuple | None:
    return None if value is None else _tuple(value)


@dataclass(frozen=True, kw_only=True, repr=False)
class Record:
    """Base: a ``repr`` that masks the fields named in ``SECRET_FIELDS`` and leaves ``raw`` out."""

    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ()

    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Wrap each subclass's own ``from_json`` so a malformed answer raises ``APIError`` naming the record and
        the missing or bad field, not a bare KeyError/TypeError from deep inside the parser."""
        super().__init_subclass__(**kwargs)
        parse = cls.__dict__.get("from_json")
        if isinstance(parse, classmethod):
            cls.from_json = classmethod(_malformed_as_api_error(parse.__func__, cls.__name__))  # type: ignore

    def __repr__(self) -> str:
        parts = []
        for f in dataclasses.fields(self):
            if f.name == "raw" or not f.repr:
                continue
            value = getattr(self, f.name)
            shown = mask(value) if (f.name in self.SECRET_FIELDS and value is not None) else repr(value)
            parts.append(f"{f.name}={shown}")
        return f"{type(self).__name__}({', '.join(parts)})"

    __str__ = __repr__

    @classmethod
    def _assemble(cls, values: dict[str, Any]) -> Any:
        """Build a record from a dict naming *every* field, skipping the generated ``__init__``.

        A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``; filling ``__dict__`` in
        one call is ~4x cheaper, which matters when a DataFrame is built from 10,000 grants. The result is the
        same immutable record (``__setattr__`` still refuses changes).
        """
        record = object.__new__(cls)
        record.__dict__.update(values)
        return record

    def to_dict(self) -> dict[str, Any]:
        """Fields as a plain dict (secrets included: for programmatic use, not for display)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "raw"}


@dataclass(frozen=True, kw_only=True, repr=False)
class OAuthClient(Record):
    """An ``oauth_client`` (``GET/POST/PUT /oauth_clients``). ``client_secret`` is set only on create.

    Tolerant of the published nullability (``wire.CLIENT_NULLABLE``): ``client_secret`` absent or null,
    ``logo_uri``/``policy_uri``/``tos_uri`` null, and ``verified`` (not in the published object) absent — each is
    then ``None`` (``<NA>`` in a frame). Only ``client_id`` is needed to build one.
    """

    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("client_secret",)
    WIRE_FIELDS: ClassVar[tuple[str, ...]] = wire.CLIENT_OBJECT_FIELDS  # every field is an attribute but record_type

    client_id: str
    name: str | None = None
    client_type: str | None = None
    verified: bool | None = None
    require_pkce: bool | None = None
    allowed_grant_types: tuple[str, ...] = ()
    allowed_scopes: tuple[str, ...] = ()
    redirect_uris: tuple[str, ...] = ()
    logo_uri: str | None = None
    policy_uri: str | None = None
    tos_uri: str | None = None
    org_id: str | None = None
    user_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    client_secret: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OAuthClient:
        return cls._assemble(dict(
            client_id=data["client_id"],
            name=data.get("name"),
            client_type=_enum(data.get("client_type")),
            verified=_flag(data.get("verified")),
            require_pkce=_flag(data.get("require_pkce")),
            allowed_grant_types=_tuple(data.get("allowed_grant_types")),
            allowed_scopes=_tuple(data.get("allowed_scopes")),
            redirect_uris=_tuple(data.get("redirect_uris")),
            logo_uri=data.get("logo_uri"),
            policy_uri=data.get("policy_uri"),
            tos_uri=data.get("tos_uri"),
            org_id=data.get("org_id"),
            user_id=data.get("user_id"),
            created_at=parse_datetime(data.get("created_at")),
            updated_at=parse_datetime(data.get("updated_at")),
            client_secret=data.get("client_secret"),
            raw=data,
        ))


@dataclass(frozen=True, kw_only=True, repr=False)
class OAuthGrant(Record):
    """An ``oauth_grant``: a user's consent to a client for some scopes (``/oauth_grants``); ``last_used_at`` is
    ``None`` when the server says null (never used)."""

    WIRE_FIELDS: ClassVar[tuple[str, ...]] = wire.GRANT_OBJECT_FIELDS

    id: str
    client_id: str
    scopes: tuple[str, ...] = ()
    created_at: datetime | None = None
    last_used_at: datetime | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OAuthGrant:
        scopes = data.get("scopes")
        return cls._assemble({
            "raw": data,
            "id": data["id"],
            "client_id": data["client_id"],
            "scopes": tuple(scopes) if isinstance(scopes, list) else _tuple(scopes),
            "created_at": parse_datetime(data.get("created_at")),
            "last_used_at": parse_datetime(data.get("last_used_at")),
        })


T = TypeVar("T")


@dataclass(frozen=True, kw_only=True, repr=False)
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
    def from_json(cls, body: dict[str, Any], parse: Any) -> Page[Any]:
        meta = body.get("meta") or {}
        if not isinstance(meta, dict):
            meta = {}
        page_number, page_size, total_pages, total_results = (_meta_int(meta, n) for n in wire.PAGE_META_FIELDS)
        data = body.get("data") or ()
        if not isinstance(data, (list, tuple)):
            raise TypeError(f"'data' must be a list of objects, got {type(data).__name__}")
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


@dataclass(frozen=True, kw_only=True, repr=False)
class TokenResponse(Record):
    """RFC 6749 §5.1 access-token response from ``POST /oauth/token``; ``expires_at`` is when it lapses."""

    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("access_token", "refresh_token", "id_token")

    access_token: str
    token_type: str = "Bearer"
    expires_in: int | None = None
    refresh_token: str | None = None
    scope: str | None = None
    id_token: str | None = None
    received_at: float = field(default_factory=time.time, compare=False)

    @property
    def expires_at(self) -> datetime | None:
        if self.expires_in is None:
            return None
        return datetime.fromtimestamp(self.received_at + self.expires_in, tz=UTC)

    @property
    def scopes(self) -> tuple[str, ...]:
        return _tuple(self.scope)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TokenResponse:
        expires_in = data.get("expires_in")
        return cls(
            access_token=data["access_token"],
            token_type=data.get("token_type", "Bearer"),
            expires_in=int(float(expires_in)) if expires_in not in (None, "") else None,  # "3600", 3600.0
            refresh_token=data.get("refresh_token"),
            scope=data.get("scope"),
            id_token=data.get("id_token"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True, repr=False)
class Introspection(Record):
    """RFC 7662 §2.2 introspection answer; an inactive token carries only ``active=False``."""

    active: bool
    scope: str | None = None
    client_id: str | None = None
    sub: str | None = None
    aud: str | None = None
    iss: str | None = None
    exp: datetime | None = None
    iat: datetime | None = None
    nbf: datetime | None = None
    jti: str | None = None
    token_type: str | None = None
    username: str | None = None

    @property
    def scopes(self) -> tuple[str, ...]:
        return _tuple(self.scope)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Introspection:
        aud = data.get("aud")
        if isinstance(aud, list):
            aud = " ".join(aud)
        return cls(
            active=_active(data.get("active")),
            scope=data.get("scope"),
            client_id=data.get("client_id"),
            sub=data.get("sub"),
            aud=aud,
            iss=data.get("iss"),
            exp=parse_datetime(data.get("exp")),
            iat=parse_datetime(data.get("iat")),
            nbf=parse_datetime(data.get("nbf")),
            jti=data.get("jti"),
            token_type=data.get("token_type"),
            username=data.get("username"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True, repr=False)
class JWK(Record):
    """One public key of the JWKS (RFC 7517 §4); ``raw`` holds every member (n, e, crv, x, y …)."""

    kid: str | None = None
    kty: str | None = None
    alg: str | None = None
    use: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JWK:
        return cls(kid=data.get("kid"), kty=data.get("kty"), alg=data.get("alg"), use=data.get("use"), raw=data)


@dataclass(frozen=True, kw_only=True, repr=False)
class JWKS(Record):
    """The JSON Web Key Set from ``GET /oauth/jwks`` (RFC 7517 §5)."""

    keys: tuple[JWK, ...] = ()

    def __iter__(self) -> Iterator[JWK]:
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)

    def kids(self) -> tuple[str | None, ...]:
        return tuple(k.kid for k in self.keys)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JWKS:
        return cls(keys=tuple(JWK.from_json(k) for k in data.get("keys") or ()), raw=data)


@dataclass(frozen=True, kw_only=True, repr=False)
class Registration(Record):
    """RFC 7591 §3.2.1 client information response from ``POST /oauth/register``."""

    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("client_secret", "registration_access_token")

    client_id: str
    client_id_issued_at: datetime | None = None
    client_secret: str | None = None
    client_secret_expires_at: datetime | None = None
    client_name: str | None = None
    grant_types: tuple[str, ...] = ()
    redirect_uris: tuple[str, ...] = ()
    response_types: tuple[str, ...] = ()
    scope: str | None = None
    token_endpoint_auth_method: str | None = None
    logo_uri: str | None = None
    policy_uri: str | None = None
    tos_uri: str | None = None
    registration_access_token: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Registration:
        expires = data.get("client_secret_expires_at")
        return cls(
            client_id=data["client_id"],
            client_id_issued_at=parse_datetime(data.get("client_id_issued_at")),
            client_secret=data.get("client_secret"),
            client_secret_expires_at=parse_datetime(expires) if expires else None,  # 0 means "never" (§3.2.1)
            client_name=data.get("client_name"),
            grant_types=_tuple(data.get("grant_types")),
            redirect_uris=_tuple(data.get("redirect_uris")),
            response_types=_tuple(data.get("response_types")),
            scope=data.get("scope"),
            token_endpoint_auth_method=data.get("token_endpoint_auth_method"),
            logo_uri=data.get("logo_uri"),
            policy_uri=data.get("policy_uri"),
            tos_uri=data.get("tos_uri"),
            registration_access_token=data.get("registration_access_token"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True, repr=False)
class ConsentScope(Record):
    """A scope the client asks for, as the consent screen describes it."""

    id: str | None = None
    name: str | None = None
    description: str | None = None


@dataclass(frozen=True, kw_only=True, repr=False)
class Consent(Record):
    """What the user is asked to approve (``GET /oauth/consent/{consent_token}``)."""

    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("consent_token",)

    consent_token: str | None = None
    client_id: str | None = None
    name: str | None = None
    logo_uri: str | None = None
    policy_uri: str | None = None
    tos_uri: str | None = None
    redirect_uri: str | None = None
    verified: bool | None = None
    requested_scopes: tuple[ConsentScope, ...] = ()

    @property
    def scope_ids(self) -> tuple[str | None, ...]:
        return tuple(s.id for s in self.requested_scopes)

    @classmethod
    def from_json(cls, data: dict[str, Any], consent_token: str | None = None) -> Consent:
        scopes = tuple(
            ConsentScope(id=s.get("id"), name=s.get("name"), description=s.get("description"), raw=s)
            for s in data.get("requested_scopes") or ()
        )
        return cls(
            consent_token=consent_token,
            client_id=data.get("client_id"),
            name=data.get("name"),
            logo_uri=data.get("logo_uri"),
            policy_uri=data.get("policy_uri"),
            tos_uri=data.get("tos_uri"),
            redirect_uri=data.get("redirect_uri"),
            verified=_flag(data.get("verified")),
            requested_scopes=scopes,
            raw=data,
        )


@dataclass(frozen=True, kw_only=True, repr=False)
class AuthorizationRequest(Record):
    """An authorization-code request (RFC 6749 §4.1.1) with its PKCE pair (RFC 7636 §4.1–4.3) and state.

    Keep it until the redirect comes back: ``state`` checks the redirect, ``code_verifier`` redeems the code.
    """

    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("code_verifier",)

    url: str
    client_id: str
    redirect_uri: str
    scope: str | None = None
    state: str | None = None
    code_verifier: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None


@dataclass(frozen=True, kw_only=True, repr=False)
class AuthorizationServerMetadata(Record):
    """RFC 8414 §2 authorization server metadata (``/.well-known/oauth-authorization-server``)."""

    issuer: str | None = None
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    introspection_endpoint: str | None = None
    revocation_endpoint: str | None = None
    registration_endpoint: str | None = None
    jwks_uri: str | None = None
    scopes_supported: tuple[str, ...] = ()
    response_types_supported: tuple[str, ...] = ()
    grant_types_supported: tuple[str, ...] = ()
    token_endpoint_auth_methods_supported: tuple[str, ...] = ()
    code_challenge_methods_supported: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AuthorizationServerMetadata:
        names = {f.name for f in dataclasses.fields(cls)} - {"raw"}
        values = {k: (_tuple(v) if k.endswith("_supported") else v) for k, v in data.items() if k in names}
        return cls(**values, raw=data)


@dataclass(frozen=True, kw_only=True, repr=False)
class ProtectedResourceMetadata(Record):
    """RFC 9728 §2 protected resource metadata (``/.well-known/oauth-protected-resource``)."""

    resource: str | None = None
    authorization_servers: tuple[str, ...] = ()
    scopes_supported: tuple[str, ...] = ()
    bearer_methods_supported: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProtectedResourceMetadata:
        return cls(
            resource=data.get("resource"),
            authorization_servers=_tuple(data.get("authorization_servers")),
            scopes_supported=_tuple(data.get("scopes_supported")),
            bearer_methods_supported=_tuple(data.get("bearer_methods_supported")),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True, repr=False)
class VerifiedJWT(Record):
    """A JWT whose signature and claims checked out (RFC 7519 §7.2, RFC 9068 §4)."""

    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("token",)

    token: str
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
        return _tuple(self.claims.get("scope"))
