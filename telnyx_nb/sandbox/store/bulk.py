"""Bulk loads into the store: the seeds (demo, ``grants=N``) and registrations insert clients and grants here.

``Store`` mixes ``BulkLoad`` in (``store.insert_clients(...)``, ``store.insert_grants(...)``); a million grants
load in one transaction, with the secondary indexes built once afterwards.
"""

from __future__ import annotations

import json

from telnyx_nb.sandbox.store.tables import GRANT_INDEXES, bump, digest, iso, iso_value

# Named, not positional: an older database gained ``account_id`` last (store/accounts.py).
CLIENT_COLUMNS = ("client_id, name, org_id, user_id, client_type, require_pkce, verified, allowed_grant_types, "
                  "allowed_scopes, redirect_uris, logo_uri, policy_uri, tos_uri, secret_hash, created_at, updated_at, "
                  "account_id")


class BulkLoad:
    """``insert_clients`` / ``insert_grants`` for ``Store`` (which provides ``write()`` and ``clock``)."""

    def insert_clients(self, records: list[dict]) -> int:
        """Insert client dicts (demo.py's shape; ``secret`` is plain text or None and is hashed here).

        A client whose id already exists is skipped, so seeding twice adds nothing twice. Returns rows added.
        A record with ``self_registered`` true (open registration) is remembered as owning no account.
        """
        now = iso(self.clock.now())
        rows = []
        for c in records:
            secret = c.get("secret") or c.get("client_secret")
            rows.append((
                c["client_id"], c["name"], c.get("org_id") or "", c.get("user_id") or "", c["client_type"],
                int(bool(c.get("require_pkce"))), int(bool(c.get("verified", False))),
                json.dumps(list(c.get("allowed_grant_types") or [])), json.dumps(list(c.get("allowed_scopes") or [])),
                json.dumps(list(c.get("redirect_uris") or [])), c.get("logo_uri"), c.get("policy_uri"),
                c.get("tos_uri"), digest(secret) if secret else None,
                iso_value(c.get("created_at")) or now, iso_value(c.get("updated_at")) or now,
                c.get("account_id") or "",  # store/accounts.py: '' is the sandbox's own account
            ))
        with self.write() as db:
            before = db.total_changes
            db.executemany(f"INSERT OR IGNORE INTO clients ({CLIENT_COLUMNS}) VALUES ({', '.join('?' * 17)})", rows)
            added = db.total_changes - before
            bump(db, "clients", added)
            db.executemany("INSERT OR IGNORE INTO self_registered VALUES (?)",
                           [(c["client_id"],) for c in records if c.get("self_registered")])
            return added

    def insert_grants(self, records) -> int:
        """Insert grant dicts (``id, client_id, user_id, scopes, created_at, last_used_at``); existing ids skipped.

        One transaction and one ``executemany`` in primary-key order; into an empty table the secondary indexes
        are built once afterwards (inside the same transaction). A million grants cost about 20 s of CPU.
        Returns rows added.
        """
        scope_texts: dict[tuple, str] = {}  # grants repeat a few scope sets: encode each once

        def scopes_json(scopes) -> str:
            key = tuple(scopes)
            text = scope_texts.get(key)
            if text is None:
                text = scope_texts[key] = json.dumps(list(key))
            return text

        rows = [(g["id"], g["client_id"], g.get("user_id") or "", scopes_json(g["scopes"]),
                 iso_value(g["created_at"]), iso_value(g.get("last_used_at")), None, g.get("account_id") or "")
                for g in records]
        rows.sort()  # primary-key order: the id index grows at its end instead of splitting pages at random
        with self.write() as db:
            (cache_size,) = db.execute("PRAGMA cache_size").fetchone()
            db.execute("PRAGMA cache_size = -262144")  # 256 MiB for the load
            bulk = len(rows) > 10_000 and db.execute("SELECT 1 FROM grants LIMIT 1").fetchone() is None
            try:
                if bulk:
                    db.execute("DROP INDEX IF EXISTS grants_client")
                    db.execute("DROP INDEX IF EXISTS grants_live_order")
                before = db.total_changes
                db.executemany("INSERT OR IGNORE INTO grants (id, client_id, user_id, scopes, created_at, "
                               "last_used_at, revoked_at, account_id) VALUES (?,?,?,?,?,?,?,?)", rows)
                added = db.total_changes - before
                bump(db, "grants", added)
                if bulk:
                    for statement in GRANT_INDEXES:
                        db.execute(statement)
            finally:
                db.execute(f"PRAGMA cache_size = {int(cache_size)}")
            return added
