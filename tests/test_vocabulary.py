"""The vocabulary exports itself, and every English example in a procedure's docstring runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import library
import pytest

from book.cli.vocabulary import markdown
from book.procedures import registry
from procedures import Procedure, Session, vocabulary, vocabulary_markdown

DOCS = Path(__file__).resolve().parent.parent / "docs" / "procedures.md"


def test_vocabulary_as_json() -> None:
    data = vocabulary(library.books)
    assert json.loads(json.dumps(data)) == data
    by_name = {entry["name"]: entry for entry in data}
    find = by_name["to find some (books)"]
    assert find["outputs"] == [
        {"name": "the books", "type": "a list of library book", "description": "The books found."}
    ]
    assert find["list"] is True
    fields = {field["name"]: field for field in find["filter"]["fields"]}
    assert find["filter"]["concept"] == "library book"
    assert fields["year"]["type"] == "a number"
    assert "is greater than" in fields["year"]["operators"]
    assert "contains" not in fields["year"]["operators"]
    assert "is after" in fields["date borrowed"]["operators"]
    assert fields["status"]["type"] == 'one of "available", "borrowed" or "lost"'
    assert fields["borrower phone"]["operators"][:3] == ["is", "is one of", "contains"]
    add = by_name["to add a *library* book"]
    assert add["inputs"][3] == {
        "name": "the year",
        "type": "a number",
        "required": False,
        "description": "When it was published.",
    }
    assert add["outputs"][0]["name"] == "the answer"
    assert add["filter"] is None
    assert by_name["to lend a book"]["acts_on"] == {"name": "the book", "type": "a library book"}
    assert by_name["to convert a *text* to a (date)"]["converts"] == {"name": "the text", "type": "text"}


def test_vocabulary_as_markdown() -> None:
    page = vocabulary_markdown(library.books, title="The library book")
    assert page.startswith("# The library book\n")
    assert "### `to find some (books)`" in page
    assert "| year | a number | is, is one of, is greater than, is less than," in page
    assert page.index("## Concepts") < page.index("### library book") < page.index("## Procedures")
    assert '```\nfind some books whose author contains "herbert"\n```' in page


def _library() -> list[Any]:
    return [library.Shelf()]


def _examples() -> list[Any]:
    cases = []
    # the Twilio book's examples run as English tests on a seeded sandbox (tests/test_procedure_examples.py)
    for vocabulary_, setup in ((library.books, _library),):
        for entry in vocabulary_:
            for number, example in enumerate(entry.doc.examples, 1):
                cases.append(pytest.param(vocabulary_, setup, entry, example, id=f"{entry.english}#{number}"))
    return cases


@pytest.mark.parametrize(("vocabulary_", "setup", "entry", "example"), _examples())
def test_docstring_example_runs(vocabulary_: Any, setup: Any, entry: Procedure, example: str) -> None:
    with Session(vocabulary_, resources=setup(), say=lambda line: None) as session:
        session.run(example)


def test_every_procedure_has_an_example() -> None:
    assert all(entry.doc.examples for entry in registry)


def test_the_vocabulary_page_is_up_to_date() -> None:
    """docs/procedures.md is what 'book procedures --format markdown' prints."""
    assert DOCS.read_text(encoding="utf-8") == markdown(), (
        "regenerate: book procedures --format markdown > docs/procedures.md"
    )
