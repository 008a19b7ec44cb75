"""Every example script parses, and its canonical English parses back to the same tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from grammar import parse_script

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.english"))


def test_there_are_examples() -> None:
    assert EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_parses_and_round_trips(path: Path) -> None:
    script = parse_script(path.read_text(encoding="utf-8"))
    assert script.statements
    assert parse_script(str(script)) == script
