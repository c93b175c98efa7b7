"""Root pytest configuration: one sandbox for the whole test session, reached only over HTTP.

The sandbox is started here (not in a fixture) so that notebook kernels started by pytest-notebook inherit
``TELNYX_NB_SANDBOX`` from this process's environment. Credential variables are removed so that nothing in the
suite can reach the real Telnyx API by accident.

The shared sandbox is read-only in fact, not by convention: its clients, grants and settings are snapshotted at
session start and compared after the last test of each module; a module that changed them gets a teardown error
naming it (and the rows that changed), which fails the session. Tests that write use ``make_sandbox``.
"""

from __future__ import annotations

import os
import sqlite3

import pytest

_CREDENTIAL_VARIABLES = ("TELNYX_API_KEY", "TELNYX_CLIENT_ID", "TELNYX_CLIENT_SECRET", "TELNYX_BASE_URL",
                        "TELNYX_NB_SANDBOX_API_KEY")
_session_sandbox = None


def pytest_addoption(parser):
    parser.addoption("--reverse-order", action="store_true", default=False,
                     help="run the collected tests last to first (finds tests that depend on running after others)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--reverse-order"):
        items.reverse()


def pytest_sessionstart(session):
    global _session_sandbox
    for name in _CREDENTIAL_VARIABLES:
        os.environ.pop(name, None)
    from telnyx_nb.sandbox.web.server import Sandbox

    _session_sandbox = Sandbox(seed="demo", db=":memory:").start()
    os.environ["TELNYX_NB_SANDBOX"] = _session_sandbox.json_line()
    _guard["snapshot"] = _snapshot()


def pytest_sessionfinish(session, exitstatus):
    if _session_sandbox is not None:
        changed = _changes()
        _session_sandbox.stop()
        if changed:  # a write no module boundary caught (e.g. from a session-scoped fixture's teardown)
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
            reporter = session.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(f"the shared session sandbox was changed: {changed}", red=True)


# ------------------------------------------------------------------------------ the shared sandbox stays as seeded
_GUARDED_TABLES = {"clients": "client_id", "grants": "id", "settings": "key"}
_guard: dict = {}


def _snapshot() -> dict[str, dict]:
    """Every row of the guarded tables, read through a separate read-only connection to the sandbox's file."""
    db = sqlite3.connect(f"file:{_session_sandbox.store.path}?mode=ro", uri=True, timeout=5.0)
    try:
        db.row_factory = sqlite3.Row
        return {table: {row[key]: tuple(row) for row in db.execute(f"SELECT * FROM {table}")}
                for table, key in _GUARDED_TABLES.items()}
    finally:
        db.close()


def _changes() -> str:
    """'' when the shared sandbox still holds what it was seeded with, else which rows were added, removed or
    changed (ids only: rows hold secret hashes). The new state becomes the baseline, so one culprit is named once."""
    if _session_sandbox is None or not _session_sandbox.running or "snapshot" not in _guard:
        return ""
    before, after = _guard["snapshot"], _snapshot()
    _guard["snapshot"] = after
    parts = []
    for table in _GUARDED_TABLES:
        old, new = before[table], after[table]
        added = sorted(set(new) - set(old))
        removed = sorted(set(old) - set(new))
        changed = sorted(k for k in set(old) & set(new) if old[k] != new[k])
        for what, keys in (("added", added), ("removed", removed), ("changed", changed)):
            if keys:
                parts.append(f"{table} {what}: {', '.join(map(str, keys[:5]))}{' …' if len(keys) > 5 else ''}")
    return "; ".join(parts)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    """After the last test of a module (its module fixtures torn down too), check the shared sandbox."""
    if nextitem is not None and getattr(nextitem, "module", None) is getattr(item, "module", None):
        return
    changed = _changes()
    if changed:
        where = item.module.__name__ if getattr(item, "module", None) is not None else item.nodeid
        pytest.fail(f"{where} changed the shared session sandbox ({changed}); tests that write must use "
                    "their own sandbox (the make_sandbox fixture)", pytrace=False)


def session_sandbox():
    """The sandbox shared by the whole session: treat its demo data as read-only."""
    return _session_sandbox
