"""Windows of days: a long list bounded below by a day is read as windows of days at
once (exactly: the planner's exactness property runs it with small pages), and a
short one costs no request more than before."""

from __future__ import annotations

import datetime as dt

from book.planner import plan
from book.reading import Reader, Tally, _split
from book.resources.messages import MESSAGES, SmsMessage
from book.sandbox import Sandbox, seed
from grammar import parse_filter
from procedures import Binder, FixedClock, holds

NOW = dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)
DAY = dt.date(2024, 5, 1)


def test_days_are_split_into_whole_runs_newest_first() -> None:
    ranges = _split(DAY, DAY + dt.timedelta(days=9), 4)
    assert ranges[0][1] == DAY + dt.timedelta(days=9) and ranges[-1][0] == DAY
    assert [(high - low).days + 1 for low, high in ranges] == [3, 3, 2, 2]
    assert all(ranges[n][0] - ranges[n + 1][1] == dt.timedelta(days=1) for n in range(3))
    assert _split(DAY, DAY, 8) == [(DAY, DAY)]
    assert _split(DAY, DAY - dt.timedelta(days=1), 8) == []


def _read(sandbox: Sandbox, english: str, page: int, windows: int = 8) -> tuple[list[str], Tally]:
    bound = Binder(now=NOW, timezone=dt.UTC, resolve=None).filter(parse_filter(english), SmsMessage)
    tally = Tally()
    planned = plan(bound).replace(page_size=page)
    assert planned.windowed
    found = [
        message.sid
        for message in Reader(sandbox.client(), scan_budget=None, windows=windows).read(planned, tally)
    ]
    return found, tally


def test_a_long_answer_is_read_in_windows_and_is_the_same_answer() -> None:
    sandbox = Sandbox(clock=FixedClock(NOW))
    seed(sandbox, 1500, seed=5, days=40)
    english = "date sent is on or after 2024-05-01"
    windowed, _ = _read(sandbox, english, page=100)
    listed, _ = _read(sandbox, english, page=100, windows=0)
    every = sorted(
        Reader(sandbox.client(), scan_budget=None).read(plan(None)), key=MESSAGES.order_key, reverse=True
    )
    bound = Binder(now=NOW, timezone=dt.UTC, resolve=None).filter(parse_filter(english), SmsMessage)
    assert windowed == listed == [m.sid for m in every if holds(bound, m, SmsMessage, dt.UTC)]
    assert len(windowed) > 100


def test_a_short_answer_costs_one_request_as_before() -> None:
    sandbox = Sandbox(clock=FixedClock(NOW))
    seed(sandbox, 300, seed=5, days=40)
    found, tally = _read(sandbox, "date sent is on or after 2024-05-20", page=1000)
    assert 0 < len(found) < 1000 and tally.pages == 1
    explained = plan(
        Binder(now=NOW, timezone=dt.UTC, resolve=None).filter(
            parse_filter("date sent is on or after 2024-05-20"), SmsMessage
        )
    ).explain()
    assert "windows of days at once" in explained
