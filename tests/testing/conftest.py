"""The testing kit's own tests: one ``SandboxPool`` per module, as the plugin keeps one per session."""

from __future__ import annotations

import pytest

from telnyx_nb.testing.plugin import SandboxPool


@pytest.fixture(scope="module")
def pool():
    pool = SandboxPool()
    yield pool
    pool.close()
