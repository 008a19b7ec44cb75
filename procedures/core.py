"""Procedures every vocabulary has: turning text into a date, a date and time or a number.

They make the Kognitos idiom work as written::

    convert "2022-03-01T15:00:00Z" to a datetime
    use the above as the start date
"""

from __future__ import annotations

import datetime as dt
import email.utils
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from grammar import check_moment, check_number
from grammar.errors import brief
from procedures.context import Context
from procedures.errors import ValueTypeError
from procedures.registry import Registry

__all__ = ["core"]

T = TypeVar("T", dt.date, dt.datetime)

core = Registry()


@core.procedure("to convert a *text* to a (datetime)")
def convert_to_datetime(text: str, context: Context) -> dt.datetime:
    """Reads a date and time written as ISO 8601 (2024-03-01T15:00:00Z) or as in
    e-mail and Twilio (Fri, 01 Mar 2024 15:00:00 +0000); without an offset it is
    in the book's time zone.

    Output Concepts:
        the datetime: The instant the text names.

    Examples:
        convert "2022-03-01T15:00:00Z" to a datetime
        use the above as the start date
        expect the start date is 2022-03-01T15:00:00Z
    """
    value = text.strip()
    try:
        moment = dt.datetime.fromisoformat(value.upper() if "t" in value[10:11] else value)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError) as exc:
            raise ValueTypeError(
                f'"{text}" is not a date and time',
                hint="Write it as 2024-03-01T15:00:00Z, or with an offset such as +02:00.",
            ) from exc
    return _in_years(moment if moment.tzinfo else moment.replace(tzinfo=context.timezone), text)


@core.procedure("to convert a *text* to a (date)")
def convert_to_date(text: str) -> dt.date:
    """Reads a date written as 2024-03-01.

    Output Concepts:
        the date: The day the text names.

    Examples:
        convert "2024-03-01" to a date
        expect the above is 2024-03-01
    """
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueTypeError(f'"{text}" is not a date', hint="Write it as 2024-03-01.") from exc
    return _in_years(day, text)


def _in_years(value: T, text: str) -> T:
    """A converted date or time, if it is in the years the book works with."""
    try:
        check_moment(value)
    except ValueError as exc:
        raise ValueTypeError(str(exc), hint="The book works with dates in the years 2 to 9998.") from None
    return value


@core.procedure("to convert a *text* to a (number)")
def convert_to_number(text: str) -> Decimal:
    """Reads a number written with digits, a point and a sign: -0.0075. Numbers
    have at most 30 digits before the point and 30 after it.

    Output Concepts:
        the number: The number the text names, exactly.

    Examples:
        convert "-0.0075" to a number
        expect the above is -0.0075
    """
    written = text.strip().replace(",", "")
    hint = "Write it with digits: -0.0075."
    try:
        number = Decimal(written)
    except InvalidOperation as exc:
        raise ValueTypeError(f'"{brief(text)}" is not a number', hint=hint) from exc
    if not number.is_finite():
        raise ValueTypeError(f'"{brief(text)}" is not a number', hint=hint)
    try:
        check_number(number, f'"{brief(text)}"')  # before anything converts it: int(1e999999999) never ends
    except ValueError as exc:
        raise ValueTypeError(str(exc)) from None
    return number
