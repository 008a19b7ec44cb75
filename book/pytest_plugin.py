"""The pytest plugin of the book: ``.english`` tests collected beside Python's.

Installed with the package (the ``pytest11`` entry point ``sms-book``), so ``pytest``
in a repository runs its English tests too: each ``.english`` file with an
``expect`` line or a golden ``NAME.json`` beside it is one test item, run on a
sandbox of its own as ``book test`` runs it (book/testing.py). A failure shows the
line, a caret under what did not hold and the values on each side. ``-k`` selects
by file name; ``--update`` (or ``--book-update`` when another plugin has taken
``--update``) rewrites golden results. ``-p no:sms-book`` turns the plugin off.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

__all__ = ["EnglishFile", "EnglishTest"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sms-book", "tests written in English (.english)")
    names = ["--book-update"]
    try:
        group.addoption("--update", "--book-update", action="store_true", dest="book_update", help=_HELP)
    except ValueError:  # another plugin has --update
        group.addoption(*names, action="store_true", dest="book_update", help=_HELP)


_HELP = "rewrite the golden NAME.json of .english tests whose result differs"


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix != ".english":
        return None
    from book.testing import is_test

    if not is_test(file_path):
        return None
    found: EnglishFile = EnglishFile.from_parent(parent, path=file_path)
    return found


class EnglishFile(pytest.File):
    """A ``.english`` test file: one item."""

    def collect(self) -> Any:
        yield EnglishTest.from_parent(self, name=self.path.name)


class EnglishTestError(Exception):
    """An English test that did not pass: its outcome's message."""


class EnglishTest(pytest.Item):
    """One English test, run on its own sandbox."""

    def runtest(self) -> None:
        from book.testing import run_test

        outcome = run_test(self.path, update=bool(self.config.getoption("book_update")))
        if outcome.updated:
            self.add_report_section("call", "updated", "\n".join([outcome.message, *outcome.diff]))
        if outcome.said:
            self.add_report_section("call", "said", "\n".join(outcome.said))
        if outcome.status != "passed":
            raise EnglishTestError(f"{outcome.status}: {outcome.message}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, EnglishTestError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"English test {self.path.name}"
