"""The account's scope baseline: when every grant holds ``admin``, holding it is not a finding.

Telnyx publishes one scope, ``admin`` (access to the whole account), so on a real account every grant holds it.
Flagging each grant for it would bury the signals that tell grants apart (stale, never used, unverified or public
client, no PKCE, a risky redirect URI, a deleted client) under one finding per grant. Instead the audit states the
baseline once, at the top of the report: how many grants there are, all of them full-account access. The scope
rules (``admin_scope_grant``, ``grant_scope_exceeds_client``) keep working as before with a custom vocabulary, where
some grants hold admin and others hold less.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from telnyx_nb.audit.registry import Thresholds
from telnyx_nb.audit.scope_sets import scope_sets

__all__ = ["Baseline", "admin_baseline", "holds_admin"]


@dataclass(frozen=True)
class Baseline:
    """Admin is the account's baseline: every grant holds it, or the server publishes nothing else."""

    scopes: tuple[str, ...]  # the admin scopes (``admin`` on Telnyx)
    grants: int  # how many grants the audit saw
    holding: int  # how many of them hold an admin scope
    reason: str  # why it is the baseline, in words

    def sentence(self) -> str:
        scopes = ", ".join(self.scopes)
        held = (f"all {self.grants} grants hold {scopes}" if self.holding == self.grants
                else f"{self.holding} of {self.grants} grants hold {scopes}")
        return (f"Baseline: {held}, full access to the account ({self.reason}). That is not flagged per grant; "
                "the risk score ranks what differs between them.")


def holds_admin(grants: pd.DataFrame, t: Thresholds) -> np.ndarray:
    """One boolean per grant: does it hold any of ``t.admin_scopes``? (judged once per distinct scope set)"""
    if not len(grants):
        return np.zeros(0, dtype=bool)
    codes, sets = scope_sets(grants)
    admin = set(t.admin_scopes)
    return np.array([bool(admin.intersection(s)) for s in sets], dtype=bool)[codes]


def admin_baseline(grants: pd.DataFrame, t: Thresholds) -> Baseline | None:
    """The baseline when admin is what every grant holds (or all the server publishes); None otherwise.

    Worked out once per audit (kept in ``t._shared``): the admin rule and the risk score both ask."""
    cached = t._shared.get("baseline")
    if cached is not None and cached[0] is grants:
        return cached[1]
    baseline = None
    if len(grants) and t.admin_scopes:
        holding = int(holds_admin(grants, t).sum())
        published = tuple(t.scopes_supported or ())
        if published and set(published) <= set(t.admin_scopes):
            baseline = Baseline(tuple(t.admin_scopes), len(grants), holding,
                                f"the server publishes only {', '.join(published)}")
        elif holding == len(grants):
            baseline = Baseline(tuple(t.admin_scopes), len(grants), holding, "every grant holds it")
    t._shared["baseline"] = (grants, baseline)
    return baseline
