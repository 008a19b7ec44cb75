"""docs/writing-a-book.md and docs/resources.md cannot rot: the second book is
tests/library.py's and runs, and what the pages quote of the Twilio book is in it.

A page's ``python`` blocks are of two sorts. One that starts with a comment naming
a file of the project (``# book/procedures/numbers.py``) quotes that file: the rest
of the block is in it, line for line (indentation aside). Every other block of
writing-a-book.md runs, in order, in one namespace: the library book, then the
code that uses it (resources.md has none). The book's code is that of
tests/library.py, docstrings aside (the page keeps them short), and neither
imports anything of the Twilio book.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import library
import pytest

from procedures import Registry, Session, ValueTypeError

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "writing-a-book.md"
PAGES = (PAGE, ROOT / "docs" / "resources.md")
_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)
_QUOTED = re.compile(r"# ([\w/]+\.py)\n")


def _blocks(page: Path = PAGE) -> list[str]:
    """A page's python blocks, each after as many empty lines as come before it on
    the page, so that a failure in one is reported at its line of the page."""
    text = page.read_text(encoding="utf-8")
    return ["\n" * text.count("\n", 0, found.start(1)) + found.group(1) for found in _BLOCK.finditer(text)]


def _quotes() -> list[tuple[str, str, str]]:
    """(page, file, what the page quotes of it) for each quoting block of the pages."""
    quotes = []
    for page in PAGES:
        for block in _blocks(page):
            found = _QUOTED.match(block.lstrip("\n"))
            if found:
                quotes.append((page.name, found.group(1), block.lstrip("\n")[found.end() :]))
    return quotes


def _runnable(page: Path = PAGE) -> list[str]:
    return [block for block in _blocks(page) if not _QUOTED.match(block.lstrip("\n"))]


def _lines(text: str) -> str:
    return "\n".join(line.strip() for line in text.strip().splitlines())


def _without_docstrings(tree: ast.AST) -> str:
    """A definition's code, its docstrings (and those of what it defines) left out."""
    tree = ast.parse(ast.unparse(tree))  # a copy
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


def _definitions(source: str) -> dict[str, str]:
    """Each top-level definition of a module but its imports, by name, as code."""
    found: dict[str, str] = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = _without_docstrings(node)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found[",".join(ast.unparse(target) for target in targets)] = _without_docstrings(node)
    return found


def _imported(source: str) -> set[str]:
    """The top-level packages a module imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.fixture(scope="module")
def page() -> dict[str, Any]:
    """The namespace the page's runnable blocks leave, run in order."""
    namespace: dict[str, Any] = {"__name__": "writing_a_book"}
    for block in _runnable():
        exec(compile(block, str(PAGE), "exec", dont_inherit=True), namespace)
    return namespace


def test_the_pages_book_is_tests_library_py_docstrings_aside() -> None:
    book = _runnable()[0]
    mine = _definitions(Path(library.__file__).read_text(encoding="utf-8"))
    shown = _definitions(book)
    assert {"PhoneKind", "LibraryBook", "Shelf", "books", "find_books", "count_books"} <= set(shown)
    for name, code in shown.items():
        assert code == mine.get(name), f"the page's {name} is not tests/library.py's"
    assert len(book.strip("\n").splitlines()) < 100


def test_neither_book_imports_the_twilio_book() -> None:
    for source in (_runnable()[0], Path(library.__file__).read_text(encoding="utf-8")):
        assert _imported(source) <= {
            "__future__",
            "asyncio",
            "datetime",
            "decimal",
            "re",
            "typing",
            "procedures",
        }


@pytest.mark.parametrize(
    ("page", "path", "quoted"), _quotes(), ids=[f"{page}:{path}" for page, path, _ in _quotes()]
)
def test_what_a_page_quotes_is_in_the_file_it_names(page: str, path: str, quoted: str) -> None:
    assert _lines(quoted) in _lines((ROOT / path).read_text(encoding="utf-8"))


def test_every_block_of_resources_md_is_a_quote() -> None:
    assert not [block for block in _runnable(PAGES[1]) if block.strip()]
    assert len([quote for quote in _quotes() if quote[0] == "resources.md"]) >= 2


def test_the_pages_book_answers_english(page: dict[str, Any]) -> None:
    books: Registry = page["books"]
    assert {entry.english for entry in books} >= {
        "to add a *library* book",
        "to find some (books)",
        "to count some (books)",
        "to lend a book",
        "to withdraw a book",  # the page's example of an effect
    }
    with Session(books, resources=[page["Shelf"]()], say=lambda line: None) as session:
        session.run(
            'add a library book with the title is "Dune" and the author is "Frank Herbert" and the isbn is "1"\n'
            'add a library book with the title is "Children of Dune" and the author is "Frank Herbert" '
            'and the isbn is "3"'
        )
        assert [book.title for book in session.run("find the first 1 books").value] == ["Children of Dune"]
        assert session.run('count some books whose title contains "dune"').value == 2
        session.run(
            'find a book whose isbn is "1"\nlend the book where the borrower phone is "+44 20 7946 0000"'
        )
        assert session.run('count the books whose borrower phone is "+442079460000"').value == 1
        with pytest.raises(ValueTypeError, match="not a possible phone number"):
            session.run('find some books whose borrower phone is "12"')
        assert session.step("find some books\nwithdraw the books")["error"]["would"][0]["targets"] == [
            "3",
            "1",
        ]
