"""'count the X whose ... by FIELD': a count per value of a field, exact (each group
is the count of its own filter), largest first, for any field of the concept; 'by'
only groups a count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from book.sandbox import Sandbox, seed
from procedures import FixedClock, Session
from tests.sandbox_helpers import book_session

NOW = dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def session() -> Iterator[Session]:
    sandbox = Sandbox(clock=FixedClock(NOW))
    seed(sandbox, 400, seed=11)
    with book_session(sandbox) as opened:
        yield opened


@pytest.mark.parametrize(
    ("field", "name", "filter"),
    [
        ("status", "status", ""),
        ("recipient number", "recipient_number", 'whose status is "failed" '),
        ("direction", "direction", "whose date sent is on or after 2024-05-01 "),
    ],
)
def test_each_group_is_the_count_of_its_own_filter(
    session: Session, field: str, name: str, filter: str
) -> None:
    groups = session.step(f"count the SMS messages {filter}by {field}")["result"]
    assert groups and [group["count"] for group in groups] == sorted(
        (g["count"] for g in groups), reverse=True
    )
    total = session.step(f"count the SMS messages {filter}".strip())["result"]
    assert sum(group["count"] for group in groups) == total
    for group in groups[:5]:
        narrowed = ("whose " if not filter else filter + "and whose ") + f'{field} is "{group[name]}"'
        assert session.step(f"count the SMS messages {narrowed}")["result"] == group["count"]


def test_by_groups_only_counts_and_names_a_field(session: Session) -> None:
    wrong_verb = session.step("read the SMS messages by status")["error"]
    assert wrong_verb["kind"] == "run" and "'by' groups a count" in wrong_verb["message"]
    assert (wrong_verb["line"], wrong_verb["column"]) == (1, 26)  # at the field after "by"
    wrong_field = session.step("count the SMS messages by colour")["error"]
    assert wrong_field["kind"] == "unknown field" and "recipient number" in wrong_field["message"]
