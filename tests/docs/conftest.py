"""The docs test's worlds (docs_runner.DocWorld: a throwaway demo sandbox and a working directory per document)
live as long as this folder's tests; this tears them down after the last one."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def docs_worlds():
    import docs_runner

    yield
    docs_runner.close_worlds()
