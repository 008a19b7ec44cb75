"""Sentences -> canonical English, one case a line in fixtures/sentences.txt.

Each case parses, prints as the expected canonical English, and that English
parses back to an equal tree: the grammar's promise that ``str(tree)`` round-trips.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from grammar import parse_filter, parse_name, parse_script

FIXTURES = Path(__file__).parent / "fixtures"
PARSERS: dict[str, Any] = {"filter": parse_filter, "name": parse_name, "script": parse_script}


def _cases() -> list[Any]:
    cases = []
    for number, line in enumerate((FIXTURES / "sentences.txt").read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        kind = "script"
        for prefix in ("filter", "name"):
            if line.startswith(prefix + ": "):
                kind, line = prefix, line[len(prefix) + 2 :]
        source, _, canonical = line.partition(" => ")
        source = source.replace("⏎", "\n")
        canonical = canonical.replace("⏎", "\n") if canonical else source
        cases.append(pytest.param(kind, source, canonical, id=f"line{number}"))
    return cases


@pytest.mark.parametrize(("kind", "source", "canonical"), _cases())
def test_sentence_renders_canonically_and_round_trips(kind: str, source: str, canonical: str) -> None:
    parse = PARSERS[kind]
    tree = parse(source)
    assert str(tree) == canonical
    assert parse(canonical) == tree


def test_fixture_holds_every_quoted_example_of_the_docs() -> None:
    """Every English example quoted in the shared docs appears in the fixture."""
    text = (FIXTURES / "sentences.txt").read_text(encoding="utf-8")
    for example in [
        "to send an *SMS* message",
        "to read some (*SMS* messages)",
        'read some sms messages whose sender number is "+18004445555" and whose recipient number is "+18004446666"',
        'convert "2022-03-01T15:00:00Z" to a datetime',
        "use the above as the start date",
        "read some sms messages whose date sent is after the start date and whose date sent is before the end date",
        "the start date is 2024-03-01",
        'send an SMS message with the recipient number is "+1..." and the message body is "Hi"',
        "whose A is 1 and whose B is 2",
        "whose A is 1 and B is 2",
        'whose date sent is "banana"',
        "the SMS message's sender number",
    ]:
        assert example in text, example
