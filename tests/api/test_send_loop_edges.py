"""The send loop's failed connections, request records, settings and the messages a user reads when a call fails,
at their edges (its retry decisions are pinned in ``test_retry_rules.py``).

Each test pins a line of ``telnyx_nb.api.send_loop`` that a one-line change would break without any other test
noticing (found by ``make mutate MODULES=send_loop``). Servers are real sockets on 127.0.0.1: a canned HTTP server
(``tests/canned_server.py``), a port bound but not listening (refused), and a listener that hangs up (reset).
Attempts are counted with a request-log listener and on the server side, never by timing.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading

import pytest
import requests
from canned_server import BODY, Script, serve, transport

from telnyx_nb.api.error_mapping import error_from_response
from telnyx_nb.api.pacing import Pacer
from telnyx_nb.api.request_log import RequestRecord
from telnyx_nb.api.send_loop import SendLoop, _connection_reason, _never_connected
from telnyx_nb.core.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    ConfigurationError,
    ConflictError,
    NotFoundError,
    RateLimitError,
)


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
    assert (caught.value.method, caught.value.url) == ("GET", f"http://127.0.0.1:{port}/v2/oauth_clients")


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
def failure(status, headers=None, body=BODY, method="GET", path="/x", **options):
    """The error a single ``method`` to ``path`` raises when the server answers ``status``, and the request log."""
    with serve(Script((status, headers or {}), body=body)) as base:
        tx, records = transport(base, max_retries=0)
        with pytest.raises(APIError) as caught:
            tx.request(method, path, **options)
    return caught.value, records


def test_an_error_message_names_status_method_path_and_request_id():
    err, _ = failure(409, {"x-request-id": "req-123"}, path="/oauth_clients/abc?x=1")
    assert isinstance(err, ConflictError)
    assert str(err) == "HTTP 409 on GET /v2/oauth_clients/abc: [x]: scripted: scripted answer (request id req-123)"
    assert err.request_id == "req-123" and err.status == 409
    assert err.method == "GET" and err.url.endswith("/v2/oauth_clients/abc?x=1")


def test_a_rate_limit_error_reads_like_every_other_api_error():
    err, _ = failure(429, {"retry-after": "99", "x-request-id": "rl-1"})
    assert isinstance(err, RateLimitError)
    assert str(err) == "HTTP 429 on GET /v2/x: [x]: scripted: scripted answer (request id rl-1)"
    assert (err.status, err.request_id, err.code, err.method) == (429, "rl-1", "x", "GET")


@pytest.mark.parametrize("header", ["x-telnyx-request-id", "request-id", "x-amzn-requestid"])
def test_every_request_id_header_is_read(header):
    err, records = failure(422, {header: "rid-9"})
    assert err.request_id == "rid-9" and records[0].request_id == "rid-9"


def test_an_empty_request_id_header_is_skipped_for_the_next():
    assert failure(422, {"x-request-id": "", "request-id": "rid-2"})[0].request_id == "rid-2"


@pytest.mark.parametrize("status,content_type,body,summary", [
    pytest.param(400, "text/html", b"<html><head><title>t</title></head><body><script>var x=1;</script>"
                 b"<style>p{}</style><h1>Bad&nbsp;Gateway</h1>  <p>try\n again</p></body></html>",
                 "Bad Gateway try again", id="an HTML page is read as words without markup or scripts"),
    pytest.param(400, "text/plain", b"w" * 300, "w" * 239 + "…", id="long plain text is cut to 240 characters"),
    pytest.param(400, "text/plain", b"w" * 240, "w" * 240, id="240 characters of plain text are kept whole"),
    pytest.param(404, "application/json", b"", "Not Found", id="an empty body falls back to the reason phrase"),
])
def test_an_error_body_is_summarised_for_the_message(status, content_type, body, summary):
    err, _ = failure(status, {"content-type": content_type}, body=body)
    assert str(err) == f"HTTP {status} on GET /v2/x: {summary}"


def test_error_fields_from_an_oauth_error_body_reach_the_exception():
    body = b'{"error": "invalid_client", "error_description": "unknown client"}'
    err, _ = failure(401, body=body, method="POST", path="/oauth/token", data={"grant_type": "client_credentials"})
    assert err.error == "invalid_client" and err.error_description == "unknown client"
    assert "unknown client" in str(err)


def test_telnyx_error_fields_reach_the_exception():
    body = b'{"errors": [{"code": "10015", "title": "Bad", "detail": "no", "source": {"pointer": "/name"}}]}'
    err, _ = failure(422, body=body, method="POST", json={})
    assert (err.code, err.title, err.detail, err.pointers) == ("10015", "Bad", "no", ["/name"])
    assert err.errors and err.errors[0]["code"] == "10015"


def bare_response(reason: str, url: str | None) -> requests.Response:
    """A 500 with no body and no request behind it, as ``error_from_response`` may be handed one."""
    response = requests.Response()
    response.status_code, response._content, response.reason, response.url = 500, b"", reason, url
    return response


def test_an_error_without_reason_or_body_still_says_error():
    assert str(error_from_response(bare_response("", ""))) == "HTTP 500 on None : error"
    assert str(error_from_response(bare_response("", None))) == "HTTP 500 on None : error"


def test_error_from_response_of_a_response_without_a_request_still_reads():
    err = error_from_response(bare_response("Internal Server Error", "http://h.example/v2/x"))
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
        tx = SendLoop(base, max_retries=0)
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
    {"max_retry_time": -0.1}, {"max_retry_time": -1}, {"max_retry_time": False}, {"max_retry_time": True},
    {"max_retry_time": "60"}, {"max_retry_time": "1"}, {"max_retry_time": None},
    {"session": object()},
])
def test_bad_transport_settings_are_refused_naming_the_setting(kwargs):
    with pytest.raises(ConfigurationError) as caught:
        SendLoop("http://127.0.0.1:1/v2", **kwargs)
    assert next(iter(kwargs)) in str(caught.value)


@pytest.mark.parametrize("url", ["ftp://h/v2", "127.0.0.1:8000/v2", "http:///v2", 42])
def test_a_base_url_must_be_absolute_http(url):
    with pytest.raises(ConfigurationError, match="base_url must be an absolute URL"):
        SendLoop(url)


@pytest.mark.parametrize("kwargs", [{"timeout": (1, 2)}, {"timeout": 0.5}, {"max_retries": 0},
                                    {"max_retry_time": 0}])
def test_good_transport_settings_are_accepted(kwargs):
    SendLoop("HTTPS://h.example/v2/", **kwargs)


def test_a_transport_sends_its_user_agent():
    got = {}

    def respond(method, path, headers):
        got.update(headers)
        return 200, {}, b"{}"

    with serve(respond) as base:
        SendLoop(base + "/").request("GET", "x")
    assert got["User-Agent"].startswith("telnyx-nb/")
    assert got["Accept"] == "application/json"  # what the API answers with; requests alone would say */*


def test_a_given_session_keeps_its_own_headers():
    session = requests.Session()
    session.headers["User-Agent"] = "mine"
    tx = SendLoop("http://h.example/v2", session=session)
    assert tx.session is session and session.headers["User-Agent"] == "mine"
    assert session.headers["Accept"] == "*/*"  # left as the session's owner set it


# -------------------------------------------------------------------------------------------------- URLs
def test_urls_join_under_the_base_and_absolute_ones_pass_through():
    tx = SendLoop("http://h.example:8080/v2/")
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
    assert SendLoop("http://h.example/v2").same_origin(url) is same


def test_https_default_port_is_443():
    assert SendLoop("https://h.example/v2").same_origin("https://h.example:443/z")


# ------------------------------------------------------------------------------------------- log and redirects
def test_every_attempt_is_logged_at_debug_and_a_broken_listener_is_logged(caplog):
    def broken(record):
        raise RuntimeError("listener bug")

    with serve(Script((200, {}))) as base:
        tx = SendLoop(base, max_retries=0)
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


def test_a_redirect_is_followed_when_the_caller_asks():
    script = Script((302, {"location": "/v2/elsewhere"}), (200, {}))
    with serve(script) as base:
        tx, _ = transport(base, max_retries=0)
        assert tx.request("GET", "/x", allow_redirects=True).status_code == 200
    assert script.seen == [("GET", "/v2/x"), ("GET", "/v2/elsewhere")]


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


# ------------------------------------------------------------------------ each failure, word for word
@contextlib.contextmanager
def silent_server(backlog: int = 8, fill: int = 0):
    """A socket that never accepts. With room in its backlog the kernel completes the connection and the request
    waits for an answer (a read timeout); with the backlog filled by ``fill`` connections first, a new connection
    is never completed (a connect timeout)."""
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(socket.socket())
        server.bind(("127.0.0.1", 0))
        server.listen(backlog)
        for _ in range(fill):
            filler = stack.enter_context(socket.socket())
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(server.getsockname())
        yield f"http://127.0.0.1:{server.getsockname()[1]}/v2"


def test_a_read_timeout_names_the_method_the_path_and_the_timeout():
    with silent_server() as base:
        tx, records = transport(base, timeout=0.2, max_retries=0)
        with pytest.raises(APITimeoutError) as caught:
            tx.request("GET", "/oauth_grants")
    assert str(caught.value) == "GET /v2/oauth_grants: no answer within 0.2 s (read timeout)"
    assert (caught.value.method, caught.value.url) == ("GET", base + "/oauth_grants")
    assert records[0].error == str(caught.value)


def test_a_connect_timeout_says_so_and_a_post_is_sent_again_as_it_never_left():
    with silent_server(backlog=0, fill=4) as base:
        tx, records = transport(base, timeout=0.2, max_retries=1)
        with pytest.raises(APITimeoutError) as caught:
            tx.request("POST", "/oauth_clients", json={})
    assert str(caught.value) == "POST /v2/oauth_clients: no answer within 0.2 s (connect timeout)"
    assert (caught.value.method, caught.value.url) == ("POST", base + "/oauth_clients")
    assert len(records) == 2  # a POST that never reached the server may be replayed


def test_a_url_requests_refuses_is_a_connection_error_naming_it():
    tx, _ = transport("http://127.0.0.1:1/v2", max_retries=0)
    with pytest.raises(APIConnectionError) as caught:
        tx.request("GET", "http:///x")
    assert str(caught.value) == "GET /x: Invalid URL 'http:///x': No host supplied"
    assert (caught.value.method, caught.value.url) == ("GET", "http:///x")


@pytest.mark.parametrize(("url", "why"), [("http://[bad/x", "Invalid IPv6 URL"),
                                          ("http://h.example:99999/x", "Port out of range 0-65535")])
def test_a_url_urllib_cannot_split_is_a_connection_error_not_a_valueerror(url, why):
    tx, records = transport("http://127.0.0.1:1/v2", max_retries=0)
    with pytest.raises(APIConnectionError) as caught:
        tx.request("GET", url)
    assert str(caught.value) == f"GET {url}: not a valid URL ({why})"
    assert (caught.value.method, caught.value.url) == ("GET", url) and records == []


def test_a_header_http_client_cannot_encode_is_a_configuration_error_saying_what_to_check():
    with serve(Script()) as base:
        tx, _ = transport(base, max_retries=0)
        with pytest.raises(ConfigurationError) as caught:
            tx.request("GET", "/x", headers={"X-Key": "abc\u0100"})
    assert str(caught.value) == (
        "GET /v2/x: a request header is invalid ('latin-1' codec can't encode character '\\u0100' in position 3: "
        "ordinal not in range(256)); check the API key / client credentials for stray whitespace or newlines")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"retry": {}}, "retry must be a RetryPolicy, got dict"),
    ({"session": object()}, "session must be a requests.Session, got object"),
    ({"pacer": "20/s"}, "pacer must be a Pacer or None, got str"),
])
def test_a_setting_of_the_wrong_type_names_the_type_it_got(kwargs, message):
    with pytest.raises(ConfigurationError) as caught:
        SendLoop("http://h.example/v2", **kwargs)
    assert str(caught.value) == message


def test_a_pacer_given_is_the_one_used_and_none_turns_pacing_off():
    pacer = Pacer()
    assert SendLoop("http://h.example/v2", pacer=pacer).pacer is pacer
    assert SendLoop("http://h.example/v2", pacer=None).pacer is None
    assert isinstance(SendLoop("http://h.example/v2").pacer, Pacer)


def test_only_slashes_are_trimmed_where_a_base_url_and_a_path_meet():
    tx = SendLoop("http://h.example/apiX//")
    assert tx.base_url == "http://h.example/apiX"
    assert tx.url("Xoauth") == "http://h.example/apiX/Xoauth"
