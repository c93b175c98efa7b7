"""Audit OAuth clients and grants: rules → findings, plots, safe revocation, and a headless report.

    from telnyx_nb.audit import audit, revoke
    result = audit(api)                       # or audit(clients_df, grants_df): no network
    result.findings                           # severity, rule, object_type, object_id, client_name, detail, …
    revoke(result.findings[result.findings.rule == "stale_grant"], api)                 # dry run: lists only
    outcomes = revoke(result.findings[result.findings.rule == "stale_grant"], api, dry_run=False)  # revokes
    summarize(outcomes)                       # "12 revoked"; "nothing new to revoke: all 12 grants were …"

A manager account's fleet (``telnyx_nb.audit.fleet``): ``audit_fleet(manager)`` audits every managed account with
its own key, concurrently, into one roll-up, one findings and one grants frame (``account_id`` first) and a
``failures`` frame for the accounts that could not be read.

From a shell, ``telnyx-nb revoke --from report.html`` acts on a report's "Revoke these first" list
(``telnyx_nb.audit.revoke_cli``; the list itself: ``telnyx_nb.audit.selection``).

Snapshots (``telnyx_nb.audit.snapshots``): ``snapshot(api, "snapshots")`` writes Parquet partitioned by date;
``diff("snapshots")`` lists what changed between the last two; ``history("snapshots")`` queries them with DuckDB.

Plots load matplotlib on first use (``telnyx_nb.audit.plots``); the report lives in ``telnyx_nb.audit.report``.
"""

from __future__ import annotations

from telnyx_nb.audit.fleet import FleetAuditResult, audit_fleet
from telnyx_nb.audit.remediate import revoke, summarize
from telnyx_nb.audit.rules import (
    RULES,
    SEVERITIES,
    AuditResult,
    Thresholds,
    audit,
    find_issues,
)
from telnyx_nb.audit.snapshots import (
    Snapshot,
    diff,
    history,
    list_snapshots,
    load_snapshot,
    snapshot,
)

__all__ = ["RULES", "SEVERITIES", "AuditResult", "FleetAuditResult", "Snapshot", "Thresholds", "audit", "audit_fleet",
           "diff", "find_issues", "history", "list_snapshots", "load_snapshot", "revoke", "snapshot", "summarize",
           "write_report"]


def write_report(result, path):
    """Write ``result`` as a self-contained HTML report, or CSV/Parquet exports (by the file's suffix)."""
    from telnyx_nb.audit.report import write_report as _write

    return _write(result, path)
