"""Root pytest configuration: one sandbox for the whole test session, reached only over HTTP.

The sandbox is started here (not in a fixture) so that notebook kernels started by pytest-notebook inherit
``TELNYX_NB_SANDBOX`` from this process's environment. Credential variables are removed so that nothing in the
suite can reach the real Telnyx API by accident.
"""

from __future__ import annotations

import os

_CREDENTIAL_VARIABLES = ("TELNYX_API_KEY", "TELNYX_CLIENT_ID", "TELNYX_CLIENT_SECRET", "TELNYX_BASE_URL",
                        "TELNYX_NB_SANDBOX_API_KEY")
_session_sandbox = None


def pytest_sessionstart(session):
    global _session_sandbox
    for name in _CREDENTIAL_VARIABLES:
        os.environ.pop(name, None)
    from telnyx_nb.sandbox.server import Sandbox

    _session_sandbox = Sandbox(seed="demo", db=":memory:").start()
    os.environ["TELNYX_NB_SANDBOX"] = _session_sandbox.json_line()


def pytest_sessionfinish(session, exitstatus):
    if _session_sandbox is not None:
        _session_sandbox.stop()


def session_sandbox():
    """The sandbox shared by the whole session: treat its demo data as read-only."""
    return _session_sandbox
