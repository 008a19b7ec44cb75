"""The kinds of values the English works with, read from Python annotations.

A concept's field or a procedure's parameter is annotated with an ordinary
Python type; ``type_of`` reads it as a ``Type``: its kind (text, number, date
and time, ...), whether it may be missing, and for text the choices it is
limited to. Markers refine ``str`` inside ``Annotated``: ``Choices`` (a closed
set of words such as a status), ``Exact`` (compared with its case, as
identifiers are), and a ``Kind`` a book adds, which says how its values are
fitted, folded for comparison and described.

>>> import datetime as dt
>>> type_of(dt.datetime | None)
Type(kind=Kind.TIME, optional=True, choices=(), item=None, concept=None, exact=False, most=None)
>>> class Shouted(Kind):
...     def fit(self, value: Any) -> Any:
...         return value.upper()
>>> SHOUTED = Shouted("shouted word", refines=Kind.TEXT)
>>> loud = type_of(Annotated[str, SHOUTED])
>>> loud.kind is SHOUTED, loud.kind.textual, loud.describe(), loud.kind.fit("hi"), loud.fold("Hi")
(True, True, 'a shouted word', 'HI', 'hi')
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, ClassVar

from grammar import Op
from grammar.node import Record

__all__ = [
    "Choices",
    "Exact",
    "Hidden",
    "Kind",
    "Most",
    "Type",
    "type_of",
]


class Kind:
    """What a value is, as the English sees it, and how values of it behave.

    The built-in kinds are ``Kind.TEXT``, ``NUMBER``, ``TIME``, ``DATE``, ``FLAG``,
    ``LIST``, ``CONCEPT`` and ``ANY``. A book adds one by refining a built-in kind
    (``refines=Kind.TEXT``) and overriding what differs: ``fit`` (a written value
    made ready, or ``ValueError`` saying what to write), ``fold`` (a value as it
    compares), ``operators`` (those that apply, in the order they are shown); it
    marks a field with it: ``Annotated[str, KIND]``. Values of a kind compare
    as values of the built-in kind it refines, after ``fold``.
    """

    TEXT: ClassVar[Kind]
    NUMBER: ClassVar[Kind]
    TIME: ClassVar[Kind]
    DATE: ClassVar[Kind]
    FLAG: ClassVar[Kind]
    LIST: ClassVar[Kind]
    CONCEPT: ClassVar[Kind]
    ANY: ClassVar[Kind]

    __slots__ = ("article", "base", "constant", "name", "operators", "refines")

    def __init__(
        self,
        name: str,
        operators: Iterable[Op] | None = None,
        *,
        refines: Kind | None = None,
        article: str = "a",
        constant: str | None = None,
    ) -> None:
        if operators is None and refines is None:
            raise TypeError("a kind needs its operators, or a kind it refines")
        self.name = name  # in English: "date and time"
        self.refines = refines
        self.base: Kind = refines.base if refines is not None else self  # the built-in kind it is
        self.operators: tuple[Op, ...] = tuple(operators) if operators is not None else self.base.operators
        self.article = article
        self.constant = constant  # a built-in kind's name on ``Kind`` (``"TEXT"``): its repr, its pickle

    @property
    def textual(self) -> bool:
        """Whether its values are text: compared with ``is``, ``contains``, ... after ``fold``."""
        return self.base is Kind.TEXT

    def fit(self, value: Any) -> Any:
        """A written value, already of the built-in kind, made ready for this kind:
        ``ValueError`` with a message that says what to write when it cannot be."""
        return value if self.refines is None else self.refines.fit(value)

    def fold(self, value: Any) -> Any:
        """A value as it compares: text without its case, a value of an added kind
        in its one normal form."""
        return value if self.refines is None else self.refines.fold(value)

    def describe(self) -> str:
        """The kind in English, with its article: ``a date and time``, ``text``."""
        return f"{self.article} {self.name}" if self.article else self.name

    def __repr__(self) -> str:
        return f"Kind.{self.constant}" if self.constant else f"<Kind {self.name!r}>"

    def __reduce__(self) -> str | tuple[Any, ...]:
        return (getattr, (Kind, self.constant)) if self.constant else super().__reduce__()


class _Text(Kind):
    """Text: compared without regard to case."""

    __slots__ = ()

    def fold(self, value: Any) -> Any:
        return value.casefold()


_AMOUNTS = (Op.GREATER, Op.LESS, Op.AT_LEAST, Op.AT_MOST)  # numbers are greater or less
_TIMES = (Op.AFTER, Op.BEFORE, Op.ON_OR_AFTER, Op.ON_OR_BEFORE)  # days and times are after or before

Kind.TEXT = _Text(
    "text",
    (Op.IS, Op.ONE_OF, Op.CONTAINS, Op.STARTS_WITH, Op.ENDS_WITH, Op.EMPTY),
    article="",
    constant="TEXT",
)
Kind.NUMBER = Kind("number", (Op.IS, Op.ONE_OF, *_AMOUNTS, Op.BETWEEN, Op.EMPTY), constant="NUMBER")
Kind.TIME = Kind("date and time", (Op.IS, Op.ONE_OF, *_TIMES, Op.BETWEEN, Op.EMPTY), constant="TIME")
Kind.DATE = Kind("date", (Op.IS, Op.ONE_OF, *_TIMES, Op.BETWEEN, Op.EMPTY), constant="DATE")
Kind.FLAG = Kind("yes or no", (Op.IS, Op.EMPTY), constant="FLAG")
Kind.LIST = Kind("list", (Op.CONTAINS, Op.EMPTY), constant="LIST")
Kind.CONCEPT = Kind("concept", (Op.EMPTY,), constant="CONCEPT")
Kind.ANY = Kind("anything", tuple(Op), article="an", constant="ANY")


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


class Most:
    """Limits a list to so many items: ``Annotated[list[str], Most(10)]`` (Twilio's
    ten media URLs); a list written out with more is an error at the first too many."""

    def __init__(self, count: int) -> None:
        if count < 1:
            raise ValueError("a list may hold at least one item")
        self.count = count

    def __repr__(self) -> str:
        return f"Most({self.count})"


class Type(Record):
    """A value's type: its kind, whether it may be missing, the choices of a
    text, the item type of a list (and the most items it holds) and the class of
    a concept."""

    kind: Kind
    optional: bool = False
    choices: tuple[str, ...] = ()
    item: Type | None = None
    concept: type | None = None
    exact: bool = False
    most: int | None = None

    def describe(self) -> str:
        """The type in English: ``a date and time``, ``one of "sent" or "delivered"``."""
        if self.choices:
            quoted = [f'"{choice}"' for choice in self.choices]
            return "one of " + (
                ", ".join(quoted[:-1]) + " or " + quoted[-1] if len(quoted) > 1 else quoted[0]
            )
        if self.kind is Kind.LIST and self.item is not None:
            return f"a list of {self.item.describe().removeprefix('a ').removeprefix('an ')}"
        if self.kind is Kind.CONCEPT and self.concept is not None:
            return f"a {getattr(self.concept, 'english', self.concept.__name__)}"
        return self.kind.describe()

    def fold(self, value: Any) -> Any:
        """A value as it compares for this type: exact text as it is, others as
        their kind folds them (text without its case)."""
        return value if self.exact else self.kind.fold(value)


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
        most = next((marker.count for marker in markers if isinstance(marker, Most)), None)
        return Type(Kind.LIST, optional, item=item, most=most)
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
        if isinstance(marker, Kind) and marker.base is kind:
            kind = marker
        elif isinstance(marker, Exact) and kind is Kind.TEXT:
            exact = True
        elif isinstance(marker, Choices) and kind is Kind.TEXT:
            return Type(Kind.TEXT, optional, choices=marker.values)
    return Type(kind, optional, exact=exact)
