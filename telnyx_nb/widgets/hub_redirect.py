"""The proxied redirect URI of a sign-in on a JupyterHub (Binder), registered on a sandbox's client.

Behind jupyter-server-proxy the Authorize panel's listener is reached at
``https://<hub>/user/<name>/proxy/<port>/callback``; the authorization server matches redirect URIs exactly
(RFC 6749 §3.1.2.3), and that address changes with every Binder launch, so no client can have it registered in
advance. Against a real Telnyx account the user registers it (the panel shows it). Against the sandbox — the user's
own throwaway server, whose API key the session holds — the panel registers it on the client itself through the
management API (``GET`` then ``PUT /oauth_clients/{id}`` with the URI added) and says so. Only a session declared a
sandbox (``TelnyxOAuth.is_sandbox``: ``connect()``'s sandbox, ``TELNYX_NB_SANDBOX``) ever gets this write.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from telnyx_nb.api.client import TelnyxOAuth

__all__ = ["REGISTER_HINT", "register_on_sandbox", "registration_note"]

REGISTER_HINT = ("On a sandbox the panel registers the hub's callback address on the client with the session's API "
                 "key (PUT /oauth_clients/{id}); elsewhere the client must have it registered.")


def register_on_sandbox(client: TelnyxOAuth, client_id: str, redirect_uri: str) -> str | None:
    """Add ``redirect_uri`` to the client's redirect URIs when the session talks to a sandbox; returns it when
    this call added it, None when it was registered already or the session is not a sandbox's."""
    if not client.is_sandbox:
        return None
    registered = list(client.get_client(client_id).redirect_uris or ())
    if redirect_uri in registered:
        return None
    client.update_client(client_id, redirect_uris=[*registered, redirect_uri])
    return redirect_uri


def registration_note(registered: str | None, client_id: str, *, pending: bool = False) -> str:
    """The panel's sentence saying what it registered and where, or (``pending``: a sandbox session waiting for
    the start page) that it will; what a real account needs instead. HTML, '' when there is nothing to say."""
    if registered:
        return (f" The panel registered <code>{html.escape(registered)}</code> as a redirect URI of "
                f"<code>{html.escape(client_id)}</code> on the sandbox (PUT /oauth_clients/{{id}}, with the "
                "sandbox's API key), because this hub address changes with every launch; on a real Telnyx account "
                "register it on your client yourself.")
    if pending:
        return (" On this sandbox the panel registers that address on the client for you once the start page has "
                "found it.")
    return ""
