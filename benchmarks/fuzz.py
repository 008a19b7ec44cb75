"""A seeded, bounded fuzzer of the book's three ways in (issue 11).

    python benchmarks/fuzz.py [--inputs 3000] [--seed 0] [--per-input-timeout 10]
                              [--target parse|step|run|all] [--workers 2] [--out escapes.json]
    python benchmarks/fuzz.py --seed 0 --show 1234     # print input 1234 of seed 0

The invariants, in words: any text given to ``grammar.parse_script``, to
``Session.step`` (a session of the Twilio book on a seeded sandbox file, on a
fixed clock) or to ``book run`` (in process, ``--format json`` or ``table``)
ends within the timeout with a result or the project's own error
(``BookError``), never another exception; ``step`` always answers a dict that
``json.dumps(..., allow_nan=False)`` takes, and never an "internal" error;
``book run`` exits 0, 1, 2 or 130, prints no traceback, and with ``--format
json`` prints exactly one JSON document; a run without confirmation changes at
most one of the sandbox's existing messages; and the sandbox account's secrets
(its auth token, its API keys' secrets) appear in no output. ``parse_script``'s
tree also prints as English that parses back to an equal tree.

Inputs are valid sentences (examples/*.english and a list below) mutated:
words dropped, swapped, duplicated, glued or replaced; odd characters (NUL,
control characters, lone surrogates, RTL marks, line separators) put in;
numbers and dates at and past the book's limits; deep nesting (``not``,
parentheses, if blocks, loops, else-if chains); very long lines, many lines,
wide and/or lists; tabs and mixed indentation; unbalanced quotes and escapes.
Input ``i`` of seed ``s`` is made from ``random.Random(f"{s}:{i}")`` alone, so
``--show i`` rebuilds it.

The targets run in worker processes fed over pipes; the parent is a watchdog
that kills a worker whose input passes the timeout (a hang can be in C code,
such as ``int()`` of a huge decimal, where no signal reaches it), tries the
input once more in a fresh worker, and records a hang when it times out again.
The timeout is of the CPU time the worker uses (``--clock cpu``, the default),
or three times that of wall time for a worker that waits: on a machine busy
with other work, a slow input does not pass for a hang. Each hang's input is
then given ``--patience`` seconds, to tell a slow input from a stuck one.
Each distinct escape (target, kind, exception type and where it was raised) is
reported with its smallest input, shrunk by removing lines, words and
characters while the same escape still happens. Exit code 1 when anything
escaped.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import io
import json
import logging
import multiprocessing
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NOW = dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)
TARGETS = ("parse", "step", "run")
KINDS = (
    "exception",
    "hang",
    "crash",
    "non-JSON",
    "exit code",
    "traceback",
    "changed >1 message",
    "secret shown",
    "round trip",
)

Escape = dict[str, Any]
"""One broken invariant: ``kind`` (one of KINDS), ``detail`` (what happened),
``signature`` (what tells it apart from other escapes), maybe ``traceback``."""

Options = Mapping[str, str]
"""How a target runs an input, besides its text: ``format`` (of ``book run``),
``timezone`` (the book's, for step and run)."""

Check = Callable[[str, Options], list[Escape]]
"""A target: runs one input's text with its options, answers the escapes it saw (none: all held)."""

ZONES = ["UTC"] * 6 + ["Etc/GMT+12", "Pacific/Kiritimati", "America/New_York", "Australia/Lord_Howe"]
"""The book's time zone for step and run: mostly UTC, sometimes one at an end of the offsets or odd."""


def _limits() -> tuple[int, int, int, int]:
    """The grammar's limits (grammar/limits.py), to fuzz at and just past them."""
    try:
        from grammar import limits
    except ImportError:  # limits not there yet: typical values
        return 10_000, 500_000, 32, 30
    return limits.LINE, limits.SCRIPT, limits.DEPTH, limits.DIGITS


LINE, SCRIPT, DEPTH, DIGITS = _limits()
ROUND_TRIP = 20_000
"""Parse checks that the tree prints as English that parses back to it for inputs up to this long."""

# ---------------------------------------------------------------- the corpus

BUILT_IN = [
    "read some SMS messages",
    "read all SMS messages",
    'read the first 3 SMS messages whose direction is "inbound"',
    'read some SMS messages whose body contains "order" and whose date sent is on or after 30 days ago',
    'read some SMS messages whose status is one of "sent", "delivered" or "failed"',
    'read some SMS messages whose status is "sent" or "delivered"',
    'read some SMS messages whose not (body contains "stop" or body starts with "STOP")',
    "read some SMS messages whose price is less than -0.005 and whose num segments is at least 1",
    "read some SMS messages whose error code is empty or error code is not 30003",
    "read some SMS messages whose date sent is between 2024-01-01 and 2024-06-01",
    "read some SMS messages whose date created is after 2024-05-01T12:00:00+02:00",
    'read some SMS messages whose sender number is "+1 (415) 555-0100"',
    'read some SMS messages whose body does not end with "." and whose date sent is before in 1 day',
    'read some SMS messages whose recipient number is "whatsapp:+14155550100"',
    'read an SMS message whose sid is "{sid0}"',
    'read some SMS messages whose sid is one of "{sid0}", "{sid1}" or "{sid2}"',
    'send an SMS message where\n  the sender number is "+15005550006"\n  the recipient number is "+14155550100"\n'
    '  the message body is "Your order has shipped."',
    'send an SMS message with the recipient number is "+14155550100" and the message body is "Hi" '
    'and the sender number is "+15005550006"',
    'send an SMS message where\n  the recipient number is "+14155550101"\n  the message body is "Later"\n'
    "  the send time is in 2 hours",
    "the start date is 2024-03-01\nread some SMS messages whose date sent is on or after the start date",
    'convert "2024-05-20T00:00:00Z" to a datetime\nuse the above as the start date\nsay the start date',
    'convert "2024-05-20" to a date\nsay the above',
    'convert "-0.0075" to a number\nuse the above as the price\nsay the price',
    'convert "Fri, 01 Mar 2024 15:00:00 +0000" to a datetime',
    'the x is 3\nif the x is greater than 2 then\n  say "big"\nelse if the x is 2 then\n  say "two"\n'
    'else\n  say "small"',
    "read the first 2 SMS messages\nprocess each SMS message as follows\n  say the SMS message's body",
    'read the first 3 SMS messages whose direction is "inbound"\nprocess each SMS message as follows:\n'
    '  if the SMS message\'s body contains "stop" then\n    say "opt-out"\n  else\n'
    '    send an SMS message where\n      the sender number is "+15005550006"\n'
    "      the recipient number is the SMS message's sender number\n"
    '      the message body is "Thanks, we got your message."',
    'redact an SMS message whose sid is "{sid0}"',
    'redact some SMS messages whose sid is "{sid1}"',
    "redact the first 2 SMS messages",
    'redact some SMS messages whose body contains "code"',
    'delete an SMS message whose sid is "{sid2}"',
    'delete some SMS messages whose direction is "inbound"',
    "delete the first 1 SMS messages",
    'cancel some SMS messages whose status is "scheduled"',
    'cancel an SMS message whose sid is "{scheduled0}"',
    'cancel some SMS messages whose sid is one of "{scheduled0}" or "{scheduled1}"',
    "read the first 2 SMS messages\nprocess each SMS message as follows\n  redact the SMS message",
    "read the first 1 SMS messages\nprocess each SMS message as follows\n  delete the SMS message",
    'redact an SMS message whose sid is "{sid0}"\nredact an SMS message whose sid is "{sid1}"',
    'read an SMS message whose sid is "{sid3}"\nredact the SMS message\ndelete the SMS message',
    'read some SMS messages whose sid is "{sid0}" or sid is "{sid1}"\nprocess each SMS message as follows\n'
    "  delete the SMS message",
    'if 1 is 1 then\n  redact an SMS message whose sid is "{sid0}"\n  delete an SMS message whose sid is "{sid1}"',
    'send an SMS message where\n  the sender number is "+15005550006"\n  the recipient number is "+14155550101"\n'
    '  the message body is "Reminder"\n  the send time is in 1 hour\nuse the above as the scheduled sid\n'
    "cancel some SMS messages whose sid is the scheduled sid",
    "read some SMS messages\nuse the above as the old messages\nsay the old messages",
    'say "h\\u00e9llo \\"quoted\\"\\n\\ttab"',
    'the greeting is "hi"\nsay the greeting',
    'if not the answer is empty then\n  say "x"\nelse\n  say "y"',
    "read some SMS messages whose body is empty or body is not empty",
    "say now\nsay today\nsay 3 days ago\nsay in 2 weeks",
    'read some SMS messages whose body contains "x"\nsay the SMS messages',
    "the count is 5\nread the first 5 SMS messages whose num segments is at most the count",
    'if the x is 1 or ("a" is the y) then\n  say 1',
    "  read some SMS messages\n  say the above  # an indented script and a comment",
    'say the number of SMS messages whose status is "failed" or status is "sent"',
    'if the number of SMS messages whose body contains "x" is greater than 2 then\n  say "many"',
    "count the first 3 SMS messages\nsay the number of SMS messages",
    'read some phone numbers whose capabilities contains "mms"\nsay the number of phone numbers',
    'set the SMS URL of a phone number whose phone number is "+15005550006" where the SMS URL is "https://a.example"',
    "read the first 2 SMS messages whose num media is greater than 0\nprocess each SMS message as follows\n"
    "  read the media of the SMS message\n  say the media",
    'send a Twilio request where\n  the method is "GET"\n  the path is "/2010-04-01/Accounts/{AccountSid}/Calls.json"',
]

ODD = [
    "\x00", "\ud800", "\udfff", "\udc80", "\u202e", "\u200f", "\u200e", "\u2066", "\ufeff", "\u200b",
    "\u00a0", "\u3000", "\u2028", "\u2029", "\x85", "\r", "\r\n", "\t", "\v", "\f", "\x1b[31m", "\x7f",
    "é", "e\u0301", "𝔰𝔞𝔶", "😀", "👩\u200d👩\u200d👧", "٣", "１２", "²", "Ⅻ", "ﬁ", "İ", "ß", "Σ", "\\", "\\u",
    "\\ud800", '"', "'", "“", "”", "(", ")", "#", ":", "=", ">", "!=", "{}", "[bold]x[/bold]", "%s",
    "{0}", "\u0000\u0000", "\U0010ffff", "\ufffd", "\u0301", "\u200d",
]  # fmt: skip

KEYWORDS = [
    "not", "and", "or", "whose", "where", "with", "is", "as follows", "then", "else", "if", "process each",
    "say", "use", "the", "a", "some", "all", "the first", "to", "contains", "between", "one of", "empty",
    "the above", "the answer", "now", "today", "is not", "does not", "greater than", "ago", "in", "as",
]  # fmt: skip

NUMBERS = [
    "1e999999999", "-1e999999999", "1e-999999999", "9" * 5000, "-" + "9" * 5000, "0." + "0" * 4990 + "1",
    "0" * 5000 + "1", "-0", "-0.0", "0.0e-5", "NaN", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "1e309",
    "1" + "0" * DIGITS, "9" * DIGITS, "9" * (DIGITS + 1), "0." + "0" * DIGITS + "1", "0." + "9" * (DIGITS + 1),
    "99999999999999999999", "1_000", "1,000", "١٢", "１", "0x1F", "1e3", "1E+3", ".5", "5.", "+5", "--5",
    "1e", "4294967296", "9223372036854775808", "-9223372036854775809", "1000000000", "1000000001",
    "2147483648", "0.1234567890123456789", "1e-7", "12e4000",
]  # fmt: skip

DATES = [
    "9999-12-31", "0001-01-01", "2024-02-29", "2023-02-29", "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "0001-01-01T00:00", "2024-03-10T02:30",
    "2024-02-29T23:59:60Z", "2024-06-01T12:00:00.123456789Z", "10000-01-01", "2024-13-01", "0000-01-01",
    "1000000000 days ago", "in 1000000000 weeks", "1000000000 minutes ago", "in 999999999 days",
    "1000000001 hours ago", "0 days ago", "in 0 seconds",
]  # fmt: skip

TEXTS = [
    "", " ", "\x00", "\ud800", "\udc80x", "İ", "ß", "ﬁ", "\u202e+14155550100", "+1 (415) 555-0100", "+0",
    "+999999999999999999999", "whatsapp:+1", "whatsapp:", "SM" + "0" * 32, "MM" + "f" * 32, "SM\u0000", "a" * 1601,
    "a" * 1600, "💩" * 801, "😀" * 70, "\\u0000", "%", "_", "*", "'", "\\", "\\n", "{{}}", "MG" + "a" * 32,
    "http://user:pw@x", "file:///etc/passwd", "-1", "1e999999999", "2024-02-30", "yesterday", "NaN", "sent",
    "scheduled", "SENT", "stop", "STOP\u200b", "\u0130", "\t\r\n", "\u2028", "\x1b[2J",
]  # fmt: skip
"""Contents put between the quotes of a valid sentence (escapes are the language's: \\u0000 is
the six characters, for the parser to read)."""

NUMBER_SLOTS = [
    "the x is {n}\nsay the x",
    "the x is {n}",
    'convert "{n}" to a number',
    "say {n}",
    "read the first {n} SMS messages",
    "read some SMS messages whose price is greater than {n}",
    "read some SMS messages whose num segments is one of {n}, {n} or 1",
    "read some SMS messages whose error code is between {n} and {n}",
    "read some SMS messages whose date sent is after {n} days ago",
    "read some SMS messages whose date sent is before in {n} hours",
    'convert "{n}" to a number\nsay the above',
    "if {n} is greater than 1 then\n  say {n}\nelse\n  say 0",
    "the x is {n}\nthe y is the x\nif the x is the y then\n  say the x",
    'send an SMS message where\n  the recipient number is "+14155550100"\n  the message body is "x"\n'
    "  the send time is in {n} minutes",
    "say {n} days ago",
    'send an SMS message with the recipient number is "{n}" and the message body is "{n}"',
    "read some SMS messages whose price is {n} and whose num media is at least {n}",
]

DATE_SLOTS = [
    "the x is {d}",
    'convert "{d}" to a datetime',
    "if now is between {d} and {d} then\n  say 1",
    "the x is {d}\nif the x is before now then\n  say the x",
    "read some SMS messages whose date sent is not between {d} and {d}",
    "read some SMS messages whose date sent is after {d}",
    "read some SMS messages whose date sent is between {d} and {d}",
    "read some SMS messages whose date created is on or before {d}",
    "read some SMS messages whose date updated is {d}",
    "the start date is {d}\nsay the start date",
    'convert "{d}" to a datetime\nsay the above',
    'convert "{d}" to a date',
    'send an SMS message where\n  the recipient number is "+14155550100"\n  the message body is "x"\n'
    "  the send time is {d}",
    "if {d} is after now then\n  say {d}",
]


def corpus(sids: Mapping[str, str] | None = None) -> list[str]:
    """The valid sentences mutations start from: the examples' scripts, each of
    their lines, and BUILT_IN, with ``{sid0}`` and the like filled in from the
    sandbox (``sids``; placeholders left when there is none)."""
    found: list[str] = []
    for path in sorted((ROOT / "examples").glob("*.english")):
        text = path.read_text(encoding="utf-8")
        found.append(text)
        found.extend(line for line in text.splitlines() if line.strip() and not line.startswith("#"))
    for sentence in BUILT_IN:
        for name, sid in (sids or {}).items():
            sentence = sentence.replace("{" + name + "}", sid)
        found.append(sentence)
    return found


# ---------------------------------------------------------------- the inputs


@dataclass(frozen=True)
class Input:
    """One generated input: its text, how it was made (in words, short), and the options it runs with."""

    index: int
    text: str
    how: str
    options: tuple[tuple[str, str], ...] = ()

    def shown_options(self) -> str:
        return " ".join(f"--{name} {value}" for name, value in self.options)


def shown(text: str, room: int = 300) -> str:
    """``repr`` of a text, its middle cut out when it is longer than ``room``."""
    if len(text) <= room:
        return repr(text)
    head, tail = text[: room * 2 // 3], text[-room // 3 :]
    return f"{head!r} + <{len(text) - len(head) - len(tail):,} more characters> + {tail!r}"


def _words_mutated(rng: random.Random, text: str) -> tuple[str, str]:
    words = text.split(" ")
    done = []
    for _ in range(rng.randint(1, 4)):
        if not words:
            break
        at = rng.randrange(len(words))
        kind = rng.choice(["drop", "swap", "duplicate", "glue", "keyword", "odd", "number", "cut quote"])
        if kind == "drop":
            del words[at]
        elif kind == "swap":
            other = rng.randrange(len(words))
            words[at], words[other] = words[other], words[at]
        elif kind == "duplicate":
            words.insert(at, words[at])
        elif kind == "glue" and at + 1 < len(words):
            words[at : at + 2] = [words[at] + words[at + 1]]
        elif kind == "keyword":
            words.insert(at, rng.choice(KEYWORDS))
        elif kind == "odd":
            word = words[at]
            cut = rng.randint(0, len(word))
            words[at] = word[:cut] + rng.choice(ODD) + word[cut:]
        elif kind == "number":
            words[at] = rng.choice(NUMBERS)
        elif kind == "cut quote" and '"' in words[at]:
            words[at] = words[at].replace('"', "", 1)
        done.append(kind)
    return " ".join(words), "words " + "/".join(done or ["unchanged"])


def _indentation_mutated(rng: random.Random, text: str) -> tuple[str, str]:
    lines = text.split("\n")
    kind = rng.choice(["tabs", "mixed", "nbsp", "crlf", "cr", "dedent", "indent", "formfeed", "ls"])
    if kind == "crlf":
        return "\r\n".join(lines), "CRLF line ends"
    if kind == "cr":
        return "\r".join(lines), "CR line ends"
    if kind == "ls":
        return rng.choice(["\u2028", "\x85", "\v"]).join(lines), "unicode line separators"
    at = rng.randrange(len(lines))
    line = lines[at]
    bare = line.lstrip(" ")
    depth = len(line) - len(bare)
    if kind == "tabs":
        lines = [("\t" * ((len(x) - len(x.lstrip(" "))) // 2)) + x.lstrip(" ") for x in lines]
    elif kind == "mixed":
        lines[at] = "\t" + " " * max(0, depth - 2) + bare
    elif kind == "nbsp":
        lines[at] = "\u00a0" * depth + bare if depth else "\u3000" + bare
    elif kind == "dedent":
        lines[at] = " " * max(0, depth - 1) + bare
    elif kind == "indent":
        lines[at] = " " * (depth + rng.choice([1, 2, 3, 8])) + bare
    elif kind == "formfeed":
        lines[at] = "\f" + line
    return "\n".join(lines), f"indentation: {kind} (line {at + 1})"


def _quotes_mutated(rng: random.Random, text: str) -> tuple[str, str]:
    kind = rng.choice(["drop", "add", "curly", "escape end", "bad escape", "surrogate escape", "nul escape"])
    quotes = [i for i, c in enumerate(text) if c == '"']
    if kind == "drop" and quotes:
        at = rng.choice(quotes)
        return text[:at] + text[at + 1 :], "quotes: one dropped"
    if kind == "curly" and quotes:
        at = rng.choice(quotes)
        return text[:at] + rng.choice("“”„«»") + text[at + 1 :], "quotes: one made curly"
    escape = {
        "escape end": "\\",
        "bad escape": rng.choice(["\\u12", "\\x41", "\\q", "\\u{41}", "\\U0001F600"]),
        "surrogate escape": rng.choice(["\\ud800", "\\udfff", "\\udc00\\ud800", "\\ud83d\\ude00"]),
        "nul escape": "\\u0000",
    }.get(kind, '"')
    if quotes and kind != "add":
        at = rng.choice(quotes)
        return text[:at] + escape + text[at:], f"quotes: {kind}"
    at = rng.randint(0, len(text))
    return text[:at] + '"' + text[at:], "quotes: one added"


def _text_replaced(rng: random.Random, text: str) -> tuple[str, str]:
    parts = text.split('"')
    if len(parts) < 3:
        return text + ' "' + rng.choice(TEXTS) + '"', "a text added at the end"
    at = rng.randrange(1, len(parts) - 1, 2)  # the odd parts are between quotes
    parts[at] = rng.choice(TEXTS)
    return '"'.join(parts), f"quoted text {at // 2 + 1} replaced by {shown(parts[at], 40)}"


def _deep(rng: random.Random) -> tuple[str, str]:
    n = rng.choice([DEPTH - 1, DEPTH, DEPTH + 1, 64, 200, 500, 1000, 5000, 50_000])
    shape = rng.choice(
        ["nots", "parens", "open parens", "if nots", "ifs", "loops", "else ifs", "cond parens"]
    )
    if shape == "nots":
        return f'read some SMS messages whose {"not " * n}body contains "x"', f"filter in {n:,} nots"
    if shape == "parens":
        return (
            f'read some SMS messages whose {"(" * n}body contains "x"{")" * n}',
            f"filter in {n:,} parentheses",
        )
    if shape == "open parens":
        return "read some SMS messages whose " + "(" * n, f"{n:,} unclosed parentheses"
    if shape == "if nots":
        return f"if {'not ' * n}1 is 1 then\n  say 1", f"condition in {n:,} nots"
    if shape == "cond parens":
        return f"if {'(' * n}1 is 1{')' * n} then\n  say 1", f"condition in {n:,} parentheses"
    if shape == "ifs":
        n = min(n, 5000)
        lines = [" " * i + "if 1 is 1 then" for i in range(n)] + [" " * n + "say 1"]
        return "\n".join(lines), f"{n:,} if blocks nested, one space deeper each"
    if shape == "loops":
        n = min(n, 2000)
        lines = ["read the first 2 SMS messages"]
        lines += [" " * i + "process each SMS message as follows" for i in range(n)]
        lines += [" " * n + "say the SMS message's body"]
        return "\n".join(lines), f"{n:,} loops nested"
    lines = ["the x is 3", "if the x is 1 then", "  say 1"]
    lines += [line for i in range(n) for line in (f"else if the x is {i} then", "  say 2")]
    return "\n".join([*lines, "else", "  say 3"]), f"an else-if chain of {n:,}"


def _long(rng: random.Random) -> tuple[str, str]:
    n = rng.choice([LINE - 1, LINE, LINE + 1, 100_000, 500_000, 2_000_000])
    shape = rng.choice(
        ["text", "body", "noun", "spaces", "comment", "lines", "names", "script size", "or list"]
    )
    if shape == "text":
        return 'say "' + "a" * n + '"', f"say a text of {n:,} a's"
    if shape == "body":
        return f'read some SMS messages whose body contains "{"x" * n}"', f"contains a text of {n:,} x's"
    if shape == "noun":
        count = n // 4
        return f"read some {'SMS ' * count}messages", f"a noun of {count:,} words 'SMS'"
    if shape == "spaces":
        return " " * n + "say 1", f"{n:,} spaces, then say 1"
    if shape == "comment":
        return "say 1 # " + "x" * n, f"a comment of {n:,} x's"
    if shape == "lines":
        count = rng.choice([10_000, 50_000, 200_000])
        return "say 1\n" * count, f"{count:,} lines 'say 1'"
    if shape == "names":
        count = rng.choice([5_000, 20_000])
        names = "\n".join(f"the value{i} is {i}" for i in range(count))
        return names + f"\nsay the value{count // 2}", f"{count:,} named values and a reference"
    if shape == "script size":
        line = "say 1\n"
        size = rng.choice([SCRIPT - 1, SCRIPT, SCRIPT + 1])
        count, rest = divmod(size, len(line))
        return (
            line * count + "#" * rest,
            f"a script of exactly {size:,} characters ('say 1' lines, a comment)",
        )
    count = rng.choice([1_000, 10_000, 50_000])
    joined = " or ".join(f'body contains "{i}"' for i in range(count))
    return "read some SMS messages whose " + joined, f"a filter of {count:,} comparisons joined by or"


def _wide(rng: random.Random) -> tuple[str, str]:
    count = rng.choice([100, 1_000, 10_000])
    shape = rng.choice(["one of", "and condition", "arguments", "sends", "changes"])
    if shape == "one of":
        values = ", ".join(f'"{i}"' for i in range(count))
        return f'read some SMS messages whose status is one of {values} or "x"', f"one of {count:,} values"
    if shape == "and condition":
        return "if " + " and ".join(["1 is 1"] * count) + " then\n  say 1", f"a condition of {count:,} ands"
    if shape == "arguments":
        arguments = " and ".join([f'the message body is "{i}"' for i in range(count)])
        return f'send an SMS message with the recipient number is "+14155550100" and {arguments}', (
            f"a send with {count:,} message bodies"
        )
    if shape == "sends":
        send = 'send an SMS message with the recipient number is "+14155550100" and the message body is "hi"'
        count = min(count, 300)
        return "\n".join([send] * count), f"{count:,} sends in a row"
    verb = rng.choice(["redact", "delete", "cancel"])
    return (
        f"read all SMS messages\nprocess each SMS message as follows\n  {verb} the SMS message",
        f"{verb} each message in a loop",
    )


def _random_text(rng: random.Random) -> tuple[str, str]:
    kind = rng.choice(["unicode", "bytes", "odd"])
    size = rng.randint(1, 200)
    if kind == "unicode":
        return "".join(chr(rng.randrange(0x110000)) for _ in range(size)), f"{size} random code points"
    if kind == "bytes":
        data = bytes(rng.randrange(256) for _ in range(size))
        return data.decode("utf-8", "surrogateescape"), f"{size} random bytes (surrogateescape)"
    return "".join(rng.choice(ODD + KEYWORDS + [" ", "\n", "  "]) for _ in range(size)), f"{size} odd pieces"


def make(seed: int, index: int, sentences: list[str]) -> Input:
    """Input ``index`` of ``seed``: the same for the same arguments."""
    text, how = _made(random.Random(f"{seed}:{index}"), sentences)
    rng = random.Random(f"{seed}:{index}:options")
    options = (("format", rng.choice(["json", "table"])), ("timezone", rng.choice(ZONES)))
    return Input(index, text, how, options)


def _made(rng: random.Random, sentences: list[str]) -> tuple[str, str]:
    roll = rng.random()
    base_at = rng.randrange(len(sentences))
    base = sentences[base_at]
    if roll < 0.32:
        text, how = _words_mutated(rng, base)
    elif roll < 0.40:
        text, how = _text_replaced(rng, base)
    elif roll < 0.47:
        text, how = _indentation_mutated(rng, base)
    elif roll < 0.55:
        text, how = _quotes_mutated(rng, base)
    elif roll < 0.65:
        slot = rng.choice(NUMBER_SLOTS)
        number = rng.choice(NUMBERS)
        return slot.replace("{n}", number), f"number {shown(number, 40)} in {slot!r}"
    elif roll < 0.72:
        slot = rng.choice(DATE_SLOTS)
        date = rng.choice(DATES)
        return slot.replace("{d}", date), f"date {date!r} in {slot!r}"
    elif roll < 0.78:
        other = rng.choice(sentences).split("\n")
        lines = base.split("\n")
        at = rng.randint(0, len(lines))
        text, how = "\n".join(lines[:at] + other + lines[at:]), "two sentences spliced"
    elif roll < 0.83:
        return _random_text(rng)
    elif roll < 0.89:
        return _deep(rng)
    elif roll < 0.93:
        return _long(rng)
    else:
        return _wide(rng)
    return text, f"{how} of sentence {base_at} ({shown(base, 60)})"


# ---------------------------------------------------------------- the targets
# They run in the workers; the sandbox they use is prepared by the parent
# (``prepare``) before the workers are made.


@dataclass
class World:
    """The seeded sandbox every step and run starts from, and what is known of it."""

    pristine: Path
    rows: dict[str, tuple[Any, ...]]
    secrets: tuple[str, ...]
    sids: dict[str, str]
    count: int = 0


WORLD: World | None = None


def prepare(directory: Path, messages: int = 120) -> World:
    """A seeded sandbox file in ``directory`` (with three scheduled messages to
    cancel), its messages, secrets and some sids; the targets start each input
    from a copy of it."""
    from book.connection import Connection, Settings
    from book.procedures import registry
    from book.sandbox import Sandbox, seed
    from procedures import FixedClock, Session

    global WORLD
    path = directory / "pristine.sqlite3"
    sandbox = Sandbox(str(path), clock=FixedClock(NOW))
    seed(sandbox, messages, seed=11)
    send = (
        'send an SMS message with the recipient number is "+1415555010{i}" and the message body is "later {i}" '
        "and the send time is in {i} hours"
    )
    with Session(
        registry, clock=sandbox.clock, resources=[Connection(sandbox=sandbox), Settings()], say=None
    ) as made:
        scheduled = [made.run(send.format(i=i)).value for i in (1, 2, 3)]
    rows = _rows(sandbox.state)
    sids = {f"sid{i}": sid for i, sid in enumerate(sorted(rows)[:4])}
    sids.update({f"scheduled{i}": sid for i, sid in enumerate(scheduled)})
    account = sandbox.account
    secrets = (account.token, *(secret for _, secret in account.keys))
    sandbox.state.close()
    WORLD = World(path, rows, secrets, sids)
    return WORLD


def _rows(state: Any) -> dict[str, tuple[Any, ...]]:
    with state.transaction() as db:
        cursor = db.execute("SELECT * FROM messages")
        at = [column[0] for column in cursor.description].index("sid")
        return {row[at]: tuple(row) for row in cursor.fetchall()}


def _copy() -> Path:
    assert WORLD is not None, "prepare() makes the sandbox first"
    WORLD.count += 1
    path = WORLD.pristine.with_name(f"work-{os.getpid()}-{WORLD.count}.sqlite3")
    shutil.copyfile(WORLD.pristine, path)
    return path


def _discard(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(OSError):
            os.unlink(f"{path}{suffix}")


def escape(kind: str, detail: str, signature: str | None = None, **more: Any) -> Escape:
    return {"kind": kind, "detail": detail, "signature": signature or kind, **more}


def where(tb: Any) -> str:
    """The innermost frame of the project's own code in a traceback (else the innermost)."""
    frames = traceback.extract_tb(tb)
    ours = [
        frame
        for frame in frames
        if frame.filename.startswith(str(ROOT))
        and "/.venv/" not in frame.filename
        and frame.filename != __file__
    ]
    if not frames:
        return "?"
    frame = (ours or frames)[-1]
    name = frame.filename.removeprefix(str(ROOT) + "/")
    return f"{name}:{frame.lineno} in {frame.name}"


def from_exception(error: BaseException, kind: str = "exception") -> Escape:
    kind_of = type(error).__name__
    message = str(error)
    detail = f"{kind_of}: {message[:300]}{'…' if len(message) > 300 else ''}"
    lines = traceback.format_exception(error)
    text = "".join(lines)
    return escape(
        kind,
        detail,
        f"{kind_of} at {where(error.__traceback__)}",
        traceback=text if len(text) < 6000 else text[:1500] + "\n…\n" + text[-4000:],
    )


def _changed(state: Any) -> list[str]:
    assert WORLD is not None
    after = _rows(state)
    return [sid for sid, row in WORLD.rows.items() if after.get(sid) != row]


def _leaks(*outputs: str) -> bool:
    assert WORLD is not None
    return any(secret and secret in output for secret in WORLD.secrets for output in outputs)


def _captured() -> tuple[io.TextIOWrapper, io.TextIOWrapper]:
    """stdout and stderr as a pipe would have them: UTF-8, strict, not a terminal."""
    return (
        io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict", write_through=True),
        io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict", write_through=True),
    )


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    buffer = stream.buffer
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue().decode("utf-8", "replace")


def check_parse(text: str, options: Options | None = None) -> list[Escape]:
    """``parse_script``: a tree or a BookError whose text and data can be shown;
    the tree prints as English that parses back to it."""
    from grammar import BookError, parse_script

    try:
        script = parse_script(text)
    except BookError as error:
        str(error)
        try:
            json.dumps(error.to_dict(), allow_nan=False)
        except (TypeError, ValueError) as exc:
            return [escape("non-JSON", f"the error's data: {exc}", f"error data: {type(exc).__name__}")]
        return []
    except Exception as error:  # noqa: BLE001 - any other exception is what we are looking for
        return [from_exception(error)]
    if len(text) > ROUND_TRIP:
        return []  # the invariant is parse's own time: a round trip would double it
    english = str(script)
    try:
        again = parse_script(english)
    except BookError as error:
        return [
            escape(
                "round trip", f"the tree's English does not parse: {str(error)[:300]}", "round trip: refused"
            )
        ]
    if again != script:
        return [escape("round trip", f"the tree's English {shown(english, 200)} parses to another tree")]
    return []


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def check_step(text: str, options: Options | None = None) -> list[Escape]:
    """``Session.step`` on a fresh copy of the sandbox, unconfirmed, in ``options["timezone"]``."""
    from book.connection import Connection
    from book.session import open_session

    path = _copy()
    said: list[str] = []
    records = _Records()
    logger = logging.getLogger("procedures.session")
    logger.addHandler(records)
    out, err = _captured()
    escapes: list[Escape] = []
    try:
        session = open_session(
            sandbox=path,
            timezone=(options or {}).get("timezone", "UTC"),
            environ={"SMS_BOOK_NOW": NOW.isoformat()},
            say=said.append,
        )
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                result = session.step(text)
        finally:
            session.close()
        if not isinstance(result, dict):
            return [escape("non-JSON", f"step answered a {type(result).__name__}, not a dict", "not a dict")]
        try:
            dumped = json.dumps(result, allow_nan=False)
        except (TypeError, ValueError) as exc:
            dumped = repr(result)
            escapes.append(
                escape("non-JSON", f"{type(exc).__name__}: {exc}", f"step result: {type(exc).__name__}")
            )
        error = result.get("error")
        if isinstance(error, dict) and error.get("kind") == "internal":
            found = next((r for r in records.records if r.exc_info and r.exc_info[1] is not None), None)
            if found is not None and found.exc_info and found.exc_info[1] is not None:
                escapes.append(from_exception(found.exc_info[1]))
            else:
                escapes.append(escape("exception", str(error.get("message"))[:300], "internal error"))
        printed = _text(out) + _text(err)
        if "Traceback (most recent call last)" in printed:
            escapes.append(escape("traceback", "step printed a traceback", "traceback from step"))
        changed = _changed(session.resources[Connection].sandbox.state)
        if len(changed) > 1:
            escapes.append(
                escape("changed >1 message", f"{len(changed)} existing messages changed unconfirmed")
            )
        if _leaks(dumped, printed, *said):
            escapes.append(escape("secret shown", "the auth token or a key's secret is in the step's output"))
        return escapes
    finally:
        logger.removeHandler(records)
        _discard(path)


def check_run(text: str, options: Options | None = None) -> list[Escape]:
    """``book run --format FORMAT --timezone ZONE -e TEXT`` in process (``options``:
    format json unless told, timezone UTC unless told), on a fresh copy of the
    sandbox. A text starting with '-' (which argparse would read as an option)
    goes in on stdin."""
    from book.cli.main import main
    from book.sandbox import State

    path = _copy()
    format = (options or {}).get("format", "json")
    argv = [
        "run",
        "--sandbox",
        str(path),
        "--format",
        format,
        "--timezone",
        (options or {}).get("timezone", "UTC"),
    ]
    argv += ["-"] if text.startswith("-") else ["-e", text]
    out, err = _captured()
    escapes: list[Escape] = []
    stdin = sys.stdin
    try:
        sys.stdin = io.StringIO(text)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code: Any = main(argv)
        except SystemExit as exit:
            code = 0 if exit.code is None else exit.code
        except Exception as error:  # noqa: BLE001 - any other exception is what we are looking for
            escapes.append(from_exception(error))
            code = None
        finally:
            sys.stdin = stdin
        stdout, stderr = _text(out), _text(err)
        if code is not None and code not in (0, 1, 2, 130):
            escapes.append(escape("exit code", f"exit code {code!r}", f"exit code {code!r}"))
        if "Traceback (most recent call last)" in stdout + stderr:
            escapes.append(
                escape("traceback", f"a traceback in the output: {stderr[-300:]!r}", "traceback from run")
            )
        if format == "json" and code is not None:
            try:
                json.loads(stdout, parse_constant=_no_constant)
            except ValueError as exc:
                escapes.append(
                    escape(
                        "non-JSON",
                        f"stdout is not one JSON document ({exc}): {shown(stdout, 200)}",
                        f"run stdout: {str(exc).split(':')[0]}",
                    )
                )
        state = State(path)
        try:
            changed = _changed(state)
        finally:
            state.close()
        if len(changed) > 1:
            escapes.append(
                escape("changed >1 message", f"{len(changed)} existing messages changed unconfirmed")
            )
        if _leaks(stdout, stderr):
            escapes.append(
                escape("secret shown", "the auth token or a key's secret is in the command's output")
            )
        return escapes
    finally:
        _discard(path)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def book_targets() -> dict[str, Check]:
    """The three targets."""
    return {"parse": check_parse, "step": check_step, "run": check_run}


# ---------------------------------------------------------------- the workers


def _serve(conn: Connection, targets: Mapping[str, Check], memory_mb: int) -> None:
    """A worker: answers ``(target, text)`` with ``(escapes, seconds)`` until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the parent, which stops us
    if memory_mb:
        import resource

        limit = memory_mb * 1024 * 1024
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for name in list(os.environ):  # never Twilio, never the person's own sandbox
        if name.startswith(("TWILIO_", "SMS_BOOK_")):
            del os.environ[name]
    os.environ["SMS_BOOK_NOW"] = NOW.isoformat()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        name, text, options = message
        start, cpu = time.perf_counter(), time.process_time()
        try:
            escapes = targets[name](text, options)
        except BaseException as error:  # noqa: BLE001 - whatever escapes is what we are looking for
            escapes = [from_exception(error)]
        conn.send((escapes, time.perf_counter() - start, time.process_time() - cpu))


def cpu_seconds(pid: int) -> float | None:
    """The CPU time a process has used (all its threads), from /proc; None where there is none."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


@dataclass(frozen=True)
class Job:
    """One input for one target. ``once``: one timeout is a hang (no second try);
    ``timeout``: this job's own (else the harness's)."""

    target: str
    input: Input
    once: bool = False
    timeout: float | None = None
    timed_out: bool = False


LATER = Job("", Input(-1, "", "later"))
"""What a job list gives when it has no job now, but will once a job in flight has finished."""


@dataclass
class Outcome:
    """What one job gave: its escapes, wall and CPU seconds, maybe a note."""

    job: Job
    escapes: list[Escape]
    seconds: float
    cpu: float = 0.0
    note: str | None = None


@dataclass
class _Worker:
    process: Any
    conn: Connection
    job: Job | None = None
    started: float = 0.0
    cpu: float | None = None


WALL = 3
"""With the CPU clock, a job is also stopped after this many times its timeout in wall time
(a worker that waits, for a lock or a socket, uses no CPU)."""


class Harness:
    """Runs targets in worker processes under a watchdog (see the module's docstring).

    ``clock``: ``cpu`` times a job by the CPU its worker uses (so that a machine
    busy with other work does not make slow inputs look stuck), and stops it at
    ``WALL`` times the timeout in wall time whatever it used; ``wall`` by wall
    time alone (also where /proc gives no CPU times)."""

    def __init__(
        self,
        targets: Mapping[str, Check],
        *,
        timeout: float = 10.0,
        workers: int = 1,
        memory_mb: int = 2048,
        clock: str = "cpu",
    ) -> None:
        if clock not in ("cpu", "wall"):
            raise ValueError(f"clock is 'cpu' or 'wall', not {clock!r}")
        self.targets = dict(targets)
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.clock = clock if cpu_seconds(os.getpid()) is not None else "wall"
        methods = multiprocessing.get_all_start_methods()
        self._context = multiprocessing.get_context("fork" if "fork" in methods else None)
        self._workers = [self._start() for _ in range(max(1, workers))]
        self.restarts = 0

    def _start(self) -> _Worker:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=_serve, args=(theirs, self.targets, self.memory_mb), daemon=True, name="fuzz-worker"
        )
        process.start()
        theirs.close()
        return _Worker(process, ours)

    def _kill(self, worker: _Worker) -> None:
        with contextlib.suppress(OSError):
            worker.conn.close()
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(5)

    def _replace(self, worker: _Worker) -> None:
        self._kill(worker)
        fresh = self._start()
        worker.process, worker.conn, worker.job = fresh.process, fresh.conn, None
        self.restarts += 1

    def close(self) -> None:
        for worker in self._workers:
            with contextlib.suppress(OSError):
                worker.conn.send(None)
            worker.process.join(2)
            self._kill(worker)

    def __enter__(self) -> Harness:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, jobs: Iterable[Job]) -> Iterator[Outcome]:
        """Each job's outcome, as the workers finish them (not in order). A job that
        times out is tried once more in a fresh worker before it counts as a hang.
        ``jobs`` may give ``LATER`` while a job is in flight: it is asked again."""
        waiting = iter(jobs)
        again: deque[Job] = deque()
        exhausted = False
        while True:
            for worker in self._workers:
                if worker.job is None and not (exhausted and not again):
                    job = again.popleft() if again else next(waiting, None)
                    if job is None:
                        exhausted = True
                        continue
                    if job is LATER:
                        continue
                    try:
                        worker.conn.send((job.target, job.input.text, dict(job.input.options)))
                    except (OSError, ValueError) as exc:
                        self._replace(worker)
                        yield Outcome(
                            job, [escape("crash", f"the worker could not be sent the input: {exc}")], 0.0
                        )
                        continue
                    worker.job, worker.started = job, time.monotonic()
                    worker.cpu = cpu_seconds(worker.process.pid) if self.clock == "cpu" else None
            busy = [worker for worker in self._workers if worker.job is not None]
            if not busy:
                if exhausted:
                    return
                raise RuntimeError("the jobs wait for a job to finish, and none is in flight")
            ready = wait([worker.conn for worker in busy], timeout=self._poll(busy))
            for worker in busy:
                job = worker.job
                assert job is not None
                if worker.conn in ready:
                    try:
                        escapes, seconds, cpu = worker.conn.recv()
                    except (EOFError, OSError):
                        worker.process.join(5)
                        code = worker.process.exitcode
                        self._replace(worker)
                        yield Outcome(
                            job,
                            [escape("crash", f"the worker died (exit code {code})", f"crash {code}")],
                            0.0,
                        )
                        continue
                    worker.job = None
                    note = f"timed out once, then finished in {seconds:.1f} s" if job.timed_out else None
                    yield Outcome(job, escapes, seconds, cpu, note)
                elif (spent := self._expired(worker, job)) is not None:
                    self._replace(worker)
                    if job.once or job.timed_out:
                        twice = ", twice" if job.timed_out else ""
                        detail = f"no answer after {spent}{twice} (the worker was killed)"
                        wall = time.monotonic() - worker.started
                        yield Outcome(
                            job, [escape("hang", detail, "hang")], wall, job.timeout or self.timeout
                        )
                    else:
                        again.append(replace(job, timed_out=True))

    def _poll(self, busy: list[_Worker]) -> float:
        """How long to wait for an answer before looking at the clocks again."""
        if self.clock == "cpu":
            return 0.1
        return max(
            0.0,
            min(w.started + (w.job.timeout if w.job and w.job.timeout else self.timeout) for w in busy)
            - time.monotonic(),
        )

    def _expired(self, worker: _Worker, job: Job) -> str | None:
        """What the job has spent, when that passes its limit; else None."""
        limit = job.timeout or self.timeout
        wall = time.monotonic() - worker.started
        used = cpu_seconds(worker.process.pid) if worker.cpu is not None else None
        if used is None or worker.cpu is None:
            return f"{wall:.1f} s" if wall >= limit else None
        cpu = used - worker.cpu
        if cpu >= limit:
            return f"{cpu:.1f} s of CPU time ({wall:.1f} s of wall time)"
        if wall >= WALL * limit:
            return f"{wall:.1f} s of wall time ({cpu:.1f} s of CPU time)"
        return None

    def check(
        self, target: str, text: str, options: Options | None = None, timeout: float | None = None
    ) -> Outcome:
        """One input on one target, now (one timeout is a hang)."""
        job = Job(
            target, Input(-1, text, "check", tuple((options or {}).items())), once=True, timeout=timeout
        )
        for outcome in self.run([job]):
            return outcome
        raise AssertionError("a job gives an outcome")


# ---------------------------------------------------------------- shrinking


def shrink(still: Callable[[str], bool], text: str, *, seconds: float = 30.0, attempts: int = 400) -> str:
    """A shorter text for which ``still`` holds: chunks of lines, then of words,
    then of characters removed while it does (greedy delta debugging)."""
    stop = time.monotonic() + seconds
    tries = 0

    def reduce(units: list[str], glue: str) -> list[str]:
        nonlocal tries
        size = max(1, len(units) // 2)
        while size >= 1:
            at = 0
            while at < len(units):
                if tries >= attempts or time.monotonic() > stop:
                    return units
                candidate = units[:at] + units[at + size :]
                tries += 1
                if candidate and still(glue.join(candidate)):
                    units = candidate
                else:
                    at += size
            size //= 2
        return units

    text = "\n".join(reduce(text.split("\n"), "\n"))
    text = " ".join(reduce(text.split(" "), " "))
    if len(text) > 1:
        text = "".join(reduce(list(text), ""))
    return text


# ---------------------------------------------------------------- the report


@dataclass
class Found:
    """One distinct escape (its kind and signature), on whichever targets it was
    seen: the smallest input that had it, on ``target``, and how many inputs had it."""

    target: str
    escape: Escape
    input: Input
    counts: Counter[str] = field(default_factory=Counter)
    shrunk: str | None = None
    measured: str | None = None

    def key(self) -> tuple[str, str]:
        return (self.escape["kind"], self.escape["signature"])


@dataclass
class Tally:
    """What a fuzzing run saw, target by target."""

    inputs: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    cpu: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    escapes: dict[str, Counter[str]] = field(default_factory=dict)
    found: dict[tuple[str, str], Found] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    repeats: int = 0
    slowest: dict[str, tuple[float, Input]] = field(default_factory=dict)

    def add(self, outcome: Outcome) -> None:
        target, item = outcome.job.target, outcome.job.input
        self.inputs[target] += 1
        self.seconds[target] += outcome.seconds
        self.cpu[target] += outcome.cpu
        if outcome.note:
            self.notes.append(f"[{target}] input {item.index} ({item.how}): {outcome.note}")
        if outcome.cpu > self.slowest.get(target, (0.0, item))[0]:
            self.slowest[target] = (outcome.cpu, item)
        for found in outcome.escapes:
            if found["kind"] == "hang":
                found = {**found, "signature": f"hang: {family(item.how)}"}
            self.escapes.setdefault(target, Counter())[found["kind"]] += 1
            key = (found["kind"], found["signature"])
            if key not in self.found:
                self.found[key] = Found(target, found, item)
            known = self.found[key]
            known.counts[target] += 1
            if len(item.text) < len(known.input.text):
                known.target, known.input, known.escape = target, item, found

    def hangs(self, target: str, how: str) -> int:
        """How many inputs made as ``how`` hung on ``target``."""
        found = self.found.get(("hang", f"hang: {family(how)}"))
        return 0 if found is None else found.counts[target]

    def total(self) -> int:
        return sum(sum(counter.values()) for counter in self.escapes.values())


def family(how: str) -> str:
    """How an input was made, without the sentence it was made from."""
    return how.split(" of sentence ")[0]


def shrink_all(harness: Harness, tally: Tally, seconds: float) -> None:
    """Shrink each distinct escape's input (hangs and crashes excepted: each try could cost a timeout)."""
    for found in tally.found.values():
        if found.escape["kind"] in ("hang", "crash"):
            continue

        def still(text: str, found: Found = found) -> bool:
            return any(
                e["kind"] == found.escape["kind"] and e["signature"] == found.escape["signature"]
                for e in harness.check(found.target, text, dict(found.input.options)).escapes
            )

        smaller = shrink(still, found.input.text, seconds=seconds)
        if smaller != found.input.text:
            found.shrunk = smaller


def measure_hangs(harness: Harness, tally: Tally, patience: float) -> None:
    """Tell slow from stuck: give each distinct hang's input ``patience`` seconds,
    on each target it hung on, two at a time."""
    jobs = [
        Job(target, found.input, once=True, timeout=patience)
        for found in tally.found.values()
        if found.escape["kind"] == "hang"
        for target in found.counts
    ]
    times: dict[tuple[int, str], str] = {}
    for outcome in harness.run(jobs):
        hung = any(e["kind"] == "hang" for e in outcome.escapes)
        key = (outcome.job.input.index, outcome.job.target)
        times[key] = (
            outcome.escapes[0]["detail"].split(" (the worker")[0]
            if hung
            else f"finished in {outcome.cpu:.1f} s of CPU time ({outcome.seconds:.1f} s of wall time)"
        )
    for found in tally.found.values():
        if found.escape["kind"] == "hang":
            found.measured = "; ".join(
                f"{target} {times[(found.input.index, target)]}"
                for target in found.counts
                if (found.input.index, target) in times
            )


def report(tally: Tally, targets: list[str], seconds: float, arguments: argparse.Namespace) -> str:
    lines = [
        f"fuzz: seed {arguments.seed}, {arguments.inputs:,} distinct inputs ({tally.repeats:,} made again skipped), "
        f"targets {', '.join(targets)}, "
        f"{arguments.workers} worker(s), timeout {arguments.per_input_timeout:g} s a target call "
        f"({'of CPU time, or ' + str(WALL) + ' times that of wall time' if arguments.clock == 'cpu' else 'of wall time'})",
        "",
        "| target | inputs | not tried | time | CPU | escapes | " + " | ".join(KINDS) + " |",
        "|---" * (6 + len(KINDS)) + "|",
    ]
    for target in targets:
        counts = tally.escapes.get(target, Counter())
        cells = " | ".join(str(counts.get(kind, 0)) for kind in KINDS)
        lines.append(
            f"| {target} | {tally.inputs[target]:,} | {tally.skipped[target]:,} | {tally.seconds[target]:.0f} s "
            f"| {tally.cpu[target]:.0f} s | {sum(counts.values())} | {cells} |"
        )
    if any(tally.skipped.values()):
        lines.append("(not tried: the input hung in parse, which step and run begin with)")
    lines.append("")
    lines.append(f"distinct escapes: {len(tally.found)}")
    for number, found in enumerate(sorted(tally.found.values(), key=Found.key), 1):
        item = found.input
        seen = ", ".join(f"{target} {count}" for target, count in found.counts.items())
        lines.append(f"{number}. {found.escape['kind']}: {found.escape['detail']}")
        lines.append(f"   where: {found.escape['signature']}; inputs that had it: {seen}")
        lines.append(
            f"   smallest input ({found.target}): input {item.index}, {len(item.text):,} characters, made as: {item.how}"
        )
        lines.append(f"   input: {shown(item.text)}")
        if found.target == "run":
            lines.append(f"   options: {item.shown_options()}")
        elif found.target == "step":
            lines.append(f"   time zone: {dict(item.options).get('timezone', 'UTC')}")
        if found.shrunk is not None:
            lines.append(f"   shrunk to: {shown(found.shrunk)}")
        if found.measured:
            lines.append(f"   given longer: {found.measured}")
    lines.append("")
    for target, (slow, item) in sorted(tally.slowest.items()):
        lines.append(f"slowest {target}: {slow:.2f} s of CPU time, input {item.index} ({item.how})")
    lines.extend(tally.notes[:20])
    lines.append(f"total time: {seconds:.1f} s")
    return "\n".join(lines)


def dumped(tally: Tally, targets: list[str], seconds: float, arguments: argparse.Namespace) -> dict[str, Any]:
    """The report as JSON data (inputs over 20,000 characters as their ends and length)."""

    def text(value: str) -> dict[str, Any]:
        if len(value) <= 20_000:
            return {"text": value, "length": len(value)}
        return {"head": value[:2000], "tail": value[-1000:], "length": len(value)}

    return {
        "seed": arguments.seed,
        "inputs": arguments.inputs,
        "repeats skipped": tally.repeats,
        "timeout": arguments.per_input_timeout,
        "clock": arguments.clock,
        "seconds": round(seconds, 1),
        "targets": {
            target: {
                "inputs": tally.inputs[target],
                "not tried": tally.skipped[target],
                "seconds": round(tally.seconds[target], 1),
                "cpu seconds": round(tally.cpu[target], 1),
                "escapes": dict(tally.escapes.get(target, Counter())),
            }
            for target in targets
        },
        "escapes": [
            {
                **found.escape,
                "counts": dict(found.counts),
                "target": found.target,
                "index": found.input.index,
                "how": found.input.how,
                "options": dict(found.input.options),
                "input": text(found.input.text),
                "shrunk": None if found.shrunk is None else text(found.shrunk),
                "given longer": found.measured,
                "rebuild": f"python benchmarks/fuzz.py --seed {arguments.seed} --show {found.input.index}",
            }
            for found in sorted(tally.found.values(), key=Found.key)
        ],
        "notes": tally.notes,
    }


def fuzz(
    harness: Harness,
    targets: list[str],
    *,
    inputs: int,
    seed: int,
    sentences: list[str],
    progress: Callable[[int], None] | None = None,
) -> Tally:
    """``inputs`` distinct inputs of ``seed`` (0, 1, ... but for those that repeat
    an earlier one's text), each on every target; their tally.

    With parse among several targets, an input goes to the others once its parse
    has finished, and not at all when its parse hung (they begin by parsing it).
    Once two inputs made the same way have hung on a target, one timeout is
    enough for the next ones (a second try costs a timeout again)."""
    tally = Tally()
    first = "parse" if "parse" in targets and len(targets) > 1 else None
    parsed: dict[int, bool] = {}  # input index -> whether its parse hung
    waiting: list[Input] = []

    def later(item: Input) -> Iterator[Job]:
        for target in targets:
            if target == first:
                continue
            if parsed.get(item.index):
                tally.skipped[target] += 1
            else:
                yield Job(target, item, once=tally.hangs(target, item.how) >= 2)

    def jobs() -> Iterator[Job]:
        seen: set[bytes] = set()
        index = 0
        while len(seen) < inputs and index < 20 * inputs:
            item = make(seed, index, sentences)
            index += 1
            digest = hashlib.blake2b(item.text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
            if digest in seen:  # the targets are deterministic: the same text gives the same outcome
                tally.repeats += 1
                continue
            seen.add(digest)
            if first is None:
                yield from later(item)
                continue
            yield Job(first, item, once=tally.hangs(first, item.how) >= 2)
            waiting.append(item)
            yield from parsed_ones()
        while waiting:  # the last parses: wait for them
            yield from parsed_ones()
            if waiting:
                yield LATER

    def parsed_ones() -> Iterator[Job]:
        for item in [item for item in waiting if item.index in parsed]:
            waiting.remove(item)
            yield from later(item)

    for done, outcome in enumerate(harness.run(jobs()), 1):
        tally.add(outcome)
        if outcome.job.target == first:
            parsed[outcome.job.input.index] = any(e["kind"] == "hang" for e in outcome.escapes)
        if progress is not None:
            progress(done)
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--inputs", type=int, default=3000, help="how many inputs (default 3000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-input-timeout", type=float, default=10.0, metavar="SECONDS")
    parser.add_argument("--target", choices=(*TARGETS, "all"), default="all")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument(
        "--clock",
        choices=("cpu", "wall"),
        default="cpu",
        help="time a target call by its CPU time (default; also stopped at 3 times the timeout of wall time) or by wall time",
    )
    parser.add_argument("--memory-limit", type=int, default=2048, metavar="MB", help="per worker (0: none)")
    parser.add_argument(
        "--shrink-seconds", type=float, default=30.0, help="per distinct escape (0: no shrinking)"
    )
    parser.add_argument(
        "--patience",
        type=float,
        default=30.0,
        help="seconds given to each distinct hang's input again (0: none)",
    )
    parser.add_argument("--out", type=Path, help="write the escapes to this JSON file")
    parser.add_argument("--show", type=int, metavar="INDEX", help="print input INDEX of the seed and stop")
    arguments = parser.parse_args(argv)
    targets = list(TARGETS) if arguments.target == "all" else [arguments.target]
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fuzz-") as directory:
        world = prepare(Path(directory))
        sentences = corpus(world.sids)
        if arguments.show is not None:
            item = make(arguments.seed, arguments.show, sentences)
            print(
                f"# input {item.index} of seed {arguments.seed} ({len(item.text):,} characters): {item.how}"
            )
            print(f"# book run options: {item.shown_options()}")
            print(shown(item.text, 100_000))
            return 0
        total = arguments.inputs * len(targets)

        def progress(done: int) -> None:
            if sys.stderr.isatty() and (done % 50 == 0 or done == total):
                sys.stderr.write(
                    f"\r{done:,} target calls of at most {total:,}, {time.perf_counter() - start:.0f} s"
                )
                sys.stderr.flush()

        with Harness(
            book_targets(),
            timeout=arguments.per_input_timeout,
            workers=arguments.workers,
            memory_mb=arguments.memory_limit,
            clock=arguments.clock,
        ) as harness:
            try:
                tally = fuzz(
                    harness,
                    targets,
                    inputs=arguments.inputs,
                    seed=arguments.seed,
                    sentences=sentences,
                    progress=progress,
                )
                if sys.stderr.isatty():
                    sys.stderr.write("\n")
                if arguments.shrink_seconds > 0:
                    shrink_all(harness, tally, arguments.shrink_seconds)
                if arguments.patience > 0:
                    measure_hangs(harness, tally, arguments.patience)
            except KeyboardInterrupt:
                print("\ninterrupted", file=sys.stderr)
                return 130
    seconds = time.perf_counter() - start
    print(report(tally, targets, seconds, arguments))
    if arguments.out is not None:
        arguments.out.write_text(
            json.dumps(dumped(tally, targets, seconds, arguments), indent=2, ensure_ascii=True) + "\n",
            encoding="utf-8",
        )
    return 1 if tally.total() else 0


if __name__ == "__main__":
    sys.exit(main())
