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
    from telnyx_nb.testing.harness import SandboxPool

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
