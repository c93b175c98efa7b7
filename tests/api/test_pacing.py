"""Pacing by the rate-limit headers (``telnyx_nb.api.pacing``) and the 429 wait (``retry.py``), decision by decision:
no server, no sleeping. Over HTTP against a rate-limited sandbox: tests/api/test_rate_limited_paging.py."""

from __future__ import annotations

import threading

import pytest
import requests

from telnyx_nb.api.auth import BearerKey, ClientBasic, ClientCredentialsToken, credential_name
from telnyx_nb.api.pacing import MAX_PACE_WAIT, WAIT_FOR_ANSWER, Limits, Pacer, Window, read_limits
from telnyx_nb.api.retry import INITIAL_RETRY_DELAY, RetryPolicy, parse_rate_limit_reset


def headers(limit=20, remaining=19, reset=1) -> dict:
    return {"x-ratelimit-limit": str(limit), "x-ratelimit-remaining": str(remaining), "x-ratelimit-reset": str(reset)}


def go(window: Window, now: float = 0.0) -> int:
    """Reserve a request that must go at once; its generation."""
    wait, generation = window.reserve(now)
    assert wait == 0.0 and generation >= 0, (wait, generation)
    return generation


# ------------------------------------------------------------------------------------------------ the headers
def test_the_three_headers_are_read_in_any_case():
    assert read_limits({"X-RateLimit-Limit": "20", "x-ratelimit-remaining": " 7 ", "X-RATELIMIT-RESET": "1"}) \
        == Limits(20, 7, 1)


@pytest.mark.parametrize("given", [None, {}, {"x-ratelimit-limit": "20", "x-ratelimit-remaining": "3"},
                                   headers(remaining="many"), headers(reset="1.5"), headers(remaining=-1)])
def test_missing_or_unreadable_headers_are_no_advice(given):
    assert read_limits(given) is None


# ------------------------------------------------------------------------------------------ one window's rules
def test_without_headers_nothing_is_paced():
    window = Window()
    for _ in range(100):
        go(window)
        window.observe(0.0, 0, None)
    assert window.allowance is None and window.in_flight == 0


def test_the_window_is_spent_then_the_next_request_waits_for_the_reset():
    window = Window()
    window.observe(0.0, go(window), Limits(3, 2, 1))  # the answer: 2 left, the window resets in 1 s
    go(window, 0.1)
    go(window, 0.2)
    assert window.reserve(0.25) == (0.75, -1)  # spent: wait until the deadline (0 + 1 s), not a second more
    assert window.reserve(0.9) == (pytest.approx(0.1), -1)


def test_at_the_deadline_a_new_window_starts_with_the_published_limit():
    window = Window()
    window.observe(0.0, go(window), Limits(3, 0, 2))
    assert window.reserve(1.99)[1] == -1
    assert go(window, 2.0) == 1  # exactly at the deadline: the next generation
    assert window.allowance == 2 and window.deadline is None  # the limit, less the request that opened it
    go(window, 2.0)
    go(window, 2.0)
    assert window.reserve(2.0) == (WAIT_FOR_ANSWER, -1)  # spent again before any answer told the new deadline


def test_the_first_answer_counts_the_requests_still_in_flight():
    window = Window()
    first = go(window)
    go(window)
    go(window)
    window.observe(0.0, first, Limits(20, 10, 1))  # two others are out; the server may not have counted them
    assert window.allowance == 8


def test_the_allowance_only_goes_down_within_a_window():
    window = Window()
    window.observe(0.0, go(window), Limits(20, 5, 1))
    window.observe(0.0, go(window), Limits(20, 7, 1))  # an answer overtaken by a later one: old news
    assert window.allowance == 4
    window.observe(0.0, go(window), Limits(20, 1, 1))  # someone else shares the credential
    assert window.allowance == 1


def test_the_deadline_only_moves_earlier_within_a_window():
    window = Window()
    window.observe(0.0, go(window), Limits(20, 19, 5))
    assert window.deadline == 5.0
    window.observe(1.0, go(window, 1.0), Limits(20, 18, 1))
    assert window.deadline == 2.0
    window.observe(1.5, go(window, 1.5), Limits(20, 17, 3))
    assert window.deadline == 2.0


def test_an_answer_from_a_replaced_window_changes_only_the_limit():
    window = Window()
    window.observe(0.0, go(window), Limits(2, 1, 1))
    late = go(window)
    assert go(window, 1.0) == 1  # the window was spent at 0: this one starts the next at 1 s
    window.observe(1.01, late, Limits(5, 0, 1))  # sent in generation 0, answered after the reset
    assert window.allowance == 1 and window.deadline is None and window.limit == 5


def test_a_wait_longer_than_max_wait_is_not_taken():
    window = Window()
    window.observe(0.0, go(window), Limits(1, 0, 3600))
    assert window.reserve(0.0, max_wait=MAX_PACE_WAIT) == (0.0, 0)  # an hourly window: go, let the 429 speak
    window = Window()
    window.observe(0.0, go(window), Limits(1, 0, 60))
    assert window.reserve(0.0, max_wait=60.0) == (60.0, -1)  # exactly the bound is still waited


def test_a_spent_window_with_nothing_in_flight_and_no_deadline_does_not_wait_forever():
    window = Window()
    window.observe(0.0, go(window), Limits(1, 0, 1))
    assert go(window, 1.0) == 1  # new window, allowance 0 after this one, its deadline unknown
    window.observe(1.0, 0, None)  # ... and its answer never came (a dropped connection)
    assert window.in_flight == 0
    assert go(window, 1.0) == 1


def test_in_flight_never_goes_below_zero():
    window = Window()
    window.observe(0.0, 0, None)
    assert window.in_flight == 0


# ------------------------------------------------------------------------------------------ the shared pacer
class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def acquire_within(pacer: Pacer, credential: str, seconds: float = 5.0) -> threading.Event:
    """``pacer.acquire(credential)`` on a daemon thread; the event is set once it returned (a pacer that never
    lets a request go fails the test instead of hanging it)."""
    went = threading.Event()
    threading.Thread(target=lambda: (pacer.acquire(credential), went.set()), daemon=True).start()
    return went


def test_a_fresh_credential_goes_at_once_and_credentials_have_separate_windows():
    pacer = Pacer(clock=FakeClock())
    assert acquire_within(pacer, "api_key").wait(5)
    pacer.release(("api_key", 0, 0.0), headers(limit=1, remaining=0, reset=30))
    assert acquire_within(pacer, "client:abc").wait(5)  # another credential goes at once
    assert pacer.window("api_key").reserve(100.0) == (30.0, -1)


def test_waiting_threads_go_when_the_window_resets():
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    pacer.release(pacer.acquire("api_key"), headers(limit=2, remaining=0, reset=30))
    went = acquire_within(pacer, "api_key")
    assert not went.wait(0.2)  # held back: the window is spent for 30 s
    clock.now += 30
    pacer.release(pacer.acquire("other"), None)  # any answer wakes the waiters, who look at the clock again
    assert went.wait(5)  # at once, not after the 30 s the waiter had planned to sleep


def test_credential_names_never_hold_the_secret():
    key = "KEY" + "x" * 55
    names = [credential_name(None), credential_name(BearerKey(key)), credential_name(ClientBasic("cid", "s3cret")),
             credential_name(ClientCredentialsToken(lambda: None))]
    assert names == ["anonymous", "api_key", "client:cid", "ClientCredentialsToken"]
    assert credential_name(requests.auth.HTTPBasicAuth("other", "pw")) == "client:other"


# ------------------------------------------------------------------------------------------- the 429 wait
def policy(**kwargs) -> RetryPolicy:
    kwargs.setdefault("random", lambda: 0.0)
    return RetryPolicy(**kwargs)


@pytest.mark.parametrize("idempotent", [True, False])
def test_a_429_without_retry_after_waits_for_the_window_reset(idempotent):
    wait = policy().wait(status=429, headers=headers(remaining=0, reset=3), idempotent=idempotent, retries_taken=0)
    assert wait == 3.0


def test_retry_after_wins_over_the_reset():
    both = {**headers(remaining=0, reset=5), "Retry-After": "2"}
    assert policy().wait(status=429, headers=both, idempotent=True, retries_taken=0) == 2.0


def test_a_reset_of_zero_means_now():
    assert policy().wait(status=429, headers=headers(remaining=0, reset=0), idempotent=True, retries_taken=0) == 0.0


def test_a_reset_beyond_max_retry_after_is_not_waited_for():
    p = policy()
    assert p.wait(status=429, headers=headers(reset=60), idempotent=True, retries_taken=0) == 60.0
    assert p.wait(status=429, headers=headers(reset=61), idempotent=True, retries_taken=0) is None


def test_the_reset_is_only_a_429s_wait():
    assert policy().wait(status=503, headers=headers(reset=7), idempotent=True, retries_taken=0) \
        == INITIAL_RETRY_DELAY


def test_an_unreadable_reset_falls_back_to_backoff():
    assert policy().wait(status=429, headers={"x-ratelimit-reset": "soon"}, idempotent=True, retries_taken=0) \
        == INITIAL_RETRY_DELAY


def test_the_reset_does_not_lift_the_retry_count():
    assert policy(max_retries=1).wait(status=429, headers=headers(reset=1), idempotent=True, retries_taken=1) is None


@pytest.mark.parametrize(("given", "seconds"), [({"X-RateLimit-Reset": "4"}, 4.0), ({"x-ratelimit-reset": " 0"}, 0.0),
                                                ({"x-ratelimit-reset": "-1"}, None), ({"x-ratelimit-reset": "1.5"}, None),
                                                ({}, None), (None, None)])
def test_parse_rate_limit_reset(given, seconds):
    assert parse_rate_limit_reset(given) == seconds


def test_a_rate_limit_error_carries_the_reset_as_its_wait():
    from telnyx_nb.api.error_mapping import error_from_response

    response = requests.Response()
    response.status_code = 429
    response.headers.update(headers(remaining=0, reset=9))
    response._content = b'{"errors": [{"code": "10011", "title": "Too many requests", "detail": "x"}]}'
    response.url = "http://127.0.0.1:1/v2/oauth_grants"
    error = error_from_response(response)
    assert type(error).__name__ == "RateLimitError" and error.retry_after == 9.0


def test_the_pacer_keeps_the_most_recently_used_credentials_windows():
    """A bounded table (a client minting many credentials cannot grow it): the least recently used window goes
    first, and only once more than MAX_CREDENTIALS are known."""
    from telnyx_nb.api.pacing import MAX_CREDENTIALS

    pacer = Pacer(clock=FakeClock())
    pacer.release(pacer.acquire("first"), headers(limit=1, remaining=0, reset=30))
    for i in range(MAX_CREDENTIALS - 1):
        pacer.window(f"other-{i}")
    assert pacer.window("first").allowance == 0  # MAX_CREDENTIALS windows: all kept
    newest = pacer.window("newest")  # one more: the least recently used (other-0) goes, not the newest
    assert pacer.window("newest") is newest and pacer.window("first").allowance == 0
