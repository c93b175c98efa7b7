"""JWT verification at its edges: every allowed algorithm, the key cache's rotation, the claims that are checked
only when asked for, and the reason and message each refused token gets. Each test pins a line of
``telnyx_nb.api.jwt`` that a one-line change would break (found by ``make mutate MODULES=jwt``).

Tokens are signed here with keys of this file's own, served to the real ``KeyCache`` as a JWKS.
"""

from __future__ import annotations

import time

import pytest
from joserfc import jwt as jose_jwt
from joserfc.jwk import ECKey, OKPKey, RSAKey

from telnyx_nb.api.jwt import (
    ASYMMETRIC_ALGORITHMS,
    KeyCache,
    decode_unverified,
)
from telnyx_nb.api.jwt import verify as _verify
from telnyx_nb.core.errors import JWTVerificationError
from telnyx_nb.core.records import JWKS

ISSUER = "https://issuer.example"
API = "https://api.example/v2"


@pytest.fixture(scope="module")
def rsa():
    return RSAKey.generate_key(2048, parameters={"kid": "rsa"}, private=True)


def cache_for(*keys):
    served = []

    def fetch():
        served.append(1)
        return JWKS.from_json({"keys": [k.as_dict(private=False) for k in keys]})

    return KeyCache(fetch)


def sign(key, alg="RS256", header=None, **claims):
    now = int(time.time())
    body = {"iss": ISSUER, "aud": API, "sub": "user", "iat": now, "exp": now + 600}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return jose_jwt.encode({"alg": alg, "kid": key.kid, **(header or {})}, body, key, algorithms=[alg])


def verify(token, keys, **kwargs):
    """``jwt.verify`` expecting this file's audience unless told otherwise (the audience is always required)."""
    kwargs.setdefault("audience", API)
    return _verify(token, keys, **kwargs)


def refused(token, keys, **kwargs) -> JWTVerificationError:
    with pytest.raises(JWTVerificationError) as info:
        verify(token, keys, **kwargs)
    return info.value


# ------------------------------------------------------------------------------------------- algorithms
@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"])
def test_every_rsa_signature_algorithm_verifies(rsa, alg):
    verified = verify(sign(rsa, alg=alg), cache_for(rsa))
    assert verified.header["alg"] == alg and verified.claims["sub"] == "user"


@pytest.mark.parametrize("alg,curve", [("ES256", "P-256"), ("ES384", "P-384"), ("ES512", "P-521")])
def test_every_ecdsa_signature_algorithm_verifies(alg, curve):
    key = ECKey.generate_key(curve, parameters={"kid": "ec"}, private=True)
    assert verify(sign(key, alg=alg), cache_for(key)).header["alg"] == alg


def test_eddsa_verifies():
    key = OKPKey.generate_key("Ed25519", parameters={"kid": "ed"}, private=True)
    assert verify(sign(key, alg="EdDSA"), cache_for(key)).header["alg"] == "EdDSA"


def test_the_allowed_algorithms_are_exactly_the_asymmetric_ones():
    assert set(ASYMMETRIC_ALGORITHMS) == {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
                                          "ES512", "EdDSA"}


def test_a_refused_algorithm_is_named_in_the_message(rsa):
    _h, payload, _s = sign(rsa).split(".")
    import base64
    import json

    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "kid": "rsa"}).encode()).rstrip(b"=").decode()
    err = refused(f"{header}.{payload}.c2ln", cache_for(rsa))
    assert err.reason == "bad_signature" and "'HS256'" in str(err) and "asymmetric" in str(err)


def test_a_key_of_the_wrong_type_for_the_alg_is_a_bad_signature_not_a_crash(rsa):
    ec = ECKey.generate_key("P-256", parameters={"kid": "rsa"}, private=True)  # same kid as the served RSA key
    err = refused(sign(ec, alg="ES256"), cache_for(rsa))
    assert err.reason == "bad_signature" and str(err) == "cannot verify: invalid_key_type"


def test_a_signature_by_another_key_says_it_does_not_verify(rsa):
    stranger = RSAKey.generate_key(2048, parameters={"kid": "rsa"}, private=True)
    err = refused(sign(stranger), cache_for(rsa))
    assert err.reason == "bad_signature" and str(err) == "signature does not verify with the server's key"


# ----------------------------------------------------------------------------------------------- key cache
def test_a_key_rotated_in_is_found_by_the_one_refetch(rsa):
    new = RSAKey.generate_key(2048, parameters={"kid": "new"}, private=True)
    served = [[rsa], [rsa, new]]
    calls = []

    def fetch():
        calls.append(1)
        return JWKS.from_json({"keys": [k.as_dict(private=False) for k in served[min(len(calls), 2) - 1]]})

    cache = KeyCache(fetch, min_refetch_interval=0)  # test_jwt_defaults.py covers the interval
    assert verify(sign(rsa), cache).kid == "rsa"
    assert cache.fetch_count == 1
    assert verify(sign(new), cache).kid == "new"
    assert cache.fetch_count == 2
    assert verify(sign(new), cache).kid == "new" and cache.fetch_count == 2


def test_an_unknown_kid_names_the_known_ones(rsa):
    other = RSAKey.generate_key(2048, parameters={"kid": "alpha"}, private=True)
    cache = cache_for(rsa, other)
    err = refused(sign(rsa, header={"kid": "zeta"}), cache)
    assert err.reason == "unknown_kid"
    assert "'zeta'" in str(err) and "['alpha', 'rsa']" in str(err)


def test_a_token_without_kid_is_refused_when_the_set_has_several_keys(rsa):
    other = RSAKey.generate_key(2048, parameters={"kid": "alpha"}, private=True)
    token = jose_jwt.encode({"alg": "RS256"}, {"exp": int(time.time()) + 60}, rsa)
    assert refused(token, cache_for(rsa, other)).reason == "unknown_kid"


def test_load_replaces_the_keys_without_counting_a_fetch(rsa):
    cache = cache_for(rsa)
    assert cache.fetch_count == 0  # nothing fetched yet
    cache.load(JWKS.from_json({"keys": [rsa.as_dict(private=False)]}))
    assert cache.fetch_count == 0
    assert cache.get("rsa").kid == "rsa" and cache.fetch_count == 0


# ------------------------------------------------------------------------------------- claims asked for
def test_without_an_expected_issuer_any_is_accepted_but_the_audience_is_always_checked(rsa):
    token = sign(rsa, iss="https://anyone.example", aud="https://anything.example")
    assert verify(token, cache_for(rsa), audience="https://anything.example").claims["iss"] == "https://anyone.example"
    assert refused(token, cache_for(rsa)).reason == "wrong_audience"


def test_a_tuple_audience_accepts_any_member(rsa):
    assert verify(sign(rsa), cache_for(rsa), audience=("https://x.example", API)).claims["aud"] == API
    err = refused(sign(rsa), cache_for(rsa), audience=("https://x.example",))
    assert err.reason == "wrong_audience"


def test_a_string_audience_matches_a_member_of_a_token_aud_list(rsa):
    token = sign(rsa, aud=[API, "https://other.example"])
    assert verify(token, cache_for(rsa), audience=API).claims["aud"][0] == API


def test_a_wrong_audience_names_both(rsa):
    err = refused(sign(rsa), cache_for(rsa), audience="https://x.example")
    assert err.reason == "wrong_audience" and API in str(err) and "https://x.example" in str(err)


def test_a_wrong_issuer_names_both(rsa):
    err = refused(sign(rsa), cache_for(rsa), issuer="https://other-issuer.example")
    assert err.reason == "wrong_issuer"
    assert ISSUER in str(err) and "https://other-issuer.example" in str(err)


def test_an_expected_issuer_makes_iss_required(rsa):
    err = refused(sign(rsa, iss=None), cache_for(rsa), issuer=ISSUER)
    assert err.reason == "malformed" and "iss" in str(err)


def test_an_expired_token_names_its_exp(rsa):
    exp = int(time.time()) - 10
    err = refused(sign(rsa, exp=exp), cache_for(rsa))
    assert err.reason == "expired" and f"exp={exp}" in str(err)


def test_a_missing_exp_is_named(rsa):
    err = refused(sign(rsa, exp=None), cache_for(rsa))
    assert err.reason == "malformed" and "missing required claim" in str(err) and "exp" in str(err)


def test_a_not_yet_valid_token_names_its_nbf(rsa):
    nbf = int(time.time()) + 300
    err = refused(sign(rsa, nbf=nbf), cache_for(rsa))
    assert err.reason == "not_yet_valid" and f"nbf={nbf}" in str(err)


def test_a_token_is_expired_at_its_exp_second_without_leeway(rsa):
    # RFC 7519 §4.1.4: the token MUST NOT be accepted "on or after" exp
    exp = int(time.time()) + 100
    assert refused(sign(rsa, exp=exp), cache_for(rsa), now=exp).reason == "expired"
    assert verify(sign(rsa, exp=exp), cache_for(rsa), now=exp, leeway=1).claims["exp"] == exp


def test_leeway_admits_a_token_just_before_its_nbf(rsa):
    now = int(time.time())
    assert verify(sign(rsa, nbf=now + 3), cache_for(rsa), now=now, leeway=5).claims["nbf"] == now + 3


def test_a_non_numeric_nbf_is_malformed_not_not_yet_valid(rsa):
    err = refused(sign(rsa, nbf="later"), cache_for(rsa))
    assert err.reason == "malformed" and "nbf" in str(err)


def test_a_non_numeric_exp_names_the_claim(rsa):
    err = refused(sign(rsa, exp="tomorrow"), cache_for(rsa))
    assert err.reason == "malformed" and "'exp'" in str(err)


def test_a_verified_token_keeps_the_token_header_and_claims(rsa):
    token = sign(rsa, sub="someone")
    verified = verify("  " + token + "\n", cache_for(rsa))
    assert verified.claims["sub"] == "someone" and verified.header["kid"] == "rsa"
    assert verified.token.strip() == token


# -------------------------------------------------------------------------------------------- malformed input
def test_decode_unverified_accepts_bytes_and_surrounding_whitespace(rsa):
    token = sign(rsa, sub="b")
    header, claims = decode_unverified(token.encode())
    assert header["kid"] == "rsa" and claims["sub"] == "b"
    assert decode_unverified(f"  {token}\n")[1]["sub"] == "b"


@pytest.mark.parametrize("bad", [None, 42, "é.é.é", "a.b"])
def test_a_token_that_is_not_a_compact_jwt_is_malformed(bad):
    with pytest.raises(JWTVerificationError) as info:
        decode_unverified(bad)
    assert info.value.reason == "malformed" and "not a compact JWT" in str(info.value)


def test_a_payload_that_is_not_an_object_says_so():
    with pytest.raises(JWTVerificationError) as info:
        decode_unverified("eyJhbGciOiJSUzI1NiJ9.WzFd.c2ln")
    assert str(info.value) == "JWT payload is not a JSON object (RFC 7519 §7.2 step 10)"


def test_a_malformed_token_names_what_was_wrong_with_it():
    with pytest.raises(JWTVerificationError) as info:
        decode_unverified(None)
    assert str(info.value) == "not a compact JWT (TypeError)"
