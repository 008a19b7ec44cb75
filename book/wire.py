"""Twilio's Message resource and list page, exactly as they travel on the wire.

Field names are Twilio's (``from``, ``to``), counts and prices are strings
(``"1"``, ``"-0.00750"``), dates are RFC 2822 strings in GMT
(``"Thu, 30 Jul 2015 20:12:31 +0000"``), and fields Twilio adds later are kept
as they come. ``to_json()`` gives back what was read, key for key.

>>> message = WireMessage.model_validate({"sid": "SM" + "0" * 32, "from": "+15005550006", "num_segments": "1"})
>>> message.from_, message.to_json()
('+15005550006', {'sid': 'SM00000000000000000000000000000000', 'from': '+15005550006', 'num_segments': '1'})
>>> parse_rfc2822("Thu, 30 Jul 2015 20:12:31 +0000").isoformat()
'2015-07-30T20:12:31+00:00'
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["API_VERSION", "WireMessage", "WirePage", "format_rfc2822", "parse_count", "parse_rfc2822"]

API_VERSION = "2010-04-01"


def parse_count(text: object) -> int | None:
    """A whole number written as Twilio writes counts, ASCII digits only (``"2"``),
    else None: other scripts' digits ("²", "٣") and numbers of more digits than
    any count are not counts.

    >>> parse_count("12"), parse_count("²"), parse_count("-1"), parse_count("9" * 40)
    (12, None, None, None)
    """
    if not isinstance(text, str) or re.fullmatch("[0-9]{1,18}", text) is None:
        return None
    return int(text)


def parse_rfc2822(text: str) -> dt.datetime:
    """An RFC 2822 date as an aware datetime in UTC; ``ValueError`` if it is not one."""
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"{text!r} is not an RFC 2822 date") from exc
    if moment.tzinfo is None:  # "-0000": the time is in UTC, says RFC 2822
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def format_rfc2822(moment: dt.datetime) -> str:
    """An instant the way Twilio writes it: ``Thu, 30 Jul 2015 20:12:31 +0000``."""
    if moment.tzinfo is None:
        raise ValueError("an instant must be time-zone aware")
    return email.utils.format_datetime(moment.astimezone(dt.UTC).replace(microsecond=0))


class _Wire(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)

    def to_json(self) -> dict[str, Any]:
        """The resource as Twilio's JSON: the keys it was read with (or set with), Twilio's names."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class WireMessage(_Wire):
    """A Message resource (``api.v2010.account.message`` in Twilio's OpenAPI description)."""

    sid: str | None = None
    account_sid: str | None = None
    messaging_service_sid: str | None = None
    from_: str | None = Field(default=None, alias="from")
    to: str | None = None
    body: str | None = None
    status: str | None = None
    direction: str | None = None
    num_segments: str | None = None
    num_media: str | None = None
    price: str | None = None
    price_unit: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    date_created: str | None = None
    date_updated: str | None = None
    date_sent: str | None = None
    api_version: str | None = None
    uri: str | None = None
    subresource_uris: dict[str, str] | None = None


class WirePage(_Wire):
    """One page of a list of messages (``ListMessageResponse``)."""

    messages: list[WireMessage]
    page: int = 0
    page_size: int = 50
    start: int = 0
    end: int = 0
    uri: str | None = None
    first_page_uri: str | None = None
    next_page_uri: str | None = None
    previous_page_uri: str | None = None
