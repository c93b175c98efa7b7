"""Decode and verify JWT access tokens (RFC 7519, RFC 9068) with joserfc.

``decode_unverified`` is for display only (what does this token claim?). ``KeyCache`` holds the server's public
keys by ``kid`` and fetches the JWKS again when a token names a kid it has not seen (key rotation), at most once
per ``min_refetch_interval`` seconds: a stream of tokens with made-up kids cannot make us hammer the server.
``verify`` checks, in order, the structure, the ``typ`` header (RFC 8725 §3.11, RFC 9068 §4), the signature
(RFC 7515 §5.2) and the claims: ``exp`` and ``nbf`` (RFC 7519 §4.1.4–4.1.5), ``iss`` (§4.1.1) and ``aud``
(§4.1.3, always required: a token minted for another resource must not get in here); a failure raises
:class:`~telnyx_nb.core.errors.JWTVerificationError` whose ``.reason`` says which check failed.

``typ``: RFC 9068 §4 has resource servers accept only ``at+jwt`` (or ``application/at+jwt``; media types compare
case-insensitively, RFC 7515 §4.1.9). Telnyx does not publish its access tokens' ``typ``, so by default a plain
``JWT`` or no ``typ`` is accepted too (an ID token typed ``JWT`` still fails the audience check: its ``aud`` is
a client id, not the API). Any other value names another kind of JOSE object — ``id_token+jwt``, ``logout+jwt``
(OIDC back-channel logout), ``secevent+jwt`` (RFC 8417), ``dpop+jwt`` (RFC 9449), ``JOSE`` — and is refused
(``wrong_type``). ``strict_typ=True`` accepts ``at+jwt`` only, as RFC 9068 §4 asks.
"""

from __future__ import annotations

import json
import threading
import time
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

from telnyx_nb.core.errors import ConfigurationError, JWTVerificationError
from telnyx_nb.core.records import JWKS, VerifiedJWT

__all__ = ["decode_unverified", "verify", "KeyCache", "ASYMMETRIC_ALGORITHMS", "ACCESS_TOKEN_TYPES", "PLAIN_TYPES",
           "REFETCH_INTERVAL"]

# Access tokens are signed by the server's private key; an HMAC or "none" alg must never verify against a JWKS.
ASYMMETRIC_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
ACCESS_TOKEN_TYPES = ("at+jwt", "application/at+jwt")  # RFC 9068 §4 (lower case: compared case-insensitively)
PLAIN_TYPES = ("jwt", "application/jwt", None)  # RFC 7519 §5.1's generic JWT, or no typ: accepted unless strict
REFETCH_INTERVAL = 30.0  # seconds between key-set refetches caused by unknown kids


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
    """Public keys by kid, filled from ``fetch_jwks()`` on first use; an unknown kid fetches the set again only
    when the last fetch is at least ``min_refetch_interval`` seconds old (``clock`` is monotonic seconds)."""

    def __init__(self, fetch_jwks: Callable[[], JWKS], *, min_refetch_interval: float = REFETCH_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch_jwks
        self._keys: dict[str | None, Key] = {}
        self._lock = threading.Lock()
        self._clock = clock
        self._fetched_at: float | None = None
        self.min_refetch_interval = min_refetch_interval
        self.fetch_count = 0

    def load(self, jwks: JWKS) -> None:
        keyset = KeySet.import_key_set({"keys": [dict(k.raw) for k in jwks.keys]})
        with self._lock:
            self._keys = {k.kid: k for k in keyset.keys}

    def refresh(self) -> None:
        jwks = self._fetch()
        self.fetch_count += 1
        self._fetched_at = self._clock()
        self.load(jwks)

    def _wait(self) -> float:
        """Seconds until the key set may be fetched again (0: now)."""
        if self._fetched_at is None:
            return 0.0
        return max(0.0, self._fetched_at + self.min_refetch_interval - self._clock())

    def get(self, kid: str | None) -> Key:
        """The key for ``kid``; on a miss the JWKS is fetched again (rotation) unless it was fetched less than
        ``min_refetch_interval`` seconds ago; then ``unknown_kid``."""
        if kid in self._keys:
            return self._keys[kid]
        with self._lock:
            wait = self._wait()
        if wait <= 0:
            self.refresh()
            if kid in self._keys:
                return self._keys[kid]
        if kid is None and len(self._keys) == 1:  # a single-key set may omit kid (RFC 7517 §4.5)
            return next(iter(self._keys.values()))
        again = f"; the key set is fetched again in {wait:.0f} s at the earliest" if wait > 0 else ""
        raise JWTVerificationError(
            "unknown_kid",
            f"no key with kid {kid!r} in the server's JWKS (known: {sorted(map(str, self._keys))}){again}",
        )


def _check_type(header: dict[str, Any], strict: bool) -> None:
    """RFC 8725 §3.11 explicit typing, RFC 9068 §4: refuse a typ naming another kind of token."""
    typ = header.get("typ")
    allowed = ACCESS_TOKEN_TYPES if strict else ACCESS_TOKEN_TYPES + PLAIN_TYPES
    if (typ.lower() if isinstance(typ, str) else typ) not in allowed:
        shown = "at+jwt" if strict else "at+jwt, JWT or none"
        raise JWTVerificationError(
            "wrong_type", f"typ {typ!r} is not an access token's (RFC 9068 §4; accepted: {shown})"
        )


def _expected_audience(audience: Any) -> dict[str, Any]:
    if isinstance(audience, (list, tuple)) and audience and all(isinstance(a, str) and a for a in audience):
        return {"essential": True, "values": list(audience)}
    if isinstance(audience, str) and audience:
        return {"essential": True, "value": audience}
    raise ConfigurationError(
        f"audience: {audience!r} — pass the resource the token must be for (RFC 7519 §4.1.3), e.g. "
        "'https://api.telnyx.com/v2', or a list of them"
    )


def verify(
    token: str,
    keys: KeyCache,
    *,
    audience: str | list[str] | tuple[str, ...],
    issuer: str | None = None,
    leeway: int = 0,
    now: int | None = None,
    strict_typ: bool = False,
) -> VerifiedJWT:
    """Verify ``token``'s ``typ``, signature against ``keys`` and claims; return the verified header and claims.

    ``audience`` is required (a list accepts any of its members); ``issuer`` is checked when given;
    ``strict_typ`` accepts ``typ: at+jwt`` only (see the module's docstring).
    """
    options: dict[str, Any] = {"exp": {"essential": True}, "aud": _expected_audience(audience)}
    header, _claims = decode_unverified(token)
    _check_type(header, strict_typ)
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

    if issuer is not None:
        options["iss"] = {"essential": True, "value": issuer}
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

