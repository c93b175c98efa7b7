"""The plot helpers' numbers: every client is counted (with 0 when it holds no grant), the counts add up to the
grants, and what the figures draw is those counts. Frames built by hand and from the demo dataset; no network."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from frame_helpers import typed_frame

from telnyx_nb.audit import find_issues, plots
from telnyx_nb.frames import CLIENT_COLUMNS, GRANT_COLUMNS
from telnyx_nb.sandbox.store.demo import demo_dataset

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def clients(*pairs):
    return typed_frame([{"client_id": cid, "name": name, "client_type": "confidential", "allowed_scopes": [],
                    "allowed_grant_types": [], "redirect_uris": []} for cid, name in pairs], CLIENT_COLUMNS)


def grants(*rows):
    return typed_frame([{"id": f"g{i}", "client_id": cid, "scopes": list(scopes), "created_at": NOW - timedelta(days=50),
                    "last_used_at": None if used is None else NOW - timedelta(days=used)}
                   for i, (cid, scopes, used) in enumerate(rows)], GRANT_COLUMNS)


@pytest.fixture(scope="module")
def demo():
    c, g = demo_dataset(NOW)
    return typed_frame(c, CLIENT_COLUMNS), typed_frame(g, GRANT_COLUMNS)


# ------------------------------------------------------------------------------------------ grants per client
def test_clients_with_zero_grants_stay_in_the_grants_per_client_counts():
    counts = plots.grants_per_client_counts(grants(("a", ["x"], 1), ("a", ["x"], 2), ("b", ["x"], 3)),
                                            clients(("a", "Alpha"), ("b", "Beta"), ("c", "Idle")))
    assert counts.to_dict() == {"Alpha": 2, "Beta": 1, "Idle": 0}
    assert list(counts.index) == ["Alpha", "Beta", "Idle"]  # largest first
    assert counts.name == "grants"


def test_grants_of_deleted_clients_count_under_client_gone():
    counts = plots.grants_per_client_counts(grants(("gone", ["x"], 1), ("a", ["x"], 1)), clients(("a", "Alpha")))
    assert counts.to_dict() == {"(client gone)": 1, "Alpha": 1}


def test_two_clients_sharing_a_name_are_counted_apart():
    counts = plots.grants_per_client_counts(grants(("aaaaaaaa-1", ["x"], 1)),
                                            clients(("aaaaaaaa-1", "Same"), ("bbbbbbbb-2", "Same")))
    assert counts.to_dict() == {"Same [aaaaaaaa]": 1, "Same [bbbbbbbb]": 0}


def test_an_account_with_no_grants_lists_every_client_at_zero():
    counts = plots.grants_per_client_counts(grants(), clients(("a", "Alpha"), ("b", "Beta")))
    assert counts.to_dict() == {"Alpha": 0, "Beta": 0}


def test_demo_counts_match_the_grants_and_keep_every_client(demo):
    client_frame, grant_frame = demo
    counts = plots.grants_per_client_counts(grant_frame, client_frame)
    assert int(counts.sum()) == len(grant_frame)
    orphans = int((~grant_frame["client_id"].isin(client_frame["client_id"])).any())
    assert len(counts) == len(client_frame) + orphans  # one entry per client, duplicates of a name included
    unique = client_frame[~client_frame["name"].duplicated(keep=False)]
    names = dict(zip(unique["client_id"], unique["name"]))
    idle = set(unique["client_id"]) - set(grant_frame["client_id"])
    assert idle and all(counts[names[cid]] == 0 for cid in idle)  # the demo client holds none: still there
    for cid, name in names.items():
        assert counts[name] == int((grant_frame["client_id"] == cid).sum())


def test_the_bar_chart_draws_one_bar_per_client_with_its_count(demo):
    client_frame, grant_frame = demo
    counts = plots.grants_per_client_counts(grant_frame, client_frame)
    ax = plots.grants_per_client(grant_frame, client_frame).axes[0]
    drawn = {tick.get_text(): patch.get_width() for tick, patch in zip(ax.get_yticklabels(), ax.patches)}
    assert drawn == {name: float(n) for name, n in counts.items()}
    assert ax.get_title() == "Grants per client" and ax.get_xlabel() == "grants"


# -------------------------------------------------------------------------------------------- last-used ages
def test_last_used_age_days_is_days_since_last_use_and_nan_when_never_used():
    ages = plots.last_used_age_days(grants(("a", [], 3), ("a", [], None), ("a", [], 0)), NOW)
    assert ages.iloc[0] == pytest.approx(3.0) and pd.isna(ages.iloc[1]) and ages.iloc[2] == 0.0
    assert ages.name == "last_used_age_days"


def test_histogram_counts_the_used_grants_and_names_the_never_used_count():
    frame = grants(("a", [], 3), ("a", [], 100), ("a", [], None), ("a", [], None), ("a", [], None))
    ax = plots.last_used_age_histogram(frame, NOW, stale_days=45).axes[0]
    assert sum(p.get_height() for p in ax.patches) == 2
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "never used: 3" in labels and "stale after 45 days" in labels
    assert [line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() == "--"] == [45]


# ----------------------------------------------------------------------------------------- scope × client
def test_scope_client_matrix_counts_grants_holding_each_scope():
    frame = grants(("a", ["messaging", "voice"], 1), ("a", ["messaging"], 1), ("b", ["voice"], 1), ("b", [], 1))
    matrix = plots.scope_client_matrix(frame, clients(("a", "Alpha"), ("b", "Beta")))
    assert matrix.loc["Alpha"].to_dict() == {"messaging": 2, "voice": 1}
    assert matrix.loc["Beta"].to_dict() == {"messaging": 0, "voice": 1}
    assert int(matrix.to_numpy().sum()) == 4 and matrix.columns.name == "scope"


def test_scope_client_matrix_of_no_grants_is_empty_and_its_plot_says_so():
    assert plots.scope_client_matrix(grants(), clients(("a", "Alpha"))).empty
    ax = plots.scope_client_matrix_plot(grants(), clients(("a", "Alpha"))).axes[0]
    assert [t.get_text() for t in ax.texts] == ["no grants"]


def test_scope_matrix_plot_labels_every_nonzero_cell_with_its_count():
    frame = grants(("a", ["messaging", "voice"], 1), ("a", ["messaging"], 1), ("b", ["voice"], 1))
    ax = plots.scope_client_matrix_plot(frame, clients(("a", "Alpha"), ("b", "Beta"))).axes[0]
    assert sorted(t.get_text() for t in ax.texts) == ["1", "1", "2"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Alpha", "Beta"]


# ----------------------------------------------------------------------------------------------- findings
def test_findings_by_severity_draws_each_rules_count(demo):
    client_frame, grant_frame = demo
    findings = find_issues(client_frame, grant_frame, now=NOW + timedelta(hours=6))
    ax = plots.findings_by_severity(findings).axes[0]
    per_rule: dict[str, float] = {}
    labels = [t.get_text() for t in ax.get_yticklabels()]
    for container in ax.containers:
        for label, patch in zip(labels, container.patches):
            per_rule[label] = per_rule.get(label, 0) + patch.get_width()
    assert per_rule == {r: float(n) for r, n in findings["rule"].astype(str).value_counts().items()}


def test_no_findings_is_a_labelled_blank_figure():
    from telnyx_nb.audit.rules import empty_findings

    ax = plots.findings_by_severity(empty_findings()).axes[0]
    assert [t.get_text() for t in ax.texts] == ["no findings"] and ax.get_title() == "Findings per rule, by severity"


def test_to_png_renders_a_png():
    assert plots.to_png(plots.findings_by_severity(find_issues(clients(), grants(), now=NOW))).startswith(b"\x89PNG")
