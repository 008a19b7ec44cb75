"""The planner's decisions, one case a line (fixtures/plans.txt), its explanations,
and requests counted through the sandbox's transport."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from book.concepts import SmsMessage
from book.errors import PlanError
from book.plan import Plan
from book.planner import plan
from book.reading import Reader, Tally
from book.sandbox import Sandbox, seed
from grammar import Filter, parse_filter
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
