"""JWT verification (RFC 7519 §7.2, RFC 9068 §4): which tokens get in, and the reason given for each that does not.

Two sources of tokens: the shared sandbox's real access tokens (over HTTP), and tokens this file signs itself with a
key of its own, served to the real ``KeyCache`` as a JWKS — so every claim (``exp`` one second ago, an audience
list, a missing ``exp``) is chosen exactly, without moving any clock.
"""

from __future__ import annotations

import time

import pytest
from joserfc import jwt as jose_jwt
from joserfc.jwk import OctKey, RSAKey

from telnyx_nb import TelnyxOAuth
from telnyx_nb.api.jwt import KeyCache, decode_unverified
from telnyx_nb.api.jwt import verify as _verify
from telnyx_nb.core.errors import JWTVerificationError
from telnyx_nb.core.records import JWKS

ISSUER = "https://issuer.example"
API = "https://api.example/v2"
OTHER_API = "https://other-api.example/v2"


@pytest.fixture(scope="module")
def tx(sandbox):
    with TelnyxOAuth.from_sandbox(sandbox) as client:
        yield client


@pytest.fixture(scope="module")
def key():
    return RSAKey.generate_key(2048, parameters={"alg": "RS256", "kid": "test-key"}, private=True)


@pytest.fixture
def keys(key):
    public = {**key.as_dict(private=False), "kid": "test-key"}
    return KeyCache(lambda: JWKS.from_json({"keys": [public]}))


def sign(key, header=None, **claims):
    now = int(time.time())
    body = {"iss": ISSUER, "aud": API, "sub": "user", "iat": now, "exp": now + 600}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return jose_jwt.encode({"alg": "RS256", "kid": "test-key", **(header or {})}, body, key)


def verify(token, keys, **kwargs):
    """``jwt.verify`` expecting this file's audience unless told otherwise (the audience is always required)."""
    kwargs.setdefault("audience", API)
    return _verify(token, keys, **kwargs)


def reason(token, keys, **kwargs):
    with pytest.raises(JWTVerificationError) as info:
        verify(token, keys, **kwargs)
    return info.value.reason


# ------------------------------------------------------------------------------------ audience (RFC 7519 §4.1.3)
def test_verify_jwt_with_a_list_audience_rejects_a_token_for_another_api(tx, sandbox):
    token = tx.client_credentials_token().access_token
    assert decode_unverified(token)[1]["aud"] == sandbox.base_url
    with pytest.raises(JWTVerificationError) as info:
        tx.verify_jwt(token, audience=[OTHER_API, "https://third.example/v2"])
    assert info.value.reason == "wrong_audience"
    assert OTHER_API in str(info.value)


def test_verify_jwt_with_a_list_audience_accepts_a_token_for_any_member(tx, sandbox):
    token = tx.client_credentials_token().access_token
    assert tx.verify_jwt(token, audience=[OTHER_API, sandbox.base_url]).claims["aud"] == sandbox.base_url
    assert tx.verify_jwt(token, audience=(sandbox.base_url,)).claims["aud"] == sandbox.base_url


def test_a_list_audience_checks_every_aud_of_a_multi_audience_token(key, keys):
    token = sign(key, aud=[OTHER_API, "https://third.example/v2"])
    assert reason(token, keys, audience=[API]) == "wrong_audience"
    assert reason(token, keys, audience=API) == "wrong_audience"
    assert verify(token, keys, audience=[API, OTHER_API]).claims["aud"][0] == OTHER_API


def test_an_expected_audience_makes_aud_required(key, keys):
    token = sign(key, aud=None)
    assert reason(token, keys, audience=API) == "malformed"
    assert reason(token, keys, audience=[API]) == "malformed"


# ------------------------------------------------------------------------------------ issuer (RFC 7519 §4.1.1)
def test_issuer_must_match_exactly_when_given(key, keys):
    token = sign(key)
    assert verify(token, keys, issuer=ISSUER).claims["iss"] == ISSUER
    assert reason(token, keys, issuer=ISSUER + "/") == "wrong_issuer"
    assert reason(sign(key, iss=None), keys, issuer=ISSUER) == "malformed"


def test_verify_jwt_checks_the_servers_own_issuer_by_default(tx, key, sandbox):
    token = tx.client_credentials_token().access_token
    assert tx.verify_jwt(token).claims["iss"] == sandbox.root_url
    with pytest.raises(JWTVerificationError) as info:
        tx.verify_jwt(token, issuer=sandbox.base_url)
    assert info.value.reason == "wrong_issuer"


# ------------------------------------------------------------------------------ exp and nbf (RFC 7519 §4.1.4-5)
def test_exp_is_required(key, keys):
    assert reason(sign(key, exp=None), keys) == "malformed"


def test_expiry_is_decided_at_the_exp_second_and_leeway_extends_it(key, keys):
    exp = int(time.time()) + 100
    token = sign(key, exp=exp)
    assert verify(token, keys, now=exp - 1).claims["exp"] == exp
    assert reason(token, keys, now=exp + 1) == "expired"
    assert verify(token, keys, now=exp + 1, leeway=5).claims["exp"] == exp
    assert reason(token, keys, now=exp + 6, leeway=5) == "expired"


def test_a_token_that_expired_a_second_ago_is_expired_on_the_real_clock(key, keys):
    assert reason(sign(key, exp=int(time.time()) - 1), keys) == "expired"


def test_nbf_in_the_future_is_not_yet_valid(key, keys):
    now = int(time.time())
    token = sign(key, nbf=now + 100)
    assert reason(token, keys) == "not_yet_valid"
    assert verify(token, keys, now=now + 101).claims["nbf"] == now + 100


def test_a_non_numeric_exp_is_malformed_not_expired(key, keys):
    assert reason(sign(key, exp="tomorrow"), keys) == "malformed"


# --------------------------------------------------------------------------------- signature (RFC 7515 §5.2)
def test_a_token_signed_by_another_key_does_not_verify(keys):
    stranger = RSAKey.generate_key(2048, parameters={"kid": "test-key"}, private=True)
    assert reason(sign(stranger), keys) == "bad_signature"


def test_hmac_and_none_algorithms_never_verify(key, keys):
    hmac = jose_jwt.encode({"alg": "HS256", "kid": "test-key"}, {"exp": int(time.time()) + 60},
                           OctKey.import_key("s" * 32))
    assert reason(hmac, keys) == "bad_signature"
    _header, payload, _sig = sign(key).split(".")
    import base64
    import json

    none = base64.urlsafe_b64encode(json.dumps({"alg": "none", "kid": "test-key"}).encode()).rstrip(b"=").decode()
    assert reason(f"{none}.{payload}.", keys) == "bad_signature"


def test_unknown_kid_refetches_the_key_set_once_then_says_unknown_kid(key, keys):
    token = sign(key, header={"kid": "rotated"})
    assert reason(token, keys) == "unknown_kid"
    assert keys.fetch_count == 1
    assert verify(sign(key), keys).kid == "test-key"
    assert keys.fetch_count == 1  # a known kid is served from the cache


def test_a_single_key_set_serves_a_token_without_kid(key):
    bare = {k: v for k, v in key.as_dict(private=False).items() if k != "kid"}
    cache = KeyCache(lambda: JWKS.from_json({"keys": [bare]}))
    token = jose_jwt.encode({"alg": "RS256"}, {"exp": int(time.time()) + 60, "sub": "x", "aud": API}, key)
    assert verify(token, cache).claims["sub"] == "x"


def test_malformed_tokens_say_malformed(keys):
    for bad in ("garbage", "a.b", "not.a.jwt", ""):
        assert reason(bad, keys) == "malformed"
    with pytest.raises(JWTVerificationError) as info:
        decode_unverified("eyJhbGciOiJSUzI1NiJ9.WzFd.c2ln")  # payload is a JSON array
    assert info.value.reason == "malformed"
