"""Remediation: revoke the grants an audit flagged, safely.

``revoke(findings, api)`` is a dry run by default: it lists what would be revoked and touches nothing. With
``dry_run=False`` it revokes each grant once through the API module's ``revoke_grant`` and reports every
outcome in a DataFrame instead of stopping at the first problem. Running it twice is safe: a grant that is
already gone is reported as ``already revoked``, not raised.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from telnyx_nb.core.errors import ArgumentTypeError, ConfigurationError, NotFoundError, TelnyxNBError

__all__ = ["OUTCOME_COLUMNS", "OUTCOMES", "revoke", "revocable"]

OUTCOME_COLUMNS = ["grant_id", "client_name", "rules", "outcome", "detail"]
OUTCOMES = ["would revoke", "revoked", "already revoked", "failed"]


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


def _outcome(row: Any, outcome: str, detail: str) -> dict:
    return {"grant_id": row.grant_id, "client_name": row.client_name, "rules": row.rules,
            "outcome": outcome, "detail": detail}


def revoke(findings: pd.DataFrame, client: Any, dry_run: bool = True) -> pd.DataFrame:
    """Revoke every grant named in ``findings`` (filter it first, e.g. ``findings[findings.rule == "stale_grant"]``).

    Returns one row per grant: grant_id, client_name, rules, outcome (``would revoke``, ``revoked``,
    ``already revoked`` or ``failed``) and detail. A failure of one grant is reported and the rest go on.
    """
    targets = revocable(findings)
    if not dry_run and not hasattr(client, "revoke_grant"):
        raise ArgumentTypeError("client: pass a TelnyxOAuth (e.g. telnyx_nb.connect()) to revoke grants")
    rows = []
    for row in targets.itertuples(index=False):
        if dry_run:
            rows.append(_outcome(row, "would revoke", "dry run: nothing changed"))
            continue
        try:
            client.revoke_grant(row.grant_id)
        except NotFoundError:
            # DELETE is idempotent in effect: the grant is gone either way (RFC 7009 §2.2 treats revoking an
            # invalid token as success too).
            rows.append(_outcome(row, "already revoked", "the grant no longer exists"))
        except TelnyxNBError as exc:  # messages are masked by the error tree
            rows.append(_outcome(row, "failed", f"{type(exc).__name__}: {exc}"))
        else:
            rows.append(_outcome(row, "revoked", "grant revoked; its tokens are no longer active"))
    frame = pd.DataFrame(rows, columns=OUTCOME_COLUMNS)
    frame = frame.astype({"grant_id": "string", "client_name": "string", "rules": "string", "detail": "string"})
    frame["outcome"] = pd.Categorical(frame["outcome"], categories=OUTCOMES)
    return frame
