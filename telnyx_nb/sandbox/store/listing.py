"""The store's list queries: one page of clients or live grants, newest first, and how many there are.

Both lists share one routine (``_list``): the total is ``list_state``'s maintained count (a filtered client list
counts once per generation of the table and remembers it), and the page is a seek from the nearest remembered
page boundary (``PageMarks``) instead of skipping every row before it. ``Store`` mixes ``ListQueries`` in, so
``store.list_clients(...)`` / ``store.list_grants(...)`` are the calls; the connection, transactions and the
caches (``_marks``, ``_totals``, ``_lock``) are the store's.
"""

from __future__ import annotations

import bisect
import json

CLIENT_LIST_FIELDS = ("allowed_grant_types", "allowed_scopes", "redirect_uris")

# filter name (management/clients.py's) → the SQL condition it adds (one ``?`` each)
CLIENT_FILTERS = {
    "client_type": "client_type = ?",
    "name": "name = ?",
    # SQLite's lower() folds ASCII only; casefold() (the store's function) folds like Python ("Émile" ~ "émi").
    "name_contains": "instr(casefold(name), casefold(?)) > 0",
    "client_id": "client_id = ?",
    "grant_type": "EXISTS (SELECT 1 FROM json_each(allowed_grant_types) WHERE value = ?)",
    "verified": "verified = ?",
    "account_id": "account_id = ?",  # the caller's account (store/accounts.py): never a query parameter
}


def client_from_row(row) -> dict:
    """A stored client row as a plain dict with decoded list fields and booleans."""
    record = dict(row)
    for name in CLIENT_LIST_FIELDS:
        record[name] = json.loads(record[name])
    record["require_pkce"] = bool(record["require_pkce"])
    record["verified"] = bool(record["verified"])
    return record


def grant_from_row(row) -> dict:
    record = dict(row)
    record["scopes"] = json.loads(record["scopes"])
    return record


class PageMarks:
    """Remembered page boundaries of one list order: position → the (created_at, id) key of the row there.

    Telnyx paginates by page number, so page N means "skip (N-1)·size rows". Skipping by OFFSET walks every row
    before the page; with a mark just before the page the query seeks straight to it (keyset pagination,
    answering the same rows as OFFSET would). Marks hold for one ``generation`` of the list: any write that
    can move rows (insert, revoke, delete) starts afresh, so a stale mark never shifts a page.
    """

    LIMIT = 100_000  # marks kept per list (one per page read: enough for 10M rows at 100 a page)

    def __init__(self):
        self.generation = None
        self.positions: list[int] = []
        self.keys: dict[int, tuple[str, str]] = {}

    def before(self, generation: int, offset: int) -> tuple[int, tuple[str, str]] | None:
        """The closest remembered (position, key) before ``offset`` for this generation, or None."""
        if generation != self.generation:
            return None
        i = bisect.bisect_left(self.positions, offset) - 1
        if i < 0:
            return None
        position = self.positions[i]
        return position, self.keys[position]

    def remember(self, generation: int, position: int, key: tuple[str, str]) -> None:
        if generation != self.generation:
            self.generation, self.positions, self.keys = generation, [], {}
        if position in self.keys or len(self.positions) >= self.LIMIT:
            return
        bisect.insort(self.positions, position)
        self.keys[position] = key


class ListQueries:
    """``list_clients`` and ``list_grants`` for ``Store`` (which provides ``read()``, ``_lock``, ``_marks``,
    ``_totals``)."""

    def forget_list_caches(self) -> None:
        """Drop the remembered totals and page boundaries: after the database was put back from a snapshot, its
        generations repeat, so what was remembered for a generation may no longer describe it."""
        with self._lock:
            self._marks.clear()
            self._totals.clear()

    def list_clients(self, filters: dict, page: int, size: int) -> tuple[list[dict], int]:
        """One page of clients, newest first, and the total matching ``filters`` (already validated)."""
        where = [CLIENT_FILTERS[name] for name in CLIENT_FILTERS if name in filters]
        params = [int(filters[name]) if name == "verified" else filters[name]
                  for name in CLIENT_FILTERS if name in filters]
        key = ("clients", tuple(sorted((k, str(v)) for k, v in filters.items())))
        rows, total = self._list("clients", "client_id", where, params, key, page, size)
        return [client_from_row(r) for r in rows], total

    def list_grants(self, page: int, size: int, account_id: str | None = None) -> tuple[list[dict], int]:
        """One page of live grants, newest first (``created_at DESC, id``), and how many there are.

        The total is ``list_state``'s maintained count and the page a seek on ``grants_live_order``, so page
        10,000 costs what page 1 does. ``account_id``: only that account's grants (store/accounts.py), counted
        once per generation; None: every grant (a sandbox without a fleet, where all are the own account's)."""
        if account_id is None:
            rows, total = self._list("grants", "id", ["revoked_at IS NULL"], [], "grants", page, size, counted=True)
        else:
            where = ["revoked_at IS NULL", "account_id = ?"]
            if account_id:  # a managed account: the partial index grants_account_order holds its rows
                where.append("account_id != ''")
            rows, total = self._list("grants", "id", where, [account_id], ("grants", account_id), page, size)
        return [grant_from_row(r) for r in rows], total

    def _list(self, table: str, id_column: str, where: list[str], params: list, key, page: int, size: int, *,
              counted: bool = False) -> tuple[list, int]:
        """(rows of the page, total) in one read snapshot, so a page and its total agree. ``counted``: ``where``
        is exactly what ``list_state`` counts (the live grants), so its row count is the total."""
        with self.read() as db:
            total, generation = db.execute("SELECT rows, generation FROM list_state WHERE name = ?",
                                           (table,)).fetchone()
            if where and not counted:  # counted once per generation of the table, not once per page
                cached = self._totals.get(key)
                if cached is not None and cached[0] == generation:
                    total = cached[1]
                else:
                    clause = " AND ".join(where)
                    total = db.execute(f"SELECT count(*) FROM {table} WHERE {clause}", params).fetchone()[0]
                    self._totals[key] = (generation, total)
            rows = self._page(db, key, table, id_column, where, params, page, size, generation)
        return rows, total

    def _page(self, db, key, table: str, id_column: str, where: list[str], params: list, page: int, size: int,
              generation: int) -> list:
        """Rows ``(page-1)*size …`` of ``table`` in list order (``created_at DESC, id``), seeking from the
        nearest remembered boundary before the page instead of skipping every row before it."""
        offset = (page - 1) * size
        marks = self._marks.setdefault(key, PageMarks())
        with self._lock:
            mark = marks.before(generation, offset)
        where = list(where)
        params = list(params)
        skip = offset
        if mark is not None:
            position, (created_at, row_id) = mark
            # rows after the mark in list order: an index range on created_at, then a few equal stamps skipped
            where.append(f"created_at <= ? AND NOT (created_at = ? AND {id_column} <= ?)")
            params += [created_at, created_at, row_id]
            skip = offset - position - 1
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        rows = db.execute(f"SELECT * FROM {table} {clause} ORDER BY created_at DESC, {id_column} LIMIT ? OFFSET ?",
                          [*params, size, skip]).fetchall()
        if rows:
            with self._lock:
                last = rows[-1]
                marks.remember(generation, offset + len(rows) - 1, (last["created_at"], last[id_column]))
        return rows
