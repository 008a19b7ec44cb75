"""A Twilio resource, declared once as data: where it lives, how it travels, what the English calls it.

Each resource of the book is one small module of ``book/resources/`` that
declares a ``Resource``: its path under the account and its sid pattern, its
wire model and the key of its list pages, its concept and the map between the
concept's fields and the wire's, its list filters and their pushdown rules, its
order and the columns a table shows. The API (api.py), both clients, the
reader, the planner, the command's tables and the sandbox's routes work from
it; nothing else in the book names a resource's paths or fields.

Converting to the concept loses nothing: whatever the concept cannot hold
exactly (``uri``, fields Twilio adds later, a value in an unusual form) is kept
in the concept's hidden ``wire`` field, so converting back gives the wire
resource as it was.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

from book.errors import InvalidRequestError
from book.pushdown import Pushdown, Rule
from book.wire import API_VERSION, Page, Wire, format_rfc2822, parse_count, read_rfc2822
from grammar.node import Record
from procedures import Concept

__all__ = ["COUNT", "DATE", "PRICE", "SAME", "Convert", "Resource"]

C = TypeVar("C", bound=Concept)

_UNREADABLE: Any = object()


class Convert(Record):
    """How one field is read from the wire (``_UNREADABLE``: kept as written) and
    written back. ``exact``, when given, does both at once, cheaply: the value read
    and whether writing it back gives the raw text again, or None when the raw
    value cannot be read. ``held``: what a text reads as is the same each time and
    cannot change (a number), so the last few hundred texts read are held."""

    read: Callable[[Any], Any]
    write: Callable[[Any], Any]
    exact: Callable[[Any], tuple[Any, bool] | None] | None = None
    held: bool = False


def _same(value: Any) -> Any:
    return value


def _count(raw: Any) -> Any:
    count = parse_count(raw)
    return _UNREADABLE if count is None else count


def _price(raw: Any) -> Any:
    try:
        value = Decimal(raw) if isinstance(raw, str) else _UNREADABLE
    except InvalidOperation:
        return _UNREADABLE
    return value if value is _UNREADABLE or value.is_finite() else _UNREADABLE


def _date(raw: Any) -> Any:
    found = read_rfc2822(raw)
    return _UNREADABLE if found is None else found[0]


def _text(value: Any) -> Any:
    return None if value is None else str(value)


def _rfc2822(value: Any) -> Any:
    return None if value is None else format_rfc2822(value)


SAME = Convert(_same, _same)
COUNT = Convert(_count, _text, held=True)  # "2" <-> 2
PRICE = Convert(_price, _text, held=True)  # "-0.00750" <-> Decimal
DATE = Convert(_date, _rfc2822, read_rfc2822)  # RFC 2822 <-> aware UTC datetime

_ABSENT = "__absent__"
_MISSING: Any = object()
HELD = 256  # texts a held conversion remembers, then forgets at once

Take = Callable[[Any], tuple[Any, bool] | None]


def _taking(convert: Convert) -> Take:
    """``convert`` as one call: a raw value -> (value, written back as raw?), or
    None when it cannot be read; what texts read as is held when ``convert.held``."""
    exact = convert.exact
    if exact is None:

        def exact(raw: Any) -> tuple[Any, bool] | None:
            value = convert.read(raw)
            return None if value is _UNREADABLE else (value, bool(convert.write(value) == raw))

    if not convert.held:
        return exact
    read, held = exact, dict[str, tuple[Any, bool] | None]()

    def remembered(raw: Any) -> tuple[Any, bool] | None:
        if type(raw) is not str:
            return read(raw)
        found: tuple[Any, bool] | None = held.get(raw, _MISSING)
        if found is _MISSING:
            if len(held) >= HELD:
                held.clear()
            found = held[raw] = read(raw)
        return found

    return remembered


def _default(factory: Any, default: Any) -> Callable[[], Any]:
    """A field's default, made anew each time when it has a factory (a fresh dict)."""
    return factory if factory is not None else lambda: default


def _plain(concept: type[Concept]) -> bool:
    """Whether a concept can be made by setting its ``__dict__`` (as pydantic's
    ``model_construct`` does): no aliases, post-init or extra fields."""
    return (
        not concept.__pydantic_post_init__
        and concept.model_config.get("extra") != "allow"
        and not any(field.alias or field.validation_alias for field in concept.model_fields.values())
    )


def _builder(concept: type[C]) -> Callable[[dict[str, Any], set[str]], C]:
    """How to make a concept of values that already have their fields' types, and
    the names of the fields set: as pydantic's ``model_construct`` does (no
    validation), without its generality, which a plain concept does not use
    (``model_construct`` itself for one that does); a field missing from the
    values gets its default. Tests hold the result equal to a validated concept."""
    if not _plain(concept):
        return lambda values, _: concept.model_construct(**values)
    defaults: dict[str, Callable[[], Any]] = {
        name: _default(field.default_factory, field.default) for name, field in concept.model_fields.items()
    }
    setter, every = object.__setattr__, len(defaults)

    def build(values: dict[str, Any], named: set[str]) -> C:
        item = concept.__new__(concept)
        if len(values) != every:
            values = {name: values[name] if name in values else made() for name, made in defaults.items()}
        setter(item, "__dict__", values)
        setter(item, "__pydantic_fields_set__", named)
        setter(item, "__pydantic_extra__", None)
        setter(item, "__pydantic_private__", None)
        return item

    return build


_AS_IS = (str, int, bool, type(None))  # what JSON mode writes as it is


def _copier(annotation: Any) -> Callable[[Any], Any] | None:
    """How a wire field's value is written in JSON mode, for the simple types a wire
    model uses: as it is (text, numbers, booleans, null), or a copy of a dict or
    list of those; None for any other type (pydantic's serializer writes it)."""
    if annotation in _AS_IS:
        return _same
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        found = {_copier(member) for member in typing.get_args(annotation)}
        if None in found:
            return None
        found.discard(_same)
        return _same if not found else found.pop() if len(found) == 1 else None
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (dict, list) and all(_copier(argument) is _same for argument in arguments):
        return _copy_dict if origin is dict else _copy_list
    return None


def _copy_dict(value: Any) -> Any:
    return dict(value) if type(value) is dict else value


def _copy_list(value: Any) -> Any:
    return list(value) if type(value) is list else value


class _Reading:
    """How one resource's wire items become concepts, worked out once: the concept's
    fields in order, each with its wire key and how it is read (``take``, None: as
    it is). ``from_json`` reads an item's JSON (``to_json()``); ``from_attributes``,
    when the wire model's fields are all of simple types, gives the same concept
    from the item's attributes, without writing its JSON: a function written out
    for the resource (as ``dataclasses`` writes ``__init__``), with no loop, that
    reads each field once and makes the concept without a second validation."""

    def __init__(self, wire: type[Wire], concept: type[C], fields: Mapping[str, tuple[str, Convert]]) -> None:
        order = list(concept.model_fields)
        named = sorted(fields.items(), key=lambda pair: order.index(pair[0]))
        self.steps = [
            (name, key, None if convert is SAME else _taking(convert)) for name, (key, convert) in named
        ]
        self.build = _builder(concept)
        self.from_attributes: Callable[[Wire], Any] | None = _direct(wire, concept, self.steps)

    def from_json(self, data: dict[str, Any]) -> Any:
        """The concept of an item's JSON (``to_json()``, which this takes apart)."""
        values: dict[str, Any] = {}
        kept: dict[str, Any] = {}
        for name, key, take in self.steps:
            if key not in data:
                kept.setdefault(_ABSENT, []).append(key)
                continue
            raw = data.pop(key)
            if take is None or raw is None:  # as it is: nothing to read, and written back the same
                values[name] = raw
                continue
            found = take(raw)
            if found is None:  # unreadable: kept as it was, the field left unset
                kept[key] = raw
                continue
            values[name], same = found
            if not same:  # readable, but written differently: keep how it was
                kept[key] = raw
        values["wire"] = {**data, **kept}
        return self.build(values, set(values))


Step = tuple[str, str, Take | None]


def _direct(wire: type[Wire], concept: type[Concept], steps: list[Step]) -> Callable[[Wire], Any] | None:
    """``from_json(item.to_json())`` as a function of the item's attributes, for an
    item whose declared fields are all set and whose extra values are written as
    they are (else it gives None); None when the wire model or the concept is not
    simple enough (a field of another type, a serializer, a concept field read
    from no wire key). Each step of ``from_json`` is a few lines of it, in order,
    so the concept's values and the wire values it keeps come out in the same order."""
    declared = wire.model_fields
    attribute = {info.alias or name: name for name, info in declared.items()}
    copies = {name: _copier(info.annotation) for name, info in declared.items()}
    decorators = wire.__pydantic_decorators__
    order = list(concept.model_fields)
    if not (
        _plain(concept)
        and order == [*(name for name, _, _ in steps), "wire"]
        and all(key in attribute for _, key, _ in steps)
        and None not in copies.values()
        and all(info.serialization_alias in (None, info.alias) for info in declared.values())
        and not (decorators.field_serializers or decorators.model_serializers or wire.model_computed_fields)
    ):
        return None
    space: dict[str, Any] = {
        "_AS_IS": _AS_IS,
        "concept": concept,
        "new": concept.__new__,
        "setter": object.__setattr__,
        "every": {*order},
    }

    def read(key: str) -> str:  # the expression of a wire value, as JSON mode writes it
        name = attribute[key]
        copy = copies[name]
        if copy is _same:
            return f"a[{name!r}]"
        space[f"copy_{name}"] = copy
        return f"copy_{name}(a[{name!r}])"

    mapped = {key for _, key, _ in steps}
    rest = ", ".join(f"{key!r}: {read(key)}" for key in attribute if key not in mapped)
    lines = [
        "def from_attributes(item):",
        "    extra = item.__pydantic_extra__",
        f"    if len(item.__pydantic_fields_set__) != {len(declared)} + (len(extra) if extra else 0):",
        "        return None",
        "    if extra and not all(type(value) in _AS_IS for value in extra.values()):",
        "        return None",
        "    a = item.__dict__",
        f"    kept = {{{rest}}}",
        "    if extra:",
        "        kept.update(extra)",
        "    unread = None",
    ]
    values = []
    for number, (name, key, take) in enumerate(steps):
        if take is None:
            values.append(f"{name!r}: {read(key)}")
            continue
        field = concept.model_fields[name]
        space[f"take_{number}"] = take
        space[f"default_{number}"] = _default(field.default_factory, field.default)
        values.append(f"{name!r}: v{number}")
        lines += [
            f"    raw = {read(key)}",
            "    if raw is None:",
            f"        v{number} = None",
            f"    elif (found := take_{number}(raw)) is None:  # unreadable: kept, the field left unset",
            f"        kept[{key!r}] = raw",
            f"        v{number} = default_{number}()",
            f"        unread = (unread or set()) | {{{name!r}}}",
            "    else:",
            f"        v{number}, same = found",
            "        if not same:  # readable, but written differently: keep how it was",
            f"            kept[{key!r}] = raw",
        ]
    lines += [
        "    made = new(concept)  # as _builder's build does",
        f"    setter(made, '__dict__', {{{', '.join(values)}, 'wire': kept}})",
        "    setter(made, '__pydantic_fields_set__', every - unread if unread else every.copy())",
        "    setter(made, '__pydantic_extra__', None)",
        "    setter(made, '__pydantic_private__', None)",
        "    return made",
    ]
    exec("\n".join(lines), space)  # noqa: S102 - the code is written above, of names and keys the resource declares
    function: Callable[[Wire], Any] = space["from_attributes"]
    return function


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class Resource(Generic[C]):
    """One Twilio resource of the 2010 API (see the module's docstring).

    ``path``: below ``/2010-04-01/Accounts/{AccountSid}/``, without ``.json``;
    a resource under another names its parent's sid ``{parent}``
    (``Messages/{parent}/Media``). ``fields``: concept field -> (wire key,
    conversion). ``filters``: the list filters Twilio takes (any other is refused,
    since Twilio would ignore it silently). ``rules``: how the English's filters
    are pushed down to them, by field (book/pushdown.py; none: Twilio filters
    nothing the English can name), which with the nouns make its ``pushdown``. ``order``: the fields that order a list, newest first,
    as Twilio does. ``columns``: (heading, concept field) of a table, headed with
    the English's names for the fields, whose ``title`` counts them (``1 SMS
    message``, ``3 SMS messages``). ``drop``: the columns' fields in the order
    they are left out of a table too wide for the terminal (any other column is
    always shown). ``shorten``: field -> the fewest cells of a column of free
    text that is cut with an ellipsis to fit (any other column is shown whole:
    ids, numbers, statuses and dates are never cut).
    """

    def __init__(
        self,
        *,
        noun: str,
        plural: str,
        path: str,
        sid: str,
        wire: type[Wire],
        page: type[Page],
        key: str,
        concept: type[C],
        fields: Mapping[str, tuple[str, Convert]],
        filters: tuple[str, ...] = (),
        rules: Mapping[str, Rule] | None = None,
        order: tuple[str, ...] = (),
        columns: tuple[tuple[str, str], ...] = (),
        drop: tuple[str, ...] = (),
        shorten: Mapping[str, int] | None = None,
        parent: Resource[Any] | None = None,
        title: tuple[str, str] | None = None,
    ) -> None:
        self.noun, self.plural = noun, plural
        self.title = title or (noun, plural)
        self.path = path
        self.sid = re.compile(sid)
        self.wire, self.page, self.key = wire, page, key
        self.concept = concept
        self.fields = dict(fields)
        self.filters = filters
        self.pushdown = Pushdown(noun, plural, dict(rules or {}))
        self.order = order
        self.columns = columns
        self.drop = drop
        self.shorten = dict(shorten or {})
        self.parent = parent
        self._by_wire = {wire_key: name for name, (wire_key, _) in self.fields.items()}
        self._reading = _Reading(wire, concept, self.fields)
        self._direct = self._reading.from_attributes

    def __repr__(self) -> str:
        return f"Resource({self.plural})"

    # ------------------------------------------------------------- paths

    def collection(self, account: str, parent: str | None = None) -> str:
        """The list's path: ``/2010-04-01/Accounts/AC.../Messages.json``."""
        return f"/{API_VERSION}/Accounts/{account}/{self._below(parent)}.json"

    def one(self, account: str, sid: str, parent: str | None = None) -> str:
        """One item's path, its sid checked: ``.../Messages/SM....json``."""
        if not self.sid.fullmatch(sid):
            raise InvalidRequestError(f"{sid!r} is not a {self.noun} sid: {self.sid_words()}")
        return f"/{API_VERSION}/Accounts/{account}/{self._below(parent)}/{sid}.json"

    def sid_words(self) -> str:
        """The sid's form in words: ``SM or MM followed by 32 hexadecimal digits``."""
        prefixes = re.findall(r"[A-Z]{2}", self.sid.pattern.split("[", 1)[0])
        return f"{' or '.join(prefixes)} followed by 32 hexadecimal digits"

    def _below(self, parent: str | None) -> str:
        if "{parent}" not in self.path:
            return self.path
        if self.parent is None or parent is None:
            owner = self.parent.noun if self.parent else "item"
            raise InvalidRequestError(
                f"the {self.plural} of which {owner}? Give its sid", hint=f"Pass parent=, the {owner}'s sid."
            )
        if not self.parent.sid.fullmatch(parent):
            raise InvalidRequestError(
                f"{parent!r} is not a {self.parent.noun} sid: {self.parent.sid_words()}"
            )
        return self.path.replace("{parent}", parent)

    # ------------------------------------------------------- conversions

    def items(self, page: Page) -> list[Wire]:
        """The items of one of its list pages."""
        found: list[Wire] = getattr(page, self.key)
        return found

    def field_named(self, wire_key: str) -> str | None:
        """The concept's field that a wire key is read into (``from``: ``sender_number``)."""
        return self._by_wire.get(wire_key)

    def from_wire(self, wire: Wire) -> C:
        """The concept of a wire item; nothing is lost (see the module's docstring).

        Each value is converted to the type of its field (the wire model has
        checked the types it reads), so the concept is built without a second
        validation; tests hold it equal to a validated one, and the direct reading
        of an item's attributes equal to the reading of its JSON."""
        direct = self._direct
        made: C | None = direct(wire) if direct is not None else None
        return made if made is not None else self._reading.from_json(wire.to_json())

    def to_wire(self, item: C) -> Wire:
        """The wire item of a concept; the inverse of ``from_wire``."""
        kept = dict(getattr(item, "wire", {}))
        absent = set(kept.pop(_ABSENT, ()))
        data = {
            key: convert.write(getattr(item, name))
            for name, (key, convert) in self.fields.items()
            if key not in absent
        }
        data.update(kept)
        return self.wire.model_validate(data)

    def order_key(self, item: Concept) -> tuple[dt.datetime, str]:
        """Where an item stands in Twilio's order (sorted descending: newest first):
        the first of its ``order`` dates that it has, to the second, then its key."""
        moment = next((value for name in self.order if (value := getattr(item, name)) is not None), _EPOCH)
        return (moment.replace(microsecond=0), getattr(item, type(item).key or "", None) or "")

    def counted(self, count: int) -> str:
        """``1 SMS message``, ``3 SMS messages``: a table's title."""
        return f"{count:,} {self.title[0] if count == 1 else self.title[1]}"
