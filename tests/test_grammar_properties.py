"""Properties of the grammar, tested with generated trees and generated text.

- Round trip: any tree renders as English that parses back to an equal tree.
- Robustness: any text, and any mutation of a valid sentence, either parses or
  raises the project's EnglishSyntaxError; nothing else escapes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import strategies
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grammar import EnglishSyntaxError, Filter, ProcedureName, Script, parse_filter, parse_name, parse_script

ROUND_TRIP = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ROUND_TRIP
@given(strategies.scripts)
def test_scripts_round_trip(script: Script) -> None:
    assert parse_script(str(script)) == script


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    strategies.scripts,
    st.text(alphabet=" \t", max_size=6),
    st.sampled_from(["", "\n", "\n\n", "# a note\n", "  # an indented note\n\n"]),
)
def test_a_script_indented_as_a_whole_reads_as_written(script: Script, indentation: str, head: str) -> None:
    """Pasted from an indented code block, after blank lines or a note: the first
    statement's indentation is the script's own level."""
    text = head + "\n".join(indentation + line if line else line for line in str(script).split("\n"))
    assert parse_script(text) == script


@ROUND_TRIP
@given(strategies.filters)
def test_filters_round_trip(tree: Filter) -> None:
    assert parse_filter(str(tree)) == tree


@ROUND_TRIP
@given(strategies.names)
def test_names_round_trip(name: ProcedureName) -> None:
    assert parse_name(str(name)) == name


def _valid_sentences() -> list[str]:
    lines = (Path(__file__).parent / "fixtures" / "sentences.txt").read_text(encoding="utf-8").splitlines()
    sentences = []
    for line in lines:
        if line.strip() and not line.startswith("#"):
            sentences.append(
                line.split(" => ")[0].removeprefix("filter: ").removeprefix("name: ").replace("⏎", "\n")
            )
    return sentences


SENTENCES = _valid_sentences()


def _parse_everything(text: str) -> None:
    for parse in (parse_script, parse_filter, parse_name):
        try:
            parse(text)
        except EnglishSyntaxError as error:
            assert error.line is not None and error.line >= 1
            assert error.column is not None and error.column >= 1
            assert str(error)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_parses_or_raises_a_syntax_error(text: str) -> None:
    _parse_everything(text)


@st.composite
def mutations(draw: st.DrawFn) -> str:
    """A valid sentence with words dropped, swapped or duplicated, or a quote cut."""
    words = draw(st.sampled_from(SENTENCES)).split(" ")
    for _ in range(draw(st.integers(1, 3))):
        if not words:
            break
        at = draw(st.integers(0, len(words) - 1))
        kind = draw(st.sampled_from(["drop", "swap", "duplicate", "cut quote", "glue"]))
        if kind == "drop":
            del words[at]
        elif kind == "swap":
            other = draw(st.integers(0, len(words) - 1))
            words[at], words[other] = words[other], words[at]
        elif kind == "duplicate":
            words.insert(at, words[at])
        elif kind == "cut quote" and '"' in words[at]:
            words[at] = words[at].replace('"', "", 1)
        elif kind == "glue" and at + 1 < len(words):
            words[at : at + 2] = [words[at] + words[at + 1]]
    return " ".join(words)


@settings(max_examples=500, deadline=None)
@given(mutations())
def test_mutated_sentences_parse_or_raise_a_syntax_error(text: str) -> None:
    _parse_everything(text)


@pytest.mark.parametrize("text", ["", "\n", "   ", "#", "# only a comment\n", "\t\n\t"])
def test_empty_scripts_have_no_statements(text: str) -> None:
    assert parse_script(text).statements == ()
