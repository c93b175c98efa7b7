"""Typed, immutable records for every answer of the Telnyx OAuth wire API (docs/contract.md; names in .wire).

Records are frozen dataclasses: lists become tuples, ISO 8601 date-times become tz-aware ``datetime`` objects, and
the parsed JSON stays available as ``.raw`` for fields a newer server adds. Each field declares how it is read
(``json_field(converter)``) and whether it is a secret (``json_field(secret=True)``); one :meth:`Record.from_json`
reads them all. ``repr()`` masks every secret field through :mod:`telnyx_nb.masking`, which (with the panels)
takes the names of the secret fields from here, so printing a record in a notebook never leaks one. Widgets,
frames and the audit consume these records; none of them parses JSON.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

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
    "secret_field_names",
    "json_field",
    "REQUIRED",
]


_ZERO = timedelta(0)
REQUIRED: Any = dataclasses.MISSING  # ``json_field(default=REQUIRED)``: the answer must carry the field


def json_field(convert: Callable[[Any], Any] | None = None, *, default: Any = None, secret: bool = False,
               local: bool = False, **options: Any) -> Any:
    """Declare how a record field is read from JSON: ``convert(value)`` (value absent → ``default``, then
    converted), ``secret`` (masked in reprs, by ``mask_text`` and in the panels) and ``local`` (not on the wire:
    set by the caller, e.g. a consent's token from the URL). Other ``dataclasses.field`` options pass through."""
    metadata = {"json": convert, "secret": secret, "local": local}
    if "default_factory" in options:
        return field(metadata=metadata, **options)
    return field(default=default, metadata=metadata, **options)


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


def _malformed(name: str, problem: str) -> APIError:
    return APIError(f"the server's answer is not a valid {name}: {problem}")


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


def _seconds(value: Any) -> int | None:
    """``expires_in`` as whole seconds, tolerating ``"3600"`` and ``3600.0``."""
    return int(float(value)) if value not in (None, "") else None


def _secret_expiry(value: Any) -> datetime | None:
    """RFC 7591 §3.2.1 ``client_secret_expires_at``: 0 means "never"."""
    return parse_datetime(value) if value else None


def _audience(value: Any) -> Any:
    """RFC 7662 §2.2 ``aud`` may be a list: shown space separated, like a scope."""
    return " ".join(value) if isinstance(value, list) else value


# Per record class: (name, converter or None, default or REQUIRED) of each field read from JSON, then
# (name, default_factory or None, default) of each field that is not (``raw`` aside).
_Plan = tuple[tuple[tuple[str, Callable[[Any], Any] | None, Any], ...], tuple[tuple[str, Any, Any], ...]]
_plans: dict[type, _Plan] = {}
_secrets: dict[type, frozenset[str]] = {}


@dataclass(frozen=True, kw_only=True, repr=False)
class Record:
    """Base: one JSON decoder driven by the fields' ``json_field()`` declarations, and a ``repr`` that masks the secret
    fields and leaves ``raw`` out."""

    raw: dict[str, Any] = json_field(default_factory=dict, compare=False, local=True)

    @classmethod
    def secret_fields(cls) -> frozenset[str]:
        """Names of this record's fields declared ``json_field(secret=True)``."""
        names = _secrets.get(cls)
        if names is None:
            names = _secrets[cls] = frozenset(f.name for f in dataclasses.fields(cls) if f.metadata.get("secret"))
        return names

    @classmethod
    def _plan(cls) -> _Plan:
        plan = _plans.get(cls)
        if plan is None:
            fields = [f for f in dataclasses.fields(cls) if f.name != "raw"]
            plan = _plans[cls] = (
                tuple((f.name, f.metadata.get("json"), f.default) for f in fields if not f.metadata.get("local")),
                tuple((f.name, None if f.default_factory is dataclasses.MISSING else f.default_factory, f.default)
                      for f in fields if f.metadata.get("local")),
            )
        return plan

    @classmethod
    def from_json(cls, data: Any, **local: Any) -> Any:
        """Build the record from a JSON object: each field's converter reads its value (absent → the field's
        default), fields without a default must be present, unknown fields stay in ``raw`` only. ``local`` sets
        fields that are not on the wire. A malformed answer is an :class:`APIError` naming the record and field.

        The frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``; filling ``__dict__``
        in one call is ~4x cheaper, which matters for a page of 100 grants. The result is the same immutable
        record (``__setattr__`` still refuses changes).
        """
        if not isinstance(data, dict):
            raise _malformed(cls.__name__, f"expected a JSON object, got {type(data).__name__}")
        from_wire, not_on_wire = cls._plan()
        values: dict[str, Any] = {"raw": data, **local}
        name = ""
        try:
            for name, convert, default in from_wire:
                value = data.get(name, default)
                if value is REQUIRED:
                    raise _malformed(cls.__name__, f"field {name!r} is missing")
                values[name] = value if convert is None else convert(value)
        except (TypeError, ValueError, AttributeError) as exc:
            raise _malformed(cls.__name__, f"field {name!r}: {exc}") from exc
        for name, factory, default in not_on_wire:  # those the caller did not give (e.g. TokenResponse.received_at)
            if name not in values:
                values[name] = factory() if factory is not None else default
        record = object.__new__(cls)
        record.__dict__.update(values)
        return record

    def __repr__(self) -> str:
        secret = self.secret_fields()
        parts = []
        for f in dataclasses.fields(self):
            if f.name == "raw" or not f.repr:
                continue
            value = getattr(self, f.name)
            shown = mask(value) if (f.name in secret and value is not None) else repr(value)
            parts.append(f"{f.name}={shown}")
        return f"{type(self).__name__}({', '.join(parts)})"

    __str__ = __repr__

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

    WIRE_FIELDS = wire.CLIENT_OBJECT_FIELDS  # every field is an attribute but record_type

    client_id: str
    name: str | None = None
    client_type: str | None = json_field(_enum)
    verified: bool | None = json_field(_flag)
    require_pkce: bool | None = json_field(_flag)
    allowed_grant_types: tuple[str, ...] = json_field(_tuple, default=())
    allowed_scopes: tuple[str, ...] = json_field(_tuple, default=())
    redirect_uris: tuple[str, ...] = json_field(_tuple, default=())
    logo_uri: str | None = None
    policy_uri: str | None = None
    tos_uri: str | None = None
    org_id: str | None = None
    user_id: str | None = None
    created_at: datetime | None = json_field(parse_datetime)
    updated_at: datetime | None = json_field(parse_datetime)
    client_secret: str | None = json_field(secret=True)


@dataclass(frozen=True, kw_only=True, repr=False)
class OAuthGrant(Record):
    """An ``oauth_grant``: a user's consent to a client for some scopes (``/oauth_grants``); ``last_used_at`` is
    ``None`` when the server says null (never used)."""

    WIRE_FIELDS = wire.GRANT_OBJECT_FIELDS

    id: str
    client_id: str
    scopes: tuple[str, ...] = json_field(_tuple, default=())
    created_at: datetime | None = json_field(parse_datetime)
    last_used_at: datetime | None = json_field(parse_datetime)


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
    def from_json(cls, body: Any, parse: Any = None) -> Page[Any]:  # type: ignore[override]
        """A list answer: ``data`` items each read by ``parse`` (e.g. ``OAuthGrant.from_json``), totals from
        ``meta`` — not a wire object of its own, so it reads its two members itself."""
        if not isinstance(body, dict):
            raise _malformed("Page", f"expected a JSON object, got {type(body).__name__}")
        meta = body.get("meta") or {}
        if not isinstance(meta, dict):
            meta = {}
        page_number, page_size, total_pages, total_results = (_meta_int(meta, n) for n in wire.PAGE_META_FIELDS)
        data = body.get("data") or ()
        if not isinstance(data, (list, tuple)):
            raise _malformed("Page", f"'data' must be a list of objects, got {type(data).__name__}")
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

    access_token: str = json_field(secret=True, default=REQUIRED)
    token_type: str = "Bearer"
    expires_in: int | None = json_field(_seconds)
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
        return _tuple(self.scope)


@dataclass(frozen=True, kw_only=True, repr=False)
class Introspection(Record):
    """RFC 7662 §2.2 introspection answer; an inactive token carries only ``active=False``."""

    active: bool = json_field(_active, default=False)
    scope: str | None = None
    client_id: str | None = None
    sub: str | None = None
    aud: str | None = json_field(_audience)
    iss: str | None = None
    exp: datetime | None = json_field(parse_datetime)
    iat: datetime | None = json_field(parse_datetime)
    nbf: datetime | None = json_field(parse_datetime)
    jti: str | None = None
    token_type: str | None = None
    username: str | None = None

    @property
    def scopes(self) -> tuple[str, ...]:
        return _tuple(self.scope)


@dataclass(frozen=True, kw_only=True, repr=False)
class JWK(Record):
    """One public key of the JWKS (RFC 7517 §4); ``raw`` holds every member (n, e, crv, x, y …)."""

    kid: str | None = None
    kty: str | None = None
    alg: str | None = None
    use: str | None = None


def _keys(value: Any) -> tuple[JWK, ...]:
    return tuple(JWK.from_json(k) for k in value or ())


@dataclass(frozen=True, kw_only=True, repr=False)
class JWKS(Record):
    """The JSON Web Key Set from ``GET /oauth/jwks`` (RFC 7517 §5)."""

    keys: tuple[JWK, ...] = json_field(_keys, default=())

    def __iter__(self) -> Iterator[JWK]:
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)

    def kids(self) -> tuple[str | None, ...]:
        return tuple(k.kid for k in self.keys)


@dataclass(frozen=True, kw_only=True, repr=False)
class Registration(Record):
    """RFC 7591 §3.2.1 client information response from ``POST /oauth/register``."""

    client_id: str
    client_id_issued_at: datetime | None = json_field(parse_datetime)
    client_secret: str | None = json_field(secret=True)
    client_secret_expires_at: datetime | None = json_field(_secret_expiry)
    client_name: str | None = None
    grant_types: tuple[str, ...] = json_field(_tuple, default=())
    redirect_uris: tuple[str, ...] = json_field(_tuple, default=())
    response_types: tuple[str, ...] = json_field(_tuple, default=())
    scope: str | None = None
    token_endpoint_auth_method: str | None = None
    logo_uri: str | None = None
    policy_uri: str | None = None
    tos_uri: str | None = None
    registration_access_token: str | None = json_field(secret=True)


@dataclass(frozen=True, kw_only=True, repr=False)
class ConsentScope(Record):
    """A scope the client asks for, as the consent screen describes it."""

    id: str | None = None
    name: str | None = None
    description: str | None = None


def _consent_scopes(value: Any) -> tuple[ConsentScope, ...]:
    return tuple(ConsentScope.from_json(s) for s in value or ())


@dataclass(frozen=True, kw_only=True, repr=False)
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
    verified: bool | None = json_field(_flag)
    requested_scopes: tuple[ConsentScope, ...] = json_field(_consent_scopes, default=())

    @property
    def scope_ids(self) -> tuple[str | None, ...]:
        return tuple(s.id for s in self.requested_scopes)


@dataclass(frozen=True, kw_only=True, repr=False)
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
    scopes_supported: tuple[str, ...] = json_field(_tuple, default=())
    response_types_supported: tuple[str, ...] = json_field(_tuple, default=())
    grant_types_supported: tuple[str, ...] = json_field(_tuple, default=())
    token_endpoint_auth_methods_supported: tuple[str, ...] = json_field(_tuple, default=())
    code_challenge_methods_supported: tuple[str, ...] = json_field(_tuple, default=())


@dataclass(frozen=True, kw_only=True, repr=False)
class ProtectedResourceMetadata(Record):
    """RFC 9728 §2 protected resource metadata (``/.well-known/oauth-protected-resource``)."""

    resource: str | None = None
    authorization_servers: tuple[str, ...] = json_field(_tuple, default=())
    scopes_supported: tuple[str, ...] = json_field(_tuple, default=())
    bearer_methods_supported: tuple[str, ...] = json_field(_tuple, default=())


@dataclass(frozen=True, kw_only=True, repr=False)
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
        return _tuple(self.claims.get("scope"))


def secret_field_names() -> frozenset[str]:
    """Every field some record declares secret: what ``masking`` hides by name and the panels never show."""
    names: set[str] = set()
    todo = [Record]
    while todo:
        cls = todo.pop()
        names |= cls.secret_fields()
        todo += cls.__subclasses__()
    return frozenset(names)
