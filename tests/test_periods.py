"""Periods: 'last week', 'this month', 'in the last 7 days', 'since Monday' are runs
of whole days in the book's time zone, compared as their first and last days, and
pushed down to Twilio like any range of dates (their exactness over messages is
tested in test_planner_exactness.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from book.sandbox import Sandbox, seed
from grammar import Period, Which, parse_filter
from procedures import Binder, FixedClock, Session, timezone_named
from tests.sandbox_helpers import book_session

WEDNESDAY = dt.datetime(2024, 6, 5, 12, tzinfo=dt.UTC)


def _days(text: str, now: dt.datetime = WEDNESDAY, zone: str = "UTC") -> tuple[str, str]:
    (period,) = parse_filter(f"date sent is {text}").values  # type: ignore[attr-defined]
    assert isinstance(period, Period)
    first, last = Binder(now=now, timezone=timezone_named(zone), resolve=None).days(period)
    return first.isoformat(), last.isoformat()


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("this week", "2024-06-03", "2024-06-09"),
        ("last week", "2024-05-27", "2024-06-02"),
        ("this month", "2024-06-01", "2024-06-30"),
        ("last month", "2024-05-01", "2024-05-31"),
        ("this year", "2024-01-01", "2024-12-31"),
        ("last year", "2023-01-01", "2023-12-31"),
        ("in the last 1 day", "2024-06-05", "2024-06-05"),
        ("in the last 7 days", "2024-05-30", "2024-06-05"),
        ("in the last 2 weeks", "2024-05-23", "2024-06-05"),
        ("Monday", "2024-06-03", "2024-06-03"),
        ("Wednesday", "2024-06-05", "2024-06-05"),
        ("Thursday", "2024-05-30", "2024-05-30"),
    ],
)
def test_each_period_is_its_days(text: str, first: str, last: str) -> None:
    assert _days(text) == (first, last)


def test_days_are_the_book_time_zones() -> None:
    late = dt.datetime(2024, 6, 3, 2, tzinfo=dt.UTC)  # Monday in UTC, still Sunday in New York
    assert _days("this week", late) == ("2024-06-03", "2024-06-09")
    assert _days("this week", late, "America/New_York") == ("2024-05-27", "2024-06-02")
    january = dt.datetime(2024, 1, 15, tzinfo=dt.UTC)
    assert _days("last month", january) == ("2023-12-01", "2023-12-31")
    assert _days("last month", dt.datetime(2024, 3, 10, tzinfo=dt.UTC)) == ("2024-02-01", "2024-02-29")


_nows = st.datetimes(min_value=dt.datetime(1901, 1, 1), max_value=dt.datetime(2098, 12, 31)).map(
    lambda moment: moment.replace(tzinfo=dt.UTC)
)
_zones = st.sampled_from(["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kolkata"])


@given(now=_nows, zone=_zones, cycle=st.sampled_from(["week", "month", "year"]))
def test_this_and_last_are_whole_consecutive_cycles_around_today(
    now: dt.datetime, zone: str, cycle: str
) -> None:
    binder = Binder(now=now, timezone=timezone_named(zone), resolve=None)
    today = now.astimezone(timezone_named(zone)).date()
    first, last = binder.days(Period(Which.THIS, cycle))
    before_first, before_last = binder.days(Period(Which.LAST, cycle))
    assert first <= today <= last
    assert before_last + dt.timedelta(days=1) == first  # last X ends the day before this X starts
    for start, end in ((first, last), (before_first, before_last)):
        following = end + dt.timedelta(days=1)
        if cycle == "week":
            assert start.weekday() == 0 and (end - start).days == 6
        elif cycle == "month":
            assert start.day == 1 and following.day == 1 and following.month != start.month
        else:
            assert (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year


@given(now=_nows, zone=_zones, amount=st.integers(1, 400), unit=st.sampled_from(["day", "week"]))
def test_the_last_n_days_end_today(now: dt.datetime, zone: str, amount: int, unit: str) -> None:
    binder = Binder(now=now, timezone=timezone_named(zone), resolve=None)
    today = now.astimezone(timezone_named(zone)).date()
    first, last = binder.days(Period(Which.PAST, unit, amount))
    assert last == today and (last - first).days + 1 == amount * (7 if unit == "week" else 1)


@given(now=_nows, day=st.integers(0, 6))
def test_a_weekday_is_the_latest_such_day(now: dt.datetime, day: int) -> None:
    first, last = Binder(now=now, timezone=dt.UTC, resolve=None).days(Period(Which.WEEKDAY, amount=day))
    assert first == last and first.weekday() == day and 0 <= (now.date() - first).days < 7


@pytest.fixture(scope="module")
def session() -> Iterator[Session]:
    sandbox = Sandbox(clock=FixedClock(WEDNESDAY))
    seed(sandbox, 600, seed=3, days=60)
    with book_session(sandbox) as opened:
        yield opened


@pytest.mark.parametrize(
    ("period", "dates"),
    [
        ("last week", "is between 2024-05-27 and 2024-06-02"),
        ("this month", "is between 2024-06-01 and 2024-06-30"),
        ("in the last 7 days", "is between 2024-05-30 and 2024-06-05"),
        ("since Monday", "is on or after 2024-06-03"),
        ("before last week", "is before 2024-05-27"),
        ("after last month", "is after 2024-05-31"),
        ("not last week", "is not between 2024-05-27 and 2024-06-02"),
    ],
)
def test_a_period_reads_what_its_days_read_and_is_pushed_down(
    session: Session, period: str, dates: str
) -> None:
    with_period = session.step(f"count the SMS messages whose date sent is {period}")["result"]
    assert with_period == session.step(f"count the SMS messages whose date sent {dates}")["result"]
    plan = session.explain(f"read some SMS messages whose date sent is {period}").to_json()
    pushed = plan["queries"][0]["params"]
    assert any(name.startswith("DateSent") for name in pushed) or period.startswith("not"), plan


def test_a_period_where_one_value_is_needed_is_an_error(session: Session) -> None:
    said = session.step("say last week")["error"]
    assert said["kind"] == "value" and "2024-05-27 to 2024-06-02" in said["message"]
    listed = session.step("read some SMS messages whose date sent is one of last week, this week or today")
    assert "does not take a period" in listed["error"]["message"]
    assert (listed["error"]["line"], listed["error"]["column"]) == (1, 50)
