"""The book's concept "twilio sms message", and its conversion to and from the wire.

The concept uses the Kognitos field names (``sender_number`` for ``from``,
``recipient_number`` for ``to``), numbers for counts, prices and error codes,
and aware UTC datetimes for dates. Whatever the concept cannot hold exactly
(``uri``, ``api_version``, ``subresource_uris``, fields Twilio adds later, a
value in an unusual form) is kept in its hidden ``wire`` field, so converting
to the concept and back gives the wire resource as it was.

>>> wire = WireMessage.model_validate({"sid": "SM" + "0" * 32, "price": "-0.00750", "num_segments": "2"})
>>> message = message_from_wire(wire)
>>> message.price, message.num_segments
(Decimal('-0.00750'), 2)
>>> message_to_wire(message) == wire
True
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import Field

from book.wire import WireMessage, format_rfc2822, parse_count, parse_rfc2822
from procedures import Choices, Concept, Exact, Hidden, PhoneNumber

__all__ = ["DIRECTIONS", "STATUSES", "SmsMessage", "field_named", "message_from_wire", "message_to_wire"]

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


class SmsMessage(Concept):
    """An SMS (or MMS) message of a Twilio account."""

    english = "twilio sms message"
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


_UNREADABLE: Any = object()


def _same(value: Any) -> Any:
    return value


def _count(raw: Any) -> Any:
    count = parse_count(raw)
    return _UNREADABLE if count is None else count


def _price(raw: Any) -> Any:
    try:
        value = Decimal(raw) if isinstance(raw, str) else _UNREADABLE
    except InvalidOperation:
        return _UNREADABLE
    return value if value is _UNREADABLE or value.is_finite() else _UNREADABLE


def _date(raw: Any) -> Any:
    try:
        return parse_rfc2822(raw) if isinstance(raw, str) else _UNREADABLE
    except ValueError:
        return _UNREADABLE


def _text(value: Any) -> Any:
    return None if value is None else str(value)


def _rfc2822(value: Any) -> Any:
    return None if value is None else format_rfc2822(value)


# concept field: (wire key, read the wire value, write it back)
_FIELDS: dict[str, tuple[str, Any, Any]] = {
    "sid": ("sid", _same, _same),
    "body": ("body", _same, _same),
    "sender_number": ("from", _same, _same),
    "recipient_number": ("to", _same, _same),
    "status": ("status", _same, _same),
    "direction": ("direction", _same, _same),
    "date_sent": ("date_sent", _date, _rfc2822),
    "date_created": ("date_created", _date, _rfc2822),
    "date_updated": ("date_updated", _date, _rfc2822),
    "price": ("price", _price, _text),
    "price_unit": ("price_unit", _same, _same),
    "num_segments": ("num_segments", _count, _text),
    "num_media": ("num_media", _count, _text),
    "error_code": ("error_code", _same, _same),
    "error_message": ("error_message", _same, _same),
    "messaging_service_sid": ("messaging_service_sid", _same, _same),
    "account_sid": ("account_sid", _same, _same),
}
_ABSENT = "__absent__"


def field_named(wire_key: str) -> str | None:
    """The concept's field that a wire key is read into (``from``: ``sender_number``)."""
    return next((name for name, (key, _, _) in _FIELDS.items() if key == wire_key), None)


def message_from_wire(wire: WireMessage) -> SmsMessage:
    """The concept of a wire message; nothing is lost (see the module's docstring)."""
    data = wire.to_json()
    fields: dict[str, Any] = {}
    kept: dict[str, Any] = {}
    for name, (key, read, write) in _FIELDS.items():
        if key not in data:
            kept.setdefault(_ABSENT, []).append(key)
            continue
        raw = data.pop(key)
        value = None if raw is None else read(raw)
        if value is _UNREADABLE:
            kept[key] = raw
            continue
        fields[name] = value
        if write(value) != raw:  # readable, but written differently: keep how it was written
            kept[key] = raw
    fields["wire"] = {**data, **kept}
    return SmsMessage(**fields)


def message_to_wire(message: SmsMessage) -> WireMessage:
    """The wire message of a concept; the inverse of ``message_from_wire``."""
    kept = dict(message.wire)
    absent = set(kept.pop(_ABSENT, ()))
    data = {
        key: write(getattr(message, name)) for name, (key, _, write) in _FIELDS.items() if key not in absent
    }
    data.update(kept)
    return WireMessage.model_validate(data)
