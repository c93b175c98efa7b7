"""Introspection (RFC 7662), revocation (RFC 7009) and dynamic registration (RFC 7591) over the sandbox store.

Introspection reads the store, never just the signature, so revoked grants, deleted clients and rotated refresh
tokens count (Authlib's JWT introspection checks only the signature).
"""

from __future__ import annotations

import secrets
import uuid

from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7591 import ClientMetadataClaims, ClientRegistrationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from telnyx_nb.sandbox.policy import access
from telnyx_nb.sandbox.policy.terms import AUTH_METHODS


class _TokenLookup:
    CLIENT_AUTH_METHODS = AUTH_METHODS

    def check_params(self, request, client):
        # token_type_hint is only a hint (RFC 7662 section 2.1, RFC 7009 section 2.1): every kind of token is
        # searched whatever it says, so an unknown hint is ignored rather than refused (Authlib answers 401).
        if not request.form.get("token"):
            raise InvalidRequestError("token is required.")

    def query_token(self, token_string, token_type_hint):
        return self.server.find_token(token_string)


class SandboxIntrospection(_TokenLookup, IntrospectionEndpoint):
    """RFC 7662 from the store: expired, revoked, unknown and tampered tokens are ``{"active": false}``."""

    def check_permission(self, token, client, request):
        # RFC 7662 §4: a client learns only about its own tokens (others are {"active": false}); the account
        # owner introspects any token with the API key (a Bearer request, see app.introspect).
        return access.may_introspect(client.client_id, token.row["client_id"], sees_all=False)

    def introspect_token(self, token):
        return self.server.describe_token(token)


class SandboxRevocation(_TokenLookup, RevocationEndpoint):
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


class _RegistrationClaims(ClientMetadataClaims):
    """Authlib's metadata checks, less its redirect-URI test: that one wants a host, so it refuses a native
    app's private-use scheme (``com.example.app:/callback``, RFC 8252 §7.1) that the management API accepts.
    The sandbox has checked every redirect URI by its own rules (``validation``, ``redirects``) before this."""

    def validate_redirect_uris(self):
        return None


class SandboxRegistration(ClientRegistrationEndpoint):
    """RFC 7591 open registration: anyone may register; the client starts unverified, holds registrable scopes
    only and owns no account (``registration_policy``, ``access``)."""

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
