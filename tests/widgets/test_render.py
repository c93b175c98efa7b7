"""The panels' render helpers, without a server: what a user reads for a verdict, a token response, an id cell —
and that secrets stay masked unless revealed (scope pickers: test_scope_pickers.py)."""

from __future__ import annotations

import pytest

from telnyx_nb.core.errors import JWTVerificationError
from telnyx_nb.core.records import TokenResponse
from telnyx_nb.widgets.render import (
    VERDICTS,
    describe_error,
    format_value,
    html_to_text,
    id_cell,
    inactive_badge,
    kv_table,
    short_id,
    token_table,
    verdict_text,
)

ACCESS = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlLWJ5dGVzLWhlcmU"
REFRESH = "rt_0123456789abcdefghijklmnopqrstuvwxyz"


def test_every_jwt_failure_reason_has_a_sentence():
    for reason in JWTVerificationError.REASONS:
        assert verdict_text(reason) not in ("", reason), reason  # a sentence, not the bare key


def test_an_unknown_reason_is_shown_as_itself():
    assert verdict_text("something_new") == "something_new"
    assert verdict_text(None) == ""


def test_inactive_badge_says_why():
    assert "✓ active" in inactive_badge(True, None)
    badge = inactive_badge(False, "revoked")
    assert "✗ inactive" in badge and "revoked: the JWT is sound" in badge
    assert "tampered" in inactive_badge(False, "bad_signature")


def test_inactive_badge_escapes_an_unknown_reason():
    assert "<script>" not in inactive_badge(False, "<script>")


def test_token_table_masks_both_tokens_unless_revealed():
    token = TokenResponse(access_token=ACCESS, refresh_token=REFRESH, expires_in=3600, scope="admin")
    masked = html_to_text(token_table(token))
    assert ACCESS not in masked and REFRESH not in masked
    assert "3600" in masked and "admin" in masked and "Bearer" in masked
    shown = html_to_text(token_table(token, reveal=True))
    assert ACCESS in shown and REFRESH in shown


def test_token_table_lists_the_response_fields_in_order():
    text = html_to_text(token_table(TokenResponse(access_token=ACCESS)))
    names = [name for name in ("access_token", "token_type", "expires_in", "refresh_token", "scope") if name in text]
    assert names == ["access_token", "token_type"]  # absent fields are left out, the order kept
    assert text.index("access_token") < text.index("token_type")


def test_kv_table_escapes_values_and_keys():
    markup = kv_table({"<b>name</b>": "<img src=x onerror=alert(1)>"})
    assert "<img" not in markup and "&lt;img" in markup and "&lt;b&gt;" in markup


def test_time_fields_are_shown_in_utc_too():
    assert format_value("exp", 0) == "0  (1970-01-01 00:00:00 UTC)"


def test_short_ids_keep_eight_characters_and_the_full_id_on_hover():
    full = "b4a3165d-e1ab-4e01-a524-0b6020d0b29c"
    assert short_id(full) == "b4a3165d…"
    assert short_id("abc") == "abc"
    cell = id_cell(full)
    assert f"title='{full}'" in cell and f"data-id='{full}'" in cell and ">b4a3165d…<" in cell


def test_a_jwt_failure_reads_as_its_verdict():
    text = describe_error(JWTVerificationError("bad_signature", "signature mismatch"))
    assert text.startswith("JWT verification failed — bad signature")


@pytest.mark.parametrize("reason", ["revoked", "opaque"])
def test_introspection_only_reasons_are_in_the_one_table(reason):
    assert reason in VERDICTS
