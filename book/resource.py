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
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

from book.errors import InvalidRequestError
from book.pushdown import Pushdown, Rule
from book.wire import API_VERSION, Page, Wire, format_rfc2822, is_twilio_form, parse_count, parse_rfc2822
from grammar.node import Record
from procedures import Concept

__all__ = ["COUNT", "DATE", "PRICE", "SAME", "Convert", "Resource"]

C = TypeVar("C", bound=Concept)

_UNREADABLE: Any = object()


class Convert(Record):
    """How one field is read from the wire (None: unreadable, kept as written)
    and written back; ``same``, when given, says cheaply whether writing the value
    back gives the raw text again (else ``write`` is asked)."""

    read: Callable[[Any], Any]
    write: Callable[[Any], Any]
    same: Callable[[Any, Any], bool] | None = None

    def written_as(self, value: Any, raw: Any) -> bool:
        """Whether ``value`` is written back as ``raw``."""
        if self.same is not None and value is not None and isinstance(raw, str):
            return self.same(raw, value)
        return bool(self.write(value) == raw)


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
    try:
        return parse_rfc2822(raw) if isinstance(raw, str) else _UNREADABLE
    except ValueError:
        return _UNREADABLE


def _text(value: Any) -> Any:
    return None if value is None else str(value)


def _rfc2822(value: Any) -> Any:
    return None if value is None else format_rfc2822(value)


SAME = Convert(_same, _same)
COUNT = Convert(_count, _text)  # "2" <-> 2
PRICE = Convert(_price, _text)  # "-0.00750" <-> Decimal
DATE = Convert(_date, _rfc2822, is_twilio_form)  # RFC 2822 <-> aware UTC datetime

_ABSENT = "__absent__"


def _default(factory: Any, default: Any) -> Callable[[], Any]:
    """A field's default, made anew each time when it has a factory (a fresh dict)."""
    return factory if factory is not None else lambda: default


def _builder(concept: type[C]) -> Callable[[dict[str, Any]], C]:
    """How to make a concept of values that already have their fields' types: as
    pydantic's ``model_construct`` does (no validation), without its generality
    (aliases, post-init), which a concept does not use; ``model_construct`` itself
    for one that does. Tests hold the result equal to a validated concept."""
    fields = concept.model_fields
    plain = (
        not concept.__pydantic_post_init__
        and concept.model_config.get("extra") != "allow"
        and not any(field.alias or field.validation_alias for field in fields.values())
    )
    if not plain:
        return lambda values: concept.model_construct(**values)
    defaults: dict[str, Callable[[], Any]] = {
        name: _default(field.default_factory, field.default) for name, field in fields.items()
    }
    setter = object.__setattr__

    def build(values: dict[str, Any]) -> C:
        item = concept.__new__(concept)
        whole = {name: values[name] if name in values else made() for name, made in defaults.items()}
        setter(item, "__dict__", whole)
        setter(item, "__pydantic_fields_set__", set(values))
        setter(item, "__pydantic_extra__", None)
        setter(item, "__pydantic_private__", None)
        return item

    return build


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
        self._build = _builder(concept)

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
        validation (``model_construct``); tests hold it equal to a validated one."""
        data = wire.to_json()
        fields: dict[str, Any] = {}
        kept: dict[str, Any] = {}
        for name, (key, convert) in self.fields.items():
            if key not in data:
                kept.setdefault(_ABSENT, []).append(key)
                continue
            raw = data.pop(key)
            if convert is SAME or raw is None:  # as it is: nothing to read, and written back the same
                fields[name] = raw
                continue
            value = convert.read(raw)
            if value is _UNREADABLE:
                kept[key] = raw
                continue
            fields[name] = value
            if not convert.written_as(value, raw):  # readable, but written differently: keep how it was
                kept[key] = raw
        fields["wire"] = {**data, **kept}
        return self._build(fields)

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

    def row(self, item: Concept) -> tuple[Any, ...]:
        """Its table row: the ``columns``' fields, dates in ISO 8601 with ``Z``."""
        return tuple(_shown(getattr(item, name)) for _, name in self.columns)


def _shown(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value
