"""DiscoveryPanel: what the server says about itself — RFC 8414 authorization-server metadata and RFC 9728
protected-resource metadata — as tables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from telnyx_nb.widgets.base import Panel

if TYPE_CHECKING:
    from telnyx_nb.api.client import TelnyxOAuth
    from telnyx_nb.core.records import AuthorizationServerMetadata, ProtectedResourceMetadata


class DiscoveryPanel(Panel):
    """RFC 8414 authorization-server metadata and RFC 9728 protected-resource metadata, as tables."""

    title = "Discovery"

    def __init__(self, client: TelnyxOAuth | None = None, *, autoload: bool = True) -> None:
        super().__init__(client)
        self.metadata: AuthorizationServerMetadata | None = None
        self.resource: ProtectedResourceMetadata | None = None
        self.load_button = self._button("Reload", self.load, icon="refresh",
                                        tooltip="GET /.well-known/oauth-authorization-server and "
                                                "/.well-known/oauth-protected-resource")
        self.server_view = widgets.HTML("")
        self.resource_view = widgets.HTML("")
        self._assemble(self.load_button, self.server_view, self.resource_view, autoload=autoload)

    def load(self) -> Any:
        def call() -> Any:
            self.metadata = self.client.authorization_server_metadata()
            self.resource = self.client.protected_resource_metadata()
            return self.metadata

        return self._run("Load discovery metadata", call)

    def _render(self) -> None:
        if self.metadata is not None:
            self.server_view.value = ("<b>Authorization server metadata</b> (RFC 8414)"
                                      + self.table(self.metadata))
        if self.resource is not None:
            self.resource_view.value = ("<b>Protected resource metadata</b> (RFC 9728)"
                                        + self.table(self.resource))


__all__ = ["DiscoveryPanel"]
