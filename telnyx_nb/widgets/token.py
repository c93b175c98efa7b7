"""TokenPanel: issue an access token (RFC 6749 §4.1.3, §4.4, §6), read it, watch it expire, introspect or refresh it.

State for the next cell: ``last_token`` (the TokenResponse), ``jwt_header`` / ``jwt_claims`` (decoded, not
verified), ``expires_at`` (epoch seconds) and ``last_introspection``.
"""

from __future__ import annotations

import html
import time
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from telnyx_nb.core import wire
from telnyx_nb.core.errors import ConfigurationError, TelnyxNBError
from telnyx_nb.widgets.base import LABEL_STYLE, Countdown, Panel, kv_table, show_scopes, token_table, wide
from telnyx_nb.widgets.handoff import TokenSource
from telnyx_nb.widgets.introspection import decode_jwt, inactive_reason
from telnyx_nb.widgets.render import inactive_badge
from telnyx_nb.widgets.scopes import default_scopes_phrase, scope_sentence_html

if TYPE_CHECKING:
    from telnyx_nb.api.client import TelnyxOAuth
    from telnyx_nb.core.records import AuthorizationServerMetadata, Introspection, TokenResponse



class TokenPanel(TokenSource, Panel):
    """Choose a grant type and scopes, press Issue, and see the token, its decoded JWT and its countdown."""

    title = "Token"

    def __init__(self, client: TelnyxOAuth | None = None, *, autoload: bool = True) -> None:
        super().__init__(client)
        self.last_token: TokenResponse | None = None
        self._token_owner: dict[str, str] = {}  # the client a handed-in token belongs to, if not the session's
        self.last_introspection: Introspection | None = None
        self.last_reason: str | None = None
        self.jwt_header: dict | None = None
        self.jwt_claims: dict | None = None
        self.expires_at: float | None = None
        self.last_grant_type: str | None = None
        self.metadata: AuthorizationServerMetadata | None = None

        self.credentials = widgets.HTML(
            "<span class='tnb-muted'>Client credentials from the session: "
            f"<code>{html.escape(self.client.client_id or '(none configured)')}</code></span>"
        )
        self.grant_type = widgets.Dropdown(options=wire.GRANT_TYPES, value=wire.CLIENT_CREDENTIALS,
                                           description="Grant type", style=LABEL_STYLE)
        self.scopes = widgets.SelectMultiple(options=[], rows=5, description="Scopes", style=LABEL_STYLE,
                                             tooltip="Empty: the client's default scopes")
        self.scope_notes = widgets.HTML("")  # what the offered scopes give (admin: the whole account)
        # RFC 6749 §3.3: an empty selection is no scope parameter, and the server grants its default — here every
        # scope the client is allowed, admin included. Said before the click, not discovered after it.
        self.default_scopes = widgets.HTML("")
        self.client_allowed_scopes: tuple[str, ...] | None = None
        self.code = self._secret_input("Authorization code")
        self.redirect_uri = widgets.Text(description="Redirect URI", layout=wide(), style=LABEL_STYLE)
        self.code_verifier = self._secret_input("PKCE code_verifier", "empty when the flow used no PKCE")
        self.refresh_token = self._secret_input("Refresh token", "filled in from the last token")
        self.code_box = widgets.VBox([self.code, self.redirect_uri, self.code_verifier], layout=wide())
        self.refresh_box = widgets.VBox([self.refresh_token], layout=wide())
        self.issue_button = self._button("Issue", self.issue, style="primary", icon="key",
                                         tooltip="POST /oauth/token")
        self.introspect_button = self._button("Introspect", self.introspect, icon="search",
                                              tooltip="POST /oauth/introspect with this token")
        self.refresh_button = self._button("Refresh", self.refresh, icon="refresh",
                                           tooltip="POST /oauth/token grant_type=refresh_token")
        self.countdown = Countdown()
        self.response = widgets.HTML("")
        self.decoded = widgets.HTML("")
        self.introspection = widgets.HTML("")
        self.grant_type.observe(lambda _c: self._show_grant_fields(), "value")
        self.scopes.observe(lambda _c: self._show_default_scopes(), "value")
        self._show_grant_fields()
        self._assemble(
            self.credentials,
            widgets.HBox([self.grant_type, self.scopes]),
            self.scope_notes,
            self.default_scopes,
            self.code_box,
            self.refresh_box,
            widgets.HBox([self.issue_button, self.introspect_button, self.refresh_button, self.countdown],
                         layout=widgets.Layout(align_items="center")),
            self.response,
            self.decoded,
            self.introspection,
            autoload=autoload,
        )

    # -- public API ---------------------------------------------------------------------------------------
    def load(self) -> None:
        """Fill the scope picker from the discovery metadata (RFC 8414 §2 ``scopes_supported``), each scope
        described, and learn what an empty selection brings."""

        def fetch() -> Any:
            self.metadata = self.client.authorization_server_metadata()
            show_scopes(self.scopes, self.metadata, self.scope_notes)
            self._load_allowed_scopes()
            return self.metadata

        self._run("Load scopes from discovery metadata", fetch)

    def _load_allowed_scopes(self) -> None:
        """The session client's ``allowed_scopes`` (what an empty selection brings), when the session may read it."""
        client_id = self.client.client_id
        self.client_allowed_scopes = None
        if client_id:
            try:
                self.client_allowed_scopes = tuple(self.client.get_client(client_id).allowed_scopes)
            except TelnyxNBError:  # e.g. no management access: say what the server will do instead
                self.client_allowed_scopes = None
        self._show_default_scopes()

    def issue(self) -> Any:
        """POST /oauth/token with the chosen grant type; the response lands on ``last_token``."""
        grant = self.grant_type.value
        scope = " ".join(self.scopes.value) or None  # RFC 6749 §3.3: space-delimited

        def call() -> Any:
            if grant == wire.CLIENT_CREDENTIALS:
                token = self.client.client_credentials_token(scope=scope)
            elif grant == wire.AUTHORIZATION_CODE:
                if not self.code.value.strip():
                    raise ConfigurationError("Authorization code is empty: paste the code from the redirect "
                                     "(or use the Authorize tab).")
                if not self.redirect_uri.value.strip():
                    raise ConfigurationError("Redirect URI is empty: enter the redirect_uri the code was issued for "
                                     "(RFC 6749 §4.1.3).")
                token = self.client.exchange_code(
                    self.code.value.strip(),
                    redirect_uri=self.redirect_uri.value.strip(),
                    code_verifier=self.code_verifier.value.strip() or None,
                )
            else:
                if not self.refresh_token.value.strip():
                    raise ConfigurationError("Refresh token is empty: issue a token that carries one first "
                                     "(authorization_code grant).")
                value = self.refresh_token.value.strip()
                owner = self._token_owner if self.last_token and value == self.last_token.refresh_token else {}
                token = self.client.refresh(value, scope=scope, **owner)
                self.set_token(token, grant_type=grant, **owner)
                return token
            self.set_token(token, grant_type=grant)
            return token

        return self._run(f"Issue token ({grant})", call)

    def introspect(self) -> Any:
        """POST /oauth/introspect (RFC 7662) for the current access token; result on ``last_introspection``."""
        if self.last_token is None:
            return None

        def call() -> Any:
            access = self.last_token.access_token
            self.last_introspection = self.client.introspect(access)
            active = self.last_introspection.active
            self.last_reason = None if active else inactive_reason(self.client, access)
            return self.last_introspection

        return self._run("Introspect token", call)

    def refresh(self) -> Any:
        """Redeem the current refresh token (RFC 6749 §6); the new token replaces the old one in place."""
        refresh_token = self.last_token.refresh_token if self.last_token is not None else None
        if not refresh_token:
            return None

        owner = dict(self._token_owner)

        def call() -> Any:
            # RFC 6749 §6: a refresh token is bound to the client it was issued to, which may not be the session's
            token = self.client.refresh(refresh_token, **owner)
            self.set_token(token, grant_type="refresh_token", **owner)
            return token

        return self._run("Refresh token", call)

    def set_token(self, token: TokenResponse, *, source: str | None = None, client_id: str | None = None,
                  client_secret: str | None = None, grant_type: str | None = None) -> None:
        """Show ``token`` (a TokenResponse) as this panel's current token and tell linked panels; ``source``
        names where a token handed in came from, for the status line; ``client_id``/``client_secret`` name the
        client the token was issued to when it is not the session's own (Refresh then authenticates as it)."""
        self.last_token = token
        self.last_grant_type = grant_type  # how this token was obtained (shown with it), None when not known
        self._token_owner = {k: v for k, v in (("client_id", client_id), ("client_secret", client_secret)) if v}
        if source:
            self.status.value = f"<span class='tnb-ok'>✓ Token received from {html.escape(source)}</span>"
        self.last_introspection = None
        access = token.access_token
        self.jwt_header, self.jwt_claims = decode_jwt(access) if access else (None, None)
        exp = (self.jwt_claims or {}).get("exp")
        expires_in = token.expires_in
        if isinstance(exp, (int, float)):
            self.expires_at = float(exp)
        elif isinstance(expires_in, (int, float)):
            self.expires_at = time.time() + float(expires_in)
        else:
            self.expires_at = None
        self.countdown.start(self.expires_at)
        if token.refresh_token:
            self.refresh_token.value = token.refresh_token
        self._refresh_view()
        self._announce_token(token)

    # -- display ------------------------------------------------------------------------------------------
    def default_scopes_text(self) -> str:
        """What an empty scope selection asks for, in words (also shown under the picker)."""
        grant = self.grant_type.value
        if self.scopes.value:
            return f"Asking for: {' '.join(self.scopes.value)}."
        if grant == "refresh_token":
            return "No scope selected: the new token gets the whole scope originally granted (RFC 6749 §6)."
        if grant == "authorization_code":
            return "No scope selected: the token gets the scope the user consented to (RFC 6749 §4.1.3)."
        return (f"No scope selected: the token will carry {default_scopes_phrase(self.client_allowed_scopes)}. "
                "Select scopes to ask for exactly those.")

    def _show_default_scopes(self) -> None:
        self.default_scopes.value = scope_sentence_html(self.default_scopes_text())

    def _show_grant_fields(self) -> None:
        self._show_default_scopes()
        grant = self.grant_type.value
        self.code_box.layout.display = "flex" if grant == wire.AUTHORIZATION_CODE else "none"
        self.refresh_box.layout.display = "flex" if grant == wire.REFRESH_TOKEN else "none"

    def _sync_buttons(self) -> None:
        if self.busy:
            return
        self.introspect_button.disabled = self.last_token is None
        self.refresh_button.disabled = self.last_token is None or not self.last_token.refresh_token

    def _render(self) -> None:
        token = self.last_token
        if token is None:
            self.response.value = "<span class='tnb-muted'>No token yet: choose a grant type and press Issue.</span>"
            self.decoded.value = ""
        else:
            how = (f" <span class='tnb-muted'>· grant_type <code>{html.escape(self.last_grant_type)}</code>"
                   f"</span>" if self.last_grant_type else "")
            self.response.value = f"<b>Token response</b>{how}" + token_table(token, reveal=self.revealed)
            if self.jwt_header is None:
                self.decoded.value = "<span class='tnb-muted'>The access token is opaque (not a JWT).</span>"
            else:
                self.decoded.value = (
                    "<div style='display:flex; gap:16px; flex-wrap:wrap'>"
                    f"<div><b>JWT header</b>{kv_table(self.jwt_header, reveal=self.revealed)}</div>"
                    f"<div><b>JWT claims</b> <span class='tnb-muted'>(decoded, not verified)</span>"
                    f"{kv_table(self.jwt_claims or {}, reveal=self.revealed)}</div></div>"
                )
        result = self.last_introspection
        if result is None:
            self.introspection.value = ""
        else:
            badge = inactive_badge(bool(result.active), self.last_reason)
            self.introspection.value = f"<b>Introspection</b>: {badge}{self.table(result)}"

    def close(self) -> None:
        self.countdown.stop()
        super().close()


__all__ = ["TokenPanel"]
