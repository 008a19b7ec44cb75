"""Resources declared as data (book/resource.py): conversions that lose nothing,
flows written once for both clients, the phone numbers and media of the sandbox,
and the raw request, all through the same API, retries and errors."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from book import flows
from book.api import Api, InvalidRequestError, Response, Safety
from book.client import AsyncClient, Client
from book.credentials import Credentials
from book.errors import ApiError, OutcomeUnknownError, RequestTimeoutError
from book.resource import Resource
from book.resources import MEDIA, MESSAGES, NUMBERS, RESOURCES
from book.retry import RetryPolicy
from book.sandbox import Sandbox
from book.wire import format_rfc2822

ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "resources-test-token"

# ----------------------------------------------------------- conversions

_dates = st.datetimes(
    min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC)
).map(lambda moment: format_rfc2822(moment))
_odd = st.one_of(st.none(), st.text(max_size=12), st.integers(-5, 5), st.booleans())


def _values(resource: Resource[Any], wire_key: str) -> st.SearchStrategy[Any]:
    """Values as Twilio writes them, and odd ones (which must be kept as written)."""
    if wire_key.startswith("date_"):
        return st.one_of(_dates, _odd)
    if wire_key in ("num_segments", "num_media"):
        return st.one_of(st.integers(0, 99).map(str), _odd)
    if wire_key == "price":
        return st.one_of(st.decimals(-10, 10, places=5).map(str), _odd)
    if wire_key == "capabilities":
        return st.one_of(
            st.fixed_dictionaries({}, optional={k: st.booleans() for k in ("sms", "mms", "voice")})
        )
    if wire_key == "uri":
        return st.one_of(
            st.just(
                resource.one(ACCOUNT, "ME" + "0" * 32, "MM" + "0" * 32) if resource is MEDIA else "/x.json"
            ),
            _odd,
        )
    if wire_key == "error_code":
        return st.one_of(st.none(), st.integers(0, 99999))
    return st.one_of(st.none(), st.text(max_size=20))


@st.composite
def _wire(draw: st.DrawFn, resource: Resource[Any]) -> dict[str, Any]:
    keys = [key for key, _ in resource.fields.values()]
    chosen = draw(st.lists(st.sampled_from(keys), unique=True))
    data = {key: draw(_values(resource, key)) for key in chosen}
    data.update(draw(st.dictionaries(st.sampled_from(["later_field", "uri_extra"]), st.text(max_size=5))))
    return data


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda resource: resource.plural)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_conversion_loses_nothing(resource: Resource[Any], data: st.DataObject) -> None:
    raw = data.draw(_wire(resource))
    try:
        wire = resource.wire.model_validate(raw)
    except Exception:  # noqa: BLE001 - a value the wire model itself refuses is not the point here
        return
    assert resource.to_wire(resource.from_wire(wire)).to_json() == wire.to_json()


def test_each_resource_declares_what_the_book_needs() -> None:
    for resource in RESOURCES:
        assert set(resource.fields) <= set(resource.concept.model_fields)
        assert resource.concept.key in resource.fields
        assert all(name in resource.fields for _, name in resource.columns)
        assert resource.key in resource.page.model_fields
    assert MEDIA.parent is MESSAGES
    assert MESSAGES.sid_words() == "SM or MM followed by 32 hexadecimal digits"


def test_paths_come_from_the_declaration() -> None:
    api = Api("https://api.twilio.com", ACCOUNT)
    listed = api.list({"PhoneNumber": "+15005550006"}, resource=NUMBERS)
    assert (
        listed.path
        == f"/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers.json?PhoneNumber=%2B15005550006&PageSize=50"
    )
    media = api.fetch("ME" + "1" * 32, resource=MEDIA, parent="MM" + "2" * 32)
    assert media.path.endswith(f"/Messages/MM{'2' * 32}/Media/ME{'1' * 32}.json")
    with pytest.raises(InvalidRequestError, match="cannot filter phone numbers on To"):
        api.list({"To": "+1"}, resource=NUMBERS)
    with pytest.raises(InvalidRequestError, match="not a phone number sid: PN followed by 32"):
        api.fetch("SM" + "0" * 32, resource=NUMBERS)
    with pytest.raises(InvalidRequestError, match="not a message sid"):
        api.list({}, resource=MEDIA, parent="PN" + "0" * 32)


# ---------------------------------------------------------------- flows


def _script(answers: list[Response]) -> tuple[list[str], Callable[[httpx.Request], httpx.Response]]:
    """A Twilio that gives these answers in turn, recording what it was asked."""
    asked: list[str] = []

    def twilio(request: httpx.Request) -> httpx.Response:
        asked.append(f"{request.method} {request.url.path} {request.content.decode()}")
        answer = answers[len(asked) - 1]
        return httpx.Response(answer.status, content=answer.content)

    return asked, twilio


def _both(answers: list[Response], call: Callable[[Any], Any]) -> tuple[Any, list[str], Any, list[str]]:
    """The same call through the sync and the async client, on the same answers."""
    credentials = Credentials(account_sid=ACCOUNT, auth_token=TOKEN)
    asked, twilio = _script(answers)
    with Client(credentials=credentials, transport=httpx.MockTransport(twilio)) as client:
        one = call(client)
    asked_async, twilio_async = _script(answers)

    async def run() -> Any:
        async with AsyncClient(
            credentials=credentials, transport=httpx.MockTransport(twilio_async)
        ) as client:
            return await call(client)

    other = asyncio.run(run())
    return one, asked, other, asked_async


def test_the_cancel_flow_is_one_code_for_both_clients() -> None:
    sid = "SM" + "c" * 32
    refused = json.dumps({"code": 30409, "message": "cannot be canceled", "status": 400}).encode()
    canceled = json.dumps({"sid": sid, "status": "canceled"}).encode()
    answers = [Response(503, {}, b"{}"), Response(400, {}, refused), Response(200, {}, canceled)]
    sync, asked, asynchronous, asked_async = _both(answers, lambda client: client.cancel_message(sid))
    assert sync.status == asynchronous.status == "canceled"
    assert asked == asked_async
    assert [line.split()[0] for line in asked] == ["POST", "POST", "GET"]  # retried, then looked


def test_a_flow_is_driven_without_any_client() -> None:
    api = Api("https://api.twilio.com", ACCOUNT)
    flow = flows.delete(api, "SM" + "0" * 32)
    request = next(flow)
    assert (request.method, request.safety) == ("DELETE", Safety.IDEMPOTENT)
    with pytest.raises(StopIteration):
        flow.send((Response(204, {}, b""), 1))


# ----------------------------------------------------- the raw request


def test_a_raw_request_fills_in_the_account_and_follows_its_safety() -> None:
    api = Api("https://api.twilio.com", ACCOUNT)
    get = api.request("get", "/2010-04-01/Accounts/{AccountSid}/Calls.json", (("To", "+1"),))
    assert (get.method, get.safety, get.form) == ("GET", Safety.READ, ())
    assert get.path == f"/2010-04-01/Accounts/{ACCOUNT}/Calls.json?To=%2B1"
    post = api.request("POST", "/2010-04-01/Accounts/{AccountSid}/Calls.json", (("To", "+1"),))
    assert (post.safety, post.form) == (Safety.CREATE, (("To", "+1"),))
    for method, path in (
        ("PATCH", "/x"),
        ("GET", "https://evil.example/x"),
        ("GET", "//evil.example/x"),
        ("GET", "/a b"),
    ):
        with pytest.raises(InvalidRequestError):
            api.request(method, path)


def test_a_raw_post_is_never_sent_twice_after_it_may_have_arrived() -> None:
    tries: list[str] = []

    def lost(request: httpx.Request) -> httpx.Response:
        tries.append(request.method)
        raise httpx.ReadTimeout("no answer", request=request)

    credentials = Credentials(account_sid=ACCOUNT, auth_token=TOKEN)
    with Client(credentials=credentials, transport=httpx.MockTransport(lost), sleep=lambda _: None) as client:
        with pytest.raises(OutcomeUnknownError):
            client.request("POST", "/2010-04-01/Accounts/{AccountSid}/Calls.json", (("To", "+1"),))
        assert tries == ["POST"]
        with pytest.raises(RequestTimeoutError):  # a GET is retried until the policy gives up
            client.request("GET", "/2010-04-01/Accounts/{AccountSid}/Calls.json")
    assert tries.count("GET") == RetryPolicy().attempts


# ------------------------------------------------ the sandbox's resources


def test_numbers_and_media_on_the_sandbox() -> None:
    sandbox = Sandbox(None)
    client = sandbox.client()
    sent = client.create_message(
        to="+14155550100",
        from_="+15005550006",
        media_urls=("https://x.example/a.png", "https://x.example/b.gif"),
    )
    pages = list(client.list_pages({}, resource=MEDIA, parent=sent.sid))
    media = [MEDIA.from_wire(item) for page in pages for item in MEDIA.items(page)]
    assert [item.content_type for item in media] == ["image/png", "image/gif"]
    assert {item.message_sid for item in media} == {sent.sid}
    first = media[0]
    assert first.sid is not None
    fetched = MEDIA.from_wire(client.fetch(first.sid, resource=MEDIA, parent=sent.sid))
    assert fetched == first
    content = client._http.get(
        first.url,
        headers={"Authorization": client.credentials.authorization()},
    )
    assert (content.status_code, content.headers["location"]) == (307, "https://x.example/a.png")
    client.run(flows.delete(client.api, first.sid, MEDIA, sent.sid))
    left = [
        item.sid
        for page in client.list_pages({}, resource=MEDIA, parent=sent.sid)
        for item in MEDIA.items(page)
    ]
    assert left == [media[1].sid]

    numbers = [
        NUMBERS.from_wire(item)
        for page in client.list_pages({}, resource=NUMBERS)
        for item in NUMBERS.items(page)
    ]
    assert "+15005550006" in [number.phone_number for number in numbers]
    mine = next(number for number in numbers if number.phone_number == "+15005550006")
    assert mine.sid is not None and "sms" in mine.capabilities
    changed = NUMBERS.from_wire(
        client.update(mine.sid, (("SmsUrl", "https://example.com/sms"),), resource=NUMBERS)
    )
    assert changed.sms_url == "https://example.com/sms"
    with pytest.raises(ApiError) as refused:
        client.update(mine.sid, (("SmsUrl", "not a url"),), resource=NUMBERS)
    assert refused.value.code == 21402


def test_short_lists_page_as_twilio_pages() -> None:
    sandbox = Sandbox(None)
    client = sandbox.client()
    path = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json"
    every = [number["phone_number"] for number in client.request("GET", path)["incoming_phone_numbers"]]
    assert len(every) >= 2
    paged = [
        NUMBERS.from_wire(item).phone_number
        for page in client.list_pages({}, page_size=1, resource=NUMBERS)
        for item in NUMBERS.items(page)
    ]
    assert paged == every  # nothing dropped, nothing twice
    with pytest.raises(ApiError) as bad:
        client.request("GET", path, (("Page", "1"), ("PageToken", "PA" + "PN" + "0" * 32)))
    assert bad.value.code == 21481
    with pytest.raises(ApiError) as bare:
        client.request("GET", path, (("Page", "1"),))
    assert bare.value.code == 20001


def test_the_phone_number_filter_matches_a_part_and_dates_stay_put() -> None:
    sandbox = Sandbox(None)
    client = sandbox.client()
    path = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json"

    def listed(pattern: str) -> list[str]:
        answer = client.request("GET", path, (("PhoneNumber", pattern),))
        return [number["phone_number"] for number in answer["incoming_phone_numbers"]]

    assert listed("+15005550006") == ["+15005550006"]
    assert listed("5550006") == ["+15005550006"]  # a part of the number
    assert "+15005550006" in listed("50055*0006")  # * is any digit
    assert listed("+1500555000") == ["+15005550006"] and listed("9999999") == []
    first = client.request("GET", path)["incoming_phone_numbers"][0]["date_created"]
    assert client.request("GET", path)["incoming_phone_numbers"][0]["date_created"] == first


def test_a_raw_answer_shows_no_secret() -> None:
    account = {"sid": ACCOUNT, "auth_token": TOKEN, "subresource_uris": {}, "friendly_name": "main"}
    key = {"sid": "SK" + "0" * 32, "secret": "key-secret-value"}

    def twilio(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=account if request.url.path.endswith(f"{ACCOUNT}.json") else key)

    credentials = Credentials(account_sid=ACCOUNT, auth_token=TOKEN)
    with Client(credentials=credentials, transport=httpx.MockTransport(twilio)) as client:
        shown = client.request("GET", "/2010-04-01/Accounts/{AccountSid}.json")
        made = client.request("POST", "/2010-04-01/Accounts/{AccountSid}/Keys.json", (("FriendlyName", "k"),))
    assert shown["auth_token"] == "***" and shown["friendly_name"] == "main"
    assert made["secret"] == "***"
    assert TOKEN not in json.dumps(shown) and "key-secret-value" not in json.dumps(made)


def test_a_subresource_needs_its_parent() -> None:
    client = Sandbox(None).client()
    with pytest.raises(InvalidRequestError, match="the media of which message"):
        list(client.list_pages({}, resource=MEDIA))
    with pytest.raises(InvalidRequestError, match="the media of which message"):
        client.fetch("ME" + "0" * 32, resource=MEDIA)
