"""This client against Twilio's official library (twilio-python), the oracle.

For a table of list calls and creates, the request this client sends has the
same method, path, parameter names and values as the one the official library
sends for the same call. Dates aside: this client sends the documented
``YYYY-MM-DD`` day bounds (``DateSent>=2024-03-01``), while the official
library sends a date and time (``2024-03-01T00:00:00Z``); their days are compared.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

pytest.importorskip("twilio", reason="the official twilio library is the oracle of these tests")

from twilio.http import HttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.rest import Client as TwilioClient

from book.client import Client
from book.credentials import Credentials

ACCOUNT = "AC" + "5" * 32
TOKEN = "differential-token"
SID = "SM" + "5" * 32
SERVICE = "MG" + "6" * 32
MESSAGE = {"sid": SID, "account_sid": ACCOUNT, "status": "queued"}
EMPTY_PAGE = {"messages": [], "next_page_uri": None, "page": 0, "page_size": 50, "start": 0, "end": 0}

Call = tuple[str, str, dict[str, list[str]], dict[str, list[str]]]


def _multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for key, value in pairs:
        found[key].append(value)
    return dict(found)


class Capture(HttpClient):
    """An HttpClient for the official library that records what it would send."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger("oracle"), is_async=False)
        self.calls: list[Call] = []

    def request(
        self, method: str, url: str, params: Any = None, data: Any = None, **_: Any
    ) -> TwilioResponse:
        def flatten(values: Any) -> dict[str, list[str]]:
            out: dict[str, list[str]] = {}
            for key, value in (values or {}).items():
                out[key] = [str(item) for item in value] if isinstance(value, list) else [str(value)]
            return out

        path = httpx.URL(url).path
        self.calls.append((method, path, flatten(params), flatten(data)))
        body = EMPTY_PAGE if method == "GET" and path.endswith("Messages.json") else MESSAGE
        return TwilioResponse(201 if method == "POST" else 200, json.dumps(body))


def oracle() -> tuple[TwilioClient, Capture]:
    capture = Capture()
    return TwilioClient(ACCOUNT, TOKEN, http_client=capture), capture


def ours() -> tuple[Client, list[Call]]:
    calls: list[Call] = []

    def record(request: httpx.Request) -> httpx.Response:
        query = parse_qsl(request.url.query.decode(), keep_blank_values=True)
        form = parse_qsl(request.content.decode(), keep_blank_values=True)
        calls.append((request.method, request.url.path, _multi(query), _multi(form)))
        body = (
            EMPTY_PAGE if request.method == "GET" and request.url.path.endswith("Messages.json") else MESSAGE
        )
        return httpx.Response(201 if request.method == "POST" else 200, json=body)

    client = Client(
        credentials=Credentials(account_sid=ACCOUNT, auth_token=TOKEN), transport=httpx.MockTransport(record)
    )
    return client, calls


def _days(values: dict[str, list[str]]) -> dict[str, list[str]]:
    """Date filters by their day: the official library sends a time, this client the day."""
    return {
        key: [value[:10] for value in items] if key.startswith("DateSent") else items
        for key, items in values.items()
    }


D = dt.date(2024, 3, 1)
T = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)

LISTS = [
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
    twilio, capture = oracle()
    twilio.messages.list(**official, page_size=page_size, limit=page_size)
    client, calls = ours()
    list(client.list_messages(filters, page_size=page_size))
    ((method, path, query, _),) = calls
    ((their_method, their_path, their_query, _),) = capture.calls
    assert (method, path) == (their_method, their_path)
    assert _days(query) == _days(their_query)


SEND_AT = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
CREATES = [
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
]


@pytest.mark.parametrize("fields", CREATES)
def test_create_requests_match_the_official_library(fields: dict[str, Any]) -> None:
    twilio, capture = oracle()
    twilio.messages.create(**fields)
    client, calls = ours()
    mine = {("media_urls" if key == "media_url" else key): value for key, value in fields.items()}
    client.create_message(**mine)
    ((method, path, _, form),) = calls
    ((their_method, their_path, _, their_form),) = capture.calls
    assert (method, path) == (their_method, their_path)
    assert form == their_form


def test_fetch_update_delete_requests_match_the_official_library() -> None:
    twilio, capture = oracle()
    twilio.messages(SID).fetch()
    twilio.messages(SID).update(body="")
    twilio.messages(SID).update(status="canceled")
    twilio.messages(SID).delete()
    client, calls = ours()
    client.fetch_message(SID)
    client.redact_message(SID)
    client.cancel_message(SID)
    client.delete_message(SID)
    assert [(m, p, f) for m, p, _, f in calls] == [(m, p, f) for m, p, _, f in capture.calls]
