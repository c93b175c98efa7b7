"""Snapshots of an account as Parquet, and what changed between two of them.

    from telnyx_nb.audit import diff, history, load_snapshot, snapshot
    snapshot(api, "snapshots")          # snapshots/{clients,grants}/date=YYYY-MM-DD/snapshot-<UTC stamp>.parquet
    diff("snapshots")                   # the last two snapshots in the directory: one row per change
    diff(load_snapshot("snapshots"), api)   # the latest snapshot against the account as it is now
    history("snapshots").sql("SELECT date, count(*) FROM grants GROUP BY date ORDER BY date")   # DuckDB

Layout: one directory per table, Hive-style ``date=YYYY-MM-DD`` partitions (the day the snapshot was taken,
UTC), one file per snapshot named by its UTC time stamp, every row carrying ``snapshot_at``. DuckDB, Spark and
Trino read the layout as it is (``hive_partitioning``); the columns are the frames' own (ARCHITECTURE.md
"DataFrames"), lists as Parquet lists. The list endpoints show only live grants, so a grant missing from the
newer snapshot was revoked (or its client deleted) in between. Needs pyarrow (the ``parquet`` extra); the
history queries need duckdb (the ``history`` extra), imported only when used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from telnyx_nb.audit.fleet_diff import fleet_diff
from telnyx_nb.audit.fleet_snapshots import fleet_history, write_fleet_snapshot
from telnyx_nb.audit.snapshot_format import CHANGES, CLIENT_FIELDS_COMPARED, DIFF_COLUMNS, TABLES
from telnyx_nb.audit.snapshot_format import STAMP as _STAMP
from telnyx_nb.audit.snapshot_format import arrow as _arrow
from telnyx_nb.audit.snapshot_format import arrow_table as _table
from telnyx_nb.audit.snapshot_format import utc_moment as _taken_at
from telnyx_nb.core.errors import ArgumentTypeError, ConfigurationError
from telnyx_nb.frames import CLIENT_COLUMNS, DTYPES, GRANT_COLUMNS, LIST

__all__ = ["CHANGES", "CLIENT_FIELDS_COMPARED", "DIFF_COLUMNS", "Snapshot", "diff", "fleet_diff", "fleet_history",
           "history", "list_snapshots", "load_snapshot", "snapshot", "write_fleet_snapshot"]

_FILE = re.compile(r"^snapshot-(\d{8}T\d{12}Z)\.parquet$")
# fleet_diff, fleet_history and write_fleet_snapshot: a fleet's snapshots, partitioned by account_id and date as
# well (fleet_snapshots.py, fleet_diff.py), named here beside the single account's


@dataclass
class Snapshot:
    """One snapshot: the clients and grants frames, when it was taken, and the files holding it (if any)."""

    clients: pd.DataFrame
    grants: pd.DataFrame
    taken_at: pd.Timestamp
    paths: dict[str, Path] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (f"Snapshot(taken_at={self.taken_at.isoformat()}, clients={len(self.clients)}, "
                f"grants={len(self.grants)})")


def snapshot(api: Any, directory: str | Path, *, at: datetime | None = None) -> Snapshot:
    """Write the account's clients and grants under ``directory`` (created if needed); returns the Snapshot.

    ``api`` is a ``TelnyxOAuth`` (its ``clients_df()`` and ``grants_df(with_clients=False)``) or anything with
    ``.clients`` and ``.grants`` frames (an ``AuditResult``). ``at`` (tz-aware) overrides the time stamp."""
    _, pq = _arrow()
    clients, grants = _frames(api, "api")
    taken_at = _taken_at(at)
    root = Path(directory)
    paths = {}
    for table, frame in (("clients", clients), ("grants", grants)):
        partition = root / table / f"date={taken_at:%Y-%m-%d}"
        partition.mkdir(parents=True, exist_ok=True)
        path = partition / f"snapshot-{taken_at.strftime(_STAMP)}.parquet"
        pq.write_table(_table(frame, TABLES[table], taken_at), path)
        paths[table] = path
    return Snapshot(clients[list(CLIENT_COLUMNS)], grants[list(GRANT_COLUMNS)], taken_at, paths)


def list_snapshots(directory: str | Path) -> list[pd.Timestamp]:
    """When each complete snapshot under ``directory`` was taken (both tables written), oldest first."""
    stamps: dict[str, set] = {}
    for table in TABLES:
        for path in Path(directory).glob(f"{table}/date=*/snapshot-*.parquet"):
            match = _FILE.match(path.name)
            if match:
                stamps.setdefault(match.group(1), set()).add(table)
    return [pd.Timestamp(datetime.strptime(s, _STAMP).replace(tzinfo=UTC))
            for s in sorted(s for s, tables in stamps.items() if tables == set(TABLES))]


def load_snapshot(directory: str | Path, which: int | datetime | str = -1) -> Snapshot:
    """Read one snapshot back as frames with the live frames' dtypes. ``which``: a position in
    :func:`list_snapshots` (-1 the latest, -2 the one before) or the time a snapshot was taken."""
    _, pq = _arrow()
    taken = list_snapshots(directory)
    if not taken:
        raise FileNotFoundError(f"{directory}: no snapshots here; write one with telnyx-nb snapshot --out "
                                f"{directory}")
    if isinstance(which, int) and not isinstance(which, bool):
        try:
            moment = taken[which]
        except IndexError:
            raise IndexError(f"{directory} holds {len(taken)} snapshot(s); which={which} is out of range") from None
    else:
        moment = pd.Timestamp(which)
        moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
        if moment not in taken:
            raise KeyError(f"{directory}: no snapshot taken at {moment.isoformat()}; taken: "
                           + ", ".join(t.isoformat() for t in taken))
    frames, paths = {}, {}
    for table, columns in TABLES.items():
        path = Path(directory) / table / f"date={moment:%Y-%m-%d}" / f"snapshot-{moment.strftime(_STAMP)}.parquet"
        frames[table] = _restore(pq.read_table(path), columns)
        paths[table] = path
    return Snapshot(frames["clients"], frames["grants"], moment, paths)


def _shared_lists(column) -> pd.Series:
    """An Arrow list<string> column → Python lists, one shared list per distinct value (as ``grants_df()``
    builds them): joined and factorised in Arrow, so a million rows cost what their few distinct sets do."""
    import numpy as np
    import pyarrow.compute as pc

    joined = pc.binary_join(column, "\x1f").to_pandas()
    codes, uniques = pd.factorize(joined)  # a null list gets -1
    lists = np.empty(len(uniques) + 1, dtype=object)
    for i, text in enumerate(uniques):
        lists[i] = text.split("\x1f") if text else []
    lists[-1] = []
    return pd.Series(lists[codes], dtype=object)


def _restore(table, columns) -> pd.DataFrame:
    """Parquet columns → the frames' dtypes (lists back to Python lists, strings to ``string``, …)."""
    lists = [name for name in columns if DTYPES[name] is LIST and name in table.column_names]
    frame = table.drop_columns(lists).to_pandas()
    out = {}
    for name in columns:
        dtype = DTYPES[name]
        column = frame[name] if name in frame else pd.Series([None] * len(frame), dtype=object)
        if name in lists:
            out[name] = _shared_lists(table.column(name))
        elif dtype is LIST:
            out[name] = pd.Series([[] for _ in range(len(frame))], dtype=object)
        elif isinstance(dtype, pd.DatetimeTZDtype):
            out[name] = pd.to_datetime(column, utc=True).astype(dtype)
        else:
            out[name] = pd.Series(column.to_numpy(dtype=object), dtype=dtype)
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


# ------------------------------------------------------------------------------------------------- diff

def _frames(source: Any, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(clients, grants) from a Snapshot / AuditResult, a (clients, grants) pair, a dict, or a live API."""
    if isinstance(source, (tuple, list)) and len(source) == 2:
        return source[0], source[1]
    if isinstance(source, dict):
        return source["clients"], source["grants"]
    if hasattr(source, "clients_df") and hasattr(source, "grants_df"):
        return source.clients_df(progress=False), source.grants_df(with_clients=False, progress=False)
    if isinstance(getattr(source, "clients", None), pd.DataFrame) and isinstance(getattr(source, "grants", None),
                                                                                 pd.DataFrame):
        return source.clients, source.grants
    raise ArgumentTypeError(f"{name}: pass a snapshot directory, a Snapshot, an AuditResult, a (clients_df, "
                            f"grants_df) pair or a TelnyxOAuth, not {type(source).__name__}")


def _side(source: Any, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    if isinstance(source, (str, Path)):
        snap = load_snapshot(source)
        return snap.clients, snap.grants
    return _frames(source, name)


def _text(value: Any) -> str | None:
    """A cell as the diff's before/after text: lists space-separated (sorted), NA as None."""
    import numpy as np

    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        return " ".join(sorted(str(v) for v in list(value)))
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    return str(value)


def diff(old: Any, new: Any = None) -> pd.DataFrame:
    """What changed from ``old`` to ``new``: grants added, revoked, widened or narrowed in scope; clients
    created, deleted or changed (one row per changed field, e.g. redirect_uris, allowed_scopes, require_pkce).

    Each side is a snapshot directory (its latest snapshot), a :class:`Snapshot`, an ``AuditResult``, a
    ``(clients_df, grants_df)`` pair or a live ``TelnyxOAuth``. ``diff(directory)`` alone compares the last two
    snapshots in it. Columns: ``DIFF_COLUMNS``; ``before``/``after`` are text (lists space-separated)."""
    if new is None:
        if not isinstance(old, (str, Path)):
            raise ArgumentTypeError("new: pass both sides, diff(old, new), or make old a snapshot directory "
                                    "holding two snapshots")
        taken = list_snapshots(old)
        if len(taken) < 2:
            raise ConfigurationError(f"{old} holds {len(taken)} snapshot(s); diff(directory) needs two — take another "
                             f"with telnyx-nb snapshot --out {old}, or pass the other side: diff(directory, api)")
        old, new = load_snapshot(old, -2), load_snapshot(old, -1)
    old_clients, old_grants = _side(old, "old")
    new_clients, new_grants = _side(new, "new")
    names = pd.concat([old_clients[["client_id", "name"]], new_clients[["client_id", "name"]]]) \
        .drop_duplicates("client_id", keep="last").set_index("client_id")["name"].astype("string")
    parts = [_grant_changes(old_grants, new_grants), _client_changes(old_clients, new_clients)]
    rows = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else \
        pd.DataFrame({c: [] for c in DIFF_COLUMNS})
    rows["client_name"] = rows["client_id"].astype("string").map(names) if len(rows) else []
    out = pd.DataFrame({
        "change": pd.Categorical(rows["change"], categories=CHANGES, ordered=True),
        "object_type": pd.Categorical(rows["object_type"], categories=["client", "grant"]),
        **{c: rows[c].astype("string") for c in DIFF_COLUMNS[2:]},
    })
    return out.sort_values(["change", "client_name", "object_id", "field"], kind="stable",
                           na_position="last").reset_index(drop=True)


def _scope_column(grants: pd.DataFrame):
    """Each grant's scopes as a frozenset (one object per distinct set; see audit.scope_sets)."""
    import numpy as np

    from telnyx_nb.audit.scope_sets import scope_sets

    codes, sets = scope_sets(grants)
    return np.array([frozenset(s) for s in sets] + [frozenset()], dtype=object)[codes] if len(grants) else \
        np.array([], dtype=object)


def _grant_changes(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    import numpy as np

    a = pd.DataFrame({"id": old["id"].astype("string"), "client_id": old["client_id"].astype("string"),
                      "scopes": _scope_column(old)})
    b = pd.DataFrame({"id": new["id"].astype("string"), "client_id": new["client_id"].astype("string"),
                      "scopes": _scope_column(new)})
    both = a.merge(b, on="id", how="outer", suffixes=("_old", "_new"), indicator=True)
    added = both[both["_merge"] == "right_only"]
    revoked = both[both["_merge"] == "left_only"]
    kept = both[both["_merge"] == "both"]
    before, after = kept["scopes_old"].to_numpy(), kept["scopes_new"].to_numpy()
    moved = before != after
    kept, before, after = kept[moved], before[moved], after[moved]
    wider = np.array([b > a_ for a_, b in zip(before, after)], dtype=bool)
    narrower = np.array([b < a_ for a_, b in zip(before, after)], dtype=bool)
    change = np.where(wider, "scopes widened", np.where(narrower, "scopes narrowed", "scopes changed"))

    def joined(values) -> list[str]:
        return [" ".join(sorted(v)) for v in values]

    return pd.concat([
        pd.DataFrame({"change": "grant added", "object_type": "grant", "object_id": added["id"],
                      "client_id": added["client_id_new"], "field": None, "before": None,
                      "after": joined(added["scopes_new"])}),
        pd.DataFrame({"change": "grant revoked", "object_type": "grant", "object_id": revoked["id"],
                      "client_id": revoked["client_id_old"], "field": None, "before": joined(revoked["scopes_old"]),
                      "after": None}),
        pd.DataFrame({"change": change, "object_type": "grant", "object_id": kept["id"].to_numpy(),
                      "client_id": kept["client_id_new"].to_numpy(), "field": "scopes", "before": joined(before),
                      "after": joined(after)}),
    ], ignore_index=True)


def _client_changes(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    a = old.set_index(old["client_id"].astype(str))
    b = new.set_index(new["client_id"].astype(str))
    rows = []
    for cid in b.index.difference(a.index):
        rows.append(("client created", cid, None, None, _text(b.at[cid, "name"])))
    for cid in a.index.difference(b.index):
        rows.append(("client deleted", cid, None, _text(a.at[cid, "name"]), None))
    kept = a.index.intersection(b.index)
    for name in (f for f in CLIENT_FIELDS_COMPARED if f in a.columns and f in b.columns):  # a column at a time
        before = [_text(v) for v in a.loc[kept, name].tolist()]
        after = [_text(v) for v in b.loc[kept, name].tolist()]
        rows += [("client changed", cid, name, x, y) for cid, x, y in zip(kept, before, after) if x != y]
    return pd.DataFrame([{"change": c, "object_type": "client", "object_id": cid, "client_id": cid, "field": f,
                          "before": x, "after": y} for c, cid, f, x, y in rows], columns=[
        "change", "object_type", "object_id", "client_id", "field", "before", "after"])


# ---------------------------------------------------------------------------------------------- history

def history(directory: str | Path):
    """A DuckDB connection with views ``clients`` and ``grants`` over every snapshot under ``directory``
    (Hive partitions: a ``date`` column; every row has ``snapshot_at``). Query it with ``.sql(...)``."""
    try:
        import duckdb
    except ImportError:
        raise ConfigurationError("history queries run on DuckDB: pip install 'telnyx-nb[history]'") from None
    connection = duckdb.connect()
    for table in TABLES:
        files = Path(directory) / table / "date=*" / "snapshot-*.parquet"
        if not any(Path(directory).glob(f"{table}/date=*/snapshot-*.parquet")):
            raise FileNotFoundError(f"{directory}: no {table} snapshots here; write one with telnyx-nb snapshot "
                                    f"--out {directory}")
        quoted = str(files).replace("'", "''")
        connection.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{quoted}', hive_partitioning = true)")
    return connection

