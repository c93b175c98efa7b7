"""Accounts in the store: the managed accounts of a fleet, and which account every client and grant belongs to.

The sandbox's own account (the one its printed API key opens) is ``''`` in the ``account_id`` columns
(``policy.access.OWN_ACCOUNT``), so a database from before accounts existed keeps every client and grant where it
was. A fleet seed (``store/fleet.py``) makes that account a *manager* and adds managed accounts, each a row of
``accounts`` with its own Telnyx-shaped API key. The key is kept twice: its SHA-256 digest, to find the account a
Bearer key opens, and the key itself, because the manager reads it back (``GET /v2/managed_accounts/{id}``, Telnyx's
``api_key``). The key and the ``api_token`` never leave ``account(..., secrets=True)``; reprs and lists hold
neither.

``status``: ``active``; ``disabled`` (listed, its key refused); ``cancelled`` (listed only with
``include_cancelled_accounts=true``, its key refused).
"""

from __future__ import annotations

from telnyx_nb.sandbox.store.tables import digest

STATUSES = ("active", "disabled", "cancelled")
MANAGER_SETTING = "manager_account_id"

ACCOUNT_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY, email TEXT NOT NULL, api_user TEXT NOT NULL, organization_name TEXT,
    manager_account_id TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    rollup_billing INTEGER NOT NULL, allow_custom_pricing INTEGER NOT NULL, status TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE, api_key TEXT NOT NULL, api_token TEXT NOT NULL, balance TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS accounts_created ON accounts (created_at, id);
CREATE INDEX IF NOT EXISTS clients_account_order ON clients (account_id, created_at DESC, client_id);
-- The managed accounts' live grants in list order; the own account's (the default, maybe a million) stay out of it.
CREATE INDEX IF NOT EXISTS grants_account_order ON grants (account_id, created_at DESC, id)
    WHERE revoked_at IS NULL AND account_id != '';
"""
_PUBLIC = ("id", "email", "api_user", "organization_name", "manager_account_id", "created_at", "updated_at",
           "rollup_billing", "allow_custom_pricing", "status")
ACCOUNT_COLUMNS = (*_PUBLIC, "key_hash", "api_key", "api_token", "balance")
SORTS = {"created_at": "created_at, id", "-created_at": "created_at DESC, id DESC",
         "email": "email, id", "-email": "email DESC, id DESC"}


def ensure_account_columns(db) -> None:
    """Add ``account_id`` to clients and grants of an older database (its rows stay the own account's), then the
    accounts table and the indexes on it."""
    for table in ("clients", "grants"):
        columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if "account_id" not in columns:
            db.execute(f"ALTER TABLE {table} ADD COLUMN account_id TEXT NOT NULL DEFAULT ''")
    db.executescript(ACCOUNT_SCHEMA)


class AccountQueries:
    """The accounts for ``Store`` (which provides ``write()``, ``read()``, ``conn()``)."""

    def insert_accounts(self, records: list[dict]) -> int:
        """Insert managed accounts (``ACCOUNT_COLUMNS`` but ``key_hash``, which is computed here); ids already
        present are skipped. Returns rows added."""
        rows = [(*(r[name] for name in _PUBLIC), digest(r["api_key"]), r["api_key"], r["api_token"], r["balance"])
                for r in records]
        with self.write() as db:
            before = db.total_changes
            db.executemany(f"INSERT OR IGNORE INTO accounts ({', '.join(ACCOUNT_COLUMNS)}) "
                           f"VALUES ({', '.join('?' * len(ACCOUNT_COLUMNS))})", rows)
            return db.total_changes - before

    def has_fleet(self) -> bool:
        """Whether this sandbox manages accounts (when it does not, every row is the own account's)."""
        return self.conn().execute("SELECT 1 FROM accounts LIMIT 1").fetchone() is not None

    def account_for_key(self, api_key: str) -> dict | None:
        """The managed account a Bearer API key opens (any status: the caller decides), without its secrets."""
        row = self.conn().execute(f"SELECT {', '.join(_PUBLIC)} FROM accounts WHERE key_hash = ?",
                                  (digest(api_key),)).fetchone()
        return dict(row) if row else None

    def account(self, account_id: str, *, secrets: bool = False) -> dict | None:
        """One managed account; with ``secrets`` also its ``api_key``, ``api_token`` and ``balance``."""
        columns = [*_PUBLIC, "api_key", "api_token", "balance"] if secrets else list(_PUBLIC)
        row = self.conn().execute(f"SELECT {', '.join(columns)} FROM accounts WHERE id = ?",
                                  (account_id,)).fetchone()
        return dict(row) if row else None

    def list_accounts(self, *, email: str | None, organization: str | None, sort: str, cancelled: bool,
                      page: int, size: int) -> tuple[list[dict], int]:
        """One page of managed accounts (``SORTS[sort]``) and the total matching; the filters are case-folded
        substring matches; cancelled accounts only when ``cancelled``."""
        where, params = [], []
        if email is not None:
            where.append("instr(casefold(email), casefold(?)) > 0")
            params.append(email)
        if organization is not None:
            where.append("instr(casefold(coalesce(organization_name, '')), casefold(?)) > 0")
            params.append(organization)
        if not cancelled:
            where.append("status != 'cancelled'")
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        with self.read() as db:
            total = db.execute(f"SELECT count(*) FROM accounts {clause}", params).fetchone()[0]
            rows = db.execute(f"SELECT {', '.join(_PUBLIC)} FROM accounts {clause} ORDER BY {SORTS[sort]} "
                              "LIMIT ? OFFSET ?", [*params, size, (page - 1) * size]).fetchall()
        return [dict(r) for r in rows], total
