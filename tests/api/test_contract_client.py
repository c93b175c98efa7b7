"""The API module against servers that keep to Telnyx's published contract more strictly than our sandbox may:
a 1–100 ``page[size]``, errors only as ``oauth_Error``, errors only as ``errors[]``, records with the published
nullability. Canned loopback servers (tests/canned_server.py) play those parts over real HTTP.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import uuid
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
from canned_server import serve

from telnyx_nb import TelnyxOAuth
from telnyx_nb.core import wire
from telnyx_nb.core.errors import (
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    ValidationError,
)
from telnyx_nb.core.masking import mask_text
from telnyx_nb.core.records import OAuthClient, OAuthGrant

KEY = "KEY" + "0193aF2c-3D8e9B7f_6A5c4D3e2F1a0B9xYz" + "Q7w_E4r-T1yU6i8O2pL"  # the published shape, made up
assert len(KEY) == 58


def _json(status, body, headers=None):
    return status, dict(headers or {}), json.dumps(body).encode()


def _client(base_url, **kwargs):
    kwargs.setdefault("max_retries", 0)
    return TelnyxOAuth(KEY, base_url=base_url, **kwargs)


# -- a server that enforces the published page bounds ----------------------------------------------------------

def _grant(i):
    return {"record_type": "oauth_grant", "id": str(uuid.UUID(int=i + 1)), "client_id": f"client-{i % 3}",
            "scopes": ["messaging"], "created_at": f"2025-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z",
            "last_used_at": None if i % 2 else "2025-02-01T00:00:00Z"}


def _real_client(i):
    # what the real API sends: no `verified`, no client_secret (or null), null URIs
    client = {"record_type": "oauth_client", "client_id": f"client-{i}", "name": f"App {i}", "org_id": "org",
              "user_id": "user", "client_type": wire.CLIENT_TYPES[i % 2], "require_pkce": True,
              "allowed_grant_types": [wire.AUTHORIZATION_CODE], "allowed_scopes": ["messaging"],
              "redirect_uris": [], "logo_uri": None, "policy_uri": None, "tos_uri": None,
              "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-02T00:00:00Z"}
    if i == 1:
        client["client_secret"] = None
    return client


class StrictPages:
    """GET /oauth_grants and /oauth_clients as Telnyx documents them: page[size] 1–100 (default 20),
    page[number] >= 1; anything else is a 422 in oauth_Error shape naming the parameter."""

    def __init__(self, n_grants, n_clients=3):
        self.grants = [_grant(i) for i in range(n_grants)]
        self.clients = [_real_client(i) for i in range(n_clients)]
        self.requests: list[tuple[str, dict]] = []
        self.lock = threading.Lock()

    def __call__(self, method, path, headers):
        parts = urlsplit(path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with self.lock:
            self.requests.append((parts.path, query))
        items = {"/v2/oauth_grants": self.grants, "/v2/oauth_clients": self.clients}.get(parts.path)
        if items is None:
            return _json(404, {"error": "not_found", "error_description": f"no route {parts.path}"})
        size, number = query.get("page[size]", "20"), query.get("page[number]", "1")
        if not size.isdigit() or not 1 <= int(size) <= 100:
            return _json(422, {"error": "invalid_request",
                               "error_description": "page[size] must be an integer from 1 to 100"})
        if not number.isdigit() or int(number) < 1:
            return _json(422, {"error": "invalid_request", "error_description": "page[number] must be >= 1"})
        size, number = int(size), int(number)
        total_pages = max(1, -(-len(items) // size))
        return _json(200, {"data": items[(number - 1) * size: number * size],
                           "meta": {"page_number": number, "page_size": size, "total_pages": total_pages,
                                    "total_results": len(items)}})

    def sizes(self, path="/v2/oauth_grants"):
        return [int(q["page[size]"]) for p, q in self.requests if p == path]


def test_every_page_is_read_at_the_documented_maximum_from_a_server_enforcing_it():
    server = StrictPages(n_grants=257)
    with serve(server) as base_url, _client(base_url) as tx:
        df = tx.grants_df(progress=False)
        walked = [g.id for g in tx.iter_grants()]
    assert list(df["id"]) == [g["id"] for g in server.grants] == walked  # every grant once, in server order
    assert set(server.sizes()) == {100}  # every page at the cap: never more, never fewer rows than allowed
    assert sorted(int(q["page[number]"]) for p, q in server.requests if p == "/v2/oauth_grants") == \
        sorted([1, 2, 3] * 2)


def test_single_pages_default_to_the_documented_maximum():
    server = StrictPages(n_grants=150)
    with serve(server) as base_url, _client(base_url) as tx:
        page = tx.list_grants()
        clients = tx.list_clients()
    assert len(page) == 100 and page.total_pages == 2 and page.has_next
    assert len(clients) == 3
    assert server.sizes() == [100] and server.sizes("/v2/oauth_clients") == [100]


def test_an_out_of_range_page_size_from_the_server_is_a_validation_error_naming_the_parameter():
    # what a pre-contract client asking for page[size]=250 met on the first page of a real account
    server = StrictPages(n_grants=5)
    with serve(server) as base_url, _client(base_url) as tx, pytest.raises(ValidationError) as caught:
        tx.send_loop.request("GET", "/oauth_grants", params={"page[size]": 250})
    assert caught.value.status == 422 and caught.value.error == "invalid_request"
    assert "page[size] must be an integer from 1 to 100" in str(caught.value)


@pytest.mark.parametrize("bad", [0, 101, 250, -1, "100", 20.0, True, None])
def test_a_page_size_outside_1_to_100_is_refused_before_any_request(bad):
    server = StrictPages(n_grants=5)
    with serve(server) as base_url, _client(base_url) as tx:
        calls = [
            lambda: tx.list_grants(page_size=bad),
            lambda: tx.list_clients(page_size=bad),
            lambda: tx.iter_grants(page_size=bad),  # refused when called, not at the first next()
            lambda: tx.iter_clients(page_size=bad),
            lambda: tx.all_grants(page_size=bad, progress=False),
            lambda: tx.all_clients(page_size=bad, progress=False),
            lambda: tx.grants_df(page_size=bad, progress=False),
            lambda: tx.clients_df(page_size=bad, progress=False),
        ]
        for call in calls:
            with pytest.raises(ConfigurationError) as caught:
                call()
            message = str(caught.value)
            assert "page_size" in message and "100" in message and repr(bad) in message
    assert server.requests == []


def test_page_size_bounds_themselves_are_accepted():
    server = StrictPages(n_grants=5)
    with serve(server) as base_url, _client(base_url) as tx:
        assert len(tx.list_grants(page_size=1)) == 1
        assert len(tx.list_grants(page_size=100)) == 5
        with pytest.raises(ConfigurationError, match="page_number"):
            tx.list_grants(page_number=0)
    assert server.sizes() == [1, 100]


# -- the published nullability ------------------------------------------------------------------------------------

def test_records_and_frames_take_the_published_nulls_and_absences_as_missing():
    server = StrictPages(n_grants=4)
    with serve(server) as base_url, _client(base_url) as tx:
        clients = tx.clients_df(progress=False)
        grants = tx.grants_df(progress=False)
        records = tx.all_clients(progress=False)
    assert all(c.client_secret is None and c.verified is None and c.logo_uri is None for c in records)
    assert clients["verified"].isna().all() and str(clients["verified"].dtype) == "boolean"
    for column in ("logo_uri", "policy_uri", "tos_uri"):
        assert clients[column].isna().all() and str(clients[column].dtype) == "string"
    assert list(clients["client_type"].cat.categories) == list(wire.CLIENT_TYPES)
    assert grants["last_used_at"].isna().tolist() == [False, True, False, True]
    assert grants["client_verified"].isna().all()
    assert grants["client_name"].notna().all()


def test_records_hold_every_published_field():
    for record, fields in ((OAuthClient, wire.CLIENT_OBJECT_FIELDS), (OAuthGrant, wire.GRANT_OBJECT_FIELDS)):
        attributes = {f for f in record.__dataclass_fields__}
        assert set(fields) - {"record_type"} <= attributes, record
        assert record.WIRE_FIELDS == fields


# -- error bodies in either shape -----------------------------------------------------------------------------

def _error_server(bodies):
    """Answer each path with the (status, body) given for it."""
    def respond(method, path, headers):
        status, body = bodies[urlsplit(path).path]
        return _json(status, body)
    return respond


OAUTH_ERROR_ONLY = {
    "/v2/oauth_grants": (401, {"error": "invalid_token", "error_description": f"API key {KEY} is not valid"}),
    "/v2/oauth_clients/nope": (404, {"error": "not_found", "error_description": "No oauth_client nope"}),
    "/v2/oauth_clients": (422, {"error": "invalid_request", "error_description": "name is required"}),
    "/v2/oauth_grants/x": (400, {"error": "invalid_request", "error_description": "id must be a uuid"}),
}


def test_oauth_error_bodies_map_to_the_typed_exceptions_with_their_description():
    with serve(_error_server(OAUTH_ERROR_ONLY)) as base_url, _client(base_url) as tx:
        with pytest.raises(AuthenticationError) as unauthorized:
            tx.list_grants()
        with pytest.raises(NotFoundError) as missing:
            tx.get_client("nope")
        with pytest.raises(ValidationError) as invalid:
            tx.create_client("", "public", [wire.AUTHORIZATION_CODE], ["messaging"])
        with pytest.raises(ValidationError) as bad_id:
            tx.get_grant("x")
    assert unauthorized.value.error == "invalid_token" and unauthorized.value.status == 401
    assert "is not valid" in str(unauthorized.value) and "invalid_token" in str(unauthorized.value)
    assert KEY not in str(unauthorized.value) and KEY not in unauthorized.value.error_description  # masked
    assert missing.value.error_description == "No oauth_client nope" and "No oauth_client nope" in str(missing.value)
    assert invalid.value.status == 422 and invalid.value.error == "invalid_request"
    assert "name is required" in str(invalid.value) and invalid.value.code is None and invalid.value.pointers == []
    assert bad_id.value.status == 400 and "id must be a uuid" in str(bad_id.value)


ERRORS_LIST_ONLY = {
    "/v2/oauth_clients": (422, {"errors": [
        {"code": "10015", "title": "Invalid value", "detail": "name must not be empty", "source": {"pointer": "/name"}},
        {"code": "10015", "title": "Invalid value", "detail": "bad URI", "source": {"pointer": "/redirect_uris/0"}},
    ]}),
    "/v2/oauth_grants": (400, {"errors": [
        {"code": "10016", "title": "Invalid parameter", "detail": "must be at most 100",
         "source": {"parameter": "page[size]"}},
    ]}),
    "/v2/oauth_clients/nope": (404, {"errors": [{"code": "10005", "title": "Resource not found"}]}),
}


def test_errors_list_bodies_map_to_the_typed_exceptions_naming_the_fields():
    with serve(_error_server(ERRORS_LIST_ONLY)) as base_url, _client(base_url) as tx:
        with pytest.raises(ValidationError) as invalid:
            tx.create_client("", "public", [wire.AUTHORIZATION_CODE], ["messaging"], redirect_uris=["x"])
        with pytest.raises(ValidationError) as bad_query:
            tx.list_grants()
        with pytest.raises(NotFoundError) as missing:
            tx.get_client("nope")
    assert invalid.value.pointers == ["/name", "/redirect_uris/0"]
    assert invalid.value.code == "10015" and invalid.value.detail == "name must not be empty"
    assert "/name" in str(invalid.value) and "/redirect_uris/0" in str(invalid.value)
    assert "+1 more error" in str(invalid.value) and len(invalid.value.errors) == 2
    assert invalid.value.error is None
    assert bad_query.value.pointers == ["page[size]"] and "page[size]" in str(bad_query.value)
    assert missing.value.title == "Resource not found" and "Resource not found" in str(missing.value)


def test_a_body_with_both_shapes_reads_both_and_says_it_once():
    both = {"/v2/oauth_clients": (422, {
        "error": "invalid_request", "error_description": "name must not be empty",
        "errors": [{"code": "10015", "title": "Invalid value", "detail": "name must not be empty",
                    "source": {"pointer": "/name"}}],
    })}
    with serve(_error_server(both)) as base_url, _client(base_url) as tx, pytest.raises(ValidationError) as caught:
        tx.create_client("", "public", [wire.AUTHORIZATION_CODE], ["messaging"])
    error = caught.value
    assert (error.error, error.code, error.pointers) == ("invalid_request", "10015", ["/name"])
    assert error.error_description == error.detail == "name must not be empty"
    assert str(error).count("name must not be empty") == 1
    assert "/name" in str(error)


def test_a_registration_error_names_its_invalid_fields():
    """Telnyx publishes /oauth/register's 400 as {error: invalid_client_metadata, error_description,
    invalid_fields?}: the fields it lists are the ones to fix, as a source.pointer is elsewhere."""
    refused = {"/v2/oauth/register": (400, {"error": "invalid_client_metadata", "error_description": "bad metadata",
                                            "invalid_fields": ["redirect_uris", "scope", 7]})}
    with serve(_error_server(refused)) as base_url, _client(base_url) as tx, pytest.raises(ValidationError) as caught:
        tx.register_client(client_name="x", redirect_uris=["http://evil.example/cb"])
    assert caught.value.error == "invalid_client_metadata"
    assert caught.value.pointers == ["redirect_uris", "scope"]
    assert "redirect_uris" in str(caught.value) and "scope" in str(caught.value)


def test_read_error_body_ignores_what_is_neither_shape():
    assert wire.read_error_body(["not", "an", "object"]) == wire.ErrorBody()
    assert wire.read_error_body({"errors": "oops", "error": 5}).summary() == ""
    said = wire.read_error_body({"errors": [{"code": 10011, "source": {"pointer": 7}}, "junk"]})
    assert said.code == "10011" and said.pointers == [] and len(said.errors) == 1


# -- the key shape ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    f"key {KEY} here",
    f"Authorization: Bearer%20{KEY}",  # URL-encoded: glued to a word
    f'{{"header":"x{KEY}"}}',
    f"TELNYX_API_KEY={KEY}",
    f"{KEY}.",
])
def test_mask_text_hides_a_published_shape_key_anywhere(text):
    masked = mask_text(text)
    assert KEY not in masked and KEY[10:40] not in masked
    assert "KEY0…pL" in masked


def test_mask_text_still_hides_older_key_shapes_and_leaves_words_alone():
    older = "KEY01934AF2C3D8E9B7F6A5C4D3E2F1A0B9_xyz"
    assert older not in mask_text(f"key {older}")
    assert mask_text("MONKEY KEYBOARD KEY_ID") == "MONKEY KEYBOARD KEY_ID"


def test_the_client_never_shows_the_key():
    tx = TelnyxOAuth(KEY, base_url="http://127.0.0.1:9/v2")
    assert KEY not in repr(tx) and KEY not in tx.target


# -- one vocabulary, imported lightly -----------------------------------------------------------------------------

def test_the_wire_module_loads_neither_requests_nor_pandas():
    code = ("import sys, telnyx_nb.core.wire; print(','.join(m for m in ('requests', 'pandas', 'telnyx_nb.api.client')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_frames_widgets_and_audit_read_the_one_vocabulary():
    from telnyx_nb import frames
    from telnyx_nb.api import client, pkce
    from telnyx_nb.widgets import clients as clients_panel
    from telnyx_nb.widgets import token as token_panel

    copies = [n for n in ("GRANT_TYPES", "CLIENT_TYPES", "MAX_PAGE_SIZE", "DEFAULT_PAGE_SIZE", "CLIENT_FILTERS")
              if hasattr(client, n)]
    assert copies == []  # the client reads wire's names, it keeps no copy of its own (one name, one home)
    assert wire.MAX_PAGE_SIZE == 100 == wire.DEFAULT_PAGE_SIZE
    assert not hasattr(clients_panel, "GRANT_TYPES") and not hasattr(token_panel, "GRANT_TYPES")  # wire's, not aliased
    assert pkce.METHODS is wire.CODE_CHALLENGE_METHODS
    assert tuple(frames.CLIENT_TYPE.categories) == wire.CLIENT_TYPES
    assert pd.api.types.is_string_dtype(frames.DTYPES["logo_uri"])


@pytest.mark.parametrize("bad", ["0", "many", "257"])
def test_sandbox_threads_option_refuses_a_bad_count_naming_it(bad):
    # the benchmark gives the sandbox as many threads as the client has workers, so concurrency can show
    result = subprocess.run([sys.executable, "-m", "telnyx_nb.cli", "sandbox", "--json", "--port", "0", "--db",
                             ":memory:", "--seed", "empty", "--threads", bad], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 2 and "--threads" in result.stderr and result.stdout == ""


def test_sandbox_threads_option_defaults_to_8_and_takes_a_count():
    result = subprocess.run(
        [sys.executable, "-c",
         ("import argparse; from telnyx_nb.sandbox import cli; p = argparse.ArgumentParser(); cli.add_arguments(p); "
          "print(p.parse_args(['--threads', '16']).threads, p.parse_args([]).threads)")],
        capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.split() == ["16", "8"]
