"""One risk per grant: which grants to revoke first when every grant is ``admin``.

On a Telnyx account every grant holds ``admin`` (full access to the account), so what a grant *can* do does not
tell grants apart; how likely its tokens are to be misused, and how little anyone would miss it, does. Each grant
scores the sum of the weights of the signals it shows (the checks are the audit rules' own, so a score never
disagrees with the findings):

==========================  ======  =============================================================================
signal                      weight  why
==========================  ======  =============================================================================
``orphaned_client``         40      its client was deleted: nobody is accountable for the tokens still out there
``stale``                   30      unused for more than ``stale_days``: access nobody exercises, still usable
``never_used``              25      never used, past the grace period: consent given for nothing
``exceeds_client``          30      holds scopes its client no longer allows (custom vocabularies only)
``no_pkce``                 20      its client takes authorization codes without PKCE: a stolen code redeems
``unverified_client``       20      nobody vouched for the app holding the access
``risky_redirect_uri``      20      plain http to a non-loopback host, a wildcard or a fragment: codes can leak
``admin_scope``             20      holds an admin scope where admin is *not* the baseline (custom vocabularies)
``public_client``           10      the app cannot keep a secret: its refresh tokens are bearer-only
``old_client``              5       its client was registered over ``OLD_CLIENT_DAYS`` ago: drift accumulates
``crowded_client``          5       its client holds ``CROWDED_CLIENT_GRANTS`` grants or more: one leak, many users
==========================  ======  =============================================================================

The level follows the score: ``critical`` from 60, ``high`` from 40, ``medium`` from 20, ``low`` below. A grant
that is fresh, of a verified confidential client with PKCE and an https redirect, scores at most 10 (an old client
with many grants): low. Any single signal of misuse (20 or more) puts a grant above every such grant.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from telnyx_nb.audit import client_rules, grant_rules
from telnyx_nb.audit.levels import LEVELS
from telnyx_nb.audit.registry import Thresholds
from telnyx_nb.core import wire

__all__ = ["CROWDED_CLIENT_GRANTS", "LEVEL_FLOORS", "OLD_CLIENT_DAYS", "RISK_COLUMNS", "SIGNALS", "WEIGHTS",
           "level_of", "revoke_first", "score_grants", "with_risk"]

WEIGHTS: dict[str, int] = {
    "orphaned_client": 40,
    "stale": 30,
    "never_used": 25,
    "exceeds_client": 30,
    "no_pkce": 20,
    "unverified_client": 20,
    "risky_redirect_uri": 20,
    "admin_scope": 20,
    "public_client": 10,
    "old_client": 5,
    "crowded_client": 5,
}
SIGNALS: dict[str, str] = {  # signal → how a reason line says it
    "orphaned_client": "client deleted",
    "stale": "stale",
    "never_used": "never used",
    "exceeds_client": "holds scopes beyond its client",
    "no_pkce": "no PKCE",
    "unverified_client": "unverified client",
    "risky_redirect_uri": "risky redirect URI",
    "admin_scope": "holds an admin scope",
    "public_client": "public client",
    "old_client": "client over a year old",
    "crowded_client": "client with many grants",
}
OLD_CLIENT_DAYS = 365
CROWDED_CLIENT_GRANTS = 50
LEVEL_FLOORS = {"critical": 60, "high": 40, "medium": 20}  # the lowest score of each level above low
RISK_COLUMNS = ["risk_score", "risk_level", "risk_reason"]


def level_of(scores) -> pd.Categorical:
    """Scores → the ordered levels (``low`` < ``medium`` < ``high`` < ``critical``)."""
    scores = np.asarray(scores, dtype=np.int64)
    codes = np.zeros(len(scores), dtype=np.int8)
    for code, level in enumerate(LEVELS[1:], start=1):
        codes[scores >= LEVEL_FLOORS[level]] = code
    return pd.Categorical.from_codes(codes, categories=LEVELS, ordered=True)


# signal → the rule whose findings show it (the rest are read off the clients frame below)
_RULE_OF = {"orphaned_client": "orphan_grant", "stale": "stale_grant", "never_used": "never_used_grant",
            "exceeds_client": "grant_scope_exceeds_client", "admin_scope": "admin_scope_grant",
            "no_pkce": "auth_code_without_pkce", "unverified_client": "unverified_client_with_grants"}
_RULE_FUNCTIONS = {name: getattr(grant_rules, name, None) or getattr(client_rules, name) for name in
                   [*_RULE_OF.values(), "non_https_redirect_uri", "redirect_uri_wildcard_or_fragment"]}


def _flagged(rule_name: str, clients: pd.DataFrame, grants: pd.DataFrame, t: Thresholds,
             findings: pd.DataFrame | None) -> set[str]:
    """The object ids ``rule_name`` flags: read from ``findings`` when the audit already ran it, else run it."""
    if findings is not None:
        return set(findings.loc[findings["rule"].astype(str) == rule_name, "object_id"].astype(str))
    found = _RULE_FUNCTIONS[rule_name](clients, grants, t)
    if isinstance(found, pd.DataFrame):
        return set(found["object_id"].astype(str))
    return {f["object_id"] for f in found}


def _client_signals(clients: pd.DataFrame, grants: pd.DataFrame, t: Thresholds) -> dict[str, set[str]]:
    """signal → the client ids showing it that no rule judges (a few thousand clients at most)."""
    ids = clients["client_id"].astype(str)
    old = ids[:0]
    if "created_at" in clients:
        created = pd.to_datetime(clients["created_at"], utc=True)
        old = ids[(t.at() - created) > pd.Timedelta(days=OLD_CLIENT_DAYS)]
    counts = grants["client_id"].astype(str).value_counts()
    return {
        "public_client": set(ids[clients["client_type"].astype(str) == wire.PUBLIC]),
        "old_client": set(old),
        "crowded_client": set(counts.index[counts >= CROWDED_CLIENT_GRANTS]),
    }


def _grant_signals(clients: pd.DataFrame, grants: pd.DataFrame, t: Thresholds,
                   findings: pd.DataFrame | None) -> dict[str, np.ndarray]:
    """signal → one boolean per grant. Grant ids are looked up in plain Python sets (pandas' ``isin`` on Arrow
    strings is slower) and client signals are judged once per distinct client, then spread to its grants."""
    id_list = grants["id"].astype(str).tolist()
    client_codes, client_ids = pd.factorize(grants["client_id"].astype(str).to_numpy(dtype=object))

    def per_grant(chosen: set[str]) -> np.ndarray:
        return np.fromiter((i in chosen for i in id_list), dtype=bool, count=len(id_list))

    def per_client(chosen: set[str]) -> np.ndarray:
        return np.array([c in chosen for c in client_ids], dtype=bool)[client_codes]

    def rule(name: str) -> set[str]:
        return _flagged(name, clients, grants, t, findings)

    signals = {signal: per_client(rule(name)) if signal in ("no_pkce", "unverified_client") else per_grant(rule(name))
               for signal, name in _RULE_OF.items()}
    signals["risky_redirect_uri"] = per_client(rule("non_https_redirect_uri")
                                               | rule("redirect_uri_wildcard_or_fragment"))
    signals.update({name: per_client(chosen) for name, chosen in _client_signals(clients, grants, t).items()})
    return signals


def score_grants(clients: pd.DataFrame, grants: pd.DataFrame, t: Thresholds,
                 findings: pd.DataFrame | None = None) -> pd.DataFrame:
    """``risk_score`` (int), ``risk_level`` (ordered category) and ``risk_reason`` (the signals, most weighty
    first, as one line) for every grant, aligned with ``grants``' index. Vectorised: each distinct combination of
    signals is put into words once. ``findings``: every rule's findings for these frames (the audit passes its
    own, so no rule runs twice); without them the rules run here."""
    signals = _grant_signals(clients, grants, t, findings)
    order = sorted(WEIGHTS, key=lambda name: -WEIGHTS[name])  # stable: ties keep the table's order
    score = np.zeros(len(grants), dtype=np.int64)
    combination = np.zeros(len(grants), dtype=np.int64)
    for bit, name in enumerate(order):
        score += WEIGHTS[name] * signals[name]
        combination |= signals[name].astype(np.int64) << bit
    codes, combos = pd.factorize(combination)
    words = ["; ".join(SIGNALS[name] for bit, name in enumerate(order) if c >> bit & 1) or "nothing stands out"
             for c in combos]
    reason = np.array(words, dtype=object)[codes] if len(codes) else np.array([], dtype=object)
    return pd.DataFrame({"risk_score": score, "risk_level": level_of(score),
                         "risk_reason": pd.array(reason, dtype="string")}, index=grants.index)


def with_risk(clients: pd.DataFrame, grants: pd.DataFrame, t: Thresholds,
              findings: pd.DataFrame | None = None) -> pd.DataFrame:
    """A copy of ``grants`` with the risk columns, riskiest first (then never used, then longest idle; then id)."""
    plain = grants.drop(columns=[c for c in RISK_COLUMNS if c in grants])
    scored = pd.concat([plain, score_grants(clients, plain, t, findings)], axis=1)
    idle = pd.to_datetime(scored["last_used_at"], utc=True)
    keys = pd.DataFrame({"score": -scored["risk_score"], "used": idle.notna(), "last": idle,
                         "id": scored["id"].astype(str)})
    order = keys.sort_values(["score", "used", "last", "id"], kind="stable").index
    return scored.loc[order].reset_index(drop=True)


def revoke_first(result, n: int = 10) -> pd.DataFrame:
    """The ``n`` riskiest grants above ``low``, one row each: rank, level, score, client, full grant id and the
    reason in one line (with how long ago it was last used or granted)."""
    grants = result.grants if "risk_score" in result.grants else with_risk(result.clients, result.grants,
                                                                           result.thresholds)
    top = grants[grants["risk_level"] > "low"].head(n)
    names = dict(zip(result.clients["client_id"].astype(str), result.clients["name"].astype(str)))
    now = result.thresholds.at()
    rows = []
    for rank, g in enumerate(top.itertuples(), start=1):
        reason = str(g.risk_reason)
        if pd.notna(g.last_used_at):
            reason = reason.replace("stale", f"last used {(now - g.last_used_at).days} days ago", 1)
        else:
            reason = reason.replace("never used", f"never used in {(now - g.created_at).days} days", 1)
        rows.append({"rank": rank, "risk_level": str(g.risk_level), "risk_score": int(g.risk_score),
                     "client": names.get(str(g.client_id), f"(deleted client {g.client_id})"), "grant": str(g.id),
                     "reason": reason})
    return pd.DataFrame(rows, columns=["rank", "risk_level", "risk_score", "client", "grant", "reason"])

