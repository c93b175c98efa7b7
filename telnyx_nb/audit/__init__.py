"""Audit OAuth clients and grants: rules → findings, plots, safe revocation, and a headless report.

    from telnyx_nb.audit import audit, revoke
    result = audit(api)                       # or audit(clients_df, grants_df): no network
    result.findings                           # severity, rule, object_type, object_id, client_name, detail, …
    revoke(result.findings[result.findings.rule == "stale_grant"], api)                 # dry run: lists only
    revoke(result.findings[result.findings.rule == "stale_grant"], api, dry_run=False)  # revokes

Plots load matplotlib on first use (``telnyx_nb.audit.plots``); the report lives in ``telnyx_nb.audit.report``.
"""

from __future__ import annotations

from telnyx_nb.audit.remediate import revoke
from telnyx_nb.audit.rules import RULES, SEVERITIES, AuditResult, Thresholds, audit, find_issues

__all__ = ["RULES", "SEVERITIES", "AuditResult", "Thresholds", "audit", "find_issues", "revoke", "write_report"]


def write_report(result, path):
    """Write ``result`` as a self-contained HTML report, or CSV/Parquet exports (by the file's suffix)."""
    from telnyx_nb.audit.report import write_report as _write

    return _write(result, path)
