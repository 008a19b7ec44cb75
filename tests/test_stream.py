"""Streaming a read: Session.stream gives a read's items as they are read (a page at a
time, the next page asked for only when needed), and `book run --format jsonl`
writes each as a JSON line; anything else is refused or run whole."""

from __future__ import annotations

import datetime as dt
import json
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from book.planner import plan
from book.reading import Reader
from book.resources.messages import MESSAGES, SmsMessage
from book.sandbox import Sandbox, seed
from book.sandbox.faults import Fault, Faults
from grammar import parse_filter
from procedures import Binder, ExplainError, FixedClock, Session
from tests.sandbox_helpers import book_session

NOW = dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    sandbox = Sandbox(clock=FixedClock(NOW))
    seed(sandbox, 3000, seed=6)
    return sandbox


@pytest.fixture
def session(sandbox: Sandbox) -> Iterator[Session]:
    with book_session(sandbox) as opened:
        yield opened


def _pages_asked(sandbox: Sandbox) -> list[int]:
    """Counts the list requests the sandbox answers, from now on."""
    asked = [0]
    faults = Faults()
    draw = faults.draw

    def counted(method: str) -> Fault:
        asked[0] += method == "GET"
        return draw(method)

    faults.draw = counted  # type: ignore[method-assign]
    sandbox.faults = faults
    return asked


def test_a_stream_gives_what_a_run_gives_a_page_at_a_time(sandbox: Sandbox, session: Session) -> None:
    script = 'the sender is "+15005550006"\nread some SMS messages whose sender number is the sender'
    whole = [message["sid"] for message in session.step(script)["result"]]
    assert len(whole) > 1000  # more than a page
    asked = _pages_asked(sandbox)
    try:
        items = session.stream(script)
        first = [next(items).sid for _ in range(5)]
        assert asked[0] == 1  # five items: one page asked for, not the list
        rest = [message.sid for message in items]
        assert asked[0] >= 2
    finally:
        sandbox.faults = None
    assert first + rest == whole


def test_a_read_lets_a_page_go_before_it_asks_for_the_next(sandbox: Sandbox) -> None:
    """What a read holds does not grow with what it reads: when it asks for a page, no
    wire message of the pages before it is alive any more, whoever holds those pages."""
    client = sandbox.client()
    listed = client.list_pages
    messages: list[weakref.ref[Any]] = []
    alive_when_asked: list[int] = []

    def list_pages(*arguments: Any, **options: Any) -> Iterator[Any]:
        pages = listed(*arguments, **options)
        while True:
            alive_when_asked.append(sum(message() is not None for message in messages))
            page = next(pages, None)
            if page is None:
                return
            messages.extend(weakref.ref(message) for message in MESSAGES.items(page))
            yield page
            del page

    client.list_pages = list_pages  # type: ignore[method-assign]
    bound = Binder(now=NOW, timezone=dt.UTC, resolve=None).filter(
        parse_filter('sender number is "+15005550006"'), SmsMessage
    )
    read = sum(1 for _ in Reader(client, scan_budget=None).read(plan(bound)))
    assert read > 1000 and len(alive_when_asked) >= 3  # pages asked for after the first
    assert alive_when_asked == [0] * len(alive_when_asked)


@pytest.mark.parametrize(
    "script",
    [
        "count the SMS messages",
        'read an SMS message whose sid is "SM00000000000000000000000000000000"',
        'send an SMS message where the recipient number is "+14155550100" and the message body is "x"',
        "say 1",
        "count the SMS messages by status",
    ],
)
def test_only_a_read_of_a_list_streams(session: Session, script: str) -> None:
    from grammar import parse_script

    assert not session.streams(parse_script(script))
    with pytest.raises(ExplainError, match="only a script that ends by reading a list can be streamed"):
        next(session.stream(script))


def test_book_run_writes_json_lines_as_it_reads(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "sandbox.sqlite3"
    seed(Sandbox(str(path)), 1200, seed=2)
    book = Path(sys.executable).parent / "book"
    ran = subprocess.run(
        [str(book), "run", "--sandbox", str(path), "--format", "jsonl", "-e", "read some SMS messages"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [json.loads(line) for line in ran.stdout.splitlines()]
    assert len(lines) == 1200 and all(line["sid"].startswith(("SM", "MM")) for line in lines)
    said = subprocess.run(
        [str(book), "run", "--sandbox", str(path), "--format", "jsonl", "-e", 'say "hi"'],
        capture_output=True,
        text=True,
        check=True,
    )
    assert [json.loads(line) for line in said.stdout.splitlines()] == [{"result": "hi", "said": ["hi"]}]
