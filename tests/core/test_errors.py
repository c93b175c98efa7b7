"""The error tree for answers the sandbox never gives (403, 409, 408, multi-error 422, HTML 502, x-should-retry).

A tiny ``http.server`` on 127.0.0.1 replays canned answers shaped like the real Telnyx API's, so the one place that
maps responses to exceptions (``transport.error_from_response``) and the retry rules are exercised over a real
socket. Everything the sandbox can produce is tested against the sandbox instead (test_api_retries, _oauth, …).
"""

from __future__ import annotations

import json

import pytest
from canned_server import serve

from telnyx_nb import TelnyxOAuth
from telnyx_nb.core.errors import (
    APIError,
    ConflictError,
    PermissionDeniedError,
    ServerError,
    TelnyxNBError,
    ValidationError,
)

API_KEY = "KEY0123456789abcdefghijklmnopqrstuv"


class Script:
    """Answers to give, in order, and the requests seen."""

    def __init__(self):
        self.answers: list[tuple[int, dict, bytes]] = []
        self.seen: list[tuple[str, str, str | None]] = []


@pytest.fixture
def server():
    script = Script()

    def respond(method, path, headers):
        script.seen.append((method, path, headers.get("authorization")))
        return script.answers.pop(0) if script.answers else (200, {}, b"{}")

    with serve(respond) as base_url:
        script.base_url = base_url
        yield script


def telnyx_error(status, *errors, headers=None):
    return status, headers or {}, json.dumps({"errors": list(errors)}).encode()


def client(server, **kwargs):
    return TelnyxOAuth(API_KEY, base_url=server.base_url, is_sandbox=False, **kwargs)


def test_403_is_permission_denied_with_telnyx_fields_and_request_id(server):
    server.answers.append(
        telnyx_error(
            403,
            {"code": "10010", "title": "Authorization failed", "detail": "This key may not manage OAuth clients."},
            headers={"x-request-id": "req-123"},
        )
    )
    with pytest.raises(PermissionDeniedError) as info:
        client(server).list_clients()
    err = info.value
    assert (err.status, err.code, err.title, err.request_id) == (403, "10010", "Authorization failed", "req-123")
    assert "may not manage" in str(err) and "req-123" in str(err)
    assert len(server.seen) == 1  # 403 is final


def test_409_on_a_get_is_retried_then_raises_conflict(server):
    for _ in range(3):
        server.answers.append(telnyx_error(409, {"code": "10013", "title": "Conflict", "detail": "Busy."},
                                           headers={"retry-after-ms": "10"}))
    with pytest.raises(ConflictError) as info:
        client(server, max_retries=2).get_client("abc")
    assert info.value.status == 409 and info.value.code == "10013"
    assert len(server.seen) == 3


def test_409_on_create_is_not_replayed(server):
    server.answers.append(telnyx_error(409, {"code": "10013", "title": "Conflict"}))
    with pytest.raises(ConflictError):
        client(server).create_client("x", "public", ["authorization_code"], ["messaging"])
    assert len(server.seen) == 1


def test_408_is_retried_for_a_get(server):
    server.answers.append(telnyx_error(408, {"code": "408", "title": "Request Timeout"}, headers={"retry-after": "0"}))
    server.answers.append((200, {}, json.dumps({"data": [], "meta": {"page_number": 1, "page_size": 20,
                                                                     "total_pages": 0, "total_results": 0}}).encode()))
    assert client(server).list_grants().items == ()
    assert len(server.seen) == 2


def test_422_lists_every_field_pointer(server):
    server.answers.append(
        telnyx_error(
            422,
            {"code": "10015", "title": "Invalid value", "detail": "name is required", "source": {"pointer": "/name"}},
            {"code": "10015", "title": "Invalid value", "detail": "bad URI", "source": {"pointer": "/redirect_uris/0"}},
        )
    )
    with pytest.raises(ValidationError) as info:
        client(server).update_client("abc", name="")
    assert info.value.pointers == ["/name", "/redirect_uris/0"]
    assert len(info.value.errors) == 2


def test_html_502_is_a_server_error_without_the_html(server):
    for _ in range(3):
        server.answers.append((502, {"content-type": "text/html"}, b"<html><body>Bad gateway</body></html>"))
    with pytest.raises(ServerError) as info:
        client(server).list_grants()
    assert info.value.status == 502 and "<html>" not in str(info.value)


def test_x_should_retry_false_is_obeyed(server):
    server.answers.append((503, {"x-should-retry": "false"}, b'{"errors": [{"title": "Down for maintenance"}]}'))
    with pytest.raises(ServerError):
        client(server).list_grants()
    assert len(server.seen) == 1


def test_unexpected_status_falls_back_to_api_error(server):
    server.answers.append(telnyx_error(418, {"title": "I'm a teapot"}))
    with pytest.raises(APIError) as info:
        client(server).list_grants()
    assert type(info.value) is APIError and info.value.status == 418


def test_error_messages_mask_credentials_echoed_by_a_server(server):
    server.answers.append(telnyx_error(403, {"title": "Denied", "detail": f"key {API_KEY} lacks rights"}))
    with pytest.raises(TelnyxNBError) as info:
        client(server).list_clients()
    assert API_KEY not in str(info.value) and API_KEY not in repr(info.value)
    assert API_KEY not in (info.value.detail or "")


def test_non_json_success_is_an_api_error(server):
    server.answers.append((200, {"content-type": "text/plain"}, b"hello"))
    with pytest.raises(APIError, match="expected JSON"):
        client(server).list_grants()
