"""The grant rules: grants nobody uses, grants nobody owns, grants holding more than they should.

Grant rules are vectorised (a million grants audit in seconds): each returns a frame of object_id, client_name,
detail built with column operations, never a Python object per grant. Rules that judge scopes do it once per
distinct (client, scope set) pair (:func:`per_scope_set`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from telnyx_nb.audit.baseline import admin_baseline
from telnyx_nb.audit.registry import Thresholds, client_names, client_rows, items, rule
from telnyx_nb.audit.scope_sets import scope_sets

__all__ = ["admin_scope_grant", "grant_scope_exceeds_client", "never_used_grant", "orphan_grant", "stale_grant"]


def _utc(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True)


def _grant_findings(grants: pd.DataFrame, mask: Any, clients: pd.DataFrame, detail: Any) -> pd.DataFrame:
    """Findings for the grants selected by ``mask``; ``detail`` is a Series aligned with them (or one string)."""
    chosen = grants.loc[mask] if mask is not None else grants
    names = pd.Series(client_names(clients), dtype="string")
    names = names[~names.index.duplicated()]
    client_name = chosen["client_id"].astype("string").map(names) if len(names) else pd.Series(
        pd.NA, index=chosen.index, dtype="string")
    return pd.DataFrame({"object_id": chosen["id"].astype("string"), "client_name": client_name.astype("string"),
                         "detail": detail})


def _days_text(delta: pd.Series) -> pd.Series:
    return (delta // pd.Timedelta(days=1)).astype("int64").astype("string")


def per_scope_set(grants: pd.DataFrame, t: Thresholds,
                  judge: Callable[[str, tuple], str | None]) -> tuple[Any, pd.Series]:
    """Run ``judge(client_id, scopes)`` once per distinct (client, scope set) pair; returns the mask of grants it
    judged (a non-None detail) and their details."""
    import numpy as np

    if "scope_sets" not in t._shared or t._shared["scope_sets"][0] is not grants:
        t._shared["scope_sets"] = (grants, scope_sets(grants))
    scope_codes, sets = t._shared["scope_sets"][1]
    width = max(1, len(sets))
    client_codes, client_ids = pd.factorize(grants["client_id"], use_na_sentinel=False)
    client_ids = [str(c) for c in client_ids]
    pair_codes, pair_keys = pd.factorize(client_codes.astype(np.int64) * width + scope_codes)
    verdicts = np.array([judge(client_ids[k // width], sets[k % width]) for k in pair_keys] + [None],
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
    allowed = {str(c.client_id): set(items(c.allowed_scopes)) for c in client_rows(clients)}

    def judge(client_id: str, scopes: tuple) -> str | None:
        if client_id not in allowed:
            return None  # orphan_grant covers it
        extra = [s for s in scopes if s not in allowed[client_id]]
        return f"holds {', '.join(extra)}, which the client no longer allows" if extra else None

    mask, detail = per_scope_set(grants, t, judge)
    return _grant_findings(grants, mask, clients, detail)


@rule("high", "grant", "Revoke the grant unless this app must administer the account; prefer narrower scopes.")
def admin_scope_grant(clients: pd.DataFrame, grants: pd.DataFrame, t: Thresholds) -> pd.DataFrame:
    """A grant holding an admin-level scope: whoever holds its tokens controls the whole account. Silent when
    admin is the account's baseline (every grant holds it, as on Telnyx, where it is the one published scope):
    the report says that once instead of once per grant."""
    if admin_baseline(grants, t) is not None:
        return _grant_findings(grants, grants.index[:0], clients, pd.Series([], dtype="string"))
    admin = set(t.admin_scopes)

    def judge(client_id: str, scopes: tuple) -> str | None:
        held = [s for s in scopes if s in admin]
        return f"holds {', '.join(held)}" if held else None

    mask, detail = per_scope_set(grants, t, judge)
    return _grant_findings(grants, mask, clients, detail)

