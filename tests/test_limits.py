"""Nothing hangs, nothing escapes: the book under hostile input.

The invariants, in words:

- whatever text is parsed, parsing ends soon, with a tree or with the book's own
  syntax error at the place the text goes wrong, never another exception;
- whatever step an agent sends, ``Session.step`` returns data that
  ``json.dumps(..., allow_nan=False)`` accepts;
- numbers are refused, at the value, outside the range of grammar/limits.py,
  wherever they enter (a literal, ``convert ... to a number``, a procedure's
  result bound to the English), and nothing converts a number before checking it;
- nesting is refused, at the word that passes the limit, as the parser reads
  it; no later stage recurses deeper than Python allows on a tree it accepts;
- a line or a script too long is refused before it is parsed.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import library
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from book.planner import normalise, plan
from book.resources.messages import SmsMessage
from grammar import (
    BookError,
    Comparison,
    EnglishSyntaxError,
    Script,
    check_number,
    parse_filter,
    parse_script,
)
from grammar.limits import DEPTH, DIGITS, LINE, SCRIPT
from procedures import Binder, FixedClock, Registry, Session, jsonable

NOW = dt.datetime(2024, 3, 10, 12, tzinfo=dt.UTC)
DOCS = Path(__file__).parent.parent / "docs" / "language.md"


@pytest.fixture
def session() -> Iterator[Session]:
    with Session(
        library.books, clock=FixedClock(NOW), resources=[library.Shelf()], say=lambda line: None
    ) as made:
        made.run(
            'add a library book with the title is "Dune" and the author is "Frank Herbert" and the isbn is "1"'
        )
        yield made


def _syntax(text: str) -> EnglishSyntaxError:
    with pytest.raises(EnglishSyntaxError) as caught:
        parse_script(text)
    return caught.value


def _quick(seconds: float = 2.0) -> Any:
    """A context that fails when what it wraps takes longer than ``seconds`` (of CPU)."""

    class Quick:
        def __enter__(self) -> None:
            self.start = time.process_time()

        def __exit__(self, *exc: object) -> None:
            spent = time.process_time() - self.start
            assert spent < seconds, f"took {spent:.2f} s of CPU"

    return Quick()


# ------------------------------------------------------------------ numbers


@pytest.mark.parametrize(
    ("number", "words"),
    [
        ("9" * 4301, "4,301 digits before the decimal point"),
        ("1" + "0" * DIGITS, f"{DIGITS + 1} digits before the decimal point"),
        ("-0." + "0" * DIGITS + "5", f"{DIGITS + 1} digits after the decimal point"),
    ],
)
def test_a_number_outside_the_range_is_refused_where_it_is_written(number: str, words: str) -> None:
    error = _syntax(f"say 1\nthe x is {number}")
    assert (error.line, error.column) == (2, 10)
    assert words in error.message and f"at most {DIGITS} digits" in error.message
    assert error.word == number


@pytest.mark.parametrize(
    "number",
    ["9" * DIGITS, "-" + "9" * DIGITS + "." + "9" * DIGITS, "0." + "0" * (DIGITS - 1) + "1", "1." + "0" * 99],
)
def test_numbers_at_the_edges_of_the_range_are_taken_and_print_back(number: str) -> None:
    script = parse_script(f"the x is {number}")
    assert parse_script(str(script)) == script


@pytest.mark.parametrize(
    "text", ["1e999999999", "-1E+999999999", "1e-999999999", "9" * 5_000, "0." + "0" * 40 + "1"]
)
def test_convert_refuses_a_number_outside_the_range_at_once(session: Session, text: str) -> None:
    with _quick():
        error = session.step(f'convert "{text}" to a number')["error"]
    assert error["kind"] == "value"
    assert f"at most {DIGITS} digits before the decimal point and {DIGITS} after it" in error["message"]
    assert (error["line"], error["column"]) == (1, 9)


def test_convert_takes_the_numbers_of_the_range(session: Session) -> None:
    assert session.step('convert "-1,234.00790" to a number')["result"] == -1234.0079
    assert session.step('convert "1e29" to a number')["result"] == 10**29


def test_a_procedures_number_outside_the_range_is_refused_where_it_meets_the_english() -> None:
    books = Registry().merge(library.books)

    @books.procedure("to count a (census)")
    def count() -> Decimal:
        """Counts far too many.

        Output Concepts:
            the census: The count.
        """
        return Decimal("1e999999999")

    running = Session(books, clock=FixedClock(NOW), resources=[library.Shelf()], say=lambda line: None)
    with running, _quick():
        running.run("count a census")
        error = running.step("find some books whose year is the census")["error"]
        reply = running.step("the total is the census")
    assert error["kind"] == "value" and "the census is too large" in error["message"]
    assert reply == {"result": "1E+999999999", "said": []}  # JSON keeps it, as its exact value in a string
    with running, _quick():
        said = running.step("say the census")
    assert said == {"result": "1E+999999999", "said": ["1E+999999999"]}  # never written out digit by digit


def test_check_number_is_cheap_for_any_number() -> None:
    with _quick(1.0):
        for value in (Decimal("1e999999999"), Decimal("1e-999999999"), 10**10_000, 2 ** (10**6), 1e308):
            with pytest.raises(ValueError, match=f"at most {DIGITS} digits"):
                check_number(value)
    for bad in (Decimal("NaN"), Decimal("sNaN"), Decimal("-Infinity"), float("nan"), float("inf")):
        with pytest.raises(ValueError, match="not a number"):
            check_number(bad)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1e999999999"), "1E+999999999"),
        (Decimal("-1e-999999999"), "-1E-999999999"),
        (Decimal("NaN"), None),
        (Decimal("sNaN"), None),
        (Decimal("Infinity"), "Infinity"),
        (float("nan"), None),
        (float("-inf"), "-Infinity"),
        (10**40, str(10**40)),
        (2 ** (10**7), "about 9.04982E+3010299"),
        (Decimal("9" * 4301), "9" * 4301),
        (Decimal("1." + "0" * 100_000), 1),
        (Decimal("-0.00790"), -0.0079),
        (Decimal("0.1234567890123456789"), "0.1234567890123456789"),
    ],
    ids=lambda value: type(value).__name__,
)
def test_json_of_any_number_is_quick_and_valid(value: Any, expected: Any) -> None:
    with _quick(1.0):
        data = jsonable([value])
    assert data == [expected]
    json.dumps(data, allow_nan=False)


# ------------------------------------------------------------------ nesting


def test_a_thousand_nots_are_refused_at_the_one_past_the_limit(session: Session) -> None:
    head = "find some books whose "
    text = head + "not " * 1000 + 'title contains "x"'
    error = _syntax(text)
    assert (error.line, error.column) == (1, len(head) + 4 * DEPTH + 1)
    assert f"at most {DEPTH} 'not's and parentheses" in error.message and error.hint
    reply = session.step(text)["error"]
    assert reply["kind"] == "syntax" and reply["column"] == error.column


def test_parentheses_nest_to_the_limit_and_no_further() -> None:
    head = "find some books whose "
    assert parse_filter("(" * DEPTH + 'title contains "x"' + ")" * DEPTH)
    error = _syntax(head + "(" * (DEPTH + 1) + 'title contains "x"' + ")" * (DEPTH + 1))
    assert (error.line, error.column) == (1, len(head) + DEPTH + 1)
    # "not"s and parentheses count together; "and" and "or" close the "not"s before them
    mixed = "not (" * (DEPTH // 2)
    assert parse_filter(mixed + 'title is "x"' + ")" * (DEPTH // 2))
    assert _syntax(head + mixed + 'not title is "x"' + ")" * (DEPTH // 2)).column == len(head + mixed) + 1
    assert parse_filter(" and ".join(["not " * DEPTH + 'title is not "x"'] * 3))


def _ifs(depth: int, innermost: str = "1 is 1") -> str:
    """``if``s nested ``depth`` deep, the innermost with the condition ``innermost``."""
    lines = [
        "  " * level + f"if {innermost if level == depth - 1 else '1 is 1'} then" for level in range(depth)
    ]
    return "\n".join([*lines, "  " * depth + 'say "deep"'])


def _chain(length: int) -> str:
    lines = ["if 1 is 2 then", '  say "no"']
    for _ in range(length):
        lines += ["else if 1 is 2 then", '  say "no"']
    return "\n".join(lines)


def test_blocks_nest_to_the_limit_and_no_further(session: Session) -> None:
    assert parse_script(_ifs(DEPTH))
    error = _syntax(_ifs(500))
    assert (error.line, error.column) == (DEPTH + 2, 2 * (DEPTH + 1) + 1)
    assert f"more than {DEPTH}" in error.message and error.hint
    reply = session.step(_ifs(500))["error"]
    assert reply["kind"] == "syntax" and reply["line"] == DEPTH + 2


def test_an_else_if_is_a_block_inside_the_else() -> None:
    assert parse_script(_chain(DEPTH - 1))
    error = _syntax(_chain(DEPTH))
    assert (error.line, error.column, error.word) == (2 * DEPTH + 1, 6, "if")
    # lines at the level of the chain that are not "else" end it
    assert parse_script("\n".join([_chain(DEPTH - 1), 'say "x"', _chain(DEPTH - 1)]))


def _deepest_filter(subject: str) -> str:
    """A filter of the deepest tree the parser takes: each parenthesis holds an "or"
    whose second part is an "and", two levels of the tree a parenthesis."""
    part = f'{subject} is "a"'
    return f"{part} or {part} and (" * DEPTH + part + ")" * DEPTH


def _depth(node: object) -> int:
    deepest, todo = 0, [(node, 1)]
    while todo:
        item, level = todo.pop()
        deepest = max(deepest, level)
        for field in getattr(item, "_compared", ()):
            value = getattr(item, field)
            for child in value if isinstance(value, tuple) else (value,):
                if hasattr(child, "_compared") and not isinstance(child, Comparison):
                    todo.append((child, level + 1))
    return deepest


@pytest.fixture
def shallow_stack() -> Iterator[None]:
    """Python's recursion limit set to 600 frames above the test's own: what the
    deepest accepted trees may use, leaving the rest to callers (a CLI, an event loop)."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + 600)
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


def test_no_stage_recurses_too_deep_on_the_deepest_trees_accepted(shallow_stack: None) -> None:
    deep_condition = 'the title is "a"\n' + _ifs(DEPTH, _deepest_filter("the title"))
    scripts = [
        deep_condition,
        _ifs(DEPTH, "not " * DEPTH + "1 is 1"),
        _chain(DEPTH - 1),
        "find some books\n"
        + "\n".join("  " * level + "process each book as follows" for level in range(DEPTH))
        + "\n"
        + "  " * DEPTH
        + "say the book's title",
        f"find some books whose {_deepest_filter('title')}",
        f'find some books whose {"not " * DEPTH}title is "a"',
    ]
    assert _depth(parse_script(deep_condition)) > 3 * DEPTH  # 32 blocks, and 2 levels a parenthesis
    for text in scripts:
        tree = parse_script(text)
        assert parse_script(str(tree)) == tree and hash(tree) == hash(parse_script(text)) and repr(tree)
        with Session(
            library.books, clock=FixedClock(NOW), resources=[library.Shelf()], say=lambda line: None
        ) as s:
            s.run('add a library book with the title is "a" and the author is "b" and the isbn is "1"')
            assert "error" not in s.step(text), s.step(text)
    binder = Binder(now=NOW, timezone=dt.UTC, resolve=None)
    for text in (_deepest_filter("body"), "not " * DEPTH + 'body is "a"'):
        bound = binder.filter(parse_filter(text), SmsMessage)
        assert normalise(bound) is not None
        assert plan(bound, limit=5, timezone=dt.UTC).to_json()


# -------------------------------------------------------------------- sizes


def test_a_long_line_is_refused_before_it_is_parsed() -> None:
    head = "the "
    text = "say 1\n" + head + "x " * 650_000 + "is 1"  # 1.3 MB: 5-7 s to parse before it was refused
    with _quick(0.5):
        error = _syntax(text)
    assert (error.line, error.column) == (2, LINE + 1)
    assert f"{len(text) - 6:,} characters" in error.message and f"at most {LINE:,}" in error.message
    assert len(str(error)) < 1000  # the line is quoted as a window around the place


def test_a_line_of_the_limit_is_taken() -> None:
    text = 'say "' + "a" * (LINE - 6) + '"'
    assert len(text) == LINE and parse_script(text)


def test_a_long_script_is_refused_before_it_is_parsed() -> None:
    line = 'say "' + "a" * 93 + '"\n'  # 100 characters
    text = line * (SCRIPT // 100 + 1)
    with _quick(0.5):
        error = _syntax(text)
    assert (error.line, error.column) == (SCRIPT // 100 + 1, 1)
    assert f"at most {SCRIPT:,}" in error.message


def test_a_script_of_ten_thousand_ordinary_lines_is_taken() -> None:
    lines = [
        'the greeting is "hello, number {}"',
        "say the greeting",
        'find some books whose title contains "{}"',
    ]
    text = "\n".join(lines[index % 3].format(index) for index in range(10_000))
    assert len(parse_script(text).statements) == 10_000
    assert SCRIPT >= 10_000 * (49 + 1)  # and so would lines of 49 characters (docs/language.md)


def test_the_limits_are_those_the_language_reference_states() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    section = docs[docs.index("## Limits") :]
    for figure in (f"{LINE:,}", f"{SCRIPT:,}", f"{DEPTH}", f"{DIGITS}"):
        assert figure in section


# ------------------------------------------------------------------ properties

FRAGMENTS = [
    "say ", "the ", "x ", "is ", "not ", "and ", "or ", "whose ", "if ", "then", "else", "else if ",
    "process each book as follows", "find some books ", "convert ", " to a number", "where", "(", ")",
    '"', '"a"', "\\", "1", "-0.5", "1e999999999", "9" * 40, "0." + "0" * 40 + "1", "2024-02-30",
    "3 days ago", "the first 0 ", "contains ", "is between 1 and ", "'s ", "*SMS* ", ":", "#", ",",
    "\n", "\n  ", "\n    ", "\t", "\r\n", "\u2028", "\u201c", "\ud800", "=",
]  # fmt: skip
english = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=3)), max_size=60).map("".join)


@settings(max_examples=200, deadline=dt.timedelta(seconds=5), suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(english, st.text()))
def test_any_text_parses_to_a_tree_or_a_syntax_error(text: str) -> None:
    try:
        tree = parse_script(text)
    except BookError as error:
        assert isinstance(error, EnglishSyntaxError)
        assert error.span is None or error.line is not None
        json.dumps(error.to_dict(), allow_nan=False)
        str(error)
    else:
        assert isinstance(tree, Script)
        str(tree)


@settings(max_examples=60, deadline=dt.timedelta(seconds=5), suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(english, st.text()), min_size=1, max_size=3))
def test_any_step_gives_json(steps: list[str]) -> None:
    with Session(
        library.books, clock=FixedClock(NOW), resources=[library.Shelf()], say=lambda line: None
    ) as s:
        s.run('add a library book with the title is "Dune" and the author is "F" and the isbn is "1"')
        for step in steps:
            reply = s.step(step)
            json.dumps(reply, allow_nan=False)
            assert set(reply) <= {"result", "said", "error"}
            if "error" in reply:
                assert reply["error"]["kind"] != "internal", reply


def test_a_step_with_not_json_numbers_gives_json(session: Session) -> None:
    reply = session.step("the x is " + "9" * 4301)
    assert reply["error"]["kind"] == "syntax"
    json.dumps(reply, allow_nan=False)
    assert session.step("the x is -" + "9" * DIGITS)["result"] == -int("9" * DIGITS)


# dates and times at the edges of Python's (found by benchmarks/fuzz.py)


@pytest.mark.parametrize(
    "text",
    [
        "the x is 0001-01-01T00:00:00+14:00\nif the x is before now then\n  say the x",
        "if 9999-12-31T23:59:59-14:00 is after now then\n  say 9999-12-31T23:59:59-14:00",
        "the x is 9999-12-31T23:59:59-14:00",
        "the x is 9999-12-31",
        "read some SMS messages whose date sent is after 0001-01-01",
    ],
)
def test_a_date_outside_the_years_the_book_takes_is_refused_where_it_is_written(text: str) -> None:
    error = _syntax(text)
    assert "outside the dates the book works with (the years 2 to 9998)" in error.message


@pytest.mark.parametrize(
    "text", ['convert "9999-12-31T23:59:59-14:00" to a datetime', 'convert "0001-01-01" to a date']
)
def test_a_converted_date_outside_the_years_is_a_value_error(session: Session, text: str) -> None:
    with _quick():
        answer = session.step(text)
    assert answer["error"]["kind"] == "value" and "the years 2 to 9998" in answer["error"]["message"]


def test_the_edges_of_the_years_work_in_any_time_zone() -> None:
    for zone in ("Etc/GMT+12", "Etc/GMT-14", "UTC"):
        with Session(Registry(), clock=FixedClock(NOW), timezone=zone, say=lambda line: None) as edge:
            for text in ("the x is 9998-12-31T23:59", "the x is 0002-01-01T00:00", "the x is 9998-12-31"):
                answer = edge.step(text)
                assert "error" not in answer, (zone, text, answer)
                json.dumps(answer, allow_nan=False)
