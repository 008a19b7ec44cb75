"""The runtime, proven general with the library book (tests/library.py): scripts with
loops, conditions and references; errors with their messages and positions."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import library
import pytest

from grammar import EnglishSyntaxError
from procedures import (
    AmbiguousReferenceError,
    FixedClock,
    LoopError,
    MissingArgumentError,
    RunError,
    Session,
    UnknownArgumentError,
    UnknownCallError,
    UnknownFieldError,
    UnknownReferenceError,
    ValueTypeError,
)

NOW = dt.datetime(2024, 3, 10, 12, tzinfo=dt.UTC)

SHELF = """\
add a library book where
  the title is "Dune"
  the author is "Frank Herbert"
  the isbn is "1"
  the year is 1965
  the price is 9.99
add a library book where
  the title is "Emma"
  the author is "Jane Austen"
  the isbn is "2"
  the year is 1815
add a library book with the title is "Children of Dune" and the author is "Frank Herbert" and the isbn is "3"
"""


@pytest.fixture
def shelf() -> library.Shelf:
    return library.Shelf()


@pytest.fixture
def session(shelf: library.Shelf) -> Session:
    session = Session(library.books, clock=FixedClock(NOW), resources=[shelf], say=lambda line: None)
    session.run(SHELF)
    return session


def test_a_script_with_loops_conditions_and_references(session: Session, shelf: library.Shelf) -> None:
    result = session.run(
        """\
the reader is "+1 (415) 555-0100"
find some books whose author contains "herbert"
process each book as follows
  if the book's year is empty then
    say "undated: "
  else
    lend the book where the borrower phone is the reader
say the above
find a book whose title is "dune"
say the book's borrower phone
"""
    )
    assert result.said == ("undated: ", "2 items", "+14155550100")
    assert shelf.books["1"].status == "borrowed"
    assert shelf.books["1"].date_borrowed == NOW
    assert shelf.books["3"].status == "available"
    assert result.value == "+14155550100"


def test_the_above_the_answer_and_the_latest_result(session: Session) -> None:
    assert session.run("say the answer").said == ("3",)  # the ISBN the last add answered
    session.run("find some books whose year is at least 1900")
    assert session.run("say the books").said == ("1 library book",)
    assert session.run("say the book's title").said == ("Dune",)
    session.run('the greeting is "hello"\nuse the above as the salutation')
    assert session.run("say the salutation").said == ("hello",)


def test_singular_and_first_n_calls(session: Session) -> None:
    assert session.run('find a book whose title is "Emma"').value.isbn == "2"
    assert [book.title for book in session.run("find the first 2 books").value] == [
        "Children of Dune",
        "Dune",
    ]
    with pytest.raises(RunError, match="needs exactly one book, but found more than one") as caught:
        session.run('find a book whose author is "frank herbert"')
    assert (caught.value.line, caught.value.column) == (1, 1)
    with pytest.raises(RunError, match="but found none"):
        session.run('find a book whose title is "Ulysses"')


def test_a_procedure_of_one_thing_applies_to_each_of_a_list(session: Session, shelf: library.Shelf) -> None:
    session.run(
        'find some books whose author is "frank herbert"\nlend the books where the borrower phone is "+14155550100"'
    )
    assert {book.isbn for book in shelf.books.values() if book.status == "borrowed"} == {"1", "3"}


def test_inputs_come_from_named_values_when_not_given(session: Session, shelf: library.Shelf) -> None:
    session.run(
        'the author is "Anonymous"\nadd a library book where\n  the title is "Beowulf"\n  the isbn is "4"'
    )
    assert shelf.books["4"].author == "Anonymous"
    with pytest.raises(MissingArgumentError, match="needs the isbn") as caught:
        session.run('add a library book where the title is "x"')
    assert caught.value.hint == "Add 'the isbn is ...' under 'where', or name it before the call."


def test_relative_times_use_the_sessions_clock(shelf: library.Shelf) -> None:
    clock = FixedClock(NOW)
    session = Session(library.books, clock=clock, resources=[shelf], say=lambda line: None)
    session.run(
        SHELF + 'find a book whose title is "Emma"\nlend the book where the borrower phone is "+14155550100"'
    )
    assert session.run("find some books whose date borrowed is today").value[0].title == "Emma"
    clock.advance(dt.timedelta(days=1))
    assert session.run("find some books whose date borrowed is today").value == []
    assert session.run("find some books whose date borrowed is yesterday").value[0].title == "Emma"
    assert session.run("find some books whose date borrowed is after 25 hours ago").value[0].title == "Emma"


def test_the_books_time_zone_decides_what_a_day_is(shelf: library.Shelf) -> None:
    late = dt.datetime(2024, 3, 10, 2, tzinfo=dt.UTC)  # still 9 March in New York
    session = Session(library.books, clock=FixedClock(late), timezone="America/New_York", resources=[shelf])
    session.run(
        SHELF + 'find a book whose title is "Emma"\nlend the book where the borrower phone is "+14155550100"'
    )
    assert len(session.run("find some books whose date borrowed is 2024-03-09").value) == 1
    assert session.run("find some books whose date borrowed is 2024-03-10").value == []


# ------------------------------------------------------------------ errors


def _error(session: Session, text: str, kind: type[Exception]) -> object:
    with pytest.raises(kind) as caught:
        session.run(text)
    return caught.value


def test_unknown_call(session: Session) -> None:
    error = _error(session, "say 1\nfind some bookz", UnknownCallError)
    assert (error.line, error.column) == (2, 1)
    assert error.suggestions[0] == "find some books"
    assert "no procedure answers to 'find bookz'" in str(error)
    assert "  find some bookz\n  ^^^^^^^^^^^^^^^" in str(error)


def test_unknown_field(session: Session) -> None:
    error = _error(session, 'find some books whose auther is "x"', UnknownFieldError)
    assert (error.line, error.column, error.word) == (1, 23, "auther")
    assert error.hint == "Did you mean 'author'?"
    assert "a library book has no field 'auther'" in error.message


def test_unknown_field_in_a_possessive(session: Session) -> None:
    session.run('find a book whose title is "Emma"')
    error = _error(session, "say the book's titel", UnknownFieldError)
    assert (error.column, error.word, error.suggestions[0]) == (16, "titel", "title")


def test_unknown_reference(session: Session) -> None:
    error = _error(session, "the start date is 2024-03-01\nsay the stat date", UnknownReferenceError)
    assert (error.line, error.column, error.word) == (2, 5, "the stat date")
    assert error.suggestions == ("start date",)
    assert "known: the start date" in error.message


def test_unknown_argument(session: Session) -> None:
    error = _error(
        session, 'add a library book where\n  the titel is "x"\n  the isbn is "9"', UnknownArgumentError
    )
    assert (error.line, error.column) == (2, 7)
    assert error.hint == "Did you mean 'the title'?"


def test_values_are_checked_before_the_procedure_runs(session: Session, shelf: library.Shelf) -> None:
    error = _error(
        session,
        'add a library book where\n  the title is "x"\n  the author is "y"\n  the isbn is "5"\n  the year is "nineteen"',
        ValueTypeError,
    )
    assert (error.line, error.column, error.word) == (5, 15, '"nineteen"')
    assert "the year takes a number, not the text" in error.message
    assert "5" not in shelf.books
    error = _error(session, 'find some books whose date borrowed is "banana"', ValueTypeError)
    assert (error.column, error.word) == (40, '"banana"')
    assert "'date borrowed' takes a date and time, not the text \"banana\"" in error.message
    error = _error(session, 'find some books whose borrower phone is "+1415"', ValueTypeError)
    assert "not a possible phone number" in error.message
    error = _error(session, 'find some books whose status is "borowed"', ValueTypeError)
    assert error.hint == 'Did you mean "borrowed"?'
    error = _error(session, "find some books whose year contains 19", ValueTypeError)
    assert "'contains' does not apply to 'year', which is a number" in error.message
    assert (error.column, error.word) == (23, "year contains 19")


def test_syntax_errors_come_first(session: Session) -> None:
    error = _error(session, "find some books whose title contains dune", EnglishSyntaxError)
    assert error.hint == 'Put text in double quotes: "dune".'


def test_a_singular_reference_to_many_is_ambiguous(session: Session) -> None:
    session.run("find some books")
    error = _error(session, "say the book's title", AmbiguousReferenceError)
    assert "'the book' is ambiguous: the latest result holds 3 of them" in error.message


def test_failures_inside_procedures_point_at_the_call(session: Session) -> None:
    error = _error(session, 'say 1\nconvert "soon" to a datetime', ValueTypeError)
    assert (error.line, error.column, error.word) == (2, 9, '"soon"')
    error = _error(session, "find some books\nprocess each book as follows\n  lend the book", RunError)
    assert "needs the borrower phone" in error.message


# ------------------------------------------------------------------ loops


def test_loops_over_asynchronous_procedures_run_concurrently_in_order(shelf: library.Shelf) -> None:
    said: list[str] = []
    session = Session(library.books, resources=[shelf], concurrency=4, say=said.append)
    script = "\n".join(
        f'add a library book with the title is "Book {n:02d}" and the author is "A" and the isbn is "{n}"'
        for n in range(20)
    )
    session.run(script)
    session.run(
        "find some books\nprocess each book as follows\n  say the book's title\n"
        '  notify a borrower where\n    the borrower phone is "+14155550100"\n    the message is the book\'s title'
    )
    assert said == [f"Book {n:02d}" for n in range(20)]
    assert len(shelf.notices) == 20
    assert 1 < shelf.most_running <= 4


def test_every_item_is_attempted_and_failures_are_reported(shelf: library.Shelf) -> None:
    session = Session(library.books, resources=[shelf], say=lambda line: None)
    session.run('add a library book with the title is "fail" and the author is "A" and the isbn is "1"')
    session.run('add a library book with the title is "ok" and the author is "A" and the isbn is "2"')
    session.run('add a library book with the title is "fail" and the author is "B" and the isbn is "3"')
    with pytest.raises(LoopError) as caught:
        session.run(
            "find some books\nprocess each book as follows\n"
            '  notify a borrower where\n    the borrower phone is "+14155550100"\n    the message is the book\'s title'
        )
    error = caught.value
    assert [position for position, _ in error.failures] == [1, 2]
    assert "2 of 3 books failed" in error.message
    assert shelf.notices == [("+14155550100", "ok")]
    assert json.loads(json.dumps(error.to_dict()))["failures"][0]["item"] == 1


# ------------------------------------------------------------------ agents


def test_steps_answer_json_for_agents(session: Session) -> None:
    step = session.step("find some books whose price is less than 10")
    assert json.loads(json.dumps(step)) == step
    (book,) = step["result"]
    assert book["title"] == "Dune" and book["price"] == 9.99 and book["date_borrowed"] is None
    error = session.step('find some books whose auther is "x"')["error"]
    assert error == {
        "kind": "unknown field",
        "message": "a library book has no field 'auther'; its fields are: title, author, year, isbn, status, "
        "borrower phone, date borrowed, price, tags",
        "line": 1,
        "column": 23,
        "end_line": 1,
        "end_column": 29,
        "word": "auther",
        "hint": "Did you mean 'author'?",
        "suggestions": ["author"],
    }
    assert session.step("find some books whose")["error"]["kind"] == "syntax"


def test_json_of_times_and_numbers(session: Session) -> None:
    session.run('find a book whose title is "Emma"\nlend the book where the borrower phone is "+14155550100"')
    step = session.step("say 1")
    assert step == {"result": "1", "said": ["1"]}
    lent = session.step('find a book whose title is "Emma"')["result"]
    assert lent["date_borrowed"] == "2024-03-10T12:00:00Z"
    assert session.step("the price is -0.0075")["result"] == -0.0075
    assert session.step("the price is 3")["result"] == 3
    assert Decimal(str(session.run("the price is -0.0075").value)) == Decimal("-0.0075")
