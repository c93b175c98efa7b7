"""What changed in each account of a fleet, between two runs of ``write_fleet_snapshot``, compared in DuckDB.

    fleet_diff("fleet")                          # each account: its latest snapshot against the one before
    fleet_diff("fleet", account="9d75…")         # one account
    fleet_diff("fleet", since="2026-12-01")      # against each account's last snapshot before that day (UTC)

The rows say what :func:`telnyx_nb.audit.snapshots.diff` says for one account (grant added, revoked, scopes
widened …, client created, deleted, changed: one row per field), with ``account_id`` and ``organization_name``
first. Only the two files of each account that are compared are read, and DuckDB joins them: a fleet of thousands
of accounts costs the changes' memory, not the fleet's. The accounts compared are those read in the latest run;
an account the latest run could not read, or seen for the first time in it, has nothing to compare and is named in
the result's ``attrs["not_compared"]`` ({account_id: why}).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from telnyx_nb.audit.fleet_snapshots import HIVE
from telnyx_nb.audit.snapshot_format import CHANGES, CLIENT_FIELDS_COMPARED, DIFF_COLUMNS, STAMP, arrow
from telnyx_nb.core.errors import ConfigurationError

__all__ = ["FLEET_DIFF_COLUMNS", "fleet_diff"]

FLEET_DIFF_COLUMNS = ("account_id", "organization_name", *DIFF_COLUMNS)
_LISTS = ("redirect_uris", "allowed_scopes", "allowed_grant_types")
_BOOLEANS = ("require_pkce", "verified")


# snapshots are told apart by their files' stamps, kept as text: fixed width, so they sort as the times do, and
# thousands are compared without parsing one
_STAMPED = re.compile(r"^\d{8}T\d{12}Z$")


def _runs(root: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted(root.glob("runs/date=*/*.parquet")) if _STAMPED.match(p.stem)}


def _snapshots(root: Path, account: str | None) -> dict[str, list[str]]:
    """Each account's snapshots of complete runs (both tables written, the run's roll-up too), oldest first,
    from the file names alone."""
    runs = set(_runs(root))
    held: dict[tuple[str, str], int] = {}
    pattern = f"account_id={account}" if account else "account_id=*"
    for table in ("clients", "grants"):
        for path in root.glob(f"{table}/{pattern}/date=*/*.parquet"):
            key = (path.parent.parent.name.split("=", 1)[1], path.stem)
            held[key] = held.get(key, 0) + 1
    out: dict[str, list[str]] = {}
    for (account_id, at), tables in sorted(held.items()):
        if tables == 2 and at in runs:
            out.setdefault(account_id, []).append(at)
    return out


def _pairs(root: Path, account: str | None, since: Any) -> tuple[pd.DataFrame, dict[str, str], pd.Series]:
    """(account_id, old_at, new_at) per account compared, the accounts of the latest run left out (with why), and
    the accounts' names in the latest run."""
    _, pq = arrow()

    runs = _runs(root)
    if not runs:
        raise FileNotFoundError(f"{root}: no fleet snapshots here; write one with write_fleet_snapshot(result, "
                                f"{str(root)!r}) or telnyx-nb snapshot --managed-accounts --out {root}")
    latest = max(runs)
    roll_up = pq.read_table(runs[latest], columns=["account_id", "organization_name", "failed"]).to_pandas()
    if account is not None:
        if account not in set(roll_up["account_id"]):
            raise ConfigurationError(f"--account {account}: not an account of the latest run ({latest});"
                                     " list them with fleet_history(dir).sql('SELECT * FROM runs')")
        roll_up = roll_up[roll_up["account_id"] == account]
    cutoff = None if since is None else pd.Timestamp(since)
    if cutoff is not None:
        cutoff = (cutoff.tz_localize("UTC") if cutoff.tzinfo is None else cutoff.tz_convert("UTC")).strftime(STAMP)
    held = _snapshots(root, account)
    rows, skipped = [], {}
    for account_id, failed in zip(roll_up["account_id"], roll_up["failed"]):
        taken = [t for t in held.get(account_id, []) if t <= latest]
        if failed or not taken or taken[-1] != latest:
            skipped[account_id] = "not read in the latest run"
            continue
        before = [t for t in taken[:-1] if cutoff is None or t < cutoff]
        old = before[-1] if before else (taken[0] if cutoff is not None and len(taken) > 1 else None)
        if old is None:
            skipped[account_id] = "first seen in the latest run"
            continue
        rows.append((account_id, old, latest))
    names = roll_up.set_index("account_id")["organization_name"].astype("string")
    return pd.DataFrame(rows, columns=["account_id", "old_at", "new_at"]), skipped, names


def _file(root: Path, table: str, account_id: str, stamp: str) -> str:
    day = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}"
    return str(root / table / f"account_id={account_id}" / f"date={day}" / f"{stamp}.parquet")


def _text(column: str, side: str) -> str:
    """A client field as the single-account diff's text: lists sorted and space-joined, booleans True/False."""
    value = f"{side}.{column}"
    if column in _LISTS:
        return f"array_to_string(list_sort({value}), ' ')"
    if column in _BOOLEANS:
        return f"CASE WHEN {value} THEN 'True' WHEN NOT {value} THEN 'False' END"
    return f"CAST({value} AS VARCHAR)"


_GRANTS = """
WITH o AS (SELECT account_id, id, client_id, list_sort(list_distinct(scopes)) AS s FROM grants_old),
     n AS (SELECT account_id, id, client_id, list_sort(list_distinct(scopes)) AS s FROM grants_new)
SELECT coalesce(n.account_id, o.account_id) AS account_id,
       CASE WHEN o.id IS NULL THEN 'grant added' WHEN n.id IS NULL THEN 'grant revoked'
            WHEN list_has_all(n.s, o.s) THEN 'scopes widened' WHEN list_has_all(o.s, n.s) THEN 'scopes narrowed'
            ELSE 'scopes changed' END AS change,
       'grant' AS object_type, coalesce(n.id, o.id) AS object_id, coalesce(n.client_id, o.client_id) AS client_id,
       CASE WHEN o.id IS NOT NULL AND n.id IS NOT NULL THEN 'scopes' END AS field,
       array_to_string(o.s, ' ') AS before, array_to_string(n.s, ' ') AS after
FROM o FULL OUTER JOIN n ON o.account_id = n.account_id AND o.id = n.id
WHERE o.id IS NULL OR n.id IS NULL OR o.s <> n.s
"""


def _clients_sql() -> str:
    changed = " UNION ALL ".join(
        f"SELECT o.account_id, 'client changed', 'client', o.client_id, o.client_id, '{f}', {_text(f, 'o')}, "
        f"{_text(f, 'n')} FROM clients_old o JOIN clients_new n USING (account_id, client_id) "
        f"WHERE {_text(f, 'o')} IS DISTINCT FROM {_text(f, 'n')}" for f in CLIENT_FIELDS_COMPARED)
    return f"""
SELECT n.account_id, 'client created', 'client', n.client_id, n.client_id, NULL, NULL, n.name
FROM clients_new n ANTI JOIN clients_old o USING (account_id, client_id)
UNION ALL
SELECT o.account_id, 'client deleted', 'client', o.client_id, o.client_id, NULL, o.name, NULL
FROM clients_old o ANTI JOIN clients_new n USING (account_id, client_id)
UNION ALL {changed}"""


def _load(connection, root: Path, pairs: pd.DataFrame) -> None:
    """Temporary tables of the two sides, each read from the exact files compared."""
    for table in ("clients", "grants"):
        for side, column in (("old", "old_at"), ("new", "new_at")):
            files = [_file(root, table, a, t) for a, t in zip(pairs["account_id"], pairs[column])]
            connection.execute(f"CREATE TEMP TABLE {table}_{side} AS SELECT * FROM read_parquet(?, {HIVE}, "
                               "union_by_name = true)", [files])


def fleet_diff(out_dir: str | Path, *, account: str | None = None, since: Any = None) -> pd.DataFrame:
    """One row per change in each account compared (columns ``FLEET_DIFF_COLUMNS``), by account then change.

    ``account``: that account only. ``since`` (a date or time, UTC when naive): compare each account's latest
    snapshot with its last one taken before then (its first one, when it has none before); by default, with the
    one before its latest."""
    import duckdb

    root = Path(out_dir)
    pairs, skipped, names = _pairs(root, account, since)
    if pairs.empty:
        rows = pd.DataFrame(columns=["account_id", *DIFF_COLUMNS])
    else:
        with duckdb.connect() as connection:
            _load(connection, root, pairs)
            rows = connection.sql(f"""
                WITH changes AS ({_GRANTS} UNION ALL {_clients_sql()}),
                     named AS (SELECT account_id, client_id, arg_max(name, snapshot_at) AS client_name
                               FROM (SELECT * FROM clients_old UNION ALL BY NAME SELECT * FROM clients_new)
                               GROUP BY ALL)
                SELECT c.*, named.client_name FROM changes c LEFT JOIN named USING (account_id, client_id)""").df()
    out = pd.DataFrame({
        "account_id": rows["account_id"].astype("string"),
        "organization_name": rows["account_id"].astype("string").map(names).astype("string"),
        "change": pd.Categorical(rows["change"], categories=CHANGES, ordered=True),
        "object_type": pd.Categorical(rows["object_type"], categories=["client", "grant"]),
        **{c: rows[c].astype("string") for c in DIFF_COLUMNS[2:]},
    })
    out = out.sort_values(["account_id", "change", "client_name", "object_id", "field"], kind="stable",
                          na_position="last").reset_index(drop=True)
    out.attrs["not_compared"] = skipped
    return out
