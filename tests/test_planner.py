"""The planner's decisions, one case a line (fixtures/plans.txt), its explanations,
requests counted through the sandbox's transport, and how its work grows with the
filter's size (counted, not timed)."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from book.errors import PlanError
from book.plan import Plan
from book.planner import plan
from book.reading import Reader, Tally
from book.resources.messages import SmsMessage
from book.sandbox import Sandbox, seed
from grammar import And, Comparison, Date, Filter, Not, NounPhrase, Op, Or, Text, parse_filter
from procedures import Binder, FixedClock, timezone_named

NOW = dt.datetime(2024, 3, 10, 12, tzinfo=dt.UTC)


def planned(text: str | None, limit: int | None = None, zone: str = "UTC") -> Plan:
    timezone = timezone_named(zone)
    bound: Filter | None = None
    if text is not None:
        bound = Binder(now=NOW, timezone=timezone, resolve=None).filter(parse_filter(text), SmsMessage)
    return plan(bound, limit=limit, timezone=timezone)


def _queries(text: str) -> list[dict[str, Any]]:
    if text == "(none)":
        return []
    found = []
    for query in text.split("; "):
        if query.startswith("fetch "):
            found.append({"kind": "fetch", "sid": query[6:]})
        elif query == "(all)":
            found.append({"kind": "list", "params": {}})
        else:
            params = dict(
                re.match(r"(DateSent[<>]?|From|To)=(.*)", pair).groups() for pair in query.split("&")
            )  # type: ignore[union-attr]
            found.append(
                {
                    "kind": "list",
                    "params": {k.replace("<", "<").replace(">", ">"): v for k, v in params.items()},
                }
            )
    return found


def _cases() -> list[Any]:
    found = []
    for number, line in enumerate(
        (Path(__file__).parent / "fixtures" / "plans.txt").read_text().splitlines(), 1
    ):
        if not line.strip() or line.startswith("#"):
            continue
        limit, zone = None, "UTC"
        while line.startswith("["):
            option, line = line[1 : line.index("]")], line[line.index("]") + 2 :]
            if option.startswith("first "):
                limit = int(option[6:])
            else:
                zone = option.removeprefix("tz=")
        text, queries, residual, size = line.split(" => ")
        found.append(pytest.param(text, limit, zone, queries, residual, int(size), id=f"line{number}"))
    return found


@pytest.mark.parametrize(("text", "limit", "zone", "queries", "residual", "size"), _cases())
def test_plan(text: str, limit: int | None, zone: str, queries: str, residual: str, size: int) -> None:
    result = planned(text, limit, zone)
    data = result.to_json()
    assert data["queries"] == _queries(queries), result.explain()
    assert data["residual"] == (None if residual == "-" else residual)
    assert data["page_size"] == size
    assert data["limit"] == limit
    assert json.loads(json.dumps(data)) == data


def test_no_filter_is_an_export() -> None:
    assert planned(None).to_json() == {
        "queries": [{"kind": "list", "params": {}}],
        "residual": None,
        "limit": None,
        "page_size": 1000,
    }
    assert planned(None, limit=20).page_size == 20


@pytest.mark.parametrize(
    ("alternatives", "reason"),
    [
        (17, "its 17 alternatives are more than the 16 queries a read makes"),
        (80, "it has more alternatives than the 64 the book works out"),
    ],
)
def test_a_scan_says_why_every_message_is_read(alternatives: int, reason: str) -> None:
    senders = " or ".join(f'sender number is "+1415555{n:04d}"' for n in range(alternatives))
    result = planned(f"({senders}) and date sent is after 2024-03-01")
    assert result.to_json()["queries"] == [{"kind": "list", "params": {}}]
    assert [p.where for p in result.placements] == ["here", "here"]  # nothing was sent to Twilio
    assert all(p.why == f"kept here: {reason}, so every message is read" for p in result.placements)
    mixed = planned('sender number is "+15005550006" or body contains "refund"')
    assert mixed.placements[0].why == (
        "kept here: one of its alternatives has nothing Twilio can filter on, so every message is read"
    )


def test_every_part_is_placed_with_a_reason() -> None:
    result = planned(
        'sender number is "+15005550006" and date sent is before 2024-03-01 and body contains "refund"'
    )
    assert [(p.part, p.where) for p in result.placements] == [
        ('sender number is "+15005550006"', "twilio"),
        ("date sent is before 2024-03-01", "both"),
        ('body contains "refund"', "here"),
    ]
    assert result.placements[0].why == "sent to Twilio as From=+15005550006 (exact)"
    assert "whole UTC days around it; the exact cut is made here" in result.placements[1].why
    assert result.placements[2].why == "kept here: Twilio cannot filter on the body"
    split = planned(
        '(sender number is "+15005550006" or sender number is "+12125550100") and status is "sent"'
    )
    assert split.placements[0].where == "split"
    contradiction = planned('status is "sent" and status is "delivered"')
    assert {p.where for p in contradiction.placements} == {"nowhere"}


def test_the_explanation_reads_as_english() -> None:
    text = planned('sender number is "+15005550006" and body contains "refund"', limit=5).explain()
    assert "1. list the messages with From=+15005550006" in text
    assert 'Each message is then kept here only if: body contains "refund"' in text
    assert "The read stops at 5 messages." in text
    assert "No request" in planned('status is "sent" and status is "failed"').explain()


# ------------------------------------------------------------ requests


@pytest.fixture(scope="module")
def seeded() -> Sandbox:
    sandbox = Sandbox(clock=FixedClock(NOW))
    seed(sandbox, 3000, seed=9)
    return sandbox


def _read(
    sandbox: Sandbox, text: str | None, limit: int | None = None, budget: int | None = None
) -> tuple[list[SmsMessage], int, Tally]:
    transport = sandbox.transport()
    from book.client import Client

    client = Client(credentials=sandbox.credentials(), transport=transport)
    tally = Tally()
    found = list(Reader(client, scan_budget=budget).read(planned(text, limit), tally))
    return found, transport.requests, tally


def test_a_contradiction_makes_no_request(seeded: Sandbox) -> None:
    found, requests, _ = _read(seeded, 'sender number is "+15005550006" and sender number is "+12125550100"')
    assert (found, requests) == ([], 0)


def test_one_number_written_two_ways_is_no_contradiction(seeded: Sandbox) -> None:
    """Phone numbers are compared in E.164: "+1 500 555 0006" is "+15005550006"."""
    two_ways = 'sender number is "+1 500 555 0006" and sender number is "+15005550006"'
    assert not planned(two_ways).empty
    found, requests, _ = _read(seeded, two_ways)
    alone, _, _ = _read(seeded, 'sender number is "+15005550006"')
    assert found == alone and found and requests >= 1


def test_the_first_5_of_a_fully_pushable_filter_make_one_request_of_5(seeded: Sandbox) -> None:
    transport = seeded.transport()
    from book.client import Client

    sizes: list[str] = []
    original = transport.handle_request

    def spy(request: Any) -> Any:
        sizes.append(dict(request.url.params)["PageSize"])
        return original(request)

    transport.handle_request = spy  # type: ignore[method-assign]
    client = Client(credentials=seeded.credentials(), transport=transport)
    found = list(
        Reader(client).read(planned('sender number is "+15005550006" and date sent is after 2024-01-01', 5))
    )
    assert len(found) == 5 and sizes == ["5"]


def test_a_read_with_a_limit_stops_when_it_has_enough(seeded: Sandbox) -> None:
    _, requests, tally = _read(seeded, 'body contains "order"', limit=3)
    assert requests == 1 and tally.given == 3 and tally.transferred == 1000


def test_a_runaway_scan_ends_with_an_error_naming_the_cause(seeded: Sandbox) -> None:
    with pytest.raises(PlanError) as caught:
        _read(seeded, 'body contains "no such words anywhere"', budget=1500)
    error = caught.value
    assert "'body contains \"no such words anywhere\"' can only be checked here" in str(error)
    assert "sender number, a recipient number or a date sent" in (error.hint or "")


def test_an_export_is_not_a_runaway_scan(seeded: Sandbox) -> None:
    found, requests, tally = _read(seeded, None, budget=10)
    assert len(found) == 3000 and requests == 3 and tally.discarded == 0


def test_fully_pushed_reads_make_the_fewest_requests(seeded: Sandbox) -> None:
    found, requests, tally = _read(seeded, 'sender number is "+15005550006"')
    assert requests == max(1, -(-len(found) // 1000)) and tally.discarded == 0


def test_a_missing_sid_is_an_empty_answer(seeded: Sandbox) -> None:
    found, requests, _ = _read(seeded, 'sid is "SM0123456789abcdef0123456789abcdef"')
    assert (found, requests) == ([], 1)


# ------------------------------------------------------------ growth


def _sender(number: int) -> Comparison:
    return Comparison(NounPhrase.of("sender number"), Op.IS, (Text(f"+1415555{number:04d}"),))


def _body(number: int) -> Comparison:
    return Comparison(NounPhrase.of("body"), Op.CONTAINS, (Text(f"word{number}"),))


def _after(number: int) -> Comparison:
    day = dt.date(2000, 1, 1) + dt.timedelta(days=number)
    return Comparison(NounPhrase.of("date sent"), Op.AFTER if number % 2 else Op.BEFORE, (Date(day),))


def _nested(levels: int) -> Filter:
    """``a or b or ((c or d) and (e or f or ((g or h) and ...)))``, ``levels`` deep."""
    tree: Filter = _body(levels)
    for level in range(levels):
        if level % 2:
            tree = Or((_sender(level), _body(level), tree))
        else:
            tree = And((Or((_sender(level), _after(level))), tree))
    return tree


def _chain(levels: int) -> Filter:
    """``a and b and not (not c or not (d and e and not (...)))``: one and, written ``levels`` deep."""
    tree: Filter = _body(levels)
    for level in range(levels):
        if level % 3 == 1:
            tree = Not(Or((Not(_body(level)), Not(tree))))
        else:
            tree = And((_body(level), _after(level), tree))
    return tree


# Filters of about N comparisons, built as trees (the grammar limits how deep and how long a line is).
GROWING: dict[str, Callable[[int], Filter]] = {
    "an or of sender numbers (issue 11)": lambda n: Or(tuple(_sender(i) for i in range(n))),
    "an and of comparisons": lambda n: And(tuple(_body(i) for i in range(n))),
    "an and of date bounds": lambda n: And(tuple(_after(i) for i in range(n))),
    "not an or": lambda n: Not(Or(tuple(_sender(i) for i in range(n)))),
    "an or of ands with nots": lambda n: Or(
        tuple(And((Not(_sender(i)), _body(i), Not(_after(i)))) for i in range(n // 3))
    ),
    "and of ors": lambda n: And(tuple(Or((_sender(i), _body(i))) for i in range(n // 2))),
    "is one of N numbers": lambda n: Comparison(
        NounPhrase.of("sender number"), Op.ONE_OF, tuple(_sender(i).values[0] for i in range(n))
    ),
    "nested": lambda n: _nested(n // 3),
    "ands nested in ands": lambda n: _chain(n // 5),
}


def _calls(tree: Filter) -> int:
    """The work of planning a bound filter, counted as the Python and C calls made
    (sys.setprofile): the same on any machine, however loaded."""
    bound = Binder(now=NOW, timezone=dt.UTC, resolve=None).filter(tree, SmsMessage)
    count = 0

    def counted(frame: Any, event: str, argument: Any) -> None:
        nonlocal count
        count += event in ("call", "c_call")

    previous = sys.getprofile()
    sys.setprofile(counted)
    try:
        plan(bound).to_json()
    finally:
        sys.setprofile(previous)
    return count


@pytest.mark.parametrize("shape", GROWING)
def test_planning_grows_with_the_filter_not_with_its_square(shape: str) -> None:
    """A filter four times as large takes about four times the work to plan, not
    sixteen: a pass comparing each part with every other (as finding repeats by
    searching a list did, 13.6 s for 2,000 alternatives) fails this."""
    small, large = (_calls(GROWING[shape](size)) for size in (100, 400))
    assert large < 6 * small, f"{shape}: {small:,} calls for 100, {large:,} for 400"


def test_an_or_of_2000_numbers_plans_as_one_scan_finished_here() -> None:
    alternatives = Or(tuple(_sender(i) for i in range(2000)))
    bound = Binder(now=NOW, timezone=dt.UTC, resolve=None).filter(alternatives, SmsMessage)
    result = plan(bound)
    assert result.to_json()["queries"] == [{"kind": "list", "params": {}}]
    assert result.residual == bound


def test_not_not_cancels_out() -> None:
    assert planned('not not sender number is "+15005550006"').to_json()["queries"] == [
        {"kind": "list", "params": {"From": "+15005550006"}}
    ]
