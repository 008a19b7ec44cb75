"""What every Twilio resource is on the wire: the base of wire models and list pages, and Twilio's ways of writing values.

Field names are Twilio's (``from``, ``to``), counts and prices are strings
(``"1"``, ``"-0.00750"``), dates are RFC 2822 strings in GMT
(``"Thu, 30 Jul 2015 20:12:31 +0000"``), and fields Twilio adds later are kept
as they come. ``to_json()`` gives back what was read, key for key. Each
resource's own wire model is declared with the resource (book/resources/).

>>> parse_rfc2822("Thu, 30 Jul 2015 20:12:31 +0000").isoformat()
'2015-07-30T20:12:31+00:00'
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = [
    "API_VERSION",
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "Page",
    "Wire",
    "format_rfc2822",
    "parse_count",
    "parse_rfc2822",
]

API_VERSION = "2010-04-01"
DEFAULT_PAGE_SIZE = 50  # Twilio's page when a list asks for no PageSize
MAX_PAGE_SIZE = 1000  # Twilio's largest page: the clients ask for no more, the sandbox gives no more


_COUNT = re.compile("[0-9]{1,18}")


def parse_count(text: object) -> int | None:
    """A whole number written as Twilio writes counts, ASCII digits only (``"2"``),
    else None: other scripts' digits ("²", "٣") and numbers of more digits than
    any count are not counts.

    >>> parse_count("12"), parse_count("²"), parse_count("-1"), parse_count("9" * 40)
    (12, None, None, None)
    """
    if not isinstance(text, str) or _COUNT.fullmatch(text) is None:
        return None
    return int(text)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH = {name: number for number, name in enumerate(_MONTHS, 1)}
# The form Twilio writes, read without the general parser (which accepts far more).
_TWILIO = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) ([A-Z][a-z]{2}) (\d{4}) (\d\d):(\d\d):(\d\d) \+0000"
)


def parse_rfc2822(text: str) -> dt.datetime:
    """An RFC 2822 date as an aware datetime in UTC; ``ValueError`` if it is not one.

    The form Twilio writes (``Thu, 30 Jul 2015 20:12:31 +0000``) is read directly;
    any other goes through ``email.utils``, which gives the same instant for this
    form too (a property test holds the two together)."""
    found = _TWILIO.fullmatch(text) if isinstance(text, str) else None
    if found is not None:
        day, month, year, hour, minute, second = found.groups()
        number = _MONTH.get(month)
        if number is not None and int(year) >= 100:  # email.utils reads years below 100 as 19xx/20xx
            try:
                return dt.datetime(
                    int(year), number, int(day), int(hour), int(minute), int(second), tzinfo=dt.UTC
                )
            except ValueError:
                pass  # not in the calendar: the general parser says what it makes of it
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"{text!r} is not an RFC 2822 date") from exc
    if moment.tzinfo is None:  # "-0000": the time is in UTC, says RFC 2822
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def is_twilio_form(raw: str, moment: dt.datetime) -> bool:
    """Whether ``format_rfc2822(moment)`` gives ``raw`` back, checked cheaply: a raw
    date in the form Twilio writes is, if its day of the week is right."""
    return (
        _TWILIO.fullmatch(raw) is not None
        and raw[:3] == _DAYS[moment.weekday()]
        and int(raw[12:16]) >= 100
        and moment.microsecond == 0
        and moment.tzinfo is dt.UTC
    ) or format_rfc2822(moment) == raw


def format_rfc2822(moment: dt.datetime) -> str:
    """An instant the way Twilio writes it: ``Thu, 30 Jul 2015 20:12:31 +0000``
    (as ``email.utils.format_datetime`` writes it, without its cost)."""
    if moment.tzinfo is None:
        raise ValueError("an instant must be time-zone aware")
    utc = moment.astimezone(dt.UTC) if moment.tzinfo is not dt.UTC else moment
    return (
        f"{_DAYS[utc.weekday()]}, {utc.day:02d} {_MONTHS[utc.month - 1]} {utc.year:04d} "
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d} +0000"
    )


class Wire(BaseModel):
    """A resource as it travels: Twilio's names, strings kept as written, and any
    field Twilio adds later kept as it came."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)

    def to_json(self) -> dict[str, Any]:
        """The resource as Twilio's JSON: the keys it was read with (or set with), Twilio's names."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class Page(Wire):
    """What every list page of Twilio's 2010 API has besides its items, which each
    resource's page model adds under its own key (``messages``, ...)."""

    page: int = 0
    page_size: int = DEFAULT_PAGE_SIZE
    start: int = 0
    end: int = 0
    uri: str | None = None
    first_page_uri: str | None = None
    next_page_uri: str | None = None
    previous_page_uri: str | None = None
