"""Authlib wiring: the authorization server, its grants, PKCE, JWT access tokens, introspection, revocation and
registration, all backed by ``store.Store``.

The Authlib pitfalls this module handles (DESIGN.md field notes):
- Authlib's Flask request reads form data only, so every request is built here from already-parsed parameters
  (form or JSON, see ``app.oauth_params``) as a ``SandboxRequest``.
- Grants accept only HTTP Basic by default: each grant lists Basic, body credentials and ``none``; ``none`` is
  honoured for public clients only (``SandboxClient.check_endpoint_auth_method``), since Authlib's ``none`` takes
  any client_id without a secret.
- ``CodeChallenge(required=True)`` covers ``none`` clients at the token endpoint only: ``ClientPKCE`` also enforces
  a client's ``require_pkce`` (and public clients) at the authorization endpoint (RFC 7636 §4.4.1, RFC 9700 §2.1.1).
- Codes and refresh tokens are looked up without side effects and then claimed atomically just before tokens are
  generated, so a failed request changes nothing and exactly one of several racing redemptions wins.
- Introspection reads the store, never just the signature, so revocations count.
- The token generator gets a pre-built joserfc ``KeySet`` and an explicit lifetime.
- Plain HTTP is accepted on every host on purpose: the sandbox is a local test server that never carries real
  credentials, so ``SandboxRequest`` skips Authlib's TLS check (which would otherwise escape its error handling as
  a 500 on non-loopback host names). A real authorization server must use TLS (RFC 6749 §3.1).
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import time
import uuid
from dataclasses import dataclass

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    AuthorizationCodeMixin,
    ClientMixin,
    OAuth2Request,
    TokenMixin,
    grants,
)
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError, InvalidScopeError
from authlib.oauth2.rfc6749.requests import JsonPayload, JsonRequest, OAuth2Payload
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from flask import Response
from flask import json as flask_json

from . import scopes as scope_catalog
from .store import check_secret

# Authlib's DEBUG records print issued tokens and codes ("Issue token %r to %r"): secrets stay out of logs, so
# its loggers never go below INFO, whatever the root level is.
logging.getLogger("authlib").setLevel(logging.INFO)

ACCESS_TOKEN_LIFETIME = 3600  # seconds
REFRESH_TOKEN_LIFETIME = 30 * 86400
CODE_LIFETIME = 600  # RFC 6749 §4.1.2 recommends at most 10 minutes
CONSENT_LIFETIME = 600
GRANT_TYPES = ["authorization_code", "client_credentials", "refresh_token"]
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
REWORDED_ERRORS = ("invalid_client", "invalid_scope", "unsupported_response_type")
ERROR_DESCRIPTIONS = {
    "unsupported_grant_type": "grant_type must be one of: authorization_code, client_credentials, refresh_token.",
    "invalid_client": "Client authentication failed: send client_id and client_secret by HTTP Basic or in the "
                      "body, or client_id alone for a public client.",
    "invalid_grant": "The code or refresh token is invalid, expired, revoked or was issued to another client.",
    "invalid_scope": "The requested scope is not allowed for this client: ask only for scopes in the "
                     "client's allowed_scopes (space separated).",
    "unsupported_response_type": "response_type must be code (the only flow this server supports).",
    "invalid_request": "The request is missing a required parameter or has an invalid one.",
    "unsupported_token_type": "token_type_hint must be access_token or refresh_token.",
    "unauthorized_client": "This client is not allowed to use this grant type.",
    "access_denied": "The request was denied.",
    "invalid_client_metadata": "The client metadata is invalid.",
}


# ----- models Authlib asks for ----------------------------------------------------------------------------------
class SandboxClient(ClientMixin):
    """A stored client as Authlib sees it."""

    def __init__(self, record: dict):
        self.record = record
        self.client_id = record["client_id"]
        self.is_public = record["client_type"] == "public"

    def __repr__(self) -> str:
        return f"SandboxClient({self.client_id!r})"

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        uris = self.record["redirect_uris"]
        # RFC 6749 §3.1.2.3: with several registered URIs the request must name one.
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope):
        allowed = self.record["allowed_scopes"]
        if not scope:
            return " ".join(allowed)
        requested = scope.split()
        if any(s not in allowed for s in requested):
            return None  # Authlib answers invalid_scope (RFC 6749 §5.2)
        return " ".join(dict.fromkeys(requested))

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.record["redirect_uris"]  # exact match, RFC 6749 §3.1.2.3

    def check_client_secret(self, client_secret):
        return not self.is_public and check_secret(self.record.get("secret_hash"), client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        if method == "none":
            return self.is_public
        return not self.is_public and method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code" and "authorization_code" in self.record["allowed_grant_types"]

    def check_grant_type(self, grant_type):
        if grant_type == "client_credentials" and self.is_public:
            return False  # RFC 6749 §4.4: only confidential clients may use client credentials
        return grant_type in self.record["allowed_grant_types"]


@dataclass
class SandboxUser:
    """The resource owner behind a code or refresh token, with the grant and code family it came from."""

    user_id: str
    grant_id: str | None = None
    family: str | None = None

    def get_user_id(self):
        return self.user_id


class CodeRecord(AuthorizationCodeMixin):
    def __init__(self, row: dict):
        self.row = row
        self.code_challenge = row["code_challenge"]
        self.code_challenge_method = row["code_challenge_method"]

    def get_redirect_uri(self):
        return self.row["redirect_uri"]

    def get_scope(self):
        return self.row["scope"]


class TokenRecord(TokenMixin):
    """An access or refresh token as found in the store (``kind`` says which)."""

    def __init__(self, row: dict, kind: str, claims: dict | None = None):
        self.row = row
        self.kind = kind
        self.claims = claims or {}

    def check_client(self, client):
        return self.row["client_id"] == client.get_client_id()

    def get_scope(self):
        return self.row["scope"]

    def get_expires_in(self):
        return max(0, self.expires_at - int(time.time()))

    @property
    def expires_at(self) -> int:
        return self.row["refresh_expires_at"] if self.kind == "refresh_token" else self.row["expires_at"]

    def is_expired(self):
        return self.expires_at <= int(time.time())

    def is_revoked(self):
        return not self.row["live"] or (self.kind == "refresh_token" and bool(self.row["refresh_used"]))


# ----- requests built from parsed parameters --------------------------------------------------------------------
class _Payload(OAuth2Payload):
    def __init__(self, data: dict, datalist: dict | None = None):
        self._data = data
        self._datalist = datalist or {k: [v] for k, v in data.items()}

    @property
    def data(self):
        return self._data

    @property
    def datalist(self):
        return self._datalist


class SandboxRequest(OAuth2Request):
    """An OAuth2Request over already-parsed parameters (query for authorize; form or JSON body otherwise)."""

    def __init__(self, method: str, uri: str, headers, data: dict, datalist: dict | None = None):
        # Deliberately not calling OAuth2Request.__init__: it refuses plain HTTP on non-loopback hosts, which a
        # local test server accepts on purpose (see the module docstring). The attributes below mirror it.
        self.method = method
        self.uri = uri
        self.headers = headers
        self._body = None
        self.payload = _Payload(data, datalist)
        self.client = None
        self.auth_method = None
        self.user = None
        self.authorization_code = None
        self.refresh_token = None
        self.credential = None
        self._scope = None

    @property
    def args(self):
        return self.payload.data

    @property
    def form(self):
        return self.payload.data


class _JsonPayload(JsonPayload):
    def __init__(self, data: dict):
        self._data = data

    @property
    def data(self):
        return self._data


def json_request(method, uri, headers, data: dict) -> JsonRequest:
    request = JsonRequest(method, uri, headers)
    request.payload = _JsonPayload(data)
    return request


# ----- token generation ------------------------------------------------------------------------------------------
class SandboxTokenGenerator(JWTBearerTokenGenerator):
    """RFC 9068 JWT access tokens signed with the sandbox key; opaque refresh tokens."""

    def __init__(self, issuer: str, audience: str, keyring):
        super().__init__(issuer, alg="RS256", refresh_token_generator=self._refresh_token,
                         expires_generator=lambda client, grant_type: ACCESS_TOKEN_LIFETIME)
        self.audience = audience
        self.keyring = keyring

    @staticmethod
    def _refresh_token(**_kwargs):
        return secrets.token_urlsafe(48)

    def get_jwks(self):
        return self.keyring.private_set

    def get_audiences(self, client, user, scope):
        return self.audience  # one string: the protected resource (RFC 9068 §2.2)

    def get_jti(self, client, grant_type, user, scope):
        return str(uuid.uuid4())

    def get_extra_claims(self, client, grant_type, user, scope):
        return {"grant_id": user.grant_id} if user is not None and user.grant_id else {}


def unverified_claims(jwt_text: str) -> dict:
    """The payload of a JWT this process just signed (no verification needed: we made it)."""
    payload = jwt_text.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


# ----- grants -----------------------------------------------------------------------------------------------------
class _StoreMixin:
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    @property
    def store(self):
        return self.server.store


class ClientPKCE(CodeChallenge):
    """RFC 7636 with the client's ``require_pkce`` (and every public client) enforced at the authorize step."""

    def validate_code_challenge(self, grant, redirect_uri):
        client = grant.request.client
        if not grant.request.payload.data.get("code_challenge") and (client.is_public
                                                                    or client.record["require_pkce"]):
            raise InvalidRequestError("This client requires PKCE: send 'code_challenge' and "
                                      "'code_challenge_method=S256' (RFC 7636 section 4.4.1).")
        return super().validate_code_challenge(grant, redirect_uri)


class AuthorizationCodeGrant(_StoreMixin, grants.AuthorizationCodeGrant):
    def save_authorization_code(self, code, request):
        data = request.payload.data
        self.store.save_code(
            code, client_id=request.client.client_id, user_id=request.user.user_id,
            grant_id=request.user.grant_id, redirect_uri=data.get("redirect_uri"), scope=request.scope or "",
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method") if data.get("code_challenge") else None,
            lifetime=CODE_LIFETIME)

    def query_authorization_code(self, code, client):
        row = self.store.find_code(code)
        if row is None:
            return None
        if row["used_at"] is not None:
            # RFC 6749 §4.1.2: a code used twice is refused and what it issued is revoked.
            self.store.claim_code(code, client.client_id)
            return None
        if row["client_id"] != client.client_id or row["expires_at"] <= int(time.time()):
            return None
        # Scopes the client lost between consent and redemption are not issued.
        granted = row["scope"].split()
        row["scope"] = " ".join(s for s in granted if s in client.record["allowed_scopes"])
        if granted and not row["scope"]:
            return None
        return CodeRecord(row)

    def authenticate_user(self, authorization_code):
        # The claim: of several racing redemptions exactly one gets here with a row back.
        row = self.store.claim_code(authorization_code.row["code"], self.request.client.client_id)
        if row is None:
            raise InvalidGrantError("The authorization code was already used or has expired.")
        return SandboxUser(row["user_id"], row["grant_id"], family=row["code_hash"])

    def delete_authorization_code(self, authorization_code):
        pass  # claimed in authenticate_user; kept (marked used) so a replay can be detected


class RefreshTokenGrant(_StoreMixin, grants.RefreshTokenGrant):
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every refresh returns a new refresh token

    def authenticate_refresh_token(self, refresh_token):
        row = self.store.token_status(refresh_token=refresh_token)
        if row is None:
            return None
        record = TokenRecord(row, "refresh_token")
        if record.is_expired() or record.is_revoked():
            return None
        record.presented = refresh_token
        return record

    def authenticate_user(self, refresh_token):
        row = refresh_token.row
        return SandboxUser(row["user_id"], row["grant_id"], family=row["family"]) if row["user_id"] else None

    def issue_token(self, user, refresh_token):
        client = self.request.client
        requested = (self.request.payload.scope or refresh_token.get_scope() or "").split()
        # Scopes the client has since lost are dropped rather than failing the refresh (RFC 6749 section 6
        # lets the server narrow); checked before the claim so a refused request leaves the token usable.
        scope = " ".join(s for s in requested if s in client.record["allowed_scopes"])
        if requested and not scope:
            raise InvalidScopeError("None of this token's scopes is still allowed for the client.")
        # The claim: exactly one of several racing refreshes with the same token gets a new pair.
        if self.store.claim_refresh(refresh_token.presented, client.client_id) is None:
            raise InvalidGrantError("The refresh token was already used, revoked or has expired.")
        return self.generate_token(user=user, scope=scope or None,
                                   include_refresh_token=self.INCLUDE_NEW_REFRESH_TOKEN)

    def revoke_old_credential(self, refresh_token):
        pass  # already marked used by the claim in issue_token


class ClientCredentialsGrant(_StoreMixin, grants.ClientCredentialsGrant):
    pass


# ----- endpoints --------------------------------------------------------------------------------------------------
class _TokenLookup:
    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string, token_type_hint):
        return self.server.find_token(token_string)


class SandboxIntrospection(_TokenLookup, IntrospectionEndpoint):
    """RFC 7662 from the store: expired, revoked, unknown and tampered tokens are ``{"active": false}``."""

    def check_permission(self, token, client, request):
        # Confidential clients (resource servers) may introspect any token; a public client only its own.
        return not client.is_public or token.check_client(client)

    def introspect_token(self, token):
        return self.server.describe_token(token)


class SandboxRevocation(_TokenLookup, RevocationEndpoint):
    """RFC 7009: revoking a refresh token also revokes the access token issued with it (§2.1)."""

    def revoke_token(self, token, request):
        self.server.store.revoke_token(token.row["jti"])


class SandboxRegistration(ClientRegistrationEndpoint):
    """RFC 7591 open registration: anyone may register; the client starts unverified."""

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
            "org_id": self.server.org_id, "user_id": self.server.user_id,
            "require_pkce": public, "verified": False,
            "allowed_grant_types": client_metadata.get("grant_types") or ["authorization_code"],
            "allowed_scopes": (client_metadata["scope"].split() if client_metadata.get("scope")
                               else [s for s in scope_catalog.SCOPES if s != "admin"]),
            "redirect_uris": client_metadata.get("redirect_uris") or [],
            "logo_uri": client_metadata.get("logo_uri"), "policy_uri": client_metadata.get("policy_uri"),
            "tos_uri": client_metadata.get("tos_uri"), "secret": client_info.get("client_secret"),
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
        if body.get("client_secret") is None:  # never "client_secret": null (strict clients reject it)
            body.pop("client_secret", None)
            body.pop("client_secret_expires_at", None)
        body.setdefault("token_endpoint_auth_method", "client_secret_basic")
        return status, body, headers


# ----- the server -------------------------------------------------------------------------------------------------
class SandboxAuthorizationServer(AuthorizationServer):
    """Authlib's Flask authorization server over the sandbox store."""

    def __init__(self, store, keyring, *, issuer: str, resource: str, base_url: str, org_id: str, user_id: str):
        super().__init__()
        self.store = store
        self.keyring = keyring
        self.issuer = issuer
        self.resource = resource
        self.base_url = base_url
        self.org_id = org_id
        self.user_id = user_id
        self.scopes_supported = scope_catalog.SCOPES
        self.register_token_generator("default", SandboxTokenGenerator(issuer, resource, keyring))
        self.register_grant(AuthorizationCodeGrant, [ClientPKCE(required=True)])
        self.register_grant(RefreshTokenGrant)
        self.register_grant(ClientCredentialsGrant)
        self.register_endpoint(SandboxIntrospection)
        self.register_endpoint(SandboxRevocation)
        self.register_endpoint(SandboxRegistration)

    def get_authorization_grant(self, request):
        if not request.payload.response_type:
            # A missing parameter is invalid_request (RFC 6749 section 4.1.2.1), not unsupported_response_type;
            # it goes to the redirect URI only once the client and that URI check out.
            client = self.query_client(request.payload.client_id)
            redirect_uri = None
            if client is not None:
                requested = request.payload.redirect_uri
                redirect_uri = (requested if requested and client.check_redirect_uri(requested)
                                else None if requested else client.get_default_redirect_uri())
            raise InvalidRequestError("response_type is required and must be code.",
                                      state=request.payload.state, redirect_uri=redirect_uri)
        return super().get_authorization_grant(request)

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
            refresh_expires_at=claims["iat"] + REFRESH_TOKEN_LIFETIME if refresh else None,
            family=user.family if user else None)

    def create_oauth2_request(self, request):
        if isinstance(request, OAuth2Request):
            return request
        raise TypeError("build a SandboxRequest from parsed parameters (see app.oauth_params)")

    def create_json_request(self, request):
        if isinstance(request, JsonRequest):
            return request
        raise TypeError("build a JsonRequest with oauth.json_request")

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
        return super().handle_error_response(request, error)

    # ----- tokens as the store sees them ---------------------------------------------------------------------
    def find_token(self, token_string) -> TokenRecord | None:
        """An access token (verified JWT whose jti is stored) or a refresh token, or None."""
        if not isinstance(token_string, str) or not token_string:
            return None
        if token_string.count(".") == 2:
            claims = self.keyring.verify(token_string)
            if not claims or "jti" not in claims:
                return None
            row = self.store.token_status(jti=str(claims["jti"]))
            return TokenRecord(row, "access_token", claims) if row else None
        row = self.store.token_status(refresh_token=token_string)
        return TokenRecord(row, "refresh_token") if row and row["refresh_hash"] else None

    def describe_token(self, token: TokenRecord) -> dict:
        """The RFC 7662 §2.2 answer for an active token."""
        row = token.row
        body = {"active": True, "scope": row["scope"], "client_id": row["client_id"],
                "token_type": "Bearer" if token.kind == "access_token" else "refresh_token",
                "exp": int(token.expires_at), "iat": int(row["issued_at"]), "iss": self.issuer,
                "aud": self.resource, "sub": row["user_id"] or row["client_id"], "jti": row["jti"]}
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
        base = self.base_url
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "introspection_endpoint": f"{base}/oauth/introspect",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "registration_endpoint": f"{base}/oauth/register",
            "jwks_uri": f"{base}/oauth/jwks",
            "scopes_supported": list(scope_catalog.SCOPES),
            "response_types_supported": ["code"],
            "grant_types_supported": list(GRANT_TYPES),
            "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
            "introspection_endpoint_auth_methods_supported": list(AUTH_METHODS),
            "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
            "code_challenge_methods_supported": ["S256", "plain"],
            "service_documentation": f"{base}/openapi.json",
        }
