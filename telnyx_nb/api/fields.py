"""The declarative record: fields declare how they are read from JSON (``json_field(converter)``) and whether they
are secret (``json_field(secret=True)``); one :meth:`Record.from_json` reads them all and one ``repr`` masks the
secrets. The wire API's records (:mod:`telnyx_nb.api.records`) are subclasses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telnyx_nb.errors import APIError
from telnyx_nb.masking import mask, remember

__all__ = ["Record", "json_field", "REQUIRED", "all_secret_fields", "malformed"]

REQUIRED: Any = dataclasses.MISSING  # ``json_field(default=REQUIRED)``: the answer must carry the field


def json_field(convert: Callable[[Any], Any] | None = None, *, default: Any = None, secret: bool = False,
               local: bool = False, **options: Any) -> Any:
    """Declare how a record field is read from JSON: ``convert(value)`` (value absent → ``default``, then
    converted), ``secret`` (masked in reprs, by ``mask_text`` and in the panels) and ``local`` (not on the wire:
    set by the caller, e.g. a consent's token from the URL). Other ``dataclasses.field`` options pass through."""
    metadata = {"json": convert, "secret": secret, "local": local}
    if "default_factory" in options:
        return field(metadata=metadata, **options)
    return field(default=default, metadata=metadata, **options)


def malformed(name: str, problem: str) -> APIError:
    """The typed error of an answer that is not the object the contract promises, naming it and the problem."""
    return APIError(f"the server's answer is not a valid {name}: {problem}")


# Per record class: (name, converter or None, default or REQUIRED) of each field read from JSON, then
# (name, default_factory or None, default) of each field that is not (``raw`` aside).
_Plan = tuple[tuple[tuple[str, Callable[[Any], Any] | None, Any], ...], tuple[tuple[str, Any, Any], ...]]
_plans: dict[type, _Plan] = {}
_secrets: dict[type, frozenset[str]] = {}


@dataclass(frozen=True, kw_only=True, repr=False)
class Record:
    """Base: one JSON decoder driven by the fields' ``json_field()`` declarations, and a ``repr`` that masks the
    secret fields and leaves ``raw`` out."""

    raw: dict[str, Any] = json_field(default_factory=dict, compare=False, local=True)

    @classmethod
    def secret_fields(cls) -> frozenset[str]:
        """Names of this record's fields declared ``json_field(secret=True)``."""
        names = _secrets.get(cls)
        if names is None:
            names = _secrets[cls] = frozenset(f.name for f in dataclasses.fields(cls) if f.metadata.get("secret"))
        return names

    @classmethod
    def _plan(cls) -> _Plan:
        plan = _plans.get(cls)
        if plan is None:
            fields = [f for f in dataclasses.fields(cls) if f.name != "raw"]
            plan = _plans[cls] = (
                tuple((f.name, f.metadata.get("json"), f.default) for f in fields if not f.metadata.get("local")),
                tuple((f.name, None if f.default_factory is dataclasses.MISSING else f.default_factory, f.default)
                      for f in fields if f.metadata.get("local")),
            )
        return plan

    @classmethod
    def from_json(cls, data: Any, **local: Any) -> Any:
        """Build the record from a JSON object: each field's converter reads its value (absent → the field's
        default), fields without a default must be present, unknown fields stay in ``raw`` only. ``local`` sets
        fields that are not on the wire. A malformed answer is an :class:`APIError` naming the record and field.
        The values of secret fields are registered with ``masking.remember``.

        The frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``; filling ``__dict__``
        in one call is ~4x cheaper, which matters for a page of 100 grants. The result is the same immutable
        record (``__setattr__`` still refuses changes).
        """
        if not isinstance(data, dict):
            raise malformed(cls.__name__, f"expected a JSON object, got {type(data).__name__}")
        from_wire, not_on_wire = cls._plan()
        values: dict[str, Any] = {"raw": data, **local}
        name = ""
        try:
            for name, convert, default in from_wire:
                value = data.get(name, default)
                if value is REQUIRED:
                    raise malformed(cls.__name__, f"field {name!r} is missing")
                values[name] = value if convert is None else convert(value)
        except (TypeError, ValueError, AttributeError) as exc:
            raise malformed(cls.__name__, f"field {name!r}: {exc}") from exc
        for name, factory, default in not_on_wire:  # those the caller did not give (e.g. TokenResponse.received_at)
            if name not in values:
                values[name] = factory() if factory is not None else default
        secret = cls.secret_fields()
        if secret:  # a secret the server sent is masked in every later log line and message, whoever prints it
            remember(*(values[name] for name in secret))
        record = object.__new__(cls)
        record.__dict__.update(values)
        return record

    def __repr__(self) -> str:
        secret = self.secret_fields()
        parts = []
        for f in dataclasses.fields(self):
            if f.name == "raw" or not f.repr:
                continue
            value = getattr(self, f.name)
            shown = mask(value) if (f.name in secret and value is not None) else repr(value)
            parts.append(f"{f.name}={shown}")
        return f"{type(self).__name__}({', '.join(parts)})"

    __str__ = __repr__

    def to_dict(self) -> dict[str, Any]:
        """Fields as a plain dict (secrets included: for programmatic use, not for display)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "raw"}


def all_secret_fields() -> frozenset[str]:
    """Every field some record class (of those defined so far) declares secret."""
    names: set[str] = set()
    todo = [Record]
    while todo:
        cls = todo.pop()
        names |= cls.secret_fields()
        todo += cls.__subclasses__()
    return frozenset(names)
