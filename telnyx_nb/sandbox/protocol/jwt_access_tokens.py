"""RFC 9068 JWT access tokens signed with the sandbox key, and opaque refresh tokens.

The generator gets the pre-built joserfc ``KeySet`` (rebuilding keys per token is far costlier than signing), an
explicit lifetime (Authlib's default is ten days) and the sandbox clock: Authlib's own generator reads
``time.time()``, so ``access_token_generator`` is ours, with the same claims, and ``iat``/``exp`` follow
``sandbox.clock.advance()``.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid

from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator

from telnyx_nb.sandbox.policy.terms import ACCESS_TOKEN_LIFETIME


class SandboxTokenGenerator(JWTBearerTokenGenerator):
    """RFC 9068 JWT access tokens signed with the sandbox key; opaque refresh tokens."""

    def __init__(self, issuer: str, audience: str, keyring, lifetime: int = ACCESS_TOKEN_LIFETIME, *,
                 clock=time.time):
        super().__init__(issuer, alg="RS256", refresh_token_generator=self._refresh_token,
                         expires_generator=lambda client, grant_type: lifetime)
        self.audience = audience
        self.keyring = keyring
        self.lifetime = lifetime
        self.clock = clock

    def access_token_generator(self, client, grant_type, user, scope):
        """RFC 9068 §2.2 claims, as Authlib's generator makes them, with ``iat`` from the sandbox clock."""
        now = int(self.clock())
        claims = {"iss": self.issuer, "exp": now + self.lifetime, "client_id": client.get_client_id(), "iat": now,
                  "jti": self.get_jti(client, grant_type, user, scope), "scope": scope,
                  # §2.2: sub is the resource owner, or the client itself when none is involved
                  "sub": str(user.get_user_id()) if user else client.get_client_id(),
                  "aud": self.get_audiences(client, user, scope)}
        claims.update(self.get_extra_claims(client, grant_type, user, scope))
        header = {"alg": self.alg, "typ": "at+jwt", "kid": self.keyring.kid}  # §2.1; kid finds the JWKS key
        return self.keyring.sign(header, claims)

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
