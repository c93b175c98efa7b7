"""What Authlib is handed: clients, users, codes and tokens from the store, and requests built from parameters
the routes have already parsed.

Authlib's Flask request reads form data only, so every OAuth request is built from parsed parameters (form or
JSON, see ``web.oauth_params``) as a ``SandboxRequest``. Plain HTTP is accepted on every host on purpose: the
sandbox is a local test server that never carries real credentials, so ``SandboxRequest`` skips Authlib's TLS
check (which would otherwise escape its error handling as a 500 on non-loopback host names). A real
authorization server must use TLS (RFC 6749 §3.1).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, OAuth2Request, TokenMixin
from authlib.oauth2.rfc6749.requests import JsonPayload, JsonRequest, OAuth2Payload

from telnyx_nb.sandbox.policy.redirects import redirect_uri_matches
from telnyx_nb.sandbox.store.database import check_secret


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
        # exact match (RFC 6749 §3.1.2.3), loopback literals on any port (RFC 8252 §7.3)
        return redirect_uri_matches(self.record["redirect_uris"], redirect_uri)

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

    def __init__(self, row: dict, kind: str, claims: dict | None = None, clock=time.time):
        self.row = row
        self.kind = kind
        self.claims = claims or {}
        self.clock = clock  # the sandbox clock (``clock.Clock``): expiry follows ``clock.advance()``

    def check_client(self, client):
        return self.row["client_id"] == client.get_client_id()

    def get_scope(self):
        return self.row["scope"]

    def get_expires_in(self):
        return max(0, self.expires_at - int(self.clock()))

    @property
    def expires_at(self) -> int:
        return self.row["refresh_expires_at"] if self.kind == "refresh_token" else self.row["expires_at"]

    def is_expired(self):
        return self.expires_at <= int(self.clock())

    def is_revoked(self):
        return not self.row["live"] or (self.kind == "refresh_token" and bool(self.row["refresh_used"]))


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

    def __init__(self, method: str, uri, headers, data: dict, datalist: dict | None = None):
        # Deliberately not calling OAuth2Request.__init__: it refuses plain HTTP on non-loopback hosts, which a
        # local test server accepts on purpose (see the module docstring). The attributes below mirror it.
        # ``uri`` may be a callable: rebuilding a request's URL costs a tenth of a token request, and the
        # token, introspection and revocation endpoints never read it.
        self.method = method
        self._uri = uri
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
    def uri(self) -> str:
        if callable(self._uri):
            self._uri = self._uri()
        return self._uri

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
