"""The client against a rate-limited sandbox over real HTTP: it paces its paging by the ``x-ratelimit-*`` headers
and, when refused anyway, waits for the window's reset. Attempts are counted in the request log, never timed;
the only clock facts are the waits the client asked for (recorded, then taken)."""

from __future__ import annotations

import time

import pytest
import requests

from telnyx_nb import TelnyxOAuth
from telnyx_nb.api.auth import credential_name
from telnyx_nb.core.errors import RateLimitError


def logged(client: TelnyxOAuth) -> list:
    records: list = []
    client._send_loop.add_listener(records.append)
    return records


@pytest.fixture
def waits(monkeypatch):
    """Every retry wait the transport takes (seconds), still taken."""
    taken: list[float] = []
    real = time.sleep

    def sleep(seconds):
        taken.append(seconds)
        real(seconds)

    monkeypatch.setattr("telnyx_nb.api.send_loop.time.sleep", sleep)
    return taken


def arm_429(sb, path: str, **fault) -> None:
    armed = requests.post(f"{sb.root_url}/_sandbox/faults", json={"path": path, "status": 429, **fault},
                          headers={"Authorization": f"Bearer {sb.api_key}"}, timeout=10)
    assert armed.status_code in (200, 201), armed.text


def test_grants_df_and_clients_df_pace_themselves_through_20_a_second(make_sandbox):
    """32 requests through 20/s, 8 paging threads: every row, and at most a couple of 429s (unpaced, the same run
    meets a 429 for most requests past the first window)."""
    sb = make_sandbox(seed="grants=3000", rate_limit="20/s")
    with TelnyxOAuth.from_sandbox(sb) as client:
        records = logged(client)
        grants = client.grants_df(progress=False)
        clients = client.clients_df(progress=False)
    assert len(grants) == 3000 and grants["client_name"].notna().all()
    assert len(clients) == len(set(grants["client_id"]) | {sb.demo_client_id})
    statuses = [r.status for r in records]
    assert len(statuses) >= 30 and statuses.count(429) <= 2, statuses


def test_unpaced_the_same_paging_is_refused_and_paced_it_is_not(make_sandbox):
    sb = make_sandbox(seed="grants=3000", rate_limit="20/s")
    with TelnyxOAuth.from_sandbox(sb) as client:
        client._send_loop.pacer = None
        records = logged(client)
        client.grants_df(progress=False, with_clients=False)
    assert [r.status for r in records].count(429) >= 3  # the limit is real; pacing is what avoids it
    time.sleep(1.05)  # the next window
    with TelnyxOAuth.from_sandbox(sb) as client:
        records = logged(client)
        client.grants_df(progress=False, with_clients=False)
    assert [r.status for r in records].count(429) <= 1


def test_sequential_calls_wait_for_the_reset_instead_of_being_refused(make_sandbox, waits):
    sb = make_sandbox(seed="empty", rate_limit="2/s")
    with TelnyxOAuth.from_sandbox(sb) as client:
        records = logged(client)
        for _ in range(5):
            client.list_clients()
    assert [r.status for r in records] == [200] * 5
    assert waits == []  # no retry: the pacer held each request until its window had room


def test_a_429_without_retry_after_is_retried_after_the_window_reset(make_sandbox, waits):
    sb = make_sandbox(seed="empty")
    arm_429(sb, "/v2/oauth_clients", reset=2)
    with TelnyxOAuth.from_sandbox(sb) as client:
        records = logged(client)
        assert client.list_clients().items == ()
    assert [r.status for r in records] == [429, 200]
    assert waits == [2.0]  # x-ratelimit-reset, not the 0.5 s backoff guess


def test_a_reset_beyond_the_retry_budget_surfaces_at_once(make_sandbox, waits):
    sb = make_sandbox(seed="empty")
    arm_429(sb, "/v2/oauth_clients", reset=30)
    with TelnyxOAuth.from_sandbox(sb, max_retry_time=10) as client:
        records = logged(client)
        with pytest.raises(RateLimitError) as raised:
            client.list_clients()
    assert raised.value.retry_after == 30.0 and raised.value.code == "10011"
    assert [r.status for r in records] == [429] and waits == []


def test_each_credential_is_paced_in_its_own_window(make_sandbox):
    """The server counts per credential, so the client does too: the management credential's spent window is its
    own, and a request without credentials (discovery) is not held back by it."""
    sb = make_sandbox(seed="empty", rate_limit="2/min")
    with TelnyxOAuth.from_sandbox(sb) as client:
        transport = client._send_loop
        name = credential_name(transport.default_auth)
        for _ in range(2):
            client.list_clients()
        spent = transport.pacer.window(name)
        assert name != "anonymous" and (spent.limit, spent.allowance) == (2, 0)
        assert spent.deadline is not None and spent.deadline > time.monotonic()  # held until the minute ends
        assert transport.pacer.window("anonymous").reserve(time.monotonic()) == (0.0, 0)  # free to go
