"""Explorer: one tabbed app holding every panel plus the discovery metadata, on one shared session.

The panels are linked: a token issued in the Token tab (or exchanged in the Authorize tab) is handed to the
Introspection and JWKS tabs, so "issue → introspect → verify" is three clicks. Tabs fetch their data the first time
they are opened, so opening the Explorer costs a single request.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from telnyx_nb.widgets.authorize import AuthorizePanel
from telnyx_nb.widgets.base import Panel, close_tree, default_client
from telnyx_nb.widgets.clients import ClientsPanel
from telnyx_nb.widgets.discovery import DiscoveryPanel
from telnyx_nb.widgets.grants import GrantsPanel
from telnyx_nb.widgets.introspection import IntrospectionPanel
from telnyx_nb.widgets.jwks import JWKSPanel
from telnyx_nb.widgets.stored import StoredView, static_children
from telnyx_nb.widgets.token import TokenPanel

if TYPE_CHECKING:
    from telnyx_nb.api.client import TelnyxOAuth


class Explorer(StoredView, widgets.VBox):
    """Every panel in tabs on one session: Token, Introspection, JWKS, Authorize, Clients, Grants, Discovery.

    Its outputs carry a stored view (:mod:`.stored`): the tab strip and the open tab, as they were."""

    TAB_TITLES = ("Token", "Introspection", "JWKS", "Authorize", "Clients", "Grants", "Discovery")

    def __init__(self, client: TelnyxOAuth | None = None) -> None:
        self.client = client = client if client is not None else default_client()
        self.token = TokenPanel(client, autoload=False)
        self.introspection = IntrospectionPanel(client, autoload=False)
        self.jwks = JWKSPanel(client, autoload=False)
        self.authorize = AuthorizePanel(client, autoload=False)
        self.clients = ClientsPanel(client, autoload=False)
        self.grants = GrantsPanel(client, autoload=False)
        self.discovery = DiscoveryPanel(client, autoload=False)
        self.panels: tuple[Panel, ...] = (self.token, self.introspection, self.jwks, self.authorize,
                                          self.clients, self.grants, self.discovery)
        self.token.on_token(self._share_token)
        # an exchanged code's token shows in the Token tab (refresh, countdown), which shares it onwards
        self.authorize.on_token(lambda token: self.token.set_token(
            token, source="the Authorize tab", grant_type="authorization_code",
            **self.authorize.last_token_client))
        self.tabs = widgets.Tab(children=list(self.panels), titles=list(self.TAB_TITLES))
        self.tabs.observe(lambda change: self._open(change["new"]), "selected_index")
        header = widgets.HTML(
            f"<h3 style='margin:4px 0'>Telnyx OAuth Explorer</h3>"
            f"<div class='tnb-muted'>Talking to {html.escape(str(client.target))}</div>"
        )
        super().__init__([header, self.tabs])
        self.tabs.selected_index = 0
        self._open(0)

    def __repr__(self) -> str:
        return f"Explorer(target={str(getattr(self.client, 'target', ''))!r})"

    def _stored_html(self) -> str:
        return static_children(self)

    @property
    def last_token(self) -> Any:
        return self.token.last_token

    def _share_token(self, token: Any) -> None:
        self.introspection.receive(token)
        self.jwks.receive(token)

    def _open(self, index: int | None) -> None:
        if index is not None:
            self.panels[index].activate()

    def close(self) -> None:
        """Close every panel (they stop listening to the client) and every widget of the app."""
        for child in list(self.children):
            close_tree(child)
        super().close()


__all__ = ["Explorer"]
