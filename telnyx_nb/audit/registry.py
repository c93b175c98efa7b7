"""The rule registry: what a rule is, the thresholds every rule reads, and the ``@rule`` decorator.

The rule functions live by family in :mod:`telnyx_nb.audit.grant_rules` and :mod:`telnyx_nb.audit.client_rules`;
:mod:`telnyx_nb.audit.rules` imports both (so importing it fills :data:`RULES`) and runs them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from telnyx_nb.core.errors import ArgumentTypeError, ConfigurationError
from telnyx_nb.frames import CLIENT_COLUMNS

__all__ = ["FINDING_COLUMNS", "RULES", "SEVERITIES", "Rule", "Thresholds", "rule"]

SEVERITIES = ["high", "medium", "low"]  # most urgent first; findings sort in this order
FINDING_COLUMNS = ["severity", "rule", "object_type", "object_id", "client_name", "detail", "suggested_action"]
# what the rules read: every grant column, and the client columns below (the rest of CLIENT_COLUMNS is optional)
CLIENT_NEEDS = [c for c in CLIENT_COLUMNS if c in {"client_id", "name", "client_type", "require_pkce",
                                                    "allowed_grant_types", "allowed_scopes", "redirect_uris"}]


@dataclass(frozen=True)
class Thresholds:
    """What the rules count as too old or too powerful. ``now`` defaults to the moment the audit runs.

    ``scopes_supported`` is the server's published vocabulary when the audit could read it (its metadata): a server
    that publishes nothing but admin scopes makes admin the account's baseline (:mod:`telnyx_nb.audit.baseline`).
    """

    stale_days: int = 90
    never_used_grace_days: int = 7
    admin_scopes: tuple[str, ...] = ("admin",)
    now: datetime | None = None
    scopes_supported: tuple[str, ...] | None = None
    # work shared by the rules of one audit (e.g. each grant's scope set); never compared or shown
    _shared: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("stale_days", "never_used_grace_days"):
            value = getattr(self, name)
            fix = f"{name}: pass a whole number of days >= 0 (got {value!r}), e.g. {name}=90"
            if isinstance(value, bool) or not isinstance(value, int):
                raise ArgumentTypeError(fix)
            if value < 0:
                raise ConfigurationError(fix)
        if isinstance(self.admin_scopes, str):
            object.__setattr__(self, "admin_scopes", (self.admin_scopes,))
        if self.scopes_supported is not None:
            object.__setattr__(self, "scopes_supported", tuple(items(self.scopes_supported)))
        if self.now is not None and not isinstance(self.now, datetime):
            raise ArgumentTypeError(f"now: pass a timezone-aware datetime, e.g. datetime.now(timezone.utc) "
                                    f"(got {type(self.now).__name__})")
        if self.now is not None and self.now.tzinfo is None:
            raise ConfigurationError("now: pass a timezone-aware datetime, e.g. datetime.now(timezone.utc)")

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


def items(value: Any) -> list:
    """A list column's cell as a Python list (lists, tuples, arrays; NA or None → [])."""
    if value is None or value is pd.NA:
        return []
    if isinstance(value, str):
        return value.split()
    try:
        return list(value)
    except TypeError:
        return [] if pd.isna(value) else [value]


def client_rows(clients: pd.DataFrame):
    """``itertuples`` over only the columns the rules read (iterating every column costs more than the rules)."""
    return clients[[c for c in (*CLIENT_NEEDS, "verified") if c in clients.columns]].itertuples()


def client_names(clients: pd.DataFrame) -> dict[str, str]:
    """client_id → name ("" when the client has none)."""
    return dict(zip(clients["client_id"].astype(str), clients["name"].astype("string").fillna("")))
