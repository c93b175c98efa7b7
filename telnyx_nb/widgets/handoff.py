"""How panels hand a token on: a source announces each new token, a receiver takes one into its token box.

The Explorer wires them (Token and Authorize tabs are sources, Introspection and JWKS receivers); a notebook can
do the same with ``source.on_token(receiver.receive)``. Tokens travel as Python objects, never through a widget
model, so they stay out of saved notebooks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import ipywidgets as widgets

from telnyx_nb.widgets.jwt_view import JWTView

if TYPE_CHECKING:
    from telnyx_nb.api.client import TelnyxOAuth
    from telnyx_nb.core.records import TokenResponse
    from telnyx_nb.widgets.controls import SecretText


class TokenSource:
    """A panel that obtains tokens: ``on_token(callback)`` registers, ``_announce_token(token)`` calls them all."""

    def on_token(self, callback: Callable[[TokenResponse], None]) -> None:
        """Call ``callback(token_response)`` whenever this panel gets a new token (the Explorer links panels)."""
        self._token_callbacks().append(callback)

    def _announce_token(self, token: TokenResponse) -> None:
        for callback in list(self._token_callbacks()):
            callback(token)

    def _token_callbacks(self) -> list[Callable[[TokenResponse], None]]:
        # made on first use: the mixin has no __init__ of its own (it sits before Panel, an ipywidgets VBox)
        callbacks = self.__dict__.get("_token_listeners")
        if callbacks is None:
            callbacks = self.__dict__["_token_listeners"] = []
        return callbacks


class TokenReceiver:
    """A panel with a ``token`` box that another panel can fill: ``receive(token)`` puts the access token in it
    and forgets the result shown for the previous token (:meth:`_forget_result`)."""

    client: TelnyxOAuth  # Panel's
    token: SecretText
    decoded: JWTView
    verdict: widgets.HTML
    claims: widgets.HTML
    _refresh_view: Callable[[], None]  # Panel's
    _secret_input: Callable[[str, str], SecretText]

    def _token_inputs(self, description: str, placeholder: str) -> None:
        """The token box, its live decoding (a pasted JWT is shown decoded and verified at once), and the two
        lines the panel's check fills: ``verdict`` and ``claims``."""
        self.token = self._secret_input(description, placeholder)
        self.decoded = JWTView(self.client)
        self.token.on_change(self.decoded.show)
        self.verdict = widgets.HTML("")
        self.claims = widgets.HTML("")

    def receive(self, token: TokenResponse | str | None) -> None:
        """Take a token from elsewhere (a TokenResponse or the token string) into the token box."""
        access = token if isinstance(token, str) else getattr(token, "access_token", None)
        self.token.value = access or ""
        self._forget_result()
        self._refresh_view()

    def _forget_result(self) -> None:
        """Drop what the panel concluded about the previous token."""
