"""What a test takes from ``telnyx_sandbox`` ends with the test: kept in a global and used by the next test, every
session, adapter, transport and client refuses with an error saying why, and the next test's own work."""

import httpx
import pytest
import requests

from telnyx_nb.sandbox.web.in_process import SandboxClosed

LEAKED = {}
WELL_KNOWN = "/.well-known/oauth-authorization-server"


def test_a_test_keeps_what_the_fixture_hands_out(telnyx_sandbox):
    root = telnyx_sandbox.in_process_base_url.rsplit("/v2", 1)[0]
    adapter_session = requests.Session()
    adapter_session.mount("http://", telnyx_sandbox.requests_adapter())
    httpx_client = httpx.Client(transport=telnyx_sandbox.httpx_transport())
    LEAKED.update(root=root, session=telnyx_sandbox.session(), adapter_session=adapter_session,
                  httpx_client=httpx_client, harness_httpx=telnyx_sandbox.httpx_client(),
                  raw_session=telnyx_sandbox.sandbox.requests_session(), oauth=telnyx_sandbox.oauth())
    for name in ("session", "adapter_session", "raw_session"):
        assert LEAKED[name].get(root + WELL_KNOWN, timeout=5).status_code == 200, name
    for name in ("httpx_client", "harness_httpx"):
        assert LEAKED[name].get(root + WELL_KNOWN).status_code == 200, name
    assert LEAKED["oauth"].list_clients().total_results >= 1


@pytest.mark.parametrize("name", ["session", "adapter_session", "raw_session", "httpx_client", "harness_httpx",
                                  "oauth"])
def test_after_its_teardown_each_refuses_with_a_clear_error(telnyx_sandbox, name):
    leaked = LEAKED[name]
    with pytest.raises(RuntimeError, match="torn down|closed") as info:
        if name == "oauth":
            leaked.list_clients()
        else:
            leaked.get(LEAKED["root"] + WELL_KNOWN)
    # the fixture closed its own httpx client itself (httpx then says so); everything else is SandboxClosed
    assert isinstance(info.value, SandboxClosed) or name == "harness_httpx"
    if name in ("adapter_session", "raw_session", "httpx_client"):
        assert "telnyx_sandbox" in str(info.value) and "torn down" in str(info.value)
    # this test's own session is served
    assert telnyx_sandbox.session().get(LEAKED["root"] + WELL_KNOWN, timeout=5).status_code == 200
