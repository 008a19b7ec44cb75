"""Turns the parser's complaints into errors that say where and what to write instead.

``explain`` receives lark's exception and the source; it returns an
``EnglishSyntaxError`` whose message names what was expected and what was
found, and whose hint recognises the common mistakes: unquoted text, a missing
``whose``, ``is greater`` without ``than``, dates such as ``03/01/2024``,
unclosed quotes and parentheses, blocks with nothing indented under them,
glued and misspelt keywords. Every mistake it knows is a line of
mistakes.tsv, beside the grammar, and is tested.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from lark import Token
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from grammar.errors import BookError, EnglishSyntaxError, brief
from grammar.tree import Span

__all__ = ["closest", "explain"]

# Terminals that start a value; that start an operator; determiners.
_VALUES = {"TEXT", "NUMBER", "DATE", "DATETIME", "THE", "NOW", "TODAY", "YESTERDAY", "TOMORROW", "IN"}
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
_SYMBOL_OPERATORS = {
    "==": "is", "=": "is", "!=": "is not", "<>": "is not", ">=": "is at least (or 'is on or after' for dates)",
    "<=": "is at most (or 'is on or before' for dates)", ">": "is greater than (or 'is after' for dates)",
    "<": "is less than (or 'is before' for dates)", "&&": "and", "&": "and", "||": "or", "|": "or", "!": "not",
}  # fmt: skip


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


def _symbol(context: _Context) -> tuple[str, Span] | str | None:
    rest = context.text[context.pos : context.pos + 2]
    number = re.match(r"\+[\d ().-]*\d", context.text[context.pos : context.line_end])
    if number:
        return (
            f'Put phone numbers in double quotes: "{number.group()}".',
            context.span(context.pos, context.pos + len(number.group())),
        )
    for symbol, words in _SYMBOL_OPERATORS.items():
        if rest.startswith(symbol):
            return (
                f"Write '{words}' instead of '{symbol}'.",
                context.span(context.pos, context.pos + len(symbol)),
            )
    if rest[:1] == "'":
        return 'Quote text with double quotes: "like this".'
    if rest[:1] == "*":
        return "A proper noun is one word between asterisks, such as *SMS*."
    return None


# ----------------------------------------------------------- parser hints


def _unexpected_indent(context: _Context) -> str | None:
    if context.token is None or context.token.type != "_INDENT":
        return None
    return (
        "This line is indented, but the line above opens no block: only lines ending in "
        "'as follows', 'then', 'else', 'where' or 'with' take indented lines under them."
    )


def _empty_block(context: _Context) -> str | None:
    if "_INDENT" not in context.expected or context.token is None or context.token.type == "_INDENT":
        return None
    if context.token.type not in ("_NL", "$END") and context.expected - {"_INDENT", "_COLON"}:
        return None
    return (
        "A block is empty: indent the lines that belong to it (two spaces, say) under the line "
        "that ends in 'as follows', 'then', 'else', 'where' or 'with'."
    )


def _unclosed_parenthesis(context: _Context) -> tuple[str, Span] | str | None:
    token = context.token
    if token is None:
        return None
    if token.type == "RPAR" and "RPAR" not in context.expected:
        return "This ')' closes no '(': remove it, or open the parenthesis earlier."
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


def _or_list(context: _Context) -> str | None:
    if context.token is None or context.token.type != "OR_LITERAL":
        return None
    if re.search(r"\bis\s+not\s+(?:\S+\s+)?$|\bis\s+not\s+\"", context.before, re.IGNORECASE):
        return 'To exclude several values, write "is not one of": status is not one of "failed" or "undelivered".'
    return (
        "'or' followed by a value lists values only after 'is' (status is \"sent\" or \"delivered\"); "
        'with other operators repeat the field: body contains "stop" or body contains "quit".'
    )


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
    if word == "each":
        return "To do something for each item of a list, write 'process each ... as follows'."
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


def _missing_whose(context: _Context) -> str | None:
    token = context.token
    if token is None or token.type not in _OPERATORS or "WHOSE" not in context.expected:
        return None
    return (
        "Did you forget 'whose'? A filter follows the noun after 'whose', as in "
        "'read some SMS messages whose sender number is \"+15005550006\"'."
    )


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
    if len(expected & _DETERMINERS) >= 3:
        return (
            "A call is a verb, a determiner and a noun, as in 'read some SMS messages'; "
            "other statements start with 'the', 'use', 'say', 'process each' or 'if'."
        )
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


def _where_it_failed(exc: UnexpectedInput, text: str) -> tuple[object, ...] | None:
    """Where a parse failed, as the phrasing table compares it: the parser's state
    and the unexpected word (or the kind of a text or number); or the character,
    and whether it follows a text (``"Hi " +``) or something else (``+1500...``)."""
    if isinstance(exc, UnexpectedCharacters):
        before = text[: exc.pos_in_stream].rstrip()[-1:]
        return ("character", exc.char, before in ('"', "\u201d"))
    if isinstance(exc, UnexpectedToken):
        state = getattr(exc.state, "position", None)
        token = exc.token
        word = token.type if token.type in ("TEXT", "NUMBER", "DATE", "DATETIME") else str(token).lower()
        return ("token", state, token.type, word)
    return None


@functools.cache
def _phrasings() -> dict[tuple[object, ...], str]:
    """The phrasing table (phrasings.tsv): where each example fails, and its hint."""
    from grammar.parser import parser  # the parser imports this module lazily, on an error

    found: dict[tuple[object, ...], str] = {}
    for line in PHRASINGS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        example, hint = line.split("\t")
        if example.startswith("* "):  # a word, wherever the parse fails on it
            found.setdefault(("word", example[2:].strip().lower()), hint)
            continue
        source = example.replace("\u23ce", "\n").rstrip() + "\n"
        try:
            parser().parse(source, start="script")
        except UnexpectedInput as exc:
            where = _where_it_failed(exc, source)
            if where is not None:
                found.setdefault(where, hint)
            continue
        raise ValueError(f"{PHRASINGS.name}: {example!r} parses: it is not a phrasing the language lacks")
    return found


def _phrasing(context: _Context) -> str | None:
    """The table's hint for a phrasing the language does not take (phrasings.tsv)."""
    if context.start != "script":
        return None
    where = _where_it_failed(context.exc, context.text)
    if where is None:
        return None
    table = _phrasings()
    word = ("word", str(context.token).lower()) if context.token is not None else None
    return table.get(where) or (table.get(word) if word is not None else None)


_LEXER_HINTS: list[Hint] = [_phrasing, _contraction, _unclosed_quote, _slash_date, _loose_date, _symbol]
_PARSER_HINTS: list[Hint] = [
    _phrasing,
    _slash_date,
    _loose_date,
    _stray_else,
    _contraction,
    _unexpected_indent,
    _empty_block,
    _unclosed_parenthesis,
    _or_list,
    _missing_determiner,
    _unquoted_text,
    _glued,
    _missing_whose,
    _missing_is,
    _misspelt,
    _missing_keyword,
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
