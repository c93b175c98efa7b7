"""Converters from the wire's spellings to typed values: what each record field declares with ``json_field()``.

Real servers are lax: a date-time as ISO 8601 with ``Z`` or an offset, or as epoch seconds, even as a string; a flag
as ``"true"`` or ``1``; a scope list as one space-separated string (RFC 6749 §3.3). Each converter reads them all
and fails closed where a wrong guess would grant something (``active``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["parse_datetime", "flag", "enum", "active", "meta_int", "tuple_of", "seconds", "secret_expiry",
           "audience"]

_ZERO = timedelta(0)


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601 / RFC 3339 date-time (``Z`` or offset) or epoch seconds → tz-aware UTC ``datetime``."""
    if value is None or value == "":
        return None
    if type(value) is str:  # the common case, first
        if value.isdigit():  # a NumericDate (RFC 7519 §2) sent as a string by a lax server
            return datetime.fromtimestamp(int(value), tz=UTC)
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:  # the API speaks UTC; a naive stamp is UTC
            return parsed.replace(tzinfo=UTC)
        return parsed if parsed.utcoffset() == _ZERO else parsed.astimezone(UTC)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=UTC)
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:  # the API speaks UTC; a naive stamp is UTC
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def flag(value: Any) -> bool | None:
    """A JSON boolean, tolerating the string and 0/1 spellings of lax servers; anything else is unknown (None)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None


def enum(value: Any) -> Any:
    """Enum values (client_type …) compare lower-case, as the wire API spells them."""
    return value.strip().lower() if isinstance(value, str) else value


def active(value: Any) -> bool:
    """RFC 7662 §2.2 ``active`` is a boolean; fail closed on anything else (``bool("false")`` would be True)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def meta_int(meta: dict[str, Any], name: str) -> int | None:
    value = meta.get(name)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError, OverflowError):  # OverflowError: int() of an Infinity the JSON parser read
        return None


def tuple_of(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, str):  # RFC 6749 §3.3 scope strings are space separated
        return tuple(value.split())
    return tuple(value)


def seconds(value: Any) -> int | None:
    """``expires_in`` as whole seconds, tolerating ``"3600"`` and ``3600.0``."""
    return int(float(value)) if value not in (None, "") else None


def secret_expiry(value: Any) -> datetime | None:
    """RFC 7591 §3.2.1 ``client_secret_expires_at``: 0 means "never"."""
    return parse_datetime(value) if value else None


def audience(value: Any) -> Any:
    """RFC 7662 §2.2 ``aud`` may be a list: shown space separated, like a scope."""
    return " ".join(value) if isinstance(value, list) else value
