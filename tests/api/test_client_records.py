"""Answers the sandbox never gives, from the canned server on 127.0.0.1: malformed bodies become an ``APIError``
naming the problem, and lax spellings of real-API servers (string dates and numbers, list audiences, string
booleans, mixed-case enums) still fill the typed records.
"""

from __future__ import annotations

import pandas as pd
import pytest
from canned_server import as_json, client_json

from telnyx_nb.core.errors import APIError


@pytest.mark.parametrize(
    "body, words",
    [
        ({"data": {"client_id": "a"}}, "'data' must be a list"),
        ({"data": [{"name": "no id"}]}, "'client_id' is missing"),
        ({"data": [{"client_id": "a", "created_at": "yesterday"}]}, "yesterday"),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_a_malformed_list_answer_is_an_api_error_naming_the_problem(canned, body, words):
    canned.answers["/v2/oauth_clients"] = (200, "application/json", as_json(body))
    with pytest.raises(APIError, match="not a valid") as info:
        canned.client.list_clients()
    assert words in str(info.value)


@pytest.mark.parametrize("body, got", [([1, 2], "list"), ("grants", "str"), (5, "int")])
def test_grants_df_refuses_a_page_that_is_no_json_object_as_list_clients_does(canned, body, got):
    """grants_df() reads its pages through its own fast path: a bare AttributeError there once reached the user."""
    canned.answers["/v2/oauth_grants"] = (200, "application/json", as_json(body))
    with pytest.raises(APIError, match=f"not a valid Page: expected a JSON object, got {got}"):
        canned.client.grants_df(with_clients=False, progress=False)


@pytest.mark.parametrize("status", [200, 400])
def test_json_nested_too_deep_to_decode_is_an_api_error_not_a_recursion_error(canned, status):
    deep = b"[" * 100_000 + b"]" * 100_000
    canned.answers["/v2/oauth_clients"] = (status, "application/json", deep)
    with pytest.raises(APIError, match="HTTP 400" if status == 400 else "not valid JSON"):
        canned.client.list_clients()


def test_a_token_answer_without_access_token_is_an_api_error(canned):
    canned.answers["/v2/oauth/token"] = (200, "application/json", b'{"token_type": "Bearer"}')
    with pytest.raises(APIError, match="'access_token' is missing"):
        canned.client.client_credentials_token(client_id="c", client_secret="s" * 20)


def test_html_with_200_is_an_api_error_not_a_json_decode_error(canned):
    canned.answers["/v2/oauth_clients"] = (200, "text/html", b"<html>sign in</html>")
    with pytest.raises(APIError, match="expected JSON, got text/html"):
        canned.client.clients_df()


def test_invalid_json_labelled_as_json_says_the_body_is_broken(canned):
    canned.answers["/v2/oauth_clients"] = (200, "application/json", b"{bad")
    with pytest.raises(APIError, match=r"GET /oauth_clients: the body is not valid JSON"):
        canned.client.list_clients()


def test_introspection_from_a_lax_server_with_string_numeric_dates_and_a_list_audience(canned):
    canned.answers["/v2/oauth/introspect"] = (
        200, "application/json",
        as_json({"active": True, "scope": "a b", "exp": "1700000000", "aud": ["x", "y"], "client_id": "c"}),
    )
    row = canned.client.introspection_df("opaque-token-value").iloc[0]
    assert row["exp"] == pd.Timestamp(1700000000, unit="s", tz="UTC")
    assert list(row["scopes"]) == ["a", "b"] and row["active"]


@pytest.mark.parametrize("active, expected", [("false", False), ("true", True), (1, False), (None, False)])
def test_introspection_active_fails_closed_on_a_non_boolean(canned, active, expected):
    """RFC 7662 §2.2: ``active`` is a boolean. ``"active": "false"`` from a lax server must not read as active."""
    canned.answers["/v2/oauth/introspect"] = (200, "application/json", as_json({"active": active}))
    assert canned.client.introspect("opaque-token-value").active is expected


def test_lax_spellings_of_booleans_and_enums_still_fill_the_typed_columns(canned):
    canned.answers["/v2/oauth_clients"] = (
        200, "application/json",
        as_json({"data": [client_json(1, verified="false", require_pkce="true", client_type="Confidential"),
                        client_json(2, verified=1, require_pkce=0, client_type="public")]}),
    )
    df = canned.client.clients_df(progress=False)
    assert list(df["verified"]) == [False, True] and list(df["require_pkce"]) == [True, False]
    assert list(df["client_type"]) == ["confidential", "public"]


@pytest.mark.parametrize("expires_in", ["3600", 3600.0, "3600.0"])
def test_token_expiry_spelled_as_a_string_or_float_still_drives_the_cache(canned, expires_in):
    canned.answers["/v2/oauth/token"] = (
        200, "application/json", as_json({"access_token": "opaque-access-value", "token_type": "Bearer",
                                        "expires_in": expires_in}),
    )
    token = canned.client.client_credentials_token(client_id="c", client_secret="s" * 20)
    assert token.expires_in == 3600 and token.expires_at is not None


@pytest.mark.parametrize("value", [b"NaN", b"Infinity", b"-Infinity", b"1e400"])
def test_a_non_finite_number_in_a_token_answer_is_an_api_error_naming_the_field(canned, value):
    """Python's JSON parser reads NaN, Infinity and 1e400 (not JSON, RFC 8259 section 6, but servers send them):
    int() of infinity is an OverflowError, which escaped as a bare builtin error instead of the typed one."""
    canned.answers["/v2/oauth/token"] = (200, "application/json",
                                         b'{"access_token": "a.b.c", "token_type": "Bearer", "expires_in": ' + value
                                         + b"}")
    with pytest.raises(APIError, match="not a valid TokenResponse: field 'expires_in'"):
        canned.client.client_credentials_token(client_id="c", client_secret="s" * 20)


@pytest.mark.parametrize("value", [b"NaN", b"Infinity", b"1e400"])
def test_a_non_finite_page_meta_is_read_as_absent(canned, value):
    """A meta number that is no whole number is ignored like any other unreadable one (the page still reads)."""
    canned.answers["/v2/oauth_clients"] = (200, "application/json",
                                           b'{"data": [], "meta": {"page_number": 1, "total_pages": ' + value + b"}}")
    page = canned.client.list_clients()
    assert page.total_pages == 1 and len(page) == 0


@pytest.mark.parametrize("field", ["created_at", "last_used_at"])
@pytest.mark.parametrize("value", ['"yesterday"', '"2025-13-45T00:00:00Z"', "1e400", '{"a": 1}'])
def test_a_grant_with_an_unreadable_date_is_an_api_error_in_the_grants_frame_too(canned, field, value):
    """grants_df() reads pages as columns, not records: a bad date there escaped as a bare ValueError or
    OverflowError where list_grants() raises the typed error naming the field."""
    grant = ('{"id": "g1", "client_id": "c1", "scopes": ["admin"], "created_at": "2025-01-01T00:00:00Z", '
             '"last_used_at": null}').replace(f'"{field}": ' + ("null" if field == "last_used_at" else
                                                                 '"2025-01-01T00:00:00Z"'), f'"{field}": {value}')
    canned.answers["/v2/oauth_grants"] = (200, "application/json", f'{{"data": [{grant}]}}'.encode())
    with pytest.raises(APIError, match=f"not a valid oauth_grant: field '{field}'"):
        canned.client.grants_df(progress=False, with_clients=False)
