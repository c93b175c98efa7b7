"""Rate limits in an outside project's tests: the marker's rate_limit option and the published 429 on demand."""

import pytest

from telnyx_nb.core.errors import RateLimitError

PUBLISHED = {"code": "10011", "title": "Too many requests",
             "detail": "You have exceeded the maximum number of allowed requests."}


@pytest.mark.telnyx_sandbox(rate_limit="3/min")
def test_the_marker_limits_each_credential(telnyx_sandbox):
    session = telnyx_sandbox.session()
    url = telnyx_sandbox.in_process_base_url + "/oauth_clients"
    headers = {"Authorization": f"Bearer {telnyx_sandbox.api_key}"}
    answers = [session.get(url, headers=headers) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert answers[-1].json()["errors"] == [PUBLISHED] and "Retry-After" not in answers[-1].headers
    telnyx_sandbox.clock.advance(60)  # the window follows the sandbox clock
    assert session.get(url, headers=headers).status_code == 200


@pytest.mark.telnyx_sandbox(rate_limit="3/min")
def test_every_test_starts_with_a_full_window(telnyx_sandbox):
    answer = telnyx_sandbox.session().get(telnyx_sandbox.in_process_base_url + "/oauth_clients",
                                          headers={"Authorization": f"Bearer {telnyx_sandbox.api_key}"})
    assert answer.headers["x-ratelimit-remaining"] == "2"


def test_one_published_429_on_demand_is_waited_out_by_the_api_module(telnyx_sandbox):
    with telnyx_sandbox.faults.too_many_requests("/v2/oauth_clients", reset=1) as fault:
        with telnyx_sandbox.oauth() as api:
            assert api.list_clients().total_results  # retried after x-ratelimit-reset
    assert fault.fired == 1
    with telnyx_sandbox.faults.too_many_requests("/v2/oauth_clients", reset=1):
        with telnyx_sandbox.oauth(max_retries=0) as api:
            with pytest.raises(RateLimitError) as caught:
                api.list_clients()
    assert caught.value.code == "10011" and caught.value.retry_after == 1
