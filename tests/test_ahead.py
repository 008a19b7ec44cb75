"""Reading ahead (book/ahead.py): pages in order, at most so many ahead, errors where
the page would have been, and a reader that stops early stops the thread; a read over
the network gives the same answer with or without it."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator

import pytest

from book.ahead import ahead
from book.client import Client
from book.planner import plan
from book.reading import Reader
from book.resources.messages import SmsMessage
from book.sandbox import Sandbox, seed, serve
from grammar import parse_filter
from procedures import Binder


def test_items_come_in_order_and_no_more_than_depth_ahead() -> None:
    produced: list[int] = []

    def numbers() -> Iterator[int]:
        for number in range(50):
            produced.append(number)
            yield number

    given: list[int] = []
    for number in ahead(numbers(), depth=2):
        time.sleep(0.001)
        # depth made and not yet taken (the one being made included), and the one in the reader's hand
        assert len(produced) - len(given) <= 2 + 1
        given.append(number)
    assert given == list(range(50))


def test_an_error_is_raised_where_its_item_would_have_been() -> None:
    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise LookupError("page 3 failed")

    reading = ahead(failing())
    assert [next(reading), next(reading)] == [1, 2]
    with pytest.raises(LookupError, match="page 3 failed"):
        next(reading)


def test_stopping_early_stops_the_thread_and_closes_the_pages() -> None:
    closed = threading.Event()

    def endless() -> Iterator[int]:
        try:
            number = 0
            while True:
                yield number
                number += 1
        finally:
            closed.set()

    reading = ahead(endless())
    assert [next(reading) for _ in range(3)] == [0, 1, 2]
    reading.close()  # type: ignore[attr-defined]
    assert closed.wait(5)
    assert not any(thread.name == "book-read-ahead" for thread in threading.enumerate())


def test_a_read_over_the_network_is_the_same_read_ahead_or_not() -> None:
    sandbox = Sandbox()
    seed(sandbox, 3000, seed=4)
    bound = Binder(now=sandbox.now(), timezone=dt.UTC, resolve=None).filter(
        parse_filter('sender number is "+15005550006" or recipient number is "+15005550006"'), SmsMessage
    )
    with serve(sandbox) as server:
        client = Client(credentials=sandbox.credentials(), base_url=server.url)
        assert client.overlaps and not sandbox.client().overlaps
        planned = plan(bound, limit=None)
        assert len(planned.queries) == 2  # an or-merge: both lists read at once
        overlapped = [m.sid for m in Reader(client, scan_budget=None).read(planned)]
        in_turn = [m.sid for m in Reader(client, scan_budget=None, overlap=False).read(planned)]
        first = [m.sid for m in Reader(client, scan_budget=None).read(plan(bound, limit=7))]
    assert overlapped == in_turn and len(overlapped) > 1000
    assert first == in_turn[:7]
