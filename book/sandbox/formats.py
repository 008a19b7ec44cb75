"""The forms messages are exported in, read back into Twilio's wire JSON for ``load``.

Three forms are read, each recognised by its keys:

- Twilio's own JSON (``from``, ``date_sent`` in RFC 2822): kept as it is, fields
  Twilio may add later included;
- twilio-cli's export (``twilio api:core:messages:list -o json``): camelCase keys
  (``dateSent``, ``numSegments``) and dates in ISO 8601;
- the book's own JSON (``book run --format json``): the concept's field names
  (``sender_number``, ``date_sent`` in ISO 8601), prices and counts as numbers.

A key a form does not have is refused, with its name, rather than dropped: a
load never reports success for a field it did not keep.

>>> wire_form({"sid": "SM" + "0" * 32, "dateSent": "2024-03-01T15:00:00.000Z", "numSegments": "1"}, 1)
{'sid': 'SM00000000000000000000000000000000', 'date_sent': 'Fri, 01 Mar 2024 15:00:00 +0000', 'num_segments': '1'}
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import ValidationError

from book.errors import SandboxError
from book.resources.messages import MESSAGES, WireMessage
from book.wire import format_rfc2822

__all__ = ["wire_form"]

_WIRE_KEYS = [field.alias or name for name, field in WireMessage.model_fields.items()]
# twilio-cli (twilio-node) names each wire key in camelCase; ``from`` and ``to`` stay as they are.
_CLI = {re.sub(r"_(\w)", lambda match: match.group(1).upper(), key): key for key in _WIRE_KEYS}
_DATES = ("date_created", "date_updated", "date_sent")


def _iso_to_rfc2822(value: Any, key: str, where: str) -> Any:
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise SandboxError(f"{where}: {key} {value!r} is not an ISO 8601 date and time with an offset")
    return format_rfc2822(moment)


def _from_cli(message: dict[str, Any], where: str) -> dict[str, Any]:
    unknown = sorted(set(message) - set(_CLI))
    if unknown:
        raise SandboxError(
            f"{where} is in twilio-cli's form, which has no field {', '.join(map(repr, unknown))}; "
            "nothing was loaded",
            hint="Remove those fields, or give the messages in Twilio's own JSON, which keeps any field.",
        )
    wire = {_CLI[key]: value for key, value in message.items()}
    for key in _DATES:
        if key in wire:
            wire[key] = _iso_to_rfc2822(wire[key], key, where)
    return wire


def _from_book(message: dict[str, Any], where: str) -> dict[str, Any]:
    """The book's JSON is a concept's: read it as one, and write it as Twilio does."""
    from book.resources.messages import SmsMessage, message_to_wire

    try:
        concept = SmsMessage.model_validate(message)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, error['loc']))}: {error['msg']}" for error in exc.errors()[:5]
        )
        raise SandboxError(
            f"{where} is in the book's JSON form, but {problems}; nothing was loaded",
            hint="Give the messages as 'book run --format json' prints them, or in Twilio's own JSON.",
        ) from None
    given = set(message)
    return {key: value for key, value in message_to_wire(concept).to_json().items() if _given(key, given)}


def _given(wire_key: str, given: set[str]) -> bool:
    """Whether the book's JSON had the field written under this wire key."""

    return MESSAGES.field_named(wire_key) in given


def _form(message: dict[str, Any]) -> str:
    keys = set(message)
    if keys & {"sender_number", "recipient_number"}:
        return "book"
    if keys & {camel for camel, key in _CLI.items() if camel != key}:
        return "cli"
    return "wire"


def wire_form(message: dict[str, Any], position: int) -> dict[str, Any]:
    """A message of any of the three forms (see the module's docstring) in Twilio's
    wire JSON; ``SandboxError`` naming any key the form does not have."""
    form = _form(message)
    where = f"message {position} ({message.get('sid')})"
    if form == "cli":
        return _from_cli(message, where)
    if form == "book":
        return _from_book(message, where)
    return message
