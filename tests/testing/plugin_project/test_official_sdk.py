"""The official ``telnyx`` SDK in client-credentials mode, offline, on ``telnyx_sandbox.httpx_transport()``."""

import httpx
import pytest

telnyx = pytest.importorskip("telnyx")


def sdk(telnyx_sandbox, seen=None):
    hooks = {"request": [lambda request: seen.append(str(request.url))]} if seen is not None else {}
    return telnyx.Telnyx(client_id=telnyx_sandbox.demo_client_id, client_secret=telnyx_sandbox.demo_client_secret,
                         base_url=telnyx_sandbox.in_process_base_url, _strict_response_validation=True,
                         max_retries=0,
                         http_client=httpx.Client(transport=telnyx_sandbox.httpx_transport(), event_hooks=hooks))


def test_sdk_fetches_its_token_from_api_telnyx_com_and_lists_clients_and_grants(telnyx_sandbox, telnyx_oauth):
    seen = []
    with sdk(telnyx_sandbox, seen) as client:
        clients = client.oauth_clients.list(page_size=100)
        grants = client.oauth_grants.list(page_size=100)
    assert seen[0] == "https://api.telnyx.com/v2/oauth/token"  # where the SDK always asks, served in-process
    assert all(url.startswith(telnyx_sandbox.in_process_base_url) for url in seen[1:])
    ours_clients, ours_grants = telnyx_oauth.list_clients(page_size=100), telnyx_oauth.list_grants(page_size=100)
    assert [c.client_id for c in clients.data] == [c.client_id for c in ours_clients]
    assert [g.id for g in grants.data] == [g.id for g in ours_grants]
    assert (clients.meta.total_results, grants.meta.total_results) == (ours_clients.total_results,
                                                                       ours_grants.total_results)
    assert grants.meta.total_results > 100  # the demo seed


def test_sdk_sees_a_client_the_test_created(telnyx_sandbox):
    made = telnyx_sandbox.create_client("Made by the test", allowed_grant_types=["client_credentials"])
    with sdk(telnyx_sandbox) as client:
        found = client.oauth_clients.retrieve(made["client_id"])
    assert found.data.name == "Made by the test"


@pytest.mark.telnyx_sandbox(seed="empty")
def test_an_empty_seed_lists_nothing_to_the_sdk(telnyx_sandbox):
    made = telnyx_sandbox.create_client("Only client", allowed_grant_types=["client_credentials"],
                                        allowed_scopes=["admin"])
    with telnyx.Telnyx(client_id=made["client_id"], client_secret=made["client_secret"],
                       base_url=telnyx_sandbox.in_process_base_url, _strict_response_validation=True,
                       http_client=httpx.Client(transport=telnyx_sandbox.httpx_transport())) as client:
        assert [c.name for c in client.oauth_clients.list().data] == ["Only client"]
        assert client.oauth_grants.list().data == []


def test_a_wrong_client_secret_is_refused_to_the_sdk(telnyx_sandbox):
    with telnyx.Telnyx(client_id=telnyx_sandbox.demo_client_id, client_secret="not-the-secret",
                       base_url=telnyx_sandbox.in_process_base_url, max_retries=0,
                       http_client=httpx.Client(transport=telnyx_sandbox.httpx_transport())) as client:
        with pytest.raises(Exception) as caught:
            client.oauth_clients.list()
    assert "401" in str(caught.value) or "invalid_client" in str(caught.value)


def test_hosts_other_than_the_sandbox_and_api_telnyx_com_never_leave_the_process(telnyx_sandbox):
    with httpx.Client(transport=telnyx_sandbox.httpx_transport()) as client:
        with pytest.raises(httpx.ConnectError, match="not served in-process"):
            client.get("https://example.com/")
