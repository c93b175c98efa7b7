"""ipywidgets panels over :class:`telnyx_nb.TelnyxOAuth`: every click is a real, logged, reproducible request.

``TokenPanel``, ``IntrospectionPanel``, ``JWKSPanel``, ``AuthorizePanel``, ``ClientsPanel`` and ``GrantsPanel``
each stand alone (``TokenPanel()`` connects with :func:`telnyx_nb.connect`); ``Explorer()`` holds them all in
tabs on one session. Results stay on attributes (``.last_token``, ``.last_introspection``, ``.df`` …) for the next
cell.
"""

from telnyx_nb.widgets.authorize import AuthorizePanel
from telnyx_nb.widgets.clients import ClientsPanel
from telnyx_nb.widgets.discovery import DiscoveryPanel
from telnyx_nb.widgets.explorer import Explorer
from telnyx_nb.widgets.grants import GrantsPanel
from telnyx_nb.widgets.introspection import IntrospectionPanel
from telnyx_nb.widgets.jwks import JWKSPanel
from telnyx_nb.widgets.token import TokenPanel

__all__ = [
    "TokenPanel",
    "IntrospectionPanel",
    "JWKSPanel",
    "AuthorizePanel",
    "ClientsPanel",
    "GrantsPanel",
    "DiscoveryPanel",
    "Explorer",
]
