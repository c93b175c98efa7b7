"""IntrospectionPanel: ask the server whether a token is active (RFC 7662) and, when it is not, work out why.

RFC 7662 §2.2 lets the server answer only ``{"active": false}`` for every dead token, so the reason is inferred
on our side where it can be known: an expired ``exp`` claim, a signature or issuer that does not check out against
the JWKS, or — when the JWT itself is sound — revocation (of the token, its grant, or its client).

State for the next cell: ``last_introspection`` (the Introspection record), ``last_active`` and ``last_reason``.
"""

from __future__ import annotations

import html
import time
from typing import TYPE_CHECKING, Any

from telnyx_nb.core.errors import ConfigurationError, JWTVerificationError
from telnyx_nb.widgets.base import VERDICTS, Panel, verdict_text
from telnyx_nb.widgets.handoff import TokenReceiver

if TYPE_CHECKING:
    from telnyx_nb.api.client import TelnyxOAuth
    from telnyx_nb.core.records import Introspection

# One verdict table for every panel (render.VERDICTS); the name REASONS stays for callers that imported it here.
REASONS = VERDICTS


def decode_jwt(token: str) -> tuple[dict | None, dict | None]:
    """Header and claims of a JWT without verifying it (display only); (None, None) for an opaque token."""
    from telnyx_nb.api.jwt import decode_unverified

    try:
        header, claims = decode_unverified(token)
    except Exception:
        return None, None
    return dict(header), dict(claims)


def inactive_reason(client: TelnyxOAuth, token: str) -> str:
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


class IntrospectionPanel(TokenReceiver, Panel):
    """Paste a token (or receive one from the TokenPanel) and see whether it is active, and its claims."""

    title = "Introspection"

    def __init__(self, client: TelnyxOAuth | None = None, *, autoload: bool = True) -> None:
        super().__init__(client)
        self.last_introspection: Introspection | None = None
        self.last_active: bool | None = None
        self.last_reason: str | None = None
        self._token_inputs("Token", "paste an access or refresh token")
        self.introspect_button = self._button("Introspect", self.introspect, style="primary", icon="search",
                                              tooltip="POST /oauth/introspect")
        # nothing to preload (introspection needs a token first): autoload only marks the panel opened
        self._assemble(self.token, self.decoded, self.introspect_button, self.verdict, self.claims, autoload=autoload)

    def _forget_result(self) -> None:
        self.last_introspection = self.last_active = self.last_reason = None

    def introspect(self) -> Any:
        """POST /oauth/introspect; on ``active: false`` also infer the reason where it can be known."""
        token = self.token.value.strip()

        def call() -> Any:
            self._forget_result()  # a verdict belongs to one attempt: never the last one beside a new failure
            if not token:
                raise ConfigurationError("Token is empty: paste a token, or issue one in the Token tab.")
            result = self.client.introspect(token)
            self.last_introspection = result
            self.last_active = bool(result.active)
            self.last_reason = None if self.last_active else inactive_reason(self.client, token)
            return result

        return self._run("Introspect token", call,
                         verdict=lambda result: None if result.active else "the token is inactive")

    def _render(self) -> None:
        result = self.last_introspection
        if result is None:
            self.verdict.value = ""
            self.claims.value = ""
            return
        if self.last_active:
            self.verdict.value = "<span class='tnb-ok' style='font-size:1.2em'>✓ active</span>"
        else:
            reason = verdict_text(self.last_reason)
            self.verdict.value = (
                "<span class='tnb-bad' style='font-size:1.2em'>✗ inactive</span> "
                f"<span>— {html.escape(reason)}</span>"
            )
        self.claims.value = "<b>Introspection response</b>" + self.table(result)


__all__ = ["IntrospectionPanel", "REASONS", "decode_jwt", "inactive_reason"]
