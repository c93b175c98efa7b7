"""The plugin's in-process sessions end with their fixture (``SandboxHarness.close()`` is the fixture's teardown):
a session, adapter or transport used after it refuses with ``SandboxClosed`` naming the cause, while what the next
test takes from the same pooled sandbox works. tests/testing/plugin_project/test_teardown.py runs the same through the
plugin's fixtures."""

from __future__ import annotations

import httpx
import pytest
import requests

from telnyx_nb.sandbox.web.in_process import SandboxClosed
from telnyx_nb.testing.harness import SandboxHarness

WELL_KNOWN = "/.well-known/oauth-authorization-server"


def _handed_out(harness: SandboxHarness) -> dict:
    adapter_session = requests.Session()
    adapter_session.mount("http://", harness.requests_adapter())
    return {"session": harness.session(), "adapter": adapter_session,
            "transport": httpx.Client(transport=harness.httpx_transport()), "httpx_client": harness.httpx_client(),
            "raw": harness.sandbox.requests_session(), "oauth": harness.oauth()}


def _get(thing, root):
    return thing.list_clients() if hasattr(thing, "list_clients") else thing.get(root + WELL_KNOWN)


def test_what_a_test_took_refuses_after_its_teardown_and_the_next_test_is_served(pool):
    first = SandboxHarness(pool.fresh(seed="empty"))
    root = first.in_process_base_url.rsplit("/v2", 1)[0]
    taken = _handed_out(first)
    for name, thing in taken.items():
        answer = _get(thing, root)
        assert getattr(answer, "status_code", 200) == 200, name
    first.close()  # the fixture's teardown

    second = SandboxHarness(pool.fresh(seed="empty"))
    assert second.sandbox is first.sandbox  # pooled: the same app, a fresh store
    for name, thing in taken.items():
        with pytest.raises(RuntimeError) as info:  # SandboxClosed; httpx's own for a client the harness closed
            _get(thing, root)
        message = str(info.value)
        assert "torn down" in message or "closed" in message, (name, message)
        assert isinstance(info.value, SandboxClosed) or name == "httpx_client", name
    assert "telnyx_sandbox" in str(pytest.raises(SandboxClosed, _get, taken["raw"], root).value)
    fresh = _handed_out(second)
    for name, thing in fresh.items():
        assert getattr(_get(thing, root), "status_code", 200) == 200, name
    second.close()

    third = SandboxHarness(pool.fresh(seed="empty"))  # every teardown retires, not only the first
    with pytest.raises(SandboxClosed, match="torn down"):
        _get(fresh["raw"], root)
    assert third.session().get(root + WELL_KNOWN, timeout=5).status_code == 200
    third.close()


def test_a_closed_session_or_client_refuses_at_once(pool):
    harness = SandboxHarness(pool.fresh(seed="empty"))
    root = harness.in_process_base_url.rsplit("/v2", 1)[0]
    session = harness.sandbox.requests_session()
    session.close()
    with pytest.raises(SandboxClosed, match="closed"):
        session.get(root + WELL_KNOWN)
    client = httpx.Client(transport=harness.httpx_transport())
    client.close()
    with pytest.raises(RuntimeError, match="closed"):
        client.get(root + WELL_KNOWN)
    transport = harness.httpx_transport()
    transport.close()
    with pytest.raises(SandboxClosed, match="closed"):
        httpx.Client(transport=transport).get(root + WELL_KNOWN)
    harness.close()
