"""``verify_jwt()`` with its default arguments: what a caller who passes nothing but the token relies on.

- the audience is required: by default the resource this client calls (its API base URL, which the sandbox's
  RFC 9728 document names as the resource and puts in every access token's ``aud``);
- the ``typ`` header may not name another kind of token (RFC 8725 §3.11, RFC 9068 §4); ``strict_typ=True``
  accepts ``at+jwt`` only;
- an unknown ``kid`` does not refetch the key set on every token: at most once per ``KeyCache`` interval.

Tokens signed here use a key of this file's own, loaded into the client's real key cache, so ``aud``/``typ``/``kid``
are chosen exactly; the sandbox's own tokens check that what it issues passes the defaults.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
from joserfc import jws
from joserfc import jwt as jose_jwt
from joserfc.jwk import RSAKey

from telnyx_nb import TelnyxOAuth
from telnyx_nb.api.jwt import KeyCache, verify
from telnyx_nb.core.errors import ConfigurationError, JWTVerificationError
from telnyx_nb.core.records import JWKS

OTHER_API = "https://other-api.example/v2"


@pytest.fixture(scope="module")
def key():
    return RSAKey.generate_key(2048, parameters={"kid": "own"}, private=True)


@pytest.fixture
def tx(sandbox):
    with TelnyxOAuth.from_sandbox(sandbox) as client:
        yield client


def _own_keys(tx, key):
    """The client's key cache, filled with this file's key (as if the server had published it)."""
    tx._key_cache().load(JWKS.from_json({"keys": [key.as_dict(private=False)]}))


def sign(key, sandbox, header=None, **claims):
    now = int(time.time())
    body = {"iss": sandbox.root_url, "aud": sandbox.base_url, "sub": "user", "iat": now, "exp": now + 600}
    body.update(claims)
    return jose_jwt.encode({"alg": "RS256", "kid": "own", "typ": "at+jwt", **(header or {})},
                           {k: v for k, v in body.items() if v is not None}, key)


def untyped(key, claims, kid="own"):
    """A JWS with no typ header at all (joserfc's jwt.encode always adds one)."""
    return jws.serialize_compact({"alg": "RS256", "kid": kid}, json.dumps(claims), key)


def refused(call) -> JWTVerificationError:
    with pytest.raises(JWTVerificationError) as info:
        call()
    return info.value


# ------------------------------------------------------------------------------------------- audience
def test_by_default_a_token_for_another_audience_is_refused(tx, key, sandbox):
    _own_keys(tx, key)
    err = refused(lambda: tx.verify_jwt(sign(key, sandbox, aud=OTHER_API)))
    assert err.reason == "wrong_audience"
    assert sandbox.base_url in str(err) and OTHER_API in str(err)
    assert refused(lambda: tx.verify_jwt(sign(key, sandbox, aud=None))).reason == "malformed"  # aud is required
    assert tx.verify_jwt(sign(key, sandbox)).claims["aud"] == sandbox.base_url


def test_the_default_audience_is_the_resource_the_servers_metadata_names(tx, sandbox):
    """RFC 9728 §3.1: the API's document is at /.well-known/oauth-protected-resource/v2; its resource is the aud."""
    import requests

    document = requests.get(f"{sandbox.root_url}/.well-known/oauth-protected-resource/v2", timeout=10).json()
    assert document["resource"] == tx.resource == sandbox.base_url
    token = tx.client_credentials_token().access_token
    assert tx.verify_jwt(token).claims["aud"] == document["resource"]


def test_the_low_level_verify_has_no_audience_default(key):
    keys = KeyCache(lambda: JWKS.from_json({"keys": [key.as_dict(private=False)]}))
    token = jose_jwt.encode({"alg": "RS256", "kid": "own"}, {"aud": OTHER_API, "exp": int(time.time()) + 60}, key)
    with pytest.raises(TypeError):
        verify(token, keys)  # audience is a required keyword
    for empty in (None, "", [], ()):
        with pytest.raises(ConfigurationError, match="audience"):
            verify(token, keys, audience=empty)
    assert verify(token, keys, audience=OTHER_API).claims["aud"] == OTHER_API


# ------------------------------------------------------------------------------------------------ typ
REFUSED_TYPES = ["id_token+jwt", "logout+jwt", "secevent+jwt", "dpop+jwt", "token-introspection+jwt",
                 "application/logout+jwt", "JOSE", "JOSE+JSON", "jwt+at", "at+jwt+x", ""]


@pytest.mark.parametrize("typ", REFUSED_TYPES)
def test_a_typ_naming_another_kind_of_token_is_refused(tx, key, sandbox, typ):
    _own_keys(tx, key)
    err = refused(lambda: tx.verify_jwt(sign(key, sandbox, header={"typ": typ})))
    assert err.reason == "wrong_type"
    assert "RFC 9068 §4" in str(err) and repr(typ) in str(err)


@pytest.mark.parametrize("typ", ["at+jwt", "application/at+jwt", "AT+JWT", "Application/At+Jwt", "JWT", "jwt", None])
def test_at_jwt_plain_jwt_or_no_typ_are_accepted_by_default(tx, key, sandbox, typ):
    _own_keys(tx, key)
    header = {"typ": typ} if typ is not None else {}
    token = sign(key, sandbox, header=header)
    if typ is None:
        token = untyped(key, jose_jwt.decode(token, key).claims)
        assert "typ" not in jws.extract_compact(token.encode()).headers()
    assert tx.verify_jwt(token).claims["sub"] == "user"


@pytest.mark.parametrize("typ,ok", [("at+jwt", True), ("application/at+jwt", True), ("JWT", False),
                                    ("id_token+jwt", False)])
def test_strict_typ_accepts_at_jwt_only(tx, key, sandbox, typ, ok):
    _own_keys(tx, key)
    token = sign(key, sandbox, header={"typ": typ})
    if ok:
        assert tx.verify_jwt(token, strict_typ=True).header["typ"] == typ
    else:
        assert refused(lambda: tx.verify_jwt(token, strict_typ=True)).reason == "wrong_type"


def test_the_sandboxs_tokens_pass_the_strict_check(tx):
    token = tx.client_credentials_token().access_token
    assert tx.verify_jwt(token, strict_typ=True).header["typ"] == "at+jwt"


def test_a_token_without_typ_is_refused_by_the_strict_check(tx, key, sandbox):
    _own_keys(tx, key)
    token = untyped(key, {"aud": sandbox.base_url, "iss": sandbox.root_url, "exp": int(time.time()) + 60})
    assert refused(lambda: tx.verify_jwt(token, strict_typ=True)).reason == "wrong_type"


# ------------------------------------------------------------------------------------ key set refetches
def test_twenty_unknown_kids_fetch_the_sandboxs_key_set_once(tx, key, sandbox):
    fetched = []
    tx.add_listener(lambda record: fetched.append(record.url) if record.url.endswith("/oauth/jwks") else None)
    for _ in range(20):
        token = sign(key, sandbox, header={"kid": str(uuid.uuid4())})
        assert refused(lambda t=token: tx.verify_jwt(t)).reason == "unknown_kid"
    assert len(fetched) == 1, fetched
    assert tx._key_cache().fetch_count == 1
    real = tx.client_credentials_token().access_token  # the server's own kid is served from that one fetch
    assert tx.verify_jwt(real).claims["aud"] == sandbox.base_url
    assert len(fetched) == 1


def test_an_unknown_kid_refetches_again_once_the_interval_has_passed(key):
    """Key rotation still works: after ``min_refetch_interval`` seconds a new kid is looked for again."""
    now = [1000.0]
    rotated = RSAKey.generate_key(2048, parameters={"kid": "rotated"}, private=True)
    published = [[key]]
    cache = KeyCache(lambda: JWKS.from_json({"keys": [k.as_dict(private=False) for k in published[-1]]}),
                     min_refetch_interval=30.0, clock=lambda: now[0])
    token = jose_jwt.encode({"alg": "RS256", "kid": "rotated"}, {"aud": "x", "exp": int(time.time()) + 60}, rotated)
    assert cache.get("own").kid == "own" and cache.fetch_count == 1
    published.append([key, rotated])
    now[0] += 29.9
    err = refused(lambda: verify(token, cache, audience="x"))
    assert err.reason == "unknown_kid" and "again in" in str(err)
    assert cache.fetch_count == 1
    now[0] += 0.1
    assert verify(token, cache, audience="x").kid == "rotated"
    assert cache.fetch_count == 2
    for _ in range(5):
        refused(lambda: verify(jose_jwt.encode({"alg": "RS256", "kid": "nope"}, {"aud": "x"}, key), cache,
                               audience="x"))
    assert cache.fetch_count == 2


def test_the_default_refetch_interval_is_thirty_seconds(key):
    assert KeyCache(lambda: JWKS.from_json({"keys": []})).min_refetch_interval == 30.0


# ------------------------------------------------------------------------------------ what each refusal says
def test_the_refusals_say_what_was_expected(key):
    keys = KeyCache(lambda: JWKS.from_json({"keys": [key.as_dict(private=False)]}))
    token = jose_jwt.encode({"alg": "RS256", "kid": "own", "typ": "logout+jwt"}, {"aud": "x"}, key)
    assert str(refused(lambda: verify(token, keys, audience="x"))) == \
        "typ 'logout+jwt' is not an access token's (RFC 9068 §4; accepted: at+jwt, JWT or none)"
    assert str(refused(lambda: verify(token, keys, audience="x", strict_typ=True))) == \
        "typ 'logout+jwt' is not an access token's (RFC 9068 §4; accepted: at+jwt)"
    with pytest.raises(ConfigurationError) as info:
        verify(token, keys, audience=None)
    assert str(info.value) == ("audience: None — pass the resource the token must be for (RFC 7519 §4.1.3), e.g. "
                               "'https://api.telnyx.com/v2', or a list of them")


@pytest.mark.parametrize("audience", [["x", 7], ["x", ""], [None], ("x", b"x")])
def test_an_audience_list_holds_non_empty_strings_only(key, audience):
    keys = KeyCache(lambda: JWKS.from_json({"keys": [key.as_dict(private=False)]}))
    token = jose_jwt.encode({"alg": "RS256", "kid": "own"}, {"aud": "x", "exp": int(time.time()) + 60}, key)
    with pytest.raises(ConfigurationError, match="audience"):
        verify(token, keys, audience=audience)


def test_an_unknown_kid_just_looked_for_says_only_that(key):
    """When the refetch did happen, the message names the kid and the known ones, and promises no later refetch."""
    keys = KeyCache(lambda: JWKS.from_json({"keys": [key.as_dict(private=False)]}))
    token = jose_jwt.encode({"alg": "RS256", "kid": "gone"}, {"aud": "x"}, key)
    assert str(refused(lambda: verify(token, keys, audience="x"))) == \
        "no key with kid 'gone' in the server's JWKS (known: ['own'])"
