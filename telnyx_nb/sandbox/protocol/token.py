"""The token endpoint (RFC 6749 §3.2) at ``POST /v2/oauth/token``: every grant type of ``grant_types``
(authorization_code with PKCE, client_credentials, refresh_token) through the Authlib server; errors are RFC 6749
§5.2 ``{"error", "error_description"}``."""

from __future__ import annotations

from flask import Blueprint

from telnyx_nb.sandbox.http.routing import v2_route
from telnyx_nb.sandbox.http.state import sandbox_state
from telnyx_nb.sandbox.protocol.rfc_requests import require, rfc_request

blueprint = Blueprint("token", __name__)


@v2_route(blueprint, "/oauth/token", ["POST"])
def token():
    oauth_request = rfc_request()
    require(oauth_request, "grant_type", "grant_type is required: client_credentials, authorization_code or "
                                         "refresh_token.")
    return sandbox_state().oauth.create_token_response(oauth_request)
