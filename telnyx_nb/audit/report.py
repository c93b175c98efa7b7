"""The audit report: one self-contained HTML file (plots inlined as base64 PNG), or CSV / Parquet exports.

The HTML is written for an account owner deciding what to revoke: the account's scope baseline in one sentence (on
Telnyx every grant holds ``admin``), then "Revoke these first" (the riskiest grants, one reason line each, see
:mod:`telnyx_nb.audit.risk`) with the ``telnyx-nb revoke --from`` command that acts on exactly that list (carried
in the page as data, :mod:`telnyx_nb.audit.selection`), a per-client roll-up (grants, worst severity, what to do),
one row per flagged grant riskiest first with every rule it broke and the suggested action, then the pictures and
the full frames. It needs nothing but itself — no stylesheets, images or scripts from elsewhere — so it can be
mailed, archived by cron, or attached to a CI run; one small inline script sorts (click a header), filters and
pages the tables and reveals a copy button beside every (whole) id; without it every row is still there and every
id selectable text. The page comes from a Jinja2 template with autoescaping on, so a client named ``<script>``
stays text. The frames hold no secrets (client secrets are never listed by the API). A fleet audit (many managed
accounts) gets a page of its own from the same pieces: :func:`render_fleet_html`, :mod:`telnyx_nb.audit.fleet_report`.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pandas as pd

from telnyx_nb.audit import plots, selection
from telnyx_nb.audit.html_page import img as _img
from telnyx_nb.audit.html_page import rules_frame as _rules_frame
from telnyx_nb.audit.html_page import table as _table
from telnyx_nb.audit.html_page import template as _template
from telnyx_nb.audit.levels import LEVELS
from telnyx_nb.audit.risk import revoke_first, with_risk
from telnyx_nb.audit.rules import RULES, SEVERITIES, AuditResult
from telnyx_nb.core.errors import ConfigurationError
from telnyx_nb.spreadsheet import write_csv

__all__ = ["SECTIONS", "export", "render_fleet_html", "render_html", "save_fleet_html", "write_report"]

# id → heading, in report order; tests check each is present
SECTIONS = {
    "revoke-first": "Revoke these first",
    "summary": "Summary",
    "per-client": "What to do, per client",
    "grants-to-review": "Grants to review",
    "client-findings": "Findings about clients",
    "findings-per-rule": "Findings per rule, by severity",
    "grants-per-client": "Grants per client",
    "last-used": "Last-used age of grants",
    "scope-matrix": "Scopes per client",
    "clients": "Clients",
    "rules": "Rules",
}
GRANTS_PAGE_SIZE = 50  # rows per page of the per-grant table: 100k grants stay readable
REVOKE_FIRST = 10  # grants in "Revoke these first"
_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}  # high = 0


def _worst(severities: pd.Series) -> str:
    return min((str(s) for s in severities), key=lambda s: _RANK.get(s, 99))


def _risk(result: AuditResult) -> pd.DataFrame:
    """The result's grants with their risk columns (an AuditResult built by hand may not carry them yet)."""
    if "risk_score" in result.grants:
        return result.grants
    return with_risk(result.clients, result.grants, result.thresholds)


def grants_to_review(result: AuditResult) -> pd.DataFrame:
    """One row per flagged grant, riskiest first: its risk, worst severity, client, every rule it broke, what to do."""
    findings = result.findings[result.findings["object_type"].astype(str) == "grant"]
    columns = ["risk_level", "risk_score", "severity", "client", "client_id", "grant_id", "scopes", "last_used_at",
               "rules", "risk_reason", "detail", "suggested_action"]
    if findings.empty:
        return pd.DataFrame(columns=columns)
    grants = _risk(result)
    grants = grants.set_index(grants["id"].astype(str))
    position = {grant_id: i for i, grant_id in enumerate(grants.index)}  # riskiest first, longest idle first
    rows = []
    for grant_id, group in findings.groupby(findings["object_id"].astype(str), sort=False):
        group = group.sort_values("severity", key=lambda s: s.astype(str).map(_RANK))
        grant = grants.loc[grant_id] if grant_id in grants.index else None
        rows.append({
            "risk_level": None if grant is None else str(grant["risk_level"]),
            "risk_score": 0 if grant is None else int(grant["risk_score"]),
            "severity": _worst(group["severity"]),
            "client": group["client_name"].dropna().astype(str).iloc[0] if group["client_name"].notna().any()
            else "(client gone)",
            "client_id": None if grant is None else str(grant["client_id"]),
            "grant_id": grant_id,
            "scopes": [] if grant is None else list(grant["scopes"]),
            "last_used_at": None if grant is None else grant["last_used_at"],
            "rules": list(dict.fromkeys(group["rule"].astype(str))),
            "risk_reason": None if grant is None else str(grant["risk_reason"]),
            "detail": "; ".join(dict.fromkeys(group["detail"].astype(str))),
            "suggested_action": " ".join(dict.fromkeys(group["suggested_action"].astype(str))),
        })
    frame = pd.DataFrame(rows, columns=columns)
    return frame.assign(_rank=frame["severity"].map(_RANK), _pos=frame["grant_id"].map(position)) \
        .sort_values(["risk_score", "_rank", "_pos", "grant_id"], ascending=[False, True, True, True],
                     kind="stable").drop(columns=["_rank", "_pos"]).reset_index(drop=True)


def per_client(result: AuditResult) -> pd.DataFrame:
    """One row per client with findings (keyed by client_id, so two clients sharing a name stay two rows)."""
    findings, grants, clients = result.findings, result.grants, result.clients
    columns = ["client", "client_id", "client_type", "verified", "grants", "flagged_grants", "worst_severity",
               "rules", "what_to_do"]
    if findings.empty:
        return pd.DataFrame(columns=columns)
    grant_client = dict(zip(grants["id"].astype(str), grants["client_id"].astype(str)))
    kinds = findings["object_type"].astype(str)
    owner = findings["object_id"].astype(str).where(kinds == "client",
                                                     findings["object_id"].astype(str).map(grant_client))
    findings = findings.assign(_client=owner.fillna("(client gone)")).sort_values(
        "severity", key=lambda v: v.astype(str).map(_RANK), kind="stable")
    by_id = clients.set_index(clients["client_id"].astype(str))
    grant_counts = grants["client_id"].astype(str).value_counts()
    rows = []
    for client_id, group in findings.groupby("_client", sort=False):
        known = client_id in by_id.index
        on_grants = group[group["object_type"].astype(str) == "grant"]
        todo = list(dict.fromkeys(group.loc[group["object_type"].astype(str) == "client", "suggested_action"]
                                  .astype(str)))  # the client's own fixes, most severe first
        if len(on_grants):
            per_rule = on_grants.groupby(on_grants["rule"].astype(str), sort=False)["object_id"].nunique()
            flagged = on_grants["object_id"].nunique()
            todo.append(f"Review and revoke {flagged} flagged grant{'s' if flagged != 1 else ''} ("
                        + ", ".join(f"{rule_name}: {n}" for rule_name, n in per_rule.items())
                        + ") — see Grants to review.")
        rows.append({
            "client": str(by_id.loc[client_id, "name"]) if known else group["client_name"].dropna().astype(str)
            .iloc[0] if group["client_name"].notna().any() else "(client gone)",
            "client_id": client_id,
            "client_type": str(by_id.loc[client_id, "client_type"]) if known else None,
            "verified": by_id.loc[client_id, "verified"] if known else None,
            "grants": int(grant_counts.get(client_id, 0)),
            "flagged_grants": int(on_grants["object_id"].nunique()),
            "worst_severity": _worst(group["severity"]),
            "rules": list(dict.fromkeys(group["rule"].astype(str))),
            "what_to_do": " ".join(todo),
        })
    frame = pd.DataFrame(rows, columns=columns)
    frame["verified"] = frame["verified"].map(lambda v: None if v is None or v is pd.NA else bool(v))
    return frame.assign(_rank=frame["worst_severity"].map(_RANK)) \
        .sort_values(["_rank", "flagged_grants", "client"], ascending=[True, False, True], kind="stable") \
        .drop(columns="_rank").reset_index(drop=True)


def _severity_column(frame: pd.DataFrame, column: str = "worst_severity") -> pd.DataFrame:
    return frame.rename(columns={column: "severity"}) if column in frame else frame


def _facts(result: AuditResult, now: pd.Timestamp) -> pd.DataFrame:
    """What was audited, with which thresholds, and how many findings and grants at each severity and risk."""
    t, findings = result.thresholds, result.findings
    counts = findings["severity"].astype(str).value_counts() if not findings.empty else pd.Series(dtype=int)
    risks = _risk(result)["risk_level"].astype(str).value_counts()
    b = result.baseline  # the sentence itself is said once, above the sections
    baseline = f"{', '.join(b.scopes)} ({b.reason})" if b else "none: grants differ in scope"
    return pd.DataFrame({
        "fact": ["target", "generated at", "clients", "grants", "stale after", "never-used grace", "admin scopes",
                 "scope baseline", "findings", "grants by risk"],
        "value": [result.target, now.isoformat(timespec="seconds"), str(len(result.clients)), str(len(result.grants)),
                  f"{t.stale_days} days", f"{t.never_used_grace_days} days", ", ".join(t.admin_scopes), baseline,
                  ", ".join(f"{int(counts.get(s, 0))} {s}" for s in SEVERITIES),
                  ", ".join(f"{int(risks.get(level, 0))} {level}" for level in reversed(LEVELS))],
    })


def render_html(result: AuditResult, report_name: str = "report.html") -> str:
    """The whole report as one HTML string; ``report_name``: the file it is saved as, for the revoke command it
    shows (which reads its list back from the report, :mod:`telnyx_nb.audit.selection`)."""
    t = result.thresholds
    now = pd.Timestamp(t.now).tz_convert("UTC") if t.now else pd.Timestamp.now(tz="UTC")
    findings, clients, grants = result.findings, result.clients, result.grants
    facts = _facts(result, now)
    summary_by_rule = _summary_by_rule(result)
    roll_up = per_client(result)
    review = grants_to_review(result)
    client_findings = _client_findings(findings)
    age_facts = _age_facts(grants, now, t.stale_days)
    per_client_counts = plots.grants_per_client_counts(grants, clients).rename_axis("client").reset_index()
    matrix = plots.scope_client_matrix(grants, clients).rename_axis(columns=None).reset_index()
    rules_frame = _rules_frame()

    def section(key: str, *, intro: str = "", images=(), tables=()) -> dict:
        return {"id": key, "heading": SECTIONS[key], "intro": intro, "images": list(images), "tables": list(tables)}

    unflagged = len(clients) - int(roll_up["client_id"].isin(clients["client_id"].astype(str)).sum())
    first = revoke_first(result, REVOKE_FIRST)
    sections = [
        section("revoke-first", intro="The riskiest grants, one reason each (risk: the sum of the weights of what a "
                                      "grant shows; see Rules below and docs/audit-risk.md). Revoking a grant ends "
                                      "the tokens issued under it (RFC 7009 §2).",
                tables=[_table(first, "revoke-first-table", f"the {len(first)} riskiest grants",
                               "no grant stands out: every one is low risk")]),
        section("summary", tables=[_table(facts, "facts", "what was audited"),
                                   _table(summary_by_rule, "per-rule", "findings per rule", "no findings")]),
        section("per-client", intro="Clients with findings, most severe first"
                                    + (f" ({unflagged} {'client has' if unflagged == 1 else 'clients have'} none)"
                                       if unflagged else "") + ". Click a column heading to sort; type to filter.",
                tables=[_table(_severity_column(roll_up), "clients-roll-up", "per-client roll-up",
                               "no findings: nothing to do")]),
        section("grants-to-review", intro="One row per flagged grant, riskiest first, with every rule it broke. "
                                          "Revoking a grant ends the tokens issued under it (RFC 7009 §2).",
                tables=[_table(review, "grants-table", "flagged grants", "no grant is flagged",
                               page_size=GRANTS_PAGE_SIZE)]),
        section("client-findings", tables=[_table(client_findings, "client-findings-table", "findings about "
                                                  "clients", "no finding about a client")]),
        section("findings-per-rule", images=[_img(plots.findings_by_severity(findings),
                                                  "findings per rule, coloured by severity")]),
        section("grants-per-client", images=[_img(plots.grants_per_client(grants, clients), "grants per client")],
                tables=[_table(per_client_counts, "grants-per-client-table", "grants per client")]),
        section("last-used", images=[_img(plots.last_used_age_histogram(grants, now, t.stale_days),
                                          "last-used age histogram")],
                tables=[_table(age_facts, "last-used-table", "days since last use")]),
        section("scope-matrix", images=[_img(plots.scope_client_matrix_plot(grants, clients),
                                             "scope by client matrix")],
                tables=[_table(matrix, "scope-matrix-table", "grants holding each scope, per client",
                               "no grants")]),
        section("clients", tables=[_table(clients, "clients-table", "every client", "no clients")]),
        section("rules", tables=[_table(rules_frame, "rules-table", "the audit rules")]),
    ]
    sections[0]["act"] = how_to_act(len(first), report_name)
    return _template().render(title="telnyx-nb OAuth audit", target=result.target,
                              generated=now.isoformat(timespec="seconds"), sections=sections,
                              baseline=result.baseline.sentence() if result.baseline else None,
                              selection=selection.embeddable(selection.build(result, REVOKE_FIRST)),
                              selection_id=selection.ELEMENT_ID)



def render_fleet_html(result: Any, report_name: str = "report.html") -> str:
    """The fleet view of a :class:`~telnyx_nb.audit.fleet.FleetAuditResult` as one self-contained HTML string
    (accounts ranked by their worst grant, each account's table on demand, "Revoke these first" across the fleet);
    see :mod:`telnyx_nb.audit.fleet_report`."""
    from telnyx_nb.audit import fleet_report

    return fleet_report.render(result, report_name)


def save_fleet_html(result: Any, path: str | Path) -> Path:
    """Write :func:`render_fleet_html` to ``path`` (UTF-8); returns the path."""
    path = Path(path)
    path.write_text(render_fleet_html(result, path.name), encoding="utf-8")
    return path


def _summary_by_rule(result: AuditResult) -> pd.DataFrame:
    """Findings per rule, each with the rule's suggested action."""
    actions = pd.Series({name: r.suggested_action for name, r in RULES.items()}, name="suggested action")
    summary = result.summary()
    if not summary.empty:
        summary["suggested action"] = summary["rule"].astype(str).map(actions)
    return summary


def _client_findings(findings: pd.DataFrame) -> pd.DataFrame:
    """The findings about clients (not grants), in the columns the report shows."""
    return findings[findings["object_type"].astype(str) == "client"][
        ["severity", "rule", "client_name", "object_id", "detail", "suggested_action"]
    ].rename(columns={"object_id": "client_id", "client_name": "client"})


def _age_facts(grants: pd.DataFrame, now: pd.Timestamp, stale_days: int) -> pd.DataFrame:
    """One row: how many grants were used, never used, idle past the threshold, and the idle days' median/max."""
    idle = plots.last_used_age_days(grants, now)
    return pd.DataFrame([{
        "grants": len(grants), "used": int(idle.notna().sum()), "never used": int(idle.isna().sum()),
        f"idle > {stale_days} days": int((idle > stale_days).sum()),
        "median days idle": idle.median() if idle.notna().any() else None,
        "most days idle": idle.max() if idle.notna().any() else None,
    }])


def how_to_act(listed: int, report_name: str) -> dict | None:
    """Beside "Revoke these first": the commands that revoke exactly that list (a dry run, then for real) and where
    else to do it by hand; None when the list is empty."""
    if not listed:
        return None
    source = shlex.quote(report_name)
    return {"dry_run": f"telnyx-nb revoke --from {source}", "apply": f"telnyx-nb revoke --from {source} --apply",
            "listed": listed}


def _parquet_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Parquet wants one type per column: list cells as lists of str."""
    ready = frame.copy()
    for col in ready.columns:
        if ready[col].dtype == object:
            sample = ready[col].dropna()
            if len(sample) and all(isinstance(v, (list, tuple)) or hasattr(v, "tolist") for v in sample):
                ready[col] = ready[col].map(lambda v: [str(x) for x in list(v)] if v is not None else None)
    return ready


def _require_pyarrow(path: Path) -> None:
    """A clear error before anything is written (pandas' own is a multi-line ImportError from inside to_parquet)."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise ConfigurationError(f"out: {path.name!r} is Parquet, which needs pyarrow: pip install "
                                 "'telnyx-nb[parquet]' (make explore installs it), or write .html or .csv") from None


def export(result: AuditResult, path: str | Path) -> list[Path]:
    """Write findings, clients and grants as CSV or Parquet (chosen by the suffix of ``path``).

    Findings go to ``path``; the frames go beside it as ``<stem>-clients<suffix>`` and ``<stem>-grants<suffix>``.
    Returns the paths written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ConfigurationError(f"out: {path.name!r} — use a .html, .csv or .parquet file name")
    if suffix == ".parquet":
        _require_pyarrow(path)
    written = []
    for frame, target in ((result.findings, path),
                          (result.clients, path.with_name(f"{path.stem}-clients{path.suffix}")),
                          (result.grants, path.with_name(f"{path.stem}-grants{path.suffix}"))):
        if suffix == ".csv":
            write_csv(frame, target)  # quoted, no formulas, no row breaks from third-party names
        else:
            _parquet_ready(frame).to_parquet(target, index=False)
        written.append(target)
    return written


def write_report(result: AuditResult, path: str | Path) -> list[Path]:
    """Write the report the suffix asks for: ``.html`` (self-contained), ``.csv`` or ``.parquet``, or ``.json``
    (the revoke selection alone)."""
    path = Path(path)
    if path.suffix.lower() in (".html", ".htm"):
        path.write_text(render_html(result, str(path)), encoding="utf-8")
        return [path]
    if path.suffix.lower() == ".json":  # the "Revoke these first" list alone, for telnyx-nb revoke --from
        return [selection.write(result, path, REVOKE_FIRST)]
    return export(result, path)
