"""Messages: Twilio's Message resource, its wire model, and the concept "twilio sms message".

The concept uses the Kognitos field names (``sender_number`` for ``from``,
``recipient_number`` for ``to``), numbers for counts, prices and error codes,
and aware UTC datetimes for dates; see book/resource.py for how nothing is lost
between them.

>>> wire = WireMessage.model_validate({"sid": "SM" + "0" * 32, "price": "-0.00750", "num_segments": "2"})
>>> message = message_from_wire(wire)
>>> message.price, message.num_segments
(Decimal('-0.00750'), 2)
>>> message_to_wire(message) == wire
True
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import Field

from book.phone import PhoneNumber
from book.pushdown import Days, Equal, Fetch
from book.resource import COUNT, DATE, PRICE, SAME, Resource
from book.wire import Page, Wire
from procedures import Choices, Concept, Exact, Hidden

__all__ = [
    "DIRECTIONS",
    "MESSAGES",
    "STATUSES",
    "SmsMessage",
    "WireMessage",
    "WirePage",
    "message_from_wire",
    "message_to_wire",
]

STATUSES = (
    "queued",
    "sending",
    "sent",
    "failed",
    "delivered",
    "undelivered",
    "receiving",
    "received",
    "accepted",
    "scheduled",
    "read",
    "partially_delivered",
    "canceled",
)
DIRECTIONS = ("inbound", "outbound-api", "outbound-call", "outbound-reply")


class WireMessage(Wire):
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


class WirePage(Page):
    """One page of a list of messages (``ListMessageResponse``)."""

    messages: list[WireMessage]


class SmsMessage(Concept):
    """An SMS (or MMS) message of a Twilio account."""

    english = "twilio sms message"
    called = "SMS message"
    aliases: ClassVar[dict[str, str]] = {"from": "sender number", "to": "recipient number"}  # Twilio's names
    key = "sid"

    sid: Annotated[str | None, Exact()] = None
    body: str | None = None
    sender_number: PhoneNumber | None = None
    recipient_number: PhoneNumber | None = None
    status: Annotated[str | None, Choices(*STATUSES)] = None
    direction: Annotated[str | None, Choices(*DIRECTIONS)] = None
    date_sent: dt.datetime | None = None
    date_created: dt.datetime | None = None
    date_updated: dt.datetime | None = None
    price: Decimal | None = None
    price_unit: str | None = None
    num_segments: int | None = None
    num_media: int | None = None
    error_code: int | None = None
    error_message: str | None = None
    messaging_service_sid: Annotated[str | None, Exact()] = None
    account_sid: Annotated[str | None, Exact()] = None
    wire: Annotated[dict[str, Any], Hidden()] = Field(default_factory=dict)

    def describe(self) -> str:
        """One line for ``say``: ``SM… from +1… to +1… (delivered): "Hello"``."""
        body = f': "{self.body}"' if self.body else ""
        return f"{self.sid} from {self.sender_number} to {self.recipient_number} ({self.status}){body}"


SID = re.compile(r"(SM|MM)[0-9a-fA-F]{32}")

MESSAGES: Resource[SmsMessage] = Resource(
    noun="message",
    plural="messages",
    path="Messages",
    sid=SID.pattern,
    wire=WireMessage,
    page=WirePage,
    key="messages",
    concept=SmsMessage,
    fields={
        "sid": ("sid", SAME),
        "body": ("body", SAME),
        "sender_number": ("from", SAME),
        "recipient_number": ("to", SAME),
        "status": ("status", SAME),
        "direction": ("direction", SAME),
        "date_sent": ("date_sent", DATE),
        "date_created": ("date_created", DATE),
        "date_updated": ("date_updated", DATE),
        "price": ("price", PRICE),
        "price_unit": ("price_unit", SAME),
        "num_segments": ("num_segments", COUNT),
        "num_media": ("num_media", COUNT),
        "error_code": ("error_code", SAME),
        "error_message": ("error_message", SAME),
        "messaging_service_sid": ("messaging_service_sid", SAME),
        "account_sid": ("account_sid", SAME),
    },
    filters=("To", "From", "DateSent", "DateSent<", "DateSent>"),
    rules={
        "sid": Fetch(SID),
        # Twilio matches From and To exactly: numbers and short codes, whose spelling is
        # fixed, are sent; sender ids and channel addresses are compared here, without case.
        "sender number": Equal("From", accepts=r"\+?[0-9]+"),
        "recipient number": Equal("To", accepts=r"\+?[0-9]+"),
        "date sent": Days("DateSent", why_not="Twilio can only ask for dates sent within a range of days"),
    },
    order=("date_sent", "date_created"),
    title=("SMS message", "SMS messages"),
    columns=(
        ("sid", "sid"),
        ("date sent", "date_sent"),
        ("sender number", "sender_number"),
        ("recipient number", "recipient_number"),
        ("status", "status"),
        ("direction", "direction"),
        ("body", "body"),
        ("price", "price"),
        ("error code", "error_code"),
    ),
    # Too wide for the terminal: these go first, in this order (the body last, when
    # not even 10 cells of it fit); the sid and the status always stay.
    drop=("error_code", "price", "direction", "recipient_number", "date_sent", "sender_number", "body"),
    shorten={"body": 10},
)


def message_from_wire(wire: Wire) -> SmsMessage:
    """The concept of a wire message (``MESSAGES.from_wire``)."""
    return MESSAGES.from_wire(wire)


def message_to_wire(message: SmsMessage) -> Wire:
    """The wire message of a concept (``MESSAGES.to_wire``)."""
    return MESSAGES.to_wire(message)
