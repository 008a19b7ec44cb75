"""Newest and oldest, and conversations: 'the oldest N', '... oldest first',
'read the conversation with "+1..."', run through a session on a seeded sandbox.

The planner's exactness for these forms is tested in test_planner_exactness.py;
here: that the English reaches the plan, what explain says, the errors, and the
order kept by procedures that have no plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

import procedures
from book.sandbox import Sandbox, seed
from procedures import FixedClock, Session
from tests.sandbox_helpers import book_session

NOW = dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)
NUMBER = "+14155550100"


@pytest.fixture(scope="module")
def session() -> Iterator[Session]:
    sandbox = Sandbox(clock=FixedClock(NOW))
    seed(sandbox, 400, seed=5)
    with book_session(sandbox) as opened:
        yield opened


def _sids(session: Session, sentence: str) -> list[str]:
    answer = session.step(sentence)
    assert "error" not in answer, answer
    return [message["sid"] for message in answer["result"]]


def test_oldest_and_newest_are_the_two_ends_of_one_list(session: Session) -> None:
    every = _sids(session, 'read some SMS messages whose status is "failed"')  # newest first
    assert len(every) > 6
    assert _sids(session, 'read some SMS messages whose status is "failed" oldest first') == every[::-1]
    assert _sids(session, 'read the oldest 3 SMS messages whose status is "failed"') == every[::-1][:3]
    assert _sids(session, 'read the 3 oldest SMS messages whose status is "failed"') == every[::-1][:3]
    assert (
        _sids(session, 'read the first 3 SMS messages whose status is "failed" oldest first')
        == every[::-1][:3]
    )
    assert (
        _sids(session, 'read the oldest 3 SMS messages whose status is "failed" newest first') == every[-3:]
    )
    assert _sids(session, 'read the last 3 SMS messages whose status is "failed"') == every[:3]
    assert (
        _sids(session, 'read the last 3 SMS messages whose status is "failed" oldest first')
        == every[:3][::-1]
    )
    assert _sids(session, 'read some SMS messages whose status is "failed" newest first') == every
    counted = session.step('count the oldest 3 SMS messages whose status is "failed"')["error"]
    assert "'the oldest 3' needs a list" in counted["message"]


def test_a_conversation_is_both_directions_with_the_number_oldest_first(session: Session) -> None:
    answer = session.step(f'read the conversation with "{NUMBER}"')
    assert "error" not in answer, answer
    talk = answer["result"]
    assert talk and all(NUMBER in (m["sender_number"], m["recipient_number"]) for m in talk)
    assert {m["sender_number"] == NUMBER for m in talk} == {True, False}  # both directions
    sent = [m["date_sent"] or m["date_created"] for m in talk]
    assert sent == sorted(sent)
    both = _sids(
        session,
        f'read some SMS messages whose sender number is "{NUMBER}" or whose recipient number is "{NUMBER}"',
    )
    assert [m["sid"] for m in talk] == both[::-1]
    assert _sids(session, f'read the conversation with "{NUMBER}" newest first') == both
    assert _sids(session, f'read the last 4 SMS messages with "{NUMBER}"') == both[:4][::-1]
    narrowed = _sids(session, f'read the conversation with "{NUMBER}" whose status is "delivered"')
    assert narrowed and set(narrowed) < set(both)
    session.step(f'the customer number is "{NUMBER}"')
    assert _sids(session, "read the conversation with the customer number") == both[::-1]


def test_explain_says_what_oldest_first_costs(session: Session) -> None:
    oldest = session.explain('read the oldest 5 SMS messages whose status is "failed"')
    words = oldest.explain()
    assert "every message that matches is read, to the last page" in words
    assert "given oldest first" in words
    assert oldest.to_json()["limit_keeps"] == "oldest" and oldest.to_json()["given"] == "oldest first"
    newest = session.explain('read the first 5 SMS messages whose status is "failed"')
    assert "limit_keeps" not in newest.to_json() and "every message that matches" not in newest.explain()
    talk = session.explain(f'read the conversation with "{NUMBER}"').to_json()
    assert [query["params"] for query in talk["queries"]] == [{"From": NUMBER}, {"To": NUMBER}]
    assert talk["given"] == "oldest first"


@pytest.mark.parametrize(
    ("sentence", "kind", "words"),
    [
        ('read the phone numbers with "+14155550100"', "run", "have no other side to name"),
        ('convert "2024-01-01" to a date oldest first', "syntax", "a conversion takes no order"),
        ('convert "2024-01-01" to a date with "+1"', "syntax", "a conversion takes no with"),
        (
            'send an SMS message oldest first where the recipient number is "+14155550100"',
            "run",
            "orders a list",
        ),
        ("count the SMS messages oldest first", "run", "orders a list"),
    ],
)
def test_an_order_or_a_partner_where_it_means_nothing_is_an_error(
    session: Session, sentence: str, kind: str, words: str
) -> None:
    error = session.step(sentence)["error"]
    assert error["kind"] == kind and words in error["message"], error


def test_a_procedure_without_a_plan_is_ordered_and_cut_by_the_runtime() -> None:
    book = procedures.Registry()

    @book.procedure("to read some (numbers)")
    def read_numbers(limit: int | None) -> list[int]:
        """Reads numbers, newest (largest) first."""
        return list(range(10, 0, -1))[:limit]

    with Session(book) as session:
        results: dict[str, Any] = {
            sentence: session.step(sentence)["result"]
            for sentence in (
                "read the first 3 numbers",
                "read the oldest 3 numbers",
                "read the last 3 numbers oldest first",
                "read some numbers oldest first",
            )
        }
    assert results == {
        "read the first 3 numbers": [10, 9, 8],
        "read the oldest 3 numbers": [1, 2, 3],
        "read the last 3 numbers oldest first": [8, 9, 10],
        "read some numbers oldest first": list(range(1, 11)),
    }


def test_a_conversation_is_counted_kept_to_one_and_refused_where_nothing_is_read(session: Session) -> None:
    both = _sids(
        session,
        f'read some SMS messages whose sender number is "{NUMBER}" or whose recipient number is "{NUMBER}"',
    )
    assert session.step(f'count the conversation with "{NUMBER}"')["result"] == len(both)
    assert session.step(f'count the SMS messages with "{NUMBER}"')["result"] == len(both)
    one = session.step(f'read an SMS message with "{NUMBER}"')["error"]  # 'an' still means exactly one
    assert "needs exactly one" in one["message"]
    sent = session.step(f'send an SMS message with "{NUMBER}" where the message body is "hi"')["error"]
    assert sent["kind"] == "run" and "names the other side of a conversation" in sent["message"]
    assert "the recipient number is" in sent["hint"]
    grouped = session.step("count the SMS messages oldest first by status")["error"]
    assert "orders a list" in grouped["message"]
    assert session.step(f'count the conversation with "{NUMBER}" by status')["result"]


def test_an_unmet_expectation_with_a_period_shows_the_value() -> None:
    with Session(procedures.Registry(), clock=FixedClock(NOW)) as alone:
        error = alone.step("the d is 2024-01-01\nexpect the d is last week")["error"]
    assert error["kind"] == "expectation" and "but the d is 2024-01-01" in error["message"], error
