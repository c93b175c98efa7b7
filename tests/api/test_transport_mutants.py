"""The transport's retry decisions and the messages a user reads when a call fails, at their edges.

Each test pins a line of ``telnyx_nb.api.transport`` that a one-line change would break without any other test
noticing (found by ``make mutate MODULES=transport``). Servers are real sockets on 127.0.0.1: a canned HTTP server
(``tests/canned_server.py``), a port bound but not listening (refused), and a listener that hangs up (reset).
Attempts are counted with a request-log listener and on the server side, never by timing.
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
import socket
import threading
import time

import pytest
import requests
from canned_server import serve

from telnyx_nb.api.transport import (
    MAX_RETRY_AFTER,
    RequestRecord,
    Transport,
    _connection_reason,
    _never_connected,
    error_from_response,
    parse_retry_after,
)
from telnyx_nb.errors import (
    APIConnectionError,
    APIError,
    ConfigurationError,
    ConflictError,
    NotFoundError,
    RateLimitError,
    ServerError,
)

BODY = b'{"errors": [{"code": "x", "title": "scripted", "detail": "scripted answer"}]}'


class Script:
    """Answers in order (the last one repeats), counting what arrived."""

    def __init__(self, *answers, body=BODY):
        self.answers = list(answers)
        self.body = body
        self.seen: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def __call__(self, method, path, headers):
        with self.lock:
            self.seen.append((method, path))
            status, extra = self.answers[min(len(self.seen), len(self.answers)) - 1]
        return status, extra, self.body


def transport(base_url, **kwargs):
    tx = Transport(base_url, **kwargs)
    records: list[RequestRecord] = []
    tx.add_listener(records.append)
    return tx, records


@contextlib.contextmanager
def refused_port():
    """A port bound (so nobody else takes it) but not listening: connecting is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


@contextlib.contextmanager
def hang_up_server():
    """A listener that reads the request and closes the connection without answering (the answer is lost)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    stop = threading.Event()
    seen = []

    def loop():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(5)
                with contextlib.suppress(OSError):
                    seen.append(conn.recv(65536))
    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/v2", seen
    finally:
        stop.set()
        thread.join(5)
        server.close()


# ------------------------------------------------------------------------------------------ retry decisions
def test_max_retries_counts_retries_not_attempts():
    script = Script((503, {"retry-after": "0"}))
    with serve(script) as base:
        tx, records = transport(base, max_retries=2)
        with pytest.raises(ServerError):
            tx.request("GET", "/x")
    assert len(script.seen) == 3 and [r.attempt for r in records] == [1, 2, 3]


def test_max_retries_zero_sends_exactly_once():
    script = Script((503, {"retry-after": "0"}))
    with serve(script) as base:
        tx, _ = transport(base, max_retries=0)
        with pytest.raises(ServerError):
            tx.request("GET", "/x")
    assert len(script.seen) == 1


def test_x_should_retry_false_stops_even_a_retryable_get():
    script = Script((503, {"x-should-retry": "false", "retry-after": "0"}), (200, {}))
    with serve(script) as base:
        tx, _ = transport(base, max_retries=2)
        with pytest.raises(ServerError):
            tx.request("GET", "/x")
    assert len(script.seen) == 1


def test_x_should_retry_true_retries_a_status_that_is_otherwise_final():
    script = Script((400, {"x-should-retry": "true", "retry-after": "0"}), (200, {}))
    with serve(script) as base:
        tx, _ = transport(base, max_retries=1)
        assert tx.request("GET", "/x").status_code == 200
    assert len(script.seen) == 2


def test_a_400_without_x_should_retry_is_final():
    script = Script((400, {"retry-after": "0"}), (200, {}))
    with serve(script) as base:
        tx, _ = transport(base, max_retries=2)
        with pytest.raises(APIError):
            tx.request("GET", "/x")
    assert len(script.seen) == 1


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 599])
def test_retryable_statuses_are_retried_for_a_get(status):
    script = Script((status, {"retry-after": "0"}), (200, {}))
    with serve(script) as base:
        tx, _ = transport(base, max_retries=1)
        assert tx.request("GET", "/x").status_code == 200
    assert len(script.seen) == 2


@pytest.mark.parametrize("status", [404, 410, 422, 499])
def test_other_4xx_are_not_retried(status):
    script = Script((status, {"retry-after": "0"}), (200, {}))
    with serve(script) as base:
        tx, _ = transport(base, max_retries=2)
        with pytest.raises(APIError):
            tx.request("GET", "/x")
    assert len(script.seen) == 1


def test_a_post_is_retried_on_503_with_retry_after_because_the_server_refused_it():
    script = Script((503, {"retry-after": "0"}), (201, {}))
    with serve(script) as base:
        tx, _ = transport(base, max_retries=1)
        assert tx.request("POST", "/x", json={}).status_code == 201
    assert len(script.seen) == 2


def test_a_post_is_not_retried_on_a_503_without_retry_after():
    script = Script((503, {}), (201, {}))
    with serve(script) as base:
        tx, _ = transport(base, max_retries=2)
        with pytest.raises(ServerError):
            tx.request("POST", "/x", json={})
    assert len(script.seen) == 1


@pytest.mark.parametrize("status", [500, 502, 504, 409, 408])
def test_a_post_is_not_retried_on_other_retryable_statuses_even_with_retry_after(status):
    script = Script((status, {"retry-after": "0"}), (201, {}))
    with serve(script) as base:
        tx, _ = transport(base, max_retries=2)
        with pytest.raises(APIError):
            tx.request("POST", "/x", json={})
    assert len(script.seen) == 1


def test_a_post_marked_idempotent_is_retried_on_500():
    script = Script((500, {"retry-after": "0"}), (201, {}))
    with serve(script) as base:
        tx, _ = transport(base, max_retries=1)
        assert tx.request("POST", "/x", json={}, idempotent=True).status_code == 201
    assert len(script.seen) == 2


def test_a_get_marked_not_idempotent_is_not_retried_on_500():
    script = Script((500, {"retry-after": "0"}), (200, {}))
    with serve(script) as base:
        tx, _ = transport(base, max_retries=2)
        with pytest.raises(ServerError):
            tx.request("get", "/x", idempotent=False)
    assert len(script.seen) == 1


@pytest.mark.parametrize("method", ["PUT", "DELETE", "OPTIONS"])
def test_idempotent_methods_are_retried_on_500(method):
    script = Script((500, {"retry-after": "0"}), (200, {}))
    with serve(script) as base:
        tx, _ = transport(base, max_retries=1)
        assert tx.request(method, "/x").status_code == 200
    assert len(script.seen) == 2


def test_patch_is_not_idempotent():
    script = Script((500, {"retry-after": "0"}), (200, {}))
    with serve(script) as base:
        tx, _ = transport(base, max_retries=2)
        with pytest.raises(ServerError):
            tx.request("PATCH", "/x", json={})
    assert len(script.seen) == 1


def test_a_retry_after_of_exactly_the_cap_is_waited_for_and_one_over_is_not():
    assert parse_retry_after({"retry-after": str(MAX_RETRY_AFTER)}) == MAX_RETRY_AFTER
    script = Script((429, {"retry-after": str(MAX_RETRY_AFTER + 1)}), (200, {}))
    with serve(script) as base:
        tx, _ = transport(base, max_retries=2, max_retry_time=10_000)
        with pytest.raises(RateLimitError) as caught:
            tx.request("GET", "/x")
    assert len(script.seen) == 1 and caught.value.retry_after == MAX_RETRY_AFTER + 1


def test_a_wait_that_would_pass_the_retry_budget_is_not_taken():
    script = Script((429, {"retry-after": "2"}), (200, {}))
    with serve(script) as base:
        tx, _ = transport(base, max_retries=2, max_retry_time=1)
        with pytest.raises(RateLimitError):
            tx.request("GET", "/x")
    assert len(script.seen) == 1


def test_a_wait_within_the_retry_budget_is_taken():
    script = Script((429, {"retry-after-ms": "300"}), (200, {}))
    with serve(script) as base:
        tx, _ = transport(base, max_retries=1, max_retry_time=30)
        started = time.monotonic()
        assert tx.request("GET", "/x").status_code == 200
        assert time.monotonic() - started >= 0.3  # the client waited what the server asked (a lower bound only)
    assert len(script.seen) == 2


def test_a_zero_retry_budget_still_allows_an_immediate_retry():
    script = Script((429, {"retry-after": "0"}), (200, {}))
    with serve(script) as base:
        tx, _ = transport(base, max_retries=1, max_retry_time=0.5)
        assert tx.request("GET", "/x").status_code == 200
    assert len(script.seen) == 2


def test_backoff_without_retry_after_waits_at_least_three_eighths_of_a_second():
    # INITIAL_RETRY_DELAY 0.5 s minus at most 25 % jitter
    script = Script((500, {}), (200, {}))
    with serve(script) as base:
        tx, _ = transport(base, max_retries=1)
        started = time.monotonic()
        assert tx.request("GET", "/x").status_code == 200
        assert time.monotonic() - started >= 0.375
    assert len(script.seen) == 2


def test_backoff_doubles_for_the_second_retry():
    script = Script((500, {}), (500, {}), (200, {}))
    with serve(script) as base:
        tx, _ = transport(base, max_retries=2)
        started = time.monotonic()
        assert tx.request("GET", "/x").status_code == 200
        assert time.monotonic() - started >= 0.375 + 0.75
    assert len(script.seen) == 3


def test_a_backoff_longer_than_the_budget_is_not_taken():
    script = Script((500, {}), (200, {}))
    with serve(script) as base:
        tx, _ = transport(base, max_retries=2, max_retry_time=0.1)
        with pytest.raises(ServerError):
            tx.request("GET", "/x")
    assert len(script.seen) == 1


# ------------------------------------------------------------------------------------------- parse_retry_after
def test_retry_after_ms_wins_over_retry_after():
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25


def test_an_unreadable_retry_after_ms_falls_back_to_retry_after():
    assert parse_retry_after({"retry-after-ms": "soon", "retry-after": "4"}) == 4.0


def test_negative_retry_after_values_mean_now():
    assert parse_retry_after({"retry-after-ms": "-500"}) == 0.0
    assert parse_retry_after({"retry-after": "-3"}) == 0.0
    past = email.utils.formatdate(time.time() - 3600, usegmt=True)
    assert parse_retry_after({"retry-after": past}) == 0.0


def test_an_http_date_retry_after_is_seconds_from_now():
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 28 <= parse_retry_after({"retry-after": future}) <= 31


def test_an_empty_retry_after_is_none():
    assert parse_retry_after({"retry-after": ""}) is None
    assert parse_retry_after({"retry-after-ms": ""}) is None


def test_a_rate_limit_error_carries_the_servers_retry_after():
    script = Script((429, {"retry-after": "7"}))
    with serve(script) as base:
        tx, _ = transport(base, max_retries=0)
        with pytest.raises(RateLimitError) as caught:
            tx.request("GET", "/x")
    assert caught.value.retry_after == 7.0


# ------------------------------------------------------------------------------- connections that fail
def test_a_refused_connection_names_the_address_and_the_fix():
    with refused_port() as port:
        tx, records = transport(f"http://127.0.0.1:{port}/v2", max_retries=0)
        with pytest.raises(APIConnectionError) as caught:
            tx.request("GET", "/oauth_clients")
    message = str(caught.value)
    assert message.startswith("GET /v2/oauth_clients: connection refused by 127.0.0.1:")
    assert f"127.0.0.1:{port}" in message and "nothing is listening" in message and "base URL" in message
    assert records[0].error == message and records[0].status is None


def test_a_refused_post_is_retried_because_it_never_reached_the_server():
    with refused_port() as port:
        tx, records = transport(f"http://127.0.0.1:{port}/v2", max_retries=1)
        with pytest.raises(APIConnectionError):
            tx.request("POST", "/x", json={})
    assert len(records) == 2


def test_a_post_whose_answer_was_lost_is_not_replayed():
    with hang_up_server() as (base, seen):
        tx, records = transport(base, max_retries=2)
        with pytest.raises(APIConnectionError) as caught:
            tx.request("POST", "/x", json={"name": "n"})
    assert len(records) == 1 and len(seen) == 1
    assert "was closed before an answer arrived" in str(caught.value)
    assert "127.0.0.1:" in str(caught.value)


def test_a_get_whose_answer_was_lost_is_retried():
    with hang_up_server() as (base, _seen):
        tx, records = transport(base, max_retries=1)
        with pytest.raises(APIConnectionError):
            tx.request("GET", "/x")
    assert len(records) == 2


def test_tls_to_a_plain_http_server_says_to_use_http():
    with serve(Script((200, {}))) as base:
        tx, _ = transport(base.replace("http://", "https://"), max_retries=0)
        with pytest.raises(APIConnectionError) as caught:
            tx.request("GET", "/x")
    message = str(caught.value)
    assert "TLS handshake with 127.0.0.1:" in message
    assert "answered without TLS; use http:// instead of https://" in message


def test_an_unresolvable_host_is_named():
    exc = requests.exceptions.ConnectionError("Failed to resolve 'nohost.invalid' (NameResolutionError)")
    assert _connection_reason(exc, "http://nohost.invalid/v2") == (
        "cannot resolve the host 'nohost.invalid' (check the base URL)")
    exc = requests.exceptions.ConnectionError("[Errno -2] Name or service not known")
    assert _connection_reason(exc, "http://nohost.invalid/v2").startswith("cannot resolve the host")
    exc = requests.exceptions.ConnectionError("getaddrinfo failed")
    assert _connection_reason(exc, "http://nohost.invalid/v2").startswith("cannot resolve the host")


def test_a_tls_failure_other_than_plain_http_has_no_http_hint():
    exc = requests.exceptions.SSLError("certificate verify failed")
    assert _connection_reason(exc, "https://h.example:8443/v2") == "TLS handshake with h.example:8443 failed"
    exc = requests.exceptions.SSLError("[SSL] record layer failure (_ssl.c:1000)")
    assert _connection_reason(exc, "https://h.example/v2").endswith("use http:// instead of https://")


def test_a_reset_found_deep_in_the_cause_chain_is_a_closed_connection():
    inner = ConnectionResetError(104, "Connection reset by peer")
    middle = OSError("wrapped")
    middle.__cause__ = inner
    exc = requests.exceptions.ConnectionError(middle)
    assert _connection_reason(exc, "http://h.example/v2") == (
        "the connection to h.example was closed before an answer arrived")
    exc = requests.exceptions.ConnectionError(BrokenPipeError(32, "pipe"))
    assert "was closed before an answer arrived" in _connection_reason(exc, "http://h.example/v2")


def test_a_refusal_found_deep_in_the_cause_chain_is_a_refusal():
    class Wrapper(Exception):
        def __init__(self, reason):
            super().__init__("wrapper")
            self.reason = reason

    exc = requests.exceptions.ConnectionError(Wrapper(ConnectionRefusedError(111, "nope")))
    assert _connection_reason(exc, "http://h.example:81/v2").startswith("connection refused by h.example:81")
    middle = OSError("context only")
    middle.__context__ = ConnectionRefusedError(111, "nope")
    exc = requests.exceptions.ConnectionError(middle)
    assert _connection_reason(exc, "http://h.example/v2").startswith("connection refused by h.example")


def test_an_unknown_connection_failure_names_the_innermost_cause():
    exc = requests.exceptions.ConnectionError(OSError("odd failure"))
    assert _connection_reason(exc, "http://h.example/v2") == "cannot connect to h.example (OSError: odd failure)"
    assert _connection_reason(requests.exceptions.ConnectionError("x"), "not a url") == (
        "cannot connect to not a url (ConnectionError: x)")


def test_a_refusal_or_abort_said_only_in_the_message_is_recognised():
    exc = requests.exceptions.ConnectionError("Connection Refused by the proxy")
    assert _connection_reason(exc, "http://h.example/v2").startswith("connection refused by h.example")
    exc = requests.exceptions.ConnectionError("('Connection aborted.', RemoteDisconnected('closed'))")
    assert _connection_reason(exc, "http://h.example/v2") == (
        "the connection to h.example was closed before an answer arrived")


def test_a_connection_error_says_whether_the_request_ever_left():
    from urllib3.exceptions import MaxRetryError, NewConnectionError

    assert _never_connected(requests.exceptions.ConnectTimeout("connect timeout")) is True
    assert _never_connected(requests.exceptions.ConnectionError()) is False  # no cause known: assume it went out
    direct = NewConnectionError(None, "refused")
    assert _never_connected(requests.exceptions.ConnectionError(direct)) is True
    wrapped = MaxRetryError(None, "/x", reason=direct)
    assert _never_connected(requests.exceptions.ConnectionError(wrapped)) is True
    assert _never_connected(requests.exceptions.ConnectionError(OSError("reset"))) is False


def test_a_cyclic_cause_chain_does_not_hang():
    a, b = OSError("a"), OSError("b")
    a.__cause__, b.__cause__ = b, a
    exc = requests.exceptions.ConnectionError(a)
    assert _connection_reason(exc, "http://h.example/v2") == "cannot connect to h.example (OSError: b)"


# ---------------------------------------------------------------------------------- error messages users read
def test_an_error_message_names_status_method_path_and_request_id():
    script = Script((409, {"x-request-id": "req-123"}))
    with serve(script) as base:
        tx, _ = transport(base, max_retries=0)
        with pytest.raises(ConflictError) as caught:
            tx.request("GET", "/oauth_clients/abc?x=1")
    assert str(caught.value) == "HTTP 409 on GET /v2/oauth_clients/abc: [x]: scripted: scripted answer (request id req-123)"
    assert caught.value.request_id == "req-123" and caught.value.status == 409
    assert caught.value.method == "GET" and caught.value.url.endswith("/v2/oauth_clients/abc?x=1")


@pytest.mark.parametrize("header", ["x-telnyx-request-id", "request-id", "x-amzn-requestid"])
def test_every_request_id_header_is_read(header):
    with serve(Script((422, {header: "rid-9"}))) as base:
        tx, records = transport(base, max_retries=0)
        with pytest.raises(APIError) as caught:
            tx.request("GET", "/x")
    assert caught.value.request_id == "rid-9" and records[0].request_id == "rid-9"


def test_an_empty_request_id_header_is_skipped_for_the_next():
    with serve(Script((422, {"x-request-id": "", "request-id": "rid-2"}))) as base:
        tx, _ = transport(base, max_retries=0)
        with pytest.raises(APIError) as caught:
            tx.request("GET", "/x")
    assert caught.value.request_id == "rid-2"


def test_an_html_error_page_is_read_as_words_without_markup_or_scripts():
    page = (b"<html><head><title>t</title></head><body><script>var x=1;</script>"
            b"<style>p{}</style><h1>Bad&nbsp;Gateway</h1>  <p>try\n again</p></body></html>")
    with serve(Script((400, {"content-type": "text/html"}), body=page)) as base:
        tx, _ = transport(base, max_retries=0)
        with pytest.raises(APIError) as caught:
            tx.request("GET", "/x")
    assert str(caught.value) == "HTTP 400 on GET /v2/x: Bad Gateway try again"


def test_a_long_plain_text_error_is_shortened_to_240_characters():
    with serve(Script((400, {"content-type": "text/plain"}), body=b"w" * 300)) as base:
        tx, _ = transport(base, max_retries=0)
        with pytest.raises(APIError) as caught:
            tx.request("GET", "/x")
    summary = str(caught.value).split(": ", 1)[1]
    assert summary == "w" * 239 + "…"
    with serve(Script((400, {"content-type": "text/plain"}), body=b"w" * 240)) as base:
        tx, _ = transport(base, max_retries=0)
        with pytest.raises(APIError) as caught:
            tx.request("GET", "/x")
    assert str(caught.value).split(": ", 1)[1] == "w" * 240


def test_an_empty_error_body_falls_back_to_the_reason_phrase():
    with serve(Script((404, {}), body=b"")) as base:
        tx, _ = transport(base, max_retries=0)
        with pytest.raises(APIError) as caught:
            tx.request("GET", "/x")
    assert str(caught.value) == "HTTP 404 on GET /v2/x: Not Found"


def test_error_fields_from_an_oauth_error_body_reach_the_exception():
    body = b'{"error": "invalid_client", "error_description": "unknown client"}'
    with serve(Script((401, {}), body=body)) as base:
        tx, _ = transport(base, max_retries=0)
        with pytest.raises(APIError) as caught:
            tx.request("POST", "/oauth/token", data={"grant_type": "client_credentials"})
    assert caught.value.error == "invalid_client" and caught.value.error_description == "unknown client"
    assert "unknown client" in str(caught.value)


def test_telnyx_error_fields_reach_the_exception():
    body = b'{"errors": [{"code": "10015", "title": "Bad", "detail": "no", "source": {"pointer": "/name"}}]}'
    with serve(Script((422, {}), body=body)) as base:
        tx, _ = transport(base, max_retries=0)
        with pytest.raises(APIError) as caught:
            tx.request("POST", "/x", json={})
    err = caught.value
    assert (err.code, err.title, err.detail, err.pointers) == ("10015", "Bad", "no", ["/name"])
    assert err.errors and err.errors[0]["code"] == "10015"


def test_an_error_without_reason_or_body_still_says_error():
    response = requests.Response()
    response.status_code = 500
    response._content = b""
    response.reason = ""
    response.url = ""
    assert str(error_from_response(response)) == "HTTP 500 on None : error"
    response.url = None
    assert str(error_from_response(response)) == "HTTP 500 on None : error"


def test_error_from_response_of_a_response_without_a_request_still_reads():
    response = requests.Response()
    response.status_code = 500
    response._content = b""
    response.reason = "Internal Server Error"
    response.url = "http://h.example/v2/x"
    err = error_from_response(response)
    assert str(err) == "HTTP 500 on None /v2/x: Internal Server Error" and err.method is None


# --------------------------------------------------------------------------------------- the request record
def test_a_record_prints_method_url_outcome_and_attempt():
    record = RequestRecord("GET", "http://h/v2/x", 200, 2.0, attempt=2)
    assert str(record) == "GET http://h/v2/x → 200 in 2000 ms (attempt 2)"
    failed = RequestRecord("POST", "http://h/v2/x", None, 0.5, error="boom")
    assert str(failed) == "POST http://h/v2/x → boom in 500 ms (attempt 1)"


def test_as_curl_skips_transport_headers_and_quotes_the_rest():
    record = RequestRecord(
        "POST", "http://h/v2/x?a=1&b=2", 201, 0.1,
        request_headers={"User-Agent": "ua", "Accept-Encoding": "gzip", "Connection": "keep-alive",
                         "Content-Length": "2", "Accept": "application/json", "X-Note": "it's"},
        body='{"a": 1}',
    )
    assert record.as_curl() == (
        "curl -X POST -H 'Accept: application/json' -H 'X-Note: it'\"'\"'s' --data '{\"a\": 1}' "
        "'http://h/v2/x?a=1&b=2'")
    assert RequestRecord("GET", "http://h/v2/x", 200, 0.1).as_curl() == "curl -X GET http://h/v2/x"


def test_the_record_of_a_sent_request_has_its_headers_query_and_body():
    with serve(Script((200, {"x-request-id": "r1"}))) as base:
        tx, records = transport(base, max_retries=0)
        tx.request("POST", "/x", params={"page": 2}, data={"a": "b"}, headers={"X-Custom": "yes"})
    record = records[0]
    assert record.url.endswith("/v2/x?page=2") and record.status == 200 and record.request_id == "r1"
    assert record.request_headers["X-Custom"] == "yes" and record.body == "a=b"
    assert record.method == "POST" and record.error is None and record.attempt == 1


def test_the_record_of_a_request_that_never_went_out_has_the_query():
    with refused_port() as port:
        tx, records = transport(f"http://127.0.0.1:{port}/v2", max_retries=0)
        with pytest.raises(APIConnectionError):
            tx.request("GET", "/x", params={"page": 2, "tag": ["a", "b"]}, json={"k": 1})
    assert records[0].url == f"http://127.0.0.1:{port}/v2/x?page=2&tag=a&tag=b"
    assert records[0].request_headers == {} and records[0].body == '{"k": 1}'


def test_a_listener_that_raises_does_not_break_the_call_and_others_still_hear():
    heard = []

    def broken(record):
        raise RuntimeError("listener bug")

    with serve(Script((200, {}))) as base:
        tx = Transport(base, max_retries=0)
        tx.add_listener(broken)
        tx.add_listener(heard.append)
        assert tx.request("GET", "/x").status_code == 200
        tx.remove_listener(heard.append)
        tx.remove_listener(heard.append)  # removing twice is harmless
        tx.request("GET", "/x")
    assert len(heard) == 1


# ----------------------------------------------------------------------------------------- configuration
@pytest.mark.parametrize("kwargs", [
    {"timeout": 0}, {"timeout": -1}, {"timeout": True}, {"timeout": "5"}, {"timeout": (1, 2, 3)}, {"timeout": ()},
    {"timeout": (1, 0)}, {"max_retries": -1}, {"max_retries": True}, {"max_retries": 1.5},
    {"max_retry_time": -0.1}, {"max_retry_time": False}, {"max_retry_time": "60"},
    {"session": object()},
])
def test_bad_transport_settings_are_refused_naming_the_setting(kwargs):
    with pytest.raises(ConfigurationError) as caught:
        Transport("http://127.0.0.1:1/v2", **kwargs)
    assert next(iter(kwargs)) in str(caught.value)


@pytest.mark.parametrize("url", ["ftp://h/v2", "127.0.0.1:8000/v2", "http:///v2", 42])
def test_a_base_url_must_be_absolute_http(url):
    with pytest.raises(ConfigurationError, match="base_url must be an absolute URL"):
        Transport(url)


@pytest.mark.parametrize("kwargs", [{"timeout": (1, 2)}, {"timeout": 0.5}, {"max_retries": 0},
                                    {"max_retry_time": 0}])
def test_good_transport_settings_are_accepted(kwargs):
    Transport("HTTPS://h.example/v2/", **kwargs)


def test_a_transport_sends_its_user_agent():
    got = {}

    def respond(method, path, headers):
        got.update(headers)
        return 200, {}, b"{}"

    with serve(respond) as base:
        Transport(base + "/").request("GET", "x")
    assert got["User-Agent"].startswith("telnyx-nb/")


def test_a_given_session_keeps_its_own_headers():
    session = requests.Session()
    session.headers["User-Agent"] = "mine"
    tx = Transport("http://h.example/v2", session=session)
    assert tx.session is session and session.headers["User-Agent"] == "mine"


# -------------------------------------------------------------------------------------------------- URLs
def test_urls_join_under_the_base_and_absolute_ones_pass_through():
    tx = Transport("http://h.example:8080/v2/")
    assert tx.url("/oauth_clients") == "http://h.example:8080/v2/oauth_clients"
    assert tx.url("oauth_clients") == "http://h.example:8080/v2/oauth_clients"
    assert tx.url("https://other/x") == "https://other/x"
    assert tx.root_url == "http://h.example:8080"
    assert tx.root("/.well-known/x") == "http://h.example:8080/.well-known/x"
    assert tx.root("oauth/jwks/") == "http://h.example:8080/oauth/jwks/"
    assert tx.root("XYZ") == "http://h.example:8080/XYZ"


@pytest.mark.parametrize("url,same", [
    ("http://h.example/v2/x", True), ("HTTP://H.EXAMPLE:80/y", True), ("https://h.example/x", False),
    ("http://h.example:8080/x", False), ("http://evil.example/x", False), ("http://h.example:bad/x", False),
])
def test_same_origin_compares_scheme_host_and_port(url, same):
    assert Transport("http://h.example/v2").same_origin(url) is same


def test_https_default_port_is_443():
    assert Transport("https://h.example/v2").same_origin("https://h.example:443/z")


# ------------------------------------------------------------------------------------------- log and redirects
def test_a_rate_limit_error_reads_like_every_other_api_error():
    with serve(Script((429, {"retry-after": "99", "x-request-id": "rl-1"}))) as base:
        tx, _ = transport(base, max_retries=0)
        with pytest.raises(RateLimitError) as caught:
            tx.request("GET", "/x")
    err = caught.value
    assert str(err) == "HTTP 429 on GET /v2/x: [x]: scripted: scripted answer (request id rl-1)"
    assert (err.status, err.request_id, err.code, err.method) == (429, "rl-1", "x", "GET")


def test_every_attempt_is_logged_at_debug_and_a_broken_listener_is_logged(caplog):
    def broken(record):
        raise RuntimeError("listener bug")

    with serve(Script((200, {}))) as base:
        tx = Transport(base, max_retries=0)
        tx.add_listener(broken)
        with caplog.at_level(logging.DEBUG, logger="telnyx_nb.api"):
            tx.request("GET", "/x")
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG and r.name == "telnyx_nb.api"]
    assert any(m.startswith("GET http://127.0.0.1:") and m.endswith("(attempt 1)") for m in debug)
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 1 and failures[0].getMessage().startswith("request-log listener <function")
    assert "broken" in failures[0].getMessage() and failures[0].getMessage().endswith(" failed")


def test_a_redirect_is_returned_not_followed_by_default():
    script = Script((302, {"location": "/v2/elsewhere"}), (200, {}))
    with serve(script) as base:
        tx, _ = transport(base, max_retries=0)
        assert tx.request("GET", "/x").status_code == 302
    assert len(script.seen) == 1


def _recording_server():
    got = []

    def respond(method, path, headers):
        got.append(dict(headers))
        return 200, {}, b"{}"

    return got, respond


@pytest.mark.parametrize("how", ["header", "auth", "lowercase header"])
def test_credentials_are_not_sent_to_another_origin_and_a_warning_says_so(caplog, how):
    got, respond = _recording_server()
    with serve(Script((200, {}))) as base, serve(respond) as other:
        tx, _ = transport(base, max_retries=0)
        kwargs = {"header": {"headers": {"Authorization": "Bearer AbCdEf0123456789xyz"}},
                  "lowercase header": {"headers": {"authorization": "Bearer AbCdEf0123456789xyz"}},
                  "auth": {"auth": ("user", "pass")}}[how]
        with caplog.at_level(logging.WARNING, logger="telnyx_nb.api"):
            tx.request("GET", other + "/x", **kwargs)
    assert not any(k.lower() == "authorization" for k in got[0])
    assert any("not the base URL's origin, sent without credentials" in r.getMessage() for r in caplog.records)


def test_a_call_to_another_origin_without_credentials_is_not_warned_about(caplog):
    got, respond = _recording_server()
    with serve(Script((200, {}))) as base, serve(respond) as other:
        tx, _ = transport(base, max_retries=0)
        with caplog.at_level(logging.WARNING, logger="telnyx_nb.api"):
            tx.request("GET", other + "/x", headers={"X-Other": "1"})
    assert got[0]["X-Other"] == "1"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_delete_of_something_missing_is_not_found_when_no_answer_was_lost():
    script = Script((404, {}))
    with serve(script) as base:
        tx, _ = transport(base, max_retries=2)
        with pytest.raises(NotFoundError):
            tx.request("DELETE", "/oauth_clients/missing")
    assert len(script.seen) == 1


def test_the_other_origin_warning_names_the_method_and_the_origin(caplog):
    with serve(Script((200, {}))) as base, serve(Script((200, {}))) as other:
        tx, _ = transport(base, max_retries=0)
        with caplog.at_level(logging.WARNING, logger="telnyx_nb.api"):
            tx.request("GET", other + "/x", headers={"Authorization": "Bearer AbCdEf0123456789xyz"})
    port = int(other.split(":")[2].split("/")[0])
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        f"GET ('http', '127.0.0.1', {port}): not the base URL's origin, sent without credentials"]
