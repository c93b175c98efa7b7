"""Token introspection (RFC 7662) at ``POST /v2/oauth/introspect``: from the store, so expired, revoked, unknown and
tampered tokens are ``{"active": false}``.

A client authenticates itself (RFC 6749 §2.3) and learns only about its own tokens (RFC 7662 §4); the official SDK
sends its Bearer API key (or an admin token) instead, and the account owner learns about any token.
"""

from __future__ import annotations

from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import Blueprint

from telnyx_nb.sandbox.http.messages import bearer_credential, json_response
from telnyx_nb.sandbox.http.routing import v2_route
from telnyx_nb.sandbox.http.state import sandbox_state
from telnyx_nb.sandbox.policy import access
from telnyx_nb.sandbox.protocol.rfc_requests import require, rfc_request
from telnyx_nb.sandbox.protocol.token_lookup import TokenLookup

blueprint = Blueprint("introspection", __name__)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class SandboxIntrospection(TokenLookup, IntrospectionEndpoint):
    """RFC 7662 from the store: expired, revoked, unknown and tampered tokens are ``{"active": false}``."""

    def check_permission(self, token, client, request):
        # RFC 7662 §4: a client learns only about its own tokens (others are {"active": false}); the account
        # owner introspects any token with the API key (a Bearer request, see introspect below).
        return access.may_introspect(client.client_id, token.row["client_id"], sees_all=False)

    def introspect_token(self, token):
        return self.server.describe_token(token)


@v2_route(blueprint, "/oauth/introspect", ["POST"])
def introspect():
    state = sandbox_state()
    server = state.oauth
    oauth_request = rfc_request()
    # The official SDK authenticates with its Bearer API key (or token) only.
    caller = access.identify(state) if bearer_credential() is not None else None
    require(oauth_request, "token", "token is required (RFC 7662 section 2.1).")
    if caller is None:
        return server.create_endpoint_response("introspection", oauth_request)
    answer = server.introspect(oauth_request.payload.data["token"])
    # an admin sees every token of its own account's clients, none of another account's (store/accounts.py)
    sees_all = caller.is_admin and answer.get("active") and access.owned(
        caller, state.store.get_client(answer["client_id"])) is not None
    if answer.get("active") and not access.may_introspect(caller.client_id, answer["client_id"], sees_all=sees_all):
        answer = {"active": False}  # RFC 7662 section 4: nothing about other clients' tokens
    return json_response(answer, headers=NO_STORE)  # as the client-authenticated answer (Authlib's)
