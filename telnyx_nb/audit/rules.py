"""Audit rules: small named functions over the clients and grants DataFrames, each catching one risk.

A rule takes ``(clients, grants, thresholds)`` (columns as in ARCHITECTURE.md "DataFrames") and returns its
findings: a list of dicts or a frame, with ``object_id``, ``client_name`` and ``detail``. :func:`find_issues`
runs every rule and returns one findings DataFrame sorted by severity, so the same audit runs on frames a user
already holds (no network) or, through :func:`audit`, on a live ``TelnyxOAuth``.

To add a rule: write a function, decorate it with ``@rule(severity, object_type, suggested_action)``, and say in
its docstring what risk it catches. The function's name is the rule's name in the findings.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from telnyx_nb.api import wire
from telnyx_nb.frames import CLIENT_COLUMNS, GRANT_COLUMNS

__all__ = [
    "FINDING_COLUMNS",
    "RULES",
    "SEVERITIES",
    "AuditResult",
    "Rule",
    "Thresholds",
    "audit",
    "find_issues",
]

SEVERITIES = ["high", "medium", "low"]  # most urgent first; findings sort in this order
FINDING_COLUMNS = ["severity", "rule", "object_type", "object_id", "client_name", "detail", "suggested_action"]
_LOOPBACK_NAMES = {"localhost"}
# what the rules read: every grant column, and the client columns below (the rest of CLIENT_COLUMNS is optional)
_CLIENT_NEEDS = [c for c in CLIENT_COLUMNS if c in {"client_id", "name", "client_type", "require_pkce",
                                                     "allowed_grant_types", "allowed_scopes", "redirect_uris"}]


@dataclass(frozen=True)
class Thresholds:
    """What the rules count as too old or too powerful. ``now`` defaults to the moment the audit runs."""

    stale_days: int = 90
    never_used_grace_days: int = 7
    admin_scopes: tuple[str, ...] = ("admin",)
    now: datetime | None = None
    # work shared by the rules of one audit (e.g. each grant's scope set); never compared or shown
    _shared: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("stale_days", "never_used_grace_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name}: pass a whole number of days >= 0 (got {value!r}), e.g. {name}=90")
        if isinstance(self.admin_scopes, str):
            object.__setattr__(self, "admin_scopes", (self.admin_scopes,))
        if self.now is not None and (not isinstance(self.now, datetime) or self.now.tzinfo is None):
            raise ValueError("now: pass a timezone-aware datetime, e.g. datetime.now(timezone.utc)")

    def at(self) -> pd.Timestamp:
        return pd.Timestamp(self.now or datetime.now(UTC)).tz_convert("UTC")


@dataclass(frozen=True)
class Rule:
    name: str
    severity: str
    object_type: str  # "client" or "grant"
    suggested_action: str
    check: Callable[..., list[dict]]
    doc: str


RULES: dict[str, Rule] = {}


def rule(severity: str, object_type: str, suggested_action: str):
    """Register a rule function under its own name."""
    assert severity in SEVERITIES and object_type in ("client", "grant")

    def register(func):
        doc = " ".join((func.__doc__ or "").split())
        doc = re.sub(r":[a-z]+:`([^`]+)`", r"\1", re.sub(r"``([^`]+)``", r"\1", doc))  # readers see no RST
        RULES[func.__name__] = Rule(func.__name__, severity, object_type, suggested_action, func, doc)
        return func

    return register


# ---------------------------------------------------------------------------------------------- helpers

def _items(value: Any) -> list:
    """A list column's cell as a Python list (lists, tuples, arrays; NA or None → [])."""
    if value is None or value is pd.NA:
        return []
    if isinstance(value, str):
        return value.split()
    try:
        return list(value)
    except TypeError:
        return [] if pd.isna(value) else [value]


def _client_rows(clients: pd.DataFrame):
    """``itertuples`` over only the columns the rules read (iterating every column costs more than the rules)."""
    return clients[[c for c in (*_CLIENT_NEEDS, "verified") if c in clients.columns]].itertuples()


def _utc(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True)


def _client_names(clients: pd.DataFrame) -> dict[str, str]:
    return dict(zip(clients["client_id"].astype(str), clients["name"].astype("string").fillna("")))


def _finding(object_id: Any, client_name: Any, detail: str) -> dict:
    name = None if client_name is None or client_name is pd.NA else str(client_name)
    return {"object_id": str(object_id), "client_name": name, "detail": detail}


def _days(delta: pd.Timedelta) -> int:
    return int(delta / pd.Timedelta(days=1))


def _is_false(value: Any) -> bool:
    """True only for a definite false: NA/None (a field the server did not send) is not evidence."""
    return value is not None and value is not pd.NA and not bool(value)


def _is_loopback(host: str | None) -> bool:
    """RFC 8252 §7.3 / §8.3: loopback redirects over plain HTTP are fine (the traffic never leaves the host)."""
    if not host:
        return False
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# ---------------------------------------------------------------------------------------------- grant rules
# Grant rules are vectorised (a million grants audit in seconds): each returns a frame of object_id, client_name,
# detail built with column operations, never a Python object per grant.

def _grant_findings(grants: pd.DataFrame, mask: Any, clients: pd.DataFrame, detail: Any) -> pd.DataFrame:
    """Findings for the grants selected by ``mask``; ``detail`` is a Series aligned with them (or one string)."""
    chosen = grants.loc[mask] if mask is not None else grants
    names = pd.Series(_client_names(clients), dtype="string")
    names = names[~names.index.duplicated()]
    client_name = chosen["client_id"].astype("string").map(names) if len(names) else pd.Series(
        pd.NA, index=chosen.index, dtype="string")
    return pd.DataFrame({"object_id": chosen["id"].astype("string"), "client_name": client_name.astype("string"),
                         "detail": detail})


def _days_text(delta: pd.Series) -> pd.Series:
    return (delta // pd.Timedelta(days=1)).astype("int64").astype("string")


def _scope_sets(grants: pd.DataFrame) -> tuple[Any, list[tuple]]:
    """Each grant's scopes as a code into a list of distinct scope tuples. Grants repeat a few sets and
    ``grants_df()`` shares one list object per set, so cells are told apart by identity first (vectorised) and
    only one cell per distinct object is read."""
    import numpy as np

    values = grants["scopes"].to_numpy(dtype=object)
    identities = np.fromiter(map(id, values), dtype=np.int64, count=len(values))
    object_codes, _ = pd.factorize(identities)
    first = np.full(object_codes.max() + 1 if len(values) else 0, -1, dtype=np.int64)
    first[object_codes[::-1]] = np.arange(len(values))[::-1]  # first cell holding each distinct object
    keys = [tuple(_items(values[i])) for i in first]
    set_codes, sets = pd.factorize(pd.Series(keys, dtype=object), use_na_sentinel=False)
    return set_codes[object_codes] if len(values) else object_codes, list(sets)


def _per_scope_set(grants: pd.DataFrame, t: Thresholds,
                   judge: Callable[[str, tuple], str | None]) -> tuple[Any, pd.Series]:
    """Run ``judge(client_id, scopes)`` once per distinct (client, scope set) pair; returns the mask of grants it
    judged (a non-None detail) and their details."""
    import numpy as np

    if "scope_sets" not in t._shared or t._shared["scope_sets"][0] is not grants:
        t._shared["scope_sets"] = (grants, _scope_sets(grants))
    scope_codes, scope_sets = t._shared["scope_sets"][1]
    width = max(1, len(scope_sets))
    client_codes, client_ids = pd.factorize(grants["client_id"], use_na_sentinel=False)
    client_ids = [str(c) for c in client_ids]
    pair_codes, pair_keys = pd.factorize(client_codes.astype(np.int64) * width + scope_codes)
    verdicts = np.array([judge(client_ids[k // width], scope_sets[k % width]) for k in pair_keys] + [None],
                        dtype=object)
    details = verdicts[pair_codes] if len(pair_codes) else np.array([], dtype=object)
    mask = pd.notna(details) if len(details) else np.zeros(0, dtype=bool)
    return mask, pd.Series(details[mask], index=grants.index[mask], dtype="string")


@rule("medium", "grant", "Revoke the grant; the app can ask for consent again when it is needed.")
def stale_grant(clients: pd.DataFrame, grants: pd.DataFrame, t: Thresholds) -> pd.DataFrame:
    """A grant not used for more than ``stale_days``: access nobody exercises, but anyone holding a leaked
    refresh token still could."""
    now = t.at()
    last = _utc(grants["last_used_at"])
    old = last.notna() & ((now - last) > pd.Timedelta(days=t.stale_days))
    detail = "last used " + _days_text(now - last[old]) + f" days ago (threshold {t.stale_days} days)"
    return _grant_findings(grants, old, clients, detail)


@rule("low", "grant", "Revoke the grant if the app's owner does not expect to use it.")
def never_used_grant(clients: pd.DataFrame, grants: pd.DataFrame, t: Thresholds) -> pd.DataFrame:
    """A grant older than ``never_used_grace_days`` whose tokens were never used: consent given for nothing,
    a standing permission with no business need."""
    now = t.at()
    created = _utc(grants["created_at"])
    unused = _utc(grants["last_used_at"]).isna() & ((now - created) > pd.Timedelta(days=t.never_used_grace_days))
    detail = "never used; granted " + _days_text(now - created[unused]) + " days ago"
    return _grant_findings(grants, unused, clients, detail)


@rule("high", "grant", "Revoke the grant: its app no longer exists, so nobody is accountable for it.")
def orphan_grant(clients: pd.DataFrame, grants: pd.DataFrame, t: Thresholds) -> pd.DataFrame:
    """A grant whose client no longer exists: access that no registered app owns (deleting a client should
    have removed it)."""
    gone = ~grants["client_id"].isin(clients["client_id"].astype(str).unique())
    found = _grant_findings(grants, gone, clients.iloc[0:0],
                            "client " + grants.loc[gone, "client_id"].astype("string") + " no longer exists")
    found["client_name"] = pd.Series(pd.NA, index=found.index, dtype="string")
    return found


@rule("high", "grant", "Revoke the grant; the user can consent again to the client's current scopes.")
def grant_scope_exceeds_client(clients: pd.DataFrame, grants: pd.DataFrame, t: Thresholds) -> pd.DataFrame:
    """A grant holding scopes its client is no longer allowed: narrowing a client's allowed_scopes did not
    narrow the access users already granted it."""
    allowed = {str(c.client_id): set(_items(c.allowed_scopes)) for c in _client_rows(clients)}

    def judge(client_id: str, scopes: tuple) -> str | None:
        if client_id not in allowed:
            return None  # orphan_grant covers it
        extra = [s for s in scopes if s not in allowed[client_id]]
        return f"holds {', '.join(extra)}, which the client no longer allows" if extra else None

    mask, detail = _per_scope_set(grants, t, judge)
    return _grant_findings(grants, mask, clients, detail)


@rule("high", "grant", "Revoke the grant unless this app must administer the account; prefer narrower scopes.")
def admin_scope_grant(clients: pd.DataFrame, grants: pd.DataFrame, t: Thresholds) -> pd.DataFrame:
    """A grant holding an admin-level scope: whoever holds its tokens controls the whole account."""
    admin = set(t.admin_scopes)

    def judge(client_id: str, scopes: tuple) -> str | None:
        held = [s for s in scopes if s in admin]
        return f"holds {', '.join(held)}" if held else None

    mask, detail = _per_scope_set(grants, t, judge)
    return _grant_findings(grants, mask, clients, detail)


# ---------------------------------------------------------------------------------------------- client rules

@rule("low", "client", "Delete the client if nobody uses it; an idle client is one more secret to leak.")
def client_without_grants(clients: pd.DataFrame, grants: pd.DataFrame, t: Thresholds) -> list[dict]:
    """A client no user has granted access to: an unused app registration whose credentials still work."""
    used = {str(c) for c in grants["client_id"].unique()}
    return [
        _finding(c.client_id, c.name, f"{c.client_type} client with no grants")
        for c in _client_rows(clients) if str(c.client_id) not in used
    ]


@rule("high", "client", "Remove client_credentials from the public client, or make it a confidential client.")
def public_client_credentials(clients: pd.DataFrame, grants: pd.DataFrame, t: Thresholds) -> list[dict]:
    """A public client allowed the client_credentials grant: a public client cannot keep a secret, and
    RFC 6749 §4.4 limits that grant to confidential clients."""
    return [
        _finding(c.client_id, c.name, "public client allows client_credentials")
        for c in _client_rows(clients)
        if str(c.client_type) == wire.PUBLIC and wire.CLIENT_CREDENTIALS in _items(c.allowed_grant_types)
    ]


@rule("medium", "client", "Set require_pkce to true and send a code_challenge (S256) from the app.")
def auth_code_without_pkce(clients: pd.DataFrame, grants: pd.DataFrame, t: Thresholds) -> list[dict]:
    """A client using authorization_code without requiring PKCE: an intercepted authorization code can be
    redeemed by someone else (RFC 7636 §1; RFC 9700 §2.1.1 recommends PKCE for every client)."""
    return [
        _finding(c.client_id, c.name, "authorization_code allowed with require_pkce = false")
        for c in _client_rows(clients)
        if wire.AUTHORIZATION_CODE in _items(c.allowed_grant_types) and _is_false(c.require_pkce)
    ]


@rule("medium", "client", "Register an https:// redirect URI (plain http is fine only on loopback).")
def non_https_redirect_uri(clients: pd.DataFrame, grants: pd.DataFrame, t: Thresholds) -> list[dict]:
    """A redirect URI over plain HTTP to a non-loopback host: authorization codes travel in clear text
    (RFC 6749 §3.1.2.1; loopback is exempt, RFC 8252 §7.3). Private-use schemes of native apps are left alone."""
    found = []
    for c in _client_rows(clients):
        bad = [u for u in _items(c.redirect_uris)
               if urlsplit(u).scheme.lower() == "http" and not _is_loopback(urlsplit(u).hostname)]
        if bad:
            found.append(_finding(c.client_id, c.name, "plain HTTP redirect URI: " + ", ".join(bad)))
    return found


@rule("high", "client", "Register exact redirect URIs: no wildcards, no #fragment.")
def redirect_uri_wildcard_or_fragment(clients: pd.DataFrame, grants: pd.DataFrame, t: Thresholds) -> list[dict]:
    """A redirect URI with a wildcard or a fragment: wildcards invite open redirects that leak codes
    (RFC 9700 §4.1.3 requires exact matching), and a fragment is forbidden outright (RFC 6749 §3.1.2)."""
    found = []
    for c in _client_rows(clients):
        bad = [u for u in _items(c.redirect_uris) if "*" in u or "#" in u]
        if bad:
            found.append(_finding(c.client_id, c.name, "wildcard or fragment in redirect URI: " + ", ".join(bad)))
    return found


@rule("medium", "client", "Verify the client's owner, or revoke its grants until it is verified.")
def unverified_client_with_grants(clients: pd.DataFrame, grants: pd.DataFrame, t: Thresholds) -> list[dict]:
    """An unverified client that users have granted access to: nobody vouched for the app now holding
    account access."""
    if "verified" not in clients:
        return []
    counts = grants["client_id"].value_counts()
    found = []
    for c in _client_rows(clients):
        if not _is_false(c.verified):
            continue  # verified, or unknown (the real API may not say)
        n = int(counts.get(str(c.client_id), 0))
        if n:
            found.append(_finding(c.client_id, c.name, f"unverified client holds {n} grant(s)"))
    return found


@rule("low", "client", "Rename the clients so users can tell them apart on the consent page.")
def duplicate_client_name(clients: pd.DataFrame, grants: pd.DataFrame, t: Thresholds) -> list[dict]:
    """Several clients sharing one name: users cannot tell on the consent page which app they approve, and
    an impostor can borrow a trusted name."""
    key = clients["name"].astype("string").str.strip().str.casefold()
    dup = key.notna() & key.duplicated(keep=False)
    sizes = key[dup].value_counts()
    return [
        _finding(c.client_id, c.name, f"{int(sizes[k])} clients are named {c.name!r}")
        for c, k in zip(clients[dup].itertuples(), key[dup])
    ]


# ---------------------------------------------------------------------------------------------- running

def _check_frame(frame: Any, name: str, columns: Iterable[str]) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name}: pass a pandas DataFrame (e.g. api.{name}_df()), not {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {', '.join(missing)}; build the frame with "
                         f"telnyx_nb.frames or api.{name}_df()")
    return frame


def empty_findings() -> pd.DataFrame:
    return _typed(pd.DataFrame({c: [] for c in FINDING_COLUMNS}))


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    df = df[FINDING_COLUMNS].copy()
    df["severity"] = pd.Categorical(df["severity"], categories=SEVERITIES, ordered=True)
    df["object_type"] = pd.Categorical(df["object_type"], categories=["client", "grant"])
    for col in ("rule", "object_id", "client_name", "detail", "suggested_action"):
        df[col] = df[col].astype("string")
    return df


def find_issues(
    clients: pd.DataFrame,
    grants: pd.DataFrame,
    *,
    stale_days: int = 90,
    never_used_grace_days: int = 7,
    admin_scopes: Iterable[str] = ("admin",),
    now: datetime | None = None,
    rules: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Run the rules over frames you already have; no network. Returns the findings sorted by severity.

    ``rules`` picks a subset by name (default: all of :data:`RULES`).
    """
    t = Thresholds(stale_days, never_used_grace_days, tuple(admin_scopes), now)
    t = replace(t, now=t.at().to_pydatetime())  # one clock for every rule
    clients = _check_frame(clients, "clients", _CLIENT_NEEDS)
    grants = _check_frame(grants, "grants", GRANT_COLUMNS)
    chosen = list(RULES) if rules is None else list(rules)
    unknown = [r for r in chosen if r not in RULES]
    if unknown:
        raise ValueError(f"rules: unknown rule(s) {', '.join(unknown)}; choose from {', '.join(RULES)}")
    parts = []
    for name in chosen:
        r = RULES[name]
        found = r.check(clients, grants, t)  # a frame (vectorised rules) or a list of finding dicts
        found = found if isinstance(found, pd.DataFrame) else pd.DataFrame(
            found, columns=["object_id", "client_name", "detail"])
        if len(found):
            parts.append(found.assign(severity=r.severity, rule=name, object_type=r.object_type,
                                      suggested_action=r.suggested_action))
    if not parts:
        return empty_findings()
    return _sorted(_typed(pd.concat(parts, ignore_index=True)))


def _sorted(findings: pd.DataFrame) -> pd.DataFrame:
    """Most severe first, then by rule, client name (missing last) and object id — sorted by Arrow's
    multi-key sort, which orders a million string keys in well under a second."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pyarrow is optional (the parquet extra): pandas sorts too, only slower
        return findings.sort_values(["severity", "rule", "client_name", "object_id"], na_position="last",
                                    kind="stable").reset_index(drop=True)
    keys = pa.table({
        "severity": pa.array(findings["severity"].cat.codes.to_numpy()),
        "rule": pa.array(findings["rule"].astype(object).to_numpy(), pa.string()),
        "client_name": pa.array(findings["client_name"].astype(object).where(findings["client_name"].notna(), None)
                                .to_numpy(), pa.string()),
        "object_id": pa.array(findings["object_id"].astype(object).to_numpy(), pa.string()),
    })
    try:  # pyarrow >= 25 takes the null placement per key
        order = pc.sort_indices(keys, sort_keys=[(name, "ascending", "at_end") for name in keys.column_names])
    except (TypeError, ValueError, pa.ArrowInvalid):
        order = pc.sort_indices(keys, sort_keys=[(name, "ascending") for name in keys.column_names],
                                null_placement="at_end")
    return findings.take(order.to_numpy()).reset_index(drop=True)


@dataclass
class AuditResult:
    """One audit: the frames it looked at, what it found, and when and against what it ran."""

    clients: pd.DataFrame
    grants: pd.DataFrame
    findings: pd.DataFrame
    thresholds: Thresholds
    target: str = "DataFrames supplied by the caller"
    extras: dict = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Findings counted per rule and severity."""
        if self.findings.empty:
            return pd.DataFrame({"severity": [], "rule": [], "findings": []})
        return (self.findings.groupby(["severity", "rule"], observed=True).size()
                .rename("findings").reset_index())

    def _repr_html_(self) -> str:  # a notebook shows the findings table
        return self.findings._repr_html_()


def audit(
    source: Any = None,
    grants: pd.DataFrame | None = None,
    *,
    stale_days: int = 90,
    never_used_grace_days: int = 7,
    admin_scopes: Iterable[str] = ("admin",),
    now: datetime | None = None,
    progress: bool | None = None,
) -> AuditResult:
    """Audit a live session (``audit(api)``) or frames you hold (``audit(clients_df, grants_df)``).

    With a ``TelnyxOAuth`` the frames come from its ``clients_df()`` and ``grants_df()`` (HTTP through the API
    module only; ``progress`` is passed on to show or hide a progress bar); with frames nothing touches the
    network.
    """
    if isinstance(source, pd.DataFrame):
        if grants is None:
            raise ValueError("grants: pass the grants DataFrame too, e.g. audit(clients_df, grants_df)")
        clients, target = source, "DataFrames supplied by the caller"
    elif source is not None and hasattr(source, "clients_df") and hasattr(source, "grants_df"):
        clients = source.clients_df(progress=progress)
        grants = source.grants_df(with_clients=False, progress=progress)
        target = str(getattr(source, "target", "a live session"))
    else:
        raise TypeError("source: pass a TelnyxOAuth (e.g. telnyx_nb.connect()) or a clients DataFrame "
                        "with the grants DataFrame")
    t = Thresholds(stale_days, never_used_grace_days, tuple(admin_scopes), now)
    t = replace(t, now=t.at().to_pydatetime())
    findings = find_issues(clients, grants, stale_days=t.stale_days, never_used_grace_days=t.never_used_grace_days,
                           admin_scopes=t.admin_scopes, now=t.now)
    return AuditResult(clients, grants, findings, t, target)
