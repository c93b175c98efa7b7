"""What is retried, and when not: the retry rules of ``telnyx_nb.api.send_loop`` one at a time.

A canned loopback server (``tests/canned_server.py``) gives the answers the sandbox never gives (``x-should-retry``,
a 400 that asks for a retry, ``retry-after-ms``); the sandbox's fault injection gives the rest. Attempts are counted
with a request-log listener and on the server side, never by timing. The only clock checks are lower bounds on
waits the client must take (``time.sleep`` never returns early), never upper bounds.
"""

from __future__ import annotations

import email.utils
import time

import pytest
import requests
from canned_server import Script, serve, transport

from telnyx_nb import TelnyxOAuth
from telnyx_nb.api.request_log import RequestRecord
from telnyx_nb.api.retry import MAX_RETRY_AFTER, parse_retry_after
from telnyx_nb.api.send_loop import SendLoop
from telnyx_nb.core.errors import APIError, RateLimitError, ServerError

NOW = {"retry-after": "0"}  # "come back now": a retry that costs no wait


def case(method, status, headers, id, idempotent=None, **settings):
    """One row of a retry table: ``method`` answered ``status`` with ``headers``, on a transport with ``settings``;
    ``idempotent`` is the caller's say (None: the method decides)."""
    return pytest.param(method, status, headers, settings, idempotent, id=id)


def send(tx, method, idempotent):
    options = {} if idempotent is None else {"idempotent": idempotent}
    if method.upper() in ("POST", "PATCH"):
        options["json"] = {"name": "x"}
    return tx.request(method, "/oauth_clients", **options)


# ------------------------------------------------------------------------------ retried once, then it succeeds
@pytest.mark.parametrize("method,status,headers,settings,idempotent", [
    case("POST", 500, {"x-should-retry": "true", **NOW}, "x-should-retry true bypasses the idempotency rule"),
    case("GET", 400, {"x-should-retry": "true", **NOW}, "x-should-retry true retries an otherwise final status"),
    *(case("GET", s, NOW, f"a GET is retried on {s}") for s in (408, 409, 429, 500, 502, 503, 504, 599)),
    case("POST", 503, NOW, "a POST refused with 503 and Retry-After is retried"),
    case("POST", 500, NOW, "a POST the caller marks idempotent is retried on 500", idempotent=True),
    *(case(m, 500, NOW, f"{m} is idempotent, retried on 500") for m in ("PUT", "DELETE", "OPTIONS")),
    case("GET", 429, NOW, "a zero wait is retried within a small budget", max_retry_time=0.5),
])
def test_is_retried(method, status, headers, settings, idempotent):
    script = Script((status, headers), (201, {}))
    with serve(script) as base:
        tx, records = transport(base, max_retries=1, **settings)
        assert send(tx, method, idempotent).status_code == 201
    assert [r.status for r in records] == [status, 201]
    assert [m for m, _ in script.seen] == [method, method]


# ------------------------------------------------------------------------------ final: one attempt, its error raised
@pytest.mark.parametrize("method,status,headers,settings,idempotent", [
    case("GET", 503, {"x-should-retry": "false", **NOW}, "x-should-retry false stops a retryable GET"),
    case("GET", 429, {"x-should-retry": "false", **NOW}, "x-should-retry false stops even a 429"),
    *(case("GET", s, NOW, f"a GET is not retried on {s}") for s in (400, 401, 403, 404, 410, 422, 499)),
    *(case("POST", s, NOW, f"a POST is not replayed after {s}") for s in (500, 502, 504, 409, 408)),
    case("POST", 503, {}, "a POST is not retried on a 503 without Retry-After"),
    case("PATCH", 500, NOW, "PATCH is not idempotent"),
    case("get", 500, NOW, "a GET marked not idempotent is not retried", idempotent=False),
    case("GET", 429, {"retry-after": "2"}, "a wait past the retry budget is not taken", max_retry_time=1),
    case("GET", 503, {"retry-after": "0.2"}, "zero max_retry_time means no retry at all", max_retry_time=0),
    case("GET", 500, {}, "a backoff longer than the budget is not taken", max_retry_time=0.1),
])
def test_is_final(method, status, headers, settings, idempotent):
    script = Script((status, headers), (200, {}))
    with serve(script) as base:
        tx, records = transport(base, max_retries=3, **settings)
        with pytest.raises(RateLimitError if status == 429 else ServerError if status >= 500 else APIError) as info:
            send(tx, method, idempotent)
    assert info.value.status == status
    assert len(script.seen) == 1 and [r.status for r in records] == [status]


@pytest.mark.parametrize("retries", [0, 1, 2, 3])
def test_max_retries_is_the_number_of_extra_attempts(retries):
    script = Script((503, NOW))
    with serve(script) as base:
        tx, records = transport(base, max_retries=retries)
        with pytest.raises(ServerError):
            tx.request("GET", "/oauth_grants")
    assert len(script.seen) == retries + 1
    assert [r.attempt for r in records] == list(range(1, retries + 2))


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


@pytest.mark.parametrize("headers,budget,at_least", [
    ({"retry-after": "1"}, 1.5, 1.0),
    pytest.param({"retry-after-ms": "300", "retry-after": "120"}, 5, 0.3, id="retry-after-ms wins over retry-after"),
])
def test_a_retry_after_within_max_retry_time_is_waited_for(headers, budget, at_least):
    script = Script((429, headers), (200, {}))
    with serve(script) as base:
        tx, _records = transport(base, max_retries=1, max_retry_time=budget)
        started = time.monotonic()
        assert tx.request("GET", "/oauth_grants").status_code == 200
        assert time.monotonic() - started >= at_least  # it waited what it was told to (a lower bound only)
    assert len(script.seen) == 2


def test_retry_after_over_the_60_second_cap_is_surfaced_not_waited_for():
    assert parse_retry_after({"retry-after": str(MAX_RETRY_AFTER)}) == MAX_RETRY_AFTER  # the cap itself is waited
    script = Script((429, {"retry-after": str(int(MAX_RETRY_AFTER) + 1)}), (200, {}))
    with serve(script) as base:
        tx, _records = transport(base, max_retries=3, max_retry_time=3600)
        with pytest.raises(RateLimitError) as info:
            tx.request("GET", "/oauth_grants")
    assert info.value.retry_after == MAX_RETRY_AFTER + 1 and len(script.seen) == 1


def test_backoff_without_retry_after_waits_at_least_three_quarters_of_half_a_second_then_of_a_second():
    stamps: list[float] = []
    script = Script((503, {}), (503, {}), (200, {}))
    with serve(script) as base:
        tx = SendLoop(base, max_retries=2)
        tx.add_listener(lambda record: stamps.append(time.monotonic()))
        assert tx.request("GET", "/oauth_grants").status_code == 200
    # 0.5 s then 1 s, less at most 25 % jitter (lower bounds only: a sleep never ends early)
    assert stamps[1] - stamps[0] >= 0.375 and stamps[2] - stamps[1] >= 0.75


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "Infinity", "1e400"])
def test_a_retry_after_that_is_no_number_of_seconds_is_no_advice(value):
    """RFC 9110 §10.2.3: delay-seconds is digits. "nan" read by float() was a wait of 0 (an instant retry instead
    of the backoff) and "inf" a wait the error carried as infinity; both are unreadable: no advice, so the error
    falls back to x-ratelimit-reset (Telnyx's own header)."""
    script = Script((429, {"retry-after": value, "x-ratelimit-reset": "7"}))
    with serve(script) as base:
        tx, _records = transport(base, max_retries=0)
        with pytest.raises(RateLimitError) as info:
            tx.request("GET", "/oauth_grants")
    assert info.value.retry_after == 7.0


# ------------------------------------------------------------------------------------------- parse_retry_after
def _http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


@pytest.mark.parametrize("headers,seconds", [
    ({"retry-after-ms": "250"}, 0.25),
    ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
    ({"retry-after-ms": "soon", "retry-after": "2"}, 2.0),
    ({"retry-after-ms": "-5"}, 0.0),
    ({"retry-after-ms": "-500"}, 0.0),
    ({"retry-after": "-3"}, 0.0),
    ({"retry-after": "0"}, 0.0),
    ({"retry-after": _http_date(-30)}, 0.0),
    ({"retry-after": _http_date(-3600)}, 0.0),
    ({"retry-after": ""}, None),
    ({"retry-after-ms": ""}, None),
])
def test_parse_retry_after_edge_forms(headers, seconds):
    assert parse_retry_after(headers) == seconds


def test_an_http_date_retry_after_is_seconds_from_now():
    assert 28 <= parse_retry_after({"retry-after": _http_date(30)}) <= 31
