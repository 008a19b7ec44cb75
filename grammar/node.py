"""Immutable records for the tree: dataclass-like, but cheap to declare.

A subclass of ``Record`` gets ``__slots__``, an ``__init__``, equality,
hashing, a structural ``repr``, ``__match_args__`` and a ``replace`` method from
its annotations, and refuses mutation. It exists because the standard
``dataclasses`` takes about half a millisecond to declare each class, and the
tree's thirty classes are declared on every ``import grammar``; this takes a
tenth of that. Type checkers see it as a dataclass (PEP 681).

>>> class Point(Record):
...     x: int
...     y: int = 0
>>> Point(1)
Point(x=1, y=0)
>>> Point(1) == Point(1, 0), Point(1).replace(y=2)
(True, Point(x=1, y=2))
>>> Point(1).x = 5
Traceback (most recent call last):
...
AttributeError: Point is immutable: use .replace(x=...) for a changed copy
"""

from __future__ import annotations

from typing import Any, ClassVar, Self, dataclass_transform

__all__ = ["Record", "attribute"]


class _Attribute:
    """How one field behaves: its default, whether it is keyword-only and compared."""

    __slots__ = ("compare", "default", "kw_only")

    def __init__(self, default: Any, kw_only: bool, compare: bool) -> None:
        self.default = default
        self.kw_only = kw_only
        self.compare = compare


def attribute(*, default: Any, kw_only: bool = False, compare: bool = True) -> Any:
    """A field with options: ``span: Span | None = attribute(default=None, kw_only=True, compare=False)``."""
    return _Attribute(default, kw_only, compare)


_NO_DEFAULT = _Attribute(None, False, True)


@dataclass_transform(frozen_default=True, field_specifiers=(attribute,))
class RecordType(type):
    """The metaclass of records: reads the annotations and writes the class's methods."""

    _attributes: dict[str, _Attribute]
    _compared: tuple[str, ...]

    def __new__(
        mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any
    ) -> RecordType:
        own: dict[str, _Attribute] = {}
        for field, annotation in namespace.get("__annotations__", {}).items():
            if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
                continue
            default = namespace.pop(field, _NO_DEFAULT)
            own[field] = default if isinstance(default, _Attribute) else _Attribute(default, False, True)
        namespace["__slots__"] = tuple(own)
        cls = super().__new__(mcs, name, bases, namespace, **kwargs)
        attributes: dict[str, _Attribute] = {}
        for base in reversed(cls.__mro__[1:]):
            attributes.update(getattr(base, "_attributes", {}))
        attributes.update(own)
        cls._attributes = attributes
        cls._compared = tuple(field for field, spec in attributes.items() if spec.compare)
        type.__setattr__(
            cls, "__match_args__", tuple(field for field, spec in attributes.items() if not spec.kw_only)
        )
        type.__setattr__(cls, "__init__", _make_init(cls, attributes))
        return cls


def _make_init(cls: type, attributes: dict[str, _Attribute]) -> Any:
    """An ``__init__`` written out for ``cls``'s fields, faster than a dataclass's:
    each field is stored by its slot's own setter, which skips the look-up by name
    (and the refusal) of ``__setattr__``."""
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    scope: dict[str, Any] = {
        "_defaults": {field: spec.default for field, spec in attributes.items() if spec is not _NO_DEFAULT},
    }
    for number, (field, spec) in enumerate(attributes.items()):
        parameter = field if spec is _NO_DEFAULT else f"{field}=_defaults[{field!r}]"
        (keyword if spec.kw_only else positional).append(parameter)
        scope[f"_set{number}"] = _slot(cls, field).__set__
        body.append(f"    _set{number}(self, {field})")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    parameters = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    source = f"def __init__({parameters}):\n" + ("\n".join(body) or "    pass")
    exec(source, scope)  # noqa: S102 - the source is built from the class's own field names
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def _slot(cls: type, field: str) -> Any:
    """The descriptor of ``field``'s slot, on the class that declares it."""
    for klass in cls.__mro__:
        if field in klass.__dict__:
            return klass.__dict__[field]
    raise TypeError(f"{cls.__name__} has no slot for {field}")  # pragma: no cover - every field has one


class Record(metaclass=RecordType):
    """An immutable record; see the module's docstring."""

    _attributes: ClassVar[dict[str, _Attribute]]
    _compared: ClassVar[tuple[str, ...]]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(
            f"{type(self).__name__} is immutable: use .replace({name}=...) for a changed copy"
        )

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _key(self) -> tuple[Any, ...]:
        return tuple(getattr(self, field) for field in self._compared)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((type(self), self._key()))

    def __repr__(self) -> str:
        shown = (field for field, spec in self._attributes.items() if spec.compare)
        return f"{type(self).__name__}({', '.join(f'{field}={getattr(self, field)!r}' for field in shown)})"

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed: ``node.replace(negated=True)``."""
        values = {field: getattr(self, field) for field in self._attributes}
        unknown = set(changes) - set(values)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {', '.join(sorted(unknown))}")
        values.update(changes)
        keyword = {field for field, spec in self._attributes.items() if spec.kw_only}
        return type(self)(
            *(value for field, value in values.items() if field not in keyword),
            **{field: values[field] for field in keyword},
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), {field: getattr(self, field) for field in self._attributes}))


def _rebuild(cls: type[Record], values: dict[str, Any]) -> Record:
    record = object.__new__(cls)
    for field, value in values.items():
        object.__setattr__(record, field, value)
    return record
