"""The one place that hides secrets: API keys, client secrets, access and refresh tokens, codes and verifiers.

Every repr, exception message, request-log line and printed value that could hold a secret passes through here,
so there is exactly one rule to audit. Two mechanisms work together:

* ``mask(secret)`` shortens a value we *know* is secret to a recognisable stub (``'KEY0…9f'``): a short prefix and
  suffix, never the middle, so a user can tell two keys apart without either being usable.
* ``mask_text(text)`` scrubs free text (URLs, bodies, curl lines, exception messages): values registered with
  ``remember(secret)`` (the client registers every key and token it handles), and anything secret-*shaped* —
  Telnyx API keys, JWTs, ``Bearer``/``Basic`` credentials, and secret-named query/form/JSON fields.

``mask_third_party_logs()`` (called when the transport is imported) puts the same scrubbing on urllib3's and
requests' loggers, which print request paths at DEBUG.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from typing import Any

ELLIPSIS = "…"

# Secret-named parameters, in query strings/forms (name=value) and JSON ("name": "value"), declared here, in the
# bottom floor, so every process masks them whatever it has imported: the sandbox raising a ``ConfigurationError``
# loads no record. The wire records' secret fields (``json_field(secret=True)`` in :mod:`telnyx_nb.core.records`;
# a test holds the two declarations equal; ``api_key``/``api_token`` are a managed account's), then the secrets no
# record holds — the authorization code of a redirect (RFC 6749 §4.1.2) and generic names. A record class defined
# elsewhere (a user's own) adds its secret fields through ``register_secret_names`` when it is defined.
RECORD_SECRET_NAMES = ("access_token", "api_key", "api_token", "client_secret", "code_verifier", "consent_token",
                       "id_token", "refresh_token", "registration_access_token", "token")
NON_RECORD_SECRET_NAMES = ("code", "password", "secret")
_registered_names: set[str] = set()


def register_secret_names(*names: str) -> None:
    """Hide the values of fields with these names wherever ``mask_text``/``mask_mapping`` see them by name."""
    new = set(names) - _registered_names - set(RECORD_SECRET_NAMES)
    if new:
        _registered_names.update(new)
        secret_names.cache_clear()
        _shape_patterns.cache_clear()


@functools.cache
def secret_names() -> frozenset[str]:
    """Names whose values are secrets wherever they appear: the declared ones and any a record class registered."""
    return frozenset(RECORD_SECRET_NAMES) | frozenset(NON_RECORD_SECRET_NAMES) | frozenset(_registered_names)


def _alternation(names: Any) -> str:
    return "|".join(sorted(names, key=lambda n: (-len(n), n)))


@functools.cache
def _shape_patterns() -> tuple[tuple[re.Pattern[str], Any], ...]:
    names = secret_names()
    json_names = names - {"code"}  # in JSON, "code" is a Telnyx error code, not an authorization code
    return (
        # Authorization header values (RFC 6750 Bearer, RFC 7617 Basic).
        # A short all-lowercase word after them is prose ("the Bearer credential is…"), not a credential.
        (re.compile(r"\b(Bearer|Basic)(\s+)(?!(?-i:[a-z]{1,15})\b)([A-Za-z0-9._~+/=\-]{6,})", re.I),
         lambda m: m[1] + m[2] + mask(m[3])),
        # JSON: "client_secret": "value"
        (
            re.compile(r'("(?:' + _alternation(json_names) + r')"\s*:\s*")([^"]+)(")', re.I),
            lambda m: m[1] + mask(m[2]) + m[3],
        ),
        # query strings and form bodies: client_secret=value (stop at &, whitespace, quote)
        (
            re.compile(r"(?<![A-Za-z0-9_])((?:" + _alternation(names) + r")=)([^&\s'\"]+)", re.I),
            lambda m: m[1] + mask(m[2]),
        ),
        # JWTs / JWS compact serialisations (RFC 7515 §7.1): three base64url segments, header starts with eyJ.
        (re.compile(r"\beyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*"), lambda m: mask(m[0])),
        # Telnyx API keys: KEY + exactly 55 of [0-9A-Za-z_-] (the shape secret scanners look for), found anywhere —
        # also glued to a word, as in a URL-encoded header (``Bearer%20KEY…``) or ``x-api-keyKEY…`` log noise.
        (re.compile(r"KEY[0-9A-Za-z_\-]{55}(?![0-9A-Za-z_\-])"), lambda m: mask(m[0])),
        # Older and sandbox-made keys: KEY followed by a long opaque tail, at a word start.
        (re.compile(r"\bKEY[A-Za-z0-9_\-]{16,}"), lambda m: mask(m[0])),
    )


# Remembered secrets, compiled in batches: one regex over *all* of them was recompiled on every new token, which
# made the 2,000th token of a session cost ~0.1 s (quadratic). Secrets fill a small open batch (recompiled lazily
# when text is next masked); a full batch is sealed, and _FANOUT sealed batches of one size merge into one of
# _FANOUT times that size — compiling stays amortised O(log n) per secret, masking runs O(log n) patterns.
_FANOUT = 8
_known: set[str] = set()
_known_lock = threading.Lock()
_sealed: list[tuple[list[str], re.Pattern[str]]] = []
_sealed_patterns: tuple[re.Pattern[str], ...] = ()
_open: list[str] = []
_open_pattern: re.Pattern[str] | None = None


def _compile(secrets: list[str]) -> re.Pattern[str]:
    ordered = sorted(secrets, key=len, reverse=True)  # longest first so a prefix never wins
    return re.compile("|".join(re.escape(s) for s in ordered))


def mask(secret: Any) -> str:
    """Return a short stub of ``secret`` that identifies it without revealing it (``None`` → ``'None'``).

    Long values keep 4 leading and 2 trailing characters; short ones keep at most 2 leading characters, because
    a suffix of a short secret is too large a share of it.
    """
    if secret is None:
        return "None"
    text = str(secret)
    if ELLIPSIS in text and len(text) <= 8:  # already masked
        return text
    if len(text) >= 16:
        return text[:4] + ELLIPSIS + text[-2:]
    if len(text) >= 8:
        return text[:2] + ELLIPSIS
    return ELLIPSIS


def remember(*secrets: Any) -> None:
    """Register values that ``mask_text`` must always hide, whatever their shape (e.g. an opaque refresh token)."""
    global _sealed_patterns, _open, _open_pattern
    new = {str(s) for s in secrets if s and len(str(s)) >= 6}
    if not new - _known:
        return
    with _known_lock:
        for secret in sorted(new - _known, key=len, reverse=True):
            _known.add(secret)
            _open.append(secret)
            if len(_open) >= _FANOUT:
                _seal(_open)
                _open = []
        _sealed_patterns = tuple(pattern for _, pattern in _sealed)
        _open_pattern = None


def _seal(batch: list[str]) -> None:
    _sealed.append((batch, _compile(batch)))
    while len(_sealed) >= _FANOUT and len({len(b) for b, _ in _sealed[-_FANOUT:]}) == 1:
        merged = [secret for b, _ in _sealed[-_FANOUT:] for secret in b]
        del _sealed[-_FANOUT:]
        _sealed.append((merged, _compile(merged)))


def _patterns() -> tuple[re.Pattern[str], ...]:
    global _open_pattern
    with _known_lock:
        if _open and _open_pattern is None:
            _open_pattern = _compile(_open)
        return _sealed_patterns + ((_open_pattern,) if _open and _open_pattern is not None else ())


def mask_text(text: Any) -> str:
    """Return ``str(text)`` with every known or secret-shaped value replaced by its ``mask()`` stub."""
    if text is None:
        return ""
    out = str(text)
    spans = sorted((m.start(), m.end()) for pattern in _patterns() for m in pattern.finditer(out))
    if spans:  # matches of different batches may overlap (one secret inside another): mask their union
        merged: list[list[int]] = []
        for start, end in spans:
            if merged and start < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        pieces, last = [], 0
        for start, end in merged:
            pieces += [out[last:start], mask(out[start:end])]
            last = end
        out = "".join(pieces) + out[last:]
    for regex, repl in _shape_patterns():
        out = regex.sub(repl, out)
    return out


def mask_mapping(values: dict[str, Any] | None) -> dict[str, Any]:
    """Copy of a header/param/body mapping with secret-named entries and secret-looking values masked."""
    if not values:
        return {}
    out = {}
    for key, value in values.items():
        lowered = str(key).lower()
        if lowered in ("authorization", "proxy-authorization", "cookie") or lowered in secret_names():
            out[key] = mask_text(value) if lowered in ("authorization", "proxy-authorization") else mask(value)
        else:
            out[key] = mask_text(value) if isinstance(value, str) else value
    return out


class MaskingFilter(logging.Filter):
    """Scrub a log record's final message with ``mask_text`` (for loggers we do not write ourselves).

    urllib3 logs every request line at DEBUG, and ``GET /oauth/consent/{consent_token}`` carries a secret in its
    path; a filter on its loggers masks it before any handler sees the record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the logging module's problem, not ours to hide
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


# A logger's filters see only records logged on that very logger, so each module's logger is named.
THIRD_PARTY_LOGGERS = ("urllib3.connectionpool", "urllib3.connection", "urllib3.util.retry", "urllib3.response",
                       "requests")
_filter = MaskingFilter()


def mask_third_party_logs(names: tuple[str, ...] = THIRD_PARTY_LOGGERS) -> None:
    """Attach the masking filter to the HTTP libraries' loggers (idempotent)."""
    for name in names:
        logger = logging.getLogger(name)
        if _filter not in logger.filters:
            logger.addFilter(_filter)
