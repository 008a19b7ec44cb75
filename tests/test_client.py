"""The Twilio client, through httpx.MockTransport handlers (no network).

Every operation, paging, each error code of docs/twilio-api.md, retries by
safety class, and no leaked secret: every test here uses the recognisable fake
token below, and the last test looks for it in every log line, error text,
traceback and repr the others produced.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
import traceback
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from book.api import CreateMessage
from book.client import AsyncClient, Client
from book.connection import Connection
from book.credentials import Credentials, Secret
from book.errors import (
    ApiError,
    ConfigurationError,
    InvalidRequestError,
    NetworkError,
    OutcomeUnknownError,
    RequestTimeoutError,
    UnexpectedResponseError,
)
from book.retry import RetryPolicy

ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "LEAKCANARY-4f2a9c71e8b3d605-TOKEN"
BASIC = base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
SID = "SM" + "ab" * 16
COLLECTION = f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"

SEEN: list[str] = []  # everything a leak could hide in


class Recorder(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        SEEN.append(self.format(record))


@pytest.fixture(autouse=True)
def _record_logs() -> Iterator[None]:
    handler = Recorder(logging.DEBUG)
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield
    root.removeHandler(handler)
    root.setLevel(old)


def _seen(error: BaseException) -> BaseException:
    SEEN.extend([str(error), repr(error), "".join(traceback.format_exception(error))])
    if hasattr(error, "to_dict"):
        SEEN.append(json.dumps(error.to_dict()))
    return error


def message(sid: str = SID, **fields: Any) -> dict[str, Any]:
    body = {
        "sid": sid,
        "account_sid": ACCOUNT,
        "from": "+15005550006",
        "to": "+14155550100",
        "body": "Hello",
        "status": "queued",
        "direction": "outbound-api",
        "num_segments": "1",
        "num_media": "0",
        "price": None,
        "price_unit": "USD",
        "error_code": None,
        "error_message": None,
        "date_created": "Fri, 01 Mar 2024 15:00:00 +0000",
        "date_updated": "Fri, 01 Mar 2024 15:00:00 +0000",
        "date_sent": None,
        "messaging_service_sid": None,
        "api_version": "2010-04-01",
        "uri": f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid}.json",
        "subresource_uris": {"media": f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid}/Media.json"},
    }
    body.update(fields)
    return body


def credentials() -> Credentials:
    return Credentials(account_sid=ACCOUNT, auth_token=TOKEN)


def client(handler: Callable[[httpx.Request], httpx.Response], **options: Any) -> Client:
    options.setdefault("sleep", lambda seconds: None)
    made = Client(credentials=credentials(), transport=httpx.MockTransport(handler), **options)
    SEEN.append(repr(made))
    return made


def form(request: httpx.Request) -> list[tuple[str, str]]:
    return parse_qsl(request.content.decode(), keep_blank_values=True)


# -------------------------------------------------------------- operations


def test_create_is_form_encoded_with_basic_auth() -> None:
    seen: list[httpx.Request] = []

    def twilio(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json=message(body="Hi"))

    with client(twilio) as twilio_client:
        created = twilio_client.create_message(
            to="+14155550100",
            from_="+15005550006",
            body="Hi",
            media_urls=["https://x/a.png", "https://x/b.png"],
        )
    (request,) = seen
    assert (request.method, request.url.path) == ("POST", COLLECTION)
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.headers["authorization"] == f"Basic {BASIC}"
    assert form(request) == [
        ("To", "+14155550100"),
        ("From", "+15005550006"),
        ("Body", "Hi"),
        ("MediaUrl", "https://x/a.png"),
        ("MediaUrl", "https://x/b.png"),
    ]
    assert created.sid == SID and created.from_ == "+15005550006" and created.body == "Hi"


def test_every_documented_create_field() -> None:
    import datetime as dt
    from decimal import Decimal

    request = CreateMessage(
        to="+14155550100",
        messaging_service_sid="MG" + "1" * 32,
        body="Hi",
        content_sid="HX" + "2" * 32,
        content_variables='{"1": "x"}',
        status_callback="https://example.com/status",
        application_sid="AP" + "3" * 32,
        max_price=Decimal("0.50"),
        provide_feedback=True,
        attempt=2,
        validity_period=600,
        force_delivery=False,
        content_retention="retain",
        address_retention="obfuscate",
        smart_encoded=True,
        persistent_action=("mailto:a@example.com",),
        traffic_type="free",
        shorten_urls=True,
        schedule_type="fixed",
        send_at=dt.datetime(2024, 3, 1, 16, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        send_as_mms=False,
        risk_check="enable",
        fallback_from="+15005550006",
    ).form()
    assert dict(request) == {
        "To": "+14155550100",
        "MessagingServiceSid": "MG" + "1" * 32,
        "Body": "Hi",
        "ContentSid": "HX" + "2" * 32,
        "ContentVariables": '{"1": "x"}',
        "StatusCallback": "https://example.com/status",
        "ApplicationSid": "AP" + "3" * 32,
        "MaxPrice": "0.50",
        "ProvideFeedback": "true",
        "Attempt": "2",
        "ValidityPeriod": "600",
        "ForceDelivery": "false",
        "ContentRetention": "retain",
        "AddressRetention": "obfuscate",
        "SmartEncoded": "true",
        "PersistentAction": "mailto:a@example.com",
        "TrafficType": "free",
        "ShortenUrls": "true",
        "ScheduleType": "fixed",
        "SendAt": "2024-03-01T15:00:00Z",  # converted to UTC
        "SendAsMms": "false",
        "RiskCheck": "enable",
        "FallbackFrom": "+15005550006",
    }


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"to": "", "from_": "+1", "body": "x"}, "needs a recipient"),
        ({"to": "+1", "body": "x"}, "needs a sender"),
        ({"to": "+1", "from_": "+1"}, "needs a body, a media url or a content sid"),
        ({"to": "+1", "from_": "+1", "body": ""}, "an empty body is no body"),
        (
            {"to": "+1", "from_": "+1", "media_urls": tuple(f"https://x/{n}" for n in range(11))},
            "at most 10 media urls",
        ),
        (
            {"to": "+1", "from_": "+1", "body": "x", "messaging_service_sid": "MGxyz"},
            "Messaging Service SID is MG",
        ),
    ],
)
def test_creates_twilio_would_refuse_are_refused_before_sending(fields: dict[str, Any], words: str) -> None:
    def twilio(request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing is sent")

    with pytest.raises(InvalidRequestError, match=words) as caught:
        client(twilio).create_message(**fields)
    _seen(caught.value)


def test_scheduled_create_needs_a_messaging_service() -> None:
    import datetime as dt

    with pytest.raises(InvalidRequestError, match="ScheduleType fixed and a Messaging Service"):
        CreateMessage(
            to="+1",
            from_="+1",
            body="x",
            send_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
            schedule_type="fixed",
        ).check()


def test_fetch_redact_cancel_delete() -> None:
    seen: list[tuple[str, str, list[tuple[str, str]]]] = []

    def twilio(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path, form(request)))
        if request.method == "DELETE":
            return httpx.Response(204)
        changes = dict(form(request))
        if changes.get("Status") == "canceled":
            return httpx.Response(200, json=message(status="canceled"))
        return httpx.Response(200, json=message(body=changes.get("Body", "Hello")))

    path = f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{SID}.json"
    with client(twilio) as twilio_client:
        assert twilio_client.fetch_message(SID).body == "Hello"
        assert twilio_client.redact_message(SID).body == ""
        assert twilio_client.cancel_message(SID).status == "canceled"
        assert twilio_client.delete_message(SID) is None
    assert seen == [
        ("GET", path, []),
        ("POST", path, [("Body", "")]),
        ("POST", path, [("Status", "canceled")]),
        ("DELETE", path, []),
    ]


def test_a_malformed_sid_is_refused_before_sending() -> None:
    with pytest.raises(InvalidRequestError, match="is not a message sid"):
        client(lambda request: httpx.Response(500)).fetch_message("../Calls/CA1")


# ------------------------------------------------------------------ paging


def _pages(total: int, size: int) -> Callable[[httpx.Request], httpx.Response]:
    """A handler serving ``total`` messages, newest first, with PageToken paging."""
    sids = [f"SM{n:032x}" for n in range(total, 0, -1)]

    def twilio(request: httpx.Request) -> httpx.Response:
        query = dict(parse_qsl(request.url.query.decode()))
        size_asked = int(query["PageSize"])
        start = 0
        if "PageToken" in query:
            start = sids.index(query["PageToken"][2:]) + 1
        chunk = sids[start : start + size_asked]
        filters = [
            (key, value)
            for key, value in parse_qsl(request.url.query.decode())
            if key not in ("Page", "PageToken")
        ]
        next_uri = None
        if start + size_asked < len(sids):
            next_query = httpx.QueryParams(
                [*filters, ("Page", str(start // size_asked + 1)), ("PageToken", "PA" + chunk[-1])]
            )
            next_uri = f"{COLLECTION}?{next_query}"
        return httpx.Response(
            200,
            json={
                "messages": [message(sid) for sid in chunk],
                "page": start // size_asked,
                "page_size": size_asked,
                "start": start,
                "end": start + len(chunk) - 1 if chunk else 0,
                "uri": request.url.raw_path.decode(),
                "first_page_uri": COLLECTION,
                "next_page_uri": next_uri,
                "previous_page_uri": None,
            },
        )

    return twilio


def test_paging_follows_next_page_uri_verbatim_one_page_at_a_time() -> None:
    requests: list[httpx.Request] = []
    serve = _pages(total=25, size=10)

    def twilio(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return serve(request)

    with client(twilio) as twilio_client:
        stream = twilio_client.list_messages({"To": "+14155550100", "DateSent>": "2024-03-01"}, page_size=10)
        first = [next(stream) for _ in range(10)]
        assert len(requests) == 1  # the second page is not fetched before it is needed
        rest = list(stream)
    assert len(requests) == 3
    assert [m.sid for m in first + rest] == [f"SM{n:032x}" for n in range(25, 0, -1)]
    assert (
        requests[0].url.raw_path.decode()
        == f"{COLLECTION}?To=%2B14155550100&DateSent%3E=2024-03-01&PageSize=10"
    )
    second = requests[1].url.raw_path.decode()
    assert second.endswith(f"&Page=1&PageToken=PASM{16:032x}")
    assert "DateSent%3E=2024-03-01" in second and "PageSize=10" in second


def test_pages_and_their_fields() -> None:
    with client(_pages(total=3, size=2)) as twilio_client:
        pages = list(twilio_client.list_pages(page_size=2))
    assert [len(page.messages) for page in pages] == [2, 1]
    assert (pages[0].start, pages[0].end, pages[1].start, pages[1].end) == (0, 1, 2, 2)
    assert pages[1].next_page_uri is None


@pytest.mark.parametrize(
    ("filters", "words"),
    [
        ({"Status": "sent"}, "cannot filter messages on Status"),
        ({"to": "+1"}, "cannot filter messages on to"),
    ],
)
def test_unknown_filters_are_refused_because_twilio_would_ignore_them(
    filters: dict[str, str], words: str
) -> None:
    with pytest.raises(InvalidRequestError, match=words):
        list(client(_pages(1, 1)).list_messages(filters))


def test_page_size_is_bounded() -> None:
    with pytest.raises(InvalidRequestError, match="1 to 1000"):
        list(client(_pages(1, 1)).list_messages(page_size=1001))


def test_a_next_page_on_another_host_is_refused() -> None:
    def twilio(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"messages": [], "next_page_uri": "https://evil.example/steal"})

    with pytest.raises(UnexpectedResponseError, match="not on this host"):
        list(client(twilio).list_messages())


# ------------------------------------------------------------------ errors

ERRORS = [
    (20001, 400, "Invalid parameter"),
    (20003, 401, "Authenticate"),
    (20404, 404, "The requested resource was not found"),
    (20429, 429, "Too Many Requests"),
    (21211, 400, "The 'To' number +1asd is not a valid phone number."),
    (21212, 400, "The 'From' number is not a valid phone number"),
    (21408, 400, "Permission to send an SMS has not been enabled for the region"),
    (21602, 400, "Message body is required."),
    (21604, 400, "A 'To' phone number is required."),
    (21606, 400, "The From phone number is not a valid, SMS-capable inbound phone number"),
    (21610, 400, "Attempt to send to unsubscribed recipient"),
    (21611, 400, "This 'From' number has exceeded the maximum number of queued messages"),
    (21612, 400, "The 'To' phone number is not currently reachable"),
    (21614, 400, "'To' number is not a valid mobile number"),
]


@pytest.mark.parametrize(("code", "status", "text"), ERRORS, ids=[str(code) for code, _, _ in ERRORS])
def test_each_documented_error_code(code: int, status: int, text: str) -> None:
    more_info = f"https://www.twilio.com/docs/errors/{code}"

    def twilio(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            status, json={"code": code, "message": text, "more_info": more_info, "status": status}
        )

    with pytest.raises(ApiError) as caught:
        client(twilio, retry=RetryPolicy(attempts=1)).create_message(
            to="+14155550100", from_="+15005550006", body="x"
        )
    error = _seen(caught.value)
    assert (error.status, error.code, error.twilio_message, error.more_info) == (
        status,
        code,
        text,
        more_info,
    )
    assert (error.method, error.path) == ("POST", COLLECTION)
    assert str(error).startswith(
        f"Twilio answered {status} ({code}): {text} [POST {COLLECTION}]; see {more_info}"
    )
    assert error.hint
    assert error.to_dict()["code"] == code


def test_a_non_json_error_body() -> None:
    def twilio(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>Bad gateway</html>", headers={"content-type": "text/html"})

    with pytest.raises(UnexpectedResponseError, match="answered 502 with text/html, not JSON") as caught:
        client(twilio, retry=RetryPolicy(attempts=2)).fetch_message(SID)
    assert _seen(caught.value).attempts == 2


def test_network_errors_and_timeouts() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(NetworkError, match="the connection could not be made") as refused_error:
        client(refused, retry=RetryPolicy(attempts=3)).fetch_message(SID)
    assert _seen(refused_error.value).attempts == 3
    with pytest.raises(RequestTimeoutError, match="no answer came in time") as timeout_error:
        client(slow, retry=RetryPolicy(attempts=2)).fetch_message(SID)
    assert _seen(timeout_error.value).attempts == 2


# ----------------------------------------------------------------- retries


class Twilio:
    """A stateful fake: counts created messages, and fails as told first."""

    def __init__(self, failures: list[str]) -> None:
        self.failures = list(failures)
        self.created = 0
        self.requests = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        failure = self.failures.pop(0) if self.failures else None
        if failure == "429":
            return httpx.Response(429, json={"code": 20429, "message": "Too Many Requests", "status": 429})
        if failure == "429 retry-after":
            return httpx.Response(
                429, headers={"Retry-After": "3"}, json={"code": 20429, "message": "Slow down"}
            )
        if failure == "503":
            return httpx.Response(503, json={"code": 20500, "message": "Service Unavailable", "status": 503})
        if failure == "refused":
            raise httpx.ConnectError("refused", request=request)
        if request.method == "POST":
            self.created += 1
            if failure == "lost":
                raise httpx.ReadError("connection reset after the message was created", request=request)
            return httpx.Response(201, json=message())
        if request.url.path.endswith("/Messages.json"):
            return _pages(total=3, size=50)(request)
        return httpx.Response(200, json=message())


def test_create_meeting_429_three_times_then_succeeding_creates_one_message() -> None:
    waits: list[float] = []
    twilio = Twilio(["429", "429", "429"])
    created = client(twilio, sleep=waits.append, retry=RetryPolicy(attempts=4)).create_message(
        to="+14155550100", from_="+15005550006", body="x"
    )
    assert created.sid == SID
    assert twilio.created == 1 and twilio.requests == 4
    assert len(waits) == 3


def test_retry_after_is_honoured() -> None:
    waits: list[float] = []
    client(Twilio(["429 retry-after"]), sleep=waits.append).create_message(to="+1", from_="+1", body="x")
    assert waits == [3.0]


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("3", 3.0), (" 7 ", 7.0), ("\u00b2", None), ("-1", None), ("9" * 5000, None), ("soon", None)],
)
def test_a_retry_after_that_is_not_a_count_of_seconds_or_a_date_is_ignored(
    header: str, seconds: float | None
) -> None:
    from book.api import Response
    from book.retry import _retry_after

    assert _retry_after(Response(429, {"retry-after": header}, b"")) == seconds


def test_a_create_whose_answer_is_lost_is_not_sent_again() -> None:
    twilio = Twilio(["lost"])
    with pytest.raises(OutcomeUnknownError) as caught:
        client(twilio).create_message(to="+14155550100", from_="+15005550006", body="once")
    error = _seen(caught.value)
    assert twilio.created == 1 and twilio.requests == 1
    assert error.sent == (("To", "+14155550100"), ("From", "+15005550006"), ("Body", "once"))
    assert error.attempts == 1
    assert "may or may not have been created" in str(error)


def test_a_create_meeting_a_5xx_is_not_sent_again() -> None:
    twilio = Twilio(["503"])
    with pytest.raises(OutcomeUnknownError, match="answered 503"):
        client(twilio).create_message(to="+1", from_="+1", body="x")
    assert twilio.requests == 1


def test_a_create_is_retried_when_it_never_left() -> None:
    twilio = Twilio(["refused", "refused"])
    assert client(twilio).create_message(to="+1", from_="+1", body="x").sid == SID
    assert twilio.created == 1 and twilio.requests == 3


def test_a_get_meeting_503_then_succeeding_returns_the_right_page() -> None:
    twilio = Twilio(["503"])
    messages = list(client(twilio).list_messages())
    assert [m.sid for m in messages] == [f"SM{n:032x}" for n in (3, 2, 1)]
    assert twilio.requests == 2


def test_attempts_are_bounded_and_counted_on_the_error() -> None:
    twilio = Twilio(["503"] * 10)
    with pytest.raises(ApiError) as caught:
        client(twilio, retry=RetryPolicy(attempts=3)).fetch_message(SID)
    assert _seen(caught.value).attempts == 3 and twilio.requests == 3


def test_total_time_is_bounded() -> None:
    twilio = Twilio(["429 retry-after"] * 10)  # asks for 3 s each time
    with pytest.raises(ApiError) as caught:
        client(twilio, retry=RetryPolicy(attempts=10, budget=5.0)).fetch_message(SID)
    assert _seen(caught.value).status == 429
    assert twilio.requests == 2  # a third attempt would start after the budget


def test_backoff_is_exponential_with_jitter() -> None:
    waits: list[float] = []
    twilio = Twilio(["503"] * 5)
    client(
        twilio,
        sleep=waits.append,
        random=random.Random(7),
        retry=RetryPolicy(attempts=6, base=1.0, cap=100.0),
    ).fetch_message(SID)
    assert len(waits) == 5
    assert all(0 <= wait <= 2**n for n, wait in enumerate(waits))
    assert len(set(waits)) == 5


def test_a_delete_whose_answer_was_lost_counts_as_done() -> None:
    calls: list[str] = []

    def twilio(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len(calls) == 1:
            raise httpx.ReadError("reset", request=request)
        return httpx.Response(404, json={"code": 20404, "message": "not found"})

    assert client(twilio).delete_message(SID) is None
    assert calls == ["DELETE", "DELETE"]


def test_a_delete_meeting_404_after_a_429_says_there_was_no_such_message() -> None:
    """A 429 was not processed, so the 404 that follows is the truth."""
    calls: list[str] = []

    def twilio(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len(calls) == 1:
            return httpx.Response(429, json={"code": 20429, "message": "Too Many Requests"})
        return httpx.Response(404, json={"code": 20404, "message": "not found"})

    with pytest.raises(ApiError) as caught:
        client(twilio).delete_message(SID)
    assert caught.value.code == 20404 and calls == ["DELETE", "DELETE"]


def _cancelled_twice(first: str, status: str) -> tuple[Callable[[httpx.Request], httpx.Response], list[str]]:
    """Twilio for a cancel whose first attempt went through unseen (``first``: its
    answer was lost, or a 503 came back) and whose retry meets 30409; the message
    then has ``status``. Also the methods it saw."""
    calls: list[str] = []

    def twilio(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len(calls) == 1 and first == "lost":
            raise httpx.ReadError("reset", request=request)
        if len(calls) == 1 and first == "503":
            return httpx.Response(503, json={"code": 20503, "message": "unavailable"})
        if request.method == "POST":
            return httpx.Response(400, json={"code": 30409, "message": "This message cannot be canceled"})
        return httpx.Response(200, json=message(status=status))

    return twilio, calls


@pytest.mark.parametrize("first", ["lost", "503"])
def test_a_cancel_whose_first_attempt_went_through_is_done(first: str) -> None:
    """The retry of a cancel that was carried out meets 30409; the message then
    says it is canceled, and the cancel is done."""
    twilio, calls = _cancelled_twice(first, "canceled")
    assert client(twilio).cancel_message(SID).status == "canceled"
    assert calls == ["POST", "POST", "GET"]


def test_a_cancel_refused_on_its_first_attempt_is_refused() -> None:
    twilio, calls = _cancelled_twice("refused", "canceled")
    with pytest.raises(ApiError) as caught:
        client(twilio).cancel_message(SID)
    assert caught.value.code == 30409 and calls == ["POST"]


def test_a_cancel_retried_into_30409_of_a_message_that_was_sent_is_refused() -> None:
    twilio, calls = _cancelled_twice("lost", "sent")
    with pytest.raises(ApiError) as caught:
        client(twilio).cancel_message(SID)
    assert caught.value.code == 30409 and calls == ["POST", "POST", "GET"]


def test_an_async_cancel_whose_first_attempt_went_through_is_done() -> None:
    twilio, calls = _cancelled_twice("lost", "canceled")

    async def cancel() -> str | None:
        async with AsyncClient(
            credentials=credentials(), transport=httpx.MockTransport(twilio), sleep=_no_wait
        ) as made:
            return (await made.cancel_message(SID)).status

    assert asyncio.run(cancel()) == "canceled" and calls == ["POST", "POST", "GET"]


async def _no_wait(seconds: float) -> None:
    return None


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(201, headers={"content-type": "text/html"}, content=b"<html>gateway</html>"),
        httpx.Response(201, json={"sid": 3}),
    ],
)
def test_a_create_accepted_with_an_unreadable_answer_is_not_an_ordinary_failure(
    answer: httpx.Response,
) -> None:
    calls: list[str] = []

    def twilio(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        return answer

    with pytest.raises(OutcomeUnknownError) as caught:
        client(twilio).create_message(to="+14155550100", from_="+15005550006", body="Hi")
    assert calls == ["POST"] and "accepted" in caught.value.message
    assert ("Body", "Hi") in caught.value.sent


# ------------------------------------------------------------- credentials


def test_credentials_from_the_environment() -> None:
    environ = {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN}
    found = Credentials.from_environment(environ)
    assert found is not None and found.username == ACCOUNT
    key = "SK" + "9" * 32
    keyed = Credentials.from_environment(
        {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_API_KEY": key, "TWILIO_API_SECRET": TOKEN}
    )
    assert keyed is not None and keyed.username == key and keyed.account_sid == ACCOUNT
    regional = Credentials.from_environment({**environ, "TWILIO_REGION": "au1", "TWILIO_EDGE": "sydney"})
    assert regional is not None and regional.base_url == "https://api.sydney.au1.twilio.com"
    edge_only = Credentials.from_environment({**environ, "TWILIO_EDGE": "dublin"})
    assert edge_only is not None and edge_only.base_url == "https://api.dublin.us1.twilio.com"
    assert Credentials.from_environment({}) is None
    for made in (found, keyed, regional, edge_only):
        SEEN.append(repr(made))


def test_an_api_key_authenticates_with_its_sid_and_the_path_keeps_the_account() -> None:
    seen: list[httpx.Request] = []

    def twilio(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=message())

    key = "SK" + "9" * 32
    keyed = Client(
        credentials=Credentials(account_sid=ACCOUNT, api_key=key, api_secret=TOKEN),
        transport=httpx.MockTransport(twilio),
    )
    keyed.fetch_message(SID)
    assert seen[0].url.path.startswith(f"/2010-04-01/Accounts/{ACCOUNT}/")
    assert seen[0].headers["authorization"] == "Basic " + base64.b64encode(f"{key}:{TOKEN}".encode()).decode()


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"account_sid": "ACxyz", "auth_token": TOKEN}, "AC followed by 32 hexadecimal digits"),
        ({"account_sid": ACCOUNT}, "give an Auth Token"),
        ({"account_sid": ACCOUNT, "api_key": "SK" + "1" * 32}, "needs both its SID"),
        ({"account_sid": ACCOUNT, "api_key": "KEY", "api_secret": TOKEN}, "SK followed by"),
        ({"account_sid": ACCOUNT, "auth_token": TOKEN, "region": "a b"}, "host name part"),
    ],
)
def test_bad_credentials_are_explained_without_the_secret(options: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigurationError, match=words) as caught:
        Credentials(**options)
    _seen(caught.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://someone:hunter22@127.0.0.1:9/x", "http://***@127.0.0.1:9/x"),
        ("http://someone:hunter22@[::1]:8080/", "http://***@[::1]:8080/"),
        ("http://someone:hunter22@host:99999/", "http://***@host:99999/"),
        ("http://someone:hunter22@[::1", "http://***@[::1"),
        ("http://127.0.0.1:9/", "http://127.0.0.1:9/"),
        ("someone:hunter22@proxy.example:8080", "***@proxy.example:8080"),
        ("https://someone:hun/ter#22@host/x", "https://***@host/x"),
        ("http://someone:hunter@22@host", "http://***@host"),
        ("someone:hunter22://x@host", "***@host"),
    ],
)
def test_a_url_is_shown_without_its_password_whatever_its_shape(url: str, shown: str) -> None:
    from book.credentials import shown_url

    assert shown_url(url) == shown and "hunter22" not in shown_url(url)


@pytest.mark.parametrize(
    "url",
    ["http://someone:hunter22@127.0.0.1:9", "https://someone:hunter22@[::1]:8443/", "someone:hunter22@host"],
)
def test_a_base_url_with_credentials_is_refused_not_used(url: str) -> None:
    refusals = [
        lambda: Client(credentials=credentials(), base_url=url, transport=httpx.MockTransport(_pages(0, 1))),
        lambda: AsyncClient(credentials=credentials(), base_url=url),
        lambda: Connection(credentials=credentials(), base_url=url),
        lambda: Connection.choose(environ={"TWILIO_ACCOUNT_SID": ACCOUNT, "SMS_BOOK_TWILIO_URL": url}),
    ]
    for refused in refusals:
        with pytest.raises(ConfigurationError, match="holds credentials") as caught:
            refused()
        text = str(_seen(caught.value))
        assert "hunter22" not in text and "***@" in text and "TWILIO_AUTH_TOKEN" in text


def test_missing_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWILIO_ACCOUNT_SID", raising=False)
    with pytest.raises(ConfigurationError, match="no Twilio credentials"):
        Client()


def test_secrets_do_not_show_or_pickle() -> None:
    import pickle

    secret = Secret(TOKEN)
    assert TOKEN not in repr(secret) + str(secret) + f"{secret}" + f"{secret!r:>40}"
    assert secret == Secret(TOKEN) and secret != Secret("other")
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(secret)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(credentials())
    with pytest.raises(AttributeError):
        credentials().account_sid = "x"  # type: ignore[misc]


# ------------------------------------------------------------------- async


def test_async_client_sends_200_messages_within_its_concurrency_bound() -> None:
    state = {"in_flight": 0, "most": 0, "created": 0}

    async def twilio(request: httpx.Request) -> httpx.Response:
        state["in_flight"] += 1
        state["most"] = max(state["most"], state["in_flight"])
        try:
            await asyncio.sleep(0.01)  # latency
            state["created"] += 1
            return httpx.Response(201, json=message(sid=f"SM{state['created']:032x}"))
        finally:
            state["in_flight"] -= 1

    async def main() -> list[str]:
        async with AsyncClient(
            credentials=credentials(), transport=httpx.MockTransport(twilio), concurrency=8
        ) as bulk:
            SEEN.append(repr(bulk))
            sent = await asyncio.gather(
                *(
                    bulk.create_message(to="+14155550100", from_="+15005550006", body=f"n{n}")
                    for n in range(200)
                )
            )
        return [item.sid for item in sent if item.sid]

    sids = asyncio.run(main())
    assert len(set(sids)) == 200 and state["created"] == 200
    assert state["most"] == 8


def _sends(limit: int, concurrency: int, sends: int, adapt: bool) -> tuple[int, int, AsyncClient]:
    """Sends through a mock Twilio that allows ``limit`` requests in flight; the
    429s it gave and the most it saw in flight."""
    state = {"in_flight": 0, "most": 0, "refused": 0, "created": 0}

    async def twilio(request: httpx.Request) -> httpx.Response:
        if state["in_flight"] >= limit:
            state["refused"] += 1
            await asyncio.sleep(0.002)
            return httpx.Response(429, json={"code": 20429, "message": "Too Many Requests", "status": 429})
        state["in_flight"] += 1
        state["most"] = max(state["most"], state["in_flight"])
        try:
            await asyncio.sleep(0.01)
            state["created"] += 1
            return httpx.Response(201, json=message(sid=f"SM{state['created']:032x}"))
        finally:
            state["in_flight"] -= 1

    async def nap(seconds: float) -> None:
        await asyncio.sleep(seconds / 50)  # the backoff's shape, quicker

    async def main() -> AsyncClient:
        async with AsyncClient(
            credentials=credentials(),
            transport=httpx.MockTransport(twilio),
            concurrency=concurrency,
            retry=RetryPolicy(budget=600) if adapt else RetryPolicy(attempts=30, budget=600),
            sleep=nap,
            random=random.Random(1),
        ) as bulk:
            if not adapt:
                bulk.pace.answered = lambda throttled, sent: False  # type: ignore[method-assign]
            await asyncio.gather(
                *(
                    bulk.create_message(to="+14155550100", from_="+15005550006", body=f"n{n}")
                    for n in range(sends)
                )
            )
            return bulk

    bulk = asyncio.run(main())
    assert state["created"] == sends
    return state["refused"], state["most"], bulk


def test_the_client_backs_off_when_twilio_allows_fewer_at_once() -> None:
    """Twilio allows 10 requests in flight; the client was told 50. It cuts its pace
    instead of retrying into the limit: a fixed pace of 50 meets several times the 429s.
    Every send goes through with the usual 4 attempts: 429s in a crowd do not use
    them up (a fixed pace needs many more)."""
    refused, most, bulk = _sends(limit=10, concurrency=50, sends=600, adapt=True)
    fixed, _, _ = _sends(limit=10, concurrency=50, sends=600, adapt=False)
    assert bulk.pace.cuts >= 3 and bulk.pace.allowed <= 16
    assert most == 10
    assert refused * 4 < fixed, (refused, fixed)
    assert refused < 600 * 0.5


def test_async_client_pages_and_errors() -> None:
    async def main() -> None:
        async with AsyncClient(
            credentials=credentials(), transport=httpx.MockTransport(_pages(total=5, size=2))
        ) as reader:
            sids = [message.sid async for message in reader.list_messages(page_size=2)]
            assert len(sids) == 5
        lost = Twilio(["lost"])
        async with AsyncClient(credentials=credentials(), transport=httpx.MockTransport(lost)) as sender:
            with pytest.raises(OutcomeUnknownError) as caught:
                await sender.create_message(to="+1", from_="+1", body="x")
            _seen(caught.value)
        assert lost.created == 1

    asyncio.run(main())


# -------------------------------------------------------------------- leaks


def test_the_token_appears_in_no_log_error_traceback_or_repr() -> None:
    """Run last: everything the tests above logged, raised or printed."""
    assert len(SEEN) > 50
    everything = "\n".join(SEEN)
    assert "Twilio answered" in everything  # the errors were collected
    assert TOKEN not in everything
    assert BASIC not in everything
    request = httpx.Request("GET", "https://api.twilio.com/", headers={"Authorization": f"Basic {BASIC}"})
    assert BASIC not in repr(request.headers)
    assert urlsplit(request.url.__str__()).password is None
