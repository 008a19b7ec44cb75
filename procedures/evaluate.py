"""The reference evaluator: whether a filter or condition holds, exactly as the language says.

Every part of the project that filters must agree with ``holds``; it is the
oracle of their tests. The meaning (docs/language.md, "Meaning"):

- a date is a whole day in the book's time zone: ``is D`` is within it,
  ``is after D`` after its end, ``is before D`` before its start, ``is on or
  after D`` from its start, ``is on or before D`` up to its end;
- a date and time is an instant; text compares without regard to case (but
  identifiers, marked ``Exact``, such as sids); a kind a book adds compares as
  the kind it refines, after its own fold (kinds.py);
- a comparison against a missing value is false, the negated operators
  included; empty text and empty lists count as missing; ``is empty`` asks for
  missing values; ``not`` is plain negation. So ``not (F OP V)`` is exactly
  ``F OP' V or F is empty`` (OP' the negated operator), which lets the planner
  push ``not`` inward without changing any answer.

The filters it evaluates are *bound* (see binding.py): subjects are field
names and values are literals of the field's kind.

>>> import datetime as dt
>>> from grammar import Op
>>> t = dt.datetime(2024, 3, 1, 23, 59, 59, tzinfo=dt.UTC)
>>> compare(t, Type(Kind.TIME), Op.IS, (dt.date(2024, 3, 1),), False, dt.UTC)
True
>>> compare(t, Type(Kind.TIME), Op.AFTER, (dt.date(2024, 3, 1),), False, dt.UTC)
False
>>> compare(None, Type(Kind.TEXT), Op.IS, ("sent",), True, dt.UTC)
False
"""

from __future__ import annotations

import builtins
import datetime as dt
import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from grammar import (
    And,
    Comparison,
    Date,
    DateTime,
    Filter,
    Not,
    NounPhrase,
    Number,
    Op,
    Or,
    Text,
    Value,
    check_number,
)
from procedures.concepts import Concept, field_of
from procedures.errors import ValueTypeError
from procedures.kinds import Kind, Type

__all__ = [
    "compare",
    "day_start",
    "holds",
    "literal",
    "python",
]


def day_start(day: dt.date, timezone: dt.tzinfo) -> dt.datetime:
    """The first instant of ``day`` in ``timezone`` (aware)."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=timezone)


def instant(moment: dt.datetime, timezone: dt.tzinfo) -> dt.datetime:
    """An instant in UTC (a naive one read in ``timezone``). Python compares two
    times that share a zone by their wall clocks, which goes wrong around a
    change of the clocks; in UTC it cannot."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone)).astimezone(dt.UTC)


def _bounds(value: Any, timezone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime, bool]:
    """(first instant, last bound, whether the last bound is excluded) of a date or an instant."""
    if isinstance(value, dt.datetime):
        moment = instant(value, timezone)
        return moment, moment, False
    start, end = day_start(value, timezone), day_start(value + dt.timedelta(days=1), timezone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC), True


def _time(actual: dt.datetime, op: Op, values: tuple[Any, ...], timezone: dt.tzinfo) -> bool:
    actual = instant(actual, timezone)
    if op is Op.BETWEEN:
        low, _, _ = _bounds(values[0], timezone)
        _, high, open_end = _bounds(values[1], timezone)
        return low <= actual and (actual < high if open_end else actual <= high)
    if op is Op.ONE_OF:
        return any(_time(actual, Op.IS, (value,), timezone) for value in values)
    start, end, open_end = _bounds(values[0], timezone)
    if op is Op.IS:
        return start <= actual < end if open_end else actual == start
    if op in (Op.AFTER, Op.GREATER):
        return actual >= end if open_end else actual > end
    if op in (Op.BEFORE, Op.LESS):
        return actual < start
    if op in (Op.ON_OR_AFTER, Op.AT_LEAST):
        return actual >= start
    if op in (Op.ON_OR_BEFORE, Op.AT_MOST):
        return actual < end if open_end else actual <= end
    raise ValueError(f"'{op.value}' does not compare dates and times")


def _ordered(actual: Any, op: Op, values: tuple[Any, ...]) -> bool:
    """Numbers, and dates compared with dates."""
    first = values[0]
    if op is Op.IS:
        return bool(actual == first)
    if op is Op.ONE_OF:
        return any(actual == value for value in values)
    if op is Op.BETWEEN:
        return bool(values[0] <= actual <= values[1])
    if op in (Op.AFTER, Op.GREATER):
        return bool(actual > first)
    if op in (Op.BEFORE, Op.LESS):
        return bool(actual < first)
    if op in (Op.ON_OR_AFTER, Op.AT_LEAST):
        return bool(actual >= first)
    if op in (Op.ON_OR_BEFORE, Op.AT_MOST):
        return bool(actual <= first)
    raise ValueError(f"'{op.value}' does not compare numbers")


def _text(actual: str, op: Op, values: tuple[Any, ...], fold: Callable[[str], str]) -> bool:
    have = fold(actual)
    wanted = [fold(str(value)) for value in values]
    if op is Op.IS:
        return have == wanted[0]
    if op is Op.ONE_OF:
        return have in wanted
    if op is Op.CONTAINS:
        return wanted[0] in have
    if op is Op.STARTS_WITH:
        return have.startswith(wanted[0])
    if op is Op.ENDS_WITH:
        return have.endswith(wanted[0])
    raise ValueError(f"'{op.value}' does not compare text")


def kind_of_value(value: Any) -> Kind:
    """The kind of a Python value whose type nobody declared."""
    if isinstance(value, bool):
        return Kind.FLAG
    if isinstance(value, str):
        return Kind.TEXT
    if isinstance(value, (int, float, Decimal)):
        return Kind.NUMBER
    if isinstance(value, dt.datetime):
        return Kind.TIME
    if isinstance(value, dt.date):
        return Kind.DATE
    if isinstance(value, (list, tuple)):
        return Kind.LIST
    if isinstance(value, Concept):
        return Kind.CONCEPT
    return Kind.ANY


def is_empty(value: Any) -> bool:
    """Missing: None, empty text, an empty list, or a number that is not one (NaN)."""
    if value is None:
        return True
    if isinstance(value, (str, list, tuple)):
        return len(value) == 0
    if isinstance(value, Decimal):
        return value.is_nan()  # a signalling NaN cannot even be compared
    if isinstance(value, float):
        return math.isnan(value)
    return False


def compare(
    actual: Any, type: Type, op: Op, values: tuple[Any, ...], negated: bool, timezone: dt.tzinfo
) -> bool:
    """Whether ``actual OP values`` holds (``negated``: the negated operator).

    ``values`` are Python values already checked against ``type`` (binding.py).
    """
    if op is Op.EMPTY:
        return is_empty(actual) != negated
    if is_empty(actual):
        return False
    kind = (type.kind if type.kind is not Kind.ANY else kind_of_value(actual)).base
    if kind is Kind.TEXT:
        result = _text(str(actual), op, values, type.fold if type.kind is not Kind.ANY else kind.fold)
    elif kind is Kind.TIME or (kind is Kind.DATE and any(isinstance(v, dt.datetime) for v in values)):
        if not isinstance(actual, dt.datetime):
            actual = day_start(actual, timezone)
        result = _time(actual, op, values, timezone)
    elif kind is Kind.NUMBER:
        result = _ordered(Decimal(str(actual)) if isinstance(actual, float) else actual, op, values)
    elif kind in (Kind.DATE, Kind.FLAG):
        result = _ordered(actual, op, values)
    elif kind is Kind.LIST and op is Op.CONTAINS:
        wanted = values[0]
        result = any(
            (item.casefold() == str(wanted).casefold()) if isinstance(item, str) else item == wanted
            for item in actual
        )
    else:
        what = (
            type.describe() if type.kind is not Kind.ANY else f"a value of Python's type {type_name(actual)}"
        )
        raise ValueTypeError(f"'{op.value}' does not apply to {what}")
    return result != negated


def type_name(value: Any) -> str:
    return getattr(value, "english", None) or builtins.type(value).__name__


def python(node: Value) -> Any:
    """The Python value of a literal node: str, Decimal, date or datetime."""
    if isinstance(node, (Text, Number, Date, DateTime)):
        return node.value
    raise TypeError(f"{type(node).__name__} is not a literal; bind the filter first")


def literal(value: Any) -> Value:
    """The literal node of a Python value (the inverse of ``python``); ``ValueError``
    for a number outside the book's range (grammar/limits.py)."""
    if isinstance(value, bool):
        raise TypeError("yes/no values have no literal in the English")
    if isinstance(value, str):
        return Text(value)
    if isinstance(value, (int, float, Decimal)):
        check_number(value)  # ValueError before any conversion: Decimal() of a huge int is slow
        return Number(Decimal(str(value)) if isinstance(value, float) else Decimal(value))
    if isinstance(value, dt.datetime):
        return DateTime(value)
    if isinstance(value, dt.date):
        return Date(value)
    raise TypeError(f"{type(value).__name__} has no literal in the English")


def _field_value(item: Concept | Mapping[str, Any], name: str) -> Any:
    if isinstance(item, Mapping):
        return item.get(name)
    return getattr(item, name)


def holds(
    filter: Filter, item: Concept | Mapping[str, Any], concept: type[Concept], timezone: dt.tzinfo
) -> bool:
    """Whether the bound ``filter`` holds for ``item``, an instance of ``concept``
    (or a mapping of its Python field names)."""
    if isinstance(filter, Comparison):
        if not isinstance(filter.subject, NounPhrase):
            raise TypeError("a filter compares fields; bind conditions with binding.py")
        field = field_of(concept, filter.subject)
        values = tuple(python(value) for value in filter.values)
        return compare(
            _field_value(item, field.name), field.type, filter.op, values, filter.negated, timezone
        )
    if isinstance(filter, And):
        return all(holds(part, item, concept, timezone) for part in filter.parts)
    if isinstance(filter, Or):
        return any(holds(part, item, concept, timezone) for part in filter.parts)
    if isinstance(filter, Not):
        return not holds(filter.part, item, concept, timezone)
    raise TypeError(f"{type(filter).__name__} is not a filter")
