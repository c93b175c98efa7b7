"""Secrets a demanding outside user could leak through us: DEBUG logs of every library, reprs of copied records,
keys read from files with their newline, headers of their own session, error bodies echoing a token, and the
remembered-secret batches of ``masking``. Checked against a real sandbox over HTTP, or the canned server.
"""

from __future__ import annotations

import logging

import pytest
from canned_server import as_json

from telnyx_nb import TelnyxOAuth
from telnyx_nb.core.errors import APIError, ConfigurationError

API_KEY = "KEY0123456789abcdefghijklmnopqrstuv"
REDIRECT = "http://127.0.0.1:9/cb"


def test_debug_logs_of_every_library_hide_the_consent_token_in_the_path(make_sandbox, caplog):
    """urllib3 logs ``GET /v2/oauth/consent/<consent_token>`` at DEBUG; the masking filter must hide it."""
    sb = make_sandbox()
    with TelnyxOAuth.from_sandbox(sb, max_retries=0) as tx, caplog.at_level(logging.DEBUG):
        client = tx.create_client("probe", "confidential", ["authorization_code", "refresh_token"], ["admin"],
                                  redirect_uris=[REDIRECT])
        request = tx.authorization_url(client.client_id, REDIRECT, "admin")
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
    from telnyx_nb.core.masking import mask_text

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

    from telnyx_nb.core.errors import TelnyxNBError

    session = requests.Session()
    session.headers["X-Extra"] = f"Bearer {API_KEY}\n"
    with TelnyxOAuth(API_KEY, base_url=canned.base_url, session=session, max_retries=0) as tx:
        with pytest.raises(TelnyxNBError) as info:
            tx.list_clients()
    assert API_KEY not in "".join(traceback.format_exception(info.value))


def test_every_remembered_secret_stays_masked_across_batches_even_inside_another():
    """remember() compiles secrets in batches (one regex over all of them made each new token cost more than the
    last: a notebook issuing tokens in a loop slowed to ~0.1 s a token); no secret may slip between batches."""
    import secrets as random_secrets

    from telnyx_nb.core.masking import mask_text, remember

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


def test_an_error_list_echoing_a_submitted_token_is_masked_everywhere_on_the_exception(canned):
    refresh_token = "opaque-refresh-token-for-the-echo-test"
    body = {"errors": [{"code": "10002", "title": "Invalid", "detail": f"refresh token {refresh_token} is revoked",
                        "source": {"pointer": "/refresh_token"}}]}
    canned.answers["/v2/oauth/token"] = (422, "application/json", as_json(body))
    with pytest.raises(APIError) as info:
        canned.client.refresh(refresh_token, client_id="c", client_secret="s" * 20)
    error = info.value
    assert refresh_token not in repr(vars(error)) and refresh_token not in str(error)
    assert error.errors[0]["source"]["pointer"] == "/refresh_token" and error.errors[0]["code"] == "10002"
