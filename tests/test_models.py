"""The wire models and the concept "twilio sms message": every example payload of
Twilio's OpenAPI description parses, conversion both ways loses nothing, and what
the models serialise parses back in the official library."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from book.resources.messages import (
    DIRECTIONS,
    STATUSES,
    SmsMessage,
    WireMessage,
    WirePage,
    message_from_wire,
    message_to_wire,
)
from book.wire import format_rfc2822, parse_rfc2822
from procedures import fields_of

SPEC = Path(__file__).resolve().parent / "fixtures" / "twilio-oai" / "twilio_api_v2010_messages.json"


def _examples() -> list[Any]:
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    found = []
    for operations in spec["paths"].values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for code, response in operation["responses"].items():
                for name, example in (
                    response.get("content", {}).get("application/json", {}).get("examples", {}).items()
                ):
                    found.append(pytest.param(example["value"], id=f"{method}-{code}-{name}"))
    return found


EXAMPLES = _examples()


def test_the_spec_holds_17_examples() -> None:
    assert len(EXAMPLES) == 17


@pytest.mark.parametrize("payload", EXAMPLES)
def test_every_example_payload_parses_and_converts_losslessly(payload: dict[str, Any]) -> None:
    if "messages" in payload:
        page = WirePage.model_validate(payload)
        assert page.to_json() == payload
        messages = payload["messages"]
    else:
        messages = [payload]
    for raw in messages:
        wire = WireMessage.model_validate(raw)
        assert wire.to_json() == raw
        message = message_from_wire(wire)
        assert message_to_wire(message).to_json() == raw
        assert message.sender_number == raw["from"] and message.recipient_number == raw["to"]
        if raw["date_sent"]:
            assert message.date_sent == parse_rfc2822(raw["date_sent"])
            assert message.date_sent.tzinfo is dt.UTC
        if raw["price"]:
            assert message.price == Decimal(raw["price"])
        assert message.num_segments == int(raw["num_segments"])


@pytest.mark.parametrize("payload", EXAMPLES)
def test_what_the_models_serialise_parses_in_the_official_library(payload: dict[str, Any]) -> None:
    twilio = pytest.importorskip("twilio.rest")
    from twilio.rest.api.v2010.account.message import MessageInstance

    version = twilio.Client("AC" + "0" * 32, "token").api.v2010
    for raw in payload.get("messages", [payload]):
        message = message_from_wire(WireMessage.model_validate(raw))
        serialised = json.loads(json.dumps(message_to_wire(message).to_json()))
        theirs = MessageInstance(version, serialised, account_sid=message.account_sid or "")
        assert theirs.sid == message.sid
        assert theirs.from_ == message.sender_number and theirs.to == message.recipient_number
        assert theirs.date_sent == message.date_sent and theirs.date_created == message.date_created
        assert theirs.price == (None if message.price is None else str(message.price))
        assert theirs.num_segments == str(message.num_segments) and theirs.error_code == message.error_code
        assert theirs.status == message.status and theirs.body == message.body


def test_the_concept_has_the_kognitos_fields() -> None:
    assert [field.english for field in fields_of(SmsMessage)] == [
        "sid",
        "body",
        "sender number",
        "recipient number",
        "status",
        "direction",
        "date sent",
        "date created",
        "date updated",
        "price",
        "price unit",
        "num segments",
        "num media",
        "error code",
        "error message",
        "messaging service sid",
        "account sid",
    ]


_instants = st.datetimes(
    min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC)
).map(lambda moment: moment.replace(microsecond=0))
_wire_values = {
    "sid": st.from_regex(r"(SM|MM)[0-9a-f]{32}", fullmatch=True),
    "account_sid": st.from_regex(r"AC[0-9a-f]{32}", fullmatch=True),
    "from": st.sampled_from(["+15005550006", "whatsapp:+14155550100", "ACME", "12345"]),
    "to": st.sampled_from(["+14155550100", "+442079460958"]),
    "body": st.text(max_size=40),
    "status": st.sampled_from(STATUSES),
    "direction": st.sampled_from(DIRECTIONS),
    "num_segments": st.integers(0, 10).map(str) | st.sampled_from(["01", "x", "\u00b2", "9" * 40]),
    "num_media": st.integers(0, 10).map(str),
    "price": st.decimals(min_value=-1, max_value=0, places=5).map(str) | st.just("-0.0075"),
    "price_unit": st.sampled_from(["USD", "EUR"]),
    "error_code": st.integers(30001, 30010),
    "error_message": st.text(max_size=20),
    "date_created": _instants.map(format_rfc2822) | st.just("Thu, 30 Jul 2015 20:12:31 -0000"),
    "date_updated": _instants.map(format_rfc2822),
    "date_sent": _instants.map(format_rfc2822),
    "messaging_service_sid": st.from_regex(r"MG[0-9a-f]{32}", fullmatch=True),
    "api_version": st.just("2010-04-01"),
    "uri": st.just("/2010-04-01/Accounts/AC/Messages/SM.json"),
    "future_field": st.integers(),
}


@st.composite
def wire_payloads(draw: st.DrawFn) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    for key, values in _wire_values.items():
        presence = draw(st.sampled_from(["value", "value", "null", "absent"]))
        if presence == "value":
            payload[key] = draw(values)
        elif presence == "null":
            payload[key] = None
    return payload


@settings(max_examples=300, deadline=None)
@given(wire_payloads())
def test_any_wire_message_survives_the_concept(payload: dict[str, Any]) -> None:
    """Lossless both ways, whatever is present, null, absent, unusual or unknown."""
    wire = WireMessage.model_validate(payload)
    message = message_from_wire(wire)
    assert message_to_wire(message).to_json() == payload
    assert message_from_wire(message_to_wire(message)) == message


def test_unusual_values_stay_readable_in_the_concept() -> None:
    wire = WireMessage.model_validate({"date_sent": "Thu, 30 Jul 2015 20:12:31 -0000", "num_segments": "x"})
    message = message_from_wire(wire)
    assert message.date_sent == dt.datetime(2015, 7, 30, 20, 12, 31, tzinfo=dt.UTC)
    assert message.num_segments is None
    assert message_to_wire(message).to_json() == wire.to_json()


@settings(max_examples=300, deadline=None)
@given(wire_payloads())
def test_a_concept_built_without_validation_equals_a_validated_one(payload: dict[str, Any]) -> None:
    """from_wire builds the concept with model_construct: its values already have their
    fields' types, so validating them again changes nothing."""
    message = message_from_wire(WireMessage.model_validate(payload))
    assert SmsMessage.model_validate(message.model_dump()) == message
    assert {name: type(value) for name, value in message} == {
        name: type(value) for name, value in SmsMessage.model_validate(message.model_dump())
    }


_DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@settings(max_examples=1000, deadline=None)
@given(
    day=st.sampled_from(_DAY_NAMES),
    date=st.integers(0, 35),
    month=st.sampled_from([*_MONTH_NAMES, "jan", "Foo"]),
    year=st.integers(0, 9999),
    time=st.tuples(st.integers(0, 61), st.integers(0, 61), st.integers(0, 61)),
    zone=st.sampled_from(["+0000", "-0000", "GMT", "+0530", "-0800"]),
)
def test_twilio_dates_read_as_email_utils_reads_them(
    day: str, date: int, month: str, year: int, time: tuple[int, int, int], zone: str
) -> None:
    """The direct reading of Twilio's form gives what email.utils gives, or the same refusal."""
    text = f"{day}, {date:02d} {month} {year:04d} {time[0]:02d}:{time[1]:02d}:{time[2]:02d} {zone}"
    try:
        expected: dt.datetime | None = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        expected = None
    if expected is not None and expected.tzinfo is None:
        expected = expected.replace(tzinfo=dt.UTC)
    try:
        got: dt.datetime | None = parse_rfc2822(text)
    except ValueError:
        got = None
    if expected is None:
        assert got is None, text
    else:
        try:
            expected = expected.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            return  # outside what a datetime holds once in UTC: both refuse (tested above for None)
        assert got == expected and got is not None and got.tzinfo is dt.UTC, text


@settings(max_examples=1000, deadline=None)
@given(
    st.datetimes(
        min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=st.just(dt.UTC)
    )
)
def test_twilio_dates_are_written_as_email_utils_writes_them(moment: dt.datetime) -> None:
    assert format_rfc2822(moment) == email.utils.format_datetime(moment.replace(microsecond=0))
