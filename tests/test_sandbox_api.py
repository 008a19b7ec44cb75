"""The sandbox's emulated API, in process: filters, paging, creates, errors, lifecycle, faults.

Every answer any test here gets is checked against Twilio's OpenAPI description
(or, for errors, Twilio's documented error shape) as it is given; the description
ships with the tests (tests/fixtures/twilio-oai).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import sandbox_helpers as h

from book.errors import OutcomeUnknownError, SandboxError
from book.retry import RetryPolicy
from book.sandbox import Faults, Sandbox, load, seed
from book.sandbox.segments import count


@pytest.fixture(scope="module")
def spec() -> Iterator[h.Spec]:
    checker = h.Spec()
    yield checker
    assert checker.checked > 0


@pytest.fixture
def sandbox(spec: h.Spec) -> h.Checked:
    made = h.make()
    made.spec = spec
    return made


def test_the_spec_ships_with_the_tests() -> None:
    assert h.SPEC_PATH.exists() and (h.SPEC_PATH.parent / "LICENSE").exists()


# ------------------------------------------------------------------ filters

DAY = [
    h.message(1, sent="Thu, 29 Feb 2024 23:59:59 +0000", to="+14155550101"),
    h.message(2, sent="Fri, 01 Mar 2024 00:00:00 +0000", to="+14155550101"),
    h.message(3, sent="Fri, 01 Mar 2024 12:00:00 +0000", to="+14155550102", sender="+12125550100"),
    h.message(4, sent="Fri, 01 Mar 2024 23:59:59 +0000", to="+14155550102"),
    h.message(5, sent="Sat, 02 Mar 2024 00:00:00 +0000", to="+14155550101", sender="+12125550100"),
    h.message(6, sent=None, created="Sat, 09 Mar 2024 10:00:00 +0000", status="scheduled"),
    h.message(7, sent="Sun, 03 Mar 2024 08:00:00 +0000", to="whatsapp:+14155550101"),
]


def _sids(body: dict[str, Any]) -> list[int]:
    return [int(message["sid"][2:], 16) for message in body["messages"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ([], [6, 7, 5, 4, 3, 2, 1]),  # newest first; no date sent: by date created
        ([("To", "+14155550101")], [5, 2, 1]),
        ([("To", "whatsapp:+14155550101")], [7]),
        ([("To", "+1 415 555 0101")], []),  # exact match, as Twilio
        ([("From", "+12125550100")], [5, 3]),
        ([("To", "+14155550101"), ("From", "+12125550100")], [5]),
        ([("DateSent", "2024-03-01")], [4, 3, 2]),
        ([("DateSent>", "2024-03-01")], [7, 5, 4, 3, 2]),
        ([("DateSent<", "2024-03-01")], [4, 3, 2, 1]),  # on or before that day
        ([("DateSent>", "2024-03-01"), ("DateSent<", "2024-03-01")], [4, 3, 2]),
        ([("DateSent>", "2024-03-02"), ("DateSent<", "2024-03-01")], []),
        ([("DateSent", "2024-03-01T15:00:00Z")], [4, 3, 2]),  # a date and time is read as its day
        ([("DateSent", "Fri, 01 Mar 2024 22:04:00 -0000")], [4, 3, 2]),
        ([("DateSent", "03/01/2024 12:05:25 MST")], [4, 3, 2]),
        # a date and time with an offset selects the GMT day of that instant, in every form
        ([("DateSent", "2024-03-01T20:30:00-05:00")], [5]),
        ([("DateSent", "03/01/2024 20:30:00 EST")], [5]),
        ([("DateSent", "Fri, 01 Mar 2024 20:30:00 -0500")], [5]),
        ([("DateSent", "2024-03-02T01:30:00+05:30")], [4, 3, 2]),
        ([("DateSent>", "2024-03-01T20:30:00-05:00")], [7, 5]),
        ([("DateSent<", "2024-03-02T03:00:00+04:00")], [4, 3, 2, 1]),
        ([("Status", "delivered"), ("Body", "x")], [6, 7, 5, 4, 3, 2, 1]),  # unknown filters are ignored
        ([("To", "+14155550101"), ("DateSent>", "2024-03-02")], [5]),
    ],
)
def test_list_filters(sandbox: Sandbox, query: list[tuple[str, str]], expected: list[int]) -> None:
    load(sandbox, DAY)
    status, body = h.call(sandbox, "GET", "Messages.json", query)
    assert status == 200
    assert _sids(body) == expected


def test_date_sent_before_can_be_read_exclusively(spec: h.Spec) -> None:
    exclusive = h.make(date_sent_before="exclusive")
    exclusive.spec = spec
    load(exclusive, DAY)
    _, body = h.call(exclusive, "GET", "Messages.json", [("DateSent<", "2024-03-01")])
    assert _sids(body) == [1]


# ------------------------------------------------------------------- paging


def test_an_empty_result(sandbox: Sandbox) -> None:
    _, body = h.call(sandbox, "GET", "Messages.json", [("To", "+19999999999")])
    assert body["messages"] == []
    assert (body["start"], body["end"], body["next_page_uri"], body["page"], body["page_size"]) == (
        0,
        0,
        None,
        0,
        50,
    )


def test_exactly_one_full_page(sandbox: Sandbox) -> None:
    load(sandbox, [h.message(n, sent=f"Fri, 01 Mar 2024 10:{n:02d}:00 +0000") for n in range(1, 6)])
    _, body = h.call(sandbox, "GET", "Messages.json", [("PageSize", "5")])
    assert len(body["messages"]) == 5 and (body["start"], body["end"]) == (0, 4)
    assert body["next_page_uri"] is None and body["previous_page_uri"] is None


def test_a_page_boundary_between_two_messages_sent_in_the_same_second(sandbox: Sandbox) -> None:
    same = "Fri, 01 Mar 2024 10:00:00 +0000"
    load(sandbox, [h.message(n, sent=same) for n in range(1, 8)])
    seen: list[int] = []
    query: list[tuple[str, str]] = [("PageSize", "3")]
    pages = 0
    while True:
        status, body = h.call(sandbox, "GET", "Messages.json", query)
        assert status == 200
        pages += 1
        seen += _sids(body)
        if body["next_page_uri"] is None:
            break
        query = parse_qsl(body["next_page_uri"].split("?", 1)[1])
    assert seen == [7, 6, 5, 4, 3, 2, 1] and pages == 3


def test_paging_fields_keep_the_filters_and_go_back_too(sandbox: Sandbox) -> None:
    load(sandbox, [h.message(n, sent=f"Fri, 01 Mar 2024 10:{n:02d}:00 +0000") for n in range(1, 6)])
    client = sandbox.client()
    first, second, third = list(
        client.list_pages({"To": "+14155550100", "DateSent>": "2024-03-01"}, page_size=2)
    )
    assert first.next_page_uri is not None and first.next_page_uri.startswith(
        f"/2010-04-01/Accounts/{sandbox.account.sid}/Messages.json?To=%2B14155550100&DateSent%3E=2024-03-01"
        f"&PageSize=2&Page=1&PageToken=PASM{4:032x}_"  # then where it stood, and when the pagination began
    )
    assert first.first_page_uri == second.first_page_uri and first.first_page_uri.endswith(
        "PageSize=2&Page=0"
    )
    assert (second.page, second.start, second.end, third.start, third.end) == (1, 2, 3, 4, 4)
    assert third.next_page_uri is None
    assert second.previous_page_uri is not None and "PageToken=PBSM" in second.previous_page_uri
    _, back = h.call(sandbox, "GET", "Messages.json", parse_qsl(second.previous_page_uri.split("?")[1]))
    assert [m["sid"] for m in back["messages"]] == [m.sid for m in first.messages]


def test_page_size_default_and_bounds(sandbox: Sandbox) -> None:
    seed(sandbox, 1200, 1)
    _, default = h.call(sandbox, "GET", "Messages.json")
    assert len(default["messages"]) == 50
    _, most = h.call(sandbox, "GET", "Messages.json", [("PageSize", "5000")])
    assert len(most["messages"]) == 1000 and most["page_size"] == 1000


def test_a_page_token_naming_a_deleted_message_still_pages(sandbox: Sandbox) -> None:
    load(sandbox, [h.message(n, sent=f"Fri, 01 Mar 2024 10:{n:02d}:00 +0000") for n in range(1, 6)])
    _, first = h.call(sandbox, "GET", "Messages.json", [("PageSize", "2")])
    last = first["messages"][-1]["sid"]
    assert h.call(sandbox, "DELETE", f"Messages/{last}.json")[0] == 204
    _, second = h.call(
        sandbox, "GET", "Messages.json", [("PageSize", "2"), ("Page", "1"), ("PageToken", "PA" + last)]
    )
    assert _sids(second) == [3, 2]


# ------------------------------------------------------------------- errors


def _create(sandbox: Sandbox, **fields: str) -> tuple[int, Any]:
    form = [(key, value) for key, value in fields.items() if key != "MediaUrl"]
    form += [("MediaUrl", url) for url in fields.get("MediaUrl", "").split() if url]
    return h.call(sandbox, "POST", "Messages.json", form=form)


OK = {"To": "+14155550100", "From": "+15005550006", "Body": "Hi"}

CREATE_ERRORS = [
    ({"From": "+15005550006", "Body": "Hi"}, 21604),
    ({"To": "+14155550100", "Body": "Hi"}, 21603),
    ({"To": "+14155550100", "From": "+15005550006"}, 21602),
    ({**OK, "Body": "x" * 1601}, 21617),
    ({**OK, "To": "+1asd"}, 21211),
    ({**OK, "To": "12"}, 21211),
    ({**OK, "To": "+15005550001"}, 21211),
    ({**OK, "To": "+15005550002"}, 21612),
    ({**OK, "To": "+15005550003"}, 21408),
    ({**OK, "To": "+15005550004"}, 21610),
    ({**OK, "To": "+15005550009"}, 21614),
    ({**OK, "From": "+15005550001"}, 21212),
    ({**OK, "From": "+15005550007"}, 21606),
    ({**OK, "From": "+15005550008"}, 21611),
    ({**OK, "From": "+14155559999"}, 21606),  # a number the account does not own
    ({**OK, "From": "not a number!"}, 21212),
    ({**OK, "From": "+15005550006", "To": "+15005550006"}, 21266),
    ({**OK, "MediaUrl": " ".join(f"https://x/{n}" for n in range(11))}, 21623),
    ({"To": "+14155550100", "MessagingServiceSid": "MG" + "0" * 32, "Body": "Hi"}, 21701),
    ({**OK, "Body": ""}, 21602),
    ({**OK, "StatusCallback": "not a url"}, 21609),
    ({**OK, "StatusCallback": "ftp://example.com/status"}, 21609),
    ({**OK, "StatusCallback": "https://bad_host.example.com/status"}, 21609),
    ({**OK, "StatusCallback": "https://example.com/" + "x" * 4000}, 21609),
    ({**OK, "ValidityPeriod": "0"}, 21624),
    ({**OK, "ValidityPeriod": "36001"}, 21624),
    ({**OK, "ValidityPeriod": "1.5"}, 21624),
    ({**OK, "ValidityPeriod": "\u00b2"}, 21624),
    ({**OK, "ValidityPeriod": "9" * 5000}, 21624),
]


@pytest.mark.parametrize(
    ("fields", "code"), CREATE_ERRORS, ids=[f"{c}-{i}" for i, (_, c) in enumerate(CREATE_ERRORS)]
)
def test_create_errors(sandbox: Sandbox, fields: dict[str, str], code: int) -> None:
    status, body = _create(sandbox, **fields)
    assert (status, body["code"]) == (400, code)
    assert sandbox.count() == 0


def test_callbacks_and_validity_periods_twilio_takes_are_taken(sandbox: Sandbox) -> None:
    for fields in (
        {"StatusCallback": "https://example.com/status?x=1"},
        {"ValidityPeriod": "1"},
        {"ValidityPeriod": "36000"},
    ):
        status, body = _create(sandbox, **{**OK, **fields})
        assert status == 201, body


def test_a_body_of_1600_characters_is_accepted(sandbox: Sandbox) -> None:
    status, body = _create(sandbox, **{**OK, "Body": "x" * 1600})
    assert status == 201 and body["num_segments"] == "11"


def test_opted_out_recipients_are_refused_until_they_start_again(sandbox: Sandbox) -> None:
    sandbox.receive(sender="+14155550123", body="STOP")
    assert _create(sandbox, **{**OK, "To": "+14155550123"})[1]["code"] == 21610
    sandbox.receive(sender="+14155550123", body="start")
    assert _create(sandbox, **{**OK, "To": "+14155550123"})[0] == 201


@pytest.mark.parametrize(
    ("method", "tail", "query", "form", "status", "code"),
    [
        ("GET", "Messages.json", [("Page", "2")], [], 400, 20001),
        ("GET", "Messages.json", [("PageSize", "many")], [], 400, 20001),
        ("GET", "Messages.json", [("PageSize", "0")], [], 400, 20001),
        ("GET", "Messages.json", [("DateSent", "yesterday")], [], 400, 20001),
        ("GET", "Messages.json", [("PageToken", "PAnot-a-sid")], [], 400, 21481),
        ("GET", f"Messages/SM{'0' * 32}.json", [], [], 404, 20404),
        ("POST", f"Messages/SM{'0' * 32}.json", [], [("Body", "")], 404, 20404),
        ("DELETE", f"Messages/SM{'0' * 32}.json", [], [], 404, 20404),
        ("GET", "Calls.json", [], [], 404, 20404),
        ("PUT", "Messages.json", [], [], 405, 20004),
    ],
)
def test_request_errors(
    sandbox: Sandbox, method: str, tail: str, query: Any, form: Any, status: int, code: int
) -> None:
    got, body = h.call(sandbox, method, tail, query, form)
    assert (got, body["code"]) == (status, code)


def test_a_message_still_under_way_cannot_be_deleted(sandbox: Sandbox) -> None:
    status, created = _create(sandbox, **OK)
    assert (status, created["status"]) == (201, "queued")
    got, body = h.call(sandbox, "DELETE", f"Messages/{created['sid']}.json")
    assert (got, body["code"], body["message"]) == (
        409,
        20009,
        "Cannot delete this resource before it is complete",
    )
    assert h.call(sandbox, "GET", f"Messages/{created['sid']}.json")[0] == 200  # still there


def test_a_fixed_schedule_without_send_at_is_35111(sandbox: Sandbox) -> None:
    service = sandbox.account.services[0]
    form = {**OK, "MessagingServiceSid": service, "ScheduleType": "fixed"}
    form.pop("From", None)
    assert _create(sandbox, **form)[1]["code"] == 35111


def test_every_answer_has_a_request_id() -> None:
    faulty = h.make(faults=Faults(seed=1, too_many=0.5, server_errors=0.3))
    for authorization in (None, h.auth(faulty)):
        for _ in range(8):
            reply = faulty.handle(
                "GET", f"/2010-04-01/Accounts/{faulty.account.sid}/Messages.json", [], [], authorization
            )
            ids = [value for name, value in reply.headers if name == "Twilio-Request-Id"]
            assert len(ids) == 1 and re.fullmatch(r"RQ[0-9a-f]{32}", ids[0]), reply.status


def test_authentication(sandbox: Sandbox) -> None:
    assert h.call(sandbox, "GET", "Messages.json", authorization=None)[0] == 401
    status, body = h.call(sandbox, "GET", "Messages.json", authorization=h.auth(sandbox, password="wrong"))
    assert (status, body["code"], body["message"]) == (401, 20003, "Authenticate")
    key, secret = sandbox.account.keys[0]
    assert h.call(sandbox, "GET", "Messages.json", authorization=h.auth(sandbox, key, secret))[0] == 200
    assert h.call(sandbox, "GET", "Messages.json", authorization="Basic !!!")[0] == 401
    other = h.auth(sandbox)
    reply = sandbox.handle("GET", f"/2010-04-01/Accounts/AC{'f' * 32}/Messages.json", [], [], other)
    assert reply.status == 401


# ------------------------------------------------------------------ creates


def test_a_create_and_its_lifecycle(sandbox: h.Checked) -> None:
    status, created = _create(sandbox, **OK)
    assert status == 201
    assert (created["status"], created["date_sent"], created["price"], created["num_segments"]) == (
        "queued",
        None,
        None,
        "1",
    )
    assert created["direction"] == "outbound-api" and created["sid"].startswith("SM")
    sid = created["sid"]
    clock = sandbox.clock
    clock.advance(dt.timedelta(seconds=1))  # type: ignore[attr-defined]
    _, sent = h.call(sandbox, "GET", f"Messages/{sid}.json")
    assert (sent["status"], sent["date_sent"], sent["price"]) == (
        "sent",
        "Sun, 10 Mar 2024 12:00:01 +0000",
        "-0.00790",
    )
    clock.advance(dt.timedelta(seconds=2))  # type: ignore[attr-defined]
    _, delivered = h.call(sandbox, "GET", f"Messages/{sid}.json")
    assert (
        delivered["status"] == "delivered" and delivered["date_updated"] == "Sun, 10 Mar 2024 12:00:03 +0000"
    )


@pytest.mark.parametrize(
    ("to", "status", "code"), [("+15005550011", "undelivered", 30003), ("+15005550012", "failed", 30006)]
)
def test_unreachable_numbers_fail(sandbox: h.Checked, to: str, code: int, status: str) -> None:
    _, created = _create(sandbox, **{**OK, "To": to})
    sandbox.clock.advance(dt.timedelta(seconds=10))  # type: ignore[attr-defined]
    _, later = h.call(sandbox, "GET", f"Messages/{created['sid']}.json")
    assert (later["status"], later["error_code"]) == (status, code)


def test_messaging_service_sends(sandbox: h.Checked) -> None:
    service = sandbox.account.services[0]
    _, created = _create(sandbox, To="+14155550100", MessagingServiceSid=service, Body="Hi")
    assert (
        created["status"],
        created["from"],
        created["num_segments"],
        created["messaging_service_sid"],
    ) == ("accepted", None, "0", service)
    sandbox.clock.advance(dt.timedelta(seconds=5))  # type: ignore[attr-defined]
    _, later = h.call(sandbox, "GET", f"Messages/{created['sid']}.json")
    assert later["status"] == "delivered" and later["from"] == "+15005550006" and later["num_segments"] == "1"


def test_scheduled_sends_and_cancelling(sandbox: h.Checked) -> None:
    service = sandbox.account.services[0]
    at = (h.START + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    fields = {
        "To": "+14155550100",
        "MessagingServiceSid": service,
        "Body": "Later",
        "ScheduleType": "fixed",
        "SendAt": at,
    }
    _, first = _create(sandbox, **fields)
    _, second = _create(sandbox, **fields)
    assert first["status"] == "scheduled" and first["date_sent"] is None
    status, canceled = h.call(sandbox, "POST", f"Messages/{first['sid']}.json", form=[("Status", "canceled")])
    assert (status, canceled["status"]) == (200, "canceled")
    sandbox.clock.advance(dt.timedelta(hours=1, seconds=5))  # type: ignore[attr-defined]
    _, sent = h.call(sandbox, "GET", f"Messages/{second['sid']}.json")
    assert sent["status"] == "delivered" and sent["date_sent"] == "Sun, 10 Mar 2024 13:00:01 +0000"
    _, still = h.call(sandbox, "GET", f"Messages/{first['sid']}.json")
    assert still["status"] == "canceled"
    status, refused = h.call(sandbox, "POST", f"Messages/{second['sid']}.json", form=[("Status", "canceled")])
    assert (status, refused["code"]) == (400, 30409)


@pytest.mark.parametrize("minutes", [5, 60 * 24 * 36])
def test_send_times_outside_the_window_are_refused(sandbox: Sandbox, minutes: int) -> None:
    at = (h.START + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    service = sandbox.account.services[0]
    status, body = _create(
        sandbox, To="+14155550100", MessagingServiceSid=service, Body="x", ScheduleType="fixed", SendAt=at
    )
    assert (status, body["code"]) == (400, 35114)


def test_scheduling_without_a_service_is_dropped_as_twilio_does(sandbox: Sandbox) -> None:
    at = (h.START + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    _, body = _create(sandbox, **OK, ScheduleType="fixed", SendAt=at)
    assert body["status"] == "queued"


def test_media_messages(sandbox: Sandbox) -> None:
    _, body = _create(
        sandbox, To="+14155550100", From="+15005550006", MediaUrl="https://x/a.png https://x/b.png"
    )
    assert body["sid"].startswith("MM") and body["num_media"] == "2" and body["body"] == ""


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("", "GSM-7", 1),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("{" * 80, "GSM-7", 1),  # extension characters take two
        ("{" * 81, "GSM-7", 2),
        ("a" * 152 + "€" * 5, "GSM-7", 2),  # an escape pair is not split: 152 + 2 > 153
        ("é" * 160, "GSM-7", 1),
        ("ë" * 70, "UCS-2", 1),
        ("ë" * 71, "UCS-2", 2),
        ("ë" * 134, "UCS-2", 2),
        ("ë" * 135, "UCS-2", 3),
        ("👋" * 35, "UCS-2", 1),  # surrogate pairs count two
        ("a" * 66 + "👋" + "a" * 66, "UCS-2", 3),  # 134 units, but the pair cannot straddle two segments
    ],
)
def test_segments_are_counted_as_carriers_count_them(text: str, encoding: str, segments: int) -> None:
    counted = count(text)
    assert (counted.encoding, counted.segments) == (encoding, segments)


def test_smart_encoding_keeps_a_body_in_gsm(sandbox: Sandbox) -> None:
    text = "“Hello” – it’s " + "x" * 140
    assert _create(sandbox, **{**OK, "Body": text})[1]["num_segments"] == "3"
    _, smart = _create(sandbox, **{**OK, "Body": text, "SmartEncoded": "true"})
    assert smart["num_segments"] == "1" and smart["body"].startswith('"Hello" - it\'s')


# -------------------------------------------------- fetch, update, delete


def test_fetch_redact_delete(sandbox: h.Checked) -> None:
    _, created = _create(sandbox, **OK)
    sid = created["sid"]
    sandbox.clock.advance(dt.timedelta(minutes=1))  # type: ignore[attr-defined]
    status, redacted = h.call(sandbox, "POST", f"Messages/{sid}.json", form=[("Body", "")])
    assert (status, redacted["body"], redacted["date_updated"]) == (
        200,
        "",
        "Sun, 10 Mar 2024 12:01:00 +0000",
    )
    assert h.call(sandbox, "POST", f"Messages/{sid}.json", form=[("Body", "new text")])[1]["code"] == 20001
    assert h.call(sandbox, "DELETE", f"Messages/{sid}.json") == (204, None)
    assert h.call(sandbox, "GET", f"Messages/{sid}.json")[1]["code"] == 20404


def test_inbound_messages_can_be_injected(sandbox: Sandbox) -> None:
    received = sandbox.receive(sender="+14155550123", body="Where is my refund?")
    assert (received["direction"], received["status"], received["to"]) == (
        "inbound",
        "received",
        "+15005550006",
    )
    _, body = h.call(sandbox, "GET", "Messages.json", [("From", "+14155550123")])
    assert [m["sid"] for m in body["messages"]] == [received["sid"]]
    second = sandbox.senders()[1]
    written = sandbox.receive(sender="+1 (415) 555-0124", body="Hi", to=second[:2] + " " + second[2:])
    assert (written["from"], written["to"]) == ("+14155550124", second)


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"sender": "+1 999"}, "the sender '+1 999'"),
        ({"sender": "hello"}, "the sender 'hello'"),
        ({"sender": "+14155550123", "to": "+19995550000"}, "is not one of this account's numbers"),
        ({"sender": "+14155550123", "to": "+1 999"}, "the recipient '+1 999'"),
        # Twilio's alphanumeric sender ids are one-way: a customer cannot reply to one.
        ({"sender": "+14155550123", "to": "SMSBOOK"}, "SMSBOOK is an alphanumeric sender id"),
    ],
)
def test_inbound_messages_come_from_a_phone_to_one_of_the_account_numbers(
    sandbox: Sandbox, options: dict[str, str], words: str
) -> None:
    with pytest.raises(SandboxError, match=re.escape(words)):
        sandbox.receive(body="Hi", **options)
    assert sandbox.count() == 0


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"num_segments": "x"}, "num_segments: 'x' is not a whole number"),
        ({"num_media": 2}, "num_media"),
        ({"price": "abc"}, "price: 'abc' is not a number"),
        ({"error_code": "x"}, "error_code"),
    ],
)
def test_loaded_messages_must_be_ones_twilio_would_send(
    sandbox: Sandbox, fields: dict[str, Any], words: str
) -> None:
    with pytest.raises(SandboxError, match=re.escape(words)):
        load(sandbox, [{"sid": "SM" + "a" * 32, **fields}])
    assert sandbox.count() == 0


def test_the_account_repr_keeps_its_secrets(sandbox: Sandbox) -> None:
    account = sandbox.account
    assert account.sid in repr(account)
    assert account.token not in repr(account)
    assert all(secret not in repr(account) for _, secret in account.keys)


def test_loaded_messages_are_kept_exactly_as_given(sandbox: Sandbox) -> None:
    odd = {
        **h.message(9, sent="Fri, 01 Mar 2024 10:00:00 +0000"),
        "price": "-0.0075",
        "future_field": {"x": [1, 2]},
    }
    assert load(sandbox, json.dumps({"messages": [odd], "page": 0})) == 1
    assert h.call(sandbox, "GET", f"Messages/{odd['sid']}.json")[1] == odd
    with pytest.raises(Exception, match="message 1 has no sid"):
        load(sandbox, [{"body": "no sid"}])
    with pytest.raises(Exception, match="is not an RFC 2822 date"):
        load(sandbox, [{**odd, "date_sent": "yesterday"}])


# ------------------------------------------------------------------- faults


def test_faults_are_seeded_and_deterministic(spec: h.Spec) -> None:
    def statuses(seed_value: int) -> list[int]:
        faulty = h.make(faults=Faults(seed=seed_value, too_many=0.2, server_errors=0.1))
        faulty.spec = spec
        return [h.call(faulty, "GET", "Messages.json")[0] for _ in range(40)]

    first = statuses(7)
    assert first == statuses(7) != statuses(8)
    assert first.count(429) >= 4 and first.count(503) >= 1 and first.count(200) >= 20


def test_429_with_and_without_retry_after_and_latency() -> None:
    with_header = h.make(faults=Faults(too_many=1.0, retry_after=2, latency=0.05))
    reply = with_header.handle(
        "GET", f"/2010-04-01/Accounts/{with_header.account.sid}/Messages.json", [], [], h.auth(with_header)
    )
    assert reply.status == 429 and ("Retry-After", "2") in reply.headers and reply.delay == 0.05
    without = h.make(faults=Faults(too_many=1.0))
    reply = without.handle(
        "GET", f"/2010-04-01/Accounts/{without.account.sid}/Messages.json", [], [], h.auth(without)
    )
    assert reply.status == 429 and not any(name == "Retry-After" for name, _ in reply.headers)


def test_a_lost_answer_is_lost_after_the_message_was_committed() -> None:
    lossy = h.make(faults=Faults(lost=1.0, methods=("POST",)))
    client = lossy.client(retry=RetryPolicy(attempts=3))
    with pytest.raises(OutcomeUnknownError):
        client.create_message(to="+14155550100", from_="+15005550006", body="once")
    assert lossy.count() == 1  # committed, answered to no one, and not sent again


def test_latency_is_slept_by_the_transport() -> None:
    import time

    slow = h.make(faults=Faults(latency=0.05))
    client = slow.client()
    started = time.perf_counter()
    client.fetch_message(client.create_message(to="+14155550100", from_="+15005550006", body="x").sid or "")
    assert time.perf_counter() - started >= 0.1


def test_the_async_transport_too() -> None:
    import asyncio

    sandbox = h.make()

    async def main() -> list[str]:
        async with sandbox.async_client() as client:
            sent = await asyncio.gather(
                *(
                    client.create_message(to="+14155550100", from_="+15005550006", body=str(n))
                    for n in range(20)
                )
            )
            return [message.sid or "" for message in sent]

    assert len(set(asyncio.run(main()))) == 20 == sandbox.count()


def test_unknown_hosts_and_transport_errors_stay_httpx_free() -> None:
    sandbox = h.make()
    transport = sandbox.transport()
    response = transport.handle_request(
        httpx.Request("GET", f"http://sandbox/2010-04-01/Accounts/{sandbox.account.sid}/Messages.json")
    )
    assert response.status_code == 401


# -------------------------------------------------------------------- files


def test_a_file_is_one_account_across_runs(tmp_path: Any) -> None:
    path = str(tmp_path / "sandbox.sqlite3")
    first = Sandbox(path)
    first.client().create_message(to="+14155550100", from_="+15005550006", body="kept")
    second = Sandbox(path)
    assert second.account == first.account
    assert [m.body for m in second.client().list_messages()] == ["kept"]


def test_a_damaged_file_is_a_sandbox_error(tmp_path: Any) -> None:
    from book.errors import SandboxError

    path = tmp_path / "broken.sqlite3"
    path.write_bytes(b"this is not a database, just some bytes" * 100)
    with pytest.raises(SandboxError, match="cannot be used"):
        Sandbox(str(path))
