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
    def load_or_create(cls, store) -> "KeyRing":
        """Load the key from the store's settings, creating (and saving) it on first use."""
        stored = store.get_setting(_SETTING)
        if stored:
            return cls(RSAKey.import_key(json.loads(stored)))
        key = RSAKey.generate_key(2048, parameters={"alg": ALGORITHM, "use": "sig"}, private=True, auto_kid=True)
        saved = store.set_setting_once(_SETTING, json.dumps(key.as_dict(private=True)))
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
