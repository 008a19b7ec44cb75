"""Paging that a client can trust: following ``next_page_uri`` from page 0 lists
every message that existed then at most once and skips none, whatever the
lifecycle does between requests (messages queued, then sent, move in an order
that is by date sent). On a fixed clock, deterministically, and with the
official twilio library on loopback, in a loop."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import sandbox_helpers as h
from hypothesis import given, settings
from hypothesis import strategies as st

from book.sandbox import Sandbox, load, seed, serve
from procedures import FixedClock

NOW = dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)


def get(sandbox: Sandbox, uri: str) -> tuple[int, Any]:
    parts = urlsplit(uri)
    reply = sandbox.handle("GET", parts.path, parse_qsl(parts.query), [], h.auth(sandbox))
    return reply.status, json.loads(reply.body)


def page(sandbox: Sandbox, uri: str) -> Any:
    status, answer = get(sandbox, uri)
    assert status == 200, answer
    return answer


def pages(sandbox: Sandbox, clock: FixedClock, first: str, gaps: list[int]) -> list[str]:
    """Follow next_page_uri from ``first``, moving the clock on between pages."""
    sids: list[str] = []
    uri: str | None = first
    for gap in itertools.chain(gaps, itertools.repeat(0)):
        if uri is None:
            return sids
        answer = page(sandbox, uri)
        sids += [message["sid"] for message in answer["messages"]]
        uri = answer["next_page_uri"]
        clock.advance(dt.timedelta(milliseconds=gap))
    raise AssertionError("unreachable")


def created(sandbox: Sandbox, clock: FixedClock, count: int, spacing_ms: int) -> None:
    client = sandbox.client()
    for index in range(count):
        client.create_message(to=f"+1415555{index % 7:04d}", from_="+15005550006", body=f"hi {index}")
        clock.advance(dt.timedelta(milliseconds=spacing_ms))


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 60),
    st.integers(0, 3000),
    st.integers(1, 9),
    st.lists(st.integers(0, 4000), max_size=12),
    st.sampled_from(["", "&To=%2B14155550001", "&From=%2B15005550006"]),
)
def test_a_pagination_lists_each_message_once_while_they_are_sent(
    count: int, spacing: int, size: int, gaps: list[int], where: str
) -> None:
    clock = FixedClock(NOW)
    sandbox = Sandbox(clock=clock)
    seed(sandbox, 30, seed=2, days=2)  # older messages, already sent: a page can hold both
    created(sandbox, clock, count, spacing)
    collection = f"/2010-04-01/Accounts/{sandbox.account.sid}/Messages.json"
    first = f"{collection}?PageSize={size}{where}"
    # What existed when the pagination began, as a single page lists it.
    everything = [
        message["sid"] for message in page(sandbox, f"{collection}?PageSize=1000{where}")["messages"]
    ]
    listed = pages(sandbox, clock, first, gaps)
    assert len(listed) == len(set(listed)), "a message was listed twice"
    assert set(everything) <= set(listed), "a message was skipped"


def test_the_previous_page_and_a_bare_token_still_work() -> None:
    clock = FixedClock(NOW)
    sandbox = Sandbox(clock=clock)
    created(sandbox, clock, 12, 500)
    collection = f"/2010-04-01/Accounts/{sandbox.account.sid}/Messages.json"
    first = page(sandbox, f"{collection}?PageSize=5")
    second = page(sandbox, first["next_page_uri"])
    back = page(sandbox, second["previous_page_uri"])
    assert [m["sid"] for m in back["messages"]] == [m["sid"] for m in first["messages"]]
    bare = page(sandbox, f"{collection}?PageSize=5&Page=1&PageToken=PA{first['messages'][-1]['sid']}")
    assert [m["sid"] for m in bare["messages"]] == [m["sid"] for m in second["messages"]]


def test_a_list_pages_past_a_loaded_sid_in_upper_case() -> None:
    sandbox = Sandbox(clock=FixedClock(NOW))
    stamp = "Sat, 01 Jun 2024 10:00:00 +0000"
    sids = ["SM" + ("ABCDEF0123456789" * 2)[:-1] + str(n) for n in range(3)]
    load(
        sandbox,
        [{"sid": sid, "to": "+14155550100", "date_sent": stamp, "status": "delivered"} for sid in sids],
    )
    collection = f"/2010-04-01/Accounts/{sandbox.account.sid}/Messages.json"
    seen, uri = [], f"{collection}?PageSize=1"
    while uri:
        answer = page(sandbox, uri)
        seen += [message["sid"] for message in answer["messages"]]
        uri = answer["next_page_uri"]
    assert sorted(seen) == sorted(sids)


@pytest.mark.parametrize(
    ("asked", "status", "size"), [("5000", 200, 1000), ("7", 200, 7), ("²", 400, None), ("0", 400, None)]
)
def test_page_sizes_are_read_alike_by_every_list(asked: str, status: int, size: int | None) -> None:
    sandbox = Sandbox(clock=FixedClock(NOW))
    for path in ("Messages.json", "IncomingPhoneNumbers.json"):
        got, answer = h.call(sandbox, "GET", path, query=[("PageSize", asked)])
        assert got == status, (path, answer)
        if size is not None:
            assert answer["page_size"] == size


@pytest.mark.parametrize("token", ["PAnonsense", "XX" + "0" * 34, "PASM" + "0" * 32 + "_1", "PA"])
def test_a_token_not_issued_here_is_21481(token: str) -> None:
    sandbox = Sandbox(clock=FixedClock(NOW))
    status, answer = h.call(sandbox, "GET", "Messages.json", query=[("Page", "1"), ("PageToken", token)])
    assert status == 400 and answer["code"] == 21481


def test_a_page_without_its_token_is_twilios_20001() -> None:
    sandbox = Sandbox(clock=FixedClock(NOW))
    status, answer = h.call(sandbox, "GET", "Messages.json", query=[("Page", "2")])
    assert status == 400
    assert answer | {"more_info": None} == {
        "code": 20001,
        "message": "PageToken is required for paging.",
        "more_info": None,
        "status": 400,
    }


@pytest.mark.slow
def test_the_official_client_pages_through_the_served_sandbox_without_duplicates(tmp_path: Path) -> None:
    twilio_rest = pytest.importorskip("twilio.rest")
    sandbox = Sandbox(str(tmp_path / "paging.sqlite3"))
    server = serve(sandbox)
    try:
        client = twilio_rest.Client(sandbox.account.sid, sandbox.account.token)
        client.api.base_url = server.url
        for round in range(5):
            recipient = f"+1415555{round:04d}"
            for index in range(40):
                client.messages.create(to=recipient, from_="+15005550006", body=f"round {round}, {index}")
            listed = [message.sid for message in client.messages.list(to=recipient, page_size=7)]
            assert len(listed) == len(set(listed)) == 40, round
    finally:
        server.shutdown()
        server.server_close()
