"""PKCE helpers at their bounds (RFC 7636 §4.1: a verifier is 43 to 128 unreserved characters; §4.2: S256/plain)."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from telnyx_nb.api import pkce
from telnyx_nb.core.errors import ConfigurationError

UNRESERVED = re.compile(r"^[A-Za-z0-9\-._~]+$")


@pytest.mark.parametrize("length", [43, 44, 64, 127, 128])
def test_generate_verifier_gives_exactly_the_length_asked_within_43_to_128(length):
    verifier = pkce.generate_verifier(length)
    assert len(verifier) == length
    assert UNRESERVED.match(verifier)
    assert pkce.validate_verifier(verifier) == verifier  # what we generate, we also accept


def test_generate_verifier_defaults_to_64_characters():
    assert len(pkce.generate_verifier()) == 64


@pytest.mark.parametrize("length", [0, 42, 129, 256])
def test_generate_verifier_outside_43_to_128_is_a_configuration_error_naming_the_rule(length):
    with pytest.raises(ConfigurationError, match=rf"43\.\.128 \(RFC 7636 §4\.1\), got {length}"):
        pkce.generate_verifier(length)


def test_generated_verifiers_differ():
    assert len({pkce.generate_verifier(43) for _ in range(20)}) == 20


@pytest.mark.parametrize("verifier", ["a" * 43, "Z" * 128, "0123456789-._~" * 3 + "a"])
def test_validate_verifier_accepts_the_bounds_and_every_unreserved_character(verifier):
    assert pkce.validate_verifier(verifier) == verifier


@pytest.mark.parametrize("verifier", ["a" * 42, "a" * 129, "a" * 42 + "+", "a" * 42 + " ", "a" * 43 + "\n", 12345,
                                      None, "\u00e9" * 43])
def test_validate_verifier_refuses_wrong_length_characters_or_type(verifier):
    with pytest.raises(ConfigurationError) as info:
        pkce.validate_verifier(verifier)
    assert str(info.value) == "code_verifier must be 43-128 characters from A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1)"


def test_s256_challenge_is_unpadded_base64url_of_sha256_and_plain_is_the_verifier():
    verifier = "v" * 43
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    assert pkce.code_challenge(verifier) == expected  # S256 is the default
    assert pkce.code_challenge(verifier, "S256") == expected and "=" not in expected and len(expected) == 43
    assert pkce.code_challenge(verifier, "plain") == verifier


def test_challenge_of_a_bad_verifier_or_method_is_refused():
    with pytest.raises(ConfigurationError, match="code_verifier must be"):
        pkce.code_challenge("a" * 42, "plain")
    with pytest.raises(ConfigurationError, match=r"one of \('S256', 'plain'\) \(RFC 7636 §4\.2\), got 's256'"):
        pkce.code_challenge("a" * 43, "s256")


def test_state_is_url_safe_and_as_long_as_asked():
    assert len(pkce.generate_state()) == 32  # 24 bytes → 32 base64url characters
    assert len(pkce.generate_state(12)) == 16
    assert UNRESERVED.match(pkce.generate_state())
    assert pkce.generate_state() != pkce.generate_state()
