"""The limits of the English, in one place: how long a line and a script may be,
how deep blocks and filters nest, and which numbers the book takes.

Each limit is far beyond what a script needs, and keeps every stage cheap: a
script is refused by its size before it is parsed, nesting is refused as the
parser reads it (so that no later stage recurses deeper than Python allows),
and a number is checked by its digits and exponent alone, before anything
converts it (``int()`` of ``1e999999999`` would never return).

>>> from decimal import Decimal
>>> check_number(Decimal("-0.00790"))
>>> check_number(Decimal("1e999999999"))
Traceback (most recent call last):
...
ValueError: 1E+999999999 is too large (1,000,000,000 digits before the decimal point): the book takes numbers of at most 30 digits before the decimal point and 30 after it
"""

from __future__ import annotations

import math
from decimal import Decimal

__all__ = [
    "DEPTH",
    "DIGITS",
    "FIRST_YEAR",
    "LAST_YEAR",
    "LINE",
    "SCRIPT",
    "check_moment",
    "check_number",
    "number_range",
]

LINE = 10_000
"""The most characters a line may hold."""

SCRIPT = 500_000
"""The most characters a script (or a filter, or a name) may hold."""

DEPTH = 32
"""The deepest that blocks nest (each ``else if`` counting as one block more),
and the most ``not``s and parentheses a comparison may be inside."""

DIGITS = 30
"""The most digits a number has before its decimal point, and the most after it."""

FIRST_YEAR, LAST_YEAR = 2, 9998
"""The years of the dates and times the book takes: a day further out would
overflow Python's dates once a time zone or an offset moves it."""


def check_moment(value: object) -> None:
    """Nothing when ``value`` (a date, or a date and time) is in the years the
    book takes; else ``ValueError`` saying so.

    >>> import datetime as dt
    >>> check_moment(dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=-14))))
    Traceback (most recent call last):
    ...
    ValueError: 9999-12-31T23:59:00-14:00 is outside the dates the book works with (the years 2 to 9998)
    """
    import datetime as dt

    if isinstance(value, dt.date) and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(
            f"{value.isoformat()} is outside the dates the book works with (the years {FIRST_YEAR} to {LAST_YEAR})"
        )


def number_range() -> str:
    """The range of numbers, in the words the errors use."""
    return f"the book takes numbers of at most {DIGITS} digits before the decimal point and {DIGITS} after it"


def check_number(value: Decimal | int | float, what: str | None = None) -> None:
    """Nothing when ``value`` is a number the book takes; else ``ValueError``
    saying what is wrong and the range (``what`` names the number in it, by
    default its first digits). Cheap for any value: it looks at the exponent
    and the digits, and never converts the number."""
    if isinstance(value, Decimal):
        if value.is_finite():
            _, digits, exponent = value.as_tuple()
            if exponent >= -DIGITS and len(digits) + exponent <= DIGITS:  # type: ignore[operator]
                return  # every number anyone writes
    elif isinstance(value, bool):
        raise ValueError("yes or no is not a number")
    elif isinstance(value, int):
        # 3.33 bits a digit: a number of more bits than this has more digits than the book takes
        if value.bit_length() > 4 * DIGITS or abs(value) >= 10**DIGITS:
            count = (
                f"{len(str(abs(value))):,}"
                if value.bit_length() <= 10_000  # quick to write in decimal: up to about 3,000 digits
                else f"about {math.floor(value.bit_length() * math.log10(2)) + 1:,}"
            )
            raise ValueError(f"{what or 'a whole number'} is too large ({count} digits): {number_range()}")
        return
    elif math.isfinite(value):
        value = Decimal(repr(value))  # the float as written: 0.1, not its binary expansion
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(f"{what or value} is not a number the book can work with")
    shown = what or _brief(value)
    before = value.adjusted() + 1  # digits before the point, for a number of 1 or more
    if before > DIGITS:
        raise ValueError(
            f"{shown} is too large ({before:,} digits before the decimal point): {number_range()}"
        )
    _, digits, exponent = value.as_tuple()
    zeros = len(digits) - len(bytes(digits).rstrip(b"\0"))  # trailing zeros after the point count for nothing
    after = -(exponent + zeros)  # type: ignore[operator]
    if after > DIGITS and any(digits):
        raise ValueError(
            f"{shown} has too many decimals ({after:,} digits after the decimal point): {number_range()}"
        )


def _brief(value: Decimal) -> str:
    """``value`` as an error quotes it: cut after 20 characters when it is long."""
    text = str(value)
    return text if len(text) <= 24 else text[:20] + "..."
