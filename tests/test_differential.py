"""This client against Twilio's official library (twilio-python), the oracle.

For each call, the raw request this client sends is compared with the one the
official library sends for the same call, as each would leave the machine: the
method, the scheme, host and path, the query and the form body as bytes, the
``Authorization`` header and the body's content type. Neither reaches the
internet: this client sends into an ``httpx.MockTransport``, the official library
into a ``requests`` adapter mounted on its own ``TwilioHttpClient``, both of
which record the request and answer with canned JSON.

Query and body are compared field by field, byte for byte as percent-encoded:
each field's values in the order sent, the order of different fields aside
(Twilio reads fields by name; the two send them in different orders).

Where the two differ on purpose, the test says which is right:

- Dates: this client sends the documented ``YYYY-MM-DD`` day bounds
  (``DateSent>=2024-03-01``) for a date, the official library a date and time
  (``2024-03-01T00:00:00Z``); their days are compared.
- Date-times with an offset: the official library writes the wall-clock time
  of an aware datetime with a ``Z`` and does not convert it to UTC (a known
  defect: 22:30 at -05:00 goes out as 22:30Z, five hours early); this client
  converts. Where they differ, this client's is asserted to be the UTC instant.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import inspect
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest

pytest.importorskip("twilio", reason="the official twilio library is the oracle of these tests")

import requests
from requests.adapters import BaseAdapter
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client as TwilioClient
from twilio.rest.api.v2010.account.message import MessageList

from book.client import AsyncClient, Client
from book.credentials import Credentials

ACCOUNT = "AC" + "5" * 32
TOKEN = "differential-token"
API_KEY = "SK" + "6" * 32
API_SECRET = "differential-api-secret"
SID = "SM" + "5" * 32
SERVICE = "MG" + "6" * 32
COLLECTION = f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"


def _message(number: int) -> dict[str, Any]:
    sid = f"SM{number:032x}"
    return {"sid": sid, "account_sid": ACCOUNT, "status": "delivered", "uri": f"{COLLECTION[:-5]}/{sid}.json"}


MESSAGE = _message(0x55)


# ------------------------------------------------------------------ raw requests


Fields = dict[bytes, list[bytes]]


def _fields(encoded: bytes) -> Fields:
    """Percent-encoded ``name=value`` pairs, grouped by name, values in the order sent."""
    found: Fields = {}
    for pair in encoded.split(b"&") if encoded else []:
        name, _, value = pair.partition(b"=")
        found.setdefault(name, []).append(value)
    return found


@dataclass(frozen=True)
class Raw:
    """A request as it would leave the machine."""

    method: str
    url: str  # scheme, host and path
    query: Fields
    body: Fields
    authorization: str
    content_type: str | None
    target: str = field(compare=False)  # the path and query exactly as sent

    def without_dates(self) -> Raw:
        """The request with each date filter cut to its day (the first ten characters)."""
        days = {
            name: [value[:10] for value in values] if name.startswith(b"DateSent") else values
            for name, values in self.query.items()
        }
        return Raw(self.method, self.url, days, self.body, self.authorization, self.content_type, self.target)


def _raw(method: str, url: str, body: bytes | None, headers: Any) -> Raw:
    parts = urlsplit(url)
    content_type = headers.get("Content-Type") if body else None
    return Raw(
        method,
        f"{parts.scheme}://{parts.netloc}{parts.path}",
        _fields(parts.query.encode()),
        _fields(body or b""),
        headers.get("Authorization", ""),
        content_type,
        parts.path + (f"?{parts.query}" if parts.query else ""),
    )


Answer = Callable[[str, str], tuple[int, Any]]
"""What the canned Twilio answers to a method and a URL: status and JSON body."""


def twilio_answer(method: str, url: str) -> tuple[int, Any]:
    """One page of one message for a list, the message otherwise (204 for a delete)."""
    if method == "DELETE":
        return 204, None
    if method == "GET" and urlsplit(url).path.endswith("/Messages.json"):
        return 200, {"messages": [MESSAGE], "next_page_uri": None, "page": 0, "page_size": 50}
    return (201 if urlsplit(url).path.endswith("/Messages.json") else 200), MESSAGE


class _Recording(BaseAdapter):
    """A ``requests`` adapter that records each prepared request and answers it."""

    def __init__(self, answer: Answer) -> None:
        super().__init__()
        self.answer = answer
        self.sent: list[Raw] = []

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        body = request.body.encode() if isinstance(request.body, str) else request.body
        assert isinstance(body, bytes | None) and request.method is not None and request.url is not None
        self.sent.append(_raw(request.method, request.url, body, request.headers))
        status, payload = self.answer(request.method, request.url)
        response = requests.Response()
        response.status_code = status
        response._content = b"" if payload is None else json.dumps(payload).encode()
        response.headers["Content-Type"] = "application/json"
        response.url, response.request = request.url, request
        return response

    def close(self) -> None:
        pass


def oracle(
    answer: Answer = twilio_answer, environment: dict[str, str] | None = None, **options: Any
) -> tuple[TwilioClient, list[Raw]]:
    """The official library, on its own HTTP client, sending into a recorder."""
    http = TwilioHttpClient(logger=logging.getLogger("oracle"))
    recording = _Recording(answer)
    assert http.session is not None
    http.session.mount("https://", recording)
    http.session.mount("http://", recording)
    options = {"username": ACCOUNT, "password": TOKEN, **options}
    return TwilioClient(http_client=http, environment=environment or {}, **options), recording.sent


def _recorder(answer: Answer) -> tuple[Callable[[httpx.Request], httpx.Response], list[Raw]]:
    sent: list[Raw] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(_raw(request.method, str(request.url), request.content, request.headers))
        status, payload = answer(request.method, str(request.url))
        return httpx.Response(status, content=b"" if payload is None else json.dumps(payload).encode())

    return record, sent


def ours(answer: Answer = twilio_answer, credentials: Credentials | None = None) -> tuple[Client, list[Raw]]:
    """This client, sending into a recorder."""
    record, sent = _recorder(answer)
    credentials = credentials or Credentials(account_sid=ACCOUNT, auth_token=TOKEN)
    return Client(credentials=credentials, transport=httpx.MockTransport(record)), sent


def ours_async(answer: Answer = twilio_answer) -> tuple[AsyncClient, list[Raw]]:
    """The async client, sending into a recorder."""
    record, sent = _recorder(answer)
    credentials = Credentials(account_sid=ACCOUNT, auth_token=TOKEN)
    return AsyncClient(credentials=credentials, transport=httpx.MockTransport(record)), sent


BASIC = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
FORM = "application/x-www-form-urlencoded"


def test_the_recorders_see_what_would_leave_the_machine() -> None:
    twilio, theirs = oracle()
    twilio.messages.create(to="+14155550100", from_="+15005550006", body="a b+c/é")
    client, mine = ours()
    client.create_message(to="+14155550100", from_="+15005550006", body="a b+c/é")
    assert theirs[0].target == mine[0].target == COLLECTION
    for sent in (theirs, mine):
        assert sent == [
            Raw(
                "POST",
                f"https://api.twilio.com{COLLECTION}",
                {},
                {b"To": [b"%2B14155550100"], b"From": [b"%2B15005550006"], b"Body": [b"a+b%2Bc%2F%C3%A9"]},
                BASIC,
                FORM,
                COLLECTION,
            )
        ]


# ------------------------------------------------------------------------ lists

D = dt.date(2024, 3, 1)
T = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)

LISTS: list[tuple[dict[str, Any], dict[str, Any], int]] = [
    ({"to": "+14155550100"}, {"To": "+14155550100"}, 50),
    ({"from_": "+15005550006"}, {"From": "+15005550006"}, 50),
    ({"to": "+14155550100", "from_": "+15005550006"}, {"To": "+14155550100", "From": "+15005550006"}, 50),
    ({"date_sent": T}, {"DateSent": D}, 50),
    ({"date_sent_after": T}, {"DateSent>": D}, 50),
    ({"date_sent_before": T}, {"DateSent<": D}, 50),
    (
        {"date_sent_after": T, "date_sent_before": T + dt.timedelta(days=30)},
        {"DateSent>": D, "DateSent<": dt.date(2024, 3, 31)},
        50,
    ),
    ({"to": "+14155550100", "date_sent_after": T}, {"To": "+14155550100", "DateSent>": D}, 7),
    ({}, {}, 1000),
    ({"from_": "whatsapp:+14155550100"}, {"From": "whatsapp:+14155550100"}, 20),
]


@pytest.mark.parametrize(("official", "filters", "page_size"), LISTS)
def test_list_requests_match_the_official_library(
    official: dict[str, Any], filters: dict[str, Any], page_size: int
) -> None:
    twilio, theirs = oracle()
    twilio.messages.list(**official, page_size=page_size)
    client, mine = ours()
    list(client.list_messages(filters, page_size=page_size))
    assert [raw.without_dates() for raw in mine] == [raw.without_dates() for raw in theirs]
    assert len(mine) == 1 and mine[0].method == "GET" and mine[0].body == {}


NEXT_PAGE = f"{COLLECTION}?PageSize=2&Page=1&PageToken=PA{_message(2)['sid']}"


def _two_pages(method: str, url: str) -> tuple[int, Any]:
    """Two pages of a list: the first names the second by ``next_page_uri``
    (Twilio's keeps the filters; this one drops them, to show it is followed verbatim)."""
    if "PageToken=" not in urlsplit(url).query:
        return 200, {"messages": [_message(3), _message(2)], "next_page_uri": NEXT_PAGE, "page": 0}
    return 200, {"messages": [_message(1)], "next_page_uri": None, "page": 1}


@pytest.mark.parametrize(
    ("official", "filters"),
    [
        ({}, {}),
        ({"to": "+14155550100", "date_sent_after": T}, {"To": "+14155550100", "DateSent>": T}),
    ],
)
def test_a_list_over_two_pages_follows_next_page_uri_as_the_official_library_does(
    official: dict[str, Any], filters: dict[str, Any]
) -> None:
    twilio, theirs = oracle(_two_pages)
    their_sids = [message.sid for message in twilio.messages.list(**official, page_size=2)]
    client, mine = ours(_two_pages)
    my_sids = [message.sid for message in client.list_messages(filters, page_size=2)]
    assert my_sids == their_sids == [_message(n)["sid"] for n in (3, 2, 1)]
    assert mine == theirs
    assert len(mine) == 2 and mine[1].target == theirs[1].target == NEXT_PAGE


MINUS_FIVE = dt.timezone(dt.timedelta(hours=-5))
EVENING = dt.datetime(2024, 3, 1, 22, 30, tzinfo=MINUS_FIVE)  # 2024-03-02 03:30 in UTC
MORNING = dt.datetime(2024, 3, 1, 9, 15, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))


def _sent(value: str) -> bytes:
    return quote(value, safe="").encode()


@pytest.mark.parametrize(
    ("official", "name", "when"),
    [
        ("date_sent_after", "DateSent>", EVENING),
        ("date_sent_before", "DateSent<", EVENING),
        ("date_sent", "DateSent", MORNING),
        ("date_sent_after", "DateSent>", EVENING.astimezone(dt.UTC)),
    ],
)
def test_a_date_time_with_an_offset_is_sent_in_utc_where_the_official_library_is_not(
    official: str, name: str, when: dt.datetime
) -> None:
    twilio, theirs = oracle()
    twilio.messages.list(**{official: when}, page_size=50)
    client, mine = ours()
    list(client.list_messages({name: when}, page_size=50))
    ((their,), (my,)) = (theirs, mine)
    key = quote(name, safe="").encode()
    utc = when.astimezone(dt.UTC)
    assert my.query[key] == [_sent(f"{utc:%Y-%m-%dT%H:%M:%SZ}")]  # the instant asked for
    assert their.query[key] == [_sent(f"{when:%Y-%m-%dT%H:%M:%SZ}")]  # its wall clock, called UTC
    if when.utcoffset():
        assert my.query[key] != their.query[key]
    else:  # in UTC the two agree byte for byte
        assert my == their
    assert {k: v for k, v in my.query.items() if k != key} == {
        k: v for k, v in their.query.items() if k != key
    }


# ---------------------------------------------------------------------- creates

SEND_AT = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
CREATES: list[dict[str, Any]] = [
    {"to": "+14155550100", "from_": "+15005550006", "body": "Hello"},
    {
        "to": "+14155550100",
        "from_": "+15005550006",
        "media_url": ["https://example.com/a.png", "https://example.com/b.png"],
    },
    {"to": "+14155550100", "from_": "+15005550006", "body": "Hi", "media_url": ["https://example.com/a.png"]},
    {"to": "+14155550100", "messaging_service_sid": SERVICE, "body": "Hello"},
    {
        "to": "+14155550100",
        "messaging_service_sid": SERVICE,
        "body": "Later",
        "schedule_type": "fixed",
        "send_at": SEND_AT,
    },
    {
        "to": "+14155550100",
        "from_": "+15005550006",
        "body": "Hi",
        "status_callback": "https://example.com/cb",
        "validity_period": 600,
    },
    {
        "to": "+14155550100",
        "from_": "+15005550006",
        "content_sid": "HX" + "7" * 32,
        "content_variables": '{"1":"Ada"}',
    },
    {"to": "+14155550100", "from_": "+15005550006", "body": "Hi", "shorten_urls": True, "send_as_mms": False},
    # every other field of Twilio's create that both support, once each
    {
        "to": "+14155550100",
        "from_": "+15005550006",
        "body": "Every field: “quotes”, emoji 👋 and a+plus & ampersand",
        "status_callback": "https://example.com/status?x=1&y=two words",
        "application_sid": "AP" + "8" * 32,
        "max_price": Decimal("0.75"),
        "provide_feedback": True,
        "attempt": 2,
        "validity_period": 14400,
        "force_delivery": False,
        "content_retention": "retain",
        "address_retention": "obfuscate",
        "smart_encoded": True,
        "persistent_action": ["mailto:a@example.com", "sms:+14155550100"],
        "traffic_type": "free",
        "shorten_urls": False,
        "send_as_mms": True,
        "risk_check": "disable",
        "fallback_from": "+12125550100",
        "media_url": ["https://example.com/c.png?size=large&v=2"],
    },
    {"to": "+14155550100", "from_": "+15005550006", "body": "Hi", "provide_feedback": False, "attempt": 1},
    {
        "to": "+14155550100",
        "from_": "+15005550006",
        "body": "Hi",
        "force_delivery": True,
        "risk_check": "enable",
    },
    {"to": "+14155550100", "from_": "+15005550006", "body": "Hi", "smart_encoded": False, "max_price": 1},
]


def _mine(fields: dict[str, Any]) -> dict[str, Any]:
    """The official library's create arguments, as this client's (its names for lists)."""
    names = {"media_url": "media_urls"}
    mine = {names.get(key, key): value for key, value in fields.items()}
    if isinstance(mine.get("max_price"), int):
        mine["max_price"] = Decimal(mine["max_price"])
    return mine


def _official(fields: dict[str, Any]) -> dict[str, Any]:
    """The same arguments for the official library, which takes a float price."""
    return {key: float(value) if isinstance(value, Decimal) else value for key, value in fields.items()}


@pytest.mark.parametrize("fields", CREATES)
def test_create_requests_match_the_official_library(fields: dict[str, Any]) -> None:
    twilio, theirs = oracle()
    twilio.messages.create(**_official(fields))
    client, mine = ours()
    client.create_message(**_mine(fields))
    assert mine == theirs
    assert len(mine) == 1 and mine[0].method == "POST" and mine[0].query == {}


def test_every_create_field_both_support_is_compared() -> None:
    """Every create argument of the official library but one is in ``CREATES``
    (``message_intent``, which this client does not support, and which Twilio's
    OpenAPI description of Messages does not list either)."""
    official = set(inspect.signature(MessageList.create).parameters) - {"self"}
    compared = {key for fields in CREATES for key in fields}
    assert official - compared == {"message_intent"}


def test_a_send_at_with_an_offset_is_sent_in_utc_where_the_official_library_is_not() -> None:
    later = dt.datetime(2030, 1, 2, 21, 4, 5, tzinfo=MINUS_FIVE)  # 2030-01-03 02:04:05 in UTC
    fields = {
        "to": "+14155550100",
        "messaging_service_sid": SERVICE,
        "body": "Later",
        "schedule_type": "fixed",
        "send_at": later,
    }
    twilio, theirs = oracle()
    twilio.messages.create(**fields)
    client, mine = ours()
    client.create_message(**fields)
    ((their,), (my,)) = (theirs, mine)
    assert my.body[b"SendAt"] == [_sent("2030-01-03T02:04:05Z")]
    assert their.body[b"SendAt"] == [_sent("2030-01-02T21:04:05Z")]  # five hours early
    assert {k: v for k, v in my.body.items() if k != b"SendAt"} == {
        k: v for k, v in their.body.items() if k != b"SendAt"
    }


# ------------------------------------------------------- fetch, update, delete


def _each_one(twilio: TwilioClient) -> None:
    twilio.messages(SID).fetch()
    twilio.messages(SID).update(body="")
    twilio.messages(SID).update(status="canceled")
    twilio.messages(SID).delete()


def test_fetch_update_delete_requests_match_the_official_library() -> None:
    twilio, theirs = oracle()
    _each_one(twilio)
    client, mine = ours()
    client.fetch_message(SID)
    client.redact_message(SID)
    client.cancel_message(SID)
    client.delete_message(SID)
    assert mine == theirs
    assert [raw.method for raw in mine] == ["GET", "POST", "POST", "DELETE"]


# -------------------------------------------------- credentials, regions, edges


def test_api_key_auth_from_the_environment_matches_the_official_library() -> None:
    environment = {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_API_KEY": API_KEY, "TWILIO_API_SECRET": API_SECRET}
    credentials = Credentials.from_environment(environment)
    assert credentials is not None
    twilio, theirs = oracle(username=API_KEY, password=API_SECRET, account_sid=ACCOUNT)
    twilio.messages.create(to="+14155550100", from_="+15005550006", body="Hi")
    twilio.messages.list(to="+14155550100", page_size=20)
    client, mine = ours(credentials=credentials)
    client.create_message(to="+14155550100", from_="+15005550006", body="Hi")
    list(client.list_messages({"To": "+14155550100"}, page_size=20))
    assert mine == theirs
    key = "Basic " + base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()
    assert {raw.authorization for raw in mine} == {key}  # the key signs in ...
    assert {urlsplit(raw.url).path for raw in mine} == {COLLECTION}  # ... the account is in the path


@pytest.mark.parametrize(
    ("region", "edge", "host"),
    [
        (None, None, "api.twilio.com"),
        ("au1", "sydney", "api.sydney.au1.twilio.com"),
        ("ie1", "dublin", "api.dublin.ie1.twilio.com"),
        ("ie1", None, "api.ie1.twilio.com"),
        (None, "sydney", "api.sydney.us1.twilio.com"),
    ],
)
def test_region_and_edge_hosts_match_the_official_library(
    region: str | None, edge: str | None, host: str
) -> None:
    environment = {name: value for name, value in (("TWILIO_REGION", region), ("TWILIO_EDGE", edge)) if value}
    twilio, theirs = oracle(environment=environment)
    twilio.messages.create(to="+14155550100", from_="+15005550006", body="Hi")
    twilio.messages.list(page_size=50)
    _each_one(twilio)
    credentials = Credentials.from_environment(
        {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN, **environment}
    )
    assert credentials is not None
    client, mine = ours(credentials=credentials)
    client.create_message(to="+14155550100", from_="+15005550006", body="Hi")
    list(client.list_messages(page_size=50))
    client.fetch_message(SID)
    client.redact_message(SID)
    client.cancel_message(SID)
    client.delete_message(SID)
    assert mine == theirs
    assert {urlsplit(raw.url).netloc for raw in mine} == {host}


def test_a_region_and_edge_list_over_two_pages_stays_on_the_regional_host() -> None:
    environment = {"TWILIO_REGION": "au1", "TWILIO_EDGE": "sydney"}
    twilio, theirs = oracle(_two_pages, environment=environment)
    twilio.messages.list(page_size=2)
    credentials = Credentials(account_sid=ACCOUNT, auth_token=TOKEN, region="au1", edge="sydney")
    client, mine = ours(_two_pages, credentials=credentials)
    list(client.list_messages(page_size=2))
    assert mine == theirs and len(mine) == 2
    assert {urlsplit(raw.url).netloc for raw in mine} == {"api.sydney.au1.twilio.com"}


# -------------------------------------------------------------- the async client


def _async_calls(client: AsyncClient, creates: Sequence[dict[str, Any]]) -> None:
    async def run() -> None:
        async with client:
            for fields in creates:
                await client.create_message(**_mine(fields))
            for _, filters, page_size in LISTS:
                _ = [message async for message in client.list_messages(filters, page_size=page_size)]
            _ = [message async for message in client.list_messages({}, page_size=2)]
            await client.fetch_message(SID)
            await client.redact_message(SID)
            await client.cancel_message(SID)
            await client.delete_message(SID)

    asyncio.run(run())


def test_the_async_client_sends_what_the_official_library_sends() -> None:
    twilio, theirs = oracle(_with_two_pages_unfiltered)
    for fields in CREATES:
        twilio.messages.create(**_official(fields))
    for official, _, page_size in LISTS:
        twilio.messages.list(**official, page_size=page_size)
    twilio.messages.list(page_size=2)
    _each_one(twilio)
    client, mine = ours_async(_with_two_pages_unfiltered)
    _async_calls(client, CREATES)
    assert [raw.without_dates() for raw in mine] == [raw.without_dates() for raw in theirs]
    assert len(mine) == len(CREATES) + len(LISTS) + 2 + 4


def _with_two_pages_unfiltered(method: str, url: str) -> tuple[int, Any]:
    """Two pages for the list of page size 2, the usual answers otherwise."""
    if method == "GET" and b"2" in _fields(urlsplit(url).query.encode()).get(b"PageSize", []):
        return _two_pages(method, url)
    return twilio_answer(method, url)
