"""SQLite storage for the sandbox: clients, grants, consents, codes, tokens and settings.

Why it looks like this: one connection per thread, WAL, ``busy_timeout=5000`` and
``synchronous=NORMAL`` (``OFF`` for a throwaway database); every read-then-write step runs inside
``BEGIN IMMEDIATE`` so concurrent requests queue on the write lock instead of failing or losing updates.
Single-use things (consent tokens, authorization codes, refresh tokens) are claimed with one
``UPDATE … RETURNING`` statement, so exactly one racer wins.

Secrets never rest in plain text: client secrets, codes, consent tokens and refresh tokens are kept as SHA-256
digests (they are long random strings, so a fast hash is enough). Access tokens are JWTs; only their ``jti`` is
kept. Timestamps of API objects are ISO 8601 strings in UTC; token and code lifetimes are integer epoch seconds.
"""

from __future__ import annotations

import hmac
import json
import secrets
import sqlite3
import threading
import uuid
from contextlib import contextmanager

from telnyx_nb.sandbox.clock import Clock
from telnyx_nb.sandbox.store.accounts import AccountQueries, ensure_account_columns
from telnyx_nb.sandbox.store.bulk import BulkLoad
from telnyx_nb.sandbox.store.listing import CLIENT_LIST_FIELDS, ListQueries, PageMarks, client_from_row, grant_from_row
from telnyx_nb.sandbox.store.tables import SCHEMA, bump, digest, iso

__all__ = ["Store", "PageMarks", "check_secret", "client_from_row", "digest", "grant_from_row", "iso"]


class Store(ListQueries, BulkLoad, AccountQueries):
    """The sandbox's database: a file path (WAL) shared by per-thread connections. The list queries
    (``listing.py``), bulk loads (``bulk.py``) and accounts (``accounts.py``) are mixed in; the claims and
    revocations are here."""

    def __init__(self, path: str, clock: Clock | None = None, *, durable: bool = True):
        self.path = path
        # A throwaway database (``db=":memory:"``: a temporary file removed on stop) never needs to survive a
        # power cut, so it skips the fsyncs of WAL checkpoints (``synchronous=OFF``); a file database keeps NORMAL.
        self._synchronous = "NORMAL" if durable else "OFF"
        self.clock = clock or Clock()  # every expiry and timestamp below reads it (tests move it forward)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._marks: dict[object, PageMarks] = {}  # list (and filters) → its page boundaries
        self._totals: dict[object, tuple[int, int]] = {}  # filtered client list → (generation, total)
        self.conn().executescript(SCHEMA)
        ensure_account_columns(self.conn())

    def __repr__(self) -> str:
        return f"Store({self.path!r})"

    # ----- connections and transactions -------------------------------------------------------------------------
    def conn(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=5.0, isolation_level=None, check_same_thread=False)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA busy_timeout=5000")
            db.execute(f"PRAGMA synchronous={self._synchronous}")
            # SQLite's lower() folds ASCII only; name filters fold like Python ("Émile" contains "émi").
            db.create_function("casefold", 1, lambda v: v.casefold() if isinstance(v, str) else v,
                               deterministic=True)
            self._local.db = db
            with self._lock:
                self._connections.append(db)
        return db

    def read(self):
        """A read transaction: every statement inside sees one snapshot (a page and its total agree)."""
        return self._transaction("BEGIN")

    def write(self):
        """A ``BEGIN IMMEDIATE`` transaction: committed on success, rolled back on any error."""
        return self._transaction("BEGIN IMMEDIATE")

    @contextmanager
    def _transaction(self, begin: str):
        db = self.conn()
        db.execute(begin)
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for db in connections:
            try:
                db.close()
            except sqlite3.Error:
                pass

    # ----- settings ----------------------------------------------------------------------------------------------
    def get_setting(self, key: str) -> str | None:
        row = self.conn().execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else None

    def set_setting(self, key: str, value: str) -> None:
        with self.write() as db:
            db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, value))

    def set_setting_once(self, key: str, value: str) -> str:
        """Store ``value`` unless the key exists; return what is stored (first writer wins)."""
        with self.write() as db:
            db.execute("INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)", (key, value))
            return db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()["value"]

    def is_empty(self) -> bool:
        db = self.conn()
        return not (db.execute("SELECT 1 FROM clients LIMIT 1").fetchone()
                    or db.execute("SELECT 1 FROM grants LIMIT 1").fetchone())

    # ----- clients -----------------------------------------------------------------------------------------------
    def create_client(self, fields: dict, org_id: str, user_id: str,
                      account_id: str = "") -> tuple[dict, str | None]:
        """Create a client of ``account_id`` (default the own account) from validated fields; returns (client, plain
        secret or None for public clients)."""
        now = iso(self.clock.now())
        secret = secrets.token_urlsafe(36) if fields["client_type"] == "confidential" else None
        record = {
            "client_id": str(uuid.uuid4()), "org_id": org_id, "user_id": user_id, "created_at": now,
            "updated_at": now, "secret": secret, "require_pkce": fields.get("require_pkce", False),
            "verified": fields.get("verified", False), **{k: v for k, v in fields.items() if k != "secret"},
            "account_id": account_id,
        }
        self.insert_clients([record])
        return self.get_client(record["client_id"]), secret

    def is_self_registered(self, client_id: str) -> bool:
        """Whether the client registered itself (RFC 7591): such a client owns no account (access.py)."""
        with self.read() as db:
            return db.execute("SELECT 1 FROM self_registered WHERE client_id = ?", (client_id,)).fetchone() is not None

    def get_client(self, client_id: str) -> dict | None:
        row = self.conn().execute("SELECT * FROM clients WHERE client_id = ?", (client_id,)).fetchone()
        return client_from_row(row) if row else None

    def update_client(self, client_id: str, changes: dict) -> dict | None:
        columns = []
        values = []
        for name, value in changes.items():
            if name in CLIENT_LIST_FIELDS:
                value = json.dumps(list(value))
            elif name in ("require_pkce", "verified"):
                value = int(bool(value))
            columns.append(f"{name} = ?")
            values.append(value)
        columns.append("updated_at = ?")
        values.append(iso(self.clock.now()))
        with self.write() as db:
            cursor = db.execute(f"UPDATE clients SET {', '.join(columns)} WHERE client_id = ?", [*values, client_id])
            if cursor.rowcount == 0:
                return None
            bump(db, "clients")  # a changed name, type or flag moves filtered totals
        return self.get_client(client_id)

    def delete_client(self, client_id: str) -> bool:
        """Delete a client, revoke its grants and every token it holds. False when it does not exist."""
        with self.write() as db:
            if db.execute("DELETE FROM clients WHERE client_id = ?", (client_id,)).rowcount == 0:
                return False
            bump(db, "clients", -1)
            revoked = db.execute("UPDATE grants SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL",
                                 (iso(self.clock.now()), client_id)).rowcount
            if revoked:
                bump(db, "grants", -revoked)
            db.execute("UPDATE tokens SET revoked = 1 WHERE client_id = ?", (client_id,))
            db.execute("DELETE FROM codes WHERE client_id = ?", (client_id,))
            db.execute("DELETE FROM consents WHERE client_id = ?", (client_id,))
        return True

    # ----- grants ------------------------------------------------------------------------------------------------
    def get_grant(self, grant_id: str) -> dict | None:
        row = self.conn().execute("SELECT * FROM grants WHERE id = ? AND revoked_at IS NULL", (grant_id,)).fetchone()
        return grant_from_row(row) if row else None

    def revoke_grant(self, grant_id: str) -> dict | None:
        """Revoke a live grant and every token issued under it; returns the grant as it was, or None."""
        with self.write() as db:
            row = db.execute("UPDATE grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING *",
                             (iso(self.clock.now()), grant_id)).fetchone()
            if row is None:
                return None
            bump(db, "grants", -1)
            db.execute("UPDATE tokens SET revoked = 1 WHERE grant_id = ?", (grant_id,))
            db.execute("DELETE FROM codes WHERE grant_id = ?", (grant_id,))
        return grant_from_row(row)

    def grant_for_consent(self, client_id: str, user_id: str, scopes: list[str]) -> str:
        """The user's live grant for this client, widened to include ``scopes``, or a new one. Returns its id."""
        with self.write() as db:
            row = db.execute("SELECT id, scopes FROM grants WHERE client_id = ? AND user_id = ? "
                             "AND revoked_at IS NULL ORDER BY created_at DESC LIMIT 1",
                             (client_id, user_id)).fetchone()
            if row is None:
                grant_id = str(uuid.uuid4())
                # the grant belongs to the client's account (store/accounts.py)
                db.execute("INSERT INTO grants (id, client_id, user_id, scopes, created_at, last_used_at, revoked_at,"
                           " account_id) VALUES (?,?,?,?,?,NULL,NULL, coalesce((SELECT account_id FROM clients "
                           "WHERE client_id = ?), ''))",
                           (grant_id, client_id, user_id, json.dumps(scopes), iso(self.clock.now()), client_id))
                bump(db, "grants", 1)
                return grant_id
            held = json.loads(row["scopes"])
            widened = held + [s for s in scopes if s not in held]
            if widened != held:
                db.execute("UPDATE grants SET scopes = ? WHERE id = ?", (json.dumps(widened), row["id"]))
            return row["id"]

    # ----- consents ----------------------------------------------------------------------------------------------
    def create_consent(self, client_id: str, user_id: str, params: dict, lifetime: int) -> str:
        token = secrets.token_urlsafe(32)
        with self.write() as db:
            db.execute("INSERT INTO consents VALUES (?,?,?,?,?,NULL)",
                       (digest(token), client_id, user_id, json.dumps(params), self.clock.seconds() + lifetime))
        return token

    def get_consent(self, token: str) -> dict | None:
        row = self.conn().execute("SELECT * FROM consents WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
                                  (digest(token), self.clock.seconds())).fetchone()
        return self._consent(row)

    def claim_consent(self, token: str) -> dict | None:
        """Use a consent token once: exactly one caller gets it back."""
        now = self.clock.seconds()
        with self.write() as db:
            row = db.execute("UPDATE consents SET used_at = ? WHERE token_hash = ? AND used_at IS NULL "
                             "AND expires_at > ? RETURNING *", (now, digest(token), now)).fetchone()
        return self._consent(row)

    @staticmethod
    def _consent(row) -> dict | None:
        if row is None:
            return None
        record = dict(row)
        record["params"] = json.loads(record["params"])
        return record

    # ----- authorization codes -----------------------------------------------------------------------------------
    def save_code(self, code: str, *, client_id, user_id, grant_id, redirect_uri, scope, code_challenge,
                  code_challenge_method, lifetime: int) -> None:
        with self.write() as db:
            db.execute("INSERT INTO codes VALUES (?,?,?,?,?,?,?,?,?,NULL,0)",
                       (digest(code), client_id, user_id, grant_id, redirect_uri, scope, code_challenge,
                        code_challenge_method, self.clock.seconds() + lifetime))

    def find_code(self, code: str) -> dict | None:
        """Look a code up without using it (validation happens before the claim)."""
        row = self.conn().execute("SELECT * FROM codes WHERE code_hash = ?", (digest(code),)).fetchone()
        if row is None:
            return None
        record = dict(row)
        record["code"] = code
        return record

    def claim_code(self, code: str, client_id: str) -> dict | None:
        """Redeem a code once (RFC 6749 §4.1.2). A second redemption marks the code replayed and revokes every
        token issued from it, including tokens the first redemption has not saved yet (see ``save_token``)."""
        now = self.clock.seconds()
        code_hash = digest(code)
        with self.write() as db:
            row = db.execute("UPDATE codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL RETURNING *",
                             (now, code_hash)).fetchone()
            if row is None:
                if db.execute("UPDATE codes SET replayed = 1 WHERE code_hash = ?", (code_hash,)).rowcount:
                    db.execute("UPDATE tokens SET revoked = 1 WHERE family = ?", (code_hash,))
                return None
        if row["expires_at"] <= now or row["client_id"] != client_id:
            return None
        record = dict(row)
        record["code"] = code
        return record

    # ----- tokens ------------------------------------------------------------------------------------------------
    def save_token(self, *, jti, client_id, user_id, grant_id, scope, issued_at, expires_at, refresh_token,
                   refresh_expires_at, family) -> None:
        """Record an issued token pair; the grant's ``last_used_at`` moves. Born revoked when its code was
        replayed or its grant/client vanished while it was being issued."""
        values = (jti, client_id, user_id, grant_id, scope, issued_at, expires_at)
        refresh = (digest(refresh_token) if refresh_token else None, refresh_expires_at, family)
        if not grant_id and not family:
            # A client's own token (client credentials): one statement, atomic by itself (a writing statement
            # takes the write lock before it reads), half the cost of the transaction below on every token.
            self.conn().execute("INSERT INTO tokens SELECT ?,?,?,?,?,?,?, NOT EXISTS (SELECT 1 FROM clients WHERE "
                                "client_id = ?), ?,?,0,?", (*values, client_id, *refresh))
            return
        with self.write() as db:
            revoked = 0
            if family and (db.execute("SELECT 1 FROM codes WHERE code_hash = ? AND replayed = 1",
                                      (family,)).fetchone()
                           or db.execute("SELECT 1 FROM revoked_families WHERE family = ?", (family,)).fetchone()):
                revoked = 1
            if grant_id:
                if db.execute("UPDATE grants SET last_used_at = ? WHERE id = ? AND revoked_at IS NULL",
                              (iso(self.clock.now()), grant_id)).rowcount == 0:
                    revoked = 1
            if not db.execute("SELECT 1 FROM clients WHERE client_id = ?", (client_id,)).fetchone():
                revoked = 1
            db.execute("INSERT INTO tokens VALUES (?,?,?,?,?,?,?,?,?,?,0,?)", (*values, revoked, *refresh))

    def claim_refresh(self, refresh_token: str, client_id: str) -> dict | None:
        """Use a refresh token once (rotation): exactly one racer gets the row back. ``refresh_used`` keeps the
        moment of use (epoch seconds, fractional; older databases hold 1), so a reuse can be told from a lost race."""
        now = self.clock.time()
        with self.write() as db:
            row = db.execute("UPDATE tokens SET refresh_used = ? WHERE refresh_hash = ? AND client_id = ? "
                             "AND refresh_used = 0 AND revoked = 0 AND refresh_expires_at > ? RETURNING *",
                             (now, digest(refresh_token), client_id, int(now))).fetchone()
            if row is None:
                return None
            if row["grant_id"] and not db.execute("SELECT 1 FROM grants WHERE id = ? AND revoked_at IS NULL",
                                                  (row["grant_id"],)).fetchone():
                return None
        return dict(row)

    def token_status(self, *, jti: str | None = None, refresh_token: str | None = None) -> dict | None:
        """A token row with ``live`` (not revoked; grant live; client present), looked up by jti or refresh."""
        if jti is not None:
            where, key = "t.jti = ?", jti
        else:
            where, key = "t.refresh_hash = ?", digest(refresh_token or "")
        row = self.conn().execute(
            "SELECT t.*, (t.revoked = 0 AND c.client_id IS NOT NULL AND (t.grant_id IS NULL OR g.revoked_at IS NULL"
            " AND g.id IS NOT NULL)) AS live FROM tokens t LEFT JOIN clients c ON c.client_id = t.client_id "
            f"LEFT JOIN grants g ON g.id = t.grant_id WHERE {where}", (key,)).fetchone()
        return dict(row) if row else None

    def family_scope(self, family: str | None) -> str | None:
        """The scope granted with the code a token family comes from: what its refresh tokens keep (RFC 6749 §6)."""
        if not family:
            return None
        row = self.conn().execute("SELECT scope FROM codes WHERE code_hash = ?", (family,)).fetchone()
        return row["scope"] if row else None

    def revoke_token(self, jti: str) -> None:
        with self.write() as db:
            db.execute("UPDATE tokens SET revoked = 1 WHERE jti = ?", (jti,))

    def revoke_family(self, family: str | None, jti: str, reason: str) -> int:
        """End a token family: the refresh token and every access token issued from the same code (RFC 9700
        §4.14.2, RFC 7009 §2.1). Tokens a racing refresh saves later are born revoked (see ``save_token``).
        A token without a family (none today) is revoked alone. Returns the tokens revoked."""
        with self.write() as db:
            if not family:
                return db.execute("UPDATE tokens SET revoked = 1 WHERE jti = ? AND revoked = 0", (jti,)).rowcount
            db.execute("INSERT OR IGNORE INTO revoked_families VALUES (?, ?, ?)",
                       (family, int(self.clock.seconds()), reason))
            return db.execute("UPDATE tokens SET revoked = 1 WHERE family = ? AND revoked = 0", (family,)).rowcount

    def family_revoked(self, family: str | None) -> bool:
        if not family:
            return False
        return self.conn().execute("SELECT 1 FROM revoked_families WHERE family = ?", (family,)).fetchone() is not None


def check_secret(stored_hash: str | None, presented: str | None) -> bool:
    """Constant-time comparison of a presented secret with its stored digest."""
    if not stored_hash or not presented:
        return False
    return hmac.compare_digest(stored_hash, digest(presented))
