"""Contradictions in a normalised filter (``simplify``), and the ranges they are found by.

A filter that cannot match (two values of one field, an empty range, a
comparison on a field also asked to be empty, a value no thing can have) needs
no request at all: ``simplify`` finds it and folds it to ``False``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from grammar import And, Comparison, Filter, Op, Or
from procedures.concepts import field_of
from procedures.evaluate import day_start, python
from procedures.filters import ORDER_COMPLEMENT, ORDERED, NodeKeys, Tree, field_name, fold, kind_of
from procedures.kinds import Type

__all__ = ["Bound", "interval", "simplify", "tighter"]

Bound = tuple[Any, bool]  # (value, included)


def interval(comparison: Comparison, timezone: dt.tzinfo) -> tuple[Bound | None, Bound | None] | None:
    """The range of a positive comparison on a time or a number, as (lower, upper)
    bounds, each (value, included) or None; None when it is not a range.

    >>> from grammar import Date, NounPhrase
    >>> interval(Comparison(NounPhrase.of("date sent"), Op.IS, (Date(dt.date(2024, 3, 1)),)), dt.UTC)
    ((datetime.datetime(2024, 3, 1, 0, 0, tzinfo=datetime.timezone.utc), True), (datetime.datetime(2024, 3, 2, 0, 0, tzinfo=datetime.timezone.utc), False))
    """
    if comparison.negated or comparison.op not in (Op.IS, Op.BETWEEN, *ORDER_COMPLEMENT):
        return None
    values = [python(value) for value in comparison.values]
    if any(isinstance(value, (str, bool)) for value in values):
        return None

    def start(value: Any) -> Bound:
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            return (value, True)
        return (day_start(value, timezone), True)

    def end(value: Any, after: bool = False) -> Bound:
        """The last bound of a value: its end (a day's is excluded); ``after``: what is after it."""
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            return (value, not after)
        return (day_start(value + dt.timedelta(days=1), timezone), after)

    op = comparison.op
    if op is Op.IS:
        return start(values[0]), end(values[0])
    if op is Op.BETWEEN:
        return start(values[0]), end(values[1])
    if op in (Op.AFTER, Op.GREATER):
        return end(values[0], after=True), None
    if op in (Op.ON_OR_AFTER, Op.AT_LEAST):
        return start(values[0]), None
    if op in (Op.BEFORE, Op.LESS):
        value, _ = start(values[0])
        return None, (value, False)
    return None, end(values[0])  # on or before, at most


def tighter(one: Bound | None, other: Bound | None, lower: bool) -> Bound | None:
    """The tighter of two lower (or two upper) bounds, None being no bound.

    >>> tighter((1, True), (1, False), lower=True), tighter((1, True), (3, True), lower=False)
    ((1, False), (1, True))
    """
    if one is None or other is None:
        return one or other
    if one[0] != other[0]:
        return (one if one[0] > other[0] else other) if lower else (one if one[0] < other[0] else other)
    return (one[0], one[1] and other[1])


def _hollow(lower: Bound | None, upper: Bound | None) -> bool:
    if lower is None or upper is None:
        return False
    return bool(lower[0] > upper[0] or (lower[0] == upper[0] and not (lower[1] and upper[1])))


def _folded(field_type: Type, value: Any) -> Any:
    """A value as the field compares it (its kind's fold; exact text as it is)."""
    return field_type.fold(value) if isinstance(value, str) else value


def _contradicts(
    parts: Sequence[Filter], concept: type[Any], timezone: dt.tzinfo, patterns: Mapping[str, re.Pattern[str]]
) -> bool:
    """Whether the comparisons of an and cannot all hold."""
    empty: set[str] = set()
    compared: set[str] = set()
    allowed: dict[str, set[Any]] = {}
    ranges: dict[str, tuple[Bound | None, Bound | None]] = {}
    for part in parts:
        if not isinstance(part, Comparison):
            continue
        field = field_name(part)
        if part.op is Op.EMPTY:
            if not part.negated:
                empty.add(field)
            continue
        compared.add(field)
        kind = kind_of(part, concept)
        if part.op in (Op.IS, Op.ONE_OF) and not part.negated and kind.textual:
            field_type = field_of(concept, part.subject).type  # type: ignore[arg-type]
            values = {_folded(field_type, python(value)) for value in part.values}
            pattern = patterns.get(field)
            if pattern is not None:  # every thing has a value of this form: no other value can match
                values = {value for value in values if pattern.fullmatch(str(value))}
            allowed[field] = allowed[field] & values if field in allowed else values
        bounds = interval(part, timezone) if kind.base in ORDERED else None
        if bounds is not None:
            lower, upper = ranges.get(field, (None, None))
            ranges[field] = (tighter(lower, bounds[0], True), tighter(upper, bounds[1], False))
    if empty & compared:
        return True
    if any(not values for values in allowed.values()):
        return True
    try:
        return any(_hollow(lower, upper) for lower, upper in ranges.values())
    except TypeError:  # a date compared with an instant on a date field: leave it to the evaluator
        return False


def simplify(
    tree: Tree,
    concept: type[Any],
    timezone: dt.tzinfo = dt.UTC,
    patterns: Mapping[str, re.Pattern[str]] | None = None,
    keys: NodeKeys | None = None,
) -> Tree:
    """Contradictions found and folded away (``False`` when nothing can match), in
    a normalised filter over ``concept``. ``patterns``: for a text field whose every
    value has a form (a key such as a sid), that form: an equality with a value
    of another form matches nothing.

    >>> import re
    >>> from grammar import parse_filter
    >>> from procedures import Concept
    >>> class Letter(Concept):
    ...     english = "letter"
    ...     code: str | None = None
    ...     date_sent: dt.datetime | None = None
    >>> simplify(parse_filter('code is "A1" and code is "B2"'), Letter)
    False
    >>> simplify(parse_filter("date sent is after 2024-03-02 and date sent is before 2024-03-02"), Letter)
    False
    >>> simplify(parse_filter('code is "A1"'), Letter, patterns={"code": re.compile("[A-Z]{2}[0-9]+")})
    False
    """
    return _simplified(tree, concept, timezone, patterns or {}, NodeKeys() if keys is None else keys)


def _simplified(
    tree: Tree,
    concept: type[Any],
    timezone: dt.tzinfo,
    patterns: Mapping[str, re.Pattern[str]],
    keys: NodeKeys,
) -> Tree:
    if isinstance(tree, Or):
        return fold(
            Or, [_simplified(part, concept, timezone, patterns, keys) for part in tree.parts], tree.span, keys
        )
    if isinstance(tree, And):
        tree = fold(
            And,
            [_simplified(part, concept, timezone, patterns, keys) for part in tree.parts],
            tree.span,
            keys,
        )
        if isinstance(tree, And) and _contradicts(tree.parts, concept, timezone, patterns):
            return False
    if isinstance(tree, Comparison) and _contradicts((tree,), concept, timezone, patterns):
        return False
    return tree
