"""Mistakes a user makes, refused with a message naming the fix: bad arguments before any request, a wrong
port or scheme, a base URL without ``/v2``.
"""

from __future__ import annotations

import pytest

from telnyx_nb import TelnyxOAuth
from telnyx_nb.core.errors import APIError, ConfigurationError

API_KEY = "KEY0123456789abcdefghijklmnopqrstuv"
REDIRECT = "http://127.0.0.1:9/cb"


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda tx: tx.list_clients(verified="yes"), "verified"),
        (lambda tx: tx.list_clients(colour="red"), "colour"),
        (lambda tx: tx.clients_df(page_size=300), "page_size"),
        (lambda tx: tx.grants_df(page_size=0), "page_size"),
        (lambda tx: tx.create_client("x", "public", ["client_credentials"], [1, 2]), "allowed_scopes"),
        (lambda tx: TelnyxOAuth(API_KEY, base_url="ftp://127.0.0.1/v2"), "base_url"),
        (lambda tx: tx.list_clients(page_size=True), "page_size"),
        (lambda tx: tx.revoke_grant("  "), "grant_id"),
        (lambda tx: tx.exchange_code("", redirect_uri=REDIRECT, client_id="c"), "code"),
        (lambda tx: tx.exchange_code("abc", redirect_uri=None, client_id="c"), "redirect_uri"),
        (lambda tx: tx.refresh(None, client_id="c"), "refresh_token"),
        (lambda tx: tx.verify_jwt(""), "access token"),
        (lambda tx: tx.parse_redirect(None, "state"), "redirect"),
        (lambda tx: TelnyxOAuth(API_KEY, base_url=tx.base_url, max_workers="8"), "max_workers"),
        (lambda tx: TelnyxOAuth(API_KEY, base_url=tx.base_url, max_retries=None), "max_retries"),
        (lambda tx: TelnyxOAuth(API_KEY, base_url=tx.base_url, max_retry_time=-1), "max_retry_time"),
        (lambda tx: TelnyxOAuth(API_KEY, base_url=tx.base_url, session="s"), "session"),
    ],
)
def test_bad_arguments_fail_before_any_request_naming_the_field(canned, call, field):
    with pytest.raises(ConfigurationError, match=field):
        call(canned.client)
    assert canned.seen == []


def test_a_single_string_of_grant_types_or_scopes_is_not_split_into_letters(make_sandbox):
    sb = make_sandbox(seed="empty", scopes=["admin", "messaging", "voice"])  # a custom catalog: several names
    with TelnyxOAuth.from_sandbox(sb, max_retries=0) as tx:
        client = tx.create_client("one string", "confidential", "client_credentials", "messaging voice")
    assert client.allowed_grant_types == ("client_credentials",)
    assert set(client.allowed_scopes) == {"messaging", "voice"}


def test_a_wrong_port_says_connection_refused_and_what_to_check():
    import socket

    from telnyx_nb.core.errors import APIConnectionError

    with socket.socket() as sock:  # bound, so nobody else takes the port, but not listening: refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        with TelnyxOAuth(API_KEY, base_url=f"http://127.0.0.1:{port}/v2", max_retries=0) as tx:
            with pytest.raises(APIConnectionError) as info:
                tx.list_clients()
    message = str(info.value)
    assert f"connection refused by 127.0.0.1:{port}" in message and "base URL" in message
    assert "HTTPConnectionPool" not in message  # no urllib3 internals


def test_https_to_a_plain_http_server_says_to_use_http(canned):
    from telnyx_nb.core.errors import APIConnectionError

    https = canned.base_url.replace("http://", "https://")
    with TelnyxOAuth(API_KEY, base_url=https, max_retries=0, timeout=5) as tx:
        with pytest.raises(APIConnectionError, match="use http:// instead of https://"):
            tx.list_clients()


def test_a_base_url_without_v2_gets_a_404_that_points_at_the_base_url(sandbox):
    with TelnyxOAuth(sandbox.api_key, base_url=sandbox.root_url, max_retries=0) as tx:
        with pytest.raises(APIError, match=r"is the base URL right\? .*ends in /v2") as info:
            tx.list_clients()
    assert info.value.status == 404
    with TelnyxOAuth.from_sandbox(sandbox, max_retries=0) as tx:  # a missing object is not blamed on the URL
        with pytest.raises(APIError) as info:
            tx.get_client("no-such-client")
    assert "base URL" not in str(info.value)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
@pytest.mark.parametrize("call", [
    pytest.param(lambda tx: tx.revoke_token("a-token", client_id="c", client_secret="s" * 20), id="revoke_token"),
    pytest.param(lambda tx: tx.delete_client("c1"), id="delete_client"),
    pytest.param(lambda tx: tx.revoke_grant("00000000-0000-4000-8000-000000000001"), id="revoke_grant"),
    pytest.param(lambda tx: tx.list_clients(), id="list_clients"),
])
def test_a_redirect_is_an_error_naming_where_it_points_never_a_silent_success(status, call):
    """The client follows no redirect (credentials must not travel to wherever a Location points). A 3xx with an
    empty body read as success: revoke_token(), delete_client() and revoke_grant() returned as if done, against an
    http:// base URL that a server redirects to https:// (RFC 9110 §15.4: a 3xx asks for further action)."""
    from canned_server import serve

    target = "https://api.example.test/v2/elsewhere"
    with serve(lambda method, path, headers: (status, {"location": target}, b"")) as base:
        with TelnyxOAuth(API_KEY, base_url=base, max_retries=0, timeout=5) as tx:
            with pytest.raises(APIError) as info:
                call(tx)
    assert info.value.status == status and target in str(info.value) and "base URL" in str(info.value)
