"""The one masking module: stubs that identify without revealing, free-text scrubbing, and log lines."""

from __future__ import annotations

import logging

from telnyx_nb import TelnyxOAuth
from telnyx_nb.core.masking import mask, mask_mapping, mask_text, remember

API_KEY = "KEY0123456789abcdefghijklmnopqrstuvwx"


def test_mask_keeps_only_a_short_prefix_and_suffix():
    assert mask(API_KEY) == "KEY0…wx"
    assert mask("12345678") == "12…"
    assert mask("short") == "…"
    assert mask(None) == "None"
    assert mask(mask(API_KEY)) == mask(API_KEY)  # idempotent


def test_mask_text_scrubs_secret_shaped_values():
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlLXZhbHVl"
    text = (
        f"Authorization: Bearer {API_KEY}; Basic dXNlcjpwYXNzd29yZA== "
        f"url?code=abcdef123456&state=keepme&client_secret=s3cr3t-value "
        f'{{"refresh_token": "opaque-refresh-value", "code": "10009"}} {jwt}'
    )
    out = mask_text(text)
    for secret in (API_KEY, "dXNlcjpwYXNzd29yZA==", "abcdef123456", "s3cr3t-value", "opaque-refresh-value", jwt):
        assert secret not in out
    assert "state=keepme" in out  # not a secret
    assert '"code": "10009"' in out  # a Telnyx error code stays readable


def test_remembered_values_are_masked_whatever_their_shape():
    remember("plain-looking-words-here")
    assert "plain-looking-words-here" not in mask_text("the value plain-looking-words-here leaked")


def test_mask_mapping_hides_authorization_and_secret_fields():
    out = mask_mapping({"Authorization": f"Bearer {API_KEY}", "client_secret": "abcdefghijkl", "page": 2})
    assert API_KEY not in str(out) and "abcdefghijkl" not in str(out) and out["page"] == 2


def test_log_lines_never_carry_secrets(sandbox, caplog):
    tx = TelnyxOAuth.from_sandbox(sandbox, max_retries=0)
    with caplog.at_level(logging.DEBUG):
        token = tx.client_credentials_token()
        tx.introspect(token.access_token)
        tx.list_clients(page_size=1)
    text = caplog.text
    assert "oauth/introspect" in text  # the request log reached the logger
    for secret in (sandbox.api_key, sandbox.demo_client_secret, token.access_token):
        assert secret not in text


def test_secret_names_are_masked_in_a_process_that_never_loaded_the_records():
    """The sandbox and a bare ``mask_text`` call load the record declarations themselves (import order is no leak)."""
    import subprocess
    import sys

    script = ("import sys, telnyx_nb.core.masking as m\n"
              "assert 'telnyx_nb.core.records' not in sys.modules\n"
              "print(m.mask_text('refresh_token=q8ZT3vN1xK0bLw7YpR2sFj5HcUd9MeGa4ViQ'))\n")
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True).stdout
    assert "q8ZT3vN1xK0bLw7YpR2sFj5HcUd9MeGa4ViQ" not in shown and shown.startswith("refresh_token=")
