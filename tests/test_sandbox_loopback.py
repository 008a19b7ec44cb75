"""The sandbox on loopback: a real HTTP server that any Twilio client can use.

The official twilio library, pointed at it, creates, lists with filters and
paging, fetches, redacts and deletes; sixteen concurrent clients making two
hundred mixed requests each lose and duplicate nothing. The sandbox runs on a
clock that moves a second at every reading, so that a message is delivered
(and may be deleted) a few requests after it was sent.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator

import pytest

from book.client import Client
from book.retry import RetryPolicy
from book.sandbox import Sandbox, Server, seed, serve
from procedures import FixedClock

twilio_rest = pytest.importorskip(
    "twilio.rest", reason="the official twilio library is the client under test"
)

pytestmark = pytest.mark.slow


class Hurried(FixedClock):
    """A clock a second further on at every reading."""

    def now(self) -> dt.datetime:
        self.advance(dt.timedelta(seconds=1))
        return super().now()


@pytest.fixture
def served(tmp_path: object) -> Iterator[tuple[Sandbox, Server]]:
    sandbox = Sandbox(clock=Hurried(dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)))
    with serve(sandbox) as server:
        yield sandbox, server


def official(sandbox: Sandbox, server: Server) -> object:
    client = twilio_rest.Client(sandbox.account.sid, sandbox.account.token)
    client.api.base_url = server.url
    return client


def test_the_official_library_creates_fetches_redacts_and_deletes(served: tuple[Sandbox, Server]) -> None:
    sandbox, server = served
    client = official(sandbox, server)
    created = client.messages.create(to="+14155550100", from_="+15005550006", body="Hello from twilio-python")
    assert created.sid.startswith("SM") and created.status == "queued" and created.num_segments == "1"
    fetched = client.messages(created.sid).fetch()
    assert fetched.body == "Hello from twilio-python" and fetched.from_ == "+15005550006"
    redacted = client.messages(created.sid).update(body="")
    assert redacted.body == ""
    assert client.messages(created.sid).delete() is True
    from twilio.base.exceptions import TwilioRestException

    with pytest.raises(TwilioRestException) as caught:
        client.messages(created.sid).fetch()
    assert (caught.value.status, caught.value.code) == (404, 20404)
    with pytest.raises(TwilioRestException) as refused:
        client.messages.create(to="+15005550002", from_="+15005550006", body="x")
    assert refused.value.code == 21612


@pytest.mark.parametrize("method", ["PUT", "PATCH", "OPTIONS"])
def test_other_methods_are_answered_in_twilio_json_with_allow(
    served: tuple[Sandbox, Server], method: str
) -> None:
    import base64
    import json
    import urllib.error
    import urllib.request

    sandbox, server = served
    pair = f"{sandbox.account.sid}:{sandbox.account.token}".encode()
    request = urllib.request.Request(
        f"{server.url}/2010-04-01/Accounts/{sandbox.account.sid}/Messages.json",
        method=method,
        headers={"Authorization": "Basic " + base64.b64encode(pair).decode()},
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 405
    assert caught.value.headers["Allow"] == "GET, HEAD, POST"
    assert json.loads(caught.value.read())["code"] == 20004


def test_the_official_library_lists_with_filters_and_paging(served: tuple[Sandbox, Server]) -> None:
    sandbox, server = served
    seed(sandbox, 300, 5)
    client = official(sandbox, server)
    number = "+15005550006"
    ours = list(sandbox.client().list_messages({"From": number}, page_size=1000))
    assert len(ours) > 30
    listed = client.messages.list(from_=number, page_size=7, limit=30)
    assert [m.sid for m in listed] == [m.sid for m in ours[:30]]
    everything = client.messages.list(from_=number, page_size=7)
    assert [m.sid for m in everything] == [m.sid for m in ours]
    day = ours[0].date_sent
    assert day is not None
    on_day = client.messages.list(date_sent=dt.datetime.strptime(day[5:16], "%d %b %Y"), page_size=7)
    assert on_day and all(m.date_sent.date() == on_day[0].date_sent.date() for m in on_day)
    after = client.messages.list(to="+14155550100", date_sent_after=dt.datetime(2000, 1, 1), page_size=7)
    assert all(m.to == "+14155550100" for m in after)


def test_sixteen_concurrent_clients_lose_and_duplicate_nothing(served: tuple[Sandbox, Server]) -> None:
    sandbox, server = served
    created: list[list[str]] = [[] for _ in range(16)]
    deleted: list[list[str]] = [[] for _ in range(16)]
    errors: list[BaseException] = []

    def worker(number: int) -> None:
        try:
            client = Client(
                credentials=sandbox.credentials(), base_url=server.url, retry=RetryPolicy(attempts=1)
            )
            with client:
                for step in range(200):
                    kind = step % 5
                    if kind in (0, 1):
                        message = client.create_message(
                            to=f"+1415555{number:02d}{step % 100:02d}",
                            from_="+15005550006",
                            body=f"{number}-{step}",
                        )
                        assert message.sid
                        created[number].append(message.sid)
                    elif kind == 2:
                        assert client.fetch_message(created[number][-1]).body == f"{number}-{step - 1}"
                    elif kind == 3:
                        page = next(client.list_pages({"From": "+15005550006"}, page_size=20))
                        sids = [message.sid for message in page.messages]
                        assert 0 < len(sids) <= 20 and len(set(sids)) == len(sids)
                    elif step % 10 == 4:
                        client.delete_message(
                            created[number][0]
                            if not deleted[number]
                            else created[number][len(deleted[number])]
                        )
                        deleted[number].append(created[number][len(deleted[number])])
                    else:
                        client.redact_message(created[number][-1])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(number,)) for number in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    elapsed = time.perf_counter() - started
    assert not errors, errors[:3]
    assert elapsed < 300
    made = [sid for sids in created for sid in sids]
    gone = {sid for sids in deleted for sid in sids}
    assert len(made) == len(set(made)) == 16 * 80
    remaining = [message.sid for message in sandbox.client().list_messages(page_size=1000)]
    assert len(remaining) == len(set(remaining))
    assert set(remaining) == set(made) - gone
