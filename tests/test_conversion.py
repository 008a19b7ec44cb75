"""Wire items to concepts, fast and exact (book/resource.py, book/wire.py).

The invariants, in words:

- Reading an item's attributes directly gives the concept that reading its JSON
  gives, value for value and type for type, with the same fields set and the same
  wire values kept, for every item the wire model accepts: odd values, nulls,
  absent fields, fields Twilio adds later of any JSON type.
- That concept equals a fully validated one whose values were read by the plain
  means (``email.utils``, ``Decimal``, ``int``), keeping each raw value that
  writing the value back would not give again.
- A wire date is read as ``email.utils`` reads it, whether its day and minute
  were read before or not, and it is kept as written whenever writing it back
  would give other text (a wrong day of the week, digits of another script).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from book import wire as wire_module
from book.resource import Resource
from book.resources import MEDIA, MESSAGES, NUMBERS, RESOURCES
from book.resources.messages import WireMessage
from book.wire import format_rfc2822, parse_rfc2822, read_rfc2822

_DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_OTHER_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")  # Arabic-Indic: int() reads them


def _by_email_utils(text: Any) -> dt.datetime | None:
    """The plain reading of a wire date: ``email.utils``, in UTC ("-0000" is UTC)."""
    if not isinstance(text, str):
        return None
    try:
        moment = email.utils.parsedate_to_datetime(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


_instants = st.datetimes(
    min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=st.just(dt.UTC)
).map(lambda moment: moment.replace(microsecond=0))


@st.composite
def _dates(draw: st.DrawFn) -> str:
    """Dates as Twilio writes them, and near misses: a wrong day of the week, another
    script's digits, another zone, a second, hour or day out of range, a short year."""
    text = format_rfc2822(draw(_instants))
    change = draw(st.sampled_from(["none", "none", "weekday", "digits", "zone", "field", "year"]))
    if change == "weekday":
        text = draw(st.sampled_from(_DAY_NAMES)) + text[3:]
    elif change == "digits":
        at = draw(st.sampled_from([5, 6, 12, 15, 17, 18, 20, 21, 23, 24]))
        text = text[:at] + text[at].translate(_OTHER_DIGITS) + text[at + 1 :]
    elif change == "zone":
        text = text[:26] + draw(st.sampled_from(["-0000", "GMT", "+0530", "-0800", "+0000 "]))
    elif change == "field":
        at, size = draw(st.sampled_from([(5, 2), (17, 2), (20, 2), (23, 2)]))
        text = text[:at] + f"{draw(st.integers(0, 99)):02d}" + text[at + size :]
    elif change == "year":
        text = text[:12] + f"{draw(st.integers(0, 150)):04d}" + text[16:]
    return text


@settings(max_examples=1500, deadline=None)
@given(_dates(), st.booleans())
def test_wire_dates_read_as_email_utils_reads_them_held_or_not(text: str, forget: bool) -> None:
    if forget:
        wire_module._DAYS_READ.clear()
        wire_module._MINUTES_READ.clear()
    for _ in range(2):  # read once, then again from what is held
        found = read_rfc2822(text)
        expected = _by_email_utils(text)
        if expected is None:
            assert found is None, text
            with pytest.raises(ValueError, match="is not an RFC 2822 date"):
                parse_rfc2822(text)
            continue
        assert found is not None, text
        moment, same = found
        assert moment == expected and moment.tzinfo is dt.UTC, text
        assert parse_rfc2822(text) == moment
        assert same == (format_rfc2822(moment) == text), text


def test_what_is_held_is_bounded() -> None:
    base = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    for minutes in range(0, 3 * wire_module.HELD * 60 * 24, 60 * 24 + 1):  # a day and a minute apart
        moment = base + dt.timedelta(minutes=minutes)
        assert read_rfc2822(format_rfc2822(moment)) == (moment, True)
    assert len(wire_module._DAYS_READ) <= wire_module.HELD
    assert len(wire_module._MINUTES_READ) <= wire_module.HELD


# ------------------------------------------------------------- wire items

_odd = st.one_of(  # the wire model's text fields hold any text, or null
    st.none(),
    st.text(max_size=8),
    st.sampled_from(["01", "²", "٣", "9" * 40, "1_0", " 2", "1e-3", "NaN", "-Infinity", "-0.00750", "0.1"]),
)
_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=5,
)


_counts = st.one_of(st.integers(0, 99).map(str), _odd)
_BY_KEY: dict[str, st.SearchStrategy[Any]] = {  # values of the right type, as Twilio writes them and odd
    "num_segments": _counts,
    "num_media": _counts,
    "price": st.one_of(st.decimals(-10, 10, places=5).map(str), _odd),
    "capabilities": st.none()
    | st.dictionaries(st.sampled_from(["sms", "mms", "voice", "fax"]), st.booleans()),
    "subresource_uris": st.none() | st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2),
    "error_code": st.none() | st.integers(0, 99999),
    "uri": st.one_of(st.sampled_from(["/x.json", "https://api.twilio.com/y"]), _odd),
}


def _values(key: str) -> st.SearchStrategy[Any]:
    return st.one_of(_dates(), _odd) if key.startswith("date_") else _BY_KEY.get(key, _odd)


@st.composite
def _items(draw: st.DrawFn, resource: Resource[Any]) -> Any:
    """A wire item the wire model accepts: most often with every field (the direct
    reading), sometimes some absent, sometimes with fields Twilio adds later."""
    keys = [info.alias or name for name, info in resource.wire.model_fields.items()]
    every = draw(st.booleans())
    data = {key: draw(_values(key)) for key in keys if every or draw(st.booleans())}
    data.update(draw(st.dictionaries(st.sampled_from(["later", "later_too"]), _json, max_size=2)))
    if draw(st.integers(0, 9)) == 0:  # now and then a value of another type, which the wire model may refuse
        data[draw(st.sampled_from(keys))] = draw(_json)
    try:
        return resource.wire.model_validate(data)
    except Exception:  # noqa: BLE001 - a value the wire model itself refuses never reaches the concept
        return None


def _shape(item: Any) -> tuple[Any, ...]:
    """All a concept is: its values with their types, the fields set, the wire values kept in order."""
    values = [(name, type(value), value) for name, value in item.__dict__.items() if name != "wire"]
    return type(item), values, item.model_fields_set, list(item.wire.items())


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda resource: resource.plural)
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_reading_the_attributes_gives_what_reading_the_json_gives(
    resource: Resource[Any], data: st.DataObject
) -> None:
    item = data.draw(_items(resource))
    if item is None:
        return
    reading = resource._reading
    assert reading.from_attributes is not None  # every resource of the book is simple enough
    direct = reading.from_attributes(item)
    from_json = reading.from_json(item.to_json())
    assert resource.from_wire(item) == from_json
    if direct is not None:
        event("read directly")
        assert _shape(direct) == _shape(from_json)
        if "subresource_uris" in item.__dict__ and item.__dict__["subresource_uris"] is not None:
            assert (
                direct.wire["subresource_uris"] is not item.__dict__["subresource_uris"]
            )  # a copy, as JSON's
    assert resource.to_wire(from_json).to_json() == item.to_json()


def test_a_full_item_is_read_directly() -> None:
    payload = json.loads(
        Path(__file__).parent.joinpath("fixtures", "twilio-oai", "twilio_api_v2010_messages.json").read_text()
    )
    examples = payload["paths"]["/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json"]["get"]["responses"][
        "200"
    ]
    raw = next(iter(examples["content"]["application/json"]["examples"].values()))["value"]
    item = WireMessage.model_validate(raw)
    made = MESSAGES._reading.from_attributes(item)  # type: ignore[misc]
    assert made is not None and made == MESSAGES.from_wire(item)
    for resource in (NUMBERS, MEDIA):
        assert resource._reading.from_attributes is not None


_COUNT = re.compile("[0-9]{1,18}")


def _reference(raw: dict[str, Any]) -> Any:
    """A message read the plain way, then fully validated: dates by email.utils,
    prices by Decimal, counts by int; a raw value is kept when it cannot be read
    or when writing the value back would give other text."""
    values: dict[str, Any] = {}
    kept: dict[str, Any] = {}
    for name, (key, _) in MESSAGES.fields.items():
        if key not in raw:
            kept.setdefault("__absent__", []).append(key)
            continue
        value = raw[key]
        if value is None or key not in (
            "date_sent",
            "date_created",
            "date_updated",
            "price",
            "num_segments",
            "num_media",
        ):
            values[name] = value
            continue
        if key.startswith("date_"):
            read: Any = _by_email_utils(value)
            written = None if read is None else email.utils.format_datetime(read)
        elif key == "price":
            try:
                read = Decimal(value) if isinstance(value, str) else None
            except InvalidOperation:
                read = None
            read = read if read is not None and read.is_finite() else None
            written = None if read is None else str(read)
        else:
            read = int(value) if isinstance(value, str) and _COUNT.fullmatch(value) else None
            written = None if read is None else str(read)
        if read is None:
            kept[key] = value
            continue
        values[name] = read
        if written != value:
            kept[key] = value
    rest = {
        key: value for key, value in raw.items() if key not in {key for key, _ in MESSAGES.fields.values()}
    }
    return MESSAGES.concept.model_validate({**values, "wire": {**rest, **kept}})


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_a_message_equals_a_fully_validated_one_read_the_plain_way(data: st.DataObject) -> None:
    item = data.draw(_items(MESSAGES))
    if item is None:
        return
    made = MESSAGES.from_wire(item)
    expected = _reference(item.to_json())
    assert _shape(made) == _shape(expected)
