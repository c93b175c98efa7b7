"""The audit report: one self-contained HTML file (plots inlined as base64 PNG), or CSV / Parquet exports.

The HTML needs nothing but itself: no scripts, no stylesheets or images from elsewhere, so it can be mailed,
archived by cron, or attached to a CI run. Every table goes through ``DataFrame.to_html`` with escaping on, so a
client named ``<script>`` stays text. The frames hold no secrets (client secrets are never listed by the API).
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

import pandas as pd

from telnyx_nb.audit import plots
from telnyx_nb.audit.rules import RULES, SEVERITIES, AuditResult
from telnyx_nb.audit.sanitize import spreadsheet_safe

__all__ = ["SECTIONS", "export", "render_html", "write_report"]

# id → heading, in report order; tests check each is present
SECTIONS = {
    "summary": "Summary",
    "findings-by-severity": "Findings by severity",
    "findings": "Findings",
    "grants-per-client": "Grants per client",
    "last-used": "Last-used age of grants",
    "scope-matrix": "Scopes per client",
    "clients": "Clients",
    "rules": "Rules",
}

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#222;max-width:80rem}
h1{margin-bottom:.2rem} h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0} th,td{border:1px solid #ddd;padding:.25rem .5rem;
text-align:left;vertical-align:top} th{background:#f4f4f4} img{max-width:100%}
.sev-high{color:#c0392b;font-weight:600} .sev-medium{color:#d35400} .sev-low{color:#555}
.muted{color:#666} table.findings td:nth-child(4){white-space:nowrap;font-family:monospace}
"""


def _list_text(value: Any) -> str:
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        return ", ".join(str(v) for v in list(value))
    return "" if value is None or value is pd.NA else str(value)


def _table(frame: pd.DataFrame, empty: str = "none", css_class: str | None = None) -> str:
    if frame.empty:
        return f'<p class="muted">{html.escape(empty)}</p>'
    shown = frame.copy()
    for col in shown.columns:
        if shown[col].dtype == object:
            shown[col] = shown[col].map(_list_text)
    return shown.to_html(index=False, escape=True, na_rep="", border=0, classes=css_class)


def _img(fig: Any, alt: str) -> str:
    data = base64.b64encode(plots.to_png(fig)).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _section(key: str, body: str) -> str:
    return f'<section id="{key}">\n<h2>{html.escape(SECTIONS[key])}</h2>\n{body}\n</section>'


def render_html(result: AuditResult) -> str:
    """The whole report as one HTML string."""
    t = result.thresholds
    now = pd.Timestamp(t.now).tz_convert("UTC") if t.now else pd.Timestamp.now(tz="UTC")
    findings, clients, grants = result.findings, result.clients, result.grants
    counts = findings["severity"].astype(str).value_counts() if not findings.empty else pd.Series(dtype=int)
    facts = pd.DataFrame({
        "": ["target", "generated at", "clients", "grants", "stale after", "never-used grace",
             "admin scopes"] + [f"{s} findings" for s in SEVERITIES],
        "value": [result.target, now.isoformat(timespec="seconds"), len(clients), len(grants),
                  f"{t.stale_days} days", f"{t.never_used_grace_days} days", ", ".join(t.admin_scopes)]
                 + [int(counts.get(s, 0)) for s in SEVERITIES],
    })
    actions = pd.Series({name: r.suggested_action for name, r in RULES.items()}, name="suggested action")
    summary_by_rule = result.summary()
    if not summary_by_rule.empty:
        summary_by_rule["suggested action"] = summary_by_rule["rule"].astype(str).map(actions)
    # the per-rule action is in the summary; each finding row keeps to what differs
    finding_rows = findings.drop(columns=["suggested_action"])
    sections = [
        _section("summary", _table(facts) + "<h3>Findings per rule</h3>" + _table(summary_by_rule, "no findings")),
        _section("findings-by-severity", _img(plots.findings_by_severity(findings), "findings by severity")),
        _section("findings", _table(finding_rows, "no findings", "findings")),
        _section("grants-per-client",
                 _img(plots.grants_per_client(grants, clients), "grants per client")
                 + _table(plots.grants_per_client_counts(grants, clients).rename_axis("client").reset_index())),
        _section("last-used",
                 _img(plots.last_used_age_histogram(grants, now, t.stale_days), "last-used age histogram")
                 + _table(plots.last_used_age_days(grants, now).describe().round(1)
                          .rename_axis("statistic").reset_index())),
        _section("scope-matrix",
                 _img(plots.scope_client_matrix_plot(grants, clients), "scope by client matrix")
                 + _table(plots.scope_client_matrix(grants, clients).reset_index())),
        _section("clients", _table(clients, "no clients")),
        _section("rules", _table(pd.DataFrame(
            [{"rule": r.name, "severity": r.severity, "applies to": r.object_type, "risk": r.doc,
              "suggested action": r.suggested_action} for r in RULES.values()]))),
    ]
    title = "telnyx-nb OAuth audit"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{title}</h1>\n<p class=\"muted\">{html.escape(result.target)} · "
        f"{html.escape(now.isoformat(timespec='seconds'))}</p>\n"
        + "\n".join(sections) + "\n</body>\n</html>\n"
    )


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """CSV cannot hold lists: list cells become JSON arrays (a warehouse can parse them back)."""
    flat = frame.copy()
    for col in flat.columns:
        if flat[col].dtype == object:
            flat[col] = flat[col].map(lambda v: json.dumps(list(v)) if isinstance(v, (list, tuple))
                                      or hasattr(v, "tolist") else v)
    return flat


def _parquet_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Parquet wants one type per column: list cells as lists of str."""
    ready = frame.copy()
    for col in ready.columns:
        if ready[col].dtype == object:
            sample = ready[col].dropna()
            if len(sample) and all(isinstance(v, (list, tuple)) or hasattr(v, "tolist") for v in sample):
                ready[col] = ready[col].map(lambda v: [str(x) for x in list(v)] if v is not None else None)
    return ready


def export(result: AuditResult, path: str | Path) -> list[Path]:
    """Write findings, clients and grants as CSV or Parquet (chosen by the suffix of ``path``).

    Findings go to ``path``; the frames go beside it as ``<stem>-clients<suffix>`` and ``<stem>-grants<suffix>``.
    Returns the paths written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ValueError(f"out: {path.name!r} — use a .html, .csv or .parquet file name")
    written = []
    for frame, target in ((result.findings, path),
                          (result.clients, path.with_name(f"{path.stem}-clients{path.suffix}")),
                          (result.grants, path.with_name(f"{path.stem}-grants{path.suffix}"))):
        if suffix == ".csv":
            spreadsheet_safe(_flat(frame)).to_csv(target, index=False)  # no formulas from third-party names
        else:
            _parquet_ready(frame).to_parquet(target, index=False)
        written.append(target)
    return written


def write_report(result: AuditResult, path: str | Path) -> list[Path]:
    """Write the report the suffix asks for: ``.html`` (self-contained), ``.csv`` or ``.parquet``."""
    path = Path(path)
    if path.suffix.lower() in (".html", ".htm"):
        path.write_text(render_html(result), encoding="utf-8")
        return [path]
    return export(result, path)
