"""The retry policy on its own (``telnyx_nb.api.retry``): every rule and edge, no server, no sleeping.

The same rules are exercised over real sockets in tests/api/test_retry_rules.py and tests/api/test_send_loop_edges.py;
here each decision is a function call, so the boundaries can be walked one by one.
"""

from __future__ import annotations

import dataclasses
import email.utils

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telnyx_nb.api.retry import (
    IDEMPOTENT_METHODS,
    INITIAL_RETRY_DELAY,
    MAX_RETRY_AFTER,
    MAX_RETRY_DELAY,
    RetryPolicy,
    parse_rate_limit_reset,
    parse_retry_after,
)
from telnyx_nb.core.errors import ConfigurationError


def policy(**kwargs) -> RetryPolicy:
    """A policy whose jitter is pinned to none, so a wait is exactly the backoff step."""
    kwargs.setdefault("random", lambda: 0.0)
    return RetryPolicy(**kwargs)


def wait(p: RetryPolicy, status, headers=None, *, idempotent=True, reached=True, retries_taken=0):
    return p.wait(status=status, headers=headers, reached=reached, idempotent=idempotent,
                  retries_taken=retries_taken)


# ----------------------------------------------------------------------------------------- what is retried
@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 599])
def test_retryable_statuses_are_retried_for_an_idempotent_request(status):
    assert wait(policy(), status) == INITIAL_RETRY_DELAY


@pytest.mark.parametrize("status", [200, 204, 302, 400, 401, 403, 404, 405, 407, 410, 413, 422, 428, 499])
def test_other_statuses_are_final(status):
    assert wait(policy(), status) is None


@pytest.mark.parametrize("status", [408, 409, 500, 502, 503, 504])
def test_a_non_idempotent_request_is_not_replayed_when_the_server_may_have_acted(status):
    assert wait(policy(), status, idempotent=False) is None


def test_a_non_idempotent_request_is_retried_on_429_the_server_refused_it():
    assert wait(policy(), 429, idempotent=False) == INITIAL_RETRY_DELAY


def test_a_non_idempotent_request_is_retried_on_503_with_retry_after_only():
    assert wait(policy(), 503, {"Retry-After": "2"}, idempotent=False) == 2.0
    assert wait(policy(), 503, {"Retry-After": "0"}, idempotent=False) == 0.0  # "now" is still a refusal
    assert wait(policy(), 503, {"Retry-After": "later"}, idempotent=False) is None  # unreadable: no refusal said
    assert wait(policy(), 502, {"Retry-After": "2"}, idempotent=False) is None  # only 503 says "come back"


def test_x_should_retry_true_overrides_the_status_and_the_method():
    assert wait(policy(), 400, {"x-should-retry": "true"}) == INITIAL_RETRY_DELAY
    assert wait(policy(), 500, {"x-should-retry": "true"}, idempotent=False) == INITIAL_RETRY_DELAY
    assert wait(policy(), 400, {"x-should-retry": "true", "retry-after": "3"}) == 3.0


def test_x_should_retry_false_overrides_a_retryable_status():
    assert wait(policy(), 503, {"x-should-retry": "false"}) is None
    assert wait(policy(), 429, {"x-should-retry": "false", "retry-after": "1"}) is None


def test_other_x_should_retry_values_leave_the_status_rule():
    assert wait(policy(), 400, {"x-should-retry": "True"}) is None  # the SDK compares the exact word
    assert wait(policy(), 503, {"x-should-retry": "no"}) == INITIAL_RETRY_DELAY


def test_header_names_match_in_any_case():
    assert wait(policy(), 503, {"X-Should-Retry": "false"}) is None
    assert wait(policy(), 429, {"RETRY-AFTER": "4"}) == 4.0
    assert wait(policy(), 429, {"Retry-After-Ms": "1500"}) == 1.5


# --------------------------------------------------------------------------------------- no answer at all
def test_a_request_that_never_left_is_retried_whatever_its_method():
    assert wait(policy(), None, reached=False, idempotent=False) == INITIAL_RETRY_DELAY
    assert wait(policy(), None, reached=False, idempotent=True) == INITIAL_RETRY_DELAY


def test_without_word_on_reaching_a_lost_answer_is_assumed_to_have_reached_the_server():
    assert RetryPolicy().wait(status=None, idempotent=False, retries_taken=0) is None  # never replay on a guess


def test_a_lost_answer_is_retried_only_for_an_idempotent_request():
    assert wait(policy(), None, reached=True, idempotent=True) == INITIAL_RETRY_DELAY
    assert wait(policy(), None, reached=True, idempotent=False) is None


# ------------------------------------------------------------------------------------------- how many
@pytest.mark.parametrize("max_retries", [0, 1, 2, 5])
def test_max_retries_counts_retries_not_attempts(max_retries):
    p = policy(max_retries=max_retries)
    allowed = [wait(p, 503, retries_taken=n) is not None for n in range(max_retries + 2)]
    assert allowed == [True] * max_retries + [False, False]


def test_the_retry_count_also_bounds_failures_and_server_advice():
    p = policy(max_retries=1)
    assert wait(p, None, reached=False, retries_taken=1) is None
    assert wait(p, 429, {"retry-after": "0"}, retries_taken=1) is None
    assert wait(p, 400, {"x-should-retry": "true"}, retries_taken=1) is None


# ------------------------------------------------------------------------------------------- how long
def test_retry_after_is_obeyed_up_to_the_cap_and_refused_beyond_it():
    assert wait(policy(), 429, {"retry-after": str(MAX_RETRY_AFTER)}) == MAX_RETRY_AFTER
    assert wait(policy(), 429, {"retry-after": str(MAX_RETRY_AFTER + 0.001)}) is None
    assert wait(policy(), 429, {"retry-after-ms": str(int(MAX_RETRY_AFTER * 1000) + 1)}) is None
    assert wait(policy(max_retry_after=5), 429, {"retry-after": "6"}) is None


def test_retry_after_replaces_the_backoff_and_its_jitter():
    jittery = RetryPolicy(random=lambda: 0.999)
    assert wait(jittery, 503, {"retry-after": "3"}, retries_taken=1) == 3.0


def test_backoff_doubles_from_half_a_second_to_at_most_eight():
    p = policy(max_retries=10)
    waits = [wait(p, 503, retries_taken=n) for n in range(7)]
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert INITIAL_RETRY_DELAY == 0.5 and MAX_RETRY_DELAY == 8.0


def test_jitter_shortens_a_wait_by_at_most_a_quarter():
    assert RetryPolicy(random=lambda: 0.0).backoff(0) == 0.5
    assert RetryPolicy(random=lambda: 0.5).backoff(0) == pytest.approx(0.5 * 0.875)
    assert RetryPolicy(random=lambda: 1.0).backoff(2) == pytest.approx(2.0 * 0.75)  # the bound, never reached
    assert RetryPolicy(jitter=0.0, random=lambda: 0.9).backoff(1) == 1.0


@given(retries_taken=st.integers(min_value=0, max_value=40), r=st.floats(min_value=0.0, max_value=0.999999))
def test_every_backoff_lies_within_its_jitter_band(retries_taken, r):
    step = min(INITIAL_RETRY_DELAY * 2**retries_taken, MAX_RETRY_DELAY)
    delay = RetryPolicy(random=lambda: r).backoff(retries_taken)
    assert 0.75 * step < delay <= step


def test_the_real_jitter_stays_in_its_band():
    p = RetryPolicy()
    delays = {p.backoff(0) for _ in range(200)}
    assert all(0.375 < d <= 0.5 for d in delays) and len(delays) > 1  # random, not a constant


def test_a_wait_is_taken_only_within_the_time_budget():
    p = policy(max_retry_time=2.0)
    assert p.fits_budget(1.5, 0.5)  # exactly at the budget: still taken
    assert not p.fits_budget(1.5, 0.5001)
    assert not p.fits_budget(2.1, 0.0)
    assert policy(max_retry_time=0).fits_budget(0.0, 0.0)
    assert not policy(max_retry_time=0).fits_budget(0.0, 0.001)


# ----------------------------------------------------------------------------------------- idempotency
@pytest.mark.parametrize("method", sorted(IDEMPOTENT_METHODS) + ["get", "delete"])
def test_safe_and_idempotent_methods_may_be_replayed(method):
    assert policy().is_idempotent(method)


@pytest.mark.parametrize("method", ["POST", "PATCH", "post", "CONNECT"])
def test_other_methods_may_not(method):
    assert not policy().is_idempotent(method)


def test_the_callers_word_overrides_the_method():
    assert policy().is_idempotent("POST", True)  # token issuance, introspection, revocation
    assert not policy().is_idempotent("GET", False)


def test_idempotent_methods_are_rfc_9110s():
    assert IDEMPOTENT_METHODS == {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}


def test_a_404_after_a_lost_delete_answer_is_the_delete_succeeding():
    assert RetryPolicy.done_by_earlier_attempt("DELETE", 404, answer_lost=True)
    assert RetryPolicy.done_by_earlier_attempt("delete", 404, answer_lost=True)
    assert not RetryPolicy.done_by_earlier_attempt("DELETE", 404, answer_lost=False)
    assert not RetryPolicy.done_by_earlier_attempt("GET", 404, answer_lost=True)
    assert not RetryPolicy.done_by_earlier_attempt("DELETE", 410, answer_lost=True)


# ---------------------------------------------------------------------------------------- the value itself
@pytest.mark.parametrize("bad", [-1, True, 1.5, "2", None])
def test_max_retries_must_be_a_whole_number(bad):
    with pytest.raises(ConfigurationError, match="max_retries must be a whole number >= 0"):
        RetryPolicy(max_retries=bad)


@pytest.mark.parametrize("bad", [-0.1, True, "1", None])
def test_max_retry_time_must_be_a_non_negative_number(bad):
    with pytest.raises(ConfigurationError, match="max_retry_time must be a number of seconds >= 0"):
        RetryPolicy(max_retry_time=bad)


def test_zero_retries_and_a_zero_budget_are_allowed():
    p = RetryPolicy(max_retries=0, max_retry_time=0)
    assert (p.max_retries, p.max_retry_time) == (0, 0)


def test_defaults_are_two_retries_within_a_minute():
    assert (RetryPolicy().max_retries, RetryPolicy().max_retry_time) == (2, 60.0)


def test_the_policy_is_frozen_and_compares_by_its_rules():
    p = RetryPolicy()
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.max_retries = 5
    assert RetryPolicy(random=lambda: 0.3) == RetryPolicy()
    assert RetryPolicy(max_retries=3) != RetryPolicy()
    assert "random" not in repr(p)


# ------------------------------------------------------------------------------------- Retry-After forms
def test_retry_after_ms_comes_first():
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert parse_retry_after({"retry-after-ms": "soon", "retry-after": "4"}) == 4.0
    assert parse_retry_after({"retry-after-ms": "", "retry-after": "4"}) == 4.0


def test_retry_after_seconds():
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after": "1.5"}) == 1.5
    assert parse_retry_after({"retry-after": "0"}) == 0.0


def test_negative_waits_are_zero():
    assert parse_retry_after({"retry-after-ms": "-500"}) == 0.0
    assert parse_retry_after({"retry-after": "-3"}) == 0.0


def test_an_http_date_counts_from_now():
    now = 1_800_000_000.0
    assert parse_retry_after({"retry-after": email.utils.formatdate(now + 30, usegmt=True)}, now=now) == 30.0
    assert parse_retry_after({"retry-after": email.utils.formatdate(now - 30, usegmt=True)}, now=now) == 0.0


def test_an_http_date_on_the_real_clock():
    import time

    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 28 <= parse_retry_after({"Retry-After": future}) <= 31


@pytest.mark.parametrize("headers", [{}, {"retry-after": ""}, {"retry-after": "soon"}, {"retry-after-ms": "x"},
                                     {"retry-after": "Mon, 99 Foo 2026"}])
def test_no_readable_advice_is_none(headers):
    assert parse_retry_after(headers) is None


# ------------------------------------------------------------------------------ Telnyx's x-ratelimit-reset
@pytest.mark.parametrize(("headers", "seconds"), [
    ({"X-RateLimit-Reset": "7"}, 7.0), ({"x-ratelimit-reset": " 0 "}, 0.0), ({"x-ratelimit-reset": "-1"}, None),
    ({"x-ratelimit-reset": "soon"}, None), ({"x-ratelimit-reset": "1.5"}, None), ({}, None), (None, None),
])
def test_the_rate_limit_reset_is_whole_seconds_from_now(headers, seconds):
    assert parse_rate_limit_reset(headers) == seconds


def test_a_429_without_retry_after_waits_for_the_windows_reset():
    """Telnyx sends no Retry-After with its 429: the window's reset is when a retry can succeed."""
    assert wait(policy(), 429, {"x-ratelimit-reset": "3"}) == 3.0
    assert wait(policy(), 429, {"x-ratelimit-reset": "3", "retry-after": "1"}) == 1.0  # Retry-After said more
    assert wait(policy(), 429, {"x-ratelimit-reset": "3"}, idempotent=False) == 3.0  # refused, so replayable
    # past the longest wait the policy accepts: no retry, the error carries the wait instead
    assert wait(policy(), 429, {"x-ratelimit-reset": str(int(MAX_RETRY_AFTER) + 1)}) is None


def test_the_windows_reset_is_no_advice_on_other_statuses():
    assert wait(policy(), 503, {"x-ratelimit-reset": "3"}) == INITIAL_RETRY_DELAY
    assert wait(policy(), 500, {"x-ratelimit-reset": "3"}, idempotent=False) is None
