"""Fixtures shared by the test modules.

``sandbox`` is the session's shared sandbox (demo data; do not change it: notebooks and audit tests rely on the
planted cases). Tests that write get their own server from ``make_sandbox``.
"""

from __future__ import annotations

import pytest

# An outside project's tests of the pytest plugin: run as their own session by test_plugin_in_an_outside_project.py.
collect_ignore = ["testing/plugin_project"]


@pytest.fixture(scope="session")
def sandbox(pytestconfig):
    # `import conftest` would find this module itself (both are top-level "conftest"): ask pytest for the root one
    root_conftest = pytestconfig.pluginmanager.get_plugin(str(pytestconfig.rootpath / "conftest.py"))
    return root_conftest.session_sandbox()


@pytest.fixture(scope="session")
def shared_keyring():
    """One RS256 key for the session's in-memory sandboxes: making and checking an RSA key is most of a sandbox's
    start (about 0.1 s of 0.15 s), and the suite starts well over a thousand of them."""
    from joserfc.jwk import RSAKey

    from telnyx_nb.sandbox.protocol.keys import KeyRing, new_private_jwk

    return KeyRing(RSAKey.import_key(new_private_jwk()))


@pytest.fixture
def make_sandbox(shared_keyring):
    """Start throwaway sandboxes (``make_sandbox(seed="empty", db=path)``); all are stopped after the test.

    An in-memory sandbox signs with the session's shared key unless the test passes ``signing_key``; one with a
    database file makes its own, so a test of what a file keeps across restarts sees a key of that file's."""
    from telnyx_nb.sandbox.web.server import Sandbox

    started = []

    def factory(**kwargs):
        kwargs.setdefault("db", ":memory:")
        kwargs.setdefault("seed", "demo")
        if kwargs["db"] == ":memory:":
            kwargs.setdefault("signing_key", shared_keyring)
        sb = Sandbox(**kwargs).start()
        started.append(sb)
        return sb

    yield factory
    for sb in reversed(started):
        sb.stop()


@pytest.fixture
def custom_sandbox(make_sandbox):
    """A throwaway sandbox publishing a custom scope catalog (``oauth_helpers.CUSTOM_SCOPES``, not Telnyx's), for
    tests that need several scope names; empty, so its clients are the test's own."""
    from oauth_helpers import CUSTOM_SCOPES

    return make_sandbox(seed="empty", scopes=CUSTOM_SCOPES)


@pytest.fixture
def stock_binder(monkeypatch):
    """The environment of a Binder kernel: the hub's prefix (``hub_proxy_helpers.PREFIX``), no public URL."""
    from hub_proxy_helpers import hub_environment

    hub_environment(monkeypatch)


@pytest.fixture
def oauth(sandbox):
    """An API session on the shared sandbox (read-only demo data), closed after the test."""
    from telnyx_nb import TelnyxOAuth

    with TelnyxOAuth.from_sandbox(sandbox) as client:
        yield client


@pytest.fixture
def refused_port():
    """A loopback port held bound (so nobody else can take it) but not listening: connecting is refused."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]
