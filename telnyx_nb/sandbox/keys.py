"""The sandbox's signing key: one RS256 key, kept in the store so a file database keeps verifying old tokens.

RS256 because RFC 9068 §2.1 makes it the algorithm every resource server must accept. The ``KeySet`` is built
once and reused: rebuilding it per token costs far more than signing (measured).
"""

from __future__ import annotations

import json

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

ALGORITHM = "RS256"
_SETTING = "signing_key"


def new_private_jwk() -> dict:
    """A fresh RS256 signing key as a private JWK (with its RFC 7638 thumbprint as kid)."""
    key = RSAKey.generate_key(2048, parameters={"alg": ALGORITHM, "use": "sig"}, private=True, auto_kid=True)
    return key.as_dict(private=True)


class KeyRing:
    """The private key set (for signing) and its public half (for ``/oauth/jwks``)."""

    def __init__(self, key: RSAKey):
        self.key = key
        self.private_set = KeySet([key])
        self._public = KeySet([RSAKey.import_key(key.as_dict(private=False))])
        self.jwks = self.private_set.as_dict(private=False)

    @property
    def kid(self) -> str:
        return self.key.kid

    def __repr__(self) -> str:  # never show key material
        return f"KeyRing(kid={self.kid!r})"

    @classmethod
    def load_or_create(cls, store, key: dict | KeyRing | None = None) -> KeyRing:
        """Load the key from the store's settings, creating (and saving) it on first use — or saving ``key`` (a
        private JWK, or a ``KeyRing`` to share as it is) instead of generating one: test suites share one key
        across many fresh sandboxes, since making and importing RSA keys is the slow part of a start."""
        stored = store.get_setting(_SETTING)
        if stored:
            return cls(RSAKey.import_key(json.loads(stored)))
        if isinstance(key, KeyRing):
            wanted = json.dumps(key.key.as_dict(private=True))
            return key if store.set_setting_once(_SETTING, wanted) == wanted else cls.load_or_create(store)
        if key is None:
            key = new_private_jwk()
        saved = store.set_setting_once(_SETTING, json.dumps(key))
        return cls(RSAKey.import_key(json.loads(saved)))

    def verify(self, token: str) -> dict | None:
        """The claims of a JWT this sandbox signed, or None when the signature, header or format is wrong."""
        try:
            decoded = jwt.decode(token, self._public, algorithms=[ALGORITHM])
        except (JoseError, ValueError, TypeError):
            return None
        if decoded.header.get("kid") != self.kid:
            return None
        return decoded.claims
