"""Registering procedures: names read the Kognitos way, and each declaration mistake
caught when the module is imported, with a clear message."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path
from typing import NamedTuple

import library
import pytest

import procedures
from grammar import Call, Filter, Reference, parse_script
from procedures import (
    Concept,
    Context,
    Kind,
    RegistrationError,
    Registry,
    Session,
    UnknownCallError,
    core,
)

registry = core


def test_names_are_read_the_kognitos_way() -> None:
    find = library.books["to find some (books)"]
    assert (find.name.verb, str(find.noun), find.plural, find.output) == ("find", "books", True, True)
    assert (find.filter, find.limit, find.context) == ("filter", "limit", "context")
    assert find.concept is library.LibraryBook
    add = library.books["to add a *library* book"]
    assert (str(add.noun), add.plural, add.output) == ("*library* book", False, False)
    assert [item.english for item in add.inputs] == ["title", "author", "isbn", "year", "price"]
    assert [item.required for item in add.inputs] == [True, True, True, False, False]
    assert add.inputs[0].description == "The book's title."
    lend = library.books["to lend a book"]
    assert lend.subject is not None and lend.subject.parameter == "book"
    assert lend.subject.type.kind is Kind.CONCEPT
    convert = registry["to convert a *text* to a (datetime)"]
    assert convert.value is not None and convert.value.parameter == "text"
    assert str(convert.noun) == "datetime" and convert.output
    assert library.books["to notify a borrower"].asynchronous


def test_calls_resolve_by_verb_and_noun_in_singular_or_plural() -> None:
    books = library.books
    assert books.find("find some books").english == "to find some (books)"
    assert books.find("find a book").english == "to find some (books)"
    assert books.find('FIND the first 3 Books whose title is "x"').english == "to find some (books)"
    assert books.find("add a Library Book").english == "to add a *library* book"
    assert books.find("add a *library* book").english == "to add a *library* book"
    assert books.find("lend the book").english == "to lend a book"
    assert registry.find('convert "2024-03-01" to a date').english == "to convert a *text* to a (date)"


def test_unknown_call_suggests_the_closest_procedures() -> None:
    with pytest.raises(UnknownCallError) as caught:
        library.books.find("find some bokos")
    assert caught.value.suggestions[0] == "find some books"
    assert caught.value.hint == "Did you mean 'find some books'?"
    with pytest.raises(UnknownCallError, match="cannot take a 'whose' filter"):
        library.books.find('add a library book whose title is "x"')


def _register(source: str) -> None:
    """Register the procedures defined in ``source`` in a fresh registry."""
    scope = {
        "Registry": Registry,
        "Filter": Filter,
        "Context": Context,
        "Concept": Concept,
        "LibraryBook": library.LibraryBook,
        "fresh": Registry(),
        "Reference": Reference,
        "Over": procedures.Filter,
        "Plan": Plan,
    }
    exec(textwrap.dedent(source), scope)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param(
            '''
            @fresh.procedure("to add a *library* book")
            def one(title: str) -> str:
                """Input Concepts:
                    the title: A title."""
                return title
            @fresh.procedure("to add a *library* book")
            def two(title: str) -> str:
                """Input Concepts:
                    the title: A title."""
                return title
            ''',
            "the English name 'to add a *library* book' is registered twice",
            id="same name twice",
        ),
        pytest.param(
            '''
            @fresh.procedure("to greet a person")
            def greet(nickname: str) -> str:
                """Says hello."""
                return nickname
            ''',
            "parameter 'nickname' matches no input concept",
            id="parameter matching no concept",
        ),
        pytest.param(
            '''
            @fresh.procedure("to find some (books)")
            def find(filter: Filter | None) -> LibraryBook:
                """Finds."""
                raise NotImplementedError
            ''',
            "a filter-capable procedure must return a list",
            id="filter-capable not returning a list",
        ),
        pytest.param(
            '''
            @fresh.procedure("to find a (book)")
            def find(filter: Over[LibraryBook] | None) -> int:
                """Finds."""
                return 0
            ''',
            "a filter-capable procedure must return a list",
            id="filter-capable of one thing, not a list",
        ),
        pytest.param(
            '''
            class Author(Concept):
                english = "author"
                name: str
            @fresh.procedure("to find some (books)")
            def find(filter: Over[LibraryBook] | None) -> list[Author]:
                """Finds."""
                return []
            ''',
            "its filter is over LibraryBook, but it returns Author items",
            id="filter over one concept, returning another",
        ),
        pytest.param(
            '''
            def hook(filter: Over[LibraryBook] | None, size: int) -> Plan:
                return Plan("", size)
            @fresh.procedure("to find some (books)", prepare=hook)
            def find(plan: Plan) -> list[LibraryBook]:
                """Finds."""
                return []
            ''',
            "a prepare hook takes a filter (typed Filter[...]), 'limit' and a Context, nothing else",
            id="prepare hook taking something else",
        ),
        pytest.param(
            '''
            def hook(filter: Over[LibraryBook] | None) -> Plan:
                return Plan("", None)
            @fresh.procedure("to find some (books)", prepare=hook)
            def find(context: Context) -> list[LibraryBook]:
                """Finds."""
                return []
            ''',
            "one parameter takes what the hook makes",
            id="prepare hook whose plan nothing takes",
        ),
        pytest.param(
            '''
            def hook(filter: Over[LibraryBook] | None) -> Plan:
                return Plan("", None)
            @fresh.procedure("to find some (books)", prepare=hook)
            def find(plan: Plan, filter: Over[LibraryBook] | None) -> list[LibraryBook]:
                """Finds."""
                return []
            ''',
            "its prepare hook takes the filter and the limit",
            id="prepare hook and a filter of its own",
        ),
        pytest.param(
            '''
            @fresh.procedure("to find a (book)")
            def find(filter: Filter | None) -> list[str]:
                """Finds."""
                return []
            ''',
            "must return a list of a concept",
            id="filter-capable returning plain values",
        ),
        pytest.param(
            '''
            @fresh.procedure("to list some (books)")
            def find() -> LibraryBook:
                """Lists."""
                raise NotImplementedError
            ''',
            "a procedure of 'some' things must return a list",
            id="some without a list",
        ),
        pytest.param(
            '''
            @fresh.procedure("send an SMS message")
            def send() -> str:
                """Sends."""
                return ""
            ''',
            "an English name starts with 'to'",
            id="name without to",
        ),
        pytest.param(
            '''
            @fresh.procedure("to send an SMS message whose")
            def send() -> str:
                """Sends."""
                return ""
            ''',
            "the name does not parse",
            id="malformed name",
        ),
        pytest.param(
            '''
            @fresh.procedure("to send (an SMS message")
            def send() -> str:
                """Sends."""
                return ""
            ''',
            "the name does not parse",
            id="unclosed output parenthesis",
        ),
        pytest.param(
            '''
            @fresh.procedure("to greet a person")
            def greet(name) -> str:
                """Input Concepts:
                    the name: Who."""
                return name
            ''',
            "parameter 'name' needs a type annotation",
            id="parameter without annotation",
        ),
        pytest.param(
            '''
            @fresh.procedure("to greet a person")
            def greet(name: str):
                """Input Concepts:
                    the name: Who."""
                return name
            ''',
            "it needs a return annotation",
            id="no return annotation",
        ),
        pytest.param(
            '''
            @fresh.procedure("to greet a person")
            def greet(name: str) -> str:
                """Input Concepts:
                    the name: Who.
                    the mood: How."""
                return name
            ''',
            "documents 'the mood', but it has no parameter 'mood'",
            id="documented input without parameter",
        ),
        pytest.param(
            '''
            @fresh.procedure("to greet a person")
            def greet(name: set[int]) -> str:
                """Input Concepts:
                    the name: Who."""
                return ""
            ''',
            "is not a type the English can use",
            id="parameter of an unusable type",
        ),
        pytest.param(
            '''
            @fresh.procedure("to greet a person")
            def greet(*names: str) -> str:
                """Greets."""
                return ""
            ''',
            "must be an ordinary (keyword) parameter",
            id="variadic parameter",
        ),
        pytest.param(
            '''
            @fresh.procedure("to greet a person")
            def one() -> str:
                """Greets."""
                return ""
            @fresh.procedure("to greet some persons")
            def two() -> list[str]:
                """Greets."""
                return []
            ''',
            "would answer the same calls",
            id="two procedures for the same calls",
        ),
        pytest.param(
            '''
            @fresh.procedure("to convert a *text* to a (colour)")
            def convert(words: str) -> str:
                """Input Concepts:
                    the words: Text."""
                return words
            ''',
            "needs a parameter named 'text'",
            id="conversion without its value",
        ),
        pytest.param(
            """
            class Thing(Concept):
                english = "thing"
                parts: set[int]
            """,
            "field 'parts' of concept 'thing'",
            id="concept field of an unusable type",
        ),
        pytest.param(
            """
            class Thing(Concept):
                size: int
            """,
            "concept Thing needs an English name",
            id="concept without an English name",
        ),
    ],
)
def test_registration_mistake(source: str, message: str) -> None:
    with pytest.raises(RegistrationError) as caught:
        _register(source)
    assert message in str(caught.value)
    assert caught.value.kind == "registration"


def test_mistakes_are_caught_when_the_module_is_imported(tmp_path: Path) -> None:
    module = tmp_path / "broken_book.py"
    module.write_text(
        textwrap.dedent(
            '''
            from procedures import Registry

            vocabulary = Registry()

            @vocabulary.procedure("to greet a person")
            def greet(nickname: str) -> str:
                """Says hello."""
                return nickname
            '''
        )
    )
    spec = importlib.util.spec_from_file_location("broken_book", module)
    assert spec is not None and spec.loader is not None
    with pytest.raises(RegistrationError, match="'nickname' matches no input concept") as caught:
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
    assert "broken_book.greet" in str(caught.value)
    assert "broken_book" not in sys.modules


def test_registering_the_same_function_again_replaces_it() -> None:
    fresh = Registry()

    def greet(name: str) -> str:
        """Input Concepts:
        the name: Who."""
        return name

    fresh.procedure("to greet a person")(greet)
    fresh.procedure("to greet a person")(greet)
    assert len(fresh) == 1


class Plan(NamedTuple):
    """What the test's prepare hook makes of a call: its filter in English, and its limit."""

    filter: str
    limit: int | None


def test_the_procedure_model_is_explicit() -> None:
    """Whether a procedure yields many, the concept its filter is over (from the
    annotation), and whether the result is named by its noun or is the answer."""
    find, count = library.books["to find some (books)"], library.books["to count some (books)"]
    assert (find.plural, find.many, find.output, find.concept) == (True, True, True, library.LibraryBook)
    assert (count.plural, count.many, count.output, count.concept) == (
        True,
        False,
        False,
        library.LibraryBook,
    )
    assert count.filter == "filter" and count.limit is None


def test_a_bare_filter_is_over_the_concept_of_the_list_returned() -> None:
    fresh = Registry()

    @fresh.procedure("to find some (books)")
    def find(filter: Filter | None) -> list[library.LibraryBook]:
        """Finds."""
        return []

    assert fresh["to find some (books)"].concept is library.LibraryBook


def test_a_count_of_some_things_is_a_number_the_answer() -> None:
    """The noun of 'to count some (books)' names what it counts, not what it gives."""
    with Session(library.books, resources=[library.Shelf()], say=lambda line: None) as session:
        for isbn, author in (("1", "Frank Herbert"), ("2", "Jane Austen"), ("3", "Brian Herbert")):
            session.run(
                f'add a library book with the title is "t{isbn}" and the author is "{author}" and the isbn is "{isbn}"'
            )
        assert session.run('count some books whose author contains "herbert"').value == 2
        assert session.run("count some books").value == 3
        assert session.run('count the books whose author is "Jane Austen"').value == 1
        assert session.step("say the answer")["result"] == "1"
        assert session.step("say the books")["error"]["kind"] == "unknown reference"


def _call(text: str) -> Call:
    (call,) = parse_script(text).statements
    assert isinstance(call, Call)
    return call


def test_a_prepare_hook_makes_what_the_procedure_takes_for_run_and_explain_alike() -> None:
    fresh = Registry()
    taken: list[Plan] = []

    def plan_find(filter: procedures.Filter[library.LibraryBook] | None, limit: int | None) -> Plan:
        return Plan(str(filter), limit)

    @fresh.procedure("to find some (books)", prepare=plan_find)
    def find(plan: Plan, context: Context) -> list[library.LibraryBook]:
        """Finds."""
        taken.append(plan)
        return [library.LibraryBook(title="Dune", author="Frank Herbert", isbn="1")]

    entry = fresh["to find some (books)"]
    assert (entry.filter, entry.limit, entry.prepared, entry.concept) == (
        "filter",
        "limit",
        "plan",
        library.LibraryBook,
    )
    with Session(fresh, say=lambda line: None) as session:
        one = _call('find a book whose title is "Dune"')
        prepared = session.runner().prepare(entry, one)
        assert (prepared.plan, prepared.limit, prepared.single) == (Plan('title is "Dune"', 2), 2, True)
        assert "plan" in prepared.arguments and "filter" not in prepared.arguments
        assert taken == []  # preparing runs nothing
        session.run(str(one))
        session.run("find the first 3 books")
    assert taken == [Plan('title is "Dune"', 2), Plan("None", 3)]


def test_an_unknown_procedure_names_every_verb_not_a_cut_list() -> None:
    from book.procedures import registry as book

    error = procedures.Session(book).step("frobnicate the SMS messages")["error"]
    assert error["kind"] == "unknown procedure"
    for verb in ("send", "redact", "read", "count", "cancel", "delete", "set"):
        assert verb in error["hint"]  # the list was cut at 8 procedures: send and redact were not in it


def test_an_ordering_written_into_the_noun_is_named_in_the_error() -> None:
    from book.procedures import registry as book

    for ordered in ("read some SMS messages sorted by date", "read some SMS messages ordered by status"):
        error = procedures.Session(book).step(ordered)["error"]
        assert "write 'oldest first' at the end of the call" in error["message"], ordered
