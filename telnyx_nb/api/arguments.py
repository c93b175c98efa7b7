"""Checks of a caller's arguments, made before any request so a mistake never reaches the server."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from telnyx_nb.core.errors import ConfigurationError

__all__ = ["required", "names", "segment"]


def required(value: Any, name: str, message: str) -> None:
    """Refuse a missing or non-string argument before any request, naming it."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{message} (got {name}={value!r})" if value not in (None, "") else message)


def names(value: Any, name: str) -> list[str]:
    """A list of names from a list/tuple, or from one space-separated string (as RFC 6749 §3.3 writes scopes),
    so ``allowed_scopes="admin"`` means ``["admin"]`` and never ``["a", "d", …]``."""
    if isinstance(value, str):
        return value.split()
    if not isinstance(value, (list, tuple, set, frozenset)) or not all(isinstance(v, str) for v in value):
        raise ConfigurationError(f"{name} must be a list of strings (or one space-separated string), got {value!r}")
    return list(value)


def segment(value: str, name: str) -> str:
    """A path segment from an id, refusing values that would change the path."""
    if not isinstance(value, str) or not value.strip() or "/" in value or value in (".", ".."):
        raise ConfigurationError(f"{name} must be a non-empty id without '/', got {value!r}")
    return quote(value, safe="")
