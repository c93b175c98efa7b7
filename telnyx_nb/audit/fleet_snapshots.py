"""A fleet audit's clients and grants as Hive-partitioned Parquet, kept run after run, and DuckDB over them.

    write_fleet_snapshot(fleet, "fleet")   # fleet/{clients,grants}/account_id=<id>/date=<YYYY-MM-DD>/<stamp>.parquet
                                           # fleet/runs/date=<YYYY-MM-DD>/<stamp>.parquet (the run's roll-up)
    fleet_history("fleet").sql("SELECT account_id, count(*) FROM grants GROUP BY ALL")

One file per account, table and run, its rows carrying the columns of the single-account snapshot
(:mod:`telnyx_nb.audit.snapshots`: the frames' own, lists as Parquet lists, ``snapshot_at``) plus
``organization_name``; ``account_id`` and ``date`` live in the path only, as Hive partitions do, so DuckDB, Spark
and Trino read them as columns. Every account read in the run gets its two files (empty ones when it has no clients
or grants), so "read and empty" and "not read" differ; the accounts that failed are rows of the run's roll-up only.
Each file is written beside its final name and renamed into place (``os.replace``), and the roll-up last: a run
killed halfway leaves no half file, and its account files without a roll-up are not a run (``fleet_history`` and
the fleet diff skip them).
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from telnyx_nb.audit.snapshot_format import STAMP, TABLES, arrow, arrow_table, utc_moment
from telnyx_nb.core.errors import ConfigurationError

__all__ = ["RUN_COLUMNS", "SECRET_COLUMNS", "fleet_history", "write_fleet_snapshot"]

# the run's roll-up: the fleet audit's accounts frame and, for the accounts it could not read, where and why
RUN_COLUMNS = ("account_id", "organization_name", "grants", "findings", "worst_risk_level", "worst_risk_score",
               "failed", "stage", "reason")
# no frame of the audit carries these; a frame that did would be refused rather than written to disk
SECRET_COLUMNS = frozenset({"api_key", "client_secret", "access_token", "refresh_token", "token", "secret",
                            "password"})
_ACCOUNT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # a path segment: nothing to climb out of the directory
# account_id stays text even when every id looks like a number; date is the partition's day
HIVE = "hive_partitioning = true, hive_types = {'account_id': VARCHAR, 'date': DATE}"
RUNS_HIVE = "hive_partitioning = true, hive_types = {'date': DATE}"


def _no_secrets(frame: pd.DataFrame, what: str) -> None:
    found = sorted(SECRET_COLUMNS & {str(c).lower() for c in frame.columns})
    if found:
        raise ConfigurationError(f"{what}: the frame carries {found}; a snapshot never stores a secret — drop "
                                 "those columns first")


def _checked_ids(ids) -> list[str]:
    bad = [a for a in ids if not isinstance(a, str) or not _ACCOUNT_ID.match(a)]
    if bad:
        raise ConfigurationError(f"account_id: {bad[:3]!r} cannot name a partition directory; an id is letters, "
                                 "digits, '.', '_' and '-'")
    return list(ids)


def _write_atomically(table, path: Path) -> Path:
    """Write beside the final name, then rename: a reader (or a killed run) never sees half a file."""
    _, pq = arrow()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # not *.parquet: no glob picks it up
    try:
        pq.write_table(table, temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def _fleet_table(frame: pd.DataFrame, columns, taken_at: pd.Timestamp):
    """The single-account snapshot's table with ``organization_name`` first (``account_id`` is the path's)."""
    pa, _ = arrow()
    table = arrow_table(frame, columns, taken_at)
    names = frame["organization_name"].astype("string").to_numpy(dtype=object, na_value=None)
    return table.add_column(0, "organization_name", pa.array(names, pa.string()))


def _run_table(result: Any, taken_at: pd.Timestamp):
    pa, _ = arrow()
    failures = result.failures.set_index("account_id")[["stage", "reason"]]
    rows = result.accounts.join(failures, on="account_id")
    rows["worst_risk_level"] = rows["worst_risk_level"].astype("string")
    rows = rows[list(RUN_COLUMNS)].astype({"grants": "Int64", "findings": "Int64", "worst_risk_score": "Int64",
                                           "failed": "boolean"})
    table = pa.Table.from_pandas(rows, preserve_index=False)
    return table.append_column("snapshot_at", pa.array([taken_at.to_pydatetime()] * len(rows),
                                                       pa.timestamp("us", tz="UTC")))


def write_fleet_snapshot(result: Any, out_dir: str | Path, *, taken_at: datetime | None = None) -> list[Path]:
    """Write a ``FleetAuditResult``'s clients and grants per account under ``out_dir``, then the run's roll-up;
    returns the paths written (the roll-up last). ``taken_at`` (tz-aware) overrides the time stamp."""
    for name in ("accounts", "clients", "grants", "failures"):
        if not isinstance(getattr(result, name, None), pd.DataFrame):
            raise ConfigurationError(f"result: pass a FleetAuditResult (audit_fleet(...)); it has no {name} frame")
        _no_secrets(getattr(result, name), f"result.{name}")
    pa, _ = arrow()
    moment = utc_moment(taken_at)
    root, stamp, day = Path(out_dir), moment.strftime(STAMP), f"{moment:%Y-%m-%d}"
    read = _checked_ids(result.accounts.loc[~result.accounts["failed"].astype(bool), "account_id"].tolist())
    written = []
    for table_name, columns in TABLES.items():
        frame = getattr(result, table_name)
        whole = _fleet_table(frame, columns, moment)  # converted once; each account is a slice of it
        rows = frame.groupby(frame["account_id"].astype(str), sort=False).indices
        for account_id in read:
            part = whole.take(pa.array(rows.get(account_id, []), pa.int64()))
            path = root / table_name / f"account_id={account_id}" / f"date={day}" / f"{stamp}.parquet"
            written.append(_write_atomically(part, path))
    written.append(_write_atomically(_run_table(result, moment), root / "runs" / f"date={day}" / f"{stamp}.parquet"))
    return written


def _glob(root: Path, table: str) -> str:
    pattern = "*/*/*.parquet" if table != "runs" else "*/*.parquet"
    return str(root / table / pattern).replace("'", "''")


def fleet_history(out_dir: str | Path):
    """A DuckDB connection over every complete run under ``out_dir``: views ``clients`` and ``grants`` (with the
    Hive columns ``account_id`` and ``date``, and ``snapshot_at``) and ``runs`` (each run's roll-up: one row per
    account, ``failed`` with its ``stage`` and ``reason``). Files of a run that has no roll-up are left out."""
    try:
        import duckdb
    except ImportError:
        raise ConfigurationError("history queries run on DuckDB: pip install 'telnyx-nb[history]'") from None
    root = Path(out_dir)
    if not any(root.glob("runs/date=*/*.parquet")):
        raise FileNotFoundError(f"{out_dir}: no fleet snapshots here; write one with write_fleet_snapshot(result, "
                                f"{str(out_dir)!r})")
    connection = duckdb.connect()
    connection.execute(f"CREATE VIEW runs AS SELECT * FROM read_parquet('{_glob(root, 'runs')}', {RUNS_HIVE})")
    for table in TABLES:
        if any(root.glob(f"{table}/account_id=*/date=*/*.parquet")):
            source = f"read_parquet('{_glob(root, table)}', {HIVE}, union_by_name = true)"
        else:  # every account failed in every run: the view is there, with no rows
            source = "(SELECT NULL::VARCHAR AS account_id, NULL::TIMESTAMPTZ AS snapshot_at WHERE false)"
        connection.execute(f"CREATE VIEW {table} AS SELECT * FROM {source} "
                           "WHERE snapshot_at IN (SELECT snapshot_at FROM runs)")
    return connection
