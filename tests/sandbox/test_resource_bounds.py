"""What a stranger can make the sandbox hold: junk tokens are refused by their shape before any verification and
never remembered, request bodies and headers are capped, and every refusal is a 4xx in the error shape (never a
500, never a plain-text page). The memory figure under the outside review's load is ``benchmarks/junk_tokens.py``
(docs/security.md, "Junk tokens")."""

from __future__ import annotations

import secrets

import pytest
import requests
from caller_helpers import client_token
from joserfc.jwk import RSAKey
from oauth_helpers import TIMEOUT, basic, demo_client, url

from telnyx_nb.sandbox.policy import terms
from telnyx_nb.sandbox.protocol.keys import KeyRing, new_private_jwk


@pytest.fixture(scope="module")
def ring():
    return KeyRing(RSAKey.import_key(new_private_jwk()))


@pytest.fixture
def sb(make_sandbox, ring):
    return make_sandbox(signing_key=ring)


def _junk(length: int) -> str:
    third = length // 3
    return ".".join(secrets.token_urlsafe(third)[:third] for _ in range(2)) + "." + "A" * (length - 2 * third - 2)


def _assert_error_shape(response, status: int):
    assert response.status_code == status, (response.status_code, response.text[:200])
    assert response.headers["Content-Type"].startswith("application/json"), response.headers
    body = response.json()
    assert body["error"] and body["error_description"], body
    return body


# ----- tokens: shape first, failures never remembered --------------------------------------------------------

def test_a_failed_verification_is_never_remembered(ring):
    before = ring.remembered
    for _ in range(20):
        assert ring.verify(_junk(300)) is None
    assert ring.remembered == before


def test_a_token_longer_than_the_cap_is_refused_before_any_verification(ring, monkeypatch):
    def must_not_run(token):
        raise AssertionError("verified a token the shape check should have refused")

    monkeypatch.setattr(ring, "_verify", must_not_run)
    for token in (_junk(terms.MAX_TOKEN_LENGTH + 1), "a.b", "a.b.c.d", "a.b.c=", "a.b.c+", "a..c", "a.b.c\n",
                  "é.b.c", ""):
        assert ring.verify(token) is None, token


def test_a_signature_in_a_second_spelling_is_not_the_same_token(ring):
    """base64url leaves unused low bits in the last character: changing them keeps the signature's bytes, so
    only the canonical spelling of a signed token verifies."""
    token = ring.sign({"alg": "RS256", "kid": ring.kid}, {"jti": "x"})
    assert ring.verify(token) == {"jti": "x"}
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(token[-1])
    twins = [token[:-1] + alphabet[last ^ bit] for bit in (1, 2, 3)]
    assert [ring.verify(twin) for twin in twins] == [None, None, None]


def test_junk_bearer_tokens_and_introspections_leave_nothing_behind(sb, ring):
    before = ring.remembered
    for _ in range(5):
        response = requests.get(url(sb, "/oauth_clients"), headers={"Authorization": f"Bearer {_junk(3000)}"},
                                timeout=TIMEOUT)
        _assert_error_shape(response, 401)
        introspected = requests.post(url(sb, "/oauth/introspect"), data={"token": _junk(3000)}, timeout=TIMEOUT,
                                     headers={"Authorization": basic(sb.demo_client_id, sb.demo_client_secret)})
        assert introspected.json() == {"active": False}
    assert ring.remembered == before
    token = client_token(sb, demo_client(sb), "admin")["access_token"]
    assert requests.get(url(sb, "/oauth_clients"), headers={"Authorization": f"Bearer {token}"},
                        timeout=TIMEOUT).status_code == 200
    assert ring.remembered == before + 1  # a good token is remembered: the cache still works


def test_an_oversize_bearer_token_is_a_401_not_a_crash(sb):
    response = requests.get(url(sb, "/oauth_clients"), timeout=TIMEOUT,
                            headers={"Authorization": f"Bearer {_junk(terms.MAX_TOKEN_LENGTH + 1)}"})
    _assert_error_shape(response, 401)


def test_an_oversize_token_introspects_inactive(sb):
    response = requests.post(url(sb, "/oauth/introspect"), data={"token": "x" * (terms.MAX_TOKEN_LENGTH + 1)},
                             headers={"Authorization": basic(sb.demo_client_id, sb.demo_client_secret)},
                             timeout=TIMEOUT)
    assert response.status_code == 200 and response.json() == {"active": False}


# ----- bodies and headers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/oauth_clients", "/oauth/introspect", "/oauth/register", "/oauth/token"])
def test_a_body_over_the_cap_is_a_413_in_the_error_shape(sb, path):
    body = "token=" + "x" * terms.MAX_BODY_BYTES
    response = requests.post(url(sb, path), data=body, timeout=TIMEOUT, headers={
        "Authorization": f"Bearer {sb.api_key}", "Content-Type": "application/x-www-form-urlencoded"})
    body = _assert_error_shape(response, 413)
    assert f"{terms.MAX_BODY_BYTES // 1024} KiB" in body["error_description"]


def test_a_body_at_the_cap_is_read(sb):
    body = "token=" + "x" * (terms.MAX_BODY_BYTES - len("token="))
    response = requests.post(url(sb, "/oauth/introspect"), data=body, timeout=TIMEOUT, headers={
        "Authorization": f"Bearer {sb.api_key}", "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200 and response.json() == {"active": False}


def test_a_body_far_over_the_cap_is_refused_by_the_server_in_the_error_shape(sb):
    """Past what the HTTP server buffers, it refuses from the Content-Length alone, before reading the body."""
    too_big = terms.MAX_BUFFERED_BODY_BYTES + 1
    with requests.Session() as session:
        request = requests.Request("POST", url(sb, "/oauth/introspect"), data=b"x" * 16,
                                   headers={"Content-Type": "application/x-www-form-urlencoded"}).prepare()
        request.headers["Content-Length"] = str(too_big)
        try:
            response = session.send(request, timeout=TIMEOUT)
        except requests.ConnectionError:  # the server may close while the client still writes
            return
    body = _assert_error_shape(response, 413)
    assert body["errors"][0]["code"] == "10014"


def test_headers_over_the_cap_are_a_431_in_the_error_shape(sb):
    response = requests.get(url(sb, "/oauth_clients"), timeout=TIMEOUT,
                            headers={"Authorization": f"Bearer {sb.api_key}",
                                     "X-Padding": "p" * terms.MAX_HEADER_BYTES})
    body = _assert_error_shape(response, 431)
    assert f"{terms.MAX_HEADER_BYTES // 1024} KiB" in body["error_description"]


def test_headers_under_the_cap_are_served(sb):
    response = requests.get(url(sb, "/oauth_clients"), timeout=TIMEOUT,
                            headers={"Authorization": f"Bearer {sb.api_key}",
                                     "X-Padding": "p" * (terms.MAX_HEADER_BYTES // 2)})
    assert response.status_code == 200


def test_a_request_the_http_server_cannot_read_is_a_400_in_the_error_shape(sb):
    """Waitress's own refusals (here a malformed head) come in the error shape too, not as a plain-text page."""
    import json
    import socket
    from urllib.parse import urlsplit

    where = urlsplit(sb.root_url)
    with socket.create_connection((where.hostname, where.port), timeout=TIMEOUT) as raw:
        raw.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: many\r\n\r\n")
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), head
    assert b"content-type: application/json" in head.lower()
    parsed = json.loads(body)
    assert parsed["error"] == "invalid_request" and parsed["errors"][0]["code"] == "10015", parsed


# ----- the shape check and the cache, one rule at a time -----------------------------------------------------

def _padded(ring, length: int) -> str:
    """A token this ring signed, its payload segment padded with base64url letters to ``length`` characters."""
    head, body, signature = ring.sign({"alg": "RS256", "kid": ring.kid}, {"jti": "p"}).split(".")
    return ".".join((head, body + "A" * (length - len(head) - len(body) - len(signature) - 2), signature))


def test_the_length_cap_is_the_first_rule_and_exact(ring, monkeypatch):
    """A token of exactly MAX_TOKEN_LENGTH characters is verified (and fails: its payload was padded); one more
    character and no verification runs."""
    calls = []
    monkeypatch.setattr(ring, "_verify", lambda token: calls.append(token))
    assert ring.verify(_padded(ring, terms.MAX_TOKEN_LENGTH)) is None and len(calls) == 1
    assert ring.verify(_padded(ring, terms.MAX_TOKEN_LENGTH + 1)) is None and len(calls) == 1


def test_only_the_canonical_spelling_of_a_signature_is_jwt_shaped(ring):
    from telnyx_nb.sandbox.protocol.keys import jwt_shaped

    token = ring.sign({"alg": "RS256", "kid": ring.kid}, {"jti": "x"})
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(token[-1])
    assert jwt_shaped(token)
    assert not any(jwt_shaped(token[:-1] + alphabet[last ^ bit]) for bit in (1, 2, 3))
    assert jwt_shaped("a.b.AAAX") and jwt_shaped("a.b.AAA") and jwt_shaped("a.b.AA") and jwt_shaped("a.b." + "A" * 10)
    assert not jwt_shaped("a.b.A")  # one character is no base64 at all


def test_a_verified_token_is_checked_once_and_the_least_recently_used_is_dropped(monkeypatch):
    from telnyx_nb.sandbox.protocol import keys

    ring = KeyRing(RSAKey.import_key(new_private_jwk()))
    monkeypatch.setattr(keys, "_VERIFIED_LIMIT", 3)
    real, calls = ring._verify, []
    monkeypatch.setattr(ring, "_verify", lambda token: calls.append(token) or real(token))
    t1, t2, t3, t4 = (ring.sign({"alg": "RS256", "kid": ring.kid}, {"jti": str(i)}) for i in range(4))
    for token in (t1, t2, t3, t1):  # t1 again: answered from memory, and now the most recently used
        assert ring.verify(token)["jti"] in "0123"
    assert calls == [t1, t2, t3] and ring.remembered == 3
    ring.verify(t4)  # over the limit: t2, the least recently used, goes
    assert ring.remembered == 3
    for token in (t1, t3, t4):
        ring.verify(token)
    assert calls == [t1, t2, t3, t4]
    ring.verify(t2)
    assert calls == [t1, t2, t3, t4, t2]


def test_a_token_of_this_key_under_another_algorithm_is_refused(ring):
    from joserfc import jwt

    unbound = RSAKey.import_key({k: v for k, v in ring.key.as_dict(private=True).items() if k != "alg"})
    for alg in ("RS384", "RS512", "PS256"):
        other = jwt.encode({"alg": alg, "kid": ring.kid}, {"jti": "x"}, unbound, algorithms=[alg])
        assert ring.verify(other) is None, alg
