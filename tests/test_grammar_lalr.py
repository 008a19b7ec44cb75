"""The parser's own loop over lark's tables (grammar/lalr.py) against lark's parser.

- Same answer: any text gives the same tree, with the same span on every node, or
  the same error (message, place, hint), through the loop as through lark alone.
- The loop reads what parses by itself: lark is asked only about text that fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import strategies
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_grammar_properties import mutations

import grammar.parser
from grammar import EnglishSyntaxError, Node, parse_event, parse_filter, parse_name, parse_script, walk
from grammar.lalr import Loop, Unsure

PARSES: dict[str, Callable[[str], Node]] = {
    "script": parse_script,
    "filter": parse_filter,
    "name": parse_name,
    "event": parse_event,
}
MISTAKES = Path(grammar.parser.__file__).parent / "mistakes.tsv"
FIXTURE = Path(__file__).parent / "fixtures" / "sentences.txt"
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class _Refusing:
    def parse(self, text: str, start: str) -> Any:
        raise Unsure("refused: lark alone parses")


@contextmanager
def _lark_alone() -> Iterator[None]:
    with mock.patch.object(grammar.parser, "_loop", _Refusing):
        yield


@contextmanager
def _loop_alone() -> Iterator[None]:
    grammar.parser._loop()  # its tables, taken from lark's parser before lark is refused

    def refuse() -> Any:
        raise AssertionError("lark's parser was asked about a text the loop should read")

    with mock.patch.object(grammar.parser, "parser", refuse):
        yield


def _outcome(parse: Callable[[str], Node], text: str) -> tuple[Any, ...]:
    """The tree with every node's span, or the error with its place and hint."""
    try:
        tree = parse(text)
    except EnglishSyntaxError as error:
        return ("error", str(error), error.span, error.hint, error.suggestions)
    return ("tree", tree, [(type(node).__name__, node.span) for node in walk(tree)])


def _same_through_both(text: str) -> None:
    for parse in PARSES.values():
        with _lark_alone():
            expected = _outcome(parse, text)
        assert _outcome(parse, text) == expected


def _sentences() -> list[object]:
    """The cases of sentences.txt: the parse for their kind, and the input."""
    cases = []
    for line in FIXTURE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            written = line.split(" => ")[0].replace("⏎", "\n")
            kind, _, rest = written.partition(": ")
            parse = PARSES.get(kind) if kind in ("filter", "name") else None
            cases.append(pytest.param(parse or parse_script, rest if parse else written, id=written[:60]))
    return cases


@pytest.mark.parametrize(("parse", "sentence"), _sentences())
def test_every_sentence_is_read_by_the_loop_alone_as_lark_reads_it(
    parse: Callable[[str], Node], sentence: str
) -> None:
    with _lark_alone():
        expected = _outcome(parse, sentence)
    with _loop_alone():
        assert _outcome(parse, sentence) == expected


def test_the_loop_alone_reads_names_events_and_indented_scripts() -> None:
    cases = [
        (parse_name, "to read some (*SMS* messages)"),
        (parse_event, "when an SMS message's status changes"),
        (parse_script, '  # a note\n  if the count is 2 then\n\tsay "two"\n  else\n     say "other"\n'),
        (parse_filter, 'body contains "x"   '),  # space at the end: ignored, then the end
        (parse_script, 'say "hi"  # a note\r\n\r\nsay \u201cthere\u201d # another\r\n'),
    ]
    for parse, text in cases:
        with _lark_alone():
            expected = _outcome(parse, text)
        with _loop_alone():
            assert _outcome(parse, text) == expected


def _mistakes() -> list[str]:
    lines = MISTAKES.read_text(encoding="utf-8").splitlines()
    return [
        line.split("\t")[0].replace("⏎", "\n") for line in lines if line.strip() and not line.startswith("#")
    ]


@pytest.mark.parametrize("sentence", _mistakes())
def test_known_mistakes_give_the_same_error(sentence: str) -> None:
    with _lark_alone():
        expected = _outcome(parse_script, sentence)
    assert expected[0] == "error"
    assert _outcome(parse_script, sentence) == expected


@pytest.mark.parametrize(
    "text",
    [
        'ſay "hi"',  # a long s: lark's case-insensitive match takes it for "say"
        'SAY "hi"\nſAY "hi"',
        'read some SMS messages whose ſtatus is "sent"',
        "say the \u212aelvin",  # the Kelvin sign, a capital K to the regular expression
    ],
)
def test_words_beyond_ascii_are_told_from_keywords_as_lark_tells_them(text: str) -> None:
    with _lark_alone():
        expected = _outcome(parse_script, text)
    with _loop_alone():
        assert _outcome(parse_script, text) == expected


@SETTINGS
@given(strategies.scripts)
def test_generated_scripts_give_the_same_tree_and_spans(script: Any) -> None:
    _same_through_both(str(script))


@SETTINGS
@given(strategies.filters)
def test_generated_filters_give_the_same_tree_and_spans(tree: Any) -> None:
    _same_through_both(str(tree))


@SETTINGS
@given(mutations())
def test_mutated_sentences_give_the_same_tree_or_error(text: str) -> None:
    _same_through_both(text)


@SETTINGS
@given(
    st.text(
        alphabet=st.sampled_from(list(" \t\r\n#\"()*,:'\u2019\u201c\u201d{}abdeinorstTé0123-ſ\u212a")),
        max_size=40,
    )
)
def test_arbitrary_text_gives_the_same_tree_or_error(text: str) -> None:
    _same_through_both(text)


def test_a_lark_laid_out_otherwise_leaves_every_text_to_lark() -> None:
    loop = Loop(mock.Mock(spec=[]))  # a parser with none of the parts the loop reads
    with pytest.raises(Unsure, match="not laid out"):
        loop.parse('say "hi"', "script")
