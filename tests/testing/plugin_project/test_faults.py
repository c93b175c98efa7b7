"""Faults on demand: 429 with Retry-After, 5xx, a dropped connection — in-process and over loopback."""

import httpx
import pytest
import requests

from telnyx_nb.core.errors import APIConnectionError, RateLimitError, ServerError

telnyx = pytest.importorskip("telnyx")


def test_a_429_carries_retry_after_to_the_api_module(telnyx_sandbox):
    with telnyx_sandbox.oauth(max_retries=0) as api:
        with telnyx_sandbox.faults.rate_limit("/v2/oauth_clients", retry_after=2) as fault:
            with pytest.raises(RateLimitError) as caught:
                api.list_clients()
            assert api.list_clients().total_results  # the fault was for one request only
        assert caught.value.retry_after == 2 and fault.fired == 1


def test_a_429_with_retry_after_is_retried_and_then_succeeds(telnyx_oauth, telnyx_sandbox):
    with telnyx_sandbox.faults.rate_limit("/v2/oauth_grants", retry_after=0, count=2) as fault:
        assert telnyx_oauth.list_grants().total_results
    assert fault.fired == 2


def test_the_sdk_sees_the_429_and_its_retry_after(telnyx_sandbox):
    client = telnyx_sandbox.telnyx_client()
    with telnyx_sandbox.faults.rate_limit("/v2/oauth_grants", retry_after=7):
        with pytest.raises(telnyx.RateLimitError) as caught:
            client.oauth_grants.list()
    assert caught.value.response.headers["retry-after"] == "7"


def test_a_5xx_maps_to_server_error(telnyx_sandbox):
    with telnyx_sandbox.oauth(max_retries=0) as api:
        with telnyx_sandbox.faults.server_error("/v2/oauth/jwks", status=503):
            with pytest.raises(ServerError) as caught:
                api.jwks()
    assert caught.value.status == 503


def test_a_dropped_connection_is_a_connection_error_in_process(telnyx_sandbox):
    with telnyx_sandbox.faults.drop("/v2/oauth_clients", count=2):
        with pytest.raises(requests.ConnectionError):
            telnyx_sandbox.session().get(telnyx_sandbox.in_process_base_url + "/oauth_clients", timeout=5)
        with telnyx_sandbox.oauth(max_retries=0) as api:
            with pytest.raises(APIConnectionError, match="closed before an answer"):
                api.list_clients()


def test_a_dropped_token_request_is_not_retried_blindly_but_a_list_is(telnyx_sandbox):
    with telnyx_sandbox.oauth(max_retries=1) as api:
        with telnyx_sandbox.faults.drop("/v2/oauth_grants") as fault:
            assert api.list_grants().total_results  # GET: safe to replay after a drop
        assert fault.fired == 1
        code_drop = telnyx_sandbox.faults.drop("/v2/oauth/token")
        with pytest.raises(APIConnectionError):  # redeeming a refresh token must not be replayed
            api.refresh("some-refresh-token")
        assert code_drop.fired == 1


def test_a_dropped_connection_under_httpx_is_a_remote_protocol_error(telnyx_sandbox):
    with telnyx_sandbox.faults.drop("/v2/oauth/jwks"):
        with httpx.Client(transport=telnyx_sandbox.httpx_transport()) as client:
            with pytest.raises(httpx.RemoteProtocolError):
                client.get(telnyx_sandbox.in_process_base_url + "/oauth/jwks")


def test_a_dropped_connection_over_loopback_closes_the_socket_without_an_answer(telnyx_sandbox):
    url = telnyx_sandbox.base_url + "/oauth/jwks"
    with telnyx_sandbox.faults.drop("/v2/oauth/jwks"):
        with pytest.raises(requests.ConnectionError, match="without response|aborted"):
            requests.get(url, timeout=5)
    assert requests.get(url, timeout=5).status_code == 200


def test_a_bad_fault_names_the_field(telnyx_sandbox):
    with pytest.raises(ValueError, match="status"):
        telnyx_sandbox.faults.server_error("/v2/oauth_clients", status=418)
