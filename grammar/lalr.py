"""Lark's LALR tables and token patterns run by one loop of ours: the same parse as
lark's, at the speed of a bare lark parser that builds only lark's own tree.

Lark reads a text through layers that serve every grammar: a lexer thread, a
contextual lexer asking a basic lexer per token, a line counter, a parser state
fed token by token. Here the lexing, the Indenter and the parsing of a text run in
one loop, with nothing decided anew: the states and actions are lark's analysis of
english.lark, the token patterns are those of lark's contextual lexer for each
state (in lark's order), keywords are told from words as lark's lexer tells them,
and each reduction calls lark's own callback (the builder's method, wrapped as lark
wraps it), so the tree is built by the same code in the same order.

The loop only reads text that parses. Where lark would raise an error (no token
matches, no action for a token), or where a check of the builder or the Indenter
raises one, it raises ``Unsure`` and the caller hands the text to lark's own parser,
which gives the error, with everything it carries (the interactive parser that the
hints use). A word that is not ASCII is told from a keyword by lark's own callback.
The loop reads lark's parser from the inside (its tables, its lexers' scanners):
if a version of lark is not laid out as this one, every text goes to lark.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import chain
from typing import Any

from lark import Lark, Token
from lark.lexer import UnlessCallback
from lark.parsers.lalr_analysis import Shift

__all__ = ["Loop", "Unsure"]

END = "$END"
_ENDING = (Token(END, ""),)  # the end of the input (where it stands matters only to lark's errors)
_token: Callable[..., Token] = getattr(Token, "_future_new", Token)  # lark's constructor, without its
# check for a deprecated keyword: a third of the time


class Unsure(Exception):  # noqa: N818 - never leaves the parser: lark reads the text instead
    """The loop cannot read this text as lark would: lark reads it instead."""


class _Scanner:
    """What lark's contextual lexer matches in one parser state."""

    __slots__ = ("callbacks", "ignored", "keywords", "match", "newlines")

    def __init__(self, lexer: Any) -> None:
        scanner = lexer.scanner  # built by lark on first use, with lexer.callback
        if len(scanner._mres) != 1:
            raise Unsure("lark split the patterns of this state into several expressions")
        self.match: Callable[[str, int], Any] = scanner._mres[0].match
        self.ignored: frozenset[str] = lexer.ignore_types
        self.newlines: frozenset[str] = lexer.newline_types
        self.callbacks: dict[str, Callable[[Token], Token]] = dict(lexer.callback)
        if self.ignored & set(self.callbacks):
            raise Unsure("an ignored terminal has a callback")
        # A word that is a keyword here becomes that keyword (lark's UnlessCallback):
        # an ASCII word by a look-up, when every keyword is a string of any case.
        self.keywords: dict[str, dict[str, str]] = {}
        for kind, callback in self.callbacks.items():
            if type(callback) is not UnlessCallback or lexer.g_regex_flags:
                continue
            words: dict[str, str] = {}
            for terminal in callback.scanner.terminals:
                pattern = terminal.pattern
                if pattern.type != "str" or set(pattern.flags) != {"i"} or not pattern.value.isascii():
                    break
                words.setdefault(pattern.value.lower(), terminal.name)  # the first in lark's order
            else:
                self.keywords[kind] = words


class _OnFirstUse(dict[Any, Any]):
    """A dict whose entries are made when first asked for, by ``make``."""

    def __init__(self, make: Callable[[Any], Any]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: Any) -> Any:
        value = self[key] = self.make(key)
        return value


class Loop:
    """Parses text with a Lark parser's tables: ``Loop(parser).parse(text, start)``
    returns what ``parser.parse(text, start=start)`` returns, or raises ``Unsure``.
    The parser must be LALR with the contextual lexer; its postlex, if any, is used
    as lark uses it."""

    def __init__(self, parser: Lark) -> None:
        self._scanners = _OnFirstUse(self._scanner)  # parser state -> its scanner
        self._made: dict[int, _Scanner] = {}  # lark's basic lexer (by id) -> its scanner
        self._rows = _OnFirstUse(self._row)  # parser state -> its actions
        self._broken: str | None = None
        try:
            frontend: Any = parser.parser
            lexer = frontend.lexer
            self._postlex: Any = getattr(lexer, "postlexer", None)
            lexer = getattr(lexer, "lexer", lexer)
            self._lexers: dict[Any, Any] = lexer.lexers  # parser state -> lark's basic lexer
            inner = frontend.parser.parser
            table = inner.parse_table
            self._states: dict[Any, dict[str, tuple[Any, Any]]] = table.states
            self._starts: dict[str, Any] = table.start_states
            self._ends: dict[str, Any] = table.end_states
            self._callbacks: dict[Any, Callable[..., Any]] = inner.callbacks
        except AttributeError as exc:
            self._broken = f"this lark is not laid out as the loop expects: {exc}"
            return
        self._shifted = {kind: call for kind, call in self._callbacks.items() if isinstance(kind, str)}

    def parse(self, text: str, start: str) -> Any:
        """The tree of ``text`` from the rule ``start``, as lark's parser gives it."""
        if self._broken:
            raise Unsure(self._broken)
        rows = self._rows
        stack = [self._starts[start]]
        values: list[Any] = []
        end = self._ends[start]
        shifted = self._shifted
        tokens: Iterator[Token] = self._tokens(text, stack)
        if self._postlex is not None:
            tokens = self._postlex.process(tokens)
        for token in chain(tokens, _ENDING):
            kind = token.type
            while True:
                try:
                    action = rows[stack[-1]][kind]
                except KeyError:
                    raise Unsure("no action for this token here") from None
                if type(action) is not tuple:  # shift to that state
                    stack.append(action)
                    values.append(shifted[kind](token) if shifted and kind in shifted else token)
                    break
                size, callback, origin = action
                if size:
                    children = values[-size:]
                    del stack[-size:]
                    del values[-size:]
                else:
                    children = []
                values.append(callback(children))
                stack.append(rows[stack[-1]][origin])
                if kind == END and stack[-1] == end:
                    return values[-1]
        raise Unsure("the input ended before the end state")  # pragma: no cover - lark's tables end or fail

    def _row(self, state: Any) -> dict[str, Any]:
        """The actions of ``state`` by token or rule name: the state to shift to, or
        the reduction (how many values it takes, lark's callback, the rule's name)."""
        row: dict[str, Any] = {}
        for kind, (action, target) in self._states[state].items():
            row[kind] = (
                target
                if action is Shift
                else (len(target.expansion), self._callbacks[target], target.origin.name)
            )
        return row

    def _scanner(self, state: Any) -> _Scanner:
        lexer = self._lexers[state]
        scanner = self._made.get(id(lexer))
        if scanner is None:
            try:
                scanner = self._made[id(lexer)] = _Scanner(lexer)
            except AttributeError as exc:
                raise Unsure(f"this lark's lexers are not laid out as the loop expects: {exc}") from exc
        return scanner

    def _tokens(self, text: str, stack: list[Any]) -> Iterator[Token]:
        """The tokens of ``text``, each matched in the parser's state when it is read
        (``stack[-1]``), with lark's positions: lines and columns from 1, offsets from 0."""
        scanners = self._scanners
        position, line, line_start, length = 0, 1, 0, len(text)
        while position < length:
            scanner = scanners[stack[-1]]
            match, ignored, newlines = scanner.match, scanner.ignored, scanner.newlines
            while True:  # what is ignored (spaces, comments) is read in the same state
                found = match(text, position)
                if found is None:
                    raise Unsure("no token matches here")
                kind: str = found.lastgroup
                if kind not in ignored:
                    break
                if kind in newlines and "\n" in found.group():
                    line, line_start = _lines(found.group(), position, line)
                position = found.end()
                if position == length:
                    return
            value: str = found.group()
            stop: int = found.end()
            first, column = line, position - line_start + 1
            if kind in newlines and "\n" in value:
                line, line_start = _lines(value, position, line)
            token = _token(kind, value, position, first, column, line, stop - line_start + 1, stop)
            position = stop
            if kind in scanner.callbacks:
                keywords = scanner.keywords.get(kind)
                if keywords is not None and value.isascii():
                    keyword = keywords.get(value.lower())
                    if keyword is not None:
                        token.type = keyword
                else:
                    token = scanner.callbacks[kind](token)
            yield token


def _lines(value: str, position: int, line: int) -> tuple[int, int]:
    """The line, and the offset it starts at, after ``value`` (which holds a line
    break) read at ``position``: as lark's line counter keeps them."""
    return line + value.count("\n"), position + value.rindex("\n") + 1
