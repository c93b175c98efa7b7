"""Retries against the sandbox's fault injection, counting attempts with a request-log listener; the error tree;
secrets masked in every record, repr and message."""

from __future__ import annotations

import email.utils
import time

import pytest
import requests
from oauth_helpers import wait_for

from telnyx_nb import TelnyxOAuth
from telnyx_nb.api.request_log import RequestRecord
from telnyx_nb.api.retry import parse_retry_after
from telnyx_nb.core.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    RateLimitError,
    ServerError,
    TelnyxNBError,
    TransportError,
)


@pytest.fixture
def sb(make_sandbox):
    return make_sandbox(seed="empty")


def arm(sb, **fault):
    response = requests.post(
        f"{sb.root_url}/_sandbox/faults", json=fault, headers={"Authorization": f"Bearer {sb.api_key}"}, timeout=5
    )
    assert response.status_code in (200, 201, 204), response.text


def client(sb, **kwargs):
    tx = TelnyxOAuth.from_sandbox(sb, **kwargs)
    records: list[RequestRecord] = []
    tx.add_listener(records.append)
    return tx, records


def attempts(records, suffix):
    return [r for r in records if r.url.split("?")[0].endswith(suffix)]


def test_429_with_retry_after_is_honoured(sb):
    tx, records = client(sb)
    arm(sb, path="/v2/oauth_grants", method="GET", count=2, status=429, retry_after=1)
    started = time.monotonic()
    page = tx.list_grants()
    waited = time.monotonic() - started
    assert page.total_results == 0
    tries = attempts(records, "/oauth_grants")
    assert [r.status for r in tries] == [429, 429, 200]
    assert [r.attempt for r in tries] == [1, 2, 3]
    assert waited >= 2.0  # two Retry-After: 1 waits, not the 0.5 s backoff


def test_429_beyond_max_retries_raises_rate_limit_error_with_retry_after(sb):
    tx, records = client(sb, max_retries=1)
    arm(sb, path="/v2/oauth_grants", count=5, status=429, retry_after=1)
    with pytest.raises(RateLimitError) as info:
        tx.list_grants()
    assert info.value.status == 429 and info.value.retry_after == pytest.approx(1, abs=0.01)
    assert len(attempts(records, "/oauth_grants")) == 2


def test_retry_after_longer_than_the_budget_is_not_waited_for(sb):
    tx, records = client(sb, max_retries=3, max_retry_time=2)
    arm(sb, path="/v2/oauth_grants", count=1, status=429, retry_after=120)
    with pytest.raises(RateLimitError) as info:
        tx.list_grants()
    assert info.value.retry_after == pytest.approx(120, abs=0.01)
    assert len(attempts(records, "/oauth_grants")) == 1


def test_503_is_retried_with_backoff_then_succeeds(sb):
    tx, records = client(sb)
    arm(sb, path="/v2/oauth_clients", method="GET", count=2, status=503)
    assert tx.list_clients().page_number == 1
    assert [r.status for r in attempts(records, "/oauth_clients")] == [503, 503, 200]


def test_persistent_5xx_raises_server_error_after_max_retries(sb):
    tx, records = client(sb, max_retries=2)
    arm(sb, path="/v2/oauth_clients", count=10, status=500)
    with pytest.raises(ServerError) as info:
        tx.list_clients()
    assert info.value.status == 500 and isinstance(info.value, APIError)
    assert len(attempts(records, "/oauth_clients")) == 3


def test_delay_past_the_timeout_is_a_timeout_then_retried(sb):
    tx, records = client(sb, timeout=0.5, max_retries=1)
    arm(sb, path="/v2/oauth_grants", count=1, delay=1.5)
    assert tx.list_grants().total_results == 0
    tries = attempts(records, "/oauth_grants")
    assert [r.status for r in tries] == [None, 200]
    assert "no answer within 0.5 s" in tries[0].error


def test_timeout_on_every_attempt_raises_api_timeout_error(sb):
    tx, records = client(sb, timeout=0.3, max_retries=1)
    arm(sb, path="/v2/oauth_grants", count=2, delay=1.0)
    with pytest.raises(APITimeoutError) as info:
        tx.list_grants()
    assert isinstance(info.value, TransportError)
    assert len(attempts(records, "/oauth_grants")) == 2


def test_non_idempotent_post_is_not_replayed_after_a_server_error(sb):
    tx, records = client(sb)
    arm(sb, path="/v2/oauth_clients", method="POST", count=1, status=500)
    with pytest.raises(ServerError):
        tx.create_client("Once only", "confidential", ["client_credentials"], ["admin"])
    assert len(attempts(records, "/oauth_clients")) == 1


def test_non_idempotent_post_is_not_replayed_after_a_timeout(sb):
    tx, records = client(sb, timeout=0.3)
    arm(sb, path="/v2/oauth_clients", method="POST", count=1, delay=1.0)
    with pytest.raises(APITimeoutError):
        tx.create_client("Maybe twice", "confidential", ["client_credentials"], ["admin"])
    assert len(attempts(records, "/oauth_clients")) == 1
    # the server finishes the request we gave up on: wait for its client to appear, then it is the only one
    names = wait_for(lambda: [n for n in (c.name for c in tx.all_clients(progress=False)) if n == "Maybe twice"],
                     what="the abandoned POST to create its client")
    assert names == ["Maybe twice"]


def test_code_redemption_is_retried_on_503_with_retry_after(make_sandbox):
    sb = make_sandbox(seed="demo")
    tx, records = client(sb)
    arm(sb, path="/v2/oauth/token", method="POST", count=1, status=503, retry_after=0)
    with pytest.raises(APIError) as info:  # the bogus refresh token reached the server on the 2nd try
        tx.refresh("some-refresh-token-value")
    assert info.value.error == "invalid_grant"
    assert [r.status for r in attempts(records, "/oauth/token")] == [503, 400]


def test_non_idempotent_post_is_retried_on_429_because_nothing_was_done(sb):
    tx, records = client(sb)
    arm(sb, path="/v2/oauth_clients", method="POST", count=1, status=429, retry_after=0)
    created = tx.create_client("After rate limit", "public", ["authorization_code"], ["admin"],
                               redirect_uris=["https://app.example/cb"])
    assert created.client_id
    assert [r.status for r in attempts(records, "/oauth_clients")][-2:] == [429, 201] or [
        r.status for r in attempts(records, "/oauth_clients")
    ][-2:] == [429, 200]


def test_code_redemption_is_not_replayed_on_a_plain_503(make_sandbox):
    sb = make_sandbox(seed="demo")
    tx, records = client(sb)
    arm(sb, path="/v2/oauth/token", method="POST", count=1, status=503)
    with pytest.raises(ServerError):
        tx.refresh("some-refresh-token-value")
    assert len(attempts(records, "/oauth/token")) == 1


def test_client_credentials_token_is_replayed_on_503(make_sandbox):
    sb = make_sandbox(seed="demo")
    tx, records = client(sb)
    arm(sb, path="/v2/oauth/token", method="POST", count=1, status=503)
    assert tx.client_credentials_token().access_token
    assert [r.status for r in attempts(records, "/oauth/token")] == [503, 200]


def test_connection_refused_is_retried_then_raised():
    import socket

    with socket.socket() as s:  # bound (so nobody else can take the port) but not listening: refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        tx = TelnyxOAuth("KEY" + "a" * 32, base_url=f"http://127.0.0.1:{port}/v2", max_retries=2)
        records: list[RequestRecord] = []
        tx.add_listener(records.append)
        with pytest.raises(APIConnectionError):
            tx.create_client("x", "public", ["authorization_code"], ["admin"])  # never reached: safe to retry
    assert len(records) == 3 and all(r.status is None for r in records)


def test_parse_retry_after_forms():
    assert parse_retry_after({"retry-after-ms": "1500"}) == 1.5
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 28 <= parse_retry_after({"retry-after": future}) <= 31
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


def test_every_error_is_a_telnyx_nb_error():
    for cls in (APIConnectionError, APITimeoutError, RateLimitError, ServerError):
        assert issubclass(cls, TelnyxNBError)


# --------------------------------------------------------------------------------------------- masking
def test_secrets_never_appear_in_records_reprs_or_errors(sandbox):
    tx = TelnyxOAuth.from_sandbox(sandbox)
    records: list[RequestRecord] = []
    tx.add_listener(records.append)
    token = tx.client_credentials_token()
    tx.introspect(token.access_token)
    tx.list_clients(page_size=1)
    secrets = [sandbox.api_key, sandbox.demo_client_secret, token.access_token]
    shown = " ".join([repr(tx), tx.target, repr(token)] + [str(r) + r.as_curl() + repr(r) for r in records])
    for secret in secrets:
        assert secret not in shown
    curl = next(r for r in records if r.url.endswith("/oauth_clients?page%5Bnumber%5D=1&page%5Bsize%5D=1"))
    assert curl.as_curl().startswith("curl -X GET") and "Authorization: Bearer KEY" in curl.as_curl()
    introspect = next(r for r in records if r.url.endswith("/oauth/introspect"))
    assert introspect.body and "token=" in introspect.body and token.access_token not in introspect.body


def test_a_delete_retried_after_a_503_that_then_gets_404_is_not_found(sb):
    """Only a lost answer may have deleted the client; a 503 answered, so the 404 after it means no such client."""
    from telnyx_nb.core.errors import NotFoundError

    tx, records = client(sb)
    arm(sb, path="/v2/oauth_clients/no-such-client", method="DELETE", count=1, status=503)
    with pytest.raises(NotFoundError):
        tx.delete_client("no-such-client")
    assert [r.status for r in attempts(records, "/no-such-client")] == [503, 404]


def test_each_attempts_recorded_time_lies_within_the_call(sb):
    """The log's elapsed seconds are the attempt's own (not a clock reading): each lies between 0 and the call's."""
    tx, records = client(sb)
    arm(sb, path="/v2/oauth_clients", method="GET", count=1, status=503)
    started = time.monotonic()
    tx.list_clients()
    whole = time.monotonic() - started
    tried = attempts(records, "/oauth_clients")
    assert len(tried) == 2 and all(0 <= r.elapsed <= whole for r in tried)


def test_each_retry_is_logged_with_its_method_url_wait_and_number(sb, caplog):
    import logging
    import re

    tx, _records = client(sb)
    arm(sb, path="/v2/oauth_clients", method="GET", count=1, status=503)
    with caplog.at_level(logging.INFO, logger="telnyx_nb.api"):
        tx.list_clients()
    retries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("retrying")]
    assert len(retries) == 1
    assert re.fullmatch(rf"retrying GET {re.escape(sb.base_url)}/oauth_clients\S* in \d+\.\d\d s \(retry 1\)",
                        retries[0]), retries
