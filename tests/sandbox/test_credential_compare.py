"""The API key and a Bearer token are compared whole, over HTTP: a prefix, an extension, a case or whitespace
variant of either is a 401, never the owner (``access.identify``: ``hmac.compare_digest`` on the whole value;
``keys.jwt_shaped`` for tokens). A mutation that accepted any prefix of the key survived every test
before these."""

from __future__ import annotations

import pytest
import requests
from caller_helpers import client_token
from oauth_helpers import TIMEOUT, demo_client, url


def _variants(value: str, cut: int) -> dict[str, str]:
    """Near misses of ``value``: prefixes, extensions, case and whitespace variants (``cut``: a place inside)."""
    flipped = next(i for i in range(cut, len(value)) if value[i].isalpha())
    return {
        "first 3 characters": value[:3], "all but the last": value[:-1], "first half": value[:len(value) // 2],
        "one more character": value + "A", "four more characters": value + "AAAA", "a padding '='": value + "=",
        "a dot more": value + ".", "twice": value + value,
        "swapped case": value.swapcase(), "lower case": value.lower(), "upper case": value.upper(),
        "one letter's case": value[:flipped] + value[flipped].swapcase() + value[flipped + 1:],
        "a space inside": value[:cut] + " " + value[cut:], "a tab inside": value[:cut] + "\t" + value[cut:],
        "a word after": value + " x",
    }


def _status(sb, credential: str) -> int:
    return requests.get(url(sb, "/oauth_clients"), headers={"Authorization": f"Bearer {credential}"},
                        timeout=TIMEOUT).status_code


def test_only_the_whole_api_key_is_the_owner(make_sandbox):
    sb = make_sandbox(seed="empty")
    assert _status(sb, sb.api_key) == 200
    answers = {name: _status(sb, variant) for name, variant in _variants(sb.api_key, 10).items()}
    assert answers == dict.fromkeys(answers, 401)


def test_only_the_whole_access_token_is_accepted(make_sandbox):
    sb = make_sandbox()
    token = client_token(sb, demo_client(sb), "admin")["access_token"]
    assert _status(sb, token) == 200
    inside_signature = token.rindex(".") + 20
    answers = {name: _status(sb, variant) for name, variant in _variants(token, inside_signature).items()}
    assert answers == dict.fromkeys(answers, 401)


@pytest.mark.parametrize("which", ["api_key", "token"])
def test_a_near_miss_is_not_introspected_as_the_real_thing(make_sandbox, which):
    """Introspection with a variant of the key as the Bearer credential is refused, not answered."""
    sb = make_sandbox()
    token = client_token(sb, demo_client(sb), "admin")["access_token"]
    credential = sb.api_key if which == "api_key" else token
    for variant in (credential[:-1], credential + "A", credential.swapcase()):
        response = requests.post(url(sb, "/oauth/introspect"), data={"token": token}, timeout=TIMEOUT,
                                 headers={"Authorization": f"Bearer {variant}"})
        assert response.status_code == 401, (variant, response.text)
