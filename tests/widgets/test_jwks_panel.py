"""JWKSPanel against the sandbox: the key table, a key's public members, and verdicts for good and bad JWTs."""

from __future__ import annotations

import time

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from oauth_helpers import tamper

from telnyx_nb.widgets import JWKSPanel
from telnyx_nb.widgets.base import html_to_text, visible_text


@pytest.fixture
def panel(oauth, open_panel):
    return open_panel(JWKSPanel, oauth)


def test_key_table_and_public_members(panel, oauth):
    assert panel.last_error is None, panel.error_message
    kids = [k.kid for k in oauth.jwks().keys]
    assert list(panel.keys_df["kid"]) == kids
    assert list(panel.key_picker.options) == kids
    for kid in kids:
        assert kid in panel.keys_table.value
    members = panel.key_members.value
    assert "kty" in members and ("<th>n</th>" in members or "<th>crv</th>" in members)
    assert "<th>d</th>" not in members  # never a private member


def test_valid_token(panel, oauth):
    panel.receive(oauth.client_credentials_token("admin"))
    panel.verify_button.click()
    assert panel.last_error is None, panel.error_message
    assert panel.last_verdict == "valid"
    assert panel.last_result.claims["client_id"] == oauth.client_id
    assert "✓ valid" in panel.verdict.value and f"audience ({oauth.resource})" in panel.verdict.value
    assert "Verified claims" in panel.claims.value

    panel.audience.value = panel.last_result.claims["aud"]
    panel.verify_button.click()
    assert panel.last_verdict == "valid"
    assert f"issuer, audience ({panel.audience.value}) and lifetime" in panel.verdict.value


def test_tampered_token_has_a_bad_signature(panel, oauth):
    panel.token.value = tamper(oauth.client_credentials_token("admin").access_token)
    panel.verify_button.click()
    assert panel.last_verdict == "bad_signature"
    assert "bad signature" in panel.verdict.value


def test_wrong_issuer_and_wrong_audience(panel, oauth):
    panel.token.value = oauth.client_credentials_token("admin").access_token
    panel.issuer.value = "https://issuer.invalid"
    panel.verify_button.click()
    assert panel.last_verdict == "wrong_issuer"
    assert "wrong issuer" in panel.verdict.value

    panel.issuer.value = ""
    panel.audience.value = "https://somebody-else.invalid"
    panel.verify_button.click()
    assert panel.last_verdict == "wrong_audience"
    assert "wrong audience" in panel.verdict.value


def test_unknown_kid(panel, oauth):
    key = RSAKey.generate_key(2048, parameters={"kid": "rogue-key"})
    issuer = oauth.authorization_server_metadata().issuer
    now = int(time.time())
    claims = {"iss": issuer, "sub": "x", "aud": "x", "iat": now, "exp": now + 300, "client_id": "x"}
    panel.token.value = jwt.encode({"alg": "RS256", "kid": "rogue-key"}, claims, key)
    panel.verify_button.click()
    assert panel.last_verdict == "unknown_kid"
    assert "unknown key" in panel.verdict.value


def test_malformed_and_empty(panel):
    panel.verify_button.click()
    assert "JWT is empty" in panel.status.value and panel.last_verdict is None
    panel.token.value = "definitely.not.ajwt"
    panel.verify_button.click()
    assert panel.last_verdict == "malformed"
    assert "malformed" in visible_text(panel)


def test_expired_token(make_sandbox):
    """A sandbox whose access tokens live one second: a real token, expired on the real clock."""
    from telnyx_nb import TelnyxOAuth

    sb = make_sandbox(access_token_ttl=1)
    with TelnyxOAuth.from_sandbox(sb) as client:
        token = client.client_credentials_token("admin").access_token
        expires = time.time() + 1  # the sandbox's exp is at most this (whole seconds, issued before now)
        panel = JWKSPanel(client)
        try:
            while time.time() < expires:  # wait for the expiry itself, on the clock joserfc reads
                time.sleep(0.1)
            panel.token.value = token
            panel.verify_button.click()
            assert panel.last_error is None, panel.error_message
            assert panel.last_verdict == "expired"
            assert "expired: the exp claim is in the past" in panel.verdict.value
        finally:
            panel.close()


def _status_and_verdict(panel) -> tuple[str, str]:
    return html_to_text(panel.status.value).strip(), html_to_text(panel.verdict.value).strip()


def test_a_failed_check_reads_as_failed_in_every_line(panel):
    """Issue 25: "✗ malformed…" sat right above "✓ Verify JWT". The check ran, but its answer is no: the status line
    says so too, with the same reason."""
    panel.token.value = "definitely.not.ajwt"
    panel.verify_button.click()
    status, verdict = _status_and_verdict(panel)
    assert verdict.startswith("✗ malformed")
    assert status.startswith("✗ Verify JWT: the JWT does not verify (malformed)"), status
    assert "✓" not in visible_text(panel).replace(panel.title, "")


def test_a_passed_check_reads_as_passed_in_every_line(panel, oauth):
    panel.receive(oauth.client_credentials_token("admin"))
    panel.verify_button.click()
    status, verdict = _status_and_verdict(panel)
    assert status.startswith("✓ Verify JWT") and verdict.startswith("✓ valid")


def test_a_new_attempt_never_leaves_the_last_verdict_beside_it(panel, oauth):
    """A valid verdict, then an empty box and Verify: the error is about the empty box, and no "✓ valid" is left."""
    panel.receive(oauth.client_credentials_token("admin"))
    panel.verify_button.click()
    assert panel.last_verdict == "valid"
    panel.token.value = ""
    panel.verify_button.click()
    assert "JWT is empty" in panel.status.value
    assert panel.last_verdict is None and panel.verdict.value == "" and panel.claims.value == ""
