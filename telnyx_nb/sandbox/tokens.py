"""RFC 9068 JWT access tokens signed with the sandbox key, and opaque refresh tokens.

The generator gets the pre-built joserfc ``KeySet`` (rebuilding keys per token is far costlier than signing) and
an explicit lifetime (Authlib's default is ten days).
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid

from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator

from .policy import ACCESS_TOKEN_LIFETIME


class SandboxTokenGenerator(JWTBearerTokenGenerator):
    """RFC 9068 JWT access tokens signed with the sandbox key; opaque refresh tokens."""

    def __init__(self, issuer: str, audience: str, keyring, lifetime: int = ACCESS_TOKEN_LIFETIME):
        super().__init__(issuer, alg="RS256", refresh_token_generator=self._refresh_token,
                         expires_generator=lambda client, grant_type: lifetime)
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
