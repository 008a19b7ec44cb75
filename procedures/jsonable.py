"""``jsonable``: a value the runtime gives, as JSON-ready data, exactly (the results and errors agents read)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, localcontext
from typing import Any

from grammar import check_number
from procedures.concepts import Concept, fields_of

__all__ = ["jsonable"]


def jsonable(value: Any) -> Any:
    """A value as JSON-ready data, which ``json.dumps(..., allow_nan=False)``
    accepts: concepts by their field names, numbers as numbers (a decimal no
    binary number holds exactly, such as 0.1234567890123456789, as its digits
    in a string, never rounded), dates and times in ISO 8601 (instants in UTC,
    with Z). Numbers the English cannot write, which only a procedure makes:
    NaN is null (it counts as missing), infinities are "Infinity" and
    "-Infinity", and a number outside the book's range (grammar/limits.py) is
    a string of its exact value ("1E+999999999"), but for whole numbers of
    thousands of digits ("about 9.04982E+3010299"). Every conversion is cheap,
    whatever the number."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if _within(value) else _whole(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return value if math.isfinite(value) else "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, Decimal):
        if value.is_nan():  # quiet or signalling
            return None
        if value.is_infinite():
            return "-Infinity" if value.is_signed() else "Infinity"
        if not _within(value):
            return str(value)  # exact and short: Decimal writes large exponents in scientific notation
        if value == value.to_integral_value():
            return int(value)  # JSON integers keep every digit
        rounded = float(value)
        return rounded if Decimal(repr(rounded)) == value else format(value, "f")  # never silently rounded
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.isoformat()
        try:
            return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        except OverflowError:  # at the very edge of Python's dates: kept with its own offset
            return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Concept):
        return {field.name: jsonable(getattr(value, field.name)) for field in fields_of(type(value))}
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, Iterable):
        return [jsonable(item) for item in value]
    return str(value)


def _within(number: int | Decimal) -> bool:
    """Whether ``number`` is within the book's range (grammar/limits.py)."""
    try:
        check_number(number)
    except ValueError:
        return False
    return True


def _whole(number: int) -> str:
    """A whole number outside the book's range, as a string: its digits when
    there are a few thousand at most, else six of them (Python takes time
    quadratic in the length to write an integer in decimal)."""
    if number.bit_length() <= 10_000:  # about 3,000 digits
        return str(number)
    shift = number.bit_length() - 64
    with localcontext(Context(prec=20, Emax=MAX_EMAX, Emin=MIN_EMIN)):
        approximate = Decimal(number >> shift) * Decimal(2) ** shift
    return f"about {approximate:.5E}"
