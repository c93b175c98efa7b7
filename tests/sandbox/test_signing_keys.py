"""The sandbox's signing key ring, without a server: its direct RS256 signer makes exactly the JWS joserfc makes
(what the wire shows must not change), and its remembered verification answers stay right."""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from telnyx_nb.sandbox.protocol.keys import KeyRing, new_private_jwk


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


# ----- the key itself, the published set, and keeping it in the store ------------------------------------------

def test_a_new_key_is_a_private_2048_bit_rs256_signing_key_named_by_its_thumbprint():
    import base64

    jwk = new_private_jwk()
    assert (jwk["kty"], jwk["alg"], jwk["use"]) == ("RSA", "RS256", "sig")
    assert "d" in jwk and len(base64.urlsafe_b64decode(jwk["n"] + "==")) == 256
    assert jwk["kid"] == RSAKey.import_key(jwk).thumbprint()


def test_the_published_key_set_is_the_public_half_only():
    ring = KeyRing(RSAKey.import_key(new_private_jwk()))  # built here: what __init__ publishes is the point
    [published] = ring.jwks["keys"]
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(published)
    assert published == ring.key.as_dict(private=False)


@pytest.mark.parametrize("header", [{"alg": "RS256", "kid": "k"}, {"alg": "RS256", "kid": "clé ☎"}])
def test_the_direct_signer_matches_joserfc_without_a_typ_and_with_non_ascii_header_values(ring, header):
    """joserfc's default ``typ`` is JWT, and its header is ASCII-escaped JSON."""
    assert ring.sign(dict(header), {"a": 1}) == jwt.encode(dict(header), {"a": 1}, ring.key)


class _Settings:
    """The two store calls the key ring makes; ``race`` stands for another process saving its key first."""

    def __init__(self, stored=None, race=None):
        self.values = {} if stored is None else {"signing_key": stored}
        self.race = race

    def get_setting(self, key):
        return self.values.get(key)

    def set_setting_once(self, key, value):
        if self.race is not None:
            self.values.setdefault(key, self.race)
        return self.values.setdefault(key, value)


def test_a_stored_key_is_loaded_not_replaced(ring):
    import json

    store = _Settings(json.dumps(ring.key.as_dict(private=True)))
    loaded = KeyRing.load_or_create(store)
    assert loaded.kid == ring.kid and loaded.verify(ring.sign({"alg": "RS256", "kid": ring.kid}, {"a": 1}))


def test_a_shared_ring_is_saved_whole_and_can_sign_after_a_reload(ring):
    store = _Settings()
    assert KeyRing.load_or_create(store, ring) is ring
    reloaded = KeyRing.load_or_create(store)
    assert reloaded.kid == ring.kid
    assert reloaded.verify(reloaded.sign({"alg": "RS256", "kid": reloaded.kid}, {"a": 1})) == {"a": 1}


def test_when_another_process_saved_its_key_first_that_key_is_used(ring):
    import json

    winner = new_private_jwk()
    store = _Settings(race=json.dumps(winner))
    loaded = KeyRing.load_or_create(store, ring)
    assert loaded is not ring and loaded.kid == winner["kid"]
