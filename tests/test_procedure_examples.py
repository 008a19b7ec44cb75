"""Every Example in a procedure's docstring runs as a test of the book, with its stated outcome.

Each example is written to a ``.english`` test after a standard set-up (the fixed
clock and 2,000 messages from seed 7) and run by ``book.testing.run_test`` on a
sandbox of its own: its ``expect`` lines are its stated outcome, and an example
without one passes when it runs without error. An example that needs settings
says so on its first line (``# run with: --yes``), which stays first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from book.procedures import registry
from book.testing import run_test

SETUP = "given the time is 2024-06-01T12:00:00Z\ngiven 2000 SMS messages from seed 7\n"

SKIPPED: dict[str, str] = {}
"""Examples that cannot run on a sandbox, by test id, with the reason (none today)."""


def _examples() -> list[tuple[str, str]]:
    return [
        (f"{entry.english}#{number}", example)
        for entry in registry
        for number, example in enumerate(entry.doc.examples, 1)
    ]


def _test_text(example: str) -> str:
    """The example as a test: a '# run with:' line first, then the set-up, then the example."""
    first, _, rest = example.partition("\n")
    if first.startswith("# run with:"):
        return f"{first}\n{SETUP}{rest}\n"
    return f"{SETUP}{example}\n"


def _cases() -> list[Any]:
    return [
        pytest.param(
            example,
            id=name,
            marks=[pytest.mark.skip(reason=SKIPPED[name])] if name in SKIPPED else [],
        )
        for name, example in _examples()
    ]


@pytest.mark.parametrize("example", _cases())
def test_docstring_example_has_its_stated_outcome(tmp_path: Path, example: str) -> None:
    path = tmp_path / "example.english"
    path.write_text(_test_text(example), encoding="utf-8")
    outcome = run_test(path)
    assert outcome.status == "passed", (
        f"{outcome.status}: {outcome.message}\n--- the test:\n{path.read_text()}"
    )


def test_the_skipped_examples_exist() -> None:
    assert set(SKIPPED) <= {name for name, _ in _examples()}


def test_most_examples_state_their_outcome() -> None:
    stated = [
        name
        for name, example in _examples()
        if any(line.strip().startswith("expect ") for line in example.splitlines())
    ]
    assert len(stated) * 2 > len(_examples())


def test_a_wrong_stated_outcome_fails(tmp_path: Path) -> None:
    """The outcome is checked, not only parsed: an example stating a wrong one fails."""
    path = tmp_path / "wrong.english"
    path.write_text(_test_text('convert "-0.0075" to a number\nexpect the above is 1'), encoding="utf-8")
    outcome = run_test(path)
    assert outcome.status == "failed"
    assert "expected the above is 1" in outcome.message
