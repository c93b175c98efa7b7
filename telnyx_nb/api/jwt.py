"""Decode and verify JWT access tokens (RFC 7519, RFC 9068) with joserfc.

``decode_unverified`` is for display only (what does this token claim?). ``KeyCache`` holds the server's public
keys by ``kid`` and fetches the JWKS again once when a token names a kid it has not seen (key rotation).
``verify`` checks, in order, the structure, the signature (RFC 7515 §5.2) and the claims: ``exp`` and ``nbf``
(RFC 7519 §4.1.4–4.1.5), ``iss`` (§4.1.1) and ``aud`` (§4.1.3); a failure raises
:class:`~telnyx_nb.errors.JWTVerificationError` whose ``.reason`` says which check failed.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from joserfc import jws
from joserfc import jwt as jose_jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import Key, KeySet

from telnyx_nb.api.records import JWKS, VerifiedJWT
from telnyx_nb.errors import JWTVerificationError

__all__ = ["decode_unverified", "verify", "KeyCache", "ASYMMETRIC_ALGORITHMS"]

# Access tokens are signed by the server's private key; an HMAC or "none" alg must never verify against a JWKS.
ASYMMETRIC_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a compact JWS **without checking anything** — for display, never for trust."""
    try:
        compact = jws.extract_compact(_as_bytes(token))
        claims = json.loads(compact.payload)
    except (JoseError, ValueError, TypeError) as exc:
        raise JWTVerificationError("malformed", f"not a compact JWT ({type(exc).__name__})") from exc
    if not isinstance(claims, dict):
        raise JWTVerificationError("malformed", "JWT payload is not a JSON object (RFC 7519 §7.2 step 10)")
    return dict(compact.headers()), claims


def _as_bytes(token: Any) -> bytes:
    if isinstance(token, bytes):
        return token
    if not isinstance(token, str):
        raise TypeError("token must be a str")
    return token.strip().encode("ascii")


class KeyCache:
    """Public keys by kid, filled from ``fetch_jwks()`` and refetched at most once per unknown kid lookup."""

    def __init__(self, fetch_jwks: Callable[[], JWKS]) -> None:
        self._fetch = fetch_jwks
        self._keys: dict[str | None, Key] = {}
        self._lock = threading.Lock()
        self.fetch_count = 0

    def load(self, jwks: JWKS) -> None:
        keyset = KeySet.import_key_set({"keys": [dict(k.raw) for k in jwks.keys]})
        with self._lock:
            self._keys = {k.kid: k for k in keyset.keys}

    def refresh(self) -> None:
        jwks = self._fetch()
        self.fetch_count += 1
        self.load(jwks)

    def get(self, kid: str | None) -> Key:
        """The key for ``kid``; on a miss the JWKS is fetched again once (rotation), then ``unknown_kid``."""
        if kid in self._keys:
            return self._keys[kid]
        self.refresh()
        if kid in self._keys:
            return self._keys[kid]
        if kid is None and len(self._keys) == 1:  # a single-key set may omit kid (RFC 7517 §4.5)
            return next(iter(self._keys.values()))
        raise JWTVerificationError(
            "unknown_kid", f"no key with kid {kid!r} in the server's JWKS (known: {sorted(map(str, self._keys))})"
        )


def verify(
    token: str,
    keys: KeyCache,
    *,
    issuer: str | None = None,
    audience: str | list[str] | None = None,
    leeway: int = 0,
    now: int | None = None,
) -> VerifiedJWT:
    """Verify ``token``'s signature against ``keys`` and its claims; return the verified header and claims.

    ``issuer``/``audience`` are checked when given (an audience list accepts any of its members).
    """
    header, _claims = decode_unverified(token)
    alg = header.get("alg")
    if alg not in ASYMMETRIC_ALGORITHMS:
        raise JWTVerificationError(
            "bad_signature", f"alg {alg!r} is not an allowed asymmetric signature algorithm {ASYMMETRIC_ALGORITHMS}"
        )
    key = keys.get(header.get("kid"))
    try:
        verified = jose_jwt.decode(_as_bytes(token), key, algorithms=[alg])
    except BadSignatureError as exc:
        raise JWTVerificationError("bad_signature", "signature does not verify with the server's key") from exc
    except JoseError as exc:
        raise JWTVerificationError("bad_signature", f"cannot verify: {exc.error or type(exc).__name__}") from exc
    claims = dict(verified.claims)

    options: dict[str, Any] = {"exp": {"essential": True}}
    if issuer is not None:
        options["iss"] = {"essential": True, "value": issuer}
    if audience is not None:
        options["aud"] = (
            {"essential": True, "values": list(audience)}
            if isinstance(audience, (list, tuple))
            else {"essential": True, "value": audience}
        )
    registry = jose_jwt.JWTClaimsRegistry(now=now, leeway=leeway, **options)
    try:
        registry.validate(claims)
    except ExpiredTokenError as exc:
        raise JWTVerificationError("expired", f"token expired at exp={claims.get('exp')} (RFC 7519 §4.1.4)") from exc
    except MissingClaimError as exc:
        raise JWTVerificationError("malformed", f"missing required claim(s): {exc.claim}") from exc
    except ClaimError as exc:
        claim = exc.claim
        if claim in ("nbf", "iat") and "NumericDate" not in str(exc.description):
            raise JWTVerificationError(
                "not_yet_valid", f"token not valid yet ({claim}={claims.get(claim)}, RFC 7519 §4.1.5)"
            ) from exc
        if claim == "iss":
            raise JWTVerificationError(
                "wrong_issuer", f"iss {claims.get('iss')!r} is not the expected issuer {issuer!r} (RFC 7519 §4.1.1)"
            ) from exc
        if claim == "aud":
            raise JWTVerificationError(
                "wrong_audience",
                f"aud {claims.get('aud')!r} does not include the expected audience {audience!r} (RFC 7519 §4.1.3)",
            ) from exc
        raise JWTVerificationError("malformed", f"invalid claim {claim!r}: {exc.description}") from exc
    return VerifiedJWT(token=token, header=dict(verified.header), claims=claims)

