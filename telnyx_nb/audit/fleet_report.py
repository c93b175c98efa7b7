"""The fleet view of the audit report: one self-contained HTML page for a manager account and all its accounts.

Written for an owner of many managed accounts deciding where to start: "Revoke these first" across the fleet (the
riskiest grants of every account, each with its account and full id, and how to revoke them account by account),
the fleet in numbers with the accounts that could not be audited and why, the accounts ranked by their worst grant,
then each account's grants to review in a collapsed ``<details>`` (the page stays light at a thousand accounts: the
browser lays out only the one opened). It is built from the single-account report's pieces (its tables, cells,
copy buttons, script and styles, :mod:`telnyx_nb.audit.html_page`) and the same offline rules: nothing from
elsewhere, autoescaped names, and no secret (the fleet's frames hold none; the accounts' keys never reach them).

``telnyx-nb revoke`` acts on one account's report; it does not read this page (it embeds no selection), so the
page says how to act per account instead.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from telnyx_nb.audit import html_page, plots
from telnyx_nb.audit.levels import LEVELS
from telnyx_nb.audit.risk import revoke_first
from telnyx_nb.audit.rules import SEVERITIES

__all__ = ["FLEET_SECTIONS", "REVOKE_FIRST", "accounts_ranked", "fleet_revoke_first", "render", "review_by_account"]

# id → heading, in page order; tests check each is present
FLEET_SECTIONS = {
    "fleet-revoke-first": "Revoke these first, across the fleet",
    "fleet-summary": "The fleet",
    "failures": "Accounts that could not be audited",
    "accounts-ranked": "Accounts, by their worst grant",
    "per-account": "Grants to review, account by account",
    "findings-per-rule": "Findings per rule, by severity",
    "rules": "Rules",
}
REVOKE_FIRST = 25  # grants in the fleet's "Revoke these first"
REVIEW_COLUMNS = ["risk_level", "risk_score", "severity", "client", "client_id", "grant_id", "scopes", "last_used_at",
                  "rules", "risk_reason"]
_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}


def fleet_revoke_first(result: Any, n: int = REVOKE_FIRST) -> pd.DataFrame:
    """The ``n`` riskiest grants above ``low`` across the fleet (:func:`risk.revoke_first` on the fleet's frames),
    each with the account it belongs to."""
    first = revoke_first(result, n)
    grants = result.grants  # riskiest first: revoke_first took the same rows, in the same order
    top = grants[grants["risk_level"] > "low"].head(n)
    first.insert(3, "account_id", top["account_id"].astype(str).to_list())
    first.insert(4, "organization_name", top["organization_name"].to_list())
    return first


def review_by_account(result: Any) -> pd.DataFrame:
    """Every account's flagged grants (the single report's "Grants to review", computed once for the whole fleet:
    column operations, never one audit per account), account by account in the fleet's order, riskiest first."""
    findings = result.findings[result.findings["object_type"].astype(str) == "grant"]
    if findings.empty:
        return pd.DataFrame(columns=["account_id", *REVIEW_COLUMNS])
    key = findings["account_id"].astype(str) + "\0" + findings["object_id"].astype(str)
    findings = findings.assign(_key=key, _rank=findings["severity"].astype(str).map(_RANK),
                               rule=findings["rule"].astype(str)).sort_values("_rank", kind="stable")
    worst = findings.drop_duplicates("_key").set_index("_key")["severity"].astype(str)  # most severe first
    rules = findings.drop_duplicates(["_key", "rule"]).groupby("_key", sort=False)["rule"].agg(list)
    grants = result.grants
    flagged = grants[(grants["account_id"].astype(str) + "\0" + grants["id"].astype(str)).isin(worst.index)]
    flagged_key = flagged["account_id"].astype(str) + "\0" + flagged["id"].astype(str)
    names = dict(zip(result.clients["account_id"].astype(str) + "\0" + result.clients["client_id"].astype(str),
                     result.clients["name"].astype(str)))
    frame = pd.DataFrame({
        "account_id": flagged["account_id"].astype(str), "risk_level": flagged["risk_level"].astype(str),
        "risk_score": flagged["risk_score"], "severity": flagged_key.map(worst),
        "client": (flagged["account_id"].astype(str) + "\0" + flagged["client_id"].astype(str)).map(names)
        .fillna("(client gone)"), "client_id": flagged["client_id"], "grant_id": flagged["id"],
        "scopes": flagged["scopes"], "last_used_at": flagged["last_used_at"], "rules": flagged_key.map(rules),
        "risk_reason": flagged["risk_reason"]})
    order = {a: i for i, a in enumerate(result.accounts["account_id"].astype(str))}
    return frame.assign(_order=frame["account_id"].map(order)).sort_values("_order", kind="stable") \
        .drop(columns="_order").reset_index(drop=True)  # grants were riskiest first: they stay so per account


def accounts_ranked(result: Any, review: pd.DataFrame) -> pd.DataFrame:
    """The roll-up, riskiest account first (its worst grant's score; the failed ones last), with a rank and how
    many grants each has to review."""
    accounts, counts = result.accounts, review["account_id"].value_counts()
    ranked = pd.DataFrame({
        "rank": range(1, len(accounts) + 1), "account_id": accounts["account_id"].astype(str),
        "organization_name": accounts["organization_name"],
        "worst_risk_level": accounts["worst_risk_level"].astype(object).where(accounts["worst_risk_level"].notna(),
                                                                              None),
        "worst_risk_score": accounts["worst_risk_score"], "grants": accounts["grants"],
        "to_review": [None if failed else int(counts.get(str(a), 0)) for a, failed
                      in zip(accounts["account_id"], accounts["failed"].astype(bool))],
        "findings": accounts["findings"], "failed": accounts["failed"].astype(bool)})
    return ranked


def _facts(result: Any, now: pd.Timestamp) -> pd.DataFrame:
    t, findings = result.thresholds, result.findings
    counts = findings["severity"].astype(str).value_counts()
    risks = result.grants["risk_level"].astype(str).value_counts()
    failed = int(result.accounts["failed"].astype(bool).sum())
    return pd.DataFrame({
        "fact": ["target", "generated at", "accounts", "audited", "could not be audited", "grants", "findings",
                 "grants by risk", "stale after", "never-used grace"],
        "value": [result.target, now.isoformat(timespec="seconds"), str(len(result.accounts)),
                  str(len(result.accounts) - failed), str(failed), str(len(result.grants)),
                  ", ".join(f"{int(counts.get(s, 0))} {s}" for s in SEVERITIES),
                  ", ".join(f"{int(risks.get(level, 0))} {level}" for level in reversed(LEVELS)),
                  f"{t.stale_days} days", f"{t.never_used_grace_days} days"]})


def how_to_act(first: pd.DataFrame, report_name: str) -> dict | None:
    """Per account in the list: a Python snippet that revokes its listed grants with the manager's client, and the
    shell path through a single-account report (``telnyx-nb revoke`` reads one account's report, not this page)."""
    if first.empty:
        return None
    accounts = []
    for account_id, part in first.groupby("account_id", sort=False):
        ids = ", ".join(f'"{g}"' for g in part["grant"])
        accounts.append({"account_id": account_id, "organization_name": part["organization_name"].iloc[0],
                         "python": f'account = manager.for_managed_account("{account_id}")\n'
                                   f"for grant_id in [{ids}]:\n    account.revoke_grant(grant_id)"})
    return {"listed": len(first), "accounts": accounts, "report_name": report_name}


def _account_blocks(ranked: pd.DataFrame, review: pd.DataFrame, failures: pd.DataFrame) -> list[dict]:
    """One block per account, in rank order: its failure, or its table (the fleet's review table made once, then cut
    by account: a thousand small frames would cost more than the rows)."""
    reasons = dict(zip(failures["account_id"].astype(str), failures["stage"].astype(str) + ": "
                       + failures["reason"].astype(str)))
    whole = html_page.table(review[REVIEW_COLUMNS], "account-table", "grants to review, riskiest first")
    whole["page_size"] = None
    spans = {account_id: (int(at[0]), int(at[-1]) + 1)  # each account's rows are contiguous (review_by_account)
             for account_id, at in review.groupby("account_id", sort=False).indices.items()}
    blocks = []
    for row in ranked.itertuples(index=False):
        span = spans.get(row.account_id)
        blocks.append({
            "rank": row.rank, "account_id": row.account_id, "name": "" if pd.isna(row.organization_name)
            else str(row.organization_name), "level": row.worst_risk_level, "score": row.worst_risk_score,
            "to_review": row.to_review, "failed": reasons.get(row.account_id) if row.failed else None,
            "table": None if span is None else {**whole, "id": f"account-{row.rank}-table",
                                                "rows": whole["rows"][span[0]:span[1]]}})
    return blocks


def render(result: Any, report_name: str = "report.html") -> str:
    """The fleet page as one HTML string (``report_name``: the file it is saved as, named in its guidance)."""
    t = result.thresholds
    now = pd.Timestamp(t.now).tz_convert("UTC") if t.now else pd.Timestamp.now(tz="UTC")
    review = review_by_account(result)
    ranked = accounts_ranked(result, review)
    first = fleet_revoke_first(result)

    def section(key: str, *, intro: str = "", images=(), tables=()) -> dict:
        return {"id": key, "heading": FLEET_SECTIONS[key], "intro": intro, "images": list(images),
                "tables": list(tables)}

    sections = [
        section("fleet-revoke-first", intro="The riskiest grants of every account audited, one reason each (risk: the "
                "sum of the weights of what a grant shows; see Rules below). Revoking a grant ends the tokens issued "
                "under it (RFC 7009 §2).", tables=[html_page.table(first, "fleet-revoke-first-table",
                f"the {len(first)} riskiest grants of the fleet", "no grant stands out: every one is low risk")]),
        section("fleet-summary", tables=[html_page.table(_facts(result, now), "facts", "what was audited")]),
        section("failures", intro="Each could not be read (a disabled or cancelled account's key is refused); the "
                "other accounts were audited regardless. Audit them again once they answer.",
                tables=[html_page.table(result.failures, "failures-table", "accounts not audited, and why",
                                      "none: every account was audited")]),
        section("accounts-ranked", intro="Riskiest first: each account by the risk score of its worst grant; the "
                "accounts that could not be audited last. Click a column heading to sort; type to filter.",
                tables=[html_page.table(ranked, "accounts-table", "every account, ranked", "no managed accounts")]),
        section("per-account", intro="Open an account to see its flagged grants, riskiest first, with every rule "
                "each broke."),
        section("findings-per-rule", images=[html_page.img(plots.findings_by_severity(result.findings),
                                                         "findings per rule across the fleet, by severity")]),
        section("rules", tables=[html_page.table(html_page.rules_frame(), "rules-table", "the audit rules")]),
    ]
    sections[0]["fleet_act"] = how_to_act(first, report_name)
    sections[4]["accounts"] = _account_blocks(ranked, review, result.failures)
    return html_page.template("fleet.html.j2").render(
        title="telnyx-nb OAuth audit of a fleet", target=result.target, generated=now.isoformat(timespec="seconds"),
        sections=sections)
