"""One ``telnyx-nb explore`` per database: a lock file beside the database says who serves it and where.

A second explore on the same database would start a second sandbox writing the same SQLite file, with its own
signing key and port, and leave the first explorer's notebooks talking to a server whose data changes under
them. So the first start claims ``<database>.explore.json`` (created exclusively, readable only by its owner: it
holds the JupyterLab URL with its token) and fills in its URLs once they answer; a later start on the same
database reads it and points at the running one instead of starting anything. A lock whose process is gone (a
crash, a killed terminal) is stale and taken over.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ExploreLock", "Running", "claim", "forget", "lock_path"]


def lock_path(db: str | Path) -> Path:
    return Path(f"{db}.explore.json")


@dataclass(frozen=True)
class Running:
    """What another ``telnyx-nb explore`` on the same database wrote: its pid and, once up, its URLs."""

    pid: int
    sandbox_url: str | None = None
    lab_url: str | None = None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _read(path: Path) -> Running | None:
    """The running explore the lock names, or None when the lock is unreadable or its process has gone."""
    try:
        data = json.loads(path.read_text() or "{}")
        pid = int(data["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if pid == os.getpid() or not _alive(pid):
        return None
    return Running(pid=pid, sandbox_url=data.get("sandbox_url"), lab_url=data.get("lab_url"))


class ExploreLock:
    """The claim on one database; :meth:`update` records the URLs, :meth:`release` removes the file."""

    def __init__(self, path: Path | None) -> None:
        self.path = path  # None: an in-memory database, shared with nobody, so nothing to write
        self._data: dict = {"pid": os.getpid()}

    def update(self, **urls: str) -> None:
        self._data.update(urls)
        if self.path is None:
            return
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(self._data, out)
        os.replace(tmp, self.path)  # a reader sees the old content or the new, never half

    def release(self) -> None:
        # still ours (or stale): remove it; never another process's claim
        if self.path is not None and _read(self.path) is None:
            self.path.unlink(missing_ok=True)


def forget(db: str | Path) -> None:
    """Remove a lock whose explore no longer answers (its pid now belongs to some other process)."""
    lock_path(db).unlink(missing_ok=True)


def claim(db: str | Path) -> ExploreLock | Running:
    """Claim ``db`` for this process (an :class:`ExploreLock`), or the :class:`Running` explore that holds it.

    An in-memory database (``:memory:``) is never shared, so it is always claimed without a file."""
    if str(db) == ":memory:":
        return ExploreLock(None)
    path = lock_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            running = _read(path)
            if running is not None:
                return running
            path.unlink(missing_ok=True)  # stale: its process has gone
            continue
        lock = ExploreLock(path)
        with os.fdopen(fd, "w") as out:
            json.dump(lock._data, out)
        return lock
    raise FileExistsError(f"{path}: another telnyx-nb explore is claiming this database right now; try again")
