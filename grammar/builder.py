"""Builds tree nodes from the parser's matches, with their spans.

The parser calls these methods directly as it reduces each rule of
english.lark (no intermediate lark tree is built). Each method gets the rule's
children, tokens and already built nodes, and returns a node of grammar/tree.py.
Literal values are checked here: a date that is not in the calendar, a bad
escape in text, a number outside the range of limits.py or ``the first 0``
raise ``EnglishSyntaxError`` at the value.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from lark import Token

from grammar.errors import EnglishSyntaxError, brief
from grammar.node import Record
from grammar.templates import pieces
from grammar.tree import (
    And,
    Argument,
    Assignment,
    Call,
    Comparison,
    Count,
    Date,
    DateTime,
    Determiner,
    Each,
    EventName,
    Expect,
    Filter,
    Given,
    Handler,
    If,
    Not,
    NounPhrase,
    Number,
    Op,
    Or,
    Order,
    Period,
    ProcedureName,
    Reference,
    Relative,
    Reply,
    Say,
    Script,
    Span,
    Statement,
    Target,
    Template,
    Text,
    Unit,
    Use,
    Value,
    ValueList,
    Wait,
    When,
    Which,
)

__all__ = ["MOST", "Transformer"]

_SURROGATE = re.compile("[\ud800-\udfff]")
MOST = 1_000_000_000  # the largest N of "the first N", and of "N days ago"

_DETERMINERS = {
    "A": Determiner.A,
    "AN": Determiner.AN,
    "THE": Determiner.THE,
    "SOME": Determiner.SOME,
    "ALL": Determiner.ALL,
}
_UNITS = {
    "MINUTE": Unit.MINUTE, "MINUTES": Unit.MINUTE, "HOUR": Unit.HOUR, "HOURS": Unit.HOUR,
    "DAY": Unit.DAY, "DAYS": Unit.DAY, "WEEK": Unit.WEEK, "WEEKS": Unit.WEEK,
}  # fmt: skip
_WHEN = {"NOW": When.NOW, "TODAY": When.TODAY, "YESTERDAY": When.YESTERDAY, "TOMORROW": When.TOMORROW}


def token_span(token: Token) -> Span:
    """The span of one token."""
    return Span(token.line, token.column, token.end_line, token.end_column, token.start_pos, token.end_pos)  # type: ignore[arg-type]


def span_of(items: list[Any]) -> Span | None:
    """The span from the first to the last item that has a place in the source (a
    token, or a node with a span); written out, as the builder asks it for most nodes."""
    line: int
    column: int
    start: int
    for item in items:
        if isinstance(item, Token):
            if item.line is not None:
                line, column, start = item.line, item.column, item.start_pos  # type: ignore[assignment]
                break
        elif (span := getattr(item, "span", None)) is not None:
            line, column, start = span.line, span.column, span.start
            break
    else:
        return None
    for item in reversed(items):
        if isinstance(item, Token):
            if item.line is not None:
                return Span(line, column, item.end_line, item.end_column, start, item.end_pos)  # type: ignore[arg-type]
        elif (span := getattr(item, "span", None)) is not None:
            return Span(line, column, span.end_line, span.end_column, start, span.end)
    return None  # pragma: no cover - the item that gave the start gives an end too


def _error(message: str, token: Token, hint: str | None = None) -> EnglishSyntaxError:
    return EnglishSyntaxError(message, span=token_span(token), hint=hint)


@contextmanager
def _escapes(token: Token) -> Iterator[None]:
    """Decoding a text's escapes: one that is not understood is an error at the text."""
    try:
        yield
    except json.JSONDecodeError as exc:
        raise _error(
            "this text has an escape that is not understood",
            token,
            'Inside quotes, write \\" for a quote, \\\\ for a backslash and \\n for a new line.',
        ) from exc


def _whole_characters(value: str, token: Token) -> str:
    if _SURROGATE.search(value):
        raise _error(
            "this text holds half of a character (a lone surrogate, such as \\ud800)",
            token,
            "Write the character itself, or both halves of its pair: \\ud83d\\ude00.",
        )
    return value


def _whole(token: Token, what: str, least: int) -> int:
    """A whole number from ``least`` to ``MOST`` (checked by its digits before any
    conversion: Python refuses to read integers of thousands of digits)."""
    text = brief(token.value)
    if re.fullmatch("-?[0-9]+", token.value) is None:
        raise _error(f"{what} must be a whole number, not {text}", token)
    digits = token.value.lstrip("-").lstrip("0") or "0"
    if token.value.startswith("-") and digits != "0":
        raise _error(f"{what} must be {least} or more, not {text}", token)
    if len(digits) > len(str(MOST)) or int(digits) > MOST:
        raise _error(f"{what} must be at most {MOST:,}, not {text}", token)
    number = int(digits)
    if number < least:
        raise _error(f"{what} must be {least} or more, not {text}", token)
    return number


class _Predicate(Record):
    """The operator and values of a comparison, before its subject is known."""

    op: Op
    values: tuple[Value, ...]
    negated: bool
    span: Span | None


class _Output(Record):
    """A noun phrase in parentheses in a procedure name: the output concept."""

    noun: NounPhrase
    span: Span | None


class _Target(Record):
    """What a call acts on, before the call is assembled; ``oldest``: whether the N
    of ``first`` are the oldest (``the oldest N``), the newest (``the last N``), or
    None for ``the first N``: the first in the order the list is given in."""

    determiner: Determiner
    first: int | None
    noun: NounPhrase
    value: Value | None
    span: Span | None
    oldest: bool | None = None


def _predicate(op: Op) -> Callable[[Any, list[Any]], _Predicate]:
    def build(self: Any, children: list[Any]) -> _Predicate:
        values = tuple([child for child in children if isinstance(child, Value)])
        negated = "NOT" in [child.type for child in children if isinstance(child, Token)]
        return _Predicate(op, values, negated, span_of(children))

    return build


_WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


def _counted(children: list[Any], oldest: bool) -> _Target:
    """The N newest or oldest things a call's target names."""
    (count,) = [child for child in children if isinstance(child, Token) and child.type == "NUMBER"]
    first = _whole(count, f"N in 'the {'oldest' if oldest else 'last'} N'", 1)
    return _Target(Determiner.THE, first, children[-1], None, span_of(children), oldest=oldest)


def _nodes(children: list[Any], kind: type[Any]) -> list[Any]:
    return [child for child in children if isinstance(child, kind)]


class Transformer:
    """Callbacks named after the rules and aliases of english.lark."""

    # ------------------------------------------------------------ values

    def text(self, children: list[Token]) -> Text | Template:
        (token,) = children
        raw = str(token)
        curly = raw.startswith("\u201c")
        if "{" not in raw:
            if curly or "\\" not in raw:  # nothing to decode: the text as written
                return Text(_whole_characters(raw[1:-1], token), span=token_span(token))
            with _escapes(token):
                value = json.loads(raw, strict=False)
            return Text(_whole_characters(value, token), span=token_span(token))
        with _escapes(token):
            # references in braces ({the X}), or a brace itself ({{the)
            found = pieces(
                raw[1:-1], curly, token.line or 1, (token.column or 1) + 1, (token.start_pos or 0) + 1
            )
        for piece in found:
            if isinstance(piece, Text):
                _whole_characters(piece.value, token)
        if any(isinstance(piece, Reference) for piece in found):
            return Template(tuple(found), span=token_span(token))
        return Text(
            "".join(piece.value for piece in found if isinstance(piece, Text)), span=token_span(token)
        )

    def number(self, children: list[Token]) -> Number:
        (token,) = children
        try:
            return Number(Decimal(str(token)), span=token_span(token))
        except ValueError as exc:  # outside the range of limits.py
            raise _error(
                str(exc), token, "Write it with fewer digits, or in double quotes if it is an identifier."
            ) from None

    def date(self, children: list[Token]) -> Date:
        (token,) = children
        try:
            value = dt.date.fromisoformat(str(token))
        except ValueError as exc:
            raise _error(
                f"{token} is not a date in the calendar", token, "Write dates as YYYY-MM-DD."
            ) from exc
        try:
            return Date(value, span=token_span(token))
        except ValueError as exc:  # outside the years of limits.py
            raise _error(str(exc), token, "Write a date in the years the book works with.") from None

    def datetime(self, children: list[Token]) -> DateTime:
        (token,) = children
        try:
            value = dt.datetime.fromisoformat(str(token).upper())
        except ValueError as exc:
            raise _error(
                f"{token} is not a date and time in the calendar",
                token,
                "Write a date and time as 2024-03-01T15:00:00Z, or with an offset such as +02:00.",
            ) from exc
        try:
            return DateTime(value, span=token_span(token))
        except ValueError as exc:  # outside the years of limits.py
            raise _error(str(exc), token, "Write a date and time in the years the book works with.") from None

    def relative(self, children: list[Token]) -> Relative:
        span = span_of(children)
        if len(children) == 1:
            return Relative(_WHEN[children[0].type], span=span)
        if children[0].type == "IN":
            amount, unit = children[1], children[2]
            when = When.AHEAD
        else:
            amount, unit = children[0], children[1]
            when = When.AGO
        return Relative(
            when, _whole(amount, "the number of " + unit.value.lower(), 0), _UNITS[unit.type], span=span
        )

    def period(self, children: list[Token]) -> Period:
        span = span_of(children)
        first = children[0].type
        if first in _WEEKDAYS:
            return Period(Which.WEEKDAY, amount=_WEEKDAYS.index(first), span=span)
        if first == "IN":  # in the last N days
            count, unit = children[3], children[4]
            amount = _whole(count, "N in 'in the last N days'", 1)
            if amount > 100_000:
                raise _error("'in the last N days' goes back at most 100,000 days", count)
            return Period(Which.PAST, unit.type.lower().rstrip("s"), amount, span=span)
        return Period(Which(first.lower()), children[1].type.lower(), span=span)

    def noun_phrase(self, children: list[Token]) -> NounPhrase:
        return NounPhrase(tuple(map(str, children)), span=span_of(children))

    def reference(self, children: list[Any]) -> Reference:
        return Reference(tuple(_nodes(children, NounPhrase)), span=span_of(children))

    def count(self, children: list[Any]) -> Count:
        (noun,) = _nodes(children, NounPhrase)
        filters = _nodes(children, Filter)
        return Count(noun, filters[0] if filters else None, span=span_of(children))

    # ----------------------------------------------------------- filters

    is_value = _predicate(Op.IS)
    one_of = _predicate(Op.ONE_OF)
    on_or_after = _predicate(Op.ON_OR_AFTER)
    on_or_before = _predicate(Op.ON_OR_BEFORE)
    after = _predicate(Op.AFTER)
    before = _predicate(Op.BEFORE)
    between = _predicate(Op.BETWEEN)
    greater = _predicate(Op.GREATER)
    less = _predicate(Op.LESS)
    at_least = _predicate(Op.AT_LEAST)
    at_most = _predicate(Op.AT_MOST)
    empty = _predicate(Op.EMPTY)
    contains = _predicate(Op.CONTAINS)
    starts_with = _predicate(Op.STARTS_WITH)
    ends_with = _predicate(Op.ENDS_WITH)

    def comparison(self, children: list[Any]) -> Comparison:
        subject, predicate = children
        return Comparison(
            subject, predicate.op, predicate.values, predicate.negated, span=span_of([subject, predicate])
        )

    ccomparison = comparison

    def filter(self, children: list[Any]) -> Or:
        return Or(tuple(_nodes(children, Filter)), span=span_of(children))

    condition = filter

    def conjunction(self, children: list[Any]) -> And:
        return And(tuple(_nodes(children, Filter)), span=span_of(children))

    cconjunction = conjunction

    def negation(self, children: list[Any]) -> Not:
        return Not(children[-1], span=span_of(children))

    cnegation = negation

    def group(self, children: list[Any]) -> Filter:
        inner: Filter = children[1]
        return inner

    # -------------------------------------------------------- statements

    def script(self, children: list[Statement]) -> Script:
        return Script(tuple(children), span=span_of(children))

    def block(self, children: list[Statement]) -> tuple[Statement, ...]:
        return tuple(children)

    def assignment(self, children: list[Any]) -> Assignment:
        return Assignment(children[1], children[3], span=span_of(children))

    def value_list(self, children: list[Any]) -> ValueList:
        return ValueList(tuple(_nodes(children, Value)), span=span_of(children))

    def use(self, children: list[Any]) -> Use:
        return Use(children[1], children[4], span=span_of(children))

    def say(self, children: list[Any]) -> Say:
        return Say(children[1], span=span_of(children))

    def reply(self, children: list[Any]) -> Reply:
        return Reply(children[2], span=span_of(children))

    def wait(self, children: list[Any]) -> Wait:
        subject: Reference = children[2]
        state: Token = children[4]
        amount = unit = None
        if len(children) > 5:
            amount = _whole(children[6], "the time to wait", 1)
            unit = _UNITS[children[7].type]
        written = self.text([state]) if state.type == "TEXT" else None
        if isinstance(written, Template):
            raise _error("a wait names the state itself: no references in braces", state)
        text = written.value if written is not None else state.value.lower()
        if not text.strip() or "\n" in text or "\r" in text:
            raise _error(
                "a wait needs the state it waits for, on one line",
                state,
                'Write it: wait until the SMS message is "delivered"',
            )
        return Wait(subject, text, amount, unit, span=span_of(children))

    def expect(self, children: list[Any]) -> Expect:
        return Expect(children[1], span=span_of(children))

    def given_is(self, children: list[Any]) -> Given:
        return Given("is", children[2], value=children[4], span=span_of(children))

    def given_in(self, children: list[Any]) -> Given:
        return Given("in", children[2], value=children[4], span=span_of(children))

    def given_seeded(self, children: list[Any]) -> Given:
        count = _whole(children[1], "the number of things set up", 0)
        seed = _whole(children[5], "the seed", 0)
        return Given("seeded", children[2], count=count, seed=seed, span=span_of(children))

    def given_happens(self, children: list[Any]) -> Given:
        determiner, noun, state = children[1], children[2], children[4]
        arguments = tuple(_nodes(children, Argument))
        return Given(
            "happens",
            noun,
            determiner=_DETERMINERS[determiner.type],
            state=state.value.lower(),
            arguments=arguments,
            span=span_of(children),
        )

    def given_share(self, children: list[Any]) -> Given:
        noun, state, part, whole, of = children[1], children[3], children[5], children[7], children[8]
        share = (_whole(part, "a share's part", 0), _whole(whole, "a share's whole", 1))
        if share[0] > share[1]:
            raise _error(f"a share is at most all: {share[0]} in {share[1]} is more", part)
        return Given("share", noun, state=state.value.lower(), share=share, of=of, span=span_of(children))

    def handler(self, children: list[Any]) -> Handler:
        event: EventName = children[0]
        (body,) = _nodes(children, tuple)
        return Handler(event, body, span=span_of([event, *body]))

    def event_happens(self, children: list[Any]) -> EventName:
        _, determiner, noun, _, happens = children
        return EventName(_DETERMINERS[determiner.type], noun, happens.value.lower(), span=span_of(children))

    def event_changes(self, children: list[Any]) -> EventName:
        _, determiner, noun, _, field, _ = children
        return EventName(_DETERMINERS[determiner.type], noun, "changes", field, span=span_of(children))

    def each(self, children: list[Any]) -> Each:
        (noun,) = _nodes(children, NounPhrase)
        (body,) = _nodes(children, tuple)
        return Each(noun, body, span=span_of(children[:-1] + list(body)))

    def conditional(self, children: list[Any]) -> If:
        condition: Filter = children[1]
        blocks = _nodes(children, tuple)
        otherwise: tuple[Statement, ...] = blocks[1] if len(blocks) > 1 else ()
        if isinstance(children[-1], If):
            otherwise = (children[-1],)
        last = list(otherwise or blocks[0])
        return If(condition, blocks[0], otherwise, span=span_of(children[:3] + last))

    def verb(self, children: list[Token]) -> Token:
        return children[0]

    def determiner(self, children: list[Token]) -> tuple[Determiner, int | None]:
        first = _whole(children[-1], "N in 'the first N'", 1) if len(children) == 3 else None
        return _DETERMINERS[children[0].type], first

    def target(self, children: list[Any]) -> _Target:
        determiner, first = self.determiner(children[:-1])
        return _Target(determiner, first, children[-1], None, span_of(children))

    def target_newest(self, children: list[Any]) -> _Target:
        """``the last 5``, ``the latest 5``, ``the 5 most recent``, ``5``: the newest N,
        which is what ``the first 5`` means (lists are newest first)."""
        return _counted(children, oldest=False)

    def target_oldest(self, children: list[Any]) -> _Target:
        """``the oldest 5``, ``the 5 oldest``: the oldest N, given oldest first."""
        return _counted(children, oldest=True)

    def order(self, children: list[Token]) -> Order:
        return Order.OLDEST if children[0].value.lower().startswith("oldest") else Order.NEWEST

    def converted(self, children: list[Any]) -> _Target:
        value, _, (determiner, first), noun = children
        return _Target(determiner, first, noun, value, span_of(children))

    def argument(self, children: list[Any]) -> Argument:
        return Argument(children[1], children[3], span=span_of(children))

    def call(self, children: list[Any]) -> Call:
        verb: Token = children[0]
        target: _Target = children[1]
        filters = _nodes(children, Filter)
        # "with VALUE" after the noun (a value among the call's own children)
        partner: Value | None = next(iter(_nodes(children, Value)), None)
        written: Order | None = next(iter(_nodes(children, Order)), None)
        if target.value is not None and (partner is not None or written is not None):
            raise EnglishSyntaxError(
                f"a conversion takes no {'with' if partner is not None else 'order'}: write the value to "
                "convert, then 'to' and what it becomes",
                span=partner.span if partner is not None else span_of(children),
            )
        # "the first N" are the first in the order the list is given in: the oldest N
        # when it is given oldest first (written, or a conversation's default).
        listing = written or (Order.OLDEST if target.oldest or partner is not None else Order.NEWEST)
        oldest = target.oldest if target.oldest is not None else listing is Order.OLDEST
        oldest = oldest and target.first is not None
        default = Order.OLDEST if oldest or partner is not None else Order.NEWEST
        return Call(
            verb.value.lower(),
            target.determiner,
            target.noun,
            first=target.first,
            value=target.value,
            filter=filters[0] if filters else None,
            arguments=tuple(_nodes(children, Argument)),
            by=next(iter(_nodes(children, NounPhrase)), None),
            oldest=oldest,
            partner=partner,
            order=written if written is not default else None,
            span=span_of(children),
        )

    call_block = call

    # --------------------------------------------------- procedure names

    def name_determiner(self, children: list[Token]) -> tuple[Determiner, None]:
        return _DETERMINERS[children[0].type], None

    def output(self, children: list[Any]) -> _Output:
        return _Output(children[1], span_of(children))

    def name(self, children: list[Any]) -> ProcedureName:
        verb: Token = children[1]
        parts: list[Target] = []
        determiner: Determiner | None = None
        for child in children[2:]:
            if isinstance(child, tuple):
                determiner = child[0]
            elif isinstance(child, (NounPhrase, _Output)):
                noun, output = (child.noun, True) if isinstance(child, _Output) else (child, False)
                parts.append(Target(determiner, noun, output, span=child.span))
                determiner = None
        return ProcedureName(
            verb.value.lower(), parts[0], parts[1] if len(parts) > 1 else None, span=span_of(children)
        )
