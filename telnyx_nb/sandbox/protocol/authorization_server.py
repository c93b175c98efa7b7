"""Authlib wiring: one authorization server with the sandbox's grants, endpoints, token generator and store.

The parts, one job each: ``store.models`` (what Authlib is handed), ``grant_types`` (RFC 6749 grants and RFC 7636
PKCE), ``introspection`` / ``revocation`` / ``registration`` (RFC 7662, 7009, 7591), ``jwt_access_tokens``
(RFC 9068), ``policy.terms`` (lifetimes and wording).
Pitfalls handled: requests are built from parsed form *or* JSON parameters; ``none``
client authentication only for public clients; ``require_pkce`` enforced at authorize; codes and refresh tokens
claimed atomically; introspection from the store; a pre-built ``KeySet`` and explicit lifetimes; plain HTTP
accepted on purpose (see ``store.models``).
"""

from __future__ import annotations

import logging

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidRequestError, UnsupportedResponseTypeError
from authlib.oauth2.rfc6749.requests import JsonRequest
from flask import Response
from flask import json as flask_json

from telnyx_nb.sandbox.config import SandboxConfig
from telnyx_nb.sandbox.policy.terms import (
    AUTH_METHODS,
    ERROR_DESCRIPTIONS,
    GRANT_TYPES,
    MAX_TOKEN_LENGTH,
    REWORDED_ERRORS,
)
from telnyx_nb.sandbox.protocol.grant_types import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    ClientPKCE,
    RefreshTokenGrant,
)
from telnyx_nb.sandbox.protocol.introspection import SandboxIntrospection
from telnyx_nb.sandbox.protocol.jwt_access_tokens import SandboxTokenGenerator, unverified_claims
from telnyx_nb.sandbox.protocol.registration import SandboxRegistration
from telnyx_nb.sandbox.protocol.revocation import SandboxRevocation
from telnyx_nb.sandbox.protocol.rfc_requests import BASIC_CHALLENGE
from telnyx_nb.sandbox.store.models import SandboxClient, SandboxUser, TokenRecord

# Authlib's DEBUG records print issued tokens and codes ("Issue token %r to %r"): secrets stay out of logs, so
# its loggers never go below INFO, whatever the root level is.
logging.getLogger("authlib").setLevel(logging.INFO)


class SandboxAuthorizationServer(AuthorizationServer):
    """Authlib's Flask authorization server over the sandbox store."""

    def __init__(self, store, keyring, config: SandboxConfig):
        super().__init__()
        self.store = store
        self.keyring = keyring
        self.config = config  # URLs, account ids, lifetimes, scope catalog: shared with the routes
        self.issuer = config.issuer
        self.scopes_supported = list(config.scopes.names)
        self.register_token_generator("default", SandboxTokenGenerator(
            config.issuer, config.base_url, keyring, config.access_token_ttl, clock=store.clock))
        self.register_grant(AuthorizationCodeGrant, [ClientPKCE(required=True)])
        self.register_grant(RefreshTokenGrant)
        self.register_grant(ClientCredentialsGrant)
        self.register_endpoint(SandboxIntrospection)
        self.register_endpoint(SandboxRevocation)
        self.register_endpoint(SandboxRegistration)

    def get_authorization_grant(self, request):
        response_type = request.payload.response_type
        if response_type == "code":
            return super().get_authorization_grant(request)
        # Errors go to the redirect URI only once the client and that URI check out (RFC 6749 section 4.1.2.1).
        client = self.query_client(request.payload.client_id)
        redirect_uri = None
        if client is not None:
            requested = request.payload.redirect_uri
            redirect_uri = (requested if requested and client.check_redirect_uri(requested)
                            else None if requested else client.get_default_redirect_uri())
        if not response_type:
            # A missing parameter is invalid_request, not unsupported_response_type.
            raise InvalidRequestError("response_type is required and must be code.",
                                      state=request.payload.state, redirect_uri=redirect_uri)
        # Authlib's own error quotes the value into error_description, and refuses (ValueError, a 500) any value
        # outside the ASCII that field allows (section 4.1.2.1): the description here never echoes it.
        raise UnsupportedResponseTypeError(response_type, description=ERROR_DESCRIPTIONS["unsupported_response_type"],
                                           state=request.payload.state, redirect_uri=redirect_uri)

    def query_client(self, client_id):
        record = self.store.get_client(client_id) if isinstance(client_id, str) else None
        return SandboxClient(record) if record else None

    def save_token(self, token, request):
        claims = unverified_claims(token["access_token"])
        user = request.user if isinstance(request.user, SandboxUser) else None
        refresh = token.get("refresh_token")
        self.store.save_token(
            jti=claims["jti"], client_id=request.client.client_id, user_id=user.user_id if user else None,
            grant_id=user.grant_id if user else None, scope=token.get("scope") or "", issued_at=claims["iat"],
            expires_at=claims["exp"], refresh_token=refresh,
            refresh_expires_at=claims["iat"] + self.config.refresh_token_ttl if refresh else None,
            family=user.family if user else None)

    def create_oauth2_request(self, request):
        if isinstance(request, OAuth2Request):
            return request
        raise TypeError("build a SandboxRequest from parsed parameters (see web.oauth_params)")

    def create_json_request(self, request):
        if isinstance(request, JsonRequest):
            return request
        raise TypeError("build a JsonRequest with models.json_request")

    def handle_response(self, status_code, payload, headers):
        if isinstance(payload, dict):
            payload = flask_json.dumps(payload)
        return Response(payload, status=status_code, headers=headers, mimetype="application/json")

    def send_signal(self, name, *args, **kwargs):
        pass

    def handle_error_response(self, request, error):
        # Say what to fix, always (RFC 6749 section 5.2 error_description); Authlib's own wording for these
        # errors names its internals (or just echoes the bad value), so ours replaces it.
        if not error.description or error.error in REWORDED_ERRORS:
            error.description = ERROR_DESCRIPTIONS.get(error.error, "The request was refused.")
        # Telnyx publishes 401 for invalid_client (RFC 6749 §5.2 allows it for every client authentication
        # failure). Authlib answers 400 for an unknown client_id sent in the body and 401 for a known one with a
        # wrong secret: that difference would tell anyone which client ids exist.
        if error.error == "invalid_client":
            error.status_code = 401
        response = super().handle_error_response(request, error)
        # Authlib's Basic challenge has no realm, which RFC 7617 §2 requires (RFC 6749 §5.2: the 401 answer to a
        # client that tried HTTP Basic carries the matching challenge).
        if response.headers.get("WWW-Authenticate", "").startswith("Basic "):
            response.headers["WWW-Authenticate"] = BASIC_CHALLENGE
        return response

    # ----- tokens as the store sees them ---------------------------------------------------------------------
    def find_token(self, token_string) -> TokenRecord | None:
        """An access token (verified JWT whose jti is stored) or a refresh token, or None."""
        if not isinstance(token_string, str) or not token_string or len(token_string) > MAX_TOKEN_LENGTH:
            return None  # longer than any token this server issues: no verification, no lookup
        if token_string.count(".") == 2:
            claims = self.keyring.verify(token_string)
            if not claims or "jti" not in claims:
                return None
            row = self.store.token_status(jti=str(claims["jti"]))
            return TokenRecord(row, "access_token", claims, clock=self.store.clock) if row else None
        row = self.store.token_status(refresh_token=token_string)
        if not row or not row["refresh_hash"]:
            return None
        row["scope"] = self.store.family_scope(row["family"]) or row["scope"]  # what it can obtain (RFC 6749 §6)
        return TokenRecord(row, "refresh_token", clock=self.store.clock)

    def describe_token(self, token: TokenRecord) -> dict:
        """The RFC 7662 §2.2 answer for an active token."""
        row = token.row
        body = {"active": True, "scope": row["scope"], "client_id": row["client_id"],
                "token_type": "Bearer" if token.kind == "access_token" else "refresh_token",
                "exp": int(token.expires_at), "iat": int(row["issued_at"]), "iss": self.issuer,
                "aud": self.config.base_url, "sub": row["user_id"] or row["client_id"]}
        if token.kind == "access_token":  # the stored jti is the access token's: an opaque refresh token has none
            body["jti"] = row["jti"]
        if row["grant_id"]:
            body["grant_id"] = row["grant_id"]
        return body

    def introspect(self, token_string) -> dict:
        """Introspection for callers authenticated another way (a Bearer API key or token)."""
        token = self.find_token(token_string)
        if token is None or token.is_expired() or token.is_revoked():
            return {"active": False}
        return self.describe_token(token)

    def active_access_token(self, token_string) -> TokenRecord | None:
        token = self.find_token(token_string)
        if token is None or token.kind != "access_token" or token.is_expired() or token.is_revoked():
            return None
        return token

    def metadata(self) -> dict:
        """RFC 8414 authorization server metadata."""
        base = self.config.base_url
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "introspection_endpoint": f"{base}/oauth/introspect",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "registration_endpoint": f"{base}/oauth/register",
            "jwks_uri": f"{base}/oauth/jwks",
            "scopes_supported": list(self.config.scopes.names),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],  # RFC 8414 §2: omitted would mean query and fragment
            "grant_types_supported": list(GRANT_TYPES),
            "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
            "introspection_endpoint_auth_methods_supported": list(AUTH_METHODS),
            "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
            "code_challenge_methods_supported": ["S256", "plain"],
            "authorization_response_iss_parameter_supported": True,  # RFC 9207 §3
            "service_documentation": f"{base}/openapi.json",
        }
