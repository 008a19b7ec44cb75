"""Schemathesis against the sandbox served on loopback, Twilio's OpenAPI description the oracle.

Invariants, in words, for every request Schemathesis makes of the five
operations (those the description allows, and many it does not):

- the sandbox never answers 5xx;
- every 2xx answer is valid against the description's schema for it, formats
  included, with the documented content type; its dates are RFC 2822 in GMT and
  its messages belong to the account asked about;
- every refusal is Twilio's error body (``code``, ``message``, ``more_info``,
  ``status``), and a refusal of a request the description allows is one that
  Twilio itself gives for such a request (the description requires only ``To``
  for a create; Twilio refuses one without ``From`` with 21603);
- a request without credentials, or with wrong ones, is 401; another method
  than GET, POST and DELETE is 405 with ``Allow``;
- each operation answers at least one request with a 2xx, so that the schema
  was checked on real answers and not only on refusals.

Bounded: a fixed seed, derandomized, ``EXAMPLES`` generated requests per
operation, on a fresh sandbox per operation. The checks that are off or
narrowed, and why, are in docs/sandbox.md ("Documented differences from Twilio").
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

schemathesis = pytest.importorskip("schemathesis", reason="Schemathesis is the oracle of these tests")

from book.sandbox import DEFAULT_NUMBERS, Sandbox, State, load, serve  # noqa: E402
from book.sandbox.state import derived_sid  # noqa: E402
from book.wire import parse_rfc2822  # noqa: E402
from procedures import FixedClock  # noqa: E402
from tests.sandbox_helpers import SPEC_PATH, START, message  # noqa: E402

pytestmark = pytest.mark.slow

COLLECTION = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
ONE = "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json"
ACCOUNT = "AC" + "5c" * 16
TOKEN = "schemathesis-fake-token"
SERVICE = derived_sid("MG", ACCOUNT)
BASIC = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
EXAMPLES = 30
"""Generated requests per operation (Hypothesis' max_examples), besides the
description's own examples and Schemathesis' coverage cases."""

# Messages every operation finds in its sandbox: delivered (so that they can be
# deleted and redacted) over the week before START.
STORED = [f"SM{n:032x}" for n in range(1, 9)]

# Numbers for the description's "phone-number" format: the account's senders,
# customers, and Twilio's magic test numbers (each refused with its own code).
NUMBERS = [
    *DEFAULT_NUMBERS[:2],
    "+14155550100",
    "+447700900123",
    "+15005550001",
    "+15005550002",
    "+15005550003",
    "+15005550004",
    "+15005550007",
    "+15005550009",
    "+15005550011",
]

# What Twilio answers, and so the sandbox, to a request the description allows
# (docs/sandbox.md and shared/docs/twilio-api.md), by operation.
# The description marks no request body required, so a create with no body at
# all is allowed by it too: Twilio's answer is 21604 (no To).
REFUSALS = {
    ("POST", COLLECTION): {21602, 21603, 21604, 21609, 21617, 21623, 21624}  # a field missing or out of range
    | {21211, 21212, 21266, 21408, 21606, 21610, 21611, 21612, 21614}  # a number refused
    | {21701, 35111, 35114},  # a Messaging Service not the account's; a scheduled send refused
    ("GET", COLLECTION): {20001, 21481},  # Page without PageToken; a PageToken not issued
    ("GET", ONE): {20404},
    ("POST", ONE): {20001, 20404, 30409},  # a Body that is not empty; cancel of an unscheduled one
    ("DELETE", ONE): {20009, 20404},
}


def _stored() -> list[dict[str, Any]]:
    stored = []
    for number, sid in enumerate(STORED, 1):
        day = (START - dt.timedelta(days=number)).strftime("%a, %d %b %Y %H:%M:%S +0000")
        found = message(number, sent=day)
        found.update(account_sid=ACCOUNT, uri=f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid}.json")
        found["subresource_uris"] = {"media": f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid}/Media.json"}
        stored.append(found)
    return stored


def _description() -> dict[str, Any]:
    """Twilio's description, with the one correction its own answers call for.

    A page's ``uri``, ``first_page_uri``, ``next_page_uri`` and ``previous_page_uri``
    are declared ``format: uri`` (an absolute URI), but Twilio writes them relative
    to its host (``/2010-04-01/Accounts/...``), as the sandbox does: they are
    checked as ``uri-reference`` instead. Every other format is checked as declared.
    """
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    listing = spec["paths"][COLLECTION]["get"]
    page = listing["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
    for name in ("uri", "first_page_uri", "next_page_uri", "previous_page_uri"):
        assert page[name]["format"] == "uri", name
        page[name]["format"] = "uri-reference"
    return spec


CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20_100_401,
        "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
        "request-timeout": 10,
        "auth": {"basic": {"username": ACCOUNT, "password": TOKEN}},
        "parameters": {
            "AccountSid": ACCOUNT,
            "path.Sid": {"dictionary": "messages", "probability": 0.5},
            "body.From": {"dictionary": "senders", "probability": 0.9},
            "body.MessagingServiceSid": {"dictionary": "services", "probability": 0.9},
        },
        "dictionaries": {
            "messages": {"values": STORED},
            "senders": {"values": list(DEFAULT_NUMBERS)},
            "services": {"values": [SERVICE]},
        },
        "checks": {
            # The description documents only each operation's success (201, 200,
            # 204): every correct refusal (400, 401, 404, 405) would be reported.
            # `_refusals_are_twilios` checks refusals instead.
            "status_code_conformance": {"enabled": False},
            # A request the description allows may still be one Twilio refuses
            # (a create without From, a fetch of a sid that does not exist):
            # 400 and 404 are accepted here, and `_refusals_are_twilios` checks
            # that each is one of Twilio's own refusals for that operation.
            "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "404", "409"]},
        },
    }
)
schema = schemathesis.openapi.from_dict(_description(), config=CONFIG)
schemathesis.openapi.format("phone-number", st.sampled_from(NUMBERS))

LATER = (START + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")

# Requests Twilio accepts, added to the description's own examples so that every
# operation's 2xx answers are checked, whatever the generated requests come to.
ACCEPTED: dict[tuple[str, str], list[dict[str, Any]]] = {
    ("POST", COLLECTION): [
        {"body": {"To": "+14155550100", "From": "+15005550006", "Body": "Hello"}},
        {"body": {"To": "+447700900123", "MessagingServiceSid": SERVICE, "Body": "Hi \u2014 \U0001f44b"}},
        {"body": {"To": "+14155550100", "From": "SMSBOOK", "MediaUrl": ["https://example.com/a.png"]}},
        {
            "body": {
                "To": "+14155550100",
                "MessagingServiceSid": SERVICE,
                "Body": "Later",
                "ScheduleType": "fixed",
                "SendAt": LATER,
            }
        },
        {
            "body": {
                "To": "+15005550011",
                "From": "+12125550100",
                "Body": "\u201cquoted\u201d",
                "StatusCallback": "https://example.com/status",
                "ValidityPeriod": 600,
                "SmartEncoded": True,
                "ShortenUrls": False,
                "SendAsMms": False,
                "ProvideFeedback": True,
                "MaxPrice": 0.05,
                "Attempt": 1,
                "ForceDelivery": False,
                "ContentRetention": "retain",
                "AddressRetention": "retain",
                "PersistentAction": ["mailto:a@example.com"],
                "RiskCheck": "enable",
            }
        },
    ],
    ("GET", COLLECTION): [
        {"query": {}},
        {"query": {"To": "+14155550100", "PageSize": 3}},
        {"query": {"DateSent>": "2024-03-05", "DateSent<": "2024-03-09", "PageSize": 2}},
        {"query": {"DateSent": "2024-03-08"}},
        {"query": {"From": "+15005550006", "DateSent>": "2024-03-01T00:00:00Z"}},
    ],
    ("GET", ONE): [{"path_parameters": {"Sid": STORED[0]}}],
    ("POST", ONE): [{"path_parameters": {"Sid": STORED[1]}, "body": {"Body": ""}}],
    ("DELETE", ONE): [{"path_parameters": {"Sid": STORED[2]}}],
}


@schema.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Keep every failure but one the sandbox means: a ``PageSize`` over the
    description's maximum (1000) is answered with a page of 1000, not refused."""
    capped = (
        failure.code == "ST201"
        and "parameter `PageSize` in query" in failure.message
        and "maximum" in failure.message  # its wording differs between Schemathesis releases
        and response.status_code == 200
        and json.loads(response.content)["page_size"] == 1000
    )
    return not capped


@schema.hook
def before_add_examples(context: Any, examples: list[Any]) -> None:
    operation = context.operation
    for fields in ACCEPTED[operation.method.upper(), operation.path]:
        found = dict(fields)
        found["path_parameters"] = {"AccountSid": ACCOUNT, **found.get("path_parameters", {})}
        found["headers"] = {"Authorization": BASIC}  # the configured auth is applied only to generated cases
        if "body" in found:
            found["media_type"] = "application/x-www-form-urlencoded"
        examples.append(operation.Case(**found))


@dataclass
class Served:
    """A sandbox on loopback, and the statuses it answered."""

    url: str
    statuses: Counter[tuple[int, int | None]] = field(default_factory=Counter)


@pytest.fixture
def served() -> Iterator[Served]:
    """A fresh sandbox of the fixed account, holding ``STORED``, served on 127.0.0.1."""
    state = State(None)
    state.create_account(numbers=DEFAULT_NUMBERS, sid=ACCOUNT, token=TOKEN, now=int(START.timestamp()))
    sandbox = Sandbox(state=state, clock=FixedClock(START))
    assert (sandbox.account.sid, sandbox.account.token) == (ACCOUNT, TOKEN)
    load(sandbox, _stored())
    server = serve(sandbox)
    found = Served(server.url)
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()

    assert any(200 <= status < 300 for status, _ in found.statuses), found.statuses


def _refusals_are_twilios(ctx: Any, response: Any, case: Any) -> None:
    """Every 4xx is Twilio's error body; a refusal of an allowed request is one Twilio gives."""
    if response.status_code < 400:
        return
    body = json.loads(response.content)
    assert set(body) == {"code", "message", "more_info", "status"}, body
    assert isinstance(body["code"], int) and isinstance(body["message"], str), body
    assert body["status"] == response.status_code, body
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{body['code']}", body
    positive = case.meta is not None and not case.meta.generation.mode.is_negative
    if positive and response.status_code in (400, 404, 409) and "Authorization" in response.request.headers:
        allowed = REFUSALS[case.method.upper(), case.path]
        assert body["code"] in allowed, f"{body['code']} is not a refusal Twilio gives here: {body}"


def _written_as_twilio_writes(ctx: Any, response: Any, case: Any) -> None:
    """Formats the description names but no validator knows: RFC 2822 dates, ISO 4217 units."""
    if not 200 <= response.status_code < 300 or not response.content:
        return
    body = json.loads(response.content)
    for found in body.get("messages", [body]):
        for name in ("date_created", "date_updated", "date_sent"):
            if found.get(name) is not None:
                assert found[name].endswith(" +0000"), found[name]
                parse_rfc2822(found[name])
        assert found["account_sid"] == ACCOUNT
        assert found["price_unit"] is None or len(found["price_unit"]) == 3


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # one sandbox per operation
def test_the_served_sandbox_answers_as_the_description_says(case: Any, served: Served) -> None:
    response = case.call_and_validate(
        base_url=served.url, additional_checks=[_refusals_are_twilios, _written_as_twilio_writes]
    )
    code = json.loads(response.content).get("code") if response.status_code >= 400 else None
    served.statuses[response.status_code, code] += 1
