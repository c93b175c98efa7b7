"""A JWT pasted into the Introspection or JWKS tab is shown decoded at once (header, claims, times in UTC and
relative) and verified against the server's JWKS — before any button is pressed."""

from __future__ import annotations

from telnyx_nb.widgets import IntrospectionPanel, JWKSPanel
from telnyx_nb.widgets.jwt_view import describe_time, relative


def test_a_pasted_jwt_is_decoded_and_verified_at_once(oauth):
    token = oauth.client_credentials_token(scope="admin").access_token
    for panel_type in (IntrospectionPanel, JWKSPanel):
        panel = panel_type(oauth)
        try:
            panel.token.value = token  # what a paste does
            shown = panel.decoded.value
            assert panel.decoded.last_verdict == "valid" and "verified against the JWKS" in shown
            assert "RS256" in shown and "admin" in shown and "UTC (in 59 min)" in shown
            assert token not in shown  # the token itself stays out of widget models
            panel.token.value = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
            assert panel.decoded.last_verdict == "bad_signature" and "does not verify" in panel.decoded.value
            panel.token.value = "an-opaque-token"
            assert panel.decoded.value == "" and panel.decoded.last_verdict is None
        finally:
            panel.close()


def test_times_read_in_utc_and_relative():
    assert relative(3599) == "in 59 min" and relative(-7200) == "2 h ago" and relative(10) == "now"
    assert describe_time(0, now=86400 * 3) == "1970-01-01 00:00:00 UTC (3 d ago)"
