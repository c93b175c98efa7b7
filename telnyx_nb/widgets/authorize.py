"""AuthorizePanel: the authorization-code flow with PKCE, one visible step at a time.

1. Build the authorization URL (RFC 6749 §4.1.1) with a PKCE verifier and challenge (RFC 7636 §4.1–4.2) and state.
2. Send it to ``GET /oauth/authorize``; read the consent it leads to (client, verified badge, requested scopes).
3. Allow or deny (``POST /oauth/grants``); the redirect carries ``code`` and ``state`` or ``error``
   (RFC 6749 §4.1.2, §4.1.2.1); state is checked against ours (RFC 6749 §10.12).
4. Exchange the code with the verifier (RFC 6749 §4.1.3, RFC 7636 §4.5).

State for the next cell: ``last_request`` (AuthorizationRequest), ``consent_token``, ``last_consent``,
``last_redirect``, ``last_code``, ``last_denial`` (the AuthorizationDenied, when the user said no) and
``last_token``.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from telnyx_nb.errors import AuthorizationDenied, ConfigurationError
from telnyx_nb.widgets.base import Panel, field, kv_table, scopes_from_metadata

def _wide() -> widgets.Layout:
    return widgets.Layout(width="100%")  # a fresh Layout each time: a shared one would share display too

_STYLE = {"description_width": "initial"}
PKCE_METHODS = (("S256 (recommended)", "S256"), ("plain", "plain"), ("no PKCE", None))


class AuthorizePanel(Panel):
    """Walk the authorization-code + PKCE flow: URL → consent → decision → code → token."""

    title = "Authorize (code + PKCE)"

    def __init__(self, client: Any = None, *, autoload: bool = True) -> None:
        super().__init__(client)
        self.metadata: Any = None
        self.last_request: Any = None
        self.consent_token: str | None = None
        self.last_consent: Any = None
        self.last_redirect: str | None = None
        self.last_code: str | None = None
        self.last_denial: AuthorizationDenied | None = None
        self.last_token: Any = None
        self._token_listeners: list[Callable[[Any], None]] = []

        self.client_id = widgets.Text(value=str(getattr(self.client, "client_id", None) or ""),
                                      description="Client id", layout=widgets.Layout(width="70%"), style=_STYLE)
        self.client_secret = self._secret_input(
            "Client secret", "empty: the session's secret (or none for a public client)")
        self.redirect_uri = widgets.Combobox(options=[], description="Redirect URI", layout=_wide(), style=_STYLE,
                                             ensure_option=False)
        self.scopes = widgets.SelectMultiple(options=[], rows=5, description="Scopes", style=_STYLE)
        self.pkce = widgets.Dropdown(options=PKCE_METHODS, value="S256", description="PKCE", style=_STYLE)
        self.load_button = self._button("Load client", self.load, icon="refresh",
                                        tooltip="Fetch this client's redirect URIs (GET /oauth_clients/{id})")
        self.build_button = self._button("1 · Build URL", self.build_url, icon="link")
        self.start_button = self._button("2 · Open /oauth/authorize", self.start, icon="sign-in",
                                         tooltip="GET /oauth/authorize, then GET /oauth/consent/{consent_token}")
        self.allow_button = self._button("3 · Allow", lambda: self.decide(True), style="success", icon="check")
        self.deny_button = self._button("Deny", lambda: self.decide(False), style="danger", icon="times")
        self.exchange_button = self._button("4 · Exchange code", self.exchange, style="primary", icon="key",
                                            tooltip="POST /oauth/token grant_type=authorization_code")
        self.step_url = widgets.HTML("")
        self.step_consent = widgets.HTML("")
        self.step_redirect = widgets.HTML("")
        self.step_token = widgets.HTML("")
        self.client_id.observe(lambda _c: self._reset(), "value")
        self._assemble(
            widgets.HBox([self.client_id, self.load_button]),
            self.client_secret,
            self.redirect_uri,
            widgets.HBox([self.scopes, self.pkce]),
            widgets.HBox([self.build_button, self.start_button, self.allow_button, self.deny_button,
                          self.exchange_button]),
            self.step_url,
            self.step_consent,
            self.step_redirect,
            self.step_token,
        )
        self._refresh_view()
        if autoload:
            self.activate()

    # -- public API ---------------------------------------------------------------------------------------
    def load(self) -> None:
        """Scopes from discovery metadata; redirect URIs registered for the chosen client."""

        def call() -> None:
            self.metadata = self.client.authorization_server_metadata()
            self.scopes.options = scopes_from_metadata(self.metadata)
            client_id = self.client_id.value.strip()
            if client_id:
                uris = list(field(self.client.get_client(client_id), "redirect_uris") or [])
                self.redirect_uri.options = uris
                if uris and not self.redirect_uri.value:
                    self.redirect_uri.value = uris[0]

        self._run("Load scopes and redirect URIs", call)

    def on_token(self, callback: Callable[[Any], None]) -> None:
        """Call ``callback(token_response)`` when the code is exchanged (the Explorer links panels)."""
        self._token_listeners.append(callback)

    def build_url(self) -> Any:
        """Step 1: the authorization URL with fresh state and PKCE values (no request yet)."""

        def call() -> Any:
            client_id = self.client_id.value.strip()
            redirect_uri = self.redirect_uri.value.strip()
            if not client_id:
                raise ConfigurationError("Client id is empty: enter the client_id of a registered client.")
            if not redirect_uri:
                raise ConfigurationError("Redirect URI is empty: pick one of the client's registered redirect "
                                         "URIs (RFC 6749 §3.1.2 requires an exact match).")
            self._reset()
            self.last_request = self.client.authorization_url(
                client_id, redirect_uri, " ".join(self.scopes.value) or None, pkce=self.pkce.value
            )
            return self.last_request

        return self._run("Build authorization URL", call)

    def start(self) -> Any:
        """Step 2: GET /oauth/authorize (no redirect following), then read the consent it leads to."""
        if self.last_request is None:
            return None

        def call() -> Any:
            self.consent_token = self.client.begin_authorization(self.last_request)
            self.last_consent = self.client.get_consent(self.consent_token)
            return self.last_consent

        return self._run(
            "Open the authorization request", call,
            hint="The server refuses requests whose redirect URI is not registered on the client (exact match, "
                 "RFC 6749 §3.1.2.3), whose scopes exceed the client's allowed scopes, or that lack PKCE when the "
                 "client requires it (RFC 7636 §4.4.1).",
        )

    def decide(self, allowed: bool) -> Any:
        """Step 3: POST /oauth/grants with the user's decision, then parse the redirect it returns."""
        if self.consent_token is None:
            return None

        def call() -> Any:
            self.last_redirect = self.client.decide_consent(self.consent_token, allowed)
            self.consent_token = None  # single use
            try:
                self.last_code = self.client.parse_redirect(self.last_redirect, field(self.last_request, "state"))
            except AuthorizationDenied as exc:  # a denial is an outcome of the flow, not a failure of the panel
                self.last_denial = exc
            return self.last_redirect

        return self._run("Allow access" if allowed else "Deny access", call)

    def exchange(self) -> Any:
        """Step 4: redeem the code with the PKCE verifier; the token lands on ``last_token``."""
        if self.last_code is None:
            return None
        request = self.last_request

        def call() -> Any:
            client_id = field(request, "client_id")
            secret = self.client_secret.value.strip() or None
            own_client = client_id == getattr(self.client, "client_id", None)
            token = self.client.exchange_code(
                self.last_code,
                redirect_uri=field(request, "redirect_uri"),
                code_verifier=field(request, "code_verifier"),
                client_id=None if own_client and secret is None else client_id,
                client_secret=secret,
            )
            self.last_code = None  # RFC 6749 §4.1.2: a code is redeemable once
            self.last_token = token
            # who holds the token: a refresh elsewhere (the Token tab) must authenticate as this client
            self.last_token_client = {"client_id": client_id, "client_secret": secret}
            for callback in list(self._token_listeners):
                callback(token)
            return token

        return self._run("Exchange code for tokens", call)

    # -- display ------------------------------------------------------------------------------------------
    def _reset(self) -> None:
        self.last_request = self.consent_token = self.last_consent = None
        self.last_redirect = self.last_code = self.last_denial = self.last_token = None

    def _sync_buttons(self) -> None:
        if self.busy:
            return
        self.start_button.disabled = self.last_request is None or self.last_consent is not None
        self.allow_button.disabled = self.deny_button.disabled = self.consent_token is None
        self.exchange_button.disabled = self.last_code is None

    def _render(self) -> None:
        request = self.last_request
        if request is None:
            self.step_url.value = "<span class='tnb-muted'>Pick a client, redirect URI and scopes, then build " \
                                  "the URL.</span>"
        else:
            url = str(field(request, "url"))
            shown = [
                ("state", field(request, "state")),
                ("code_challenge_method", field(request, "code_challenge_method")),
                ("code_challenge", field(request, "code_challenge")),
                ("code_verifier", field(request, "code_verifier")),
            ]
            self.step_url.value = (
                "<b>1 · Authorization URL</b><br>"
                f"<a href='{html.escape(url, quote=True)}' target='_blank' style='word-break:break-all'>"
                f"{html.escape(url)}</a>{kv_table(shown, reveal=self.revealed)}"
            )
        consent = self.last_consent
        if consent is None:
            self.step_consent.value = ""
        else:
            verified = field(consent, "verified")
            badge = ("<span class='tnb-ok'>✓ verified</span>" if verified
                     else "<span class='tnb-bad'>unverified</span>")
            scopes = "".join(
                f"<tr><td>{html.escape(str(field(s, 'id') or ''))}</td>"
                f"<td>{html.escape(str(field(s, 'name') or ''))}</td>"
                f"<td>{html.escape(str(field(s, 'description') or ''))}</td></tr>"
                for s in field(consent, "requested_scopes") or ()
            )
            self.step_consent.value = (
                f"<b>2 · Consent</b>: <b>{html.escape(str(field(consent, 'name') or ''))}</b> {badge} asks for:"
                f"<table class='tnb-table'><tr><th>scope</th><th>name</th><th>description</th></tr>{scopes}</table>"
                + kv_table([("client_id", field(consent, "client_id")),
                            ("redirect_uri", field(consent, "redirect_uri")),
                            ("policy_uri", field(consent, "policy_uri")),
                            ("tos_uri", field(consent, "tos_uri"))])
            )
        if self.last_redirect is None:
            self.step_redirect.value = ""
        elif self.last_denial is not None:
            self.step_redirect.value = (
                "<b>3 · Redirect</b>: <span class='tnb-bad'>✗ access denied</span> "
                f"(error={html.escape(str(self.last_denial.error or 'access_denied'))})<br>"
                f"<code>{html.escape(self._mask(self.last_redirect))}</code>"
            )
        else:
            self.step_redirect.value = (
                "<b>3 · Redirect</b>: <span class='tnb-ok'>✓ code received, state matches</span><br>"
                f"<code>{html.escape(self._mask(self.last_redirect))}</code>"
            )
        token = self.last_token
        if token is None:
            self.step_token.value = ""
        else:
            rows = [(name, field(token, name)) for name in
                    ("access_token", "token_type", "expires_in", "refresh_token", "scope")]
            self.step_token.value = "<b>4 · Token response</b>" + kv_table(rows, reveal=self.revealed)

    def _mask(self, text: str) -> str:
        from telnyx_nb.masking import mask_text

        return text if self.revealed else mask_text(text)


__all__ = ["AuthorizePanel", "PKCE_METHODS"]
