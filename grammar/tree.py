"""The tree of the English: one immutable node type per idea.

Every node is an immutable record (see node.py). Where it came from in the source travels in
``span``, which takes no part in equality, so two sentences that mean the same
thing give equal trees. ``str(node)`` is canonical English (see render.py) that
parses back to an equal node; ``repr(node)`` shows the structure.

>>> from grammar import parse_filter
>>> tree = parse_filter('sender number is "+15005550006" and price is less than -0.5')
>>> tree.parts[1]
Comparison(subject=NounPhrase(words=('price',)), op=<Op.LESS: 'less'>, values=(Number(value=Decimal('-0.5')),), negated=False)
>>> str(tree)
'sender number is "+15005550006" and price is less than -0.5'
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from enum import Enum

from grammar.limits import check_moment, check_number
from grammar.node import Record, attribute

__all__ = [
    "And",
    "Argument",
    "Assignment",
    "Call",
    "Comparison",
    "Count",
    "Date",
    "DateTime",
    "Determiner",
    "Each",
    "EventName",
    "Expect",
    "Filter",
    "Given",
    "Handler",
    "If",
    "Node",
    "Not",
    "NounPhrase",
    "Number",
    "Op",
    "Or",
    "Order",
    "Period",
    "ProcedureName",
    "Reference",
    "Relative",
    "Reply",
    "Say",
    "Script",
    "Span",
    "Statement",
    "Target",
    "Template",
    "Text",
    "Unit",
    "Use",
    "Value",
    "ValueList",
    "Wait",
    "When",
    "Which",
]

_MARKS = r"\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"  # combining accents
_WORD = re.compile(rf"[^\W\d_][\w{_MARKS}-]*|\*[^\W\d_][\w{_MARKS}-]*\*")


class Span(Record):
    """Where a node stands in its source.

    Lines and columns count from 1, like Python's own SyntaxError; ``start`` and
    ``end`` are 0-based offsets into the source, ``end`` and ``end_column``
    pointing just past the last character.
    """

    line: int
    column: int
    end_line: int
    end_column: int
    start: int
    end: int

    def to(self, other: Span) -> Span:
        """The span from the start of this one to the end of ``other``."""
        return Span(self.line, self.column, other.end_line, other.end_column, self.start, other.end)


class Node(Record):
    """A node of the tree; ``span`` says where it was written, if it was parsed."""

    span: Span | None = attribute(default=None, kw_only=True, compare=False)

    def __str__(self) -> str:
        from grammar.render import render

        return render(self)


# ------------------------------------------------------------------- words


class NounPhrase(Node):
    """Words naming a thing: ``SMS message``, ``sender number``, ``*SMS* messages``.

    Words keep the case they were written in; a word written between asterisks
    (``*SMS*``) is a proper noun and keeps its asterisks here. The last word is
    the head, earlier words modify it.
    """

    words: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.words:
            raise ValueError("a noun phrase needs at least one word")
        for word in self.words:
            if not _WORD.fullmatch(word):
                raise ValueError(f"{word!r} is not a word of a noun phrase")

    @classmethod
    def of(cls, text: str) -> NounPhrase:
        """The noun phrase of space-separated words: ``NounPhrase.of("sender number")``."""
        return cls(tuple(text.split()))

    @property
    def head(self) -> str:
        """The last word, which names the kind of thing."""
        return self.words[-1]


# ------------------------------------------------------------------ values


class Value(Node):
    """A value written in the English: a literal, a relative time or a reference."""


class Text(Value):
    """Quoted text, kept exactly as written (escapes decoded)."""

    value: str


class Number(Value):
    """A number, kept exact: ``3``, ``-0.0075``; within the range of limits.py,
    so that printing or converting it is cheap."""

    value: Decimal

    def __post_init__(self) -> None:
        check_number(self.value)


class Date(Value):
    """A calendar date; it denotes a whole day in the book's time zone."""

    value: dt.date

    def __post_init__(self) -> None:
        if isinstance(self.value, dt.datetime):
            raise TypeError("a Date holds a date; use DateTime for a date and a time")
        check_moment(self.value)


class DateTime(Value):
    """An instant; without an offset it is read in the book's time zone. Dates and
    times are in the years of limits.py, so that no zone moves one out of Python's."""

    value: dt.datetime

    def __post_init__(self) -> None:
        check_moment(self.value)


class When(Enum):
    """The kinds of relative time."""

    NOW = "now"
    TODAY = "today"
    YESTERDAY = "yesterday"
    TOMORROW = "tomorrow"
    AGO = "ago"
    AHEAD = "in"

    @property
    def is_day(self) -> bool:
        """True for the kinds that denote a whole day rather than an instant."""
        return self in (When.TODAY, When.YESTERDAY, When.TOMORROW)


class Unit(Enum):
    """Units of ``N units ago`` and ``in N units``."""

    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"

    @property
    def seconds(self) -> int:
        """How many seconds one unit lasts."""
        return {"minute": 60, "hour": 3600, "day": 86400, "week": 604800}[self.value]


class Relative(Value):
    """A time relative to the moment a run starts.

    ``now``, ``today``, ``yesterday`` and ``tomorrow`` have no amount;
    ``3 days ago`` is ``Relative(When.AGO, 3, Unit.DAY)`` and ``in 2 hours`` is
    ``Relative(When.AHEAD, 2, Unit.HOUR)``.
    """

    when: When
    amount: int = 0
    unit: Unit | None = None

    def __post_init__(self) -> None:
        counted = self.when in (When.AGO, When.AHEAD)
        if counted != (self.unit is not None):
            raise ValueError(f"'{self.when.value}' {'needs' if counted else 'takes no'} unit")
        if self.amount < 0 or (not counted and self.amount):
            raise ValueError("a relative time has a whole, non-negative amount")


class ValueList(Value):
    """A list written out: ``"https://a", "https://b" and "https://c"``
    (in a named value and an argument; literals only, two or more)."""

    items: tuple[Value, ...]

    def __post_init__(self) -> None:
        if len(self.items) < 2:
            raise ValueError("a list written out has two values or more")


class Template(Value):
    """Text with references in braces: ``"Hi {the customer's name}!"`` is
    ``Template((Text("Hi "), Reference.of("customer", "name"), Text("!")))``.
    Running it joins the pieces, each reference's value written as text
    (templates.py reads and writes the braces)."""

    parts: tuple[Text | Reference, ...]

    def __post_init__(self) -> None:
        if not any(isinstance(part, Reference) for part in self.parts):
            raise ValueError("a template holds at least one reference; text without one is a Text")
        for before, after in zip(self.parts, self.parts[1:], strict=False):
            if isinstance(before, Text) and isinstance(after, Text):
                raise ValueError("a template's texts are joined: no two stand side by side")
        if any(isinstance(part, Text) and not part.value for part in self.parts):
            raise ValueError("a template holds no empty text")


class Which(Enum):
    """The kinds of period: ``this week``, ``last month``, ``in the last 7 days``, ``Monday``."""

    THIS = "this"
    LAST = "last"
    PAST = "past"  # in the last N days / weeks, today included
    WEEKDAY = "weekday"  # the latest such day, today included


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CYCLES = ("day", "week", "month", "year")


class Period(Value):
    """A run of whole days relative to the day a run starts, in the book's time zone:

    - ``this week``, ``last month``: ``Period(Which.THIS, "week")``, ``Period(Which.LAST, "month")``
      (a week starts on Monday; also ``this year``, ``last year``);
    - ``in the last 7 days``: ``Period(Which.PAST, "day", 7)``, today and the 6 days before
      (``in the last 2 weeks``: today and the 13 days before);
    - ``Monday``: ``Period(Which.WEEKDAY, amount=0)``, the latest Monday, today if it is one
      (``amount`` is the day of the week, 0 for Monday).

    A comparison with a period compares with its days: ``is last week`` is between its
    first and last day, ``is since Monday`` on or after that day, ``is before this
    month`` before its first day, ``is after last week`` after its last.
    """

    which: Which
    unit: str = "day"
    amount: int = 1

    def __post_init__(self) -> None:
        if self.unit not in CYCLES:
            raise ValueError(f"a period is of days, weeks, months or years, not {self.unit!r}")
        if self.which is Which.WEEKDAY:
            if not 0 <= self.amount < 7 or self.unit != "day":
                raise ValueError("a weekday is a day, 0 (Monday) to 6 (Sunday)")
        elif self.which is Which.PAST:
            if self.unit not in ("day", "week") or not 1 <= self.amount <= 100_000:
                raise ValueError("'in the last N days' takes days or weeks, and N from 1 to 100,000")
        elif self.unit == "day" or self.amount != 1:
            raise ValueError(f"'{self.which.value}' takes a week, a month or a year")


class Reference(Value):
    """A reference to something known: ``the start date``, ``the above``, or a
    possessive chain such as ``the SMS message's sender number``."""

    path: tuple[NounPhrase, ...]

    def __post_init__(self) -> None:
        if not self.path:
            raise ValueError("a reference names at least one thing")

    @classmethod
    def of(cls, *nouns: str) -> Reference:
        """``Reference.of("SMS message", "sender number")``."""
        return cls(tuple(NounPhrase.of(noun) for noun in nouns))

    @property
    def noun(self) -> NounPhrase:
        """What the reference starts from: ``SMS message`` in ``the SMS message's body``."""
        return self.path[0]


# ----------------------------------------------------------------- filters


class Op(Enum):
    """The operators of a comparison, each with the number of values it takes."""

    IS = "is"
    ONE_OF = "one of"
    AFTER = "after"
    BEFORE = "before"
    ON_OR_AFTER = "on or after"
    ON_OR_BEFORE = "on or before"
    BETWEEN = "between"
    GREATER = "greater"
    LESS = "less"
    AT_LEAST = "at least"
    AT_MOST = "at most"
    CONTAINS = "contains"
    STARTS_WITH = "starts with"
    ENDS_WITH = "ends with"
    EMPTY = "empty"

    @property
    def arity(self) -> tuple[int, int | None]:
        """The least and most number of values (None: no most)."""
        if self is Op.EMPTY:
            return (0, 0)
        if self is Op.BETWEEN:
            return (2, 2)
        if self is Op.ONE_OF:
            return (2, None)
        return (1, 1)


class Filter(Node):
    """A filter or condition: a comparison, or and/or/not of filters."""


class Comparison(Filter):
    """``SUBJECT OPERATOR VALUES``: the subject is a field (a noun phrase) in a
    ``whose`` filter and a value in an ``if`` condition.

    ``negated`` is the negated operator (``is not``, ``does not contain``):
    like every comparison it is false when the subject is missing, which makes
    it differ from ``not`` around the positive comparison.
    """

    subject: NounPhrase | Value
    op: Op
    values: tuple[Value, ...]
    negated: bool = False

    def __post_init__(self) -> None:
        least, most = self.op.arity
        if len(self.values) < least or (most is not None and len(self.values) > most):
            raise ValueError(f"'{self.op.value}' takes {least}{'' if most == least else ' or more'} values")


class And(Filter):
    """All parts hold."""

    parts: tuple[Filter, ...]

    def __post_init__(self) -> None:
        if len(self.parts) < 2:
            raise ValueError("'and' joins at least two parts")


class Or(Filter):
    """At least one part holds."""

    parts: tuple[Filter, ...]

    def __post_init__(self) -> None:
        if len(self.parts) < 2:
            raise ValueError("'or' joins at least two parts")


class Not(Filter):
    """The part does not hold (plain negation)."""

    part: Filter


# -------------------------------------------------------------- statements


class Count(Value):
    """How many things there are: ``the number of SMS messages``, or of those a
    filter selects, ``the number of SMS messages whose status is "failed"``
    (the runtime counts what the scope holds, or asks the book's procedure that
    counts them: docs/language.md, "Counting")."""

    noun: NounPhrase
    filter: Filter | None = None


class Determiner(Enum):
    """The word before a noun phrase in a call or a procedure name."""

    A = "a"
    AN = "an"
    THE = "the"
    SOME = "some"
    ALL = "all"


class Statement(Node):
    """One statement of a script."""


class Assignment(Statement):
    """``the X is VALUE``: names a value."""

    name: NounPhrase
    value: Value


class Use(Statement):
    """``use VALUE as the X``: names a value, typically ``the above``."""

    value: Value
    name: NounPhrase


class Say(Statement):
    """``say VALUE``: prints a line and records it in the run's output."""

    value: Value


class Argument(Node):
    """``the X is VALUE`` under a call's ``where`` or ``with``."""

    name: NounPhrase
    value: Value


class Order(Enum):
    """The order a list is given in: ``newest first`` or ``oldest first``."""

    NEWEST = "newest"
    OLDEST = "oldest"


class Call(Statement):
    """``VERB DETERMINER NOUN [with PARTNER] [whose FILTER] [ORDER first] [where ARGUMENTS]``,
    or ``VERB VALUE to DETERMINER NOUN`` when ``value`` is set.

    ``first`` is N in ``the first N``: the newest N, or the oldest N when ``oldest``
    (``the oldest N``). ``partner`` is the other side of a conversation
    (``read the conversation with "+14155550100"``). ``order`` is the order the list
    is given in when it is written and differs from the default, which is oldest
    first for the oldest N and for a conversation, and newest first otherwise
    (``listing`` is the order either way). The grammar knows only the shape; the
    registry finds the procedure.
    """

    verb: str
    determiner: Determiner
    noun: NounPhrase
    first: int | None = None
    value: Value | None = None
    filter: Filter | None = None
    arguments: tuple[Argument, ...] = ()
    by: NounPhrase | None = None  # "count the SMS messages by recipient number": per value of that field
    oldest: bool = False
    partner: Value | None = None
    order: Order | None = None

    def __post_init__(self) -> None:
        if self.first is not None and (self.determiner is not Determiner.THE or self.first < 1):
            raise ValueError("'the first N' needs the determiner 'the' and N of 1 or more")
        if self.oldest and self.first is None:
            raise ValueError("'the oldest N' needs N")
        if self.order is not None and self.order is self.default_order:
            raise ValueError(f"'{self.order.value} first' is the default here: leave order as None")
        if self.value is not None and (self.partner is not None or self.oldest or self.order is not None):
            raise ValueError("a conversion takes no partner and no order")
        _check_verb(self.verb)

    @property
    def default_order(self) -> Order:
        """The order the list comes in when none is written."""
        return Order.OLDEST if self.oldest or self.partner is not None else Order.NEWEST

    @property
    def listing(self) -> Order:
        """The order the list is given in: the written one, else the default."""
        return self.order or self.default_order


class Each(Statement):
    """``process each X as follows`` and its block."""

    noun: NounPhrase
    body: tuple[Statement, ...]

    def __post_init__(self) -> None:
        if not self.body:
            raise ValueError("a block holds at least one statement")


class If(Statement):
    """``if CONDITION then`` and its block, with an optional ``else`` block."""

    condition: Filter
    then: tuple[Statement, ...]
    otherwise: tuple[Statement, ...] = ()

    def __post_init__(self) -> None:
        if not self.then:
            raise ValueError("a block holds at least one statement")


class Reply(Statement):
    """``reply with VALUE``: answers the message a handler was given."""

    value: Value


class Wait(Statement):
    """``wait until the SMS message is delivered within 2 minutes``: blocks until
    the thing named is in that state (its status), or the time runs out."""

    subject: Reference
    state: str
    amount: int | None = None  # "within 2 minutes": 2 ...
    unit: Unit | None = None  # ... minutes

    def __post_init__(self) -> None:
        if (self.amount is None) != (self.unit is None):
            raise ValueError("a wait's time is an amount and a unit, or neither")
        if self.amount is not None and self.amount < 1:
            raise ValueError("a wait's time is 1 or more")
        if not self.state.strip() or "\n" in self.state or "\r" in self.state:
            raise ValueError("a wait needs the state it waits for, on one line")


class Expect(Statement):
    """``expect CONDITION``: a test's check; a condition that does not hold fails
    the test (``ExpectationError``), showing the values on each side."""

    condition: Filter


class Given(Statement):
    """A test's set-up line, one of five shapes (``clause``):

    - ``is``: ``given the time is 2024-06-01T12:00:00Z`` (``noun``, ``value``);
    - ``in``: ``given the SMS messages in "fixtures/inbox.json"`` (``value``: the file);
    - ``seeded``: ``given 1000 SMS messages from seed 7`` (``count``, ``seed``);
    - ``happens``: ``given an SMS message is received with the sender number is "+1..."``
      (``determiner``, ``state``, ``arguments``);
    - ``share``: ``given Twilio is busy for 1 in 5 requests`` (``state``, ``share``, ``of``).

    What each means is the test runner's (book/testing.py), not the grammar's."""

    clause: str
    noun: NounPhrase
    value: Value | None = None
    count: int | None = None
    seed: int | None = None
    determiner: Determiner | None = None
    state: str | None = None
    arguments: tuple[Argument, ...] = ()
    share: tuple[int, int] | None = None
    of: NounPhrase | None = None

    def __post_init__(self) -> None:
        wanted = {
            "is": ("value",),
            "in": ("value",),
            "seeded": ("count", "seed"),
            "happens": ("determiner", "state"),
            "share": ("state", "share", "of"),
        }.get(self.clause)
        if wanted is None:
            raise ValueError(f"{self.clause!r} is not a set-up's clause")
        if any(getattr(self, name) is None for name in wanted):
            raise ValueError(f"a {self.clause!r} set-up needs {', '.join(wanted)}")
        if self.state is not None and (not _WORD.fullmatch(self.state) or self.state.startswith("*")):
            raise ValueError(f"{self.state!r} is not a word")
        if self.share is not None and not 0 <= self.share[0] <= self.share[1] > 0:
            raise ValueError("a share is N in M, with 0 <= N <= M and M > 0")


class EventName(Node):
    """``when an SMS message is received`` (``happens``: "received") or ``when an
    SMS message's status changes`` (``field``: "status"; ``happens``: "changes"):
    what a handler waits for; a book registers the events it has."""

    determiner: Determiner
    noun: NounPhrase
    happens: str
    field: NounPhrase | None = None

    def __post_init__(self) -> None:
        if self.field is not None and self.happens != "changes":
            raise ValueError("a field's event is that it changes")
        if not _WORD.fullmatch(self.happens) or self.happens.startswith("*"):
            raise ValueError(f"{self.happens!r} is not a word")


class Handler(Statement):
    """An event and its block: what runs each time the event happens."""

    event: EventName
    body: tuple[Statement, ...]

    def __post_init__(self) -> None:
        if not self.body:
            raise ValueError("a block holds at least one statement")


class Script(Node):
    """A whole script: its statements in order."""

    statements: tuple[Statement, ...]


def _check_verb(verb: str) -> None:
    if not _WORD.fullmatch(verb) or verb.startswith("*") or verb != verb.lower():
        raise ValueError(f"{verb!r} is not a verb: one word, in lower case")


# --------------------------------------------------------- procedure names


class Target(Node):
    """One noun part of a procedure name: ``an *SMS* message`` or ``some (*SMS* messages)``;
    ``output`` is set when the noun is in parentheses, the procedure's output concept."""

    determiner: Determiner | None
    noun: NounPhrase
    output: bool = False


class ProcedureName(Node):
    """A procedure's English name: ``to VERB TARGET [to TARGET]``."""

    verb: str
    target: Target
    result: Target | None = None

    def __post_init__(self) -> None:
        _check_verb(self.verb)
