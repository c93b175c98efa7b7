"""Token revocation (RFC 7009) at ``POST /v2/oauth/revoke``: the client authenticates itself (RFC 6749 §2.3) and
names a token; what is revoked is decided by the token's kind (below)."""

from __future__ import annotations

from authlib.oauth2.rfc7009 import RevocationEndpoint
from flask import Blueprint

from telnyx_nb.sandbox.http.routing import v2_route
from telnyx_nb.sandbox.http.state import sandbox_state
from telnyx_nb.sandbox.protocol.rfc_requests import require, rfc_request
from telnyx_nb.sandbox.protocol.token_lookup import TokenLookup

blueprint = Blueprint("revocation", __name__)


class SandboxRevocation(TokenLookup, RevocationEndpoint):
    """RFC 7009: revoking a refresh token ends its whole family, every access token issued from the same
    authorization (§2.1); revoking an access token ends that token. Another client's token is answered exactly as
    an unknown one (200, nothing changes): the endpoint is no oracle for which tokens exist."""

    def authenticate_token(self, request, client):
        self.check_params(request, client)
        token = self.query_token(request.form["token"], request.form.get("token_type_hint"))
        return token if token is not None and token.check_client(client) else None

    def revoke_token(self, token, request):
        if token.kind == "refresh_token":
            self.server.store.revoke_family(token.row["family"], token.row["jti"], "refresh token revoked")
        else:
            self.server.store.revoke_token(token.row["jti"])


@v2_route(blueprint, "/oauth/revoke", ["POST"])
def revoke():
    oauth_request = rfc_request()
    require(oauth_request, "token", "token is required (RFC 7009 section 2.1).")
    return sandbox_state().oauth.create_endpoint_response("revocation", oauth_request)
