"""PKCE (RFC 7636) and ``state`` for the authorization-code flow.

Three lines of the RFC's own formulas on the standard library, rather than importing Authlib's OAuth 2 package
(~33 ms) into every notebook that only builds an authorize URL.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

from telnyx_nb.core.errors import ConfigurationError
from telnyx_nb.core.wire import CODE_CHALLENGE_METHODS

__all__ = ["METHODS", "generate_verifier", "code_challenge", "generate_state", "validate_verifier"]

METHODS = CODE_CHALLENGE_METHODS  # RFC 7636 §4.3
# RFC 7636 §4.1: code-verifier = 43*128unreserved, unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")  # used with fullmatch: `$` would let a trailing "\n" in


def generate_verifier(length: int = 64) -> str:
    """A high-entropy code verifier of ``length`` characters (RFC 7636 §4.1: 43–128, unreserved characters)."""
    if not 43 <= length <= 128:
        raise ConfigurationError(f"PKCE verifier length must be 43..128 (RFC 7636 §4.1), got {length}")
    # token_urlsafe yields [A-Za-z0-9_-], a subset of the unreserved set; ~6 bits per character.
    return secrets.token_urlsafe(length)[:length]


def validate_verifier(verifier: str) -> str:
    """Return ``verifier`` if it satisfies RFC 7636 §4.1, else raise naming the rule."""
    if not isinstance(verifier, str) or not _VERIFIER.fullmatch(verifier):
        raise ConfigurationError(
            "code_verifier must be 43-128 characters from A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1)"
        )
    return verifier


def code_challenge(verifier: str, method: str = "S256") -> str:
    """The code challenge for ``verifier`` (RFC 7636 §4.2): BASE64URL(SHA256(verifier)) without padding, or the
    verifier itself for ``plain``."""
    validate_verifier(verifier)
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    if method == "plain":
        return verifier
    raise ConfigurationError(f"code_challenge_method must be one of {METHODS} (RFC 7636 §4.2), got {method!r}")


def generate_state(nbytes: int = 24) -> str:
    """An unguessable ``state`` value binding the redirect to this session (RFC 6749 §10.12)."""
    return secrets.token_urlsafe(nbytes)
