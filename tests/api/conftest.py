"""Fixtures of the API module's tests: ``canned``, a scripted server for answers the sandbox never gives."""

from __future__ import annotations

import pytest
from canned_server import serve

from telnyx_nb import TelnyxOAuth

API_KEY = "KEY0123456789abcdefghijklmnopqrstuv"


@pytest.fixture
def canned():
    """``canned.answers[path] = (status, content_type, body)``; ``canned.seen`` lists request paths;
    ``canned.client`` is a ``TelnyxOAuth`` on it (API key, no retries)."""

    class State:
        answers: dict[str, tuple[int, str, bytes]] = {}
        seen: list[str] = []

    state = State()

    def respond(method, path, headers):
        state.seen.append(path)
        default = (404, "application/json", b'{"errors": [{"code": "10005", "title": "Not found"}]}')
        status, ctype, body = state.answers.get(path.split("?")[0], default)
        return status, {"content-type": ctype}, body

    with serve(respond) as base_url:
        state.base_url = base_url
        state.client = TelnyxOAuth(API_KEY, base_url=state.base_url, max_retries=0, timeout=5)
        yield state
        state.client.close()
