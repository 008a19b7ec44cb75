"""The Twilio book at its edges: changes that must touch exactly what was asked,
values too large or of the wrong kind, and input a command line meets."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from book.client import Client
from book.connection import Connection, Settings
from book.errors import OutcomeUnknownError
from book.procedures import ConfirmationError, registry
from book.sandbox import Sandbox, seed
from procedures import FixedClock, LoopError, RunError, Session, ValueTypeError, jsonable

NOW = dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)
BOOK = shutil.which("book") or str(Path(sys.executable).parent / "book")


def session(sandbox: Sandbox, **settings: Any) -> Session:
    return Session(
        registry,
        clock=sandbox.clock,
        resources=[Connection(sandbox=sandbox), Settings(**settings)],
        say=lambda line: None,
    )


@pytest.fixture
def sandbox() -> Sandbox:
    made = Sandbox(clock=FixedClock(NOW))
    seed(made, 400, seed=12)
    return made


def _count(sandbox: Sandbox, text: str) -> int:
    with session(sandbox) as reading:
        return len(reading.run(text).value)


# ------------------------------------------------- changes touch what was asked


def test_the_first_n_of_a_change_touches_n(sandbox: Sandbox) -> None:
    before = _count(sandbox, "read some SMS messages whose body is empty")
    with session(sandbox, yes=True) as changing:
        changed = changing.run("redact the first 2 SMS messages").value
    assert len(changed) == 2
    assert _count(sandbox, "read some SMS messages whose body is empty") <= before + 2


def test_a_change_to_several_messages_reports_what_went_through_when_some_fail() -> None:
    sandbox = Sandbox(clock=FixedClock(NOW))
    customer = "+14155550177"
    with session(sandbox) as sending:
        sending.run(
            f'send an SMS message with the recipient number is "{customer}" and the message body is "a" '
            "and the send time is 2024-06-01T13:00:00Z\n"
            f'send an SMS message with the recipient number is "{customer}" and the message body is "b" '
            'and the sender number is "+15005550006"\n'
            f'send an SMS message with the recipient number is "{customer}" and the message body is "c" '
            "and the send time is 2024-06-01T14:00:00Z"
        )
    with session(sandbox, yes=True) as canceling, pytest.raises(LoopError) as caught:
        canceling.run(f'cancel some SMS messages whose recipient number is "{customer}"')
    error = caught.value
    assert "1 of 3 SMS messages could not be canceled, 2 were" in error.message
    ((position, failure),) = error.failures
    assert error.results[position - 1] is None and "30409" in str(failure)
    done = [result for result in error.results if result is not None]
    assert sorted((result.body, result.status) for result in done) == [("a", "canceled"), ("c", "canceled")]
    with session(sandbox) as reading:
        statuses = {m.body: m.status for m in reading.run("read some SMS messages").value}
    assert statuses == {"a": "canceled", "b": "queued", "c": "canceled"}


def test_a_change_cut_short_by_a_cancellation_is_not_reported_as_done() -> None:
    import asyncio
    from typing import cast

    from book.procedures.messages import _each
    from book.resources.messages import SmsMessage
    from grammar import BookError
    from procedures import Context

    connection = Connection(sandbox=Sandbox(clock=FixedClock(NOW)))

    from procedures.effects import Effect, Journal, Safeguards

    journal = Journal(Safeguards(yes=True))

    class Bare:
        dry_run = False

        def resource(self, kind: type) -> Any:
            if kind is Connection:
                return connection
            raise BookError("no such resource here")

        def act(self, target: str) -> Any:
            return journal.act(Effect.CHANGES, "redact", "SMS message", target)

    messages = [SmsMessage(sid=f"SM{n:032x}") for n in range(3)]

    async def change(client: object, sid: str) -> None:
        if sid == messages[1].sid:
            raise asyncio.CancelledError  # the run is being stopped

    # Every other message went through: still, the loop must stop, not answer two
    # of three as though that were all.
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(_each(cast(Context, Bare()), messages, "redact", change))
    assert [act.state for act in journal.acts] == ["done", "unknown", "done"]


def test_a_message_sent_while_a_read_pages_on_is_given_once() -> None:
    """A queued message is ordered by when it was created, a sent one by when it
    was sent: sent between two pages, it moves up the order, and the next page
    meets it again. The read gives it once. (It may also miss one that moved up
    past the page being read: paging is a live view, on Twilio too.)"""
    from book.planner import plan
    from book.reading import Reader

    for gaps in itertools.product((0, 500, 1000), repeat=4):
        for size in (1, 2, 3):
            clock = FixedClock(NOW)
            sandbox = Sandbox(clock=clock)
            client = sandbox.client()
            for gap in gaps:
                client.create_message(to="+14155550100", from_="+15005550006", body="hi")
                clock.advance(dt.timedelta(milliseconds=gap))
            reader = Reader(
                client, on_page=lambda what, count, clock=clock: clock.advance(dt.timedelta(seconds=1))
            )
            sids = [message.sid for message in reader.read(plan(None).replace(page_size=size))]
            assert len(sids) == len(set(sids)), (gaps, size)


def test_a_list_procedure_without_a_limit_refuses_the_first_n() -> None:
    from procedures import Registry

    vocabulary = Registry()
    touched: list[int] = []

    @vocabulary.procedure("to ring some (bells)")
    def ring() -> list[int]:
        """Rings every bell.

        Output Concepts:
            the bells: The bells rung.
        """
        touched.extend([1, 2, 3])
        return [1, 2, 3]

    with (
        Session(vocabulary, say=lambda line: None) as running,
        pytest.raises(RunError, match="cannot take 'the first 2'"),
    ):
        running.run("ring the first 2 bells")
    assert touched == []


@pytest.mark.parametrize("verb", ["redact", "delete"])
def test_an_sms_message_whose_changes_nothing_when_several_match(sandbox: Sandbox, verb: str) -> None:
    total = sandbox.count()
    bodies = _count(sandbox, 'read some SMS messages whose body contains "verification"')
    assert bodies > 1
    with session(sandbox, yes=True) as changing, pytest.raises(RunError, match="nothing was changed"):
        changing.run(f'{verb} an SMS message whose body contains "verification"')
    assert sandbox.count() == total
    assert _count(sandbox, 'read some SMS messages whose body contains "verification"') == bodies


def test_a_change_to_a_list_of_many_needs_yes(sandbox: Sandbox) -> None:
    read = 'read the first 3 SMS messages whose direction is "inbound"'
    with session(sandbox) as changing:
        changing.run(read)
        with pytest.raises(ConfirmationError, match="this would redact 3 SMS messages"):
            changing.run("redact the SMS messages")
    assert all(message.body for message in session(sandbox).run(read).value)
    with session(sandbox, yes=True) as changing:
        changing.run(read)
        assert all(message.body == "" for message in changing.run("redact the SMS messages").value)


def test_a_failed_loop_says_what_went_through(sandbox: Sandbox) -> None:
    sandbox.receive(sender="+14155550199", body="STOP")
    sandbox.receive(sender="+14155550198", body="Hello")
    script = (
        'read the first 2 SMS messages whose direction is "inbound" and whose recipient number is "+15005550006"\n'
        "process each SMS message as follows\n"
        "  send an SMS message where\n"
        '    the sender number is "+15005550006"\n'
        "    the recipient number is the SMS message's sender number\n"
        '    the message body is "Thanks"'
    )
    with session(sandbox) as sending, pytest.raises(LoopError) as caught:
        sending.run(script)
    error = caught.value
    assert "1 of 2 SMS messages failed, 1 went through" in error.message
    data = json.loads(json.dumps(error.to_dict()))
    (failure,) = data["failures"]
    assert failure["code"] == 21610
    assert data["results"][failure["item"] - 1] is None
    assert data["results"][2 - failure["item"]].startswith("SM")


# ------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("english", "words"),
    [
        ("say in 999999999 weeks", "further from now than any date"),
        (
            'send an SMS message with the recipient number is "+14155550100" and the message body is "Hi" '
            'and the sender number is "+15005550006" and the send time is tomorrow',
            "the send time takes a date and time",
        ),
    ],
)
def test_values_out_of_range_or_of_the_wrong_kind_are_refused(
    sandbox: Sandbox, english: str, words: str
) -> None:
    with session(sandbox) as running, pytest.raises(ValueTypeError, match=words):
        running.run(english)
    assert session(sandbox).step(english)["error"]["kind"] == "value"


@pytest.mark.parametrize(
    "english",
    [
        "read some SMS messages whose date sent is after 9999-12-31",
        "read some SMS messages whose date sent is 0001-01-01",
    ],
)
def test_dates_outside_the_years_are_refused_as_they_are_written(sandbox: Sandbox, english: str) -> None:
    answer = session(sandbox).step(english)["error"]
    assert answer["kind"] == "syntax" and "outside the dates the book works with" in answer["message"]
    assert answer["column"] == english.index(english.split()[-1]) + 1  # at the date


def test_sids_compare_exactly_and_impossible_ones_ask_nothing(sandbox: Sandbox) -> None:
    sid = session(sandbox).run("read the first 1 SMS messages").value[0].sid
    assert session(sandbox).run(f'read some SMS messages whose sid is "{sid}"').value[0].sid == sid
    assert (
        session(sandbox)
        .run(f'read some SMS messages whose sid is "{sid.upper()[:2] + sid[2:].upper()}"')
        .value
        == []
    )
    transport = sandbox.transport()
    connection = Connection(sandbox=sandbox)
    connection._client = Client(credentials=sandbox.credentials(), transport=transport)
    with Session(registry, resources=[connection, Settings()], say=lambda line: None) as counted:
        assert counted.run('read some SMS messages whose sid is "abc"').value == []
    assert transport.requests == 0


def test_json_keeps_every_digit() -> None:
    assert jsonable(Decimal("9007199254740993")) == 9007199254740993
    assert jsonable(Decimal("-0.00790")) == -0.0079
    assert jsonable(Decimal("0.1234567890123456789")) == "0.1234567890123456789"


def test_the_sandbox_refuses_dates_it_cannot_count_to() -> None:
    sandbox = Sandbox()
    reply = sandbox.handle(
        "GET",
        f"/2010-04-01/Accounts/{sandbox.account.sid}/Messages.json",
        [("DateSent", "9999-12-31")],
        [],
        sandbox.client()
        ._httpx(sandbox.client()._http, sandbox.client().api.fetch("SM" + "0" * 32))
        .headers["authorization"],
    )
    assert reply.status == 400 and json.loads(reply.body)["code"] == 20001


def test_a_garbled_answer_is_a_lost_answer() -> None:
    def garbled(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, headers={"content-encoding": "gzip"}, content=b"not gzip at all")

    sandbox = Sandbox()
    client = Client(credentials=sandbox.credentials(), transport=httpx.MockTransport(garbled))
    with pytest.raises(OutcomeUnknownError):
        client.create_message(to="+14155550100", from_="+15005550006", body="x")


# ---------------------------------------------------- one account per file


def _open(path: str) -> str:
    return Sandbox(path).account.sid


def test_processes_opening_a_new_file_together_share_one_account(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite3")
    with multiprocessing.get_context("spawn").Pool(8) as pool:
        accounts = pool.map(_open, [path] * 16)
    assert len(set(accounts)) == 1


# ------------------------------------------------------------ the command line


def book_command(
    *arguments: str, sandbox: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("TWILIO_", "SMS_BOOK_"))
    }
    environment["SMS_BOOK_SANDBOX"] = str(sandbox)
    return subprocess.run(
        [BOOK, *arguments], capture_output=True, text=True, env=environment, input=stdin, timeout=120
    )


@pytest.mark.slow
def test_command_line_edges(tmp_path: Path) -> None:
    path = tmp_path / "edges.sqlite3"
    sandbox = Sandbox(str(path))
    sandbox.receive(sender="+14155550111", body="[bold red]Order[/] shipped")
    sandbox.receive(sender="+14155550112", body="oops [/b] done")
    table = book_command("run", "-e", "read some SMS messages", sandbox=path)
    assert table.returncode == 0, table.stderr
    assert "[bold red]Order[/] shipped" in table.stdout and "oops [/b] done" in table.stdout

    assert book_command("sandbox", "serve", "--port", "70000", sandbox=path).returncode == 2
    seeded = book_command("sandbox", "seed", "--days", "0", sandbox=path)
    assert seeded.returncode == 2 and "1 to 36500" in seeded.stderr
    negative = book_command("sandbox", "seed", "--count", "-5", sandbox=path)
    assert negative.returncode == 2 and "less than 0" in negative.stderr
    loaded = book_command("sandbox", "load", "-", sandbox=path, stdin="42")
    assert loaded.returncode == 1 and "expected a list of messages" in loaded.stderr

    utf16 = tmp_path / "utf16.english"
    utf16.write_text("say 1\n", encoding="utf-16")
    wrong = book_command("run", str(utf16), sandbox=path)
    assert wrong.returncode == 2 and "is not UTF-8 text" in wrong.stderr
    bom = tmp_path / "bom.english"
    bom.write_text("say 1\n", encoding="utf-8-sig")
    assert book_command("run", str(bom), sandbox=path).stdout == "1\n"

    surrogate = book_command("run", "-e", 'say "\\ud800"', sandbox=path)
    assert surrogate.returncode == 2 and "lone surrogate" in surrogate.stderr
    zone = book_command("run", "--timezone", "Bad/Zone", "-e", "say 1", sandbox=path)
    assert zone.returncode == 2 and "AttributeError" not in zone.stderr
    assert book_command("run", "--scan-budget", "-1", "-e", "say 1", sandbox=path).returncode == 2
    assert book_command("run", "--concurrency", "0", "-e", "say 1", sandbox=path).returncode == 2
    huge = book_command("run", "-e", "read the first 99999999999999999999 SMS messages", sandbox=path)
    assert huge.returncode == 2 and "at most 1,000,000,000" in huge.stderr


# ----------------------------------------------------------- for programs


def test_open_session_runs_the_book_on_a_sandbox(tmp_path: Path) -> None:
    import book

    said: list[str] = []
    path = tmp_path / "program.sqlite3"
    with book.open_session(
        sandbox=path, say=said.append, environ={"SMS_BOOK_NOW": "2024-06-01T12:00:00Z"}
    ) as running:
        sent = running.step(
            'send an SMS message with the recipient number is "+14155550100" and the message body is "Hi" '
            'and the sender number is "+15005550006"'
        )
        assert sent["result"].startswith("SM")
        found = running.step('read some SMS messages whose recipient number is "+14155550100"')["result"]
    assert [message["body"] for message in found] == ["Hi"]
    assert found[0]["date_created"] == "2024-06-01T12:00:00Z"


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"timezone": "Mars/Base"}, "is not a time zone"),
        ({"environ": {"SMS_BOOK_NOW": "teatime"}}, "is not an ISO 8601"),
    ],
)
def test_open_session_refuses_bad_settings_before_opening_anything(
    tmp_path: Path, options: dict[str, Any], words: str
) -> None:
    import book
    from book.errors import ConfigurationError

    path = tmp_path / "never.sqlite3"
    with pytest.raises(ConfigurationError, match=words):
        book.open_session(sandbox=path, **options)
    assert not path.exists()


def test_a_session_without_a_connection_says_how_to_make_one() -> None:
    error = Session(registry, say=lambda line: None).step("read some SMS messages")["error"]
    assert "no Connection" in error["message"] and "book.open_session()" in error["hint"]


def test_credentials_are_trimmed_of_the_spaces_copied_with_them() -> None:
    from book.credentials import Credentials

    found = Credentials.from_environment(
        {"TWILIO_ACCOUNT_SID": " AC" + "0" * 32 + "\n", "TWILIO_AUTH_TOKEN": " t0ken "}
    )
    assert found is not None and found.account_sid == "AC" + "0" * 32
    assert (
        found.authorization() == Credentials(account_sid="AC" + "0" * 32, auth_token="t0ken").authorization()
    )
