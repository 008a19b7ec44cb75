"""Syntax errors: where they point, what they say, and that nothing of lark leaks.

The known mistakes live in grammar/mistakes.tsv, one case a line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grammar import BookError, EnglishSyntaxError, parse_filter, parse_script

TABLE = Path(__file__).parent.parent / "grammar" / "mistakes.tsv"


def _rows() -> list[tuple[int, str, str, str]]:
    """The lines of mistakes.tsv: number, sentence (⏎ for a line break), place and words."""
    rows = []
    for number, line in enumerate(TABLE.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip() and not line.startswith("#"):
            sentence, place, words = line.split("\t")
            rows.append((number, sentence, place, words))
    return rows


def _mistakes() -> list[object]:
    cases = []
    for number, sentence, place, words in _rows():
        row, column = (int(part) for part in place.split(":"))
        cases.append(pytest.param(sentence.replace("⏎", "\n"), row, column, words, id=f"line{number}"))
    return cases


@pytest.mark.parametrize(("sentence", "line", "column", "words"), _mistakes())
def test_known_mistake_is_explained(sentence: str, line: int, column: int, words: str) -> None:
    with pytest.raises(EnglishSyntaxError) as caught:
        parse_script(sentence)
    error = caught.value
    assert (error.line, error.column) == (line, column), str(error)
    assert words in str(error)
    # The message quotes the line and puts a caret under the offending word.
    quoted, carets = str(error).split("\n")[1:3]
    written = sentence.split("\n")[line - 1]
    if len(written) <= 100:
        assert quoted == "  " + written
        assert carets.index("^") == column + 1
    else:  # a long line is quoted as a window around the mistake
        assert len(quoted) < 120 and quoted[carets.index("^")] == written[column - 1]


def test_error_is_the_projects_and_hides_lark() -> None:
    with pytest.raises(EnglishSyntaxError) as caught:
        parse_filter("body contains refund")
    error = caught.value
    assert isinstance(error, BookError)
    assert type(error).__module__ == "grammar.errors"
    assert error.word == "refund"
    assert "lark" not in str(error).lower()
    assert "Token" not in str(error)


def test_error_is_json_ready_for_agents() -> None:
    with pytest.raises(EnglishSyntaxError) as caught:
        parse_script('say "hi"\nread some SMS messages whose body contains refund')
    data = json.loads(json.dumps(caught.value.to_dict()))
    assert data["kind"] == "syntax"
    assert (data["line"], data["column"], data["word"]) == (2, 44, "refund")
    assert data["hint"] == 'Put text in double quotes: "refund".'
    assert data["message"].startswith("expected a value")


def test_glued_words_are_rejected() -> None:
    with pytest.raises(EnglishSyntaxError):
        parse_script('read some SMS messages whosesender number is "x"')
    with pytest.raises(EnglishSyntaxError):
        parse_filter('sender number is"x"andbody contains "y"')


def test_a_filter_stays_on_one_line() -> None:
    with pytest.raises(EnglishSyntaxError) as caught:
        parse_filter('body contains "a"\nand status is "sent"')
    assert caught.value.line == 1


def test_non_text_input_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="expected English text"):
        parse_script(b"say 1")  # type: ignore[arg-type]


@pytest.mark.parametrize("sign", ["", "-"])
def test_a_number_of_thousands_of_digits_is_refused_briefly(sign: str) -> None:
    # Python will not convert integers of more than 4,300 digits; the check must
    # come first, and the message must not echo all of them.
    with pytest.raises(EnglishSyntaxError) as caught:
        parse_script(f"read the first {sign}{'9' * 5000} SMS messages")
    assert "..." in str(caught.value) and len(str(caught.value)) < 400
    assert caught.value.column == 16


def test_every_phrasing_of_the_table_is_tested_through_a_mistake() -> None:
    """grammar/phrasings.tsv drives the simple hints by example (as lark's match_examples
    does); each of its hints is the whole hint of a sentence of mistakes.tsv."""
    from grammar.hints import PHRASINGS

    hints = [
        line.split("\t")[1]
        for line in PHRASINGS.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    given = {_hint(sentence.replace("⏎", "\n")) for _, sentence, _, _ in _rows()}
    assert hints and [hint for hint in hints if hint not in given] == []


def _hint(sentence: str) -> str | None:
    """The hint of the sentence's error (None if it parses: test_known_mistake_is_explained says so)."""
    try:
        parse_script(sentence)
    except EnglishSyntaxError as error:
        return error.hint
    return None


def test_a_phrasing_hint_does_not_land_on_a_different_mistake_in_the_same_place() -> None:
    with pytest.raises(EnglishSyntaxError) as caught:
        parse_script("read refund messages")  # fails where 'how many' fails, at another word
    assert "To count" not in str(caught.value)
    with pytest.raises(EnglishSyntaxError) as caught:
        parse_script("read some SMS messages whose sender number is +15005550006")  # '+' not after a text
    assert "double quotes" in str(caught.value)


def test_a_symbol_of_the_phrasing_table_is_underlined_whole() -> None:
    with pytest.raises(EnglishSyntaxError) as caught:
        parse_script("read some SMS messages whose price >= 3")
    assert str(caught.value).split("\n")[2] == " " * 37 + "^^"


def test_the_phrasing_table_explains_filters_too() -> None:
    with pytest.raises(EnglishSyntaxError) as caught:
        parse_filter('status is not "failed" or "undelivered"')
    assert 'write "is not one of"' in str(caught.value)
    with pytest.raises(EnglishSyntaxError) as caught:
        parse_filter("price = 3")
    assert "Write 'is' instead of '='." in str(caught.value)


def test_every_terminal_is_named_in_words_where_it_is_expected() -> None:
    """No error says what the parser expects by a terminal's name (NUMBER_OF)."""
    from grammar.hints import describe_expected
    from grammar.parser import parser

    for terminal in parser().terminals:
        if terminal.name.startswith("__"):  # lark's own, for what is ignored
            continue
        words = describe_expected({terminal.name})
        assert terminal.name not in words, (terminal.name, words)


def test_a_count_is_named_in_words_where_it_could_stand() -> None:
    with pytest.raises(EnglishSyntaxError) as caught:
        parse_script("say the \u201cthere\u201d")
    assert "expected 'number of' or a word after 'the'" in str(caught.value)
