"""What a demanding outside user hits: DEBUG logs of every library, malformed answers, real-API quirks, bad input.

Secrets are checked against the session's own sandbox over HTTP; answers the sandbox never gives (HTML with 200,
a ``data`` object instead of a list, a ``meta`` without ``total_pages``) come from a tiny canned server on
127.0.0.1, as in test_api_errors.
"""

from __future__ import annotations

import json
import logging
import threading

import pandas as pd
import pytest
from canned_server import serve

from telnyx_nb import TelnyxOAuth
from telnyx_nb.errors import APIError, ConfigurationError
from telnyx_nb.frames import CLIENT_COLUMNS

API_KEY = "KEY0123456789abcdefghijklmnopqrstuv"
REDIRECT = "http://127.0.0.1:9/cb"


# ----------------------------------------------------------------------------------------------- canned server
@pytest.fixture
def canned():
    """``canned.answers[path] = (status, content_type, body)``; ``canned.seen`` lists request paths."""

    class State:
        answers: dict[str, tuple[int, str, bytes]] = {}
        seen: list[str] = []

    state = State()

    def respond(method, path, headers):
        state.seen.append(path)
        default = (404, "application/json", b'{"errors": [{"code": "10005", "title": "Not found"}]}')
        status, ctype, body = state.answers.get(path.split("?")[0], default)
        return status, {"content-type": ctype}, body

    with serve(respond) as base_url:
        state.base_url = base_url
        state.client = TelnyxOAuth(API_KEY, base_url=state.base_url, max_retries=0, timeout=5)
        yield state
        state.client.close()


def _json(value) -> bytes:
    return json.dumps(value).encode()


# ------------------------------------------------------------------------------------------------------ secrets
def test_debug_logs_of_every_library_hide_the_consent_token_in_the_path(make_sandbox, caplog):
    """urllib3 logs ``GET /v2/oauth/consent/<consent_token>`` at DEBUG; the masking filter must hide it."""
    sb = make_sandbox()
    with TelnyxOAuth.from_sandbox(sb, max_retries=0) as tx, caplog.at_level(logging.DEBUG):
        client = tx.create_client("probe", "confidential", ["authorization_code", "refresh_token"], ["messaging"],
                                  redirect_uris=[REDIRECT])
        request = tx.authorization_url(client.client_id, REDIRECT, "messaging")
        consent_token = tx.begin_authorization(request)
        tx.get_consent(consent_token)
        code = tx.parse_redirect(tx.decide_consent(consent_token, True), request.state)
        token = tx.exchange_code(code, redirect_uri=REDIRECT, code_verifier=request.code_verifier,
                                 client_id=client.client_id, client_secret=client.client_secret)
        fresh = tx.refresh(token.refresh_token, client_id=client.client_id, client_secret=client.client_secret)
    text = caplog.text
    assert "urllib3" in text and "/oauth/consent/" in text  # the library's lines are there, just masked
    for secret in (sb.api_key, client.client_secret, consent_token, code, request.code_verifier,
                   token.access_token, token.refresh_token, fresh.access_token, fresh.refresh_token):
        assert secret not in text


def test_prose_after_bearer_stays_readable_while_credentials_are_masked():
    from telnyx_nb.masking import mask_text

    assert mask_text("The Bearer credential is not this sandbox's API key") == \
        "The Bearer credential is not this sandbox's API key"
    for credential in (API_KEY, "Abcdefghij", "abcdefghijklmnopqrstuvwxyz", "dXNlcjpwYXNzd29yZA=="):
        assert credential not in mask_text(f"Authorization: Bearer {credential}")
        assert credential not in mask_text(f"Basic {credential}")


def test_records_survive_copy_and_pickle_with_their_repr_still_masked(sandbox):
    import copy
    import pickle

    with TelnyxOAuth.from_sandbox(sandbox, max_retries=0) as tx:
        token = tx.client_credentials_token()
    for clone in (copy.copy(token), copy.deepcopy(token), pickle.loads(pickle.dumps(token))):
        assert clone == token and clone.access_token == token.access_token  # still usable
        assert token.access_token not in repr(clone) and token.access_token not in str(clone)


# ------------------------------------------------------------------------------------------- malformed answers
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
    canned.answers["/v2/oauth_clients"] = (200, "application/json", _json(body))
    with pytest.raises(APIError, match="not a valid") as info:
        canned.client.list_clients()
    assert words in str(info.value)


def test_a_token_answer_without_access_token_is_an_api_error(canned):
    canned.answers["/v2/oauth/token"] = (200, "application/json", b'{"token_type": "Bearer"}')
    with pytest.raises(APIError, match="'access_token' is missing"):
        canned.client.client_credentials_token(client_id="c", client_secret="s" * 20)


def test_html_with_200_is_an_api_error_not_a_json_decode_error(canned):
    canned.answers["/v2/oauth_clients"] = (200, "text/html", b"<html>sign in</html>")
    with pytest.raises(APIError, match="expected JSON, got text/html"):
        canned.client.clients_df()


# ----------------------------------------------------------------------------------------- real-API readiness
def _client_json(n: int, **extra) -> dict:
    return {"client_id": f"c{n}", "name": f"client {n}", "client_type": "confidential",
            "allowed_grant_types": ["client_credentials"], "allowed_scopes": ["messaging"],
            "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-02T00:00:00Z", **extra}


def test_a_meta_without_total_pages_still_fetches_every_page(canned):
    """total_pages is derived from total_results / page_size instead of stopping after page 1."""

    # the canned server answers by path only, so every page returns the same one client: count the requests
    canned.answers["/v2/oauth_clients"] = (
        200, "application/json",
        _json({"data": [_client_json(1)], "meta": {"page_number": 1, "page_size": 1, "total_results": 3}}),
    )
    df = canned.client.clients_df(page_size=1, progress=False)
    assert len(df) == 3
    assert sum("/v2/oauth_clients" in path for path in canned.seen) == 3


def test_clients_missing_optional_fields_keep_the_fixed_columns_and_dtypes(canned, sandbox):
    """Real clients may lack ``verified`` and carry ``redirect_uris: null``; meta may be absent or hold nulls."""
    canned.answers["/v2/oauth_clients"] = (
        200, "application/json",
        _json({"data": [_client_json(1, redirect_uris=None, logo_uri=None)],
               "meta": {"page_number": 1, "total_pages": None}}),
    )
    df = canned.client.clients_df(progress=False)
    with TelnyxOAuth.from_sandbox(sandbox, max_retries=0) as tx:
        reference = tx.clients_df(progress=False)
    assert list(df.columns) == list(CLIENT_COLUMNS)
    assert df.dtypes.to_dict() == reference.dtypes.to_dict()
    assert df.loc[0, "verified"] is pd.NA and df.loc[0, "redirect_uris"] == []


# --------------------------------------------------------------------------------------------- bad arguments
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
    sb = make_sandbox(seed="empty")
    with TelnyxOAuth.from_sandbox(sb, max_retries=0) as tx:
        client = tx.create_client("one string", "confidential", "client_credentials", "messaging voice")
    assert client.allowed_grant_types == ("client_credentials",)
    assert set(client.allowed_scopes) == {"messaging", "voice"}


# ------------------------------------------------------------------------------------------- connection errors
@pytest.fixture
def refused_port():
    """A loopback port held bound (so nobody else can take it) but not listening: connecting is refused."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_a_wrong_port_says_connection_refused_and_what_to_check():
    import socket

    from telnyx_nb.errors import APIConnectionError

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
    from telnyx_nb.errors import APIConnectionError

    https = canned.base_url.replace("http://", "https://")
    with TelnyxOAuth(API_KEY, base_url=https, max_retries=0, timeout=5) as tx:
        with pytest.raises(APIConnectionError, match="use http:// instead of https://"):
            tx.list_clients()


# ------------------------------------------------------------------------------------------------------ panels
def _countdown_threads() -> int:
    return sum(t.name == "tnb-countdown" and t.is_alive() for t in threading.enumerate())


def test_explorer_refreshes_a_token_of_another_client_as_that_client(make_sandbox):
    """RFC 6749 §6: a refresh token is bound to its client. A code exchanged in the Authorize tab for a client
    the user created must refresh in the Token tab as *that* client, not as the session's demo client."""
    from telnyx_nb.widgets import Explorer

    with TelnyxOAuth.from_sandbox(make_sandbox()) as tx:
        other = tx.create_client("probe app", "confidential", ["authorization_code", "refresh_token"],
                                 ["messaging"], redirect_uris=[REDIRECT])
        app = Explorer(tx)
        try:
            app.authorize.activate()
            app.authorize.client_id.value = other.client_id
            app.authorize.client_secret.value = other.client_secret
            app.authorize.redirect_uri.value = REDIRECT
            app.authorize.scopes.value = ("messaging",)
            for button in (app.authorize.build_button, app.authorize.start_button, app.authorize.allow_button,
                           app.authorize.exchange_button):
                button.click()
                assert app.authorize.last_error is None, app.authorize.error_message
            first = app.authorize.last_token
            app.token.refresh_button.click()
            assert app.token.last_error is None, app.token.error_message
            assert app.last_token.refresh_token != first.refresh_token
            assert tx.introspect(app.last_token.access_token).client_id == other.client_id
            app.token.refresh_button.click()  # the rotated token refreshes as the same client again
            assert app.token.last_error is None, app.token.error_message
        finally:
            app.close()


def test_explorer_against_a_server_that_is_down_shows_readable_lines_and_close_stops_countdowns(sandbox,
                                                                                              refused_port):
    from telnyx_nb.widgets import Explorer
    from telnyx_nb.widgets.base import visible_text

    down = TelnyxOAuth(API_KEY, base_url=f"http://127.0.0.1:{refused_port}/v2", client_id="c",
                       client_secret="s" * 24, max_retries=0)
    app = Explorer(down)
    try:
        for name in ("token", "jwks", "authorize", "clients", "grants", "discovery"):
            getattr(app, name).activate()
            panel = getattr(app, name)
            assert "connection refused" in panel.status.value, (name, panel.status.value)
            assert "Traceback" not in visible_text(panel)
        app.token.issue()
        assert "connection refused" in app.token.error_message
    finally:
        app.close()
        down.close()

    with TelnyxOAuth.from_sandbox(sandbox, max_retries=0) as tx:
        before = _countdown_threads()
        app = Explorer(tx)
        app.token.activate()
        app.token.issue()
        assert _countdown_threads() == before + 1
        app.close()
        for thread in [t for t in threading.enumerate() if t.name == "tnb-countdown"]:
            thread.join(5)
        assert _countdown_threads() == before


# ----------------------------------------------------------------------------------------------- audit command
def _audit(env_extra: dict[str, str], *args: str, tmp_path=None):
    """``telnyx-nb audit`` in a fresh interpreter, as from a shell: only the given TELNYX_* variables set."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX_")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "telnyx_nb.cli", "audit", *args], env=env, capture_output=True,
                          text=True, timeout=180, cwd=tmp_path)


def test_audit_command_from_a_shell_with_only_the_sandbox_variable(sandbox, tmp_path):
    done = _audit({"TELNYX_NB_SANDBOX": sandbox.json_line()}, "--out", "report.html", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Auditing sandbox at " + sandbox.base_url in done.stderr
    report = (tmp_path / "report.html").read_text()
    for secret in (sandbox.api_key, sandbox.demo_client_secret):
        assert secret not in done.stdout + done.stderr + report


def test_audit_command_with_an_api_key_and_base_url_and_exit_codes(sandbox, tmp_path, refused_port):
    env = {"TELNYX_API_KEY": sandbox.api_key, "TELNYX_BASE_URL": sandbox.base_url}
    done = _audit(env, "--fail-on", "high", tmp_path=tmp_path)
    assert done.returncode == 1, done.stderr  # the demo data plants high findings
    assert "high" in done.stdout and sandbox.api_key not in done.stdout + done.stderr

    wrong = _audit({**env, "TELNYX_API_KEY": sandbox.api_key + "x"}, tmp_path=tmp_path)
    assert wrong.returncode == 2 and "401" in wrong.stderr
    assert sandbox.api_key not in wrong.stderr and "Traceback" not in wrong.stderr

    down = _audit({**env, "TELNYX_BASE_URL": f"http://127.0.0.1:{refused_port}/v2"}, tmp_path=tmp_path)
    assert down.returncode == 2 and "connection refused" in down.stderr and "Traceback" not in down.stderr


def test_audit_command_with_nothing_set_audits_an_in_process_sandbox_and_exits(tmp_path):
    done = _audit({}, "--out", "findings.csv", tmp_path=tmp_path)  # subprocess.run's timeout catches a hang
    assert done.returncode == 0, done.stderr
    assert "Auditing sandbox at http://127.0.0.1:" in done.stderr
    assert (tmp_path / "findings.csv").stat().st_size > 0 and (tmp_path / "findings-grants.csv").exists()
    import re

    assert not re.search(r"KEY[A-Za-z0-9_\-]{16,}", "".join(p.read_text() for p in tmp_path.glob("*.csv")))


def test_audit_help_documents_where_it_connects_and_the_exit_status():
    done = _audit({}, "--help")
    assert done.returncode == 0
    assert "exit status" in done.stdout and "TELNYX_NB_SANDBOX" in done.stdout


def test_introspection_from_a_lax_server_with_string_numeric_dates_and_a_list_audience(canned):
    canned.answers["/v2/oauth/introspect"] = (
        200, "application/json",
        _json({"active": True, "scope": "a b", "exp": "1700000000", "aud": ["x", "y"], "client_id": "c"}),
    )
    row = canned.client.introspection_df("opaque-token-value").iloc[0]
    assert row["exp"] == pd.Timestamp(1700000000, unit="s", tz="UTC")
    assert list(row["scopes"]) == ["a", "b"] and row["active"]


# ----------------------------------------------------------------------------------- credentials from files
def test_a_key_read_from_a_file_with_its_newline_works_and_never_leaks(sandbox, monkeypatch):
    """``TELNYX_API_KEY=$(cat key)`` is clean, but a key pasted from a file or a .env may keep its newline;
    http.client then refused the header and quoted the key in full in a bare ValueError."""
    import traceback

    for key in (sandbox.api_key + "\n", f"  {sandbox.api_key}\r\n"):
        with TelnyxOAuth(key, base_url=sandbox.base_url, max_retries=0) as tx:
            assert len(tx.list_clients(page_size=1)) == 1
    with pytest.raises(ConfigurationError, match="api_key contains whitespace") as info:
        TelnyxOAuth(sandbox.api_key[:10] + "\n" + sandbox.api_key[10:], base_url=sandbox.base_url)
    assert sandbox.api_key[10:] not in "".join(traceback.format_exception(info.value))
    monkeypatch.setenv("TELNYX_CLIENT_SECRET", sandbox.demo_client_secret + "\n")
    with TelnyxOAuth(client_id=sandbox.demo_client_id, base_url=sandbox.base_url, max_retries=0) as tx:
        assert tx.client_credentials_token().access_token


def test_a_bad_header_from_a_users_session_is_masked_in_the_whole_traceback(canned):
    import traceback

    import requests

    from telnyx_nb.errors import TelnyxNBError

    session = requests.Session()
    session.headers["X-Extra"] = f"Bearer {API_KEY}\n"
    with TelnyxOAuth(API_KEY, base_url=canned.base_url, session=session, max_retries=0) as tx:
        with pytest.raises(TelnyxNBError) as info:
            tx.list_clients()
    assert API_KEY not in "".join(traceback.format_exception(info.value))



# ------------------------------------------------------------------------------------------ remembered secrets
def test_every_remembered_secret_stays_masked_across_batches_even_inside_another():
    """remember() compiles secrets in batches (one regex over all of them made each new token cost more than the
    last: a notebook issuing tokens in a loop slowed to ~0.1 s a token); no secret may slip between batches."""
    import secrets as random_secrets

    from telnyx_nb.masking import mask_text, remember

    inner = random_secrets.token_urlsafe(12)
    remember(inner)
    tokens = [random_secrets.token_urlsafe(24) for _ in range(300)]
    for token in tokens:
        remember(token)
    outer = "x" + inner + random_secrets.token_urlsafe(24)  # a later secret containing an earlier one
    remember(outer)
    text = " | ".join(tokens + [outer, inner])
    masked = mask_text(text)
    for secret in (*tokens, inner, outer, outer[len(inner) + 1:]):
        assert secret not in masked
    assert masked.count(" | ") == text.count(" | ")  # the prose between secrets survives


@pytest.mark.parametrize("active, expected", [("false", False), ("true", True), (1, False), (None, False)])
def test_introspection_active_fails_closed_on_a_non_boolean(canned, active, expected):
    """RFC 7662 §2.2: ``active`` is a boolean. ``"active": "false"`` from a lax server must not read as active."""
    canned.answers["/v2/oauth/introspect"] = (200, "application/json", _json({"active": active}))
    assert canned.client.introspect("opaque-token-value").active is expected


def test_lax_spellings_of_booleans_and_enums_still_fill_the_typed_columns(canned):
    canned.answers["/v2/oauth_clients"] = (
        200, "application/json",
        _json({"data": [_client_json(1, verified="false", require_pkce="true", client_type="Confidential"),
                        _client_json(2, verified=1, require_pkce=0, client_type="public")]}),
    )
    df = canned.client.clients_df(progress=False)
    assert list(df["verified"]) == [False, True] and list(df["require_pkce"]) == [True, False]
    assert list(df["client_type"]) == ["confidential", "public"]


@pytest.mark.parametrize("expires_in", ["3600", 3600.0, "3600.0"])
def test_token_expiry_spelled_as_a_string_or_float_still_drives_the_cache(canned, expires_in):
    canned.answers["/v2/oauth/token"] = (
        200, "application/json", _json({"access_token": "opaque-access-value", "token_type": "Bearer",
                                        "expires_in": expires_in}),
    )
    token = canned.client.client_credentials_token(client_id="c", client_secret="s" * 20)
    assert token.expires_in == 3600 and token.expires_at is not None


def test_an_error_list_echoing_a_submitted_token_is_masked_everywhere_on_the_exception(canned):
    refresh_token = "opaque-refresh-token-for-the-echo-test"
    body = {"errors": [{"code": "10002", "title": "Invalid", "detail": f"refresh token {refresh_token} is revoked",
                        "source": {"pointer": "/refresh_token"}}]}
    canned.answers["/v2/oauth/token"] = (422, "application/json", _json(body))
    with pytest.raises(APIError) as info:
        canned.client.refresh(refresh_token, client_id="c", client_secret="s" * 20)
    error = info.value
    assert refresh_token not in repr(vars(error)) and refresh_token not in str(error)
    assert error.errors[0]["source"]["pointer"] == "/refresh_token" and error.errors[0]["code"] == "10002"


def test_invalid_json_labelled_as_json_says_the_body_is_broken(canned):
    canned.answers["/v2/oauth_clients"] = (200, "application/json", b"{bad")
    with pytest.raises(APIError, match=r"GET /oauth_clients: the body is not valid JSON"):
        canned.client.list_clients()


def test_a_base_url_without_v2_gets_a_404_that_points_at_the_base_url(sandbox):
    with TelnyxOAuth(sandbox.api_key, base_url=sandbox.root_url, max_retries=0) as tx:
        with pytest.raises(APIError, match=r"is the base URL right\? .*ends in /v2") as info:
            tx.list_clients()
    assert info.value.status == 404
    with TelnyxOAuth.from_sandbox(sandbox, max_retries=0) as tx:  # a missing object is not blamed on the URL
        with pytest.raises(APIError) as info:
            tx.get_client("no-such-client")
    assert "base URL" not in str(info.value)


def test_close_all_widgets_also_stops_the_countdown_thread(sandbox):
    from telnyx_nb.widgets import TokenPanel

    with TelnyxOAuth.from_sandbox(sandbox, max_retries=0) as tx:
        panel = TokenPanel(tx)
        panel.issue()
        thread = panel.countdown._thread
        assert thread is not None and thread.is_alive()
        panel.countdown.close()  # as ipywidgets.Widget.close_all() does to every widget
        thread.join(5)
        assert not thread.is_alive()
        panel.close()
