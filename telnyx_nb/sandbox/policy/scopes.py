"""The scope catalog one sandbox publishes (docs/contract.md "Scope vocabulary").

By default it is Telnyx's published vocabulary: exactly one scope, ``admin`` ("Administrative access to Telnyx
resources"), for both the authorization-code and the client-credentials flows. Any other vocabulary is opt-in, for
people simulating a different or future server: ``Sandbox(scopes=…)`` or ``telnyx-nb sandbox --scopes`` /
``--scopes-file``. Such a catalog is marked ``custom``, and every scope in it that Telnyx does not publish is
labelled as not Telnyx's (the consent page, the start-up message, the ``--json`` line).

A catalog is given as one of:

- a list (or a space/comma-separated string) of names: ``["admin", "messaging"]``;
- a dict ``{name: description}``;
- a path (``pathlib.Path``, or a string ending in ``.json`` / ``.txt``) to a catalog file: JSON holding either of
  the two shapes above, or a text file with one scope a line, ``name`` then optional whitespace and a description
  (blank lines and lines starting with ``#`` are skipped).

The metadata document, the consent page and JSON, validation and the OpenAPI document all read the catalog held by
``SandboxConfig.scopes``: two sandboxes in one process can publish different catalogs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from telnyx_nb.core.errors import ArgumentTypeError, ConfigurationError

ADMIN = "admin"
# Telnyx's OAuth security scheme: the one scope it publishes, with its own description.
PUBLISHED: dict[str, str] = {ADMIN: "Administrative access to Telnyx resources"}
DISPLAY_NAMES = {ADMIN: "Admin"}  # the consent screen's title for a published scope; other scopes show their id
CUSTOM_DESCRIPTION = "A custom scope of this sandbox (not published by Telnyx)."
# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+")


@dataclass(frozen=True)
class ScopeCatalog:
    """The scopes a sandbox publishes, in order, each with a description; ``custom`` when not Telnyx's own."""

    descriptions: tuple[tuple[str, str], ...] = tuple(PUBLISHED.items())
    custom: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.descriptions)

    def __contains__(self, scope) -> bool:
        return scope in self.names

    def __iter__(self):
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.descriptions)

    @staticmethod
    def is_published(scope: str) -> bool:
        """Whether Telnyx publishes this scope (only ``admin``)."""
        return scope in PUBLISHED

    def describe(self, scope: str) -> dict:
        """The ``{id, name, description}`` object the consent endpoints show for one scope."""
        description = dict(self.descriptions).get(scope, "A scope this sandbox does not describe.")
        return {"id": scope, "name": DISPLAY_NAMES.get(scope, scope), "description": description}

    def unknown(self, scopes) -> list[str]:
        """Scopes not in the catalog, in the order given."""
        return [s for s in scopes if s not in self.names]

    def label(self) -> str:
        """How the start-up message names the catalog."""
        if not self.custom:
            return "Telnyx's published scopes (admin)"
        invented = [s for s in self.names if not self.is_published(s)]
        return (f"a custom catalog, not Telnyx's ({' '.join(self.names)}; "
                f"{len(invented)} not published by Telnyx)")


PUBLISHED_CATALOG = ScopeCatalog()


def _check_name(name, where: str) -> str:
    if not isinstance(name, str):
        raise ArgumentTypeError(f"scopes: each scope name must be a string; {where} is {name!r}")
    if not _SCOPE_TOKEN.fullmatch(name):
        raise ConfigurationError(f"scopes: {name!r} ({where}) is not a scope name: use visible ASCII without spaces, "
                                 "quotes or backslashes (RFC 6749 section 3.3), e.g. 'admin' or 'messaging:read'")
    return name


def _from_mapping(mapping: dict) -> tuple[tuple[str, str], ...]:
    entries = []
    for name, description in mapping.items():
        _check_name(name, "a key")
        if description is None or description == "":
            description = PUBLISHED.get(name, CUSTOM_DESCRIPTION)
        if not isinstance(description, str):
            raise ArgumentTypeError(f"scopes: the description of {name!r} must be a string; got {description!r}")
        entries.append((name, description))
    return tuple(entries)


def _from_names(names) -> tuple[tuple[str, str], ...]:
    checked = [_check_name(n, f"item {i}") for i, n in enumerate(names)]
    return _from_mapping({name: None for name in checked})


def _read_file(path: Path):
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"scopes: cannot read the catalog file {str(path)!r} ({exc.strerror or exc}); "
                                 "give a JSON or text catalog file that exists") from None
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except ValueError as exc:
            raise ConfigurationError(f"scopes: {str(path)!r} is not valid JSON ({exc}); write a list of names "
                                     'or an object {"name": "description"}') from None
    mapping = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, description = line.partition(" ") if " " in line else line.partition("\t")
            mapping[name.strip()] = description.strip() or None
    return mapping


def catalog_from(value) -> ScopeCatalog:
    """The catalog ``Sandbox(scopes=value)`` asks for (``None``: Telnyx's published one); see the module doc."""
    if value is None or isinstance(value, ScopeCatalog):
        return value or PUBLISHED_CATALOG
    if isinstance(value, Path) or (isinstance(value, str) and value.lower().endswith((".json", ".txt"))):
        value = _read_file(Path(value))
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if isinstance(value, dict):
        entries = _from_mapping(value)
    elif isinstance(value, (list, tuple)):
        entries = _from_names(value)
    else:
        raise ArgumentTypeError("scopes: give a list of names, a dict {name: description} or a catalog file path; "
                                f"got {type(value).__name__}")
    if not entries:
        raise ConfigurationError("scopes: the catalog is empty; name at least one scope (e.g. 'admin')")
    if len({n for n, _ in entries}) != len(entries):
        raise ConfigurationError("scopes: a scope name is listed twice; list each once")
    if entries == PUBLISHED_CATALOG.descriptions:
        return PUBLISHED_CATALOG
    return ScopeCatalog(entries, custom=True)
