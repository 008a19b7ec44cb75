"""Turns the parser's complaints into errors that say where and what to write instead.

``explain`` receives lark's exception and the source; it returns an
``EnglishSyntaxError`` whose message names what was expected and what was
found, and whose hint recognises the common mistakes: unquoted text, a missing
``whose``, ``is greater`` without ``than``, dates such as ``03/01/2024``,
unclosed quotes and parentheses, blocks with nothing indented under them,
glued and misspelt keywords. A hint whose words are fixed and that depends only
on where the parse fails (a missing ``whose``, an empty block, ``=`` for
``is``) is a line of phrasings.tsv, as lark's match_examples works; the code
here writes the hints that quote or compute from what was written. Every
mistake it knows is a line of mistakes.tsv, beside the grammar, and is tested.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from lark import Token
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from grammar.errors import BookError, EnglishSyntaxError, brief
from grammar.tree import Span

__all__ = ["closest", "explain"]

# Terminals that start a value; that start an operator; determiners.
_WEEKDAYS = {"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"}
_VALUES = {
    "TEXT",
    "NUMBER",
    "DATE",
    "DATETIME",
    "THE",
    "NOW",
    "TODAY",
    "YESTERDAY",
    "TOMORROW",
    "IN",
    "THIS",
    "LAST",
}
_VALUES |= _WEEKDAYS  # periods: "this week", "last month", "Monday"
_OPERATORS = {"IS", "EQUALS", "CONTAINS", "DOES", "STARTS", "ENDS"}
_DETERMINERS = {"A", "AN", "SOME", "ALL"}
_STATEMENTS = {"USE", "SAY", "PROCESS", "IF"}
_SYMBOLS = {
    "_NL": "the end of the line",
    "$END": "the end",
    "_INDENT": "an indented line",
    "_DEDENT": "the end of the indented block",
    "WORD": "a word",
    "PROPER": "a *proper* noun",
    "TEXT": "quoted text",
    "NUMBER": "a number",
    "DATE": "a date",
    "DATETIME": "a date and time",
    "COMMA": "','",
    "LPAR": "'('",
    "RPAR": "')'",
    "_COLON": "':'",
    "POSSESSIVE": '"\'s"',
    "OR_LITERAL": "'or'",
    "AND_LITERAL": "'and'",
    "ARE": "'are'",
    "ORDER": "'oldest first' or 'newest first'",
    "NUMBER_OF": "'number of'",
}
# Words that follow "is" in an operator; written without it, they join the noun phrase.
_AFTER_IS = {
    "after", "before", "since", "between", "greater", "less", "more", "fewer", "empty",
    "equal", "later", "earlier", "on", "at", "one",
}  # fmt: skip
# Keywords that may be missing before the word that was found.
_INSERTIONS = [("THAN",), ("TO",), ("WITH",), ("OF",), ("THEN",), ("AS", "FOLLOWS"), ("FOLLOWS",)]
_SLASH_DATE = re.compile(r"(\d{1,4})[/.](\d{1,2})[/.](\d{1,4})")
_LOOSE_DATE = re.compile(
    r"(?<![\w.-])(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"(?:[Tt ](?P<hour>\d{1,2}):(?P<minute>\d{1,2})(?::(?P<second>\d{1,2})(?:\.(?P<fraction>\d+))?)?)?"
    r"(?P<zone>[Zz]|[+-]\d{1,2}:?\d{2})?(?![\w:.])"
)
_CONTRACTIONS = {
    "isnt": "is not", "isn't": "is not", "doesnt": "does not", "doesn't": "does not",
    "dont": "does not", "don't": "does not", "arent": "is not", "aren't": "is not",
}  # fmt: skip
# Words after which a date or a time is the likely value; units of relative times.
_BEFORE_TIMES = {"after", "before", "since", "between", "than", "on"}
_UNITS = {"minute", "hour", "day", "week"}


def _keyword(name: str) -> str | None:
    """The word of a keyword terminal (``"IS"`` -> ``"is"``), or None for other terminals."""
    if name in _SYMBOLS or not name.isalpha() or not name.isupper():
        return None
    return name.lower()


def describe_expected(expected: Iterable[str]) -> str:
    """What the parser could take, in words: ``a value``, ``'then'``, ``the end of the line``."""
    names = set(expected)
    parts: list[str] = []
    if {"TEXT", "NUMBER"} <= names:
        parts.append("a value")
        names -= _VALUES
    if len(names & _OPERATORS) >= 3:
        parts.append("an operator such as 'is', 'contains' or 'starts with'")
        names -= _OPERATORS | {"WORD", "PROPER"}
    if names >= _STATEMENTS:
        parts.append("a statement")
        names -= _STATEMENTS | {"THE", "WORD"}
    if len(names & _DETERMINERS) >= 3:
        parts.append("a determiner ('a', 'an', 'the', 'some', 'all' or 'the first N')")
        names -= _DETERMINERS | {"THE"}
    if "WORD" in names:
        names.discard("PROPER")
    names.discard("OR_LITERAL" if "OR" in names else "")
    names.discard("AND_LITERAL" if "AND" in names else "")
    for name in sorted(names, key=lambda n: (n.startswith(("_", "$")), n)):
        word = _keyword(name)
        parts.append(f"'{word}'" if word else _SYMBOLS.get(name, name))
    if not parts:
        return "nothing more"
    if len(parts) > 7:
        parts = [*parts[:6], "..."]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def _found(token: Token) -> str:
    kind = token.type
    if kind in ("_NL", "$END", "_INDENT", "_DEDENT"):
        return _SYMBOLS[kind]
    if kind == "WORD":
        return f"the word '{brief(token)}'"
    if kind == "TEXT":
        return f"the text {brief(token, 40)}"
    if kind in ("NUMBER", "DATE", "DATETIME"):
        return f"{_SYMBOLS[kind]} {brief(token)}"
    return f"'{brief(token)}'"


def _acceptable(exc: UnexpectedToken) -> set[str]:
    """The terminals the parser could have taken where it stopped.

    lark's own ``expected`` comes from the contextual lexer when it could not lex
    the next word, and then leaves out the keywords; asking the parser is exact.
    """
    if exc.interactive_parser is not None:
        try:
            return set(exc.interactive_parser.accepts())  # type: ignore[no-untyped-call]
        except (LarkError, BookError):
            pass
    return set(exc.expected)


class _Context:
    """What the hints look at: the source, the error's place, the token and what was expected."""

    def __init__(self, text: str, exc: UnexpectedInput, start: str) -> None:
        self.text = text
        self.exc = exc
        self.start = start
        self.token: Token | None = exc.token if isinstance(exc, UnexpectedToken) else None
        if isinstance(exc, UnexpectedToken):
            self.expected: set[str] = _acceptable(exc)
        elif isinstance(exc, UnexpectedCharacters):
            self.expected = set(exc.allowed or ())
        else:
            self.expected = set()
        self.pos = self._position()
        self.line_start = text.rfind("\n", 0, self.pos) + 1
        line_end = text.find("\n", self.pos)
        self.line_end = len(text) if line_end < 0 else line_end
        self.before = text[self.line_start : self.pos]

    def _position(self) -> int:
        token = self.token
        if token is not None and token.type == "$END":
            return len(self.text.rstrip())
        if token is not None and token.type == "_NL":
            return token.start_pos or 0
        pos = getattr(self.exc, "pos_in_stream", None)
        if token is not None and token.start_pos is not None:
            pos = token.start_pos
        return min(pos or 0, len(self.text))

    def span(self, start: int | None = None, end: int | None = None) -> Span:
        """A span of the source from ``start`` (default: the error) to ``end``."""
        start = self.pos if start is None else start
        if end is None:
            end = start + 1
            if (
                self.token is not None
                and self.token.end_pos is not None
                and self.token.type not in ("_NL", "$END")
            ):
                end = max(self.token.end_pos, end) if self.token.start_pos == start else end
        end = max(end, start)
        line = self.text.count("\n", 0, start) + 1
        column = start - (self.text.rfind("\n", 0, start) + 1) + 1
        end_line = self.text.count("\n", 0, end) + 1
        end_column = end - (self.text.rfind("\n", 0, end) + 1) + 1
        return Span(line, column, end_line, end_column, start, end)

    def previous_words(self) -> list[re.Match[str]]:
        """The words written on this line before the error."""
        return list(re.finditer(r"[^\W\d_][\w-]*", self.before))

    def previous(self) -> str | None:
        """The last word or symbol before the error, as written."""
        match = re.search(r"(\"(?:[^\"\\]|\\.)*\"|\S+)\s*$", self.before)
        return match.group(1) if match else None


Hint = Callable[[_Context], "tuple[str, Span | None] | str | None"]


# ------------------------------------------------------------ lexer hints


def _unclosed_quote(context: _Context) -> tuple[str, Span] | None:
    if context.text[context.pos : context.pos + 1] not in ('"', "\u201c"):
        return None
    return (
        'This text has no closing quote: end it with " on the same line.',
        context.span(context.pos, context.line_end),
    )


def _slash_date(context: _Context) -> tuple[str, Span] | None:
    for match in _SLASH_DATE.finditer(context.text, context.line_start, context.line_end):
        if not match.start() <= context.pos <= match.end():
            continue
        a, b, c = (int(group) for group in match.groups())
        span = context.span(match.start(), match.end())
        if len(match.group(1)) == 4:
            options = [f"{a:04d}-{b:02d}-{c:02d}"] if _is_date(a, b, c) else []
        else:
            year = c if c >= 100 else 2000 + c
            options = [f"{year:04d}-{a:02d}-{b:02d} (month first)"] if _is_date(year, a, b) else []
            if a != b and _is_date(year, b, a):
                options.append(f"{year:04d}-{b:02d}-{a:02d} (day first)")
        if not options:
            return (f"Write dates as YYYY-MM-DD, such as 2024-03-01; {match.group()} is no date.", span)
        return ("Write dates as YYYY-MM-DD: " + " or ".join(options) + ".", span)
    return None


def _is_date(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _loose_date(context: _Context) -> tuple[str, Span] | None:
    """A date or time written with one digit where two are needed (2024-3-1), more
    than six digits of a second's fraction, or a zone without its colon."""
    for match in _LOOSE_DATE.finditer(context.text, context.line_start, context.line_end):
        if not match.start() <= context.pos <= match.end():
            continue
        part = match.groupdict()
        written = f"{part['year']}-{int(part['month']):02d}-{int(part['day']):02d}"
        if part["hour"] is not None:
            written += f"T{int(part['hour']):02d}:{int(part['minute']):02d}"
            if part["second"] is not None:
                written += f":{int(part['second']):02d}"
                if part["fraction"] is not None:
                    written += "." + part["fraction"][:6]
        zone = part["zone"]
        if zone is not None and zone not in "Zz":
            digits = zone[1:].replace(":", "")
            zone = f"{zone[0]}{int(digits[:-2]):02d}:{digits[-2:]}"
        written += zone or ""
        if written == match.group():
            return None
        return (
            f"Write it as {written}: dates as YYYY-MM-DD, times as HH:MM or HH:MM:SS with at most six "
            "digits after the point, zones as Z or +HH:MM.",
            context.span(match.start(), match.end()),
        )
    return None


def _phone_number(context: _Context) -> tuple[str, Span] | None:
    number = re.match(r"\+[\d ().-]*\d", context.text[context.pos : context.line_end])
    if not number:
        return None
    return (
        f'Put phone numbers in double quotes: "{number.group()}".',
        context.span(context.pos, context.pos + len(number.group())),
    )


# ----------------------------------------------------------- parser hints


def _unclosed_parenthesis(context: _Context) -> tuple[str, Span] | None:
    token = context.token
    if token is None:
        return None
    if "RPAR" not in context.expected or token.type not in ("_NL", "$END", "_INDENT", "_DEDENT"):
        return None
    opened: list[int] = []
    line = context.text[context.line_start : context.pos]
    for match in re.finditer(r'"(?:[^"\\\n]|\\.)*"|[()]', line):
        if match.group() == "(":
            opened.append(match.start())
        elif match.group() == ")" and opened:
            opened.pop()
    if not opened:
        return None
    start = context.line_start + opened[-1]
    column = opened[-1] + 1
    return (f"Close the parenthesis opened at column {column} with ')'.", context.span(start, start + 1))


def _stray_else(context: _Context) -> str | None:
    """'else' where no 'if' block ends: indented inside the 'then' block, or with no 'if'."""
    first = context.text[context.line_start : context.line_end].split(maxsplit=1)
    if not first or first[0].lower() != "else" or "ELSE" in context.expected:
        return None
    as_verb = len(context.expected & _DETERMINERS) >= 3  # read as a call whose verb is "else"
    if not as_verb and (context.token is None or context.token.type != "_INDENT"):
        return None
    return "'else' belongs to an 'if': put it right after the 'then' block, indented as far as its 'if'."


def _contraction(context: _Context) -> str | None:
    words = [match.group() for match in context.previous_words()[-1:]]
    if context.token is not None and context.token.type == "WORD":
        words.insert(0, str(context.token))
    for word in words:
        instead = _CONTRACTIONS.get(word.lower())
        if instead:
            return f"Write '{instead}' instead of '{word}'."
    after = context.text[context.pos : context.pos + 3]
    previous = (context.previous() or "").lower()
    if after[:1] in ("'", "\u2019") and after[1:2].lower() == "t" and previous + "'t" in _CONTRACTIONS:
        return f"Write '{_CONTRACTIONS[previous + chr(39) + 't']}' instead of '{previous}{after[:2]}'."
    return None


def _missing_determiner(context: _Context) -> str | None:
    token = context.token
    if token is None or token.type not in ("WORD", "PROPER") or len(context.expected & _DETERMINERS) < 3:
        return None
    word, previous = str(token).lower(), (context.previous() or "").lower()
    if word == "is":
        return f"To name a value, write 'the {previous} is ...'; a call is a verb, a determiner and a noun."
    if word == "first":
        return f"Write 'the first N': '{previous} the first 5 ...'."
    if word in _keywords():
        return (
            f"'{token}' cannot start a noun here: a call is a verb, a determiner and a noun, "
            "as in 'read some SMS messages'."
        )
    return f"Put 'a', 'an', 'the', 'some' or 'all' before the noun: 'some {token} ...'."


def _keywords() -> set[str]:
    """Every keyword of the grammar."""
    from grammar.parser import parser

    return {word for terminal in parser().terminals if (word := _keyword(terminal.name))}


def _unquoted_text(context: _Context) -> str | None:
    token = context.token
    if token is None or token.type not in ("WORD", "PROPER") or "TEXT" not in context.expected:
        return None
    word = str(token)
    keywords = {keyword for name in context.expected if (keyword := _keyword(name))}
    close = _near(word, ["now", "today", "yesterday", "tomorrow", *sorted(keywords)])
    if close:
        return f"Did you mean '{close}' instead of '{word}'?"
    if (context.previous() or "").lower() in _BEFORE_TIMES:
        rest = context.text[context.pos : context.line_end].split()
        if word.lower() in ("a", "an", "one") and len(rest) > 1 and rest[1].lower().rstrip("s") in _UNITS:
            return f"Write the number: '1 {rest[1].lower().rstrip('s')} ago'."
        return (
            "Write a date such as 2024-03-01, a date and time such as 2024-03-01T15:00:00Z, or a relative "
            "time: now, today, yesterday, tomorrow, 7 days ago, 2 weeks ago, in 3 hours."
        )
    return f'Put text in double quotes: "{word}".'


def closest(word: str, known: Iterable[str], n: int = 3, cutoff: float = 0.5) -> list[str]:
    """The known words closest to ``word`` in spelling, best first, at most ``n``,
    none less alike than ``cutoff`` (0 to 1): for every "Did you mean ...?".

    >>> closest("sendr number", ["sender number", "recipient number", "body"], n=1)
    ['sender number']
    """
    return difflib.get_close_matches(word, list(known), n=n, cutoff=cutoff)


def _near(word: str, keywords: Iterable[str]) -> str | None:
    """The keyword ``word`` is most likely a slip of: close in spelling, or the same
    letters in another order ("nto" for "not")."""
    word = word.lower()
    known = list(keywords)
    if word in known:
        return None
    close = closest(word, known, n=1, cutoff=0.75)
    if close:
        return close[0]
    swapped = [keyword for keyword in known if len(word) >= 3 and sorted(keyword) == sorted(word)]
    return swapped[0] if swapped else None


def _missing_is(context: _Context) -> tuple[str, Span] | None:
    if context.token is None or not context.expected & _OPERATORS:
        return None
    for match in context.previous_words():
        if match.group().lower() in _AFTER_IS:
            start = context.line_start + match.start()
            fragment = context.text[start : context.pos].strip()
            return (f"Did you mean 'is {fragment}'?", context.span(start, start + len(match.group())))
    return None


def _glued(context: _Context) -> str | None:
    """A keyword glued to the next word: 'whosesender', 'isnot'."""
    keywords = sorted((word for name in context.expected if (word := _keyword(name))), key=len, reverse=True)
    candidates = [match.group() for match in context.previous_words()]
    if context.token is not None and context.token.type == "WORD":
        candidates.append(str(context.token))
    for word in reversed(candidates):
        for keyword in keywords:
            rest = word[len(keyword) :]
            if word.lower().startswith(keyword) and len(rest) >= 2 and rest[0].isalpha():
                return f"Did you mean '{word[: len(keyword)]} {rest}'? Put a space after '{keyword}'."
    return None


def _misspelt(context: _Context) -> str | None:
    keywords = {word for name in context.expected if (word := _keyword(name))} | (
        {"is", "contains", "equals", "starts", "ends"} if context.expected & _OPERATORS else set()
    )
    words = [match.group() for match in context.previous_words()[-1:]]
    if context.token is not None and context.token.type == "WORD":
        words.insert(0, str(context.token))
    for word in words:
        close = _near(word, sorted(keywords))
        if close:
            return f"Did you mean '{close}' instead of '{word}'?"
    return None


_ENDS = ("_NL", "$END", "_DEDENT")


def _unfinished(context: _Context) -> str | None:
    """The line stops where more was needed."""
    if context.token is None or context.token.type not in _ENDS:
        return None
    expected = context.expected
    previous = (context.previous() or "").lower()
    if previous == "whose":
        return (
            "Write a filter after 'whose': a field, an operator and a value, as in "
            "'whose sender number is \"+15005550006\"'."
        )
    if previous in ("and", "or", "not") and {"WORD", "LPAR"} <= expected:
        return f"Finish the filter after '{previous}' with a comparison, such as 'status is \"sent\"'."
    if {"TEXT", "NUMBER"} <= expected:
        return (
            "Finish the comparison with a value: quoted text, a number, a date, "
            "or a reference such as 'the start date'."
        )
    return None


def _missing_keyword(context: _Context) -> str | None:
    exc = context.exc
    if not isinstance(exc, UnexpectedToken) or exc.interactive_parser is None or context.token is None:
        return None
    for insertion in _INSERTIONS:
        if insertion[0] not in context.expected:
            continue
        trial = exc.interactive_parser.copy()  # type: ignore[no-untyped-call]
        try:
            for name in insertion:
                trial.feed_token(Token(name, name.lower()))
            trial.feed_token(context.token)
        except (LarkError, BookError, TypeError, ValueError, AttributeError):
            continue
        words = " ".join(name.lower() for name in insertion)
        previous = context.previous() or ""
        found = "" if context.token.type in ("_NL", "$END", "_DEDENT") else " " + str(context.token)
        return f"Did you mean '{previous} {words}{found}'?"
    return None


PHRASINGS = Path(__file__).with_name("phrasings.tsv")
_LAST = "# Tried last"  # the line of the table that starts its second part
_ANY = "\u2026"  # "…": whatever the parse fails on
_MARKS = {"_NL": "\u23ce", "$END": "\u23ce", "_DEDENT": "\u23ce", "_INDENT": "\u21e5"}  # ⏎ and ⇥
_KINDS = ("TEXT", "NUMBER", "DATE", "DATETIME")


def _word(token: Token) -> str:
    """The unexpected token as the table writes it: the word; the kind of a text, a
    number or a date; ⏎ for the end of a line, ⇥ for an indented line."""
    if token.type in _MARKS:
        return _MARKS[token.type]
    return token.type if token.type in _KINDS else str(token).lower()


def _where_it_failed(exc: UnexpectedInput, text: str) -> tuple[object, ...] | None:
    """Where a parse failed, as the phrasing table compares it: the parser's state
    and the unexpected word (as ``_word`` writes it); or the character, and
    whether it follows a text (``"Hi " +``) or something else (``+1500...``)."""
    if isinstance(exc, UnexpectedCharacters):
        before = text[: exc.pos_in_stream].rstrip()[-1:]
        return ("character", exc.char, before in ('"', "\u201d"))
    if isinstance(exc, UnexpectedToken):
        return ("token", getattr(exc.state, "position", None), _word(exc.token))
    return None


@dataclass(frozen=True)
class _Line:
    """A line of the phrasing table: where a parse fails, and the hint for it.

    Either ``where`` (an example's failure), or ``found`` (the words or symbols of a
    "* ..." line, or "…" for anything) with perhaps a terminal the parser must be
    able to take there (``needed``), or nothing else (``only``).
    """

    hint: str
    where: tuple[object, ...] | None = None
    found: tuple[str, ...] = ()
    needed: str | None = None
    only: bool = False

    def fits(self, context: _Context, where: tuple[object, ...] | None) -> tuple[str, Span | None] | None:
        """The hint and its span (None: the error's own) if this line fits the error."""
        if self.where is not None:
            return (self.hint, None) if where == self.where else None
        if self.needed is not None and (
            context.expected != {self.needed} if self.only else self.needed not in context.expected
        ):
            return None
        if context.token is not None:
            fits = bool({_ANY, _word(context.token), context.token.type} & set(self.found))
            return (self.hint, None) if fits else None
        rest = context.text[context.pos : context.line_end].lower()  # a character the lexer refused
        for found in self.found:
            if found == _ANY or rest.startswith(found):
                return self.hint, context.span(context.pos, context.pos + max(len(found), 1))
        return None


def _read(example: str, hint: str) -> _Line:
    """A line of the table, read: a "* ..." pattern, or an example parsed to see where it fails."""
    from grammar.parser import parser  # the parser imports this module lazily, on an error

    if example.startswith("* "):  # words, symbols or terminals, wherever the parse fails on them
        found, _, needed = example[2:].strip().partition(" where ")
        only = needed.startswith("only ")
        needed = needed.removeprefix("only ")
        words = tuple(word if word.isupper() else word.lower() for word in found.split(", "))
        terminals = {word for word in words if word.isupper()}
        if needed:
            needed = {"\u23ce": "_NL", "\u21e5": "_INDENT"}.get(needed, needed.upper())
            terminals.add(needed)
        unknown = terminals - {terminal.name for terminal in parser().terminals} - set(_MARKS)
        if unknown:
            raise ValueError(
                f"{PHRASINGS.name}: {example!r}: english.lark has no {' or '.join(sorted(unknown))}"
            )
        return _Line(hint, found=words, needed=needed or None, only=only)
    source = example.replace("\u23ce", "\n").rstrip() + "\n"
    try:
        parser().parse(source, start="script")
    except UnexpectedInput as exc:
        return _Line(hint, where=_where_it_failed(exc, source))
    raise ValueError(f"{PHRASINGS.name}: {example!r} parses: it is not a phrasing the language lacks")


@functools.cache
def _table() -> tuple[tuple[_Line, ...], tuple[_Line, ...]]:
    """The phrasing table (phrasings.tsv): the lines tried first, and those tried last."""
    parts: tuple[list[_Line], list[_Line]] = ([], [])
    part = parts[0]
    for line in PHRASINGS.read_text(encoding="utf-8").splitlines():
        if line.startswith(_LAST):
            part = parts[1]
        if line.strip() and not line.startswith("#"):
            part.append(_read(*line.split("\t")))
    return tuple(parts[0]), tuple(parts[1])


def _fit(lines: Iterable[_Line], context: _Context) -> tuple[str, Span | None] | None:
    """The hint of the first line of the table that fits the error."""
    where = _where_it_failed(context.exc, context.text)
    return next((fit for line in lines if (fit := line.fits(context, where))), None)


def _tried_first(context: _Context) -> tuple[str, Span | None] | None:
    """The lines of phrasings.tsv above "# Tried last", before any other hint."""
    return _fit(_table()[0], context)


def _tried_last(context: _Context) -> tuple[str, Span | None] | None:
    """The lines of phrasings.tsv below "# Tried last", after the hints that read the words written."""
    return _fit(_table()[1], context)


_LEXER_HINTS: list[Hint] = [
    _tried_first,
    _contraction,
    _unclosed_quote,
    _slash_date,
    _loose_date,
    _phone_number,
    _tried_last,
]
_PARSER_HINTS: list[Hint] = [
    _tried_first,
    _slash_date,
    _loose_date,
    _stray_else,
    _contraction,
    _unclosed_parenthesis,
    _missing_determiner,
    _unquoted_text,
    _glued,
    _missing_is,
    _misspelt,
    _missing_keyword,
    _tried_last,
    _unfinished,
]


def explain(exc: UnexpectedInput, text: str, start: str) -> EnglishSyntaxError:
    """The project's syntax error for lark's ``exc`` raised while parsing ``text``."""
    context = _Context(text, exc, start)
    if isinstance(exc, UnexpectedCharacters):
        char = text[context.pos : context.pos + 1]
        message = f"'{char}' cannot stand here" if char.strip() else "this character cannot stand here"
        hints = _LEXER_HINTS
    else:
        previous = context.previous()
        after = f" after '{brief(previous, 40)}'" if previous else ""
        expected = describe_expected(context.expected)
        found = _found(context.token) if context.token is not None else "something else"
        message = f"expected {expected}{after}, found {found}"
        hints = _PARSER_HINTS
    span = context.span()
    hint: str | None = None
    for rule in hints:
        result = rule(context)
        if result is None:
            continue
        if isinstance(result, tuple):
            hint, better = result
            span = better or span
        else:
            hint = result
        break
    if hint is None and isinstance(exc, UnexpectedCharacters) and context.expected:
        hint = f"Expected {describe_expected(context.expected)} here."
    return EnglishSyntaxError(message, span=span, source=text, hint=hint)
