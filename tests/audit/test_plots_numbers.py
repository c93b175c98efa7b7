"""The plot helpers beyond tests/audit/test_plots.py: where many clients are summed into one "N other clients"
entry, the stacks of findings per severity, the heat map's cells and labels, how big each figure is (it grows
with what it shows), what the axes say, and which matplotlib backend a plot picks. Frames built by hand; no
network, no sandbox."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from frame_helpers import typed_frame

from telnyx_nb.audit import find_issues, plots
from telnyx_nb.frames import CLIENT_COLUMNS, GRANT_COLUMNS

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
BLUE, RED = (0x2C / 255, 0x7F / 255, 0xB8 / 255, 1.0), (0xC0 / 255, 0x39 / 255, 0x2B / 255, 1.0)


def clients(*pairs, **overrides):
    return typed_frame([{"client_id": cid, "name": name, "client_type": "confidential", "allowed_scopes": [],
                         "allowed_grant_types": [], "redirect_uris": [], **overrides} for cid, name in pairs],
                       CLIENT_COLUMNS)


def grants(*rows):
    """rows: (client_id, scopes, days since last use or None)."""
    return typed_frame([{"id": f"g{i}", "client_id": cid, "scopes": list(scopes),
                         "created_at": NOW - timedelta(days=400),
                         "last_used_at": None if used is None else NOW - timedelta(days=used)}
                        for i, (cid, scopes, used) in enumerate(rows)], GRANT_COLUMNS)


def sized(fig):
    return tuple(round(float(x), 3) for x in fig.get_size_inches())


def bars(ax):
    """{tick label: bar width} of a horizontal bar chart, bottom to top."""
    return [(tick.get_text(), patch.get_width()) for tick, patch in zip(ax.get_yticklabels(), ax.patches)]


# --------------------------------------------------------------------------------- grants per client, summed rest
def test_a_client_without_a_name_is_counted_as_unnamed():
    counts = plots.grants_per_client_counts(grants(("a", [], 1)), clients(("a", None), ("b", "Beta")))
    assert counts.to_dict() == {"(unnamed)": 1, "Beta": 0}


def test_clients_with_equal_counts_are_listed_by_name():
    names = [(f"c{i:02d}", f"Client {i:02d}") for i in range(40)]
    counts = plots.grants_per_client_counts(grants(*((cid, [], 1) for cid, _ in names)), clients(*names))
    assert list(counts.index) == sorted(name for _, name in names)


def test_exactly_top_clients_get_a_bar_each_and_one_more_sums_the_rest():
    pairs = [("a", "Alpha"), ("b", "Beta"), ("c", "Gamma")]
    frame = grants(("a", [], 1), ("a", [], 1), ("a", [], 1), ("b", [], 1), ("b", [], 1), ("c", [], 1))
    ax = plots.grants_per_client(frame, clients(*pairs), top=3).axes[0]
    assert bars(ax) == [("Gamma", 1.0), ("Beta", 2.0), ("Alpha", 3.0)]  # largest at the top
    ax = plots.grants_per_client(frame, clients(*pairs, ("d", "Delta")), top=2).axes[0]
    assert bars(ax) == [("2 other clients", 1.0), ("Beta", 2.0), ("Alpha", 3.0)]  # Gamma 1 + Delta 0


def test_the_summed_rest_keeps_the_counts_name():
    counts = pd.Series({"a": 3, "b": 2, "c": 1}, name="grants")
    assert plots._top(counts, 1).to_dict() == {"a": 3, "2 other clients": 3} and plots._top(counts, 1).name == "grants"


def test_the_bar_chart_grows_with_its_bars_and_draws_blue_bars_with_no_y_label():
    few = plots.grants_per_client(grants(("a", [], 1)), clients(("a", "Alpha")))
    assert sized(few) == (7.0, 2.5)
    pairs = [(f"c{i:02d}", f"Client {i:02d}") for i in range(20)]
    many = plots.grants_per_client(grants(("c00", [], 1)), clients(*pairs))
    assert sized(many) == (7.0, 7.0)  # 0.3 inch a bar plus 1
    ax = many.axes[0]
    assert all(p.get_facecolor() == BLUE for p in ax.patches) and ax.get_ylabel() == ""


# -------------------------------------------------------------------------------------------- last-used ages
def test_ages_are_read_from_timestamps_in_any_offset():
    frame = grants(("a", [], None), ("a", [], None))
    frame["last_used_at"] = pd.Series(["2026-05-31T12:00:00Z", "2026-05-30T14:00:00+02:00"], dtype=object)
    assert plots.last_used_age_days(frame, NOW).tolist() == [1.0, 2.0]


def test_the_histogram_has_30_blue_bins_a_red_stale_line_at_90_days_and_its_labels():
    fig = plots.last_used_age_histogram(grants(("a", [], 3), ("a", [], 100), ("a", [], None)), NOW)
    ax = fig.axes[0]
    assert sized(fig) == (7.0, 4.0) and fig.get_layout_engine().__class__.__name__ == "ConstrainedLayoutEngine"
    assert len(ax.patches) == 30 and all(p.get_facecolor() == BLUE for p in ax.patches)
    (line,) = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert line.get_xdata()[0] == 90 and line.get_color() == "#c0392b"
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["grants", "stale after 90 days", "never used: 1"]
    assert legend._loc == 1  # upper right
    never = legend.legend_handles[2]
    assert never.get_linestyle() == "None" and never.get_marker() in ("None", "", None)  # a label, no sample
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("days since last use", "grants",
                                                                  "Last-used age of grants")


def test_a_histogram_of_never_used_grants_only_still_has_its_line_and_count():
    ax = plots.last_used_age_histogram(grants(("a", [], None)), NOW, stale_days=30).axes[0]
    assert ax.patches == [] or len(ax.patches) == 0
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["stale after 30 days", "never used: 1"]


# ----------------------------------------------------------------------------------------- scope × client
def test_scope_matrix_rows_are_named_client_also_when_empty_and_for_deleted_clients():
    empty = plots.scope_client_matrix(grants(("a", [], 1)), clients(("a", "Alpha")))
    assert empty.empty and empty.index.name == "client"
    matrix = plots.scope_client_matrix(grants(("a", ["voice"], 1), ("gone", ["voice", "sms"], 1)),
                                       clients(("a", "Alpha")))
    assert matrix.index.name == "client" and matrix.to_dict("index") == {
        "(client gone)": {"sms": 1, "voice": 1}, "Alpha": {"sms": 0, "voice": 1}}


def _heat(frame, pairs, **kw):
    fig = plots.scope_client_matrix_plot(frame, clients(*pairs), **kw)
    return fig, fig.axes[0]


def test_the_heat_map_keeps_the_top_clients_by_grants_and_sums_the_rest():
    pairs = [("a", "Alpha"), ("b", "Beta"), ("c", "Gamma")]
    frame = grants(("a", ["x"], 1), ("a", ["x"], 1), ("a", ["y"], 1), ("b", ["x"], 1), ("b", ["y"], 1),
                   ("c", ["y"], 1))
    _, ax = _heat(frame, pairs, top=3)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Alpha", "Beta", "Gamma"]
    _, ax = _heat(frame, pairs + [("d", "Delta")], top=2)  # Delta holds no grant: not a row of the matrix
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Alpha", "Beta", "1 other clients"]
    assert ax.images[0].get_array().tolist() == [[2, 1], [1, 1], [0, 1]]


def test_the_heat_map_grows_with_its_scopes_and_clients():
    fig, _ = _heat(grants(("a", ["x"], 1)), [("a", "Alpha")])
    assert sized(fig) == (5.0, 2.5)
    pairs = [(f"c{i}", f"Client {i}") for i in range(6)]
    fig, _ = _heat(grants(*((cid, ["s1", "s2", "s3", "s4", "s5"], 1) for cid, _ in pairs)), pairs)
    assert sized(fig) == (7.0, 3.6)  # 0.8 inch a scope plus 3; 0.35 inch a client plus 1.5


def test_heat_map_cells_say_their_count_in_white_on_dark_cells_only():
    pairs = [("a", "Alpha"), ("b", "Beta"), ("c", "Gamma"), ("d", "Delta")]
    rows = [("a", ["x"], 1)] * 4 + [("b", ["x"], 1)] * 3 + [("c", ["x"], 1)] * 2 + [("d", ["x"], 1)]
    fig, ax = _heat(grants(*rows), pairs)  # rows by name: Alpha, Beta, Delta, Gamma
    labels = {t.get_text(): t for t in ax.texts}
    assert {k: t.get_color() for k, t in labels.items()} == {"4": "white", "3": "white", "2": "black", "1": "black"}
    assert {k: t.get_position() for k, t in labels.items()} == {"4": (0, 0), "3": (0, 1), "1": (0, 2), "2": (0, 3)}
    assert all(t.get_fontsize() == 8 and t.get_ha() == "center" and t.get_va() == "center" for t in ax.texts)
    image = ax.images[0]
    assert image.get_cmap().name == "Blues" and ax.get_aspect() == "auto" and image.get_clim() == (1.0, 4.0)
    assert ax.get_title() == "Grants holding each scope, per client"
    (bar,) = [a for a in fig.axes if a is not ax]
    assert bar.get_ylabel() == "grants" and fig.axes[0] is ax  # the colour bar sits beside the map, labelled


def test_heat_map_scope_names_are_slanted_and_right_aligned():
    _, ax = _heat(grants(("a", ["messaging", "voice"], 1)), [("a", "Alpha")])
    ticks = ax.get_xticklabels()
    assert [t.get_text() for t in ticks] == ["messaging", "voice"]
    assert all(t.get_rotation() == 45 and t.get_ha() == "right" for t in ticks)


def test_heat_map_labels_up_to_400_cells():
    scopes = [f"s{j:02d}" for j in range(20)]
    pairs = [(f"c{i:02d}", f"Client {i:02d}") for i in range(21)]
    _, ax = _heat(grants(*((cid, scopes, 1) for cid, _ in pairs[:20])), pairs[:20])
    assert len(ax.texts) == 400
    _, ax = _heat(grants(*((cid, scopes, 1) for cid, _ in pairs)), pairs)
    assert len(ax.texts) == 0  # 420 cells: too many to read


def test_an_empty_figure_says_why_in_its_middle():
    ax = plots.scope_client_matrix_plot(grants(), clients(("a", "Alpha"))).axes[0]
    (text,) = ax.texts
    assert text.get_position() == (0.5, 0.5) and text.get_transform() == ax.transAxes
    assert (text.get_ha(), text.get_va(), ax.axison) == ("center", "center", False)


# ----------------------------------------------------------------------------------------------- findings
@pytest.fixture(scope="module")
def findings():
    c = clients(("pub", "Public"), ("open", "Open"), ("idle", "Idle"), client_type="public", require_pkce=False,
                allowed_grant_types=["authorization_code", "client_credentials"])
    g = grants(("pub", ["admin"], 200), ("open", [], 1), ("gone", [], 1))
    return find_issues(c, g, now=NOW)


def test_findings_stack_high_medium_low_in_their_colours(findings):
    ax = plots.findings_by_severity(findings).axes[0]
    assert [c.get_label() for c in ax.containers] == ["high", "medium", "low"]
    colours = {"high": RED, "medium": (0xE6 / 255, 0x7E / 255, 0x22 / 255, 1.0),
               "low": (0x7F / 255, 0x8C / 255, 0x8D / 255, 1.0)}
    for container in ax.containers:
        assert all(p.get_facecolor() == colours[container.get_label()] for p in container.patches)


def test_findings_per_severity_are_stacked_per_rule_fewest_first(findings):
    ax = plots.findings_by_severity(findings).axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    table = pd.crosstab(findings["rule"].astype(str), findings["severity"].astype(str))
    totals = [int(table.loc[r].sum()) for r in labels]
    assert totals == sorted(totals)
    for i, rule in enumerate(labels):
        left = 0.0
        for container in ax.containers:  # each severity's bar starts where the one before ended
            patch = container.patches[i]
            assert patch.get_x() == left
            assert patch.get_width() == table.loc[rule].get(container.get_label(), 0)
            left += patch.get_width()


def test_findings_figure_names_its_axes_and_legend(findings):
    ax = plots.findings_by_severity(findings).axes[0]
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "severity" and legend._loc == 4  # lower right
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("findings", "")


# -------------------------------------------------------------------------------------------------- to_png
def _png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return struct.unpack(">II", data[16:24])


def test_png_is_rendered_at_100_dpi_unless_asked():
    fig = plots.findings_by_severity(find_issues(clients(), grants(), now=NOW))
    assert _png_size(plots.to_png(fig)) == (700, 400)
    assert _png_size(plots.to_png(fig, dpi=50)) == (350, 200)


# ------------------------------------------------------------------------------------------------- backend
_PROBE = """
import sys, types
if {kernel!r} == "yes":
    sys.modules["ipykernel"] = types.ModuleType("ipykernel")  # as inside a notebook kernel
import matplotlib
from telnyx_nb.audit import plots
plots._figure()
print(str(matplotlib.rcParams._get_backend_or_none()).lower(), "matplotlib.pyplot" in sys.modules)
"""


def _backend(kernel="no", **env):
    plots._figure()  # in this process too, so mutmut counts these tests among _figure's (the probe runs in a child)
    environ = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "DISPLAY")} | env
    done = subprocess.run([sys.executable, "-c", _PROBE.format(kernel=kernel)], env=environ, capture_output=True,
                          text=True, timeout=120, check=True)
    return done.stdout.split()


def test_headless_plots_use_agg_and_a_chosen_backend_or_a_display_is_respected():
    assert _backend() == ["agg", "False"]
    assert _backend(MPLBACKEND="svg") == ["svg", "False"]
    assert _backend(DISPLAY=":99") == ["none", "False"]  # left for matplotlib to pick for that display


def test_inside_a_kernel_plots_load_pyplot_for_the_inline_display():
    assert _backend(kernel="yes")[1] == "True"
