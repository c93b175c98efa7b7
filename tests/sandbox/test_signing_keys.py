"""The sandbox's signing key ring, without a server: its direct RS256 signer makes exactly the JWS joserfc makes
(what the wire shows must not change), and its remembered verification answers stay right."""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from telnyx_nb.sandbox.keys import KeyRing, new_private_jwk


@pytest.fixture(scope="module")
def ring():
    return KeyRing(RSAKey.import_key(new_private_jwk()))


@pytest.mark.parametrize("claims", [
    {"iss": "http://127.0.0.1:8765", "sub": "client", "aud": "http://127.0.0.1:8765/v2", "exp": 2, "iat": 1,
     "jti": "j", "scope": "messaging voice", "client_id": "client"},
    {"sub": "Émile ☎", "grant_id": "g", "nested": {"list": [1, 2.5, None, True]}},  # non-ASCII stays UTF-8
])
def test_the_direct_signer_makes_joserfcs_jws_byte_for_byte(ring, claims):
    header = {"alg": "RS256", "typ": "at+jwt", "kid": ring.kid}
    assert ring.sign(header, dict(claims)) == jwt.encode(header, dict(claims), ring.key)
    decoded = jwt.decode(ring.sign(header, claims), ring.key)
    assert decoded.header == {"typ": "at+jwt", "alg": "RS256", "kid": ring.kid} and decoded.claims == claims


def test_verification_answers_are_remembered_as_copies(ring):
    token = ring.sign({"alg": "RS256", "kid": ring.kid}, {"sub": "a"})
    first = ring.verify(token)
    first["sub"] = "changed by the caller"
    assert ring.verify(token) == {"sub": "a"}


def test_a_tampered_token_or_another_rings_token_is_refused_every_time(ring):
    token = ring.sign({"alg": "RS256", "kid": ring.kid}, {"sub": "a"})
    head, body, signature = token.split(".")
    forged = ".".join((head, jwt.encode({"alg": "RS256"}, {"sub": "admin"}, ring.key).split(".")[1], signature))
    other = KeyRing(RSAKey.import_key(new_private_jwk()))
    foreign = other.sign({"alg": "RS256", "kid": other.kid}, {"sub": "a"})
    wrong_kid = ring.sign({"alg": "RS256", "kid": "not-this-key"}, {"sub": "a"})
    for bad in (forged, foreign, wrong_kid, "not.a.jwt", token + "x"):
        assert ring.verify(bad) is None
        assert ring.verify(bad) is None  # the remembered answer is the same refusal
    assert ring.verify(token) == {"sub": "a"}
