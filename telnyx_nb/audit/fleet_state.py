"""The checkpoint of a fleet audit (``telnyx-nb audit --managed-accounts --state DIR``): killed halfway and run
again with the same DIR, only the accounts not yet done are fetched.

    DIR/manifest.json               which server and which options the run is for, and the run's clock
    DIR/accounts/<account>.pickle   one file per account audited: its clients, grants and findings frames

Each account's file is written to a temporary file in the same directory and moved into place with
``os.replace`` (atomic on POSIX and Windows), so a kill at any instant leaves either the whole file or none; a
stray temporary file is ignored. Failed accounts are never written: a rerun retries them. The manifest pins the
server (base URL) and the options that shape the result (accounts asked for, cancelled ones included, the
thresholds): a DIR begun against another server or with other options is refused (:class:`StateMismatch`), since
mixing them would report accounts of two different audits as one.

Why pickle, not Parquet: the frames must come back exactly as the audit made them (ordered categoricals, the
``scopes`` lists, nullable dtypes), so a resumed run reports what an uninterrupted one would; Parquet gives lists
back as arrays. The files hold no key, token or secret (the audit's frames never do), and are only read from a DIR
whose manifest this module wrote; the history meant for other tools is ``telnyx-nb snapshot`` (Parquet).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from telnyx_nb.audit.fleet import AccountAudit
from telnyx_nb.audit.rules import AuditResult, Thresholds
from telnyx_nb.core.errors import ConfigurationError

__all__ = ["FleetState", "StateMismatch", "FORMAT"]

FORMAT = "telnyx-nb fleet audit state, version 1"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class StateMismatch(ConfigurationError):
    """The state directory belongs to another run: another server, other options, or not a state directory."""


def _file_name(account_id: str) -> str:
    """The account's file name: its id when that is a plain name, else a digest of it (never a path)."""
    stem = account_id if _SAFE_NAME.match(account_id) else "id-" + hashlib.sha256(account_id.encode()).hexdigest()
    return stem + ".pickle"


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all: a temporary file beside it, flushed, then ``os.replace``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class FleetState:
    """An opened state directory: :meth:`load` the accounts done, :meth:`save` each newly audited one."""

    path: Path
    started_at: datetime  # the run's clock, kept so a resumed run judges every account as of the same instant

    @classmethod
    def open(cls, path: Path | str, *, server: str, options: Mapping[str, Any], now: datetime) -> FleetState:
        """Open (or begin) the state in ``path`` for a run against ``server`` with ``options`` (JSON values).

        Raises :class:`StateMismatch` when ``path`` holds another run's state or something else, and ``OSError``
        when it cannot be created."""
        path = Path(path)
        manifest_path = path / "manifest.json"
        wanted = {"format": FORMAT, "server": server, "options": dict(options)}
        if manifest_path.is_file():
            try:
                found = json.loads(manifest_path.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError):
                raise StateMismatch(f"{path}: its manifest.json is unreadable; use another directory") from None
            _check(found, wanted)
            return cls(path, datetime.fromisoformat(found["started_at"]))
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise StateMismatch(f"{path}: not a fleet audit state directory (no manifest.json, not empty); "
                                "use a new or empty directory")
        (path / "accounts").mkdir(parents=True, exist_ok=True, mode=0o700)
        path.chmod(0o700)
        _write_atomically(manifest_path, json.dumps({**wanted, "started_at": now.isoformat()}, indent=1).encode())
        return cls(path, now)

    def save(self, account: AccountAudit) -> Path | None:
        """Checkpoint one audited account (a failed one is not saved: a rerun retries it)."""
        if account.result is None:
            return None
        r = account.result
        data = pickle.dumps({"format": FORMAT, "account_id": account.account_id,
                             "organization_name": account.organization_name,
                             "clients": r.clients, "grants": r.grants, "findings": r.findings},
                            protocol=pickle.HIGHEST_PROTOCOL)
        target = self.path / "accounts" / _file_name(account.account_id)
        _write_atomically(target, data)
        return target

    def load(self, thresholds: Thresholds) -> dict[str, AccountAudit]:
        """Every account checkpointed so far, by id (an unreadable file is skipped: that account is fetched again)."""
        done: dict[str, AccountAudit] = {}
        for file in sorted((self.path / "accounts").glob("*.pickle")):
            try:
                saved = pickle.loads(file.read_bytes())  # noqa: S301 — our own checkpoint, see the module docstring
                if saved.get("format") != FORMAT:
                    continue
            except Exception:  # noqa: BLE001 — a damaged checkpoint only costs a refetch
                continue
            result = AuditResult(saved["clients"], saved["grants"], saved["findings"], thresholds)
            done[saved["account_id"]] = AccountAudit(saved["account_id"], saved["organization_name"], result)
        return done


def _check(found: Any, wanted: dict) -> None:
    """Refuse a manifest of another format, server or options, saying which differs."""
    if not isinstance(found, dict) or found.get("format") != FORMAT or "started_at" not in found:
        raise StateMismatch("not a fleet audit state directory of this version; use a new or empty directory")
    if found.get("server") != wanted["server"]:
        raise StateMismatch(f"begun against {found.get('server')}, not {wanted['server']}; use another directory "
                            "for this server (or delete it to start over)")
    if not isinstance(found.get("options"), dict) or found["options"] != wanted["options"]:
        theirs = found["options"] if isinstance(found.get("options"), dict) else {}
        differ = sorted(k for k in set(theirs) | set(wanted["options"])
                        if theirs.get(k) != wanted["options"].get(k))
        raise StateMismatch(f"begun with other options ({', '.join(differ)}); rerun with the same options, or use "
                            "another directory (or delete it to start over)")
