"""The project's root exception and the language's syntax error.

Every error this project raises is a ``BookError``; it lives here, at the bottom
of the import chain (book -> procedures -> grammar), so that every package can
extend it. The tree of errors::

    BookError                     anything this project raises
    ├── EnglishSyntaxError        the English does not parse (grammar)
    ├── procedures.errors ...     registration, resolution, values, running
    └── book.errors ...           Twilio's API, the network, the sandbox, plans

An error carries data, not just text: where it happened (a ``Span``), the source
it happened in, a hint saying what to write instead, and close suggestions.
``str(error)`` quotes the line with a caret under the offending word;
``error.to_dict()`` is the same as JSON-ready data, for agents.

>>> from grammar import parse_filter, EnglishSyntaxError
>>> try:
...     parse_filter('body contains refund')
... except EnglishSyntaxError as error:
...     print(error)
line 1, column 15: expected a value after 'contains', found the word 'refund'
  body contains refund
                ^^^^^^
Put text in double quotes: "refund".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Self

from grammar.tree import Span

__all__ = ["BookError", "EnglishSyntaxError", "caret"]


class BookError(Exception):
    """The root of every error this project raises."""

    kind: ClassVar[str] = "error"

    def __init__(
        self,
        message: str,
        *,
        span: Span | None = None,
        source: str | None = None,
        hint: str | None = None,
        suggestions: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.source = source
        self.hint = hint
        self.suggestions = tuple(suggestions)

    @property
    def line(self) -> int | None:
        """The 1-based line of the offending word, when known."""
        return self.span.line if self.span else None

    @property
    def column(self) -> int | None:
        """The 1-based column of the offending word, when known."""
        return self.span.column if self.span else None

    @property
    def word(self) -> str | None:
        """The offending text itself, when the source is known."""
        if self.span is None or self.source is None:
            return None
        return self.source[self.span.start : self.span.end]

    def locate(self, source: str) -> Self:
        """Attach the source the span points into, unless one is already attached."""
        if self.source is None:
            self.source = source
        return self

    def __str__(self) -> str:
        lines = [self.message]
        if self.span is not None:
            lines[0] = f"line {self.span.line}, column {self.span.column}: {self.message}"
            if self.source is not None:
                lines.extend(caret(self.source, self.span))
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The error as JSON-ready data: kind, message, position (line, column,
        end_line, end_column: null when the error has no place in the English),
        word, hint, suggestions."""
        data: dict[str, Any] = {"kind": self.kind, "message": self.message}
        span = self.span
        data.update(
            line=span and span.line,
            column=span and span.column,
            end_line=span and span.end_line,
            end_column=span and span.end_column,
        )
        if self.word is not None:
            data["word"] = self.word
        if self.hint:
            data["hint"] = self.hint
        data["suggestions"] = list(self.suggestions)
        return data


class EnglishSyntaxError(BookError):
    """The English does not follow the grammar: raised by the parse functions."""

    kind = "syntax"


def _width(text: str) -> int:
    """How many terminal cells ``text`` takes (wide East Asian characters take two)."""
    import unicodedata  # only to print an error

    return sum(
        0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in "WF" else 1
        for char in text
    )


def caret(source: str, span: Span) -> list[str]:
    """The source line of ``span``, indented by two spaces, and a caret line under it."""
    lines = source.split("\n")
    if not 1 <= span.line <= len(lines):
        return []
    line = lines[span.line - 1].rstrip("\r").replace("\t", " ")
    start = min(span.column - 1, len(line))
    end = span.end_column - 1 if span.end_line == span.line else len(line)
    end = max(min(end, len(line)), start + 1)
    if len(line) > _SHOWN:
        # A very long line is shown as a window around the mistake.
        low = max(0, start - _SHOWN // 4)
        high = min(len(line), low + _SHOWN)
        before = "..." if low else ""
        after = "..." if high < len(line) else ""
        line, start, end = (
            before + line[low:high] + after,
            start - low + len(before),
            min(end, high) - low + len(before),
        )
    marks = "^" * max(1, _width(line[start:end]))
    return ["  " + line, "  " + " " * _width(line[:start]) + marks]


_SHOWN = 100
"""How many characters of a line an error quotes at most."""


def brief(text: str, most: int = 24) -> str:
    """``text`` as a message quotes it: cut to ``most`` characters with '...'."""
    return text if len(text) <= most else text[: most - 4] + "..."
