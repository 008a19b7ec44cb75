"""The procedures that prove the seams: count, the account's phone numbers, the media
of a message, and names of a part of something ("the media of the SMS message")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from book.connection import Settings
from book.sandbox import Sandbox, load, seed
from book.session import open_session
from procedures import Concept, Context, Registry, Session
from procedures.core import core
from tests.sandbox_helpers import copy_sandbox

SEEDED: dict[str, Path] = {}


@pytest.fixture
def seeded(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    """A copy of a seeded sandbox (1,000 messages), fresh for each test."""
    if "path" not in SEEDED:
        made = tmp_path_factory.mktemp("seeded") / "s.sqlite3"
        seed(Sandbox(str(made)), 1000)
        SEEDED["path"] = made
    return copy_sandbox(SEEDED["path"], tmp_path / "s.sqlite3")


def _result(session: Any, english: str) -> Any:
    answer = session.step(english)
    assert "error" not in answer, answer
    return answer["result"]


# ------------------------------------------------------------------- count


@pytest.mark.parametrize(
    "filter",
    [
        'whose sender number is "+15005550006"',
        'whose status is "failed" or whose status is "undelivered"',
        'whose body contains "refund" and whose date sent is after 2024-01-01',
        "whose num media is greater than 0",
        'whose sid is "SM00000000000000000000000000000000"',
        "",
    ],
)
def test_count_is_the_length_of_the_read(seeded: Path, filter: str) -> None:
    with open_session(sandbox=seeded, settings=Settings(scan_budget=None)) as session:
        counted = _result(session, f"count the SMS messages {filter}")
        read = _result(session, f"read some SMS messages {filter}")
    assert counted == len(read)


def test_the_number_counted_is_the_answer(seeded: Path) -> None:
    with open_session(sandbox=seeded) as session:
        counted = _result(session, 'count some SMS messages whose sender number is "+15005550006"')
        assert session.step("say the answer")["said"] == [str(counted)]


# ------------------------------------------------------------ phone numbers


def test_phone_numbers_are_read_with_their_own_pushdown(seeded: Path) -> None:
    with open_session(sandbox=seeded) as session:
        found = _result(session, 'read some phone numbers whose phone number is "+1 500 555 0006"')
        assert [number["phone_number"] for number in found] == ["+15005550006"]
        capable = _result(session, 'read some phone numbers whose capabilities contains "mms"')
        assert "+15005550006" in [number["phone_number"] for number in capable]
        runner = session.runner()
        from grammar import parse_script

        (call,) = parse_script('read some phone numbers whose phone number is "+15005550006"').statements
        plan = runner.prepare(session.registry.resolve(call), call).plan
    assert plan.to_json()["queries"] == [{"kind": "list", "params": {"PhoneNumber": "+15005550006"}}]
    assert str(plan.residual) == 'phone number is "+15005550006"'  # Twilio matches a part: checked here
    assert "list the phone numbers with PhoneNumber=+15005550006" in plan.explain()


def test_set_the_sms_url_of_exactly_one_number(seeded: Path) -> None:
    one = 'whose phone number is "+15005550006"'
    with open_session(sandbox=seeded, settings=Settings(dry_run=True)) as session:
        said = session.step(
            f'set the SMS URL of a phone number {one} where the SMS URL is "https://a.example/sms"'
        )
        assert said["said"] == ["dry run: would set the SMS URL of +15005550006 to 'https://a.example/sms'"]
    with open_session(sandbox=seeded) as session:
        assert _result(session, f"read some phone numbers {one}")[0]["sms_url"] == ""
        changed = _result(
            session, f'set the SMS URL of a phone number {one} where the SMS URL is "https://a.example/sms"'
        )
        assert changed["sms_url"] == "https://a.example/sms"
        assert _result(session, f"read some phone numbers {one}")[0]["sms_url"] == "https://a.example/sms"
        many = session.step('set the SMS URL of a phone number where the SMS URL is "https://b.example/sms"')
        assert "exactly one phone number, but more than one matches" in many["error"]["message"]
        none = session.step(
            'set the SMS URL of a phone number whose phone number is "+14155550199" where the SMS URL is "https://b.example"'
        )
        assert "but none matches" in none["error"]["message"]
        bad = session.step(f'set the SMS URL of a phone number {one} where the SMS URL is "not a url"')
        assert bad["error"]["kind"] == "invalid request"  # refused before anything is sent (Twilio: 21402)
    looped = 'read some phone numbers\nprocess each phone number as follows\n  set the SMS URL of the phone number where the SMS URL is "https://c.example/sms"\n'
    with open_session(sandbox=seeded) as session:
        assert session.step(looped)["error"]["kind"] == "confirmation"  # every number: more than one change
    with open_session(sandbox=seeded, settings=Settings(yes=True)) as session:
        session.step(looped)
        urls = {number["sms_url"] for number in _result(session, "read some phone numbers")}
    assert urls == {"https://c.example/sms"}


# -------------------------------------------------------------------- media


def test_the_media_of_a_message(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    client = Sandbox(str(path)).client()
    mms = client.create_message(
        to="+14155550100",
        from_="+15005550006",
        body="see",
        media_urls=("https://x.example/a.png", "https://x.example/b.mp4"),
    )
    sms = client.create_message(to="+14155550100", from_="+15005550006", body="no media")
    with open_session(sandbox=path) as session:
        script = f'read some SMS messages whose sid is "{mms.sid}"\nprocess each SMS message as follows\n  read the media of the SMS message\n'
        (media,) = _result(session, script)  # one message, its media
        assert _result(session, "process each media as follows\n  say the media's content type\n") == [
            "image/png",
            "video/mp4",
        ]
        assert [item["content_type"] for item in media] == ["image/png", "video/mp4"]
        assert all(item["message_sid"] == mms.sid for item in media)
        assert all(item["url"].startswith("https://api.twilio.com/2010-04-01/Accounts/") for item in media)
        assert _result(session, script.replace(mms.sid or "", sms.sid or "")) == [[]]  # an SMS: none


# ------------------------------------------- names of a part of something


class Book(Concept):
    english = "book"
    key = "title"

    title: str
    chapters: tuple[str, ...] = ()


class Chapter(Concept):
    english = "chapter"

    title: str


def test_a_procedure_of_a_part_of_something_takes_its_owner(tmp_path: Path) -> None:
    shelf = Registry()

    @shelf.procedure("to read some (chapters of a book)")
    def read_chapters(book: Book) -> list[Chapter]:
        """Reads a book's chapters.

        Output Concepts:
            the chapters: Its chapters, in order.
        """
        return [Chapter(title=title) for title in book.chapters]

    @shelf.procedure("to find a (book)")
    def find_book(title: str, context: Context) -> Book:
        """Finds a book.

        Input Concepts:
            the title: Its title.
        """
        return Book(title=title, chapters=(f"{title} 1", f"{title} 2"))

    session = Session(registry=Registry().merge(core).merge(shelf), clock=None)
    assert "error" not in session.step('find a book where the title is "Dune"')
    assert "error" not in session.step("read the chapters of the book")
    said = session.step("process each chapter as follows\n  say the chapter's title\n")["said"]
    assert said == ["Dune 1", "Dune 2"]
    unknown = session.step("read the chapters of the magazine")
    assert unknown["error"]["kind"] == "unknown procedure"  # no procedure reads the chapters of a magazine


# ------------------------------------------------------ the number of ...


def test_the_number_of_things_as_a_value(seeded: Path) -> None:
    with open_session(sandbox=seeded) as session:
        failed = _result(session, 'count some SMS messages whose status is "failed"')
        said = session.step('say the number of SMS messages whose status is "failed"\n')["said"]
        assert said == [str(failed)]
        every = _result(session, "count the SMS messages")
        assert session.step("say the number of SMS messages\n")["said"] == [
            str(every)
        ]  # nothing read: all of them
        session.step("read the first 3 SMS messages")
        assert session.step("say the number of SMS messages\n")["said"] == ["3"]  # what was read
        assert session.step("say the number of the SMS messages\n")["said"] == [
            "3"
        ]  # 'the' as English has it
        branch = 'if the number of SMS messages whose status is "failed" is greater than 0 then\n  say "some failed"\n'
        assert session.step(branch)["said"] == (["some failed"] if failed else [])
        session.step("the number of guests is 5")
        assert session.step("say the number of guests\n")["said"] == ["5"]  # a value named so comes first
        unknown = session.step("say the number of guests2\n")["error"]
        assert unknown["kind"] == "unknown reference" and "no procedure counts guests2" in unknown["message"]
        assert session.step("say the number of the guests2\n")["error"]["hint"].startswith(
            "Read the guests2 first"
        )
        numbers = _result(session, "count the phone numbers")
        assert session.step("say the number of phone numbers\n")["said"] == [str(numbers)]
        assert (
            session.step('say the number of SMS messages whose statu is "x"\n')["error"]["kind"]
            == "unknown field"
        )


# ------------------------------------------------- what the review found


def test_setting_the_sms_url_of_many_numbers_is_counted_before_any(seeded: Path) -> None:
    many = 'read some phone numbers\nset the SMS URL of the phone numbers where the SMS URL is "https://d.example/sms"\n'
    with open_session(sandbox=seeded) as session:
        refused = session.step(many)["error"]
        assert refused["kind"] == "confirmation"
        assert "set the SMS URL of 2 phone numbers" in refused["message"]
        assert {n["sms_url"] for n in _result(session, "read some phone numbers")} == {""}  # none changed
        one = 'read some phone numbers whose phone number is "+15005550006"\nprocess each phone number as follows\n  set the SMS URL of the phone number where the SMS URL is "https://e.example"\n'
        assert "error" not in session.step(one)
        dry = session.step('set the SMS URL of a phone number where the SMS URL is "ftp://x"')["error"]
        assert dry["kind"] == "invalid request" and "http(s) with a host" in dry["message"]
    with open_session(sandbox=seeded, settings=Settings(yes=True)) as session:
        assert "error" not in session.step(many)
        assert {n["sms_url"] for n in _result(session, "read some phone numbers")} == {
            "https://d.example/sms"
        }


def test_the_media_of_several_messages_are_one_list(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    client = Sandbox(str(path)).client()
    for urls in (("https://x.example/a.png",), ("https://x.example/b.png", "https://x.example/c.gif")):
        client.create_message(to="+14155550100", from_="+15005550006", media_urls=urls)
    with open_session(sandbox=path) as session:
        session.step(
            "read some SMS messages whose num media is greater than 0\nread the media of the SMS messages\n"
        )
        assert session.step("say the number of media\n")["said"] == ["3"]
        types = session.step("process each media as follows\n  say the media's content type\n")["said"]
        assert sorted(types) == ["image/gif", "image/png", "image/png"]


def test_a_message_that_claims_many_media_has_at_most_ten(tmp_path: Path) -> None:
    sandbox = Sandbox(str(tmp_path / "s.sqlite3"))
    sid = "MM" + "1" * 32
    load(sandbox, [{"sid": sid, "to": "+14155550100", "num_media": "20000", "status": "received"}])
    with open_session(sandbox=tmp_path / "s.sqlite3") as session:
        found = _result(
            session, f'read some SMS messages whose sid is "{sid}"\nread the media of the SMS message\n'
        )
    assert len(found) == 10


def test_a_count_procedure_must_answer_a_number() -> None:
    shelf = Registry()

    @shelf.procedure("to count some (books)")
    def count_books() -> str:
        """Counts wrongly."""
        return "many"

    session = Session(registry=Registry().merge(core).merge(shelf), clock=None)
    error = session.step("say the number of books\n")["error"]
    assert error["kind"] == "run" and "not a number" in error["message"]
