"""The transport's layers plugged in from outside: a ``RetryPolicy`` given whole, the request-log hook, and the
client-credentials auth flow renewing once. A canned HTTP server on 127.0.0.1 answers; attempts are counted on the
server and by the hook, never by timing.
"""

from __future__ import annotations

import itertools
import threading

import pytest
from canned_server import serve

from telnyx_nb.api.auth import BearerKey, ClientCredentialsToken
from telnyx_nb.api.request_log import RequestLog
from telnyx_nb.api.retry import RetryPolicy
from telnyx_nb.api.send_loop import SendLoop
from telnyx_nb.core.errors import AuthenticationError, ConfigurationError, ServerError
from telnyx_nb.core.records import TokenResponse


class Script:
    """Answers in order (the last one repeats), remembering each request's Authorization header."""

    def __init__(self, *statuses):
        self.statuses = list(statuses)
        self.seen: list[str | None] = []
        self.lock = threading.Lock()

    def __call__(self, method, path, headers):
        with self.lock:
            self.seen.append(headers.get("Authorization"))
            status = self.statuses[min(len(self.seen), len(self.statuses)) - 1]
        return status, {"retry-after": "0"}, b'{"errors": [{"code": "x", "title": "scripted"}]}'


def test_a_policy_given_whole_decides_the_retries():
    script = Script(503, 200)
    with serve(script) as base:
        with pytest.raises(ServerError):
            SendLoop(base, retry=RetryPolicy(max_retries=0)).request("GET", "/x")
        assert len(script.seen) == 1
        assert SendLoop(base, retry=RetryPolicy(max_retries=1)).request("GET", "/x").status_code == 200


def test_max_retries_builds_the_policy_when_none_is_given():
    tx = SendLoop("http://127.0.0.1:9/v2", max_retries=4, max_retry_time=7)
    assert tx.retry == RetryPolicy(max_retries=4, max_retry_time=7) and (tx.max_retries, tx.max_retry_time) == (4, 7)


def test_a_policy_must_be_a_retry_policy():
    with pytest.raises(ConfigurationError, match="retry must be a RetryPolicy"):
        SendLoop("http://127.0.0.1:9/v2", retry={"max_retries": 1})


def test_any_callable_is_the_per_attempt_hook():
    seen = []
    with serve(Script(503, 503, 200)) as base:
        SendLoop(base, request_log=seen.append).request("GET", "/x")
    assert [(r.status, r.attempt) for r in seen] == [(503, 1), (503, 2), (200, 3)]


def test_the_default_hook_is_a_request_log_with_listeners():
    seen = []
    with serve(Script(200)) as base:
        tx = SendLoop(base)
        assert isinstance(tx.request_log, RequestLog)
        tx.add_listener(seen.append)
        tx.request("GET", "/x")
        tx.remove_listener(seen.append)
        tx.request("GET", "/x")
    assert len(seen) == 1


def test_a_broken_listener_does_not_break_the_call():
    def broken(record):
        raise RuntimeError("listener bug")

    seen = []
    with serve(Script(200)) as base:
        tx = SendLoop(base)
        tx.add_listener(broken)
        tx.add_listener(seen.append)
        assert tx.request("GET", "/x").status_code == 200
    assert len(seen) == 1  # the listener after the broken one still heard


def _token_cache():
    numbers = itertools.count(1)
    return ClientCredentialsToken(lambda: TokenResponse.from_json({"access_token": f"tok{next(numbers)}",
                                                                   "expires_in": 3600}))


def test_a_401_is_sent_once_more_with_a_fresh_token_outside_the_retry_count():
    script = Script(401, 200)
    seen = []
    with serve(script) as base:
        tx = SendLoop(base, default_auth=_token_cache(), max_retries=0, request_log=seen.append)
        assert tx.request("GET", "/x").status_code == 200
    assert script.seen == ["Bearer tok1", "Bearer tok2"]
    assert [(r.status, r.attempt) for r in seen] == [(401, 1), (200, 2)]


def test_a_second_401_is_final():
    script = Script(401)
    with serve(script) as base:
        tx = SendLoop(base, default_auth=_token_cache(), max_retries=3)
        with pytest.raises(AuthenticationError):
            tx.request("GET", "/x")
    assert script.seen == ["Bearer tok1", "Bearer tok2"]


def test_a_401_after_a_retried_503_still_renews():
    script = Script(503, 401, 200)
    with serve(script) as base:
        tx = SendLoop(base, default_auth=_token_cache(), max_retries=1)
        assert tx.request("GET", "/x").status_code == 200
    assert script.seen == ["Bearer tok1", "Bearer tok1", "Bearer tok2"]


def test_a_fixed_key_that_gets_401_is_not_sent_again():
    script = Script(401, 200)
    with serve(script) as base:
        with pytest.raises(AuthenticationError):
            SendLoop(base, default_auth=BearerKey("KEY" + "k" * 55), max_retries=3).request("GET", "/x")
    assert len(script.seen) == 1
