"""The audit report: `telnyx-nb audit` against the session sandbox, and the HTML's self-containment."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pandas as pd
import pytest

from telnyx_nb.audit import audit
from telnyx_nb.audit.report import SECTIONS, render_html
from telnyx_nb.cli import main
from telnyx_nb.sandbox.store.demo import PLANTED

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class _Page(HTMLParser):
    """Collects what makes a page depend on the outside: resource URLs, scripts, stylesheet links."""

    def __init__(self):
        super().__init__()
        self.sections, self.images, self.external, self.tags, self.scripts = [], [], [], [], []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "section":
            self.sections.append(attrs.get("id"))
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        self._in_script = tag == "script"
        for name in ("src", "href", "srcset", "action"):
            value = attrs.get(name)
            if value is not None and not value.startswith("data:") and not value.startswith("#"):
                self.external.append((tag, name, value))


    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)

    def handle_endtag(self, tag):
        self._in_script = False


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


def _assert_self_contained_with_every_section(text: str) -> _Page:
    page = _parse(text)
    assert page.sections == list(SECTIONS)
    assert page.external == []
    assert "link" not in page.tags
    # one inline script (sorting, filtering, paging, copying) that reaches nothing outside the page, and one
    # block of data the page never runs (the revoke selection)
    assert page.tags.count("script") == 2 and len(page.scripts) == 2
    assert page.scripts[0].startswith('{"kind": "telnyx-nb revoke selection"')
    assert not any(word in page.scripts[1] for word in ("fetch(", "XMLHttpRequest", "import(", "http:", "https:",
                                                        "innerHTML", "eval("))
    assert len(page.images) >= 4
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(PNG_MAGIC)
    return page


def test_audit_command_writes_a_self_contained_html_report(sandbox, tmp_path, capsys):
    out = tmp_path / "reports" / "audit.html"
    assert main(["audit", "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    text = out.read_text(encoding="utf-8")
    _assert_self_contained_with_every_section(text)
    # the planted problems are in it, by client name
    for name in ("Legacy Fax Bridge", "Hookshot", "Kiosk Display", "Reporting Sync"):
        assert name in text
    assert "<td>stale after</td>" in text and "<td>90 days</td>" in text


def test_stale_days_reaches_the_report(sandbox, tmp_path):
    out = tmp_path / "audit.csv"
    assert main(["audit", "--out", str(out), "--stale-days", "1000"]) == 0
    findings = pd.read_csv(out)
    assert "stale_grant" not in set(findings["rule"])
    assert main(["audit", "--out", str(out)]) == 0
    findings = pd.read_csv(out)
    assert set(findings.loc[findings["rule"] == "stale_grant", "object_id"]) == set(PLANTED["stale_grant"]["ids"])


def test_csv_and_parquet_exports_hold_findings_and_frames(sandbox, tmp_path):
    assert main(["audit", "--out", str(tmp_path / "a.csv")]) == 0
    assert main(["audit", "--out", str(tmp_path / "a.parquet")]) == 0
    from_csv = pd.read_csv(tmp_path / "a.csv")
    from_parquet = pd.read_parquet(tmp_path / "a.parquet")
    assert list(from_csv.columns) == list(from_parquet.columns)
    assert len(from_csv) == len(from_parquet) > 0
    grants = pd.read_parquet(tmp_path / "a-grants.parquet")
    clients = pd.read_csv(tmp_path / "a-clients.csv")
    assert {"id", "client_id", "scopes", "created_at", "last_used_at"} <= set(grants.columns)
    assert all(isinstance(list(s), list) for s in grants["scopes"])
    assert grants["created_at"].dt.tz is not None
    assert "Telnyx NB Demo" in set(clients["name"])


def test_fail_on_gives_ci_a_nonzero_exit(sandbox, tmp_path, capsys):
    assert main(["audit", "--fail-on", "high"]) == 1  # the demo data plants high findings
    assert "stale_grant" in capsys.readouterr().out  # without --out the findings are printed


def test_bad_arguments_name_the_option(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["audit", "--out", "report.txt"])
    assert exc.value.code == 2
    assert "--out" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["audit", "--stale-days", "soon"])
    assert "--stale-days" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["audit", "--fail-on", "risk:low"])  # every grant is at least low: a CI gate that always fails
    err = capsys.readouterr().err
    assert "--fail-on" in err and "risk:high" in err


def test_unwritable_out_is_a_clear_error(sandbox, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert main(["audit", "--out", str(blocker / "report.html")]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "cannot write" in err


def test_report_escapes_what_clients_call_themselves():
    """Client names are chosen by whoever registers the app: they must stay text in the report."""
    now = datetime(2026, 6, 1, tzinfo=UTC)
    clients = pd.DataFrame([{
        "client_id": "c1", "name": "<script>alert(1)</script>", "client_type": "public", "verified": False,
        "require_pkce": False, "allowed_grant_types": ["authorization_code", "client_credentials"],
        "allowed_scopes": ["voice"], "redirect_uris": ["http://evil.example.com/cb#x"],
    }])
    grants = pd.DataFrame([{"id": "g1", "client_id": "c1", "scopes": ["voice", "admin"],
                            "created_at": now - timedelta(days=300), "last_used_at": now - timedelta(days=200)}])
    text = render_html(audit(clients, grants, now=now))
    _assert_self_contained_with_every_section(text)
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def _demo_result(sandbox):
    from telnyx_nb import TelnyxOAuth

    with TelnyxOAuth.from_sandbox(sandbox) as api:
        return audit(api, progress=False)


def test_report_rolls_up_per_client_and_lists_each_flagged_grant_once(sandbox):
    from telnyx_nb.audit.report import grants_to_review, per_client

    result = _demo_result(sandbox)
    review = grants_to_review(result)
    grant_findings = result.findings[result.findings["object_type"].astype(str) == "grant"]
    assert len(review) == grant_findings["object_id"].nunique() and review["grant_id"].is_unique
    both = review[review["rules"].map(len) > 1].iloc[0]  # a grant breaking two rules shows both, in one row
    assert set(both["rules"]) == set(grant_findings.loc[grant_findings["object_id"] == both["grant_id"], "rule"])
    assert review["risk_score"].is_monotonic_decreasing  # riskiest first

    roll_up = per_client(result)
    twins = roll_up[roll_up["client"] == "Reporting Sync"]  # two clients share this name in the demo
    assert len(twins) == 2 and twins["client_id"].is_unique
    stale = set(PLANTED["stale_grant"]["ids"])
    for row in roll_up.itertuples():
        mine = review[review["client_id"] == row.client_id]
        assert row.flagged_grants == len(mine)
        if mine["grant_id"].isin(stale).any():
            assert "stale_grant" in row.what_to_do and f"{row.flagged_grants} flagged grant" in row.what_to_do


def test_report_prints_counts_as_integers_and_rule_docs_without_rst(sandbox):
    text = render_html(_demo_result(sandbox))
    page = _parse(text)
    assert page.sections == list(SECTIONS)
    assert "``" not in text and ":data:" not in text
    assert not re.search(r">\d+\.0<", text), "a count printed as a float"
    assert "Findings by severity" not in text and "Findings per rule, by severity" in text
    assert 'data-page-size="50"' in text  # the per-grant table pages
    assert "<th class=\"sortable\" scope=\"col\"></th>" not in text  # no unnamed (empty) column heading
