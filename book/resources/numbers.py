"""Phone numbers: the account's IncomingPhoneNumbers, and the concept "twilio phone number".

Twilio filters the list by ``PhoneNumber`` (a part of the number: sent to
narrow the list, and checked here, since a shorter number can be a part of a
longer one) and ``FriendlyName`` (exactly, so the concept compares friendly
names with their case). The capabilities are
the list of what the number can do (``sms``, ``mms``, ``voice``, ``fax``).

>>> wire = WireNumber.model_validate({"sid": "PN" + "0" * 32, "phone_number": "+15005550006",
...     "capabilities": {"voice": False, "sms": True, "mms": True, "fax": False}})
>>> number = NUMBERS.from_wire(wire)
>>> number.capabilities, NUMBERS.to_wire(number) == wire
(['sms', 'mms'], True)
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import Field

from book.phone import PhoneNumber
from book.pushdown import Equal, Fetch
from book.resource import DATE, SAME, Convert, Resource
from book.wire import Page, Wire
from procedures import Concept, Exact, Hidden

__all__ = ["NUMBERS", "IncomingNumber", "NumberPage", "WireNumber"]

CAPABILITIES = ("voice", "sms", "mms", "fax")


class WireNumber(Wire):
    """An IncomingPhoneNumber resource (``api.v2010.account.incoming_phone_number``)."""

    sid: str | None = None
    account_sid: str | None = None
    phone_number: str | None = None
    friendly_name: str | None = None
    capabilities: dict[str, bool] | None = None
    sms_url: str | None = None
    sms_method: str | None = None
    sms_fallback_url: str | None = None
    status_callback: str | None = None
    status: str | None = None
    origin: str | None = None
    date_created: str | None = None
    date_updated: str | None = None
    uri: str | None = None


class NumberPage(Page):
    """One page of the account's numbers."""

    incoming_phone_numbers: list[WireNumber]


class IncomingNumber(Concept):
    """One of the account's phone numbers, with where Twilio sends what it receives."""

    english = "twilio phone number"
    called = "phone number"
    key = "sid"

    sid: Annotated[str | None, Exact()] = None
    phone_number: PhoneNumber | None = None
    friendly_name: Annotated[str | None, Exact()] = None
    capabilities: list[str] = Field(default_factory=list)
    sms_url: str | None = None
    sms_method: str | None = None
    sms_fallback_url: str | None = None
    status_callback: str | None = None
    status: str | None = None
    origin: str | None = None
    date_created: dt.datetime | None = None
    date_updated: dt.datetime | None = None
    account_sid: Annotated[str | None, Exact()] = None
    wire: Annotated[dict[str, Any], Hidden()] = Field(default_factory=dict)

    def describe(self) -> str:
        """One line for ``say``: ``+1… (Main line): SMS to https://…``."""
        named = (
            f" ({self.friendly_name})"
            if self.friendly_name and self.friendly_name != self.phone_number
            else ""
        )
        return f"{self.phone_number}{named}: SMS to {self.sms_url or 'nowhere'}"


def _capabilities(raw: Any) -> Any:
    if not isinstance(raw, dict):
        return raw
    return [name for name, able in raw.items() if able is True]


def _flags(value: Any) -> Any:
    return {name: name in value for name in CAPABILITIES} if isinstance(value, list) else value


SID = re.compile(r"PN[0-9a-fA-F]{32}")

NUMBERS: Resource[IncomingNumber] = Resource(
    noun="phone number",
    plural="phone numbers",
    path="IncomingPhoneNumbers",
    sid=SID.pattern,
    wire=WireNumber,
    page=NumberPage,
    key="incoming_phone_numbers",
    concept=IncomingNumber,
    fields={
        "sid": ("sid", SAME),
        "phone_number": ("phone_number", SAME),
        "friendly_name": ("friendly_name", SAME),
        "capabilities": ("capabilities", Convert(_capabilities, _flags)),
        "sms_url": ("sms_url", SAME),
        "sms_method": ("sms_method", SAME),
        "sms_fallback_url": ("sms_fallback_url", SAME),
        "status_callback": ("status_callback", SAME),
        "status": ("status", SAME),
        "origin": ("origin", SAME),
        "date_created": ("date_created", DATE),
        "date_updated": ("date_updated", DATE),
        "account_sid": ("account_sid", SAME),
    },
    filters=("PhoneNumber", "FriendlyName", "Beta", "Origin"),
    rules={
        "sid": Fetch(SID),
        # Twilio matches a part of the number ("+4420794609" finds "+442079460958"
        # too): it narrows the list, and the exact number is checked here
        "phone number": Equal("PhoneNumber", accepts=r"\+[0-9]+", exact=False),
        "friendly name": Equal("FriendlyName"),  # exact, as the concept compares it
    },
    order=("date_created",),
    columns=(
        ("sid", "sid"),
        ("phone number", "phone_number"),
        ("friendly name", "friendly_name"),
        ("sms url", "sms_url"),
        ("capabilities", "capabilities"),
    ),
    drop=("capabilities", "friendly_name", "sms_url"),  # too wide: these go first, in this order
    shorten={"friendly_name": 12, "sms_url": 24},
)
