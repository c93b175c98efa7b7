"""Discovery: the authorization server metadata (RFC 8414), the protected-resource documents (RFC 9728) and the
signing keys as a JWK Set (RFC 7517), so that a client configures itself from one URL and verifies tokens offline.

The metadata document answers at the host root (RFC 8414 §3) and under /v2 (docs/contract.md).
"""

from __future__ import annotations

from flask import Blueprint

from telnyx_nb.sandbox.http.messages import json_response
from telnyx_nb.sandbox.http.routing import v2_route
from telnyx_nb.sandbox.http.state import sandbox_state

blueprint = Blueprint("discovery", __name__)


@v2_route(blueprint, "/.well-known/oauth-authorization-server", ["GET"], root=True)
def authorization_server_metadata():
    return json_response(sandbox_state().oauth.metadata())  # RFC 8414 §3


def protected_resource_document(resource: str) -> dict:
    state = sandbox_state()
    return {  # RFC 9728 §2
        "resource": resource, "authorization_servers": [state.oauth.issuer],
        "resource_name": "Telnyx API (telnyx-nb sandbox)", "scopes_supported": list(state.config.scopes.names),
        "bearer_methods_supported": ["header"],
    }


# RFC 9728 §3.1/§3.3: each document names the resource its URL was derived from. The host root's document is the
# resource at the host root; the API's resource is base_url (http://host/v2), whose document §3.1 puts at
# /.well-known/oauth-protected-resource/v2. /v2/.well-known/oauth-protected-resource is no §3.1 location: it is
# kept for clients that append the suffix to the base URL and names that base URL (docs/contract.md).
@blueprint.route("/.well-known/oauth-protected-resource", methods=["GET"])
def protected_resource_root():
    return json_response(protected_resource_document(sandbox_state().config.root_url))


@blueprint.route("/.well-known/oauth-protected-resource/v2", methods=["GET"])
def protected_resource_v2():
    return json_response(protected_resource_document(sandbox_state().config.base_url))


@blueprint.route("/v2/.well-known/oauth-protected-resource", methods=["GET"])
def protected_resource_under_v2():
    return json_response(protected_resource_document(sandbox_state().config.base_url))


@v2_route(blueprint, "/oauth/jwks", ["GET"])
def jwks():
    return json_response(sandbox_state().oauth.keyring.jwks)  # RFC 7517 §5
