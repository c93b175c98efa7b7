"""What a snapshot is on disk and what a diff row says, shared by one account's snapshots (snapshots.py) and a
fleet's (fleet_snapshots.py, fleet_diff.py): the tables and their columns, the file time stamp, the Arrow types the
frames are written with, and the kinds of change."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from telnyx_nb.core.errors import ConfigurationError
from telnyx_nb.frames import CLIENT_COLUMNS, DTYPES, GRANT_COLUMNS, LIST

__all__ = ["CHANGES", "CLIENT_FIELDS_COMPARED", "DIFF_COLUMNS", "STAMP", "TABLES", "arrow", "arrow_table", "utc_moment"]

TABLES = {"clients": CLIENT_COLUMNS, "grants": GRANT_COLUMNS}
STAMP = "%Y%m%dT%H%M%S%fZ"  # a snapshot file's UTC time stamp, to the microsecond
# what a diff row can say, in the order the diff lists them
CHANGES = ["grant added", "grant revoked", "scopes widened", "scopes narrowed", "scopes changed",
           "client created", "client deleted", "client changed"]
DIFF_COLUMNS = ["change", "object_type", "object_id", "client_id", "client_name", "field", "before", "after"]
# client fields whose change is reported (one row per field): who may redirect where, ask for what, and how
CLIENT_FIELDS_COMPARED = ("name", "client_type", "redirect_uris", "allowed_scopes", "allowed_grant_types",
                          "require_pkce", "verified", "logo_uri", "policy_uri", "tos_uri")


def arrow():
    """pyarrow and its parquet module, or the extra to install."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow comes with the parquet extra
        raise ConfigurationError("snapshots are Parquet files: install pyarrow "
                                 "(pip install 'telnyx-nb[parquet]')") from None
    return pa, pq


def arrow_table(frame: pd.DataFrame, columns, taken_at: pd.Timestamp):
    """A frame as an Arrow table with explicit types (lists of strings even when every list is empty)."""
    pa, _ = arrow()
    arrays, names = [], []
    for name in columns:
        column = frame[name]
        if DTYPES[name] is LIST:
            arrays.append(pa.array([list(v) if v is not None else [] for v in column.tolist()],
                                   type=pa.list_(pa.string())))
        elif name == "client_type":
            arrays.append(pa.array(column.astype("string").to_numpy(dtype=object, na_value=None), pa.string()))
        else:
            arrays.append(pa.Array.from_pandas(column))
        names.append(name)
    arrays.append(pa.array([taken_at.to_pydatetime()] * len(frame), pa.timestamp("us", tz="UTC")))
    names.append("snapshot_at")
    return pa.Table.from_arrays(arrays, names=names)


def utc_moment(at: datetime | None) -> pd.Timestamp:
    """The snapshot's moment in UTC (now when not given); a naive time is refused, its zone unknown."""
    moment = pd.Timestamp(at or datetime.now(UTC))
    if moment.tzinfo is None:
        raise ConfigurationError(f"taken_at: pass a timezone-aware time (e.g. datetime.now(UTC)), got {at!r}")
    return moment.tz_convert("UTC")
