"""The kinds of values the English works with, read from Python annotations.

A concept's field or a procedure's parameter is annotated with an ordinary
Python type; ``type_of`` reads it as a ``Type``: its kind (text, phone number,
number, date and time, ...), whether it may be missing, and for text the
choices it is limited to. Markers refine ``str`` inside ``Annotated``:
``PhoneNumber`` (compared and sent in E.164), ``Choices`` (a closed set of
words such as a status) and ``Exact`` (compared with its case, as identifiers are).

>>> import datetime as dt
>>> type_of(dt.datetime | None)
Type(kind=<Kind.TIME: 'date and time'>, optional=True, choices=(), item=None, concept=None, exact=False)
>>> type_of(PhoneNumber).kind
<Kind.PHONE: 'phone number'>
>>> normalise_phone("+1 (415) 555-0100")
'+14155550100'
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

from grammar.node import Record

__all__ = [
    "Choices",
    "Exact",
    "Hidden",
    "Kind",
    "Phone",
    "PhoneNumber",
    "Type",
    "normalise_phone",
    "type_of",
]


class Kind(Enum):
    """What a value is, as the English sees it."""

    TEXT = "text"
    PHONE = "phone number"
    NUMBER = "number"
    TIME = "date and time"
    DATE = "date"
    FLAG = "yes or no"
    LIST = "list"
    CONCEPT = "concept"
    ANY = "anything"


class Phone:
    """Marks ``str`` as a phone number: ``Annotated[str, Phone()]`` (see ``PhoneNumber``)."""

    def __repr__(self) -> str:
        return "Phone()"


class Hidden:
    """Keeps a concept's field out of the English: ``Annotated[dict[str, str], Hidden()]``.

    The field is part of the record (its equality, its copies) but no filter,
    possessive or vocabulary names it: for what only the machinery needs."""

    def __repr__(self) -> str:
        return "Hidden()"


class Exact:
    """Makes text compare exactly, case included: ``Annotated[str, Exact()]``, for
    identifiers such as sids, which differ when only their case differs."""

    def __repr__(self) -> str:
        return "Exact()"


class Choices:
    """Limits text to a closed set of words: ``Annotated[str, Choices("sent", "delivered")]``."""

    def __init__(self, *values: str) -> None:
        self.values = values

    def __repr__(self) -> str:
        return f"Choices{self.values!r}"


PhoneNumber = Annotated[str, Phone()]


class Type(Record):
    """A value's type: its kind, whether it may be missing, the choices of a
    text, the item type of a list and the class of a concept."""

    kind: Kind
    optional: bool = False
    choices: tuple[str, ...] = ()
    item: Type | None = None
    concept: type | None = None
    exact: bool = False

    def describe(self) -> str:
        """The type in English: ``a phone number``, ``one of "sent" or "delivered"``."""
        if self.choices:
            quoted = [f'"{choice}"' for choice in self.choices]
            return "one of " + (
                ", ".join(quoted[:-1]) + " or " + quoted[-1] if len(quoted) > 1 else quoted[0]
            )
        if self.kind is Kind.LIST and self.item is not None:
            return f"a list of {self.item.describe().removeprefix('a ').removeprefix('an ')}"
        if self.kind is Kind.CONCEPT and self.concept is not None:
            return f"a {getattr(self.concept, 'english', self.concept.__name__)}"
        article = "an" if self.kind in (Kind.ANY,) else "a"
        return "text" if self.kind is Kind.TEXT else f"{article} {self.kind.value}"


_SCALARS: dict[Any, Kind] = {
    str: Kind.TEXT,
    int: Kind.NUMBER,
    float: Kind.NUMBER,
    Decimal: Kind.NUMBER,
    dt.datetime: Kind.TIME,
    dt.date: Kind.DATE,
    bool: Kind.FLAG,
    typing.Any: Kind.ANY,
    object: Kind.ANY,
}
_LISTS = (list, tuple, Sequence, Iterable, Iterator)


def type_of(annotation: Any) -> Type:
    """The ``Type`` of a Python annotation; ``TypeError`` for one the English cannot use."""
    optional = False
    markers: tuple[Any, ...] = ()
    if isinstance(annotation, (str, typing.ForwardRef)):
        name = annotation if isinstance(annotation, str) else annotation.__forward_arg__
        raise TypeError(f"the annotation {name!r} could not be resolved: import it at the module's top level")
    if typing.get_origin(annotation) is Annotated:
        annotation, *extra = typing.get_args(annotation)
        markers = tuple(extra)
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [member for member in typing.get_args(annotation) if member is not type(None)]
        optional = len(members) < len(typing.get_args(annotation))
        if len(members) != 1:
            raise TypeError(f"{annotation!r} mixes several types; the English needs one")
        member: Any = Annotated[(members[0], *markers)] if markers else members[0]
        inner = type_of(member)
        return inner.replace(optional=True) if optional else inner
    if origin is not None and (origin in _LISTS or origin.__name__ in ("list", "tuple")):
        arguments = [argument for argument in typing.get_args(annotation) if argument is not Ellipsis]
        item = type_of(arguments[0]) if arguments else Type(Kind.ANY)
        return Type(Kind.LIST, optional, item=item)
    if origin is typing.Literal:
        return Type(Kind.TEXT, optional, choices=tuple(str(value) for value in typing.get_args(annotation)))
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return Type(Kind.TEXT, optional, choices=tuple(str(member.value) for member in annotation))
    if (
        isinstance(annotation, type)
        and hasattr(annotation, "model_fields")
        and hasattr(annotation, "english")
    ):
        return Type(Kind.CONCEPT, optional, concept=annotation)
    kind = _SCALARS.get(annotation)
    if kind is None:
        raise TypeError(f"{annotation!r} is not a type the English can use")
    exact = False
    for marker in markers:
        if isinstance(marker, Phone) and kind is Kind.TEXT:
            kind = Kind.PHONE
        elif isinstance(marker, Exact) and kind is Kind.TEXT:
            exact = True
        elif isinstance(marker, Choices) and kind is Kind.TEXT:
            return Type(Kind.TEXT, optional, choices=marker.values)
    return Type(kind, optional, exact=exact)


# ----------------------------------------------------------- phone numbers

_SENDER_ID = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")
_SHORT_CODE = re.compile(r"\d{3,8}")


def normalise_phone(text: str) -> str:
    """A phone number in E.164; sender ids, short codes and channel addresses as given.

    ``ValueError`` for an impossible number, with a message that says what to write.

    >>> normalise_phone("whatsapp:+14155550100"), normalise_phone("ACME"), normalise_phone("12345")
    ('whatsapp:+14155550100', 'ACME', '12345')
    """
    value = text.strip()
    if ":" in value or _SENDER_ID.fullmatch(value) or _SHORT_CODE.fullmatch(value):
        return value
    if not value.startswith("+"):
        raise ValueError(
            f"{text!r} is not a phone number in international form: start it with + and the country code"
        )
    import phonenumbers  # its metadata is loaded only when a number is first read

    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"{text!r} is not a phone number: {exc._msg}") from exc
    if not phonenumbers.is_possible_number(number):
        raise ValueError(f"{text!r} is not a possible phone number: it has the wrong number of digits")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
