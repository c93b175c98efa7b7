"""Typed records → typed pandas DataFrames with a fixed column order and real dtypes.

Every frame has the same columns and dtypes whether it holds 10,000 rows or none, so the audit rules, plots and
widgets downstream never special-case an empty account:

* identifiers and URIs: pandas' nullable ``string`` dtype;
* enums (``client_type``): ``category`` with the full set of categories;
* flags (``verified``, ``require_pkce``): nullable ``boolean`` (``<NA>`` when a server omits the field);
* time stamps: tz-aware UTC (``datetime64[us, UTC]``), ``NaT`` when absent (a grant never used);
* lists (scopes, grant types, redirect URIs): ``object`` columns holding Python lists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from telnyx_nb.api.pagination import MAX_WORKERS, fetch_all
from telnyx_nb.core import wire
from telnyx_nb.core.records import Page

if TYPE_CHECKING:
    from telnyx_nb.core.records import JWKS, Introspection, ManagedAccount, OAuthClient, OAuthGrant

__all__ = [
    "CLIENT_COLUMNS",
    "GRANT_COLUMNS",
    "GRANT_CLIENT_COLUMNS",
    "JWKS_COLUMNS",
    "INTROSPECTION_COLUMNS",
    "MANAGED_ACCOUNT_COLUMNS",
    "DTYPES",
    "CLIENT_TYPE",
    "DATETIME",
    "clients_frame",
    "grants_frame",
    "grants_frame_from_columns",
    "grants_frame_from_pages",
    "GrantColumns",
    "jwks_frame",
    "introspection_frame",
    "managed_accounts_frame",
    "empty_frame",
]

DATETIME = pd.DatetimeTZDtype(unit="us", tz="UTC")
STRING = pd.StringDtype()
BOOLEAN = pd.BooleanDtype()
CLIENT_TYPE = pd.CategoricalDtype(list(wire.CLIENT_TYPES))
LIST = object  # Python lists; pandas has no native list dtype without pyarrow

CLIENT_COLUMNS: tuple[str, ...] = (
    "client_id",
    "name",
    "client_type",
    "verified",
    "require_pkce",
    "allowed_grant_types",
    "allowed_scopes",
    "redirect_uris",
    "logo_uri",
    "policy_uri",
    "tos_uri",
    "org_id",
    "user_id",
    "created_at",
    "updated_at",
)
GRANT_COLUMNS: tuple[str, ...] = ("id", "client_id", "scopes", "created_at", "last_used_at")
GRANT_CLIENT_COLUMNS: tuple[str, ...] = ("client_name", "client_type", "client_verified")
JWKS_COLUMNS: tuple[str, ...] = ("kid", "kty", "alg", "use", "size", "curve", "thumbprint")
INTROSPECTION_COLUMNS: tuple[str, ...] = (
    "active",
    "client_id",
    "sub",
    "scope",
    "scopes",
    "aud",
    "iss",
    "iat",
    "exp",
    "nbf",
    "jti",
    "expires_in",
)
# the published list fields of a managed account; its api_key/api_token are never a column
MANAGED_ACCOUNT_COLUMNS: tuple[str, ...] = ("id", "email", "api_user", "organization_name", "manager_account_id",
                                            "rollup_billing", "managed_account_allow_custom_pricing", "created_at",
                                            "updated_at")

DTYPES: dict[str, Any] = {
    # clients
    "client_id": STRING,
    "name": STRING,
    "client_type": CLIENT_TYPE,
    "verified": BOOLEAN,
    "require_pkce": BOOLEAN,
    "allowed_grant_types": LIST,
    "allowed_scopes": LIST,
    "redirect_uris": LIST,
    "logo_uri": STRING,
    "policy_uri": STRING,
    "tos_uri": STRING,
    "org_id": STRING,
    "user_id": STRING,
    "created_at": DATETIME,
    "updated_at": DATETIME,
    # grants
    "id": STRING,
    "scopes": LIST,
    "last_used_at": DATETIME,
    "client_name": STRING,
    "client_verified": BOOLEAN,
    # jwks
    "kid": STRING,
    "kty": STRING,
    "alg": STRING,
    "use": STRING,
    "size": pd.Int64Dtype(),
    "curve": STRING,
    "thumbprint": STRING,
    # introspection
    "active": BOOLEAN,
    "sub": STRING,
    "scope": STRING,
    "aud": STRING,
    "iss": STRING,
    "iat": DATETIME,
    "exp": DATETIME,
    "nbf": DATETIME,
    "jti": STRING,
    "expires_in": pd.Int64Dtype(),
    # managed accounts
    **dict.fromkeys(("email", "api_user", "organization_name", "manager_account_id"), STRING),
    **dict.fromkeys(("rollup_billing", "managed_account_allow_custom_pricing"), BOOLEAN),
}


def _column(name: str, values: Sequence[Any]) -> pd.Series:
    dtype = DTYPES[name]
    if dtype is LIST:
        return pd.Series([list(v) if v is not None else [] for v in values], dtype=object, name=name)
    if dtype is DATETIME:
        return pd.Series(pd.to_datetime(list(values), utc=True), name=name).astype(DATETIME)
    return pd.Series(list(values), dtype=dtype, name=name)


def _frame(columns: Sequence[str], data: dict[str, Sequence[Any]]) -> pd.DataFrame:
    frame = pd.DataFrame({name: _column(name, data[name]) for name in columns})
    frame.index = pd.RangeIndex(len(frame))
    return frame


def empty_frame(columns: Sequence[str]) -> pd.DataFrame:
    """A zero-row frame with exactly these columns and their dtypes."""
    return _frame(columns, {name: [] for name in columns})


def clients_frame(clients: Iterable[OAuthClient]) -> pd.DataFrame:
    """Clients as a frame with ``CLIENT_COLUMNS`` (``verified`` is ``<NA>`` when the server does not send it)."""
    rows = list(clients)
    return _frame(CLIENT_COLUMNS, {name: [getattr(c, name) for c in rows] for name in CLIENT_COLUMNS})


def managed_accounts_frame(accounts: Iterable[ManagedAccount]) -> pd.DataFrame:
    """Managed accounts as a frame with ``MANAGED_ACCOUNT_COLUMNS`` (the published list fields: no credential)."""
    rows = list(accounts)
    return _frame(MANAGED_ACCOUNT_COLUMNS, {name: [getattr(a, name) for a in rows] for name in MANAGED_ACCOUNT_COLUMNS})


def grants_frame(
    grants: Iterable[OAuthGrant], clients: Iterable[OAuthClient] | None = None
) -> pd.DataFrame:
    """Grants as a frame with ``GRANT_COLUMNS``; with ``clients``, plus ``client_name``, ``client_type`` and
    ``client_verified`` (``<NA>`` for a grant whose client is gone)."""
    rows = list(grants)
    data: dict[str, list[Any]] = {
        "id": [g.id for g in rows],
        "client_id": [g.client_id for g in rows],
        "scopes": [g.scopes for g in rows],
        "created_at": [g.created_at for g in rows],
        "last_used_at": [g.last_used_at for g in rows],
    }
    columns: tuple[str, ...] = GRANT_COLUMNS
    if clients is not None:
        by_id = {c.client_id: c for c in clients}
        owners = [by_id.get(cid) for cid in data["client_id"]]
        data["client_name"] = [c.name if c is not None else None for c in owners]
        data["client_type"] = [c.client_type if c is not None else None for c in owners]
        data["client_verified"] = [c.verified if c is not None else None for c in owners]
        columns = GRANT_COLUMNS + GRANT_CLIENT_COLUMNS
    return _frame(columns, data)


class GrantColumns:
    """One page of ``oauth_grant`` JSON objects, kept as columns (the page's dicts can be dropped at once).

    This is what ``TelnyxOAuth.grants_df()`` builds per page instead of a record per grant: at a million grants
    the records (each holding its JSON dict) cost gigabytes, columns of shared strings a few hundred megabytes.
    Scope lists are interned: grants holding the same scopes share one list object (copy one before changing
    it). Time stamps stay text until :func:`grants_frame_from_columns` parses each column in one vectorised call.
    """

    __slots__ = ("id", "client_id", "scopes", "created_at", "last_used_at")

    def __init__(self, data: Sequence[dict[str, Any]], scope_lists: dict[tuple, list] | None = None):
        from telnyx_nb.core.errors import APIError

        scope_lists = {} if scope_lists is None else scope_lists
        try:
            self.id = [g["id"] for g in data]
            self.client_id = [g["client_id"] for g in data]
            self.created_at = [g.get("created_at") for g in data]
            self.last_used_at = [g.get("last_used_at") for g in data]
            scopes = []
            for g in data:
                raw = g.get("scopes")
                key = tuple(raw) if isinstance(raw, list) else tuple(str(raw).split()) if raw else ()
                shared = scope_lists.get(key)
                if shared is None:
                    shared = scope_lists[key] = list(key)
                scopes.append(shared)
            self.scopes = scopes
        except KeyError as exc:
            raise APIError(f"the server's answer is not a valid oauth_grant: field {exc.args[0]!r} is "
                           "missing") from exc
        except (TypeError, AttributeError) as exc:
            raise APIError(f"the server's answer is not a valid oauth_grant: {exc}") from exc

    def __len__(self) -> int:
        return len(self.id)


def _timestamps(name: str, values: list[Any]) -> pd.Series:
    """ISO 8601 text → tz-aware UTC in one vectorised parse; odd values (epoch seconds) one by one."""
    try:
        parsed = pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601")
    except (ValueError, TypeError):
        from telnyx_nb.core.errors import APIError
        from telnyx_nb.core.records import parse_datetime

        try:
            parsed = pd.to_datetime(pd.Series([parse_datetime(v) for v in values], dtype=object), utc=True)
        except (ValueError, TypeError, OverflowError) as exc:  # what list_grants() says of the same answer
            raise APIError(f"the server's answer is not a valid oauth_grant: field {name!r}: {exc}") from exc
    return parsed.astype(DATETIME).rename(name)


def grants_frame_from_columns(
    chunks: Iterable[GrantColumns], clients: Iterable[OAuthClient] | None = None
) -> pd.DataFrame:
    """Pages of :class:`GrantColumns` → the same frame as :func:`grants_frame` (columns, dtypes, order)."""
    data: dict[str, list[Any]] = {name: [] for name in GRANT_COLUMNS}
    for chunk in chunks:
        for name in GRANT_COLUMNS:
            data[name].extend(getattr(chunk, name))
    n = len(data["id"])
    series = {
        "id": pd.Series(data.pop("id"), dtype=STRING, name="id"),
        "client_id": pd.Series(data.pop("client_id"), dtype=STRING, name="client_id"),
        "scopes": pd.Series(data.pop("scopes") if n else [], dtype=object, name="scopes"),
        "created_at": _timestamps("created_at", data.pop("created_at")),
        "last_used_at": _timestamps("last_used_at", data.pop("last_used_at")),
    }
    columns: tuple[str, ...] = GRANT_COLUMNS
    if clients is not None:
        rows = list(clients)
        ids = pd.Index([c.client_id for c in rows], dtype=STRING)
        lookup = pd.DataFrame({
            "client_name": pd.Series([c.name for c in rows], dtype=STRING, index=ids),
            "client_type": pd.Series([c.client_type for c in rows], dtype=CLIENT_TYPE, index=ids),
            "client_verified": pd.Series([c.verified for c in rows], dtype=BOOLEAN, index=ids),
        })
        lookup = lookup[~lookup.index.duplicated()]
        joined = lookup.reindex(pd.Index(series["client_id"]))  # one vectorised lookup, NA for a gone client
        for name in GRANT_CLIENT_COLUMNS:
            series[name] = pd.Series(joined[name].to_numpy(dtype=object) if n else [], dtype=DTYPES[name],
                                     name=name)
        columns = GRANT_COLUMNS + GRANT_CLIENT_COLUMNS
    frame = pd.DataFrame({name: series[name] for name in columns})
    frame.index = pd.RangeIndex(len(frame))
    return frame


def grants_frame_from_pages(
    fetch_page: Callable[[int], Any],
    *,
    clients: Callable[[], Iterable[OAuthClient]] | None = None,
    max_workers: int = MAX_WORKERS,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Every page of ``GET /oauth_grants`` (``fetch_page(number)`` → the JSON body) as one grants frame, read as
    :class:`GrantColumns` (no record per grant) with the same pagination as ``all_grants()``. ``clients()``, when
    given, runs on one more thread meanwhile and its clients are joined in (``GRANT_CLIENT_COLUMNS``)."""
    if clients is None:
        return grants_frame_from_columns(_grant_columns(fetch_page, max_workers, progress))
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="telnyx-nb-clients") as pool:
        clients_future = pool.submit(clients)
        chunks = _grant_columns(fetch_page, max_workers, progress)
        rows = clients_future.result()
    return grants_frame_from_columns(chunks, clients=rows)


def _grant_columns(fetch_page: Callable[[int], Any], max_workers: int, progress: bool | None) -> list[GrantColumns]:
    from telnyx_nb.core.errors import APIError

    scope_lists: dict[tuple, list] = {}  # shared across pages: one list per distinct scope set

    def fetch(number: int) -> Page[Any]:
        body = fetch_page(number) or {}
        # a body that is no JSON object (an array, a string) is refused by Page.from_json, naming what it got
        page = Page.from_json({"meta": body.get("meta"), "data": ()} if isinstance(body, dict) else body, None)
        data = body.get("data") or []
        if not isinstance(data, list):
            raise APIError(f"the server's answer is not a valid page: 'data' must be a list of objects, got "
                           f"{type(data).__name__}")
        chunk = GrantColumns(data, scope_lists)
        return Page(items=(chunk,) if len(chunk) else (), page_number=page.page_number,
                    page_size=page.page_size, total_pages=page.total_pages, total_results=page.total_results)

    return fetch_all(fetch, max_workers=max_workers, progress=progress, description="grants")


def _key_size(raw: dict[str, Any]) -> tuple[int | None, str | None]:
    """Key size in bits (RSA modulus, oct length) or the curve name (EC, OKP) of a public JWK."""
    import base64

    def bits(member: str) -> int | None:
        value = raw.get(member)
        if not isinstance(value, str):
            return None
        padded = value + "=" * (-len(value) % 4)
        try:
            data = base64.urlsafe_b64decode(padded)
        except ValueError:
            return None
        return int.from_bytes(data, "big").bit_length() if member == "n" else len(data) * 8

    kty = raw.get("kty")
    if kty == "RSA":
        return bits("n"), None
    if kty == "oct":
        return bits("k"), None
    if kty in ("EC", "OKP"):
        return None, raw.get("crv")
    return None, None


def _thumbprint(raw: dict[str, Any]) -> str | None:
    """RFC 7638 JWK thumbprint (SHA-256, base64url), computed by joserfc."""
    from joserfc.jwk import JWKRegistry, thumbprint

    try:
        return thumbprint(dict(raw))
    except Exception:  # an unsupported or malformed key has no thumbprint; the frame still lists it
        try:
            return JWKRegistry.import_key(dict(raw)).thumbprint()
        except Exception:
            return None


def jwks_frame(jwks: JWKS) -> pd.DataFrame:
    """The JWKS as a frame with ``JWKS_COLUMNS``: one row per key, size in bits or curve, RFC 7638 thumbprint."""
    keys = list(jwks.keys)
    sizes = [_key_size(k.raw) for k in keys]
    return _frame(
        JWKS_COLUMNS,
        {
            "kid": [k.kid for k in keys],
            "kty": [k.kty for k in keys],
            "alg": [k.alg for k in keys],
            "use": [k.use for k in keys],
            "size": [s for s, _ in sizes],
            "curve": [c for _, c in sizes],
            "thumbprint": [_thumbprint(k.raw) for k in keys],
        },
    )


def introspection_frame(result: Introspection, *, now: pd.Timestamp | None = None) -> pd.DataFrame:
    """One row with ``INTROSPECTION_COLUMNS``; ``expires_in`` is seconds left (negative when already expired)."""
    now = now if now is not None else pd.Timestamp.now(tz="UTC")
    expires_in = int((pd.Timestamp(result.exp) - now).total_seconds()) if result.exp is not None else None
    return _frame(
        INTROSPECTION_COLUMNS,
        {
            "active": [result.active],
            "client_id": [result.client_id],
            "sub": [result.sub],
            "scope": [result.scope],
            "scopes": [list(result.scopes)],
            "aud": [result.aud],
            "iss": [result.iss],
            "iat": [result.iat],
            "exp": [result.exp],
            "nbf": [result.nbf],
            "jti": [result.jti],
            "expires_in": [expires_in],
        },
    )
