"""AuthorizePanel: the authorization-code flow with PKCE, one visible step at a time.

1. Build the authorization URL (RFC 6749 §4.1.1) with a PKCE verifier and challenge (RFC 7636 §4.1–4.2) and state.
   With a loopback redirect URI a short-lived listener in this kernel receives the redirect (RFC 8252 §7.3,
   ``loopback.py``), so the user opens the link, approves on the real consent page, and the panel carries on.
2. Optionally, send it to ``GET /oauth/authorize`` from the kernel and read the consent it leads to.
3. The redirect carries ``code`` and ``state`` or ``error`` (RFC 6749 §4.1.2, §4.1.2.1); ``iss`` is checked
   against the server's issuer when present or advertised (RFC 9207 §2.4), state against ours (RFC 6749 §10.12).
   It arrives through the listener, the paste box (any other case), or the sandbox-only Allow/Deny shortcut,
   which decides server-side (``POST /oauth/grants``) and cannot work against a real Telnyx account.
4. Exchange the code with the verifier (RFC 6749 §4.1.3, RFC 7636 §4.5) — at once when the redirect came through
   the listener or the paste box.

State for the next cell: ``last_request`` (AuthorizationRequest), ``consent_token``, ``last_consent``,
``last_redirect``, ``last_code``, ``last_denial`` (the AuthorizationDenied, when the user said no) and
``last_token``.
"""

from __future__ import annotations

import html
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import ipywidgets as widgets

from telnyx_nb.core.errors import AuthorizationDenied, AuthorizationFlowError, ConfigurationError
from telnyx_nb.core.masking import mask_text
from telnyx_nb.widgets.base import LABEL_STYLE, Panel, kv_table, show_scopes, token_table, wide
from telnyx_nb.widgets.handoff import TokenSource
from telnyx_nb.widgets.hub_redirect import REGISTER_HINT, register_on_sandbox, registration_note
from telnyx_nb.widgets.issuer import check_issuer
from telnyx_nb.widgets.loopback import LoopbackListener, browser_url, is_loopback_uri
from telnyx_nb.widgets.scopes import consent_scopes_html, default_scopes_phrase, scope_sentence_html

if TYPE_CHECKING:
    from telnyx_nb.api.client import TelnyxOAuth
    from telnyx_nb.core.records import AuthorizationRequest, AuthorizationServerMetadata, Consent, TokenResponse

PKCE_METHODS = (("S256 (recommended)", "S256"), ("plain", "plain"), ("no PKCE", None))


class AuthorizePanel(TokenSource, Panel):
    """Walk the authorization-code + PKCE flow: URL → consent → decision → code → token."""

    title = "Authorize (code + PKCE)"

    def __init__(self, client: TelnyxOAuth | None = None, *, autoload: bool = True) -> None:
        super().__init__(client)
        self._start_flow_state()
        self._build_controls()
        self.client_id.observe(lambda _c: self._client_changed(), "value")
        self.scopes.observe(lambda _c: self._show_default_scopes(), "value")
        self._assemble(
            widgets.HBox([self.client_id, self.load_button]),
            self.client_secret,
            self.redirect_uri,
            widgets.HBox([self.scopes, self.pkce]),
            self.scope_notes,
            self.default_scopes,
            self.listen,
            self._step_buttons(),
            self.step_url,
            widgets.HBox([self.paste, self.paste_button]),
            self.step_consent,
            self.step_redirect,
            self.step_token,
            autoload=autoload,
        )

    def _start_flow_state(self) -> None:
        """What one authorization flow leaves behind, each step's result, all empty before the first."""
        self.metadata: AuthorizationServerMetadata | None = None
        self.last_request: AuthorizationRequest | None = None
        self.consent_token: str | None = None
        self.last_consent: Consent | None = None
        self.last_redirect: str | None = None
        self.last_code: str | None = None
        self.last_denial: AuthorizationDenied | None = None
        self.last_token: TokenResponse | None = None
        self.last_token_client: dict[str, str | None] = {}  # the client the token was issued to (for a refresh)
        self.listener: LoopbackListener | None = None
        self.registered_redirect_uri: str | None = None  # the hub address this panel registered on a sandbox

    def _build_controls(self) -> None:
        """The inputs and the step buttons, one per step of the flow (RFC 6749 §4.1 with PKCE)."""
        self.client_id = widgets.Text(value=self.client.client_id or "",
                                      description="Client id", layout=widgets.Layout(width="70%"), style=LABEL_STYLE)
        self.client_secret = self._secret_input(
            "Client secret", "empty: the session's secret (or none for a public client)")
        self.redirect_uri = widgets.Combobox(options=[], description="Redirect URI", layout=wide(), style=LABEL_STYLE,
                                             ensure_option=False)
        self.scopes = widgets.SelectMultiple(options=[], rows=5, description="Scopes", style=LABEL_STYLE)
        self.scope_notes = widgets.HTML("")  # what the offered scopes give (admin: the whole account)
        self.default_scopes = widgets.HTML("")  # what an empty selection asks for, said before the click
        self.client_allowed_scopes: tuple[str, ...] | None = None  # the chosen client's, once loaded
        self.pkce = widgets.Dropdown(options=PKCE_METHODS, value="S256", description="PKCE", style=LABEL_STYLE)
        self.listen = widgets.Checkbox(value=True, indent=False, layout=wide(),
                                       description="Catch the redirect in this kernel (a listener on 127.0.0.1 "
                                                   "for a loopback redirect URI, RFC 8252 §7.3)")
        self.paste = widgets.Text(placeholder="…or paste the address the browser landed on "
                                              "(…?code=…&state=…)", layout=widgets.Layout(width="70%"))
        self.paste_button = self._button("Use this redirect", self.use_pasted, icon="paste",
                                         tooltip="Check state (and iss) of the pasted redirect, then exchange "
                                                 "its code")
        self.load_button = self._button("Load client", self.load, icon="refresh",
                                        tooltip="Fetch this client's redirect URIs (GET /oauth_clients/{id})")
        self.build_button = self._button("1 · Build URL", self.build_url, icon="link")
        self.start_button = self._button("2 · Open /oauth/authorize", self.start, icon="sign-in",
                                         tooltip="GET /oauth/authorize, then GET /oauth/consent/{consent_token}")
        shortcut = ("Sandbox only: decide on the sandbox's consent endpoint from the kernel, without a browser "
                    "(a real Telnyx account asks the user in the browser)")
        self.allow_button = self._button("Allow (sandbox shortcut)", lambda: self.decide(True), style="success",
                                         icon="check", tooltip=shortcut)
        self.deny_button = self._button("Deny (sandbox shortcut)", lambda: self.decide(False), style="danger",
                                        icon="times", tooltip=shortcut)
        self.exchange_button = self._button("4 · Exchange code", self.exchange, style="primary", icon="key",
                                            tooltip="POST /oauth/token grant_type=authorization_code")
        self.step_url = widgets.HTML("")
        self.step_consent = widgets.HTML("")
        self.step_redirect = widgets.HTML("")
        self.step_token = widgets.HTML("")

    def _step_buttons(self) -> widgets.HBox:
        """The step buttons at their labels' width (148 px cuts "Allow (sandbox shortcut)"), wrapping if narrow."""
        steps = [self.build_button, self.start_button, self.allow_button, self.deny_button, self.exchange_button]
        for button in steps:
            button.layout.width = "auto"
        return widgets.HBox(steps, layout=widgets.Layout(flex_flow="row wrap"))

    # -- public API ---------------------------------------------------------------------------------------
    def load(self) -> None:
        """Scopes from discovery metadata (each described); the chosen client's redirect URIs and allowed scopes."""

        def call() -> None:
            self.metadata = self.client.authorization_server_metadata()
            show_scopes(self.scopes, self.metadata, self.scope_notes)
            self.client_allowed_scopes = None
            client_id = self.client_id.value.strip()
            if client_id:
                record = self.client.get_client(client_id)
                self.client_allowed_scopes = tuple(record.allowed_scopes or ())
                uris = list(record.redirect_uris or ())
                self.redirect_uri.options = uris
                if uris and not self.redirect_uri.value:
                    self.redirect_uri.value = uris[0]

        self._run("Load scopes and redirect URIs", call)

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
            if self.listen.value and is_loopback_uri(redirect_uri):
                parts = urlsplit(redirect_uri)
                self.listener = LoopbackListener(parts.port or 80, parts.path or "/", uri_host=parts.hostname,
                                                 on_redirect=self._from_listener, on_start=self._start_through_proxy,
                                                 state=lambda: getattr(self.last_request, "state", None)).start()
                redirect_uri = self.listener.redirect_uri  # another port if that one was taken, proxied on a hub
                if self.listener.behind_proxy:  # a sandbox's client gets the hub address; a real account's never
                    self.registered_redirect_uri = register_on_sandbox(self.client, client_id, redirect_uri)
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
                self.last_code = self.client.parse_redirect(self.last_redirect, self.last_request.state)
            except AuthorizationDenied as exc:  # a denial is an outcome of the flow, not a failure of the panel
                self.last_denial = exc
            return self.last_redirect

        return self._run("Allow access" if allowed else "Deny access", call)

    def receive_redirect(self, redirect: str, *, exchange: bool = True) -> Any:
        """Step 3 for a redirect that reached us (listener or paste): check iss (RFC 9207) and state, take the code,
        and exchange it at once unless ``exchange=False``."""
        if self.last_request is None:
            return None
        request = self.last_request

        def call() -> Any:
            if request is not self.last_request:
                raise AuthorizationFlowError("a newer authorization URL was built: this redirect belongs to the old "
                                             "one; open the new link")
            redirect_text = str(redirect).strip()
            if not redirect_text:
                raise ConfigurationError("The redirect is empty: paste the whole address the browser landed on.")
            self.last_redirect = redirect_text
            self.consent_token = None
            metadata = self.metadata or self.client.authorization_server_metadata()
            check_issuer(redirect_text, metadata)
            try:
                self.last_code = self.client.parse_redirect(redirect_text, request.state)
            except AuthorizationDenied as exc:
                self.last_denial = exc
            return redirect_text

        received = self._run("Receive the redirect", call)
        if received is not None and exchange and self.last_code is not None:
            self.exchange()
        return received

    def use_pasted(self) -> Any:
        """The paste box's button: a redirect URL copied from the browser (any case the listener cannot reach)."""
        pasted, self.paste.value = self.paste.value, ""  # the code in it is a secret: do not keep it on screen
        return self.receive_redirect(pasted)

    def _start_through_proxy(self, redirect_uri: str) -> str:
        """Called on the listener's thread when its start page found the public callback URL (a hub whose origin
        the kernel cannot see): the same request again, for that redirect URI; returns its URL."""
        request = self.last_request
        if request is None:
            raise AuthorizationFlowError("no authorization URL was built: press Build URL in the notebook")

        def call() -> Any:
            added = register_on_sandbox(self.client, request.client_id, redirect_uri)  # None on a reload: keep
            self.registered_redirect_uri = added or self.registered_redirect_uri
            self.last_request = self.client.authorization_url(request.client_id, redirect_uri, request.scope,
                                                              pkce=request.code_challenge_method)
            return self.last_request

        rebuilt = self._run("Build authorization URL for the proxied listener", call, hint=REGISTER_HINT)
        if rebuilt is None:
            raise AuthorizationFlowError(self.error_message or "could not build the authorization URL")
        return rebuilt.url

    def _from_listener(self, redirect: str) -> None:
        """Called on the listener's thread; waits out a click in progress rather than dropping the redirect."""
        deadline = time.monotonic() + 30
        while self.busy and time.monotonic() < deadline:
            time.sleep(0.05)
        self.receive_redirect(redirect)

    def close(self) -> None:
        self._stop_listener()
        super().close()

    def _stop_listener(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            listener.stop()

    def exchange(self) -> Any:
        """Step 4: redeem the code with the PKCE verifier; the token lands on ``last_token``."""
        if self.last_code is None:
            return None
        request = self.last_request

        def call() -> Any:
            client_id = request.client_id
            secret = self.client_secret.value.strip() or None
            own_client = client_id == self.client.client_id
            token = self.client.exchange_code(
                self.last_code,
                redirect_uri=request.redirect_uri,
                code_verifier=request.code_verifier,
                client_id=None if own_client and secret is None else client_id,
                client_secret=secret,
            )
            self.last_code = None  # RFC 6749 §4.1.2: a code is redeemable once
            self.last_token = token
            # who holds the token: a refresh elsewhere (the Token tab) must authenticate as this client
            self.last_token_client = {"client_id": client_id, "client_secret": secret}
            self._announce_token(token)
            return token

        return self._run("Exchange code for tokens", call)

    # -- display ------------------------------------------------------------------------------------------
    def _show_default_scopes(self) -> None:
        """What the request asks for; with no scope selected, what the consent page will ask for instead."""
        chosen = " ".join(self.scopes.value)
        self.default_scopes.value = scope_sentence_html(
            f"Asking for: {chosen}." if chosen else "No scope selected: the request carries no scope, and the "
            f"consent page will ask for {default_scopes_phrase(self.client_allowed_scopes)}.")

    def _client_changed(self) -> None:
        self._reset()
        self.client_allowed_scopes = None  # another client's: Load client reads the new one's
        self._show_default_scopes()

    def _reset(self) -> None:
        self._stop_listener()
        self.last_request = self.consent_token = self.last_consent = None
        self.last_redirect = self.last_code = self.last_denial = self.last_token = None
        self.registered_redirect_uri = None

    def _sync_buttons(self) -> None:
        if self.busy:
            return
        self.start_button.disabled = self.last_request is None or self.last_consent is not None
        self.allow_button.disabled = self.deny_button.disabled = (self.consent_token is None
                                                                  or not self.client.is_sandbox)
        self.paste_button.disabled = self.last_request is None
        self.exchange_button.disabled = self.last_code is None

    def _render(self) -> None:
        self._show_default_scopes()
        request = self.last_request
        if request is None:
            self.step_url.value = "<span class='tnb-muted'>Pick a client, redirect URI and scopes, then build " \
                                  "the URL.</span>"
        else:
            url = str(request.url)
            shown = [
                ("state", request.state),
                ("code_challenge_method", request.code_challenge_method),
                ("code_challenge", request.code_challenge),
                ("code_verifier", request.code_verifier),
            ]
            self.step_url.value = (
                "<b>1 · Authorization URL</b> — open it, approve in the browser"
                f"{self._listener_note()}<br>"
                f"<a href='{html.escape(self._link(url), quote=True)}' target='_blank' rel='noopener' "
                f"style='word-break:break-all'>{html.escape(url)}</a>{kv_table(shown, reveal=self.revealed)}"
            )
        consent = self.last_consent
        if consent is None:
            self.step_consent.value = ""
        else:
            badge = ("<span class='tnb-ok'>✓ verified</span>" if consent.verified
                     else "<span class='tnb-bad'>unverified</span>")
            self.step_consent.value = (
                f"<b>2 · Consent</b>: <b>{html.escape(str(consent.name or ''))}</b> {badge} asks for:"
                + consent_scopes_html(consent.requested_scopes or ())
                + kv_table([("client_id", consent.client_id),
                            ("redirect_uri", consent.redirect_uri),
                            ("policy_uri", consent.policy_uri),
                            ("tos_uri", consent.tos_uri)])
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
            self.step_token.value = "<b>4 · Token response</b>" + token_table(token, reveal=self.revealed)

    def _listener_note(self) -> str:
        if self.listener is None:
            return "; then paste the address it lands on below."
        pending = self.client.is_sandbox and self.listener.running and self.listener.needs_start_page
        note = registration_note(self.registered_redirect_uri, self.client_id.value.strip(), pending=pending)
        return "; " + self.listener.describe() + note

    def _link(self, url: str) -> str:
        """Where the link sends the browser: the listener's start page on a hub whose origin is unknown, else the
        authorization URL (through the proxy on a hub)."""
        listener = self.listener
        if listener is not None and listener.running and listener.start_url and not listener.public_redirect_uri:
            return listener.start_url
        return browser_url(url)

    def _mask(self, text: str) -> str:
        return text if self.revealed else mask_text(text)


__all__ = ["AuthorizePanel", "PKCE_METHODS"]
