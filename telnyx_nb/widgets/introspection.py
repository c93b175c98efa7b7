"""IntrospectionPanel: ask the server whether a token is active (RFC 7662) and, when it is not, work out why.

RFC 7662 §2.2 lets the server answer only ``{"active": false}`` for every dead token, so the reason is inferred
on our side where it can be known: an expired ``exp`` claim, a signature or issuer that does not check out against
the JWKS, or — when the JWT itself is sound — revocation (of the token, its grant, or its client).

State for the next cell: ``last_introspection`` (the Introspection record), ``last_active`` and ``last_reason``.
"""

from __future__ import annotations

import html
import time
from typing import Any

import ipywidgets as widgets

from telnyx_nb.errors import ConfigurationError, JWTVerificationError
from telnyx_nb.widgets.base import Panel, field
from telnyx_nb.widgets.jwt_view import JWTView

REASONS = {
    "expired": "expired: its exp claim is in the past",
    "not_yet_valid": "not yet valid: its nbf claim is in the future",
    "bad_signature": "tampered: the signature does not match any key of this server",
    "unknown_kid": "signed with a key this server does not publish (unknown kid)",
    "wrong_issuer": "issued by another server (iss does not match)",
    "wrong_audience": "meant for another audience (aud does not match)",
    "malformed": "not a well-formed JWT",
    "revoked": "revoked: the JWT is sound, so the token, its grant or its client was revoked or deleted",
    "opaque": "unknown, expired or revoked — the token is opaque, so the server's answer is all there is",
}


def decode_jwt(token: str) -> tuple[dict | None, dict | None]:
    """Header and claims of a JWT without verifying it (display only); (None, None) for an opaque token."""
    from telnyx_nb.api.jwt import decode_unverified

    try:
        header, claims = decode_unverified(token)
    except Exception:
        return None, None
    return dict(header), dict(claims)


def inactive_reason(client: Any, token: str) -> str:
    """Why the server called ``token`` inactive, as far as can be told from our side (a key of REASONS)."""
    header, claims = decode_jwt(token)
    if header is None:
        return "opaque"
    exp = (claims or {}).get("exp")
    if isinstance(exp, (int, float)) and exp <= time.time():
        return "expired"
    try:
        client.verify_jwt(token)
    except JWTVerificationError as exc:
        return exc.reason
    return "revoked"


class IntrospectionPanel(Panel):
    """Paste a token (or receive one from the TokenPanel) and see whether it is active, and its claims."""

    title = "Introspection"

    def __init__(self, client: Any = None, *, autoload: bool = True) -> None:
        super().__init__(client)
        self.last_introspection: Any = None
        self.last_active: bool | None = None
        self.last_reason: str | None = None
        self.token = self._secret_input("Token", "paste an access or refresh token")
        self.introspect_button = self._button("Introspect", self.introspect, style="primary", icon="search",
                                              tooltip="POST /oauth/introspect")
        self.verdict = widgets.HTML("")
        self.claims = widgets.HTML("")
        self.decoded = JWTView(self.client)  # a pasted JWT is shown decoded and verified at once
        self.token.on_change(self.decoded.show)
        self._assemble(self.token, self.decoded, self.introspect_button, self.verdict, self.claims)
        self._refresh_view()
        _ = autoload  # nothing to preload: introspection needs a token first

    def receive(self, token: Any) -> None:
        """Take a token from elsewhere (a TokenResponse or the token string) into the input box."""
        access = field(token, "access_token") if not isinstance(token, str) else token
        self.token.value = access or ""
        self.last_introspection = self.last_active = self.last_reason = None
        self._refresh_view()

    def introspect(self) -> Any:
        """POST /oauth/introspect; on ``active: false`` also infer the reason where it can be known."""
        token = self.token.value.strip()

        def call() -> Any:
            if not token:
                raise ConfigurationError("Token is empty: paste a token, or issue one in the Token tab.")
            result = self.client.introspect(token)
            self.last_introspection = result
            self.last_active = bool(field(result, "active"))
            self.last_reason = None if self.last_active else inactive_reason(self.client, token)
            return result

        return self._run("Introspect token", call)

    def _render(self) -> None:
        result = self.last_introspection
        if result is None:
            self.verdict.value = ""
            self.claims.value = ""
            return
        if self.last_active:
            self.verdict.value = "<span class='tnb-ok' style='font-size:1.2em'>✓ active</span>"
        else:
            reason = REASONS.get(self.last_reason or "", self.last_reason or "")
            self.verdict.value = (
                "<span class='tnb-bad' style='font-size:1.2em'>✗ inactive</span> "
                f"<span>— {html.escape(reason)}</span>"
            )
        self.claims.value = "<b>Introspection response</b>" + self.table(result)


__all__ = ["IntrospectionPanel", "REASONS", "decode_jwt", "inactive_reason"]
