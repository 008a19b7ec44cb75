"""English -> tree: the LALR parser, built once and cached, and its entry points.

>>> from grammar import parse_script, parse_filter, parse_name
>>> parse_filter('date sent is after 2024-03-01').op
<Op.AFTER: 'after'>
>>> len(parse_script('the start date is 2024-03-01\\nsay the start date').statements)
2
>>> str(parse_name('to read some (*SMS* messages)'))
'to read some (*SMS* messages)'
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

import lark
from lark import Lark, Token
from lark.exceptions import UnexpectedInput
from lark.lark import PostLex

from grammar.builder import Transformer, token_span
from grammar.errors import EnglishSyntaxError
from grammar.lalr import Loop, Unsure
from grammar.limits import DEPTH, LINE, SCRIPT
from grammar.tree import EventName, Filter, ProcedureName, Script, Span

__all__ = ["GRAMMAR", "parse_event", "parse_filter", "parse_name", "parse_script", "parser"]

GRAMMAR = "english.lark"
TAB = 8


class Indenter(PostLex):
    """Turns the indentation after each line break into INDENT and DEDENT tokens.

    Unlike lark's own Indenter it keeps no state between parses, so one parser
    serves every thread. It also has the lexer look for a WORD everywhere: a
    keyword is then only ever taken from a whole word, so glued words such as
    "andbody" stay one (rejected) word instead of reading as "and body".

    As it reads, it refuses nesting deeper than limits.DEPTH, at the word that
    passes it: so no later stage (printing, binding, running, planning) can
    recurse deeper than Python allows on a tree the parser accepts.
    """

    always_accept = ("_NL", "WORD")

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        levels = [_FIRST_LINE.get()]  # the first statement's indentation is the script's own level
        depths = [0]  # how many blocks the statements of each level are in
        chained = [0]  # the "else if"s in a row at each level: each is an "if" inside the "else" before it
        filters = _Filters()
        first = previous = "_NL"  # the types of the line's first token and of the token before
        last: Token | None = None
        for token in stream:
            kind = token.type
            if previous == "_NL":
                first = kind
                if kind != "ELSE":
                    chained[-1] = 0
            elif kind == "IF" and previous == "ELSE" and first == "ELSE":
                chained[-1] += 1
                if depths[-1] + chained[-1] + 1 > DEPTH:
                    raise _too_deep("the block of this 'else if' would be", token)
            if kind in _NESTING:
                filters.read(token, previous)
            last, previous = token, kind
            yield token
            if kind != "_NL":
                continue
            if filters.depth or filters.groups:  # what a line leaves open is its parser error
                filters = _Filters()
            width = _width(token.value.rsplit("\n", 1)[1])
            if width > levels[-1]:
                depth = depths[-1] + chained[-1] + 1
                if depth > DEPTH:
                    raise _too_deep("this block is", _borrow("_INDENT", token, width=1))
                levels.append(width)
                depths.append(depth)
                chained.append(0)
                yield _borrow("_INDENT", token)
                continue
            while width < levels[-1] and len(levels) > 1:
                levels.pop()
                depths.pop()
                chained.pop()
                yield _borrow("_DEDENT", token)
            if width < levels[0]:
                raise EnglishSyntaxError(
                    "this line starts further left than the script's first line",
                    span=token_span(_borrow("_DEDENT", token, width=1)),
                    hint="Indent every line of the script at least as far as its first line.",
                )
            if width != levels[-1]:
                raise EnglishSyntaxError(
                    "this line is indented to no level of the blocks above it",
                    span=token_span(_borrow("_DEDENT", token, width=1)),
                    hint="Line it up with the lines of the block it belongs to.",
                )
        while len(levels) > 1:
            levels.pop()
            yield _borrow("_DEDENT", last) if last else Token("_DEDENT", "", 0, 1, 1, 1, 1, 0)


def _too_deep(what: str, token: Token) -> EnglishSyntaxError:
    return EnglishSyntaxError(
        f"{what} nested more than {DEPTH} deep: blocks nest at most {DEPTH} deep, and each 'else if' "
        "is one block more (an 'if' inside the 'else' before it)",
        span=token_span(token),
        hint="Write the inner part as a script of its own, or test conditions one after another "
        "with separate 'if's instead of inside each other.",
    )


_NESTING = frozenset({"NOT", "LPAR", "RPAR", "AND", "OR"})


class _Filters:
    """How many "not"s and parentheses the filter or condition of one line has
    open: a "not" stays open to the end of the comparison or group after it, a
    parenthesis to its ")"."""

    __slots__ = ("depth", "groups", "nots")

    def __init__(self) -> None:
        self.groups: list[int] = []  # for each open parenthesis: itself and the "not"s before it
        self.nots = 0  # the "not"s open since the last parenthesis, "and" or "or"
        self.depth = 0  # all of them: the sum of groups, and nots

    def read(self, token: Token, previous: str) -> None:
        kind = token.type
        if kind == "NOT":
            if previous in ("IS", "DOES"):
                return  # "is not", "does not": part of an operator
            self.nots += 1
        elif kind == "LPAR":
            self.groups.append(self.nots + 1)
            self.nots = 0
        elif kind == "RPAR":
            self.depth -= self.nots + (self.groups.pop() if self.groups else 0)
            self.nots = 0
            return
        else:  # "and", "or"
            self.depth -= self.nots
            self.nots = 0
            return
        self.depth += 1
        if self.depth > DEPTH:
            raise EnglishSyntaxError(
                f"this '{token.value}' nests the filter more than {DEPTH} deep: a comparison may be "
                f"inside at most {DEPTH} 'not's and parentheses",
                span=token_span(token),
                hint="Write it more simply: two 'not's in a row cancel out, and parentheses are needed "
                "only around an 'or' inside an 'and' or a 'not'.",
            )


def _width(indentation: str) -> int:
    return len(indentation.expandtabs(TAB))


# The indentation of the script's first statement, so that a script indented as a
# whole (pasted from a code block) reads as written. lark skips it before the
# first token, and the Indenter, shared by every parse, only sees tokens;
# parse_script sets it for the parse at hand.
_FIRST_LINE: ContextVar[int] = ContextVar("first_line", default=0)


def _borrow(kind: str, newline: Token, width: int = 0) -> Token:
    """A token standing where the line after ``newline`` starts its text."""
    token = Token(kind, "", newline.end_pos, newline.end_line, newline.end_column)
    token.end_line = newline.end_line
    token.end_column = (newline.end_column or 1) + width
    token.end_pos = (newline.end_pos or 0) + width
    return token


def _cache_file() -> str | bool:
    """Where lark keeps its analysis of the grammar between runs: a file in the
    user's own cache directory (not the shared temporary directory, where another
    user could plant a file for it to load). False when there is no such place."""
    import platformdirs

    directory = Path(platformdirs.user_cache_dir("sms-book", appauthor=False))
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    python = "".join(map(str, sys.version_info[:2]))
    return str(directory / f"english-lark{lark.__version__}-py{python}.cache")


@cache
def parser() -> Lark:
    """The parser of english.lark: LALR, strict (no conflict, no ambiguous token),
    built on first use; lark keeps its analysis on disk, checked against a hash of
    the grammar and options, so later runs only load it."""
    text = (Path(__file__).parent / GRAMMAR).read_text(encoding="utf-8")
    return Lark(
        text,
        parser="lalr",
        lexer="contextual",
        start=["script", "filter", "name", "event_name"],
        strict=True,
        postlex=Indenter(),
        transformer=Transformer(),
        maybe_placeholders=False,
        cache=_cache_file(),
    )


def _check(text: object) -> None:
    """English text of a size the parser reads quickly: ``EnglishSyntaxError``
    where a line or the whole text passes its limit, before anything is parsed."""
    if not isinstance(text, str):
        raise TypeError(f"expected English text (str), got {type(text).__name__}")
    start = 0
    for number, line in enumerate(text[: SCRIPT + 1].split("\n") if len(text) > LINE else (), 1):
        if len(line) > LINE:  # the first limit passed, in reading order
            end = text.find("\n", start)
            raise EnglishSyntaxError(
                f"this line is {(end if end >= 0 else len(text)) - start:,} characters long: "
                f"a line holds at most {LINE:,}",
                span=Span(number, LINE + 1, number, LINE + 2, start + LINE, start + LINE + 1),
                source=text,
                hint="Split it: a call's arguments can go on lines of their own, under 'where'.",
            )
        start += len(line) + 1
    if len(text) > SCRIPT:
        row = text.count("\n", 0, SCRIPT) + 1
        column = SCRIPT - text.rfind("\n", 0, SCRIPT)
        raise EnglishSyntaxError(
            f"this script is {len(text):,} characters long: a script holds at most {SCRIPT:,}",
            span=Span(row, column, row, column + 1, SCRIPT, SCRIPT + 1),
            source=text,
            hint="Split it into scripts that run one after another.",
        )


@cache
def _loop() -> Loop:
    """The parser's tables run by one loop: see lalr.py."""
    return Loop(parser())


def _parse(text: str, start: str, source: str) -> Any:
    try:
        return _loop().parse(source, start)
    except (Unsure, EnglishSyntaxError):
        pass  # lark reads it again, and gives its tree or its error with all it carries
    try:
        return parser().parse(source, start=start)
    except EnglishSyntaxError as error:
        raise error.locate(text) from None
    except UnexpectedInput as exc:
        from grammar.hints import explain  # only when something went wrong: it imports difflib

        raise explain(exc, text, start) from exc


def parse_script(text: str) -> Script:
    """Parse a whole script: statements, one a line, blocks indented under their line."""
    _check(text)
    indentation = _first_indentation(text)
    source = text.rstrip(" \t\r\n") + "\n" + indentation  # the last line break returns to that level
    reset = _FIRST_LINE.set(_width(indentation))
    try:
        script: Script = _parse(text, "script", source)
    finally:
        _FIRST_LINE.reset(reset)
    return script


def _first_indentation(text: str) -> str:
    """The indentation of the first line that holds a statement (not blank, not a comment)."""
    for line in text.splitlines():
        content = line.lstrip(" \t")
        if content and not content.startswith("#"):
            return line[: len(line) - len(content)]
    return ""


def parse_filter(text: str) -> Filter:
    """Parse a filter: what follows ``whose`` in a call, on one line."""
    _check(text)
    result: Filter = _parse(text, "filter", text)
    return result


def parse_event(text: str) -> EventName:
    """Parse an event's English name, such as ``when an *SMS* message is received``."""
    _check(text)
    result: EventName = _parse(text, "event_name", text)
    return result


def parse_name(text: str) -> ProcedureName:
    """Parse a procedure's English name, such as ``to read some (*SMS* messages)``."""
    _check(text)
    result: ProcedureName = _parse(text, "name", text)
    return result
