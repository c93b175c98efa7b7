"""The sandbox database's tables and how values are written into them (digests, ISO 8601 stamps, list counts).

Shared by the store (``database.py``), its list queries (``listing.py``) and its bulk loads (``bulk.py``).
"""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime

SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clients (
    client_id TEXT PRIMARY KEY, name TEXT NOT NULL, org_id TEXT NOT NULL, user_id TEXT NOT NULL,
    client_type TEXT NOT NULL, require_pkce INTEGER NOT NULL, verified INTEGER NOT NULL,
    allowed_grant_types TEXT NOT NULL, allowed_scopes TEXT NOT NULL, redirect_uris TEXT NOT NULL,
    logo_uri TEXT, policy_uri TEXT, tos_uri TEXT, secret_hash TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
-- Each list's order and filters have an index that matches exactly, so a page is a seek plus a short walk
-- (the list order is ``created_at DESC`` then id; see ``list_clients`` / ``list_grants``).
DROP INDEX IF EXISTS clients_created;
CREATE INDEX IF NOT EXISTS clients_order ON clients (created_at DESC, client_id);
CREATE INDEX IF NOT EXISTS clients_type_order ON clients (client_type, created_at DESC, client_id);
CREATE INDEX IF NOT EXISTS clients_verified_order ON clients (verified, created_at DESC, client_id);
CREATE INDEX IF NOT EXISTS clients_name_order ON clients (name, created_at DESC, client_id);
CREATE TABLE IF NOT EXISTS grants (
    id TEXT PRIMARY KEY, client_id TEXT NOT NULL, user_id TEXT NOT NULL, scopes TEXT NOT NULL,
    created_at TEXT NOT NULL, last_used_at TEXT, revoked_at TEXT);
DROP INDEX IF EXISTS grants_created;
"""
# Built after a bulk load into an empty table (sorting once beats a million random-order index inserts).
GRANT_INDEXES = (
    "CREATE INDEX IF NOT EXISTS grants_client ON grants (client_id, user_id)",
    # Live grants in list order; it holds (created_at, id), so skipping rows (OFFSET) never touches the table.
    "CREATE INDEX IF NOT EXISTS grants_live_order ON grants (created_at DESC, id) WHERE revoked_at IS NULL",
)
SCHEMA += ";\n".join(GRANT_INDEXES) + ";\n" + """
-- Row counts kept in step with every write (in the same transaction), so a page does not count the table;
-- ``generation`` moves on every write, which is what cached totals and page boundaries are checked against.
CREATE TABLE IF NOT EXISTS list_state (name TEXT PRIMARY KEY, rows INTEGER NOT NULL, generation INTEGER NOT NULL);
INSERT OR IGNORE INTO list_state SELECT 'grants', count(*), 0 FROM grants WHERE revoked_at IS NULL;
INSERT OR IGNORE INTO list_state SELECT 'clients', count(*), 0 FROM clients;
CREATE TABLE IF NOT EXISTS consents (
    token_hash TEXT PRIMARY KEY, client_id TEXT NOT NULL, user_id TEXT NOT NULL, params TEXT NOT NULL,
    expires_at INTEGER NOT NULL, used_at INTEGER);
CREATE TABLE IF NOT EXISTS codes (
    code_hash TEXT PRIMARY KEY, client_id TEXT NOT NULL, user_id TEXT NOT NULL, grant_id TEXT,
    redirect_uri TEXT, scope TEXT NOT NULL, code_challenge TEXT, code_challenge_method TEXT,
    expires_at INTEGER NOT NULL, used_at INTEGER, replayed INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS tokens (
    jti TEXT PRIMARY KEY, client_id TEXT NOT NULL, user_id TEXT, grant_id TEXT, scope TEXT NOT NULL,
    issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0,
    refresh_hash TEXT UNIQUE, refresh_expires_at INTEGER, refresh_used INTEGER NOT NULL DEFAULT 0,
    family TEXT);
CREATE INDEX IF NOT EXISTS tokens_grant ON tokens (grant_id);
CREATE INDEX IF NOT EXISTS tokens_client ON tokens (client_id);
CREATE INDEX IF NOT EXISTS tokens_family ON tokens (family);
CREATE TABLE IF NOT EXISTS revoked_families (family TEXT PRIMARY KEY, revoked_at INTEGER NOT NULL, reason TEXT);
-- Clients that registered themselves (RFC 7591 open registration): they own no account (access.py).
CREATE TABLE IF NOT EXISTS self_registered (client_id TEXT PRIMARY KEY);
"""


def digest(value: str) -> str:
    """SHA-256 hex digest of a secret-bearing string."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def iso(moment: datetime | None = None) -> str:
    """ISO 8601 in UTC with millisecond precision and a ``Z`` (sorts as text)."""
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_value(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return iso(value)


def bump(db: sqlite3.Connection, name: str, delta: int = 0) -> None:
    """Keep ``list_state`` in step with a write to ``name`` (same transaction): row count and generation."""
    db.execute("UPDATE list_state SET rows = rows + ?, generation = generation + 1 WHERE name = ?", (delta, name))
