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
    "read_rfc2822",
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
# The form Twilio writes ("Thu, 30 Jul 2015 20:12:31 +0000": 31 characters, ASCII
# digits) is read without the general parser, which accepts far more: each day and
# each minute read is held (a page's dates share their days, and a message's three
# dates most often their minute), the hour, minute and second come from tables.
_DAY = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{2}) ([A-Z][a-z]{2}) ([0-9]{4})")
_HOURS = {f" {hour:02d}:": dt.timedelta(hours=hour) for hour in range(24)}
_SIXTY = {f"{number:02d}": number for number in range(60)}
_MINUTES_OF_HOUR = {text: dt.timedelta(minutes=number) for text, number in _SIXTY.items()}
_SECONDS = {text: dt.timedelta(seconds=number) for text, number in _SIXTY.items()}
_DAYS_READ: dict[str, tuple[dt.datetime, bool]] = {}
_MINUTES_READ: dict[str, tuple[dt.datetime, bool]] = {}
HELD = 1024  # days and minutes held (a page's, about 0.4 MB at most), then forgotten at once


def _day(text: str) -> tuple[dt.datetime, bool] | None:
    """The midnight of a day as Twilio writes it (``Thu, 30 Jul 2015``) and whether
    its day of the week is right; None for other text, for a day not in the calendar
    and for a year below 100 (which the general parser reads as 19xx/20xx)."""
    found = _DAYS_READ.get(text)
    if found is not None:
        return found
    match = _DAY.fullmatch(text)
    if match is None:
        return None
    weekday, day, month, year = match.groups()
    number = _MONTH.get(month)
    if number is None or int(year) < 100:
        return None
    try:
        midnight = dt.datetime(int(year), number, int(day), tzinfo=dt.UTC)
    except ValueError:
        return None
    if len(_DAYS_READ) >= HELD:
        _DAYS_READ.clear()
    found = _DAYS_READ[text] = (midnight, weekday == _DAYS[midnight.weekday()])
    return found


def _minute(text: str) -> tuple[dt.datetime, bool] | None:
    """The minute a date of Twilio's form starts with (``Thu, 30 Jul 2015 20:12``) and
    whether its day of the week is right; None for other text (see ``_day``)."""
    day = _day(text[:16])
    hour = _HOURS.get(text[16:20])
    minute = _MINUTES_OF_HOUR.get(text[20:22])
    if day is None or hour is None or minute is None:
        return None
    if len(_MINUTES_READ) >= HELD:
        _MINUTES_READ.clear()
    found = _MINUTES_READ[text] = (day[0] + hour + minute, day[1])
    return found


def parse_rfc2822(text: str) -> dt.datetime:
    """An RFC 2822 date as an aware datetime in UTC; ``ValueError`` if it is not one.

    The form Twilio writes (``Thu, 30 Jul 2015 20:12:31 +0000``) is read directly;
    any other goes through ``email.utils``, which gives the same instant for this
    form too (a property test holds the two together)."""
    found = read_rfc2822(text)
    return found[0] if found is not None else _general(text)


def _general(text: str) -> dt.datetime:
    """``parse_rfc2822`` by ``email.utils``, which reads every form RFC 2822 allows."""
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"{text!r} is not an RFC 2822 date") from exc
    if moment.tzinfo is None:  # "-0000": the time is in UTC, says RFC 2822
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def read_rfc2822(raw: object) -> tuple[dt.datetime, bool] | None:
    """A wire date read as ``parse_rfc2822`` reads it, and whether ``format_rfc2822``
    writes it back as ``raw`` (Twilio's own form does, if its day of the week is
    right); None if ``raw`` is not a date.

    >>> read_rfc2822("Thu, 30 Jul 2015 20:12:31 +0000")[1], read_rfc2822("Thu, 30 Jul 2015 20:12:31 GMT")[1]
    (True, False)
    """
    if type(raw) is not str:
        return None
    if len(raw) == 31 and raw[25:] == " +0000" and raw[22] == ":":  # Twilio's form, read directly
        minute = _MINUTES_READ.get(raw[:22]) or _minute(raw[:22])
        second = _SECONDS.get(raw[23:25])
        if minute is not None and second is not None:
            return minute[0] + second, minute[1]
    try:
        moment = _general(raw)
    except ValueError:
        return None
    return moment, format_rfc2822(moment) == raw


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
