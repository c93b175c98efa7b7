"""The HTML report rendered from hand-built frames, no sandbox: the per-client roll-up's rows, the per-grant table,
what each cell shows (counts, times, yes/no, whole ids with a copy button), escaping inside attributes, and the sort/filter/page
controls the inline script works on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pandas as pd
import pytest
from frame_helpers import typed_frame

from telnyx_nb.audit import audit
from telnyx_nb.audit.report import grants_to_review, per_client, render_html
from telnyx_nb.frames import CLIENT_COLUMNS, GRANT_COLUMNS

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
LONG_ID = "c0ffee00-1111-2222-3333-444455556666"


def _client(client_id, name, **overrides):
    record = {"client_id": client_id, "name": name, "client_type": "confidential", "verified": True,
              "require_pkce": True, "allowed_grant_types": ["authorization_code"], "allowed_scopes": ["messaging"],
              "redirect_uris": ["https://app.example.com/cb"]}
    return record | overrides


def _grant(grant_id, client_id, *, used_days=1, scopes=("messaging",)):
    return {"id": grant_id, "client_id": client_id, "scopes": list(scopes), "created_at": NOW - timedelta(days=400),
            "last_used_at": None if used_days is None else NOW - timedelta(days=used_days)}


def _result(clients, grants, **thresholds):
    return audit(typed_frame(clients, CLIENT_COLUMNS), typed_frame(grants, GRANT_COLUMNS), now=NOW, **thresholds)


@pytest.fixture(scope="module")
def mixed_html(mixed):
    return render_html(mixed)


@pytest.fixture(scope="module")
def mixed():
    """Alpha: two stale grants (one also over its client's scopes) and a fresh one; Beta: no PKCE, one fresh grant;
    Idle: no grants (a low finding); one grant whose client is gone."""
    clients = [_client("a", "Alpha"), _client("b", "Beta", require_pkce=False), _client("i", "Idle")]
    grants = [_grant("a1", "a", used_days=200), _grant("a2", "a", used_days=300, scopes=("messaging", "voice")),
              _grant("a3", "a"), _grant("b1", "b"), _grant("o1", "gone")]
    return _result(clients, grants)


class _Cells(HTMLParser):
    """Every <td> of the table with ``table_id``: (attributes, text) per cell, row by row."""

    def __init__(self, table_id):
        super().__init__()
        self.table_id, self.inside, self.rows, self._cell = table_id, False, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.inside = attrs.get("id") == self.table_id
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag == "td":
            self._cell = [attrs, ""]

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif tag == "td" and self._cell is not None:
            self.rows[-1].append(tuple(self._cell))
            self._cell = None


def cells(text, table_id):
    parser = _Cells(table_id)
    parser.feed(text)
    return [row for row in parser.rows if row]


# ------------------------------------------------------------------------------------------- per-client roll-up
def test_roll_up_has_one_row_per_client_with_findings_most_severe_first(mixed):
    roll_up = per_client(mixed)
    assert list(roll_up["client"]) == ["Alpha", "(client gone)", "Beta", "Idle"]
    alpha, gone, beta, idle = (row for _, row in roll_up.iterrows())
    assert (alpha["grants"], alpha["flagged_grants"], alpha["worst_severity"]) == (3, 2, "high")
    assert alpha["rules"] == ["grant_scope_exceeds_client", "stale_grant"]
    assert alpha["what_to_do"] == ("Review and revoke 2 flagged grants (grant_scope_exceeds_client: 1, "
                                   "stale_grant: 2) — see Grants to review.")
    # a deleted client's row is keyed by the id its grants still name, and says nothing it cannot know
    assert (gone["client_id"], gone["grants"], gone["flagged_grants"]) == ("gone", 1, 1)
    assert pd.isna(gone["client_type"]) and gone["verified"] is None
    assert gone["what_to_do"].startswith("Review and revoke 1 flagged grant (orphan_grant: 1)")
    assert (beta["flagged_grants"], beta["worst_severity"], beta["client_type"]) == (0, "medium", "confidential")
    assert beta["what_to_do"] == "Set require_pkce to true and send a code_challenge (S256) from the app."
    assert (idle["grants"], idle["worst_severity"], idle["rules"]) == (0, "low", ["client_without_grants"])


def test_roll_up_of_equally_severe_clients_puts_more_flagged_grants_first():
    clients = [_client("a", "Alpha"), _client("z", "Zulu")]
    grants = [_grant("a1", "a", used_days=200), _grant("z1", "z", used_days=200), _grant("z2", "z", used_days=200)]
    assert list(per_client(_result(clients, grants))["client"]) == ["Zulu", "Alpha"]


def test_no_findings_means_an_empty_roll_up_and_review_and_a_nothing_to_do_line():
    result = _result([_client("a", "Alpha")], [_grant("a1", "a")])
    assert per_client(result).empty and grants_to_review(result).empty
    text = render_html(result)
    assert "no findings: nothing to do" in text and "no grant is flagged" in text
    assert "most severe first (1 client has none)." in text


def test_the_roll_up_says_nothing_of_clients_without_findings_when_there_are_none(mixed):
    # every client of `mixed` has a finding: no "(0 clients have none)" clause
    text = render_html(mixed)
    assert "Clients with findings, most severe first. Click" in text and "have none" not in text
    two_clean = _result([_client("a", "Alpha"), _client("b", "Beta")], [_grant("a1", "a"), _grant("b1", "b")])
    assert "most severe first (2 clients have none)." in render_html(two_clean)


# --------------------------------------------------------------------------------------------- grants to review
def test_each_flagged_grant_is_one_row_with_every_rule_and_detail(mixed):
    review = grants_to_review(mixed).set_index("grant_id")
    # riskiest first: a2 stale and over-scoped (30 + 30), o1 orphaned (40), a1 stale (30)
    assert list(review.index) == ["a2", "o1", "a1"]
    assert list(review["risk_score"]) == [60, 40, 30] and list(review["risk_level"]) == ["critical", "high", "medium"]
    a2 = review.loc["a2"]
    assert a2["severity"] == "high" and a2["rules"] == ["grant_scope_exceeds_client", "stale_grant"]
    assert a2["detail"] == ("holds voice, which the client no longer allows; "
                            "last used 300 days ago (threshold 90 days)")
    assert a2["scopes"] == ["messaging", "voice"] and a2["client"] == "Alpha" and a2["client_id"] == "a"
    assert review.loc["o1", "client"] == "(client gone)" and review.loc["o1", "client_id"] == "gone"


# --------------------------------------------------------------------------------------------------- the cells
def test_cells_show_times_to_the_minute_yes_no_and_whole_counts(mixed_html):
    text = mixed_html
    roll_up = cells(text, "clients-roll-up")
    alpha = dict(zip(["client", "client_id", "client_type", "verified", "grants", "flagged", "severity"],
                     roll_up[0]))
    assert alpha["verified"][1] == "yes" and alpha["grants"] == ({"class": "num", "data-sort": "3.0"}, "3")
    assert alpha["severity"] == ({"class": "sev-high", "data-sort": "0"}, "high")
    a2 = next(row for row in cells(text, "grants-table") if row[5][1] == "a2")
    last_used = (NOW - timedelta(days=300)).strftime("%Y-%m-%d %H:%M")
    assert a2[7] == ({"data-sort": pd.Timestamp(NOW - timedelta(days=300)).isoformat()}, last_used)
    assert a2[6] == ({}, "messaging, voice")  # lists as comma-separated text
    assert a2[0] == ({"class": "risk-critical", "data-sort": "3"}, "critical")  # levels sort by urgency


def test_ids_are_whole_on_screen_with_a_copy_button_the_script_reveals():
    result = _result([_client(LONG_ID, "Alpha", require_pkce=False)], [])
    text = render_html(result)
    row = cells(text, "client-findings-table")[0]
    assert row[3] == ({"class": "id", "data-sort": LONG_ID}, LONG_ID)  # the whole id, nothing else as text
    assert row[2] == ({}, "Alpha")  # names are never shortened
    # the button carries the id; it is hidden until the script runs, so without it the id is plain selectable text
    assert (f'<span class="id-text">{LONG_ID}</span><button type="button" class="copy" data-copy="{LONG_ID}" '
            f'aria-label="Copy the id {LONG_ID}" title="Copy to the clipboard" hidden></button>') in text
    assert "navigator.clipboard.writeText(text)" in text and 'document.execCommand("copy")' in text
    assert "button.hidden = false" in text


def test_text_in_attributes_and_headings_is_escaped():
    hostile = 'x" onmouseover="alert(1)'
    result = _result([_client(hostile + "-long-enough", "<b>n</b>", require_pkce=False)], [])
    result.target = "<img src=x onerror=alert(1)>"
    text = render_html(result)
    assert 'onmouseover="alert(1)' not in text and "&#34; onmouseover=&#34;alert(1)" in text
    assert "<img src=x" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "<b>n</b>" not in text and "&lt;b&gt;n&lt;/b&gt;" in text


# ------------------------------------------------------------------------------------ sort, filter and paging
def test_every_table_is_sortable_and_numeric_columns_sort_as_numbers(mixed_html):
    text = mixed_html
    assert text.count('<table id="') == text.count('class="report-table"')
    assert '<th class="sortable num" scope="col">grants</th>' in text
    assert '<th class="sortable" scope="col">client</th>' in text
    assert 'document.querySelectorAll("table.report-table")' in text and 'addEventListener("click", sort)' in text


def test_tables_over_ten_rows_get_a_filter_box_and_long_ones_pages():
    clients = [_client(f"c{i:02d}", f"App {i:02d}", require_pkce=False) for i in range(11)]
    text = render_html(_result(clients, []))
    assert 'data-filter="client-findings-table"' in text and "11 rows" in text
    assert 'data-filter="facts"' not in text  # ten rows or fewer: no filter box
    assert 'data-prev="client-findings-table"' not in text  # under 200 rows: one page
    many = [_client(f"c{i:03d}", f"App {i:03d}", require_pkce=False) for i in range(201)]
    text = render_html(_result(many, []))
    assert '<table id="client-findings-table" class="report-table" data-page-size="100">' in text
    assert 'data-next="client-findings-table"' in text


# ------------------------------------------------------------------------------------ baseline and revoke first
def test_an_admin_only_account_states_the_baseline_once_and_opens_with_whole_grant_ids():
    clients = [_client("a", "Alpha", allowed_scopes=["admin"]), _client("u", "Unvetted", allowed_scopes=["admin"],
                                                                        verified=False)]
    grants = [_grant(LONG_ID, "a", used_days=200, scopes=("admin",)), _grant("fresh", "a", scopes=("admin",)),
              _grant("u1", "u", scopes=("admin",))]
    text = render_html(_result(clients, grants))
    assert text.count("Baseline: all 3 grants hold admin") == 1  # above the sections, not per grant
    assert "admin_scope_grant</td>" not in text.split('id="rules-table"')[0]  # no such finding anywhere
    assert text.index('id="revoke-first"') < text.index('id="summary"') < text.index('id="per-client"')
    first = cells(text, "revoke-first-table")
    assert [row[4][1] for row in first] == [LONG_ID, "u1"]  # the whole id, ready to revoke; low risk left out
    assert first[0][1] == ({"class": "risk-medium", "data-sort": "1"}, "medium")
    assert first[0][5][1] == "last used 200 days ago"
