"""Dynamic client registration (RFC 7591) at ``POST /v2/oauth/register``: open to anyone, as Telnyx publishes it.

The body is checked by the sandbox's own rules first (``policy.validation``: the metadata; ``policy.registration``:
what open registration may ask for), then by Authlib's; errors are RFC 7591 §3.2.2 ``invalid_client_metadata`` /
``invalid_redirect_uri``.
"""

from __future__ import annotations

import re
import secrets
import uuid

from authlib.oauth2.rfc7591 import ClientMetadataClaims, ClientRegistrationEndpoint
from flask import Blueprint, request

from telnyx_nb.sandbox.http.messages import load_json
from telnyx_nb.sandbox.http.routing import v2_route
from telnyx_nb.sandbox.http.state import sandbox_state
from telnyx_nb.sandbox.http.wire_errors import rfc_error
from telnyx_nb.sandbox.policy.registration import registration_policy_problem
from telnyx_nb.sandbox.policy.validation import registration_problem
from telnyx_nb.sandbox.store.models import json_request

blueprint = Blueprint("registration", __name__)

# The RFC 7591 §2 metadata this server reads. Each refusal of policy.validation and policy.registration names its
# field first ("redirect_uris[1] must be…", "scope 'x' is unknown…"; pinned word for word in tests/sandbox), and
# Telnyx's register error lists the fields to fix in invalid_fields.
METADATA_FIELDS = frozenset({
    "client_name", "client_uri", "logo_uri", "policy_uri", "tos_uri", "scope", "token_endpoint_auth_method",
    "jwks_uri", "software_id", "software_version", "redirect_uris", "grant_types", "response_types", "contacts"})


def invalid_fields(description: str) -> list[str]:
    """The field a refusal is about, as Telnyx's ``invalid_fields`` (a one-item list), or none it names."""
    first = re.match(r"[a-z_]+", description)
    return [first.group()] if first and first.group() in METADATA_FIELDS else []


class _RegistrationClaims(ClientMetadataClaims):
    """Authlib's metadata checks, less its redirect-URI test: that one wants a host, so it refuses a native
    app's private-use scheme (``com.example.app:/callback``, RFC 8252 §7.1) that the management API accepts.
    The sandbox has checked every redirect URI by its own rules (``policy.validation``, ``policy.redirects``)
    before this."""

    def validate_redirect_uris(self):
        return None


class SandboxRegistration(ClientRegistrationEndpoint):
    """RFC 7591 open registration: anyone may register; the client starts unverified, holds registrable scopes
    only and owns no account (``policy.registration``, ``policy.access``)."""

    def __init__(self, server=None, claims_classes=None):
        super().__init__(server, claims_classes or [_RegistrationClaims])

    def authenticate_token(self, request):
        return True  # open registration (RFC 7591 §3)

    def get_server_metadata(self):
        return self.server.metadata()

    def generate_client_id(self, request):
        return str(uuid.uuid4())

    def generate_client_secret(self, request):
        if request.payload.data.get("token_endpoint_auth_method") == "none":
            return None  # public clients get no secret (RFC 7591 §3.2.1)
        return secrets.token_urlsafe(36)

    def save_client(self, client_info, client_metadata, request):
        method = client_metadata.get("token_endpoint_auth_method", "client_secret_basic")
        public = method == "none"
        record = {
            "client_id": client_info["client_id"],
            "name": client_metadata.get("client_name") or "Unnamed client",
            "client_type": "public" if public else "confidential",
            "org_id": self.server.config.org_id, "user_id": self.server.config.user_id,
            "require_pkce": public, "verified": False,
            "allowed_grant_types": client_metadata.get("grant_types") or ["authorization_code"],
            "allowed_scopes": (client_metadata["scope"].split() if client_metadata.get("scope")
                               else list(self.server.config.registrable_scopes)),
            "redirect_uris": client_metadata.get("redirect_uris") or [],
            "logo_uri": client_metadata.get("logo_uri"), "policy_uri": client_metadata.get("policy_uri"),
            "tos_uri": client_metadata.get("tos_uri"), "secret": client_info.get("client_secret"),
            "self_registered": True,
        }
        self.server.store.insert_clients([record])
        return record

    def generate_client_registration_info(self, client, request):
        """Echo the values the server chose (RFC 7591 section 3.2.1: the response holds all registered metadata)."""
        grant_types = client["allowed_grant_types"]
        return {"client_name": client["name"], "grant_types": grant_types,
                "response_types": ["code"] if "authorization_code" in grant_types else [],
                "scope": " ".join(client["allowed_scopes"]), "redirect_uris": client["redirect_uris"],
                "token_endpoint_auth_method": "none" if client["client_type"] == "public"
                else request.payload.data.get("token_endpoint_auth_method", "client_secret_basic")}

    def create_registration_response(self, request):
        status, body, headers = super().create_registration_response(request)
        if "client_id_issued_at" in body:  # Authlib reads time.time(); the sandbox clock is the one that counts
            body["client_id_issued_at"] = self.server.store.clock.seconds()
        if body.get("client_secret") is None:  # never "client_secret": null (strict clients reject it)
            body.pop("client_secret", None)
            body.pop("client_secret_expires_at", None)
        body.setdefault("token_endpoint_auth_method", "client_secret_basic")
        return status, body, headers


@v2_route(blueprint, "/oauth/register", ["POST"])
def register():
    if not request.is_json:
        return rfc_error(400, "invalid_request", "Content-Type must be application/json (RFC 7591 section 3.1).")
    try:
        body = load_json(request.get_data(cache=True) or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        return rfc_error(400, "invalid_request", f"The body is not valid JSON: {exc}.")
    if not isinstance(body, dict):
        return rfc_error(400, "invalid_client_metadata", "The body must be a JSON object of client metadata.")
    body = {k: v for k, v in body.items() if v is not None}
    server = sandbox_state().oauth
    problem = (registration_problem(body, server.config.scopes)
               or registration_policy_problem(body, server.config.registrable_scopes))
    if problem:
        error, description = problem
        fields = invalid_fields(description)
        return rfc_error(400, error, description, **({"invalid_fields": fields} if fields else {}))
    body.setdefault("client_name", "Unnamed client")
    return server.create_endpoint_response(
        "client_registration", json_request(request.method, request.url, request.headers, body))
