"""JWKSPanel: the server's signing keys (RFC 7517) and a JWT checker with a plain verdict.

Verification itself is the API module's (``TelnyxOAuth.verify_jwt``, joserfc underneath): signature against the
whole key set (RFC 7515 §5.2), then iss, aud, exp and nbf (RFC 7519 §4.1). The panel turns its outcome into a
verdict: valid, expired, wrong issuer or audience, unknown kid, bad signature, malformed.

State for the next cell: ``keys_df`` (the JWKS as a DataFrame), ``last_jwks``, ``last_verdict`` ("valid" or the
failure reason) and ``last_result`` (the VerifiedJWT, or the JWTVerificationError).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from telnyx_nb.core.errors import ConfigurationError, JWTVerificationError
from telnyx_nb.widgets.base import LABEL_STYLE, Panel, as_dict, frame_html, kv_table, verdict_text
from telnyx_nb.widgets.handoff import TokenReceiver

if TYPE_CHECKING:
    from telnyx_nb.api.client import TelnyxOAuth
    from telnyx_nb.core.records import JWK, JWKS, VerifiedJWT

# Members a public JWK must never carry (RFC 7518 §6.2.2, §6.3.2, §6.4): hidden even if a server leaks them.
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


class JWKSPanel(TokenReceiver, Panel):
    """The key set as a table, one key's public members, and "verify a JWT" against the set."""

    title = "JWKS"

    def __init__(self, client: TelnyxOAuth | None = None, *, autoload: bool = True) -> None:
        super().__init__(client)
        self.keys_df: Any = None
        self.last_jwks: JWKS | None = None
        self.last_verdict: str | None = None
        self.last_result: VerifiedJWT | JWTVerificationError | None = None
        self._checked_audience: str | None = None
        self.load_button = self._button("Reload keys", self.load, icon="refresh", tooltip="GET /oauth/jwks")
        self.keys_table = widgets.HTML("")
        self.key_picker = widgets.Dropdown(options=[], description="Key (kid)", style=LABEL_STYLE)
        self.key_members = widgets.HTML("")
        self.key_picker.observe(lambda _c: self._refresh_view(), "value")
        self._token_inputs("JWT", "paste an access token")
        self.audience = widgets.Text(description="Expected audience", placeholder="default: the API's base URL",
                                     style=LABEL_STYLE)
        self.issuer = widgets.Text(description="Expected issuer", placeholder="default: the server's issuer",
                                   style=LABEL_STYLE)
        self.verify_button = self._button("Verify", self.verify, style="primary", icon="check",
                                          tooltip="Check signature, issuer, audience and lifetime")
        self._assemble(
            self.load_button,
            self.keys_table,
            self.key_picker,
            self.key_members,
            widgets.HTML("<b>Verify a JWT against this key set</b>"),
            self.token,
            self.decoded,
            widgets.HBox([self.audience, self.issuer]),
            self.verify_button,
            self.verdict,
            self.claims,
            autoload=autoload,
        )

    def load(self) -> Any:
        """GET /oauth/jwks: the key set as a frame (kid, kty, alg, use, size or curve, thumbprint)."""

        def call() -> Any:
            from telnyx_nb import frames

            self.last_jwks = self.client.jwks()
            self.keys_df = frames.jwks_frame(self.last_jwks)  # the same key set as a frame: one request, not two
            kids = [str(k.kid) for k in self._keys()]
            current = self.key_picker.value
            self.key_picker.options = kids
            self.key_picker.value = current if current in kids else (kids[0] if kids else None)
            return self.keys_df

        return self._run("Load JWKS", call)

    def _forget_result(self) -> None:
        self.last_verdict = self.last_result = None

    def verify(self) -> Any:
        """Verify the JWT; the verdict lands on ``last_verdict`` (a failed check is a verdict, not an error)."""
        token = self.token.value.strip()
        audience = self.audience.value.strip() or None
        issuer = self.issuer.value.strip() or None

        def call() -> Any:
            self._forget_result()  # a verdict belongs to one attempt: never the last one beside a new failure
            if not token:
                raise ConfigurationError("JWT is empty: paste a token, or issue one in the Token tab.")
            self._checked_audience = audience or self.client.resource  # verify_jwt's default (always checked)
            try:
                self.last_result = self.client.verify_jwt(token, audience=audience, issuer=issuer)
                self.last_verdict = "valid"
            except JWTVerificationError as exc:
                self.last_result = exc
                self.last_verdict = exc.reason
            return self.last_verdict

        return self._run("Verify JWT", call, verdict=_failed_check)

    def _keys(self) -> list[JWK]:
        return list(self.last_jwks.keys) if self.last_jwks is not None else []

    def _render(self) -> None:
        if self.keys_df is not None:
            self.keys_table.value = frame_html(self.keys_df)
        chosen = next((k for k in self._keys() if str(k.kid) == self.key_picker.value), None)
        if chosen is None:
            self.key_members.value = ""
        else:
            everything = chosen.raw or as_dict(chosen)  # the record keeps every member in .raw
            members = {k: v for k, v in everything.items() if k not in PRIVATE_MEMBERS}
            self.key_members.value = "<b>Public members</b>" + kv_table(members, reveal=True)
        if self.last_verdict is None:
            self.verdict.value = ""
            self.claims.value = ""
            return
        text = html.escape(verdict_text(self.last_verdict))
        if self.last_verdict == "valid":
            text = html.escape(f"valid: signature, issuer, audience ({self._checked_audience}) and lifetime check out")
        if self.last_verdict == "valid":
            self.verdict.value = f"<span class='tnb-ok' style='font-size:1.2em'>✓ {text}</span>"
            claims = self.last_result.claims or {}
            header = self.last_result.header or {}
            self.claims.value = (
                f"<b>Header</b>{kv_table(header, reveal=self.revealed)}"
                f"<b>Verified claims</b>{kv_table(claims, reveal=self.revealed)}"
            )
        else:
            detail = html.escape(str(self.last_result)) if self.last_result is not None else ""
            self.verdict.value = (
                f"<span class='tnb-bad' style='font-size:1.2em'>✗ {text}</span>"
                f"<div class='tnb-muted'>{detail}</div>"
            )
            self.claims.value = ""


def _failed_check(verdict: str | None) -> str | None:
    """The status line's word for a verdict: None when the JWT checked out, else the short reason ("malformed")."""
    return None if verdict in (None, "valid") else f"the JWT does not verify ({verdict_text(verdict).split(':')[0]})"


__all__ = ["JWKSPanel", "PRIVATE_MEMBERS"]
