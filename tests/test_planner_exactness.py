"""Exactness, the planner's central property.

In words: for any filter over any field and operator (and, or, not; dates at day
edges and across time zones; missing values), any set of messages in the
sandbox, either reading of ``DateSent<``, any limit (the newest N or the oldest
N), either order (newest or oldest first), pages small enough that a list bounded
below by a day is read in windows of days, periods (this week, last month, in the
last 3 days, Monday) and a conversation with a number or
none, the planned read returns exactly what the reference evaluator returns over
all the messages, in the stated order, cut at the limit; and counting them gives
its length, with no more requests.

Examples: 300 by default; set SMS_BOOK_EXAMPLES for a longer run.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from book.planner import plan
from book.procedures import registry as book
from book.reading import Reader, Tally
from book.resources.messages import MESSAGES, SmsMessage, WireMessage, message_from_wire
from book.sandbox import Sandbox, load
from book.wire import format_rfc2822
from grammar import (
    And,
    Call,
    Comparison,
    Date,
    DateTime,
    Determiner,
    Filter,
    Not,
    NounPhrase,
    Number,
    Op,
    Or,
    Period,
    Relative,
    Text,
    Unit,
    Value,
    When,
    Which,
)
from procedures import Binder, FixedClock, ValueTypeError, holds, timezone_named

EXAMPLES = int(os.environ.get("SMS_BOOK_EXAMPLES", "300"))
NOW = dt.datetime(2024, 3, 2, 12, 0, tzinfo=dt.UTC)
ZONES = [
    "UTC",
    "America/New_York",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "Pacific/Kiritimati",
    "America/St_Johns",
]
NUMBERS = ["+15005550006", "+12125550100", "+14155550100", "+14155550101", "+442079460958"]
ODD_SENDERS = ["SMSBOOK", "whatsapp:+14155550100", "12345"]
WORDS = ["refund", "STOP", "Stop now", "hello", "Refund please", "", "straße"]
DAYS = [dt.date(2024, 2, 28) + dt.timedelta(days=n) for n in range(6)]


# ----------------------------------------------------------------- messages

_edges = st.sampled_from(
    [
        dt.time(0, 0, 0),
        dt.time(23, 59, 59),
        dt.time(4, 59, 59),
        dt.time(5, 0),
        dt.time(18, 30),
        dt.time(11, 15),
    ]
)
_moments = st.builds(
    lambda day, time, shift: dt.datetime.combine(day, time, tzinfo=dt.UTC) + dt.timedelta(seconds=shift),
    st.sampled_from(DAYS),
    _edges,
    st.sampled_from([0, 0, 0, 1, -1, 3600, -3600, 19800]),
)


@st.composite
def messages(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(0, 25))
    found = []
    for number in range(count):
        sent = draw(st.none() | _moments | _moments)
        created = (sent - dt.timedelta(seconds=draw(st.integers(0, 3)))) if sent else draw(_moments)
        found.append(
            {
                "sid": f"SM{draw(st.integers(0, 2**20)):026x}{number:06x}",
                "account_sid": "AC" + "0" * 32,
                "from": draw(st.sampled_from(NUMBERS + ODD_SENDERS) | st.none()),
                "to": draw(st.sampled_from(NUMBERS) | st.none()),
                "body": draw(st.sampled_from(WORDS) | st.none()),
                "status": draw(
                    st.sampled_from(["delivered", "sent", "failed", "received", "queued"]) | st.none()
                ),
                "direction": draw(st.sampled_from(["inbound", "outbound-api"])),
                "date_sent": format_rfc2822(sent) if sent else None,
                "date_created": format_rfc2822(created),
                "date_updated": format_rfc2822(created),
                "price": draw(st.sampled_from(["-0.00790", "-0.01580", "-0.04000", "0.00000"]) | st.none()),
                "price_unit": "USD",
                "num_segments": str(draw(st.integers(0, 4))),
                "num_media": "0",
                "error_code": draw(st.none() | st.sampled_from([30003, 30006])),
                "error_message": None,
                "messaging_service_sid": None,
            }
        )
    return found


# ------------------------------------------------------------------ filters


def _noun(text: str) -> NounPhrase:
    return NounPhrase.of(text)


_datetimes = st.builds(
    lambda moment, offset: moment.astimezone(dt.timezone(dt.timedelta(minutes=offset))),
    _moments,
    st.sampled_from([0, -300, 330, 765, 840]),
)
_naive = _moments.map(lambda moment: moment.replace(tzinfo=None))
_times: st.SearchStrategy[Value] = st.one_of(
    st.sampled_from(DAYS).map(Date),
    _datetimes.map(DateTime),
    _naive.map(DateTime),
    st.sampled_from([Relative(When.TODAY), Relative(When.YESTERDAY), Relative(When.NOW)]),
    st.sampled_from([Relative(When.AGO, 3, Unit.HOUR), Relative(When.AGO, 1, Unit.DAY)]),
    st.sampled_from(
        [
            Period(Which.THIS, "week"),
            Period(Which.LAST, "week"),
            Period(Which.THIS, "month"),
            Period(Which.LAST, "month"),
            Period(Which.PAST, "day", 3),
            Period(Which.WEEKDAY, amount=0),
            Period(Which.WEEKDAY, amount=3),
        ]
    ),
)
_TIME_OPS = [
    Op.IS,
    Op.AFTER,
    Op.BEFORE,
    Op.ON_OR_AFTER,
    Op.ON_OR_BEFORE,
    Op.BETWEEN,
    Op.ONE_OF,
    Op.EMPTY,
    Op.GREATER,
    Op.AT_MOST,
]
_TEXT_OPS = [Op.IS, Op.ONE_OF, Op.CONTAINS, Op.STARTS_WITH, Op.ENDS_WITH, Op.EMPTY]
_NUMBER_OPS = [Op.IS, Op.GREATER, Op.LESS, Op.AT_LEAST, Op.AT_MOST, Op.BETWEEN, Op.EMPTY, Op.ONE_OF]


def _values(op: Op, values: st.SearchStrategy[Value]) -> st.SearchStrategy[tuple[Value, ...]]:
    least, most = op.arity
    return st.lists(values, min_size=least, max_size=most if most is not None else 3).map(tuple)


def _comparison(field: str, ops: list[Op], values: st.SearchStrategy[Value]) -> st.SearchStrategy[Comparison]:
    return st.sampled_from(ops).flatmap(
        lambda op: st.builds(
            lambda vs, negated: Comparison(_noun(field), op, vs, negated=negated),
            _values(op, values),
            st.booleans(),
        )
    )


_phones = st.sampled_from([*NUMBERS, "+1 (415) 555-0100", "+19999999999"]).map(Text)
comparisons = st.one_of(
    _comparison(
        "sender number",
        _TEXT_OPS,
        _phones | st.sampled_from([*ODD_SENDERS, "WhatsApp:+14155550100", "+1415"]).map(Text),
    ),
    _comparison("recipient number", [Op.IS, Op.IS, Op.ONE_OF, Op.EMPTY, Op.STARTS_WITH], _phones),
    _comparison("date sent", _TIME_OPS, _times),
    _comparison("date sent", _TIME_OPS, _times),
    _comparison("date created", [Op.AFTER, Op.BEFORE, Op.IS], _times),
    _comparison(
        "body", _TEXT_OPS, st.sampled_from(["refund", "STOP", "stop", "hello", "ß", "strasse"]).map(Text)
    ),
    _comparison(
        "status",
        [Op.IS, Op.ONE_OF, Op.EMPTY],
        st.sampled_from(["delivered", "SENT", "failed", "received"]).map(Text),
    ),
    _comparison(
        "price",
        _NUMBER_OPS,
        st.sampled_from(["-0.0079", "-0.0158", "-0.04", "0", "-0.01"]).map(lambda t: Number(Decimal(t))),
    ),
    _comparison("num segments", _NUMBER_OPS, st.integers(0, 4).map(lambda n: Number(Decimal(n)))),
    _comparison(
        "error code", [Op.IS, Op.EMPTY], st.sampled_from([30003, 30006]).map(lambda n: Number(Decimal(n)))
    ),
    _comparison(
        "sid",
        [Op.IS, Op.ONE_OF],
        st.sampled_from(["SM" + "0" * 26 + "000000", "SM" + "0" * 26 + "000001"]).map(Text),
    ),
)
filters: st.SearchStrategy[Filter] = st.recursive(
    comparisons,
    lambda children: st.one_of(
        st.lists(children, min_size=2, max_size=3).map(lambda parts: And(tuple(parts))),
        st.lists(children, min_size=2, max_size=3).map(lambda parts: Or(tuple(parts))),
        children.map(Not),
    ),
    max_leaves=6,
)


def _loaded(sandbox: Sandbox, payloads: list[dict[str, Any]]) -> list[SmsMessage]:
    load(sandbox, payloads)
    return [message_from_wire(WireMessage.model_validate(payload)) for payload in payloads]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
@given(
    payloads=messages(),
    tree=st.none() | filters,
    zone=st.sampled_from(ZONES),
    limit=st.none() | st.integers(1, 8),
    reading=st.sampled_from(["inclusive", "exclusive"]),
    oldest=st.booleans(),
    ascending=st.booleans(),
    partner=st.none() | st.sampled_from(NUMBERS[:3]),
    page=st.none() | st.integers(1, 4),
)
def test_the_planned_read_is_exactly_the_reference_answer(
    payloads: list[dict[str, Any]],
    tree: Filter | None,
    zone: str,
    limit: int | None,
    reading: str,
    oldest: bool,
    ascending: bool,
    partner: str | None,
    page: int | None,
) -> None:
    sandbox = Sandbox(clock=FixedClock(NOW), date_sent_before=reading)  # type: ignore[arg-type]
    everything = _loaded(sandbox, payloads)
    timezone = timezone_named(zone)
    if partner is not None:  # "the conversation with ...", as the book's registry expands it
        call = Call("read", Determiner.THE, NounPhrase.of("conversation"), filter=tree, partner=Text(partner))
        tree = book.expand(call).filter
    try:
        bound = (
            None
            if tree is None
            else Binder(now=NOW, timezone=timezone, resolve=None).filter(tree, SmsMessage)
        )
    except ValueTypeError:
        reject()  # an impossible value (a whole number "+1415") is refused before any read: no plan to test
    matching = [
        message
        for message in sorted(everything, key=MESSAGES.order_key, reverse=True)
        if bound is None or holds(bound, message, SmsMessage, timezone)
    ]
    expected = matching[-limit:] if oldest and limit is not None else matching[:limit]
    expected = expected[::-1] if ascending else expected
    planned = plan(bound, limit=limit, timezone=timezone, oldest=oldest, ascending=ascending)
    if page is not None:  # small pages: long answers, read in windows of days when bounded below
        planned = planned.replace(page_size=page)
    reader = Reader(sandbox.client(), timezone=timezone, scan_budget=None)
    read, counted = Tally(), Tally()
    got = list(reader.read(planned, read))
    assert [message.sid for message in got] == [message.sid for message in expected], planned.explain()
    assert got == expected
    # counting is as exact as reading, and asks for no more pages
    assert reader.count(planned, counted) == len(expected), planned.explain()
    assert counted.pages <= read.pages
