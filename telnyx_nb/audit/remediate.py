"""Remediation: revoke the grants an audit flagged, safely.

``revoke(findings, api)`` is a dry run by default: it lists what would be revoked and touches nothing. With
``dry_run=False`` it revokes each grant once through the API module's ``revoke_grant`` and reports every
outcome in a DataFrame instead of stopping at the first problem. Running it twice is safe: a grant that is
already gone is reported as ``already revoked``, not raised. ``revoke_each`` is the loop itself; ``telnyx-nb revoke``
(:mod:`telnyx_nb.audit.revoke_cli`) drives it with a re-check, so a grant that changed since the report is skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from telnyx_nb.core.errors import ArgumentTypeError, ConfigurationError, NotFoundError, TelnyxNBError

__all__ = ["OUTCOME_COLUMNS", "OUTCOMES", "revoke", "revoke_each", "revocable", "summarize"]

OUTCOME_COLUMNS = ["grant_id", "client_name", "rules", "outcome", "detail"]
OUTCOMES = ["would revoke", "revoked", "already revoked", "skipped", "failed"]


def revocable(findings: pd.DataFrame) -> pd.DataFrame:
    """One row per grant the findings name (client findings are not revocable), with the rules that flagged it."""
    missing = [c for c in ("object_type", "object_id", "rule", "client_name") if c not in findings.columns]
    if missing:
        raise ConfigurationError(f"findings: missing column(s) {', '.join(missing)}; "
                                 "pass the DataFrame audit() returned")
    grants = findings[findings["object_type"].astype(str) == "grant"]
    if grants.empty:
        return pd.DataFrame({"grant_id": pd.Series([], dtype="string"),
                             "client_name": pd.Series([], dtype="string"),
                             "rules": pd.Series([], dtype="string")})
    grouped = grants.groupby(grants["object_id"].astype(str), sort=False).agg(
        client_name=("client_name", "first"),
        rules=("rule", lambda r: ", ".join(dict.fromkeys(r.astype(str)))),
    )
    out = grouped.rename_axis("grant_id").reset_index()
    return out.astype({"grant_id": "string", "client_name": "string", "rules": "string"})


def _outcome(row: dict, outcome: str, detail: str) -> dict:
    return {**row, "outcome": outcome, "detail": detail}


def _recheck(client: Any, row: dict, check: Callable[[dict, Any], str | None]) -> tuple[str, str] | None:
    """Read the grant again before acting: (outcome, detail) when it must not be revoked as planned, else None."""
    try:
        current = client.get_grant(row["grant_id"])
    except NotFoundError:
        return "already revoked", "the grant no longer exists (revoked, or its client deleted)"
    except TelnyxNBError as exc:  # messages are masked by the error tree
        return "failed", f"could not re-read the grant: {type(exc).__name__}: {exc}"
    changed = check(row, current)
    return ("skipped", f"changed since the report: {changed}; not revoked (audit again)") if changed else None


def revoke_each(targets: pd.DataFrame, client: Any, dry_run: bool = True,
                check: Callable[[dict, Any], str | None] | None = None) -> pd.DataFrame:
    """The one revocation loop: each row of ``targets`` (a ``grant_id`` column, anything else is carried into the
    outcome) is revoked once, in order; a failure is reported and the rest go on.

    ``check(row, grant)``: when given, each grant is read again first (also in a dry run) and left alone, outcome
    ``skipped``, when ``check`` says what changed; a grant already gone is ``already revoked``."""
    if (check is not None or not dry_run) and not hasattr(client, "revoke_grant"):
        raise ArgumentTypeError("client: pass a TelnyxOAuth (e.g. telnyx_nb.connect()) to revoke grants")
    rows = []
    for row in targets.to_dict("records"):
        verdict = _recheck(client, row, check) if check is not None else None
        if verdict is not None:
            rows.append(_outcome(row, *verdict))
        elif dry_run:
            checked = "still as the report saw it; " if check is not None else ""
            rows.append(_outcome(row, "would revoke", f"{checked}dry run: nothing changed"))
        else:
            rows.append(_outcome(row, *_revoke_one(client, row["grant_id"])))
    frame = pd.DataFrame(rows, columns=[*targets.columns, "outcome", "detail"])
    typed = {c: "string" for c in targets.columns if str(targets[c].dtype) == "string"}
    frame = frame.astype({**typed, "grant_id": "string", "detail": "string"})
    frame["outcome"] = pd.Categorical(frame["outcome"], categories=OUTCOMES)
    return frame


def _revoke_one(client: Any, grant_id: str) -> tuple[str, str]:
    try:
        client.revoke_grant(grant_id)
    except NotFoundError:
        # DELETE is idempotent in effect: the grant is gone either way (RFC 7009 §2.2 treats revoking an
        # invalid token as success too).
        return "already revoked", "the grant no longer exists"
    except TelnyxNBError as exc:  # messages are masked by the error tree
        return "failed", f"{type(exc).__name__}: {exc}"
    return "revoked", "grant revoked; its tokens are no longer active"


def revoke(findings: pd.DataFrame, client: Any, dry_run: bool = True) -> pd.DataFrame:
    """Revoke every grant named in ``findings`` (filter it first, e.g. ``findings[findings.rule == "stale_grant"]``).

    Returns one row per grant: grant_id, client_name, rules, outcome (``would revoke``, ``revoked``,
    ``already revoked`` or ``failed``) and detail. A failure of one grant is reported and the rest go on.
    """
    return revoke_each(revocable(findings), client, dry_run)


def summarize(outcomes: pd.DataFrame) -> str:
    """The outcomes in one sentence a person reads at a glance ("2 revoked, 1 failed"; "nothing new to revoke:
    all 12 grants were already revoked")."""
    if outcomes.empty:
        return "nothing to revoke: no grant is listed"
    counts = outcomes["outcome"].astype(str).value_counts()
    if counts.get("already revoked", 0) == len(outcomes):
        return (f"nothing new to revoke: {_grants(len(outcomes), 'all ')} already revoked")
    return ", ".join(f"{int(counts[o])} {o}" for o in OUTCOMES if counts.get(o, 0))


def _grants(n: int, all_: str = "") -> str:
    return "the 1 grant was" if n == 1 else f"{all_}{n} grants were"
