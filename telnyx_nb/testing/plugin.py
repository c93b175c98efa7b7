"""pytest plugin: a strict Telnyx OAuth sandbox in your tests (entry point ``pytest11: telnyx_nb``).

Fixtures (see docs/testing.md):

- ``telnyx_sandbox`` — function-scoped, a fresh store per test; a ``SandboxHarness``.
- ``telnyx_sandbox_session`` — one sandbox for the whole session (state carries over between tests).
- ``telnyx_oauth`` — a ``TelnyxOAuth`` on ``telnyx_sandbox``, in-process.

Choose the seed and sandbox options with ``@pytest.mark.telnyx_sandbox(seed="empty", access_token_ttl=60)``
(``rate_limit="20/s"`` limits each credential as a rate-limited Telnyx account would: ``x-ratelimit-*`` headers,
429 with code 10011; the windows start full in every test and follow the sandbox clock) or
``@pytest.mark.parametrize("telnyx_sandbox", ["demo", "grants=500"], indirect=True)``; the session sandbox's seed
is the ``telnyx_sandbox_seed`` ini option. Opt out with ``-p no:telnyx_nb``.

``SandboxPool`` keeps one built sandbox per set of options for a whole test session and hands it out with its
database restored from a snapshot taken right after seeding (SQLite's backup API, well under a millisecond), so
each test sees a fresh store without paying for a new app, seed and signing key.

This module imports nothing but pytest at load time: a project that does not use the fixtures pays nothing.
"""

from __future__ import annotations

import pytest

MARKER = "telnyx_sandbox"


def pytest_addoption(parser):
    parser.addini("telnyx_sandbox_seed",
                  "seed of the telnyx_sandbox_session fixture: demo, empty, grants=N or accounts=N,grants=M",
                  default="demo")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", f"{MARKER}(seed='demo', **options): the seed ('demo', 'empty', 'grants=N', "
                   "'accounts=N,grants=M') and Sandbox options (e.g. access_token_ttl=60, rate_limit='20/s') of the "
                   "telnyx_sandbox fixture")


def _options(request) -> dict:
    options: dict = {}
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None:
        if marker.args:
            options["seed"] = marker.args[0]
        options.update(marker.kwargs)
    param = getattr(request, "param", None)
    if isinstance(param, str):
        options["seed"] = param
    elif isinstance(param, dict):
        options.update(param)
    elif param is not None:
        raise pytest.UsageError(f"telnyx_sandbox parameters are a seed string or a dict of Sandbox options, "
                                f"not {param!r}")
    return options


@pytest.fixture(scope="session")
def _telnyx_sandbox_pool():
    pool = SandboxPool()
    yield pool
    pool.close()


@pytest.fixture
def telnyx_sandbox(request, _telnyx_sandbox_pool):
    """A Telnyx OAuth sandbox with a fresh store for this test (in-process; ``.base_url`` starts loopback)."""
    from telnyx_nb.testing.harness import SandboxHarness

    harness = SandboxHarness(_telnyx_sandbox_pool.fresh(**_options(request)))
    yield harness
    harness.close()


@pytest.fixture(scope="session")
def telnyx_sandbox_session(request, _telnyx_sandbox_pool):
    """One sandbox for the whole session: what a test writes, the next one sees."""
    from telnyx_nb.testing.harness import SandboxHarness

    seed = request.config.getini("telnyx_sandbox_seed") or "demo"
    harness = SandboxHarness(_telnyx_sandbox_pool.new(seed=seed), owned=True)
    yield harness
    harness.close()


@pytest.fixture
def telnyx_oauth(telnyx_sandbox):
    """A ``TelnyxOAuth`` on ``telnyx_sandbox`` (API key, demo client, sandbox clock), in-process."""
    return telnyx_sandbox.oauth()


# ----- the sandboxes behind the fixtures -----------------------------------------------------------------
def _new_demo_secret(sandbox) -> None:
    """Give the restored demo client a secret of its own: clients that cache tokens per credentials for the
    whole process (the official SDK does, with an lru_cache) would otherwise send the last test's token."""
    if not sandbox.demo_client_id or not sandbox.demo_client_secret:
        return
    import json
    import secrets

    from telnyx_nb.sandbox.store.database import digest

    secret = secrets.token_urlsafe(36)
    with sandbox.store.write() as db:
        db.execute("UPDATE clients SET secret_hash = ? WHERE client_id = ?", (digest(secret), sandbox.demo_client_id))
        db.execute("UPDATE settings SET value = ? WHERE key = 'demo_client'",
                   (json.dumps([sandbox.demo_client_id, secret]),))
    sandbox.demo_client_secret = secret


class SandboxPool:
    """Built sandboxes by options, each with a snapshot of its freshly seeded database, for a whole session."""

    def __init__(self) -> None:
        self._keyring = None
        self._entries: dict[str, tuple] = {}  # options → (sandbox, sqlite3 snapshot)

    @property
    def keyring(self):
        """One signing key for every sandbox of the session (generated on first use)."""
        if self._keyring is None:
            from joserfc.jwk import RSAKey

            from telnyx_nb.sandbox.protocol.keys import KeyRing, new_private_jwk

            self._keyring = KeyRing(RSAKey.import_key(new_private_jwk()))
        return self._keyring

    def new(self, **options):
        """A new started (not serving) sandbox on a throwaway database, signing with the session key."""
        from telnyx_nb.sandbox.web.server import Sandbox

        options.setdefault("db", ":memory:")
        options.setdefault("signing_key", self.keyring)
        return Sandbox(**options).start(serve=False)

    def fresh(self, **options):
        """The pooled sandbox for ``options``, its database back to the seeded snapshot, faults and clock reset."""
        import sqlite3

        options.setdefault("seed", "demo")
        key = repr(sorted(options.items()))
        entry = self._entries.get(key)
        if entry is not None and entry[0].app is None:  # a test stopped it: build another
            entry = None
        if entry is None:
            sandbox = self.new(**options)
            snapshot = sqlite3.connect(":memory:", check_same_thread=False)
            sandbox.store.conn().backup(snapshot)
            self._entries[key] = (sandbox, snapshot)
            return sandbox
        sandbox, snapshot = entry
        snapshot.backup(sandbox.store.conn())
        sandbox.store.forget_list_caches()  # the restored generations repeat: remembered totals would lie
        sandbox.faults.clear()
        sandbox.rate_limits.reset()  # every test starts with full windows
        sandbox.clock.reset()
        _new_demo_secret(sandbox)
        return sandbox

    def close(self) -> None:
        for sandbox, snapshot in self._entries.values():
            sandbox.stop()
            snapshot.close()
        self._entries.clear()
