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

from grammar.errors import EnglishSyntaxError
from grammar.transform import Transformer, token_span
from grammar.tree import Filter, ProcedureName, Script

__all__ = ["GRAMMAR", "parse_filter", "parse_name", "parse_script", "parser"]

GRAMMAR = "english.lark"
TAB = 8


class Indenter(PostLex):
    """Turns the indentation after each line break into INDENT and DEDENT tokens.

    Unlike lark's own Indenter it keeps no state between parses, so one parser
    serves every thread. It also has the lexer look for a WORD everywhere: a
    keyword is then only ever taken from a whole word, so glued words such as
    "andbody" stay one (rejected) word instead of reading as "and body".
    """

    always_accept = ("_NL", "WORD")

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        levels = [_FIRST_LINE.get()]  # the first statement's indentation is the script's own level
        last: Token | None = None
        for token in stream:
            last = token
            yield token
            if token.type != "_NL":
                continue
            width = _width(token.value.rsplit("\n", 1)[1])
            if width > levels[-1]:
                levels.append(width)
                yield _borrow("_INDENT", token)
                continue
            while width < levels[-1] and len(levels) > 1:
                levels.pop()
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
        start=["script", "filter", "name"],
        strict=True,
        postlex=Indenter(),
        transformer=Transformer(),
        maybe_placeholders=False,
        cache=_cache_file(),
    )


def _check(text: object) -> None:
    if not isinstance(text, str):
        raise TypeError(f"expected English text (str), got {type(text).__name__}")


def _parse(text: str, start: str, source: str) -> Any:
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


def parse_name(text: str) -> ProcedureName:
    """Parse a procedure's English name, such as ``to read some (*SMS* messages)``."""
    _check(text)
    result: ProcedureName = _parse(text, "name", text)
    return result
