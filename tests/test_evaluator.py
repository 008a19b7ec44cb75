"""The reference evaluator's edges, one case a line in fixtures/evaluator.txt.

Each case binds the filter for an "event" (as the runtime would: relative times
against a fixed now, values checked and normalised) and evaluates it on one item.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import pytest

from book.phone import PhoneNumber
from grammar import parse_filter
from procedures import Binder, Choices, Concept, holds, timezone_named

NOW = dt.datetime(2024, 3, 10, 12, tzinfo=dt.UTC)


class Event(Concept):
    english = "event"

    at: dt.datetime | None = None
    day: dt.date | None = None
    note: str | None = None
    phone: PhoneNumber | None = None
    amount: Decimal | None = None
    kind: Annotated[str | None, Choices("queued", "sent", "delivered")] = None
    tags: list[str] | None = None


def _cases() -> list[Any]:
    cases = []
    path = Path(__file__).parent / "fixtures" / "evaluator.txt"
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        item, filter_text, zone, expected = (part.strip() for part in line.split(" | "))
        cases.append(
            pytest.param(json.loads(item), filter_text, zone, expected == "true", id=f"line{number}")
        )
    return cases


@pytest.mark.parametrize(("item", "filter_text", "zone", "expected"), _cases())
def test_evaluator_edge(item: dict[str, Any], filter_text: str, zone: str, expected: bool) -> None:
    timezone = timezone_named(zone)
    bound = Binder(now=NOW, timezone=timezone, resolve=None).filter(parse_filter(filter_text), Event)
    assert holds(bound, Event.model_validate(item), Event, timezone) is expected
    # The bound filter is still English: it parses back and means the same.
    again = Binder(now=NOW, timezone=timezone, resolve=None).filter(parse_filter(str(bound)), Event)
    assert holds(again, Event.model_validate(item), Event, timezone) is expected


def test_mappings_are_evaluated_like_concepts() -> None:
    bound = Binder(now=NOW, timezone=dt.UTC, resolve=None).filter(parse_filter('note contains "stop"'), Event)
    assert holds(bound, {"note": "STOP now"}, Event, dt.UTC)
    assert not holds(bound, {}, Event, dt.UTC)


NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ("at is after 2024-11-03T01:45", True),  # 01:45 read as the first one, 05:45Z
        ("at is before 2024-11-03T01:45", False),
        ("at is on or before 2024-11-03T01:45-05:00", True),  # 06:45Z
        ("at is 2024-11-03", True),
        ("at is between 2024-11-03T01:00 and 2024-11-03T01:59", False),  # 05:00Z to 05:59Z
    ],
)
def test_times_in_the_repeated_hour_compare_as_instants(filter_text: str, expected: bool) -> None:
    """Python compares two times of one zone by their wall clocks; when the clocks
    go back, 01:30 comes twice, and only instants tell the two apart."""
    second = Event(at=dt.datetime(2024, 11, 3, 1, 30, fold=1, tzinfo=NEW_YORK))  # 06:30Z
    binder = Binder(now=dt.datetime(2024, 11, 4, tzinfo=dt.UTC), timezone=NEW_YORK, resolve=None)
    assert holds(binder.filter(parse_filter(filter_text), Event), second, Event, NEW_YORK) is expected
