"""The declarative record: fields declare how they are read from JSON (``json_field(converter)``) and whether they
are secret (``json_field(secret=True)``); one :meth:`Record.from_json` reads them all and one ``repr`` masks the
secrets. The wire API's records (:mod:`telnyx_nb.core.records`) are subclasses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self, TypeVar, dataclass_transform

from telnyx_nb.core.errors import APIError
from telnyx_nb.core.masking import mask, register_secret_names, remember

__all__ = ["Record", "record", "json_field", "REQUIRED", "all_secret_fields", "malformed"]

T = TypeVar("T")
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


# Per record class: its generated decoder, (name, converter or None, default or REQUIRED) of each field read from
# JSON (walked only to name the field of a malformed answer) and the names of its secret fields.
_Plan = tuple[Callable[[dict[str, Any]], dict[str, Any]], tuple[tuple[str, Callable[[Any], Any] | None, Any], ...],
              frozenset[str]]
_plans: dict[type, _Plan] = {}
_secrets: dict[type, frozenset[str]] = {}


def _decoder(cls: type[Record]) -> _Plan:
    """Generate ``decode(data) -> values`` for ``cls``: one dict display reading each field as declared, as
    ``dataclasses`` generates ``__init__`` — a loop over the fields costs ~30% more per record."""
    env: dict[str, Any] = {}
    items, from_wire = ['"raw": data'], []
    for i, f in enumerate(dataclasses.fields(cls)):
        if f.name == "raw":
            continue
        env[f"c{i}"], env[f"d{i}"], env[f"f{i}"] = f.metadata.get("json"), f.default, f.default_factory
        if f.metadata.get("local"):  # not on the wire: its default, unless the caller gives it
            expr = f"f{i}()" if f.default_factory is not dataclasses.MISSING else f"d{i}"
        else:
            from_wire.append((f.name, f.metadata.get("json"), f.default))
            expr = f"data[{f.name!r}]" if f.default is REQUIRED else f"get({f.name!r}, d{i})"
            expr = f"c{i}({expr})" if f.metadata.get("json") else expr
        items.append(f"{f.name!r}: {expr}")
    source = "def decode(data):\n    get = data.get\n    return {" + ", ".join(items) + "}\n"
    exec(source, env)  # the source holds only the names and reprs of the class's own fields
    return env["decode"], tuple(from_wire), cls.secret_fields()


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
            plan = _plans[cls] = _decoder(cls)
        return plan

    @classmethod
    def from_json(cls, data: Any, **local: Any) -> Self:
        """Build the record from a JSON object: each field's converter reads its value (absent → the field's
        default), fields without a default must be present, unknown fields stay in ``raw`` only. ``local`` sets
        fields that are not on the wire. A malformed answer is an :class:`APIError` naming the record and field.
        The values of secret fields are registered with ``masking.remember``.

        The frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``; filling ``__dict__``
        in one call (from the generated decoder's dict) is ~4x cheaper, which matters for a page of 100 grants.
        The result is the same immutable record (``__setattr__`` still refuses changes).
        """
        if not isinstance(data, dict):
            raise malformed(cls.__name__, f"expected a JSON object, got {type(data).__name__}")
        decode, from_wire, secret = cls._plan()
        # ArithmeticError: int() of an Infinity the JSON parser let through is an OverflowError
        try:
            values = decode(data)
        except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
            name = ""
            try:  # field by field, to say which one is wrong
                for name, convert, default in from_wire:
                    if default is REQUIRED and name not in data:
                        raise malformed(cls.__name__, f"field {name!r} is missing") from exc
                    if convert is not None:
                        convert(data.get(name, default))
            except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as field_exc:
                raise malformed(cls.__name__, f"field {name!r}: {field_exc}") from field_exc
            raise malformed(cls.__name__, str(exc)) from exc
        if local:
            values.update(local)
        for name in secret:  # a secret the server sent is masked in every later log line and message
            if values[name]:
                remember(values[name])
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


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(field, json_field))
def record(cls: type[T]) -> type[T]:
    """Make a :class:`Record` subclass a frozen, keyword-only dataclass (``repr`` is Record's, masked) and register
    its secret field names with :mod:`telnyx_nb.core.masking`."""
    cls = dataclass(frozen=True, kw_only=True, repr=False)(cls)
    register_secret_names(*cls.secret_fields())  # type: ignore[attr-defined]
    return cls


def all_secret_fields() -> frozenset[str]:
    """Every field some record class (of those defined so far) declares secret."""
    names: set[str] = set()
    todo = [Record]
    while todo:
        cls = todo.pop()
        names |= cls.secret_fields()
        todo += cls.__subclasses__()
    return frozenset(names)
