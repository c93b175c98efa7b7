"""The one place that hides secrets: API keys, client secrets, access and refresh tokens, codes and verifiers.

Every repr, exception message, request-log line and printed value that could hold a secret passes through here,
so there is exactly one rule to audit. Two mechanisms work together:

* ``mask(secret)`` shortens a value we *know* is secret to a recognisable stub (``'KEY0…9f'``): a short prefix and
  suffix, never the middle, so a user can tell two keys apart without either being usable.
* ``mask_text(text)`` scrubs free text (URLs, bodies, curl lines, exception messages): values registered with
  ``remember(secret)`` (the client registers every key and token it handles), and anything secret-*shaped* —
  Telnyx API keys, JWTs, ``Bearer``/``Basic`` credentials, and secret-named query/form/JSON fields.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

ELLIPSIS = "…"

# Secret-named parameters, in query strings/forms (name=value) and JSON ("name": "value").
SECRET_NAMES = (
    "client_secret",
    "access_token",
    "refresh_token",
    "id_token",
    "api_key",
    "code_verifier",
    "code",
    "token",
    "consent_token",
    "password",
    "secret",
)
_NAMES = "|".join(sorted(SECRET_NAMES, key=len, reverse=True))
# In JSON, "code" is a Telnyx error code, not an authorization code: leave it readable.
_JSON_NAMES = "|".join(sorted((n for n in SECRET_NAMES if n != "code"), key=len, reverse=True))

_PATTERNS: tuple[tuple[re.Pattern[str], Any], ...] = (
    # Authorization header values (RFC 6750 Bearer, RFC 7617 Basic).
    # A short all-lowercase word after them is prose ("the Bearer credential is…"), not a credential.
    (re.compile(r"\b(Bearer|Basic)(\s+)(?!(?-i:[a-z]{1,15})\b)([A-Za-z0-9._~+/=\-]{6,})", re.I),
     lambda m: m[1] + m[2] + mask(m[3])),
    # JSON: "client_secret": "value"
    (
        re.compile(r'("(?:' + _JSON_NAMES + r')"\s*:\s*")([^"]+)(")', re.I),
        lambda m: m[1] + mask(m[2]) + m[3],
    ),
    # query strings and form bodies: client_secret=value (stop at &, whitespace, quote)
    (
        re.compile(r"(?<![A-Za-z0-9_])((?:" + _NAMES + r")=)([^&\s'\"]+)", re.I),
        lambda m: m[1] + mask(m[2]),
    ),
    # JWTs / JWS compact serialisations (RFC 7515 §7.1): three base64url segments, header starts with eyJ.
    (re.compile(r"\beyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*"), lambda m: mask(m[0])),
    # Telnyx-style API keys: KEY followed by a long opaque tail.
    (re.compile(r"\bKEY[A-Za-z0-9_\-]{16,}"), lambda m: mask(m[0])),
)

_known: set[str] = set()
_known_lock = threading.Lock()
_known_pattern: re.Pattern[str] | None = None


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
    global _known_pattern
    new = {str(s) for s in secrets if s and len(str(s)) >= 6}
    if not new - _known:
        return
    with _known_lock:
        _known.update(new)
        ordered = sorted(_known, key=len, reverse=True)  # longest first so a prefix never wins
        _known_pattern = re.compile("|".join(re.escape(s) for s in ordered))


def mask_text(text: Any) -> str:
    """Return ``str(text)`` with every known or secret-shaped value replaced by its ``mask()`` stub."""
    if text is None:
        return ""
    out = str(text)
    pattern = _known_pattern
    if pattern is not None:
        out = pattern.sub(lambda m: mask(m[0]), out)
    for regex, repl in _PATTERNS:
        out = regex.sub(repl, out)
    return out


def mask_mapping(values: dict[str, Any] | None) -> dict[str, Any]:
    """Copy of a header/param/body mapping with secret-named entries and secret-looking values masked."""
    if not values:
        return {}
    out = {}
    for key, value in values.items():
        lowered = str(key).lower()
        if lowered in ("authorization", "proxy-authorization", "cookie") or lowered in SECRET_NAMES:
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
