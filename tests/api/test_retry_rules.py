"""What is retried, and when not: the retry rules of ``telnyx_nb.api.transport`` one at a time.

A canned loopback server (``tests/canned_server.py``) gives the answers the sandbox never gives (``x-should-retry``,
a 400 that asks for a retry, ``retry-after-ms``); the sandbox's fault injection gives the rest. Attempts are counted
with a request-log listener and on the server side, never by timing. The only clock checks are lower bounds on
waits the client must take (``time.sleep`` never returns early), never upper bounds.
"""

from __future__ import annotations

import email.utils
import threading
import time

import pytest
import requests
from canned_server import serve

from telnyx_nb import TelnyxOAuth
from telnyx_nb.api.transport import (
    MAX_RETRY_AFTER,
    RequestRecord,
    Transport,
    parse_retry_after,
)
from telnyx_nb.errors import APIError, ConfigurationError, RateLimitError, ServerError

KEY = "KEY" + "r" * 32


class Script:
    """Answers in order (the last one repeats), counting what arrived."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.seen: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def __call__(self, method, path, headers):
        with self.lock:
            self.seen.append((method, path))
            status, extra = self.answers[min(len(self.seen), len(self.answers)) - 1]
        return status, extra, b'{"errors": [{"code": "x", "title": "scripted", "detail": "scripted answer"}]}'


def transport(base_url, **kwargs):
    tx = Transport(base_url, **kwargs)
    records: list[RequestRecord] = []
    tx.add_listener(records.append)
    return tx, records


# ------------------------------------------------------------------------------ the server's x-should-retry
def test_x_should_retry_true_bypasses_the_idempotency_rule_for_a_post():
    script = Script((500, {"x-should-retry": "true", "retry-after": "0"}), (200, {}))
    with serve(script) as base:
        tx, records = transport(base, max_retries=2)
        assert tx.request("POST", "/oauth_clients", json={"name": "x"}).status_code == 200
    assert [r.status for r in records] == [500, 200]
    assert [m for m, _ in script.seen] == ["POST", "POST"]


def test_x_should_retry_true_retries_even_a_status_that_is_never_retried():
    script = Script((400, {"x-should-retry": "true", "retry-after": "0"}), (200, {}))
    with serve(script) as base:
        tx, records = transport(base, max_retries=1)
        assert tx.request("GET", "/oauth_grants").status_code == 200
    assert [r.status for r in records] == [400, 200]


def test_x_should_retry_false_stops_a_retry_the_status_would_allow():
    script = Script((503, {"x-should-retry": "false", "retry-after": "0"}), (200, {}))
    with serve(script) as base:
        tx, records = transport(base, max_retries=3)
        with pytest.raises(ServerError) as info:
            tx.request("GET", "/oauth_grants")
    assert info.value.status == 503
    assert len(script.seen) == 1 and [r.status for r in records] == [503]


def test_x_should_retry_false_stops_even_a_429():
    script = Script((429, {"x-should-retry": "false", "retry-after": "0"}), (200, {}))
    with serve(script) as base:
        tx, _records = transport(base, max_retries=3)
        with pytest.raises(RateLimitError):
            tx.request("GET", "/oauth_grants")
    assert len(script.seen) == 1


def test_without_x_should_retry_a_post_is_not_replayed_after_a_500():
    script = Script((500, {"retry-after": "0"}), (200, {}))
    with serve(script) as base:
        tx, _records = transport(base, max_retries=2)
        with pytest.raises(ServerError):
            tx.request("POST", "/oauth_clients", json={"name": "x"})
    assert len(script.seen) == 1


def test_a_post_the_caller_marks_idempotent_is_replayed_after_a_500():
    script = Script((500, {"retry-after": "0"}), (200, {}))
    with serve(script) as base:
        tx, _records = transport(base, max_retries=2)
        assert tx.request("POST", "/oauth/introspect", data={"token": "t"}, idempotent=True).status_code == 200
    assert len(script.seen) == 2


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_retried_statuses_on_a_get(status):
    script = Script((status, {"retry-after": "0"}), (200, {}))
    with serve(script) as base:
        tx, _records = transport(base, max_retries=1)
        assert tx.request("GET", "/oauth_grants").status_code == 200
    assert len(script.seen) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(status):
    script = Script((status, {"retry-after": "0"}), (200, {}))
    with serve(script) as base:
        tx, _records = transport(base, max_retries=3)
        with pytest.raises(APIError) as info:
            tx.request("GET", "/oauth_grants")
    assert info.value.status == status and len(script.seen) == 1


@pytest.mark.parametrize("retries", [0, 1, 3])
def test_max_retries_is_the_number_of_extra_attempts(retries):
    script = Script((503, {"retry-after": "0"}))
    with serve(script) as base:
        tx, records = transport(base, max_retries=retries)
        with pytest.raises(ServerError):
            tx.request("GET", "/oauth_grants")
    assert len(script.seen) == retries + 1
    assert [r.attempt for r in records] == list(range(1, retries + 2))


def test_a_post_refused_with_503_and_retry_after_is_retried_but_not_a_502_with_it():
    script = Script((503, {"retry-after": "0"}), (201, {}))
    with serve(script) as base:
        tx, _records = transport(base, max_retries=1)
        assert tx.request("POST", "/oauth_clients", json={}).status_code == 201
    assert len(script.seen) == 2
    script = Script((502, {"retry-after": "0"}), (201, {}))
    with serve(script) as base:
        tx, _records = transport(base, max_retries=1)
        with pytest.raises(ServerError):
            tx.request("POST", "/oauth_clients", json={})
    assert len(script.seen) == 1


# --------------------------------------------------------------------------- when: Retry-After and the deadline
def test_retry_after_under_the_cap_but_beyond_max_retry_time_is_not_waited_for(make_sandbox):
    sb = make_sandbox(seed="empty")
    tx = TelnyxOAuth.from_sandbox(sb, max_retries=3, max_retry_time=2)
    records: list[RequestRecord] = []
    tx.add_listener(records.append)
    requests.post(f"{sb.root_url}/_sandbox/faults", json={"path": "/v2/oauth_grants", "count": 1, "status": 429,
                                                         "retry_after": 5},
                  headers={"Authorization": f"Bearer {sb.api_key}"}, timeout=5).raise_for_status()
    assert 5 < MAX_RETRY_AFTER  # the cap alone would wait: only the 2 s deadline refuses
    with pytest.raises(RateLimitError) as info:
        tx.list_grants()
    assert info.value.retry_after == pytest.approx(5, abs=0.01)
    assert len([r for r in records if "/oauth_grants" in r.url]) == 1


def test_retry_after_within_max_retry_time_is_waited_for():
    script = Script((429, {"retry-after": "1"}), (200, {}))
    with serve(script) as base:
        tx, _records = transport(base, max_retries=1, max_retry_time=1.5)
        started = time.monotonic()
        assert tx.request("GET", "/oauth_grants").status_code == 200
        assert time.monotonic() - started >= 1.0  # it waited the full second it was told to
    assert len(script.seen) == 2


def test_retry_after_over_the_60_second_cap_is_surfaced_not_waited_for():
    script = Script((429, {"retry-after": str(int(MAX_RETRY_AFTER) + 1)}), (200, {}))
    with serve(script) as base:
        tx, _records = transport(base, max_retries=3, max_retry_time=3600)
        with pytest.raises(RateLimitError) as info:
            tx.request("GET", "/oauth_grants")
    assert info.value.retry_after == MAX_RETRY_AFTER + 1 and len(script.seen) == 1


def test_zero_max_retry_time_means_no_retry_at_all():
    script = Script((503, {"retry-after": "0.2"}), (200, {}))
    with serve(script) as base:
        tx, _records = transport(base, max_retries=3, max_retry_time=0)
        with pytest.raises(ServerError):
            tx.request("GET", "/oauth_grants")
    assert len(script.seen) == 1


def test_retry_after_ms_wins_over_retry_after():
    script = Script((429, {"retry-after-ms": "300", "retry-after": "120"}), (200, {}))
    with serve(script) as base:
        tx, _records = transport(base, max_retries=1, max_retry_time=5)
        started = time.monotonic()
        assert tx.request("GET", "/oauth_grants").status_code == 200
        assert time.monotonic() - started >= 0.3
    assert len(script.seen) == 2


def test_backoff_without_retry_after_waits_at_least_three_quarters_of_half_a_second_then_of_a_second():
    stamps: list[float] = []
    script = Script((503, {}), (503, {}), (200, {}))
    with serve(script) as base:
        tx = Transport(base, max_retries=2)
        tx.add_listener(lambda record: stamps.append(time.monotonic()))
        assert tx.request("GET", "/oauth_grants").status_code == 200
    # 0.5 s then 1 s, less at most 25 % jitter (lower bounds only: a sleep never ends early)
    assert stamps[1] - stamps[0] >= 0.375 and stamps[2] - stamps[1] >= 0.75


def test_parse_retry_after_edge_forms():
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    assert parse_retry_after({"retry-after-ms": "-5"}) == 0.0
    assert parse_retry_after({"retry-after-ms": "soon", "retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after": "-3"}) == 0.0
    assert parse_retry_after({"retry-after": "0"}) == 0.0
    past = email.utils.formatdate(time.time() - 30, usegmt=True)
    assert parse_retry_after({"retry-after": past}) == 0.0
    assert parse_retry_after({"retry-after": ""}) is None


@pytest.mark.parametrize("bad", [-1, "1", True, None])
def test_max_retry_time_must_be_a_number_of_seconds(bad):
    with pytest.raises(ConfigurationError, match="max_retry_time"):
        Transport("http://127.0.0.1:9/v2", max_retry_time=bad)
