"""Pushdown tables (book/pushdown.py): the planner reads a resource's table and names
no field, so a second resource with just two equality filters plans, explains and
places its parts in its own words."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import pytest

from book.plan import Plan
from book.planner import MESSAGES, plan, push
from book.pushdown import Days, Equal, Fetch, Pushdown
from book.resources.messages import SmsMessage
from grammar import parse_filter
from procedures import Binder, Concept, Exact

NOW = dt.datetime(2024, 3, 10, 12, tzinfo=dt.UTC)


class Number(Concept):
    """An account's phone number, as a second resource would declare it."""

    english = "twilio phone number"
    key = "sid"

    sid: Annotated[str | None, Exact()] = None
    phone_number: str | None = None
    friendly_name: str | None = None
    sms_url: str | None = None


NUMBERS = Pushdown(
    "phone number",
    "phone numbers",
    {"phone number": Equal("PhoneNumber", accepts=r"\+[0-9]+"), "friendly name": Equal("FriendlyName")},
)


def planned(text: str, limit: int | None = None, pushdown: Pushdown = NUMBERS) -> Plan:
    bound = Binder(now=NOW, timezone=dt.UTC, resolve=None).filter(parse_filter(text), Number)
    return plan(bound, limit=limit, concept=Number, pushdown=pushdown)


@pytest.mark.parametrize(
    ("text", "queries", "residual"),
    [
        ('friendly name is "Main line"', [{"FriendlyName": "Main line"}], None),
        ('phone number is "+14155550100"', [{"PhoneNumber": "+14155550100"}], None),
        (
            'phone number is "+14155550100" and sms url contains "example"',
            [{"PhoneNumber": "+14155550100"}],
            'sms url contains "example"',
        ),
        (
            'phone number is one of "+14155550100" or "+14155550101"',
            [{"PhoneNumber": "+14155550100"}, {"PhoneNumber": "+14155550101"}],
            None,
        ),
        ('phone number is "SMSBOOK"', [{}], 'phone number is "SMSBOOK"'),
        ('friendly name contains "Main"', [{}], 'friendly name contains "Main"'),
        ('sid is "PN0123"', [{}], 'sid is "PN0123"'),  # no Fetch rule: kept here, never fetched
        ('friendly name is "a" and friendly name is "b"', [], None),
    ],
)
def test_a_second_table_plans_its_own_filters(
    text: str, queries: list[dict[str, str]], residual: str | None
) -> None:
    data = planned(text).to_json()
    assert [query["params"] for query in data["queries"]] == queries
    assert data["residual"] == residual


def test_a_second_table_explains_in_its_own_words() -> None:
    one = planned('friendly name is "Main line" and sms url is empty', limit=1).explain()
    assert "1. list the phone numbers with FriendlyName=Main line" in one
    assert "Each phone number is then kept here only if: sms url is empty" in one
    assert "The read stops at 1 phone number." in one
    assert "message" not in one
    several = planned('friendly name is one of "a" or "b"').explain()
    assert "Their answers are merged newest first, each phone number once." in several
    assert "list every phone number (no filter Twilio can apply)" in planned('sms url is "x"').explain()
    assert (
        "No request: no phone number can match this filter."
        in planned('friendly name is "a" and friendly name is empty').explain()
    )


def test_a_second_table_places_each_part() -> None:
    result = planned('phone number is "+14155550100" and friendly name contains "Main" and sms url is "x"')
    assert [(p.where, p.why) for p in result.placements] == [
        ("twilio", "sent to Twilio as PhoneNumber=+14155550100 (exact)"),
        ("here", "kept here: Twilio filters friendly names only by equality, not 'contains'"),
        ("here", "kept here: Twilio cannot filter on the sms url"),
    ]
    refused = planned('phone number is "SMSBOOK" and friendly name is "a"').placements[0]
    assert (refused.where, refused.why) == (
        "here",
        "kept here: Twilio matches PhoneNumber exactly, and this value is compared without regard to case",
    )
    split = planned('phone number is "+14155550100" or friendly name is "Main"').placements[0]
    assert split.why == "made the read several queries, one for each alternative, merged newest first"
    scan = planned('phone number is "+14155550100" or sms url is "x"').placements[0]
    assert scan.why.endswith("so every phone number is read")


def test_push_records_where_each_comparison_went() -> None:
    term = parse_filter(
        'recipient number is "+14155550100" and date sent is before 2024-03-01 and body is "x"'
    )
    decided = push(term.parts).decided  # type: ignore[union-attr]
    assert [(str(c), d.where) for c, d in decided.items()] == [
        ('recipient number is "+14155550100"', "twilio"),
        ('body is "x"', "here"),
        ("date sent is before 2024-03-01", "both"),
    ]


def test_accepts_is_a_regex_or_a_predicate() -> None:
    assert Equal("To", accepts=r"\+?[0-9]+").takes("+1415") and not Equal("To", accepts=r"\+?[0-9]+").takes(
        "ab"
    )
    assert Equal("To", accepts=str.isupper).takes("AB") and not Equal("To", accepts=str.isupper).takes("ab")
    assert Equal("To").takes("anything")


def test_a_table_is_data_a_variant_overrides_what_differs() -> None:
    assert MESSAGES.key == "sid" and set(MESSAGES.patterns) == {"sid"}
    assert isinstance(MESSAGES.rules["date sent"], Days) and isinstance(MESSAGES.rules["sid"], Fetch)
    no_days = MESSAGES.replace(rules={k: v for k, v in MESSAGES.rules.items() if k != "date sent"})
    assert no_days != MESSAGES and no_days.noun == "message"
    bound = Binder(now=NOW, timezone=dt.UTC, resolve=None).filter(
        parse_filter("date sent is 2024-03-01"), SmsMessage
    )
    assert plan(bound).to_json()["queries"] == [{"kind": "list", "params": {"DateSent": "2024-03-01"}}]
    result = plan(bound, pushdown=no_days)
    assert result.to_json()["queries"] == [{"kind": "list", "params": {}}]
    assert result.placements[0].why == "kept here: Twilio cannot filter on the date sent"


def test_a_loose_equality_narrows_the_list_and_is_checked_here() -> None:
    loose = NUMBERS.replace(rules={**NUMBERS.rules, "phone number": Equal("PhoneNumber", exact=False)})
    found = planned('phone number is "+4420794609" and friendly name is "Main"', pushdown=loose)
    assert found.to_json()["queries"] == [
        {"kind": "list", "params": {"PhoneNumber": "+4420794609", "FriendlyName": "Main"}}
    ]
    assert str(found.residual) == 'phone number is "+4420794609"'
    assert [(p.part, p.where) for p in found.placements] == [
        ('phone number is "+4420794609"', "both"),
        ('friendly name is "Main"', "twilio"),
    ]
