"""The sandbox's signing key: one RS256 key, kept in the store so a file database keeps verifying old tokens.

RS256 because RFC 9068 §2.1 makes it the algorithm every resource server must accept. The ``KeySet`` is built
once and reused: rebuilding it per token costs far more than signing (measured).

Per request the key ring is on the hot path (every token issued, every Bearer call and introspection), so:
``sign`` produces joserfc's compact JWS byte for byte (same JSON separators, header order, base64url) with the
key's ``cryptography`` object directly, skipping joserfc's per-call registry and claim checks (RSASSA-PKCS1-v1_5 is
deterministic, so a test compares the two outputs exactly); ``verify`` remembers the claims of a token that
verified (the key never changes inside one ring, so a signature checked once holds), which a test suite that sends
the same token many times gains most from.

Anyone can send a token, so ``verify`` bounds its work and memory first: a token that is not JWT-shaped (three
base64url segments, at most ``policy.MAX_TOKEN_LENGTH`` characters) is refused before any decoding, a failure is
never remembered (junk would otherwise fill the cache: 361 MiB under the outside review's load), and only the
canonical base64url spelling of a signature verifies, so one signed token has one accepted string.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections import OrderedDict
from threading import Lock

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from telnyx_nb.sandbox.policy.terms import MAX_TOKEN_LENGTH

ALGORITHM = "RS256"
_SETTING = "signing_key"
_VERIFIED_LIMIT = 4096  # remembered verified tokens per ring (least recently used dropped first)
_JWS_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")  # RFC 7515 §7.1 compact, unpadded


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def jwt_shaped(token) -> bool:
    """A compact JWS of at most ``MAX_TOKEN_LENGTH`` characters whose signature is spelled canonically (base64url
    leaves unused low bits in its last character: a second spelling of the same bytes is not the same token)."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or not _JWS_SHAPE.fullmatch(token):
        return False
    signature = token.rsplit(".", 1)[1]
    try:
        raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    except (binascii.Error, ValueError):
        return False
    return _b64(raw).decode("ascii") == signature


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
        self._signer = key.private_key  # the cryptography key object, parsed once
        self._verified: OrderedDict[str, dict] = OrderedDict()
        self._verified_lock = Lock()

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

    def sign(self, header: dict, claims: dict) -> str:
        """A compact RS256 JWS of ``claims``, as ``joserfc.jwt.encode(header, claims, self.key)`` makes it."""
        header = {"typ": "JWT", **header}  # joserfc's default typ comes first; the caller's value wins
        head = _b64(json.dumps(header, ensure_ascii=True, separators=(",", ":")).encode("ascii"))
        body = _b64(json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        signing_input = head + b"." + body
        signature = self._signer.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return (signing_input + b"." + _b64(signature)).decode("ascii")

    @property
    def remembered(self) -> int:
        """How many verified tokens the ring remembers (never a failure)."""
        return len(self._verified)

    def verify(self, token: str) -> dict | None:
        """The claims of a JWT this sandbox signed, or None when the signature, header or format is wrong."""
        if not jwt_shaped(token):
            return None
        with self._verified_lock:
            known = self._verified.get(token)
            if known is not None:
                self._verified.move_to_end(token)
                return dict(known)
        claims = self._verify(token)
        if claims is None:
            return None  # never remembered: junk must not fill the cache
        with self._verified_lock:
            self._verified[token] = claims
            if len(self._verified) > _VERIFIED_LIMIT:
                self._verified.popitem(last=False)
        return dict(claims)

    def _verify(self, token: str) -> dict | None:
        try:
            decoded = jwt.decode(token, self._public, algorithms=[ALGORITHM])
        except (JoseError, ValueError, TypeError):
            return None
        if decoded.header.get("kid") != self.kid:
            return None
        return decoded.claims
