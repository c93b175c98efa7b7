"""Summaries and plots of an audit: pandas does the counting, matplotlib draws.

Each plot function returns a ``matplotlib.figure.Figure`` built without pyplot's global figure list, so a report
can render hundreds without leaking memory and a notebook shows the figure once (as the cell's value).
matplotlib is imported on first use; with no display and no notebook kernel it uses the Agg backend.
"""

from __future__ import annotations

import io
import os
import sys
from datetime import datetime
from typing import Any

import pandas as pd

from telnyx_nb.audit.registry import SEVERITIES
from telnyx_nb.audit.scope_sets import scope_sets

__all__ = [
    "findings_by_severity",
    "grants_per_client",
    "last_used_age_days",
    "last_used_age_histogram",
    "scope_client_matrix",
    "scope_client_matrix_plot",
    "to_png",
]

_SEVERITY_COLOURS = {"high": "#c0392b", "medium": "#e67e22", "low": "#7f8c8d"}
# Plots count first and draw the counts: at most this many clients get their own bar or row (the rest are
# summed into one "other clients" entry), so a figure of a million grants has as many artists as one of ten.
TOP_CLIENTS = 25
# heat-map cells are labelled with their counts only up to this many cells
_LABELLED_CELLS = 400


def _figure(width: float = 7.0, height: float = 4.0):
    """A new Figure (lazy matplotlib import; Agg when headless, inline formatter inside a kernel)."""
    import matplotlib

    in_kernel = "ipykernel" in sys.modules
    if not in_kernel and not os.environ.get("MPLBACKEND") and not os.environ.get("DISPLAY"):
        matplotlib.use("Agg")
    if in_kernel:
        import matplotlib.pyplot  # noqa: F401  activates the inline backend, which registers Figure's PNG repr
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _names(clients: pd.DataFrame) -> pd.Series:
    """client_id → a display name that stays unique when two clients share one name."""
    names = clients.set_index(clients["client_id"].astype(str))["name"].astype("string").fillna("(unnamed)")
    dup = names.duplicated(keep=False)
    names[dup] = names[dup] + " [" + names.index[dup].str[:8] + "]"
    return names


def grants_per_client_counts(grants: pd.DataFrame, clients: pd.DataFrame) -> pd.Series:
    """Number of grants per client name (clients with none count 0; grants of deleted clients under
    "(client gone)"), largest first."""
    names = _names(clients)
    counts = grants["client_id"].astype(str).map(names).fillna("(client gone)").value_counts()
    counts = counts.reindex(counts.index.union(pd.Index(names.values)), fill_value=0)
    return counts.sort_values(ascending=False, kind="stable").rename("grants")


def _top(counts: pd.Series, top: int) -> pd.Series:
    """The ``top`` largest entries, plus one summing the rest (when there is a rest)."""
    if len(counts) <= top:
        return counts
    rest = counts.iloc[top:]
    return pd.concat([counts.iloc[:top], pd.Series({f"{len(rest)} other clients": rest.sum()})]).rename(counts.name)


def grants_per_client(grants: pd.DataFrame, clients: pd.DataFrame, top: int = TOP_CLIENTS):
    """Horizontal bar chart: how many grants each client holds (the ``top`` largest, the rest summed)."""
    counts = _top(grants_per_client_counts(grants, clients), top).iloc[::-1]
    fig = _figure(7.0, max(2.5, 0.3 * len(counts) + 1))
    ax = fig.add_subplot()
    counts.plot.barh(ax=ax, color="#2c7fb8")
    ax.set_xlabel("grants")
    ax.set_ylabel("")
    ax.set_title("Grants per client")
    return fig


def last_used_age_days(grants: pd.DataFrame, now: datetime | pd.Timestamp) -> pd.Series:
    """Days since each grant was last used (NaN for never-used grants)."""
    last = pd.to_datetime(grants["last_used_at"], utc=True)
    return ((pd.Timestamp(now).tz_convert("UTC") - last) / pd.Timedelta(days=1)).rename("last_used_age_days")


def last_used_age_histogram(grants: pd.DataFrame, now: datetime | pd.Timestamp, stale_days: int = 90):
    """Histogram of days since last use, with the stale threshold drawn as a line; never-used grants are
    counted in the legend (they have no age to plot)."""
    ages = last_used_age_days(grants, now)
    fig = _figure()
    ax = fig.add_subplot()
    used = ages.dropna()
    if len(used):
        used.plot.hist(ax=ax, bins=30, color="#2c7fb8", label="grants")
    ax.axvline(stale_days, color="#c0392b", linestyle="--", label=f"stale after {stale_days} days")
    never = int(ages.isna().sum())
    ax.plot([], [], " ", label=f"never used: {never}")
    ax.set_xlabel("days since last use")
    ax.set_ylabel("grants")
    ax.set_title("Last-used age of grants")
    ax.legend(loc="upper right")
    return fig


def scope_client_matrix(grants: pd.DataFrame, clients: pd.DataFrame) -> pd.DataFrame:
    """Clients × scopes: how many grants of each client hold each scope.

    Counted per distinct (client, scope set) first, then spread over the scopes of each set: no per-grant
    explode, so a million grants cost what their few thousand distinct pairs do."""
    names = _names(clients)
    set_codes, sets = scope_sets(grants)
    pairs = pd.DataFrame({"client_id": grants["client_id"].astype("string").to_numpy(), "set": set_codes})
    pairs = pairs.value_counts().rename("n").reset_index()
    pairs["scope"] = [list(sets[code]) for code in pairs["set"]]
    rows = pairs.explode("scope").dropna(subset=["scope"])
    if rows.empty:
        return pd.DataFrame(index=pd.Index([], name="client"))
    rows["client"] = rows["client_id"].astype(str).map(names).fillna("(client gone)")
    matrix = rows.pivot_table(index="client", columns="scope", values="n", aggfunc="sum", fill_value=0)
    matrix = matrix.astype("int64")
    matrix.index.name = "client"
    matrix.columns.name = "scope"
    return matrix


def _say_empty(fig, ax, message: str):
    """An empty account still gets its figure (the report keeps every section), saying why it is blank."""
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
    return fig


def scope_client_matrix_plot(grants: pd.DataFrame, clients: pd.DataFrame, top: int = TOP_CLIENTS):
    """Heat map of :func:`scope_client_matrix` for the ``top`` clients by grants (the rest summed into one row),
    each cell labelled with its count while the map is small enough to read."""
    matrix = scope_client_matrix(grants, clients)
    if len(matrix) > top:
        order = grants_per_client_counts(grants, clients)
        keep = [name for name in order.index if name in matrix.index][:top]
        rest = matrix.drop(index=keep)
        matrix = pd.concat([matrix.loc[keep], rest.sum().to_frame(f"{len(rest)} other clients").T])
    fig = _figure(max(5.0, 0.8 * len(matrix.columns) + 3), max(2.5, 0.35 * len(matrix) + 1.5))
    ax = fig.add_subplot()
    ax.set_title("Grants holding each scope, per client")
    if matrix.empty:
        return _say_empty(fig, ax, "no grants")
    image = ax.imshow(matrix.to_numpy(), cmap="Blues", aspect="auto")
    ax.set_xticks(range(len(matrix.columns)), labels=list(matrix.columns), rotation=45, ha="right")
    ax.set_yticks(range(len(matrix.index)), labels=list(matrix.index))
    peak = matrix.to_numpy().max() or 1
    cells = pd.DataFrame(matrix.to_numpy()).stack() if matrix.size <= _LABELLED_CELLS else pd.Series(dtype=int)
    for (i, j), value in cells.items():
        if value:
            ax.text(j, i, str(value), ha="center", va="center", fontsize=8,
                    color="white" if value > peak / 2 else "black")
    fig.colorbar(image, ax=ax, label="grants")
    return fig


def findings_by_severity(findings: pd.DataFrame):
    """Stacked bars: findings per rule, coloured by severity."""
    fig = _figure()
    ax = fig.add_subplot()
    ax.set_title("Findings per rule, by severity")
    if findings.empty:
        return _say_empty(fig, ax, "no findings")
    table = pd.crosstab(findings["rule"].astype(str), findings["severity"].astype(str))
    table = table.reindex(columns=[s for s in SEVERITIES if s in table.columns])
    table = table.loc[table.sum(axis=1).sort_values(kind="stable").index]
    table.plot.barh(ax=ax, stacked=True, color=[_SEVERITY_COLOURS[s] for s in table.columns])
    ax.legend(title="severity", loc="lower right")
    ax.set_xlabel("findings")
    ax.set_ylabel("")
    return fig


def to_png(fig: Any, dpi: int = 100) -> bytes:
    """Render a Figure to PNG bytes (for the HTML report)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
