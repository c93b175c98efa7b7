"""Audit rules: small named functions over the clients and grants DataFrames, each catching one risk.

A rule takes ``(clients, grants, thresholds)`` (columns as in ARCHITECTURE.md "DataFrames") and returns its
findings: a list of dicts or a frame, with ``object_id``, ``client_name`` and ``detail``. :func:`find_issues`
runs every rule and returns one findings DataFrame sorted by severity, so the same audit runs on frames a user
already holds (no network) or, through :func:`audit`, on a live ``TelnyxOAuth``.

The registry (:class:`Rule`, :class:`Thresholds`, ``@rule``) is :mod:`telnyx_nb.audit.registry`; the rules live by
family in :mod:`telnyx_nb.audit.grant_rules` and :mod:`telnyx_nb.audit.client_rules`, and this module, which
imports both, runs them. To add a rule: write a function, decorate it with ``@rule(severity, object_type,
suggested_action)``, and say in its docstring what risk it catches. The function's name is the rule's name in
the findings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import pandas as pd

# isort: off
# the rule families register themselves on import: grant rules first, the order RULES (and the report) list them in
from telnyx_nb.audit import grant_rules  # noqa: F401
from telnyx_nb.audit import client_rules  # noqa: F401
# isort: on
from telnyx_nb.audit.baseline import Baseline, admin_baseline
from telnyx_nb.audit.registry import CLIENT_NEEDS, FINDING_COLUMNS, RULES, SEVERITIES, Rule, Thresholds, rule
from telnyx_nb.audit.risk import revoke_first, with_risk
from telnyx_nb.audit.selection import credential
from telnyx_nb.core.errors import ArgumentTypeError, ConfigurationError
from telnyx_nb.frames import GRANT_COLUMNS

__all__ = [
    "FINDING_COLUMNS",
    "RULES",
    "SEVERITIES",
    "AuditResult",
    "Rule",
    "Thresholds",
    "audit",
    "empty_findings",
    "find_issues",
    "rule",
]


def _check_frame(frame: Any, name: str, columns: Iterable[str]) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise ArgumentTypeError(f"{name}: pass a pandas DataFrame (e.g. api.{name}_df()), not {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ConfigurationError(f"{name}: missing column(s) {', '.join(missing)}; build the frame with "
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
    scopes_supported: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Run the rules over frames you already have; no network. Returns the findings sorted by severity.

    ``rules`` picks a subset by name (default: all of :data:`RULES`). ``scopes_supported``: the server's published
    scopes, if known (only admin published → admin is the baseline, not a finding).
    """
    t = Thresholds(stale_days, never_used_grace_days, tuple(admin_scopes), now, scopes_supported)
    t = replace(t, now=t.at().to_pydatetime())  # one clock for every rule
    clients = _check_frame(clients, "clients", CLIENT_NEEDS)
    grants = _check_frame(grants, "grants", GRANT_COLUMNS)
    chosen = list(RULES) if rules is None else list(rules)
    unknown = [r for r in chosen if r not in RULES]
    if unknown:
        raise ConfigurationError(f"rules: unknown rule(s) {', '.join(unknown)}; choose from {', '.join(RULES)}")
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
    """One audit: the frames it looked at, what it found, and when and against what it ran.

    ``grants`` carries each grant's risk (``risk_score``, ``risk_level``, ``risk_reason``; see
    :mod:`telnyx_nb.audit.risk`), riskiest first."""

    clients: pd.DataFrame
    grants: pd.DataFrame
    findings: pd.DataFrame
    thresholds: Thresholds
    target: str = "DataFrames supplied by the caller"
    baseline: Baseline | None = None  # admin held by every grant: said once, not flagged per grant
    base_url: str | None = None  # where a live audit ran: `telnyx-nb revoke` acts only on that same server
    credential: str | None = None  # which account's key it ran with (masked): revoke acts only as that account

    def revoke_first(self, n: int = 10) -> pd.DataFrame:
        """The ``n`` riskiest grants (above ``low``) with the reason in one line each: what to revoke first."""
        return revoke_first(self, n)

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
    scopes_supported: Iterable[str] | None = None,
) -> AuditResult:
    """Audit a live session (``audit(api)``) or frames you hold (``audit(clients_df, grants_df)``).

    With a ``TelnyxOAuth`` the frames come from its ``clients_df()`` and ``grants_df()`` (HTTP through the API
    module only; ``progress`` is passed on to show or hide a progress bar), and the published scopes from the
    server's metadata (``scopes_supported``); with frames nothing touches the network.
    """
    if isinstance(source, pd.DataFrame):
        if grants is None:
            raise ConfigurationError("grants: pass the grants DataFrame too, e.g. audit(clients_df, grants_df)")
        clients, target, base_url, account = source, "DataFrames supplied by the caller", None, None
    elif source is not None and hasattr(source, "clients_df") and hasattr(source, "grants_df"):
        clients = source.clients_df(progress=progress)
        grants = source.grants_df(with_clients=False, progress=progress)
        target = str(getattr(source, "target", "a live session"))
        base_url = getattr(source, "base_url", None)
        account = credential(source)
        if scopes_supported is None:
            scopes_supported = _published_scopes(source)
    else:
        raise ArgumentTypeError("source: pass a TelnyxOAuth (e.g. telnyx_nb.connect()) or a clients DataFrame "
                        "with the grants DataFrame")
    t = Thresholds(stale_days, never_used_grace_days, tuple(admin_scopes), now, scopes_supported)
    t = replace(t, now=t.at().to_pydatetime())
    findings = find_issues(clients, grants, stale_days=t.stale_days, never_used_grace_days=t.never_used_grace_days,
                           admin_scopes=t.admin_scopes, now=t.now, scopes_supported=t.scopes_supported)
    return AuditResult(clients, with_risk(clients, grants, t, findings), findings, t, target, admin_baseline(grants, t),
                       base_url, account)


def _published_scopes(source: Any) -> tuple[str, ...] | None:
    """The server's ``scopes_supported`` (RFC 8414 §2), or None when it cannot be read: the audit goes on without."""
    from telnyx_nb.core.errors import TelnyxNBError

    read = getattr(source, "authorization_server_metadata", None)
    if not callable(read):
        return None
    try:
        published = tuple(str(s) for s in read().scopes_supported)
    except (TelnyxNBError, AttributeError, TypeError):
        return None
    return published or None
