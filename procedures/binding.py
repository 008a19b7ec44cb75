"""Binding: from the English as written to values checked against the fields they meet.

A parsed filter names fields as the user wrote them and holds references and
relative times. Binding it for a concept gives a *bound* filter: each subject
is the field's English name, each value a literal of the field's kind
(fitted as its kind says, choices as declared, dates and aware date-times,
numbers within the range of grammar/limits.py), and
each operator one that applies to the field. A value of the wrong kind is a
``ValueTypeError`` at the value, before anything runs. The bound filter is
still a tree, so it prints as English.

Conditions (after ``if``) compare values instead of fields; ``Binder.check``
evaluates one directly.

>>> from grammar import Relative, When, Unit
>>> binder = Binder(now=dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC), timezone=dt.UTC, resolve=None)
>>> binder.value(Relative(When.YESTERDAY)), binder.value(Relative(When.AGO, 2, Unit.HOUR)).isoformat()
(datetime.date(2024, 2, 29), '2024-03-01T10:00:00+00:00')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from grammar import (
    And,
    Comparison,
    Count,
    Date,
    DateTime,
    Filter,
    Not,
    NounPhrase,
    Number,
    Op,
    Or,
    Period,
    Reference,
    Relative,
    Template,
    Text,
    Value,
    ValueList,
    When,
    Which,
    check_moment,
    check_number,
    operator_words,
    transform,
)
from grammar.limits import FIRST_YEAR, LAST_YEAR
from procedures.concepts import Concept, field_of
from procedures.errors import RunError, ValueTypeError
from procedures.evaluate import compare, is_empty, kind_of_value, literal, type_name
from procedures.kinds import Kind, Type
from procedures.names import closest

__all__ = ["Binder", "Resolver"]

# Resolves a reference to its value and, when known, its declared type.
Resolver = Callable[[Reference], "tuple[Any, Type | None]"]

_DAYS = {When.TODAY: 0, When.YESTERDAY: -1, When.TOMORROW: 1}


def _kind_words(value: Any) -> str:
    if isinstance(value, str):
        return f'the text "{value}"'
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return f"the number {value}"
    if isinstance(value, dt.datetime):
        return f"the date and time {value.isoformat()}"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)}"
    return f"a {getattr(value, 'english', type(value).__name__)}"


def _in_range_date(day: dt.date, node: Value) -> Date:
    """A day of a period, as a date node at the period's place (in the years of limits.py)."""
    try:
        return Date(day, span=node.span)
    except ValueError:
        raise ValueTypeError(f"{node} is further from now than any date", span=node.span) from None


def _in_range(value: Any, node: Value) -> Any:
    """A date or time the English can work with: in the years of grammar's limits."""
    try:
        check_moment(value)
    except ValueError:
        raise ValueTypeError(
            f"{node} is outside the dates the book works with (the years {FIRST_YEAR} to {LAST_YEAR})",
            span=node.span,
        ) from None
    return value


class Binder:
    """Binds filters and checks conditions for one run: one ``now``, one time zone."""

    def __init__(self, *, now: dt.datetime, timezone: dt.tzinfo, resolve: Resolver | None) -> None:
        self.now = now
        self.timezone = timezone
        self._resolve = resolve

    # ------------------------------------------------------------ values

    def value(self, node: Value) -> Any:
        """The Python value of any value node: references resolved, relative
        times turned into a date (today) or an aware instant (now, 3 days ago)."""
        if isinstance(node, (Text, Number, Date)):
            return node.value
        if isinstance(node, DateTime):
            moment = node.value
            return moment if moment.tzinfo else moment.replace(tzinfo=self.timezone)
        if isinstance(node, Relative):
            if node.when.is_day:
                return self.now.astimezone(self.timezone).date() + dt.timedelta(days=_DAYS[node.when])
            if node.unit is None:
                return self.now
            try:
                delta = dt.timedelta(seconds=node.amount * node.unit.seconds)
                # in UTC: hours ago are real hours, whatever the clocks did meanwhile
                now = self.now.astimezone(dt.UTC) if self.now.tzinfo else self.now
                moment = now - delta if node.when is When.AGO else now + delta
                if self.now.tzinfo:
                    moment = moment.astimezone(self.now.tzinfo)
            except OverflowError:
                raise ValueTypeError(f"{node} is further from now than any date", span=node.span) from None
            return _in_range(moment, node)
        if isinstance(node, Reference):
            return _in_range(
                self.typed(node)[0], node
            )  # a procedure's date, too, is checked where it is used
        if isinstance(node, Count):
            raise RunError(f"'{node}' is counted when its statement runs, not here", span=node.span)
        if isinstance(node, ValueList):
            return [self.value(item) for item in node.items]
        if isinstance(node, Template):
            return "".join(
                part.value if isinstance(part, Text) else self._written(part) for part in node.parts
            )
        if isinstance(node, Period):
            first, last = self.days(node)
            raise ValueTypeError(
                f"'{node}' is a run of days ({first} to {last}), not one value",
                span=node.span,
                hint=f"Compare a date with it (whose date sent is {node}), or name a day: {first}.",
            )
        raise TypeError(f"{type(node).__name__} is not a value")

    def _written(self, reference: Reference) -> str:
        """A reference's value as a template writes it: text as it is, numbers as
        written in the English, dates and times in ISO 8601; an empty value, a list
        or a thing with fields is an error at the reference."""
        value = self.value(reference)
        if is_empty(value):
            raise RunError(
                f"'{reference}' is empty, so the text cannot be composed",
                span=reference.span,
                hint="Give it a value before this line, or leave it out of the text.",
            )
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, (int, Decimal)):
            return format(Decimal(value), "f")
        if isinstance(value, float):
            return repr(value)
        if isinstance(value, dt.datetime):
            return value.isoformat().replace("+00:00", "Z")
        if isinstance(value, dt.date):
            return value.isoformat()
        raise ValueTypeError(
            f"'{reference}' is {_kind_words(value)}, which a text cannot hold",
            span=reference.span,
            hint="Name one of its fields or one of its items: {the SMS message's body}.",
        )

    def days(self, period: Period) -> tuple[dt.date, dt.date]:
        """The first and the last day of a period, in the book's time zone."""
        today = self.now.astimezone(self.timezone).date()
        try:
            if period.which is Which.WEEKDAY:
                day = today - dt.timedelta(days=(today.weekday() - period.amount) % 7)
                return day, day
            if period.which is Which.PAST:
                days = period.amount * (7 if period.unit == "week" else 1)
                return today - dt.timedelta(days=days - 1), today
            back = 1 if period.which is Which.LAST else 0
            if period.unit == "week":
                monday = today - dt.timedelta(days=today.weekday() + 7 * back)
                return monday, monday + dt.timedelta(days=6)
            if period.unit == "month":
                year, month = divmod(today.year * 12 + today.month - 1 - back, 12)
                first = dt.date(year, month + 1, 1)
                following = dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
                return first, following - dt.timedelta(days=1)
            return dt.date(today.year - back, 1, 1), dt.date(today.year - back, 12, 31)
        except (OverflowError, ValueError):
            raise ValueTypeError(f"{period} is further from now than any date", span=period.span) from None

    def _dated(self, comparison: Comparison) -> Comparison:
        """A comparison with periods as the same comparison with days: ``is last week``
        is between its first and last day; a bound takes the day that makes it one
        (``after``: after the last day; ``on or after``, ``since``: from the first)."""
        if not any(isinstance(node, Period) for node in comparison.values):
            return comparison

        def day(node: Value, last: bool) -> Value:
            if not isinstance(node, Period):
                return node
            return _in_range_date(self.days(node)[last], node)

        op = comparison.op
        if op is Op.IS:
            (node,) = comparison.values
            return comparison.replace(op=Op.BETWEEN, values=(day(node, False), day(node, True)))
        if op is Op.BETWEEN:
            return comparison.replace(
                values=(day(comparison.values[0], False), day(comparison.values[1], True))
            )
        if op in (Op.AFTER, Op.GREATER, Op.ON_OR_BEFORE, Op.AT_MOST):
            return comparison.replace(values=(day(comparison.values[0], True),))
        if op in (Op.BEFORE, Op.LESS, Op.ON_OR_AFTER, Op.AT_LEAST):
            return comparison.replace(values=(day(comparison.values[0], False),))
        period = next(node for node in comparison.values if isinstance(node, Period))
        raise ValueTypeError(
            f"'{operator_words(op, comparison.negated)}' does not take a period such as '{period}'",
            span=period.span,
            hint="Join periods with 'or': whose date sent is last week or whose date sent is this week.",
        )

    def typed(self, node: Value) -> tuple[Any, Type | None]:
        """A value and its declared type (known for a concept's field, else None)."""
        if isinstance(node, Reference):
            if self._resolve is None:
                raise RunError(f"'{node}' cannot be resolved here", span=node.span)
            return self._resolve(node)
        return self.value(node), None

    def fit(self, node: Value, type: Type, what: str, instant: bool = False) -> Any:
        """The value of ``node`` checked and normalised for ``type``; ``what`` names
        the place (``'date sent'``) in the error when it does not fit. ``instant``:
        a date and time is needed, not a day (``the send time``)."""
        if isinstance(node, ValueList):
            return self._listed(node, type, what, instant)
        value = self.value(node)
        if value is None:
            raise RunError(f"{node} is empty: there is nothing to compare {what} with", span=node.span)
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            try:  # a procedure's number may be outside the book's range; nothing converts it unchecked
                check_number(value, str(node))
            except ValueError as exc:
                raise ValueTypeError(str(exc), span=node.span) from None
        value = self._fit_base(node, value, type, what, instant)
        if type.kind is type.kind.base:
            return value
        try:  # a kind a book adds: its own fitting, after that of the kind it refines
            return type.kind.fit(value)
        except ValueError as exc:
            raise ValueTypeError(str(exc), span=node.span) from exc

    def _listed(self, node: ValueList, type: Type, what: str, instant: bool) -> Any:
        """A list written out, fitted item by item (each error at its item): for a
        list, up to the most it holds; anything else takes one value."""
        if type.kind.base is Kind.ANY:
            return [self.value(item) for item in node.items]
        if type.kind.base is not Kind.LIST:
            raise ValueTypeError(
                f"{what} takes one value ({type.describe()}), not a list of {len(node.items)}",
                span=node.items[1].span,
                hint="Give one value here.",
            )
        if type.most is not None and len(node.items) > type.most:
            raise ValueTypeError(
                f"{what} takes at most {type.most} values, and this list has {len(node.items)}",
                span=node.items[type.most].span,
                hint=f"Keep the first {type.most}.",
            )
        item = type.item or Type(Kind.ANY)
        return [self.fit(value, item, what, instant) for value in node.items]

    def _fit_base(self, node: Value, value: Any, type: Type, what: str, instant: bool) -> Any:
        """``value`` checked for the built-in kind that ``type``'s kind is, or refines."""
        kind = type.kind.base
        if kind is Kind.ANY:
            return value
        if kind is Kind.TEXT:
            if not isinstance(value, str):
                raise self._mismatch(node, value, type, what, hint=f'Put text in double quotes: "{value}".')
            return value
        if kind is Kind.NUMBER:
            if isinstance(value, bool) or not isinstance(value, (int, Decimal, float)):
                raise self._mismatch(
                    node, value, type, what, hint="Write numbers without quotes: 3, -0.0075."
                )
            return value
        if kind is Kind.TIME:
            if not isinstance(value, dt.date):
                raise self._mismatch(
                    node,
                    value,
                    type,
                    what,
                    hint="Write a date such as 2024-03-01, a date and time such as 2024-03-01T15:00:00Z, "
                    "or a relative time such as yesterday or 3 days ago.",
                )
            if instant and not isinstance(value, dt.datetime):
                raise self._mismatch(
                    node,
                    value,
                    type,
                    what,
                    hint="Give a time, such as 2024-06-02T09:00:00Z, or a relative one, such as in 2 hours.",
                )
            return _in_range(value, node)
        if kind is Kind.DATE:
            if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
                raise self._mismatch(node, value, type, what, hint="Write a date such as 2024-03-01.")
            return _in_range(value, node)
        if kind is Kind.FLAG:
            if not isinstance(value, bool):
                raise self._mismatch(node, value, type, what)
            return value
        if kind is Kind.LIST:
            if isinstance(value, (list, tuple)):
                if type.most is not None and len(value) > type.most:
                    raise ValueTypeError(
                        f"{what} takes at most {type.most} values, and {node} holds {len(value)}",
                        span=node.span,
                        hint=f"Keep the first {type.most}.",
                    )
                return list(value)
            item = type.item or Type(Kind.ANY)
            return [self.fit(node, item, what)]
        if kind is Kind.CONCEPT:
            if type.concept is not None and not isinstance(value, type.concept):
                raise self._mismatch(node, value, type, what)
            return value
        raise TypeError(f"unknown kind {kind}")

    def _mismatch(
        self, node: Value, value: Any, type: Type, what: str, hint: str | None = None
    ) -> ValueTypeError:
        return ValueTypeError(
            f"{what} takes {type.describe()}, not {_kind_words(value)}", span=node.span, hint=hint
        )

    def _choice(self, node: Value, value: str, type: Type, what: str) -> str:
        for choice in type.choices:
            if choice.casefold() == value.casefold():
                return choice
        close = closest(value.lower(), type.choices)
        raise ValueTypeError(
            f'{what} is never "{value}": it is {type.describe()}',
            span=node.span,
            hint=f'Did you mean "{close[0]}"?' if close else None,
            suggestions=close,
        )

    # ----------------------------------------------------------- filters

    def _operator(self, comparison: Comparison, type: Type, what: str) -> None:
        if comparison.op not in type.kind.operators:
            usable = sorted(type.kind.operators, key=list(Op).index)
            words = ", ".join(f"'{operator_words(op)}'" for op in usable)
            raise ValueTypeError(
                f"'{operator_words(comparison.op, comparison.negated)}' does not apply to {what}, "
                f"which is {type.describe()}",
                span=comparison.span,
                hint=f"For {type.describe()} use {words}.",
            )

    @staticmethod
    def no_empty_text(comparison: Comparison) -> None:
        """Refuse ``""`` written as a value to compare with: an empty text is a missing
        value, and a comparison with one is never true, so it cannot be what was meant."""
        for node in comparison.values:
            if isinstance(node, Text) and not node.value:
                wanted = "is not empty" if comparison.negated else "is empty"
                hint = (
                    f"To ask whether it is missing, write '{comparison.subject} {wanted}'."
                    if comparison.op is Op.IS
                    else "Write the text to compare with between the quotes."
                )
                raise ValueTypeError(
                    '"" is an empty text, which counts as a missing value: '
                    "a comparison with it would never hold",
                    span=node.span,
                    hint=hint,
                )

    def _values(self, comparison: Comparison, type: Type, what: str) -> tuple[Any, ...]:
        """The comparison's values checked for the subject's type: a list's items
        for a list; text as written for a part of a value of a kind that refines
        text (what such a value contains need not be one of the kind)."""
        if type.kind is Kind.LIST:
            type = type.item or Type(Kind.ANY)
        elif type.kind.textual and type.kind is not Kind.TEXT and comparison.op not in (Op.IS, Op.ONE_OF):
            type = Type(Kind.TEXT)
        values = []
        for node in comparison.values:
            value = self.fit(node, type, what)
            if type.choices and comparison.op in (Op.IS, Op.ONE_OF):
                value = self._choice(node, value, type, what)
            values.append(value)
        return tuple(values)

    def filter(self, tree: Filter, concept: type[Concept]) -> Filter:
        """The bound filter for ``concept`` (see the module's docstring)."""
        if not isinstance(tree, Filter):
            raise TypeError(f"{type(tree).__name__} is not a filter")
        return transform(
            tree, lambda node: self._bound(node, concept) if isinstance(node, Comparison) else node
        )

    def _bound(self, comparison: Comparison, concept: type[Concept]) -> Comparison:
        """One comparison of a filter bound for ``concept``."""
        comparison = self._dated(comparison)
        if not isinstance(comparison.subject, NounPhrase):
            raise TypeError("a filter compares fields")
        field = field_of(concept, comparison.subject)
        what = f"'{field.english}'"
        self._operator(comparison, field.type, what)
        self.no_empty_text(comparison)
        values = self._values(comparison, field.type, what)
        bound = tuple(
            literal(value).replace(span=node.span)
            for value, node in zip(values, comparison.values, strict=True)
        )
        subject = NounPhrase.of(field.english).replace(span=comparison.subject.span)
        return comparison.replace(subject=subject, values=bound)

    def check(self, tree: Filter) -> bool:
        """Whether a condition holds now."""
        if isinstance(tree, Comparison):
            tree = self._dated(tree)
            if isinstance(tree.subject, NounPhrase):
                raise TypeError("a condition compares values")
            actual, declared = self.typed(tree.subject)
            expected = declared or Type(kind_of_value(actual) if actual is not None else Kind.ANY)
            what = f"'{tree.subject}'"
            if (
                tree.op is not Op.EMPTY
                and expected.kind is Kind.ANY
                and not is_empty(actual)
                and kind_of_value(actual) is Kind.ANY
            ):
                raise ValueTypeError(
                    f"'{operator_words(tree.op, tree.negated)}' does not apply to {what}, "
                    f"which is a {type_name(actual)}",
                    span=tree.span,
                    hint="Compare one of its fields instead, or test it with 'is empty'.",
                )
            self._operator(tree, expected, what)
            self.no_empty_text(tree)
            if tree.op is not Op.EMPTY and any(is_empty(self.value(node)) for node in tree.values):
                return False  # a comparison with a missing value is false, negated or not
            values = self._values(tree, expected, what) if tree.op is not Op.EMPTY else ()
            return compare(actual, expected, tree.op, values, tree.negated, self.timezone)
        if isinstance(tree, And):
            return all(self.check(part) for part in tree.parts)
        if isinstance(tree, Or):
            return any(self.check(part) for part in tree.parts)
        if isinstance(tree, Not):
            return not self.check(tree.part)
        raise TypeError(f"{type(tree).__name__} is not a condition")
