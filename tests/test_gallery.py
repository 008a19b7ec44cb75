"""docs/gallery.md is what the main commands print, made by this test: a person at an
80-column terminal (a pseudo-terminal), a program reading JSON lines or CSV, an
error, explain. The sandbox is seeded on a fixed clock, so every run prints the
same; the test fails when the page and the commands differ, and
``UPDATE_GALLERY=1 pytest tests/test_gallery.py`` writes the page anew."""

from __future__ import annotations

import datetime as dt
import os
import shlex
from pathlib import Path

import pytest

from book.sandbox import DEFAULT_NUMBERS, State
from book.testing import ACCOUNT, TOKEN
from tests.test_cli_tables import BOOK, STYLE, environment, in_terminal, piped

pytestmark = pytest.mark.slow
GALLERY = Path(__file__).resolve().parent.parent / "docs" / "gallery.md"
NOW = "2024-06-01T12:00:00Z"
STARTED = dt.datetime.fromisoformat(NOW)

INTRO = """\
# What the command prints

Each block below is what `book` printed, in a terminal of the width given (the
sandbox of `book sandbox seed --count 200 --seed 7`, on the clock of
`SMS_BOOK_NOW={now}`). `tests/test_gallery.py` makes this page and fails when
the command prints anything else, so it cannot drift from the code; run
`UPDATE_GALLERY=1 pytest tests/test_gallery.py` to write it anew.
Notes and errors go to stderr, results to stdout; both are shown.
"""

THANK = """\
read the first 3 SMS messages whose direction is "inbound"
process each SMS message as follows
  send an SMS message where
    the sender number is "+15005550006"
    the recipient number is the SMS message's sender number
    the message body is "Thanks!"
"""


SHOWN: tuple[tuple[str, tuple[str, ...], int], ...] = (
    (
        "A read, for people (80 columns)",
        ("run", "-e", 'read the first 5 SMS messages whose direction is "inbound"'),
        80,
    ),
    (
        "The same read in 60 columns: what is left out is named",
        ("run", "-e", "read the first 3 SMS messages"),
        60,
    ),
    (
        "Chosen fields, for people",
        ("run", "-e", "read the first 3 SMS messages", "--fields", "sid,status,price,error_code"),
        80,
    ),
    (
        "JSON lines, for programs: an item a line, as it is read",
        ("run", "-e", "read the first 2 SMS messages", "--format", "jsonl"),
        80,
    ),
    (
        "CSV",
        (
            "run",
            "-e",
            "read the first 3 SMS messages",
            "--format",
            "csv",
            "--fields",
            "sid,sender_number,status",
        ),
        80,
    ),
    (
        "A count by a field",
        ("run", "-e", 'count the SMS messages whose status is "failed" by sender number'),
        80,
    ),
    (
        "How a read is answered",
        (
            "explain",
            "-e",
            'read the first 5 SMS messages whose sender number is "+15005550006" and whose body contains "refund"',
        ),
        80,
    ),
    ("A mistake in the English", ("run", "-e", 'read some SMS messages whose from is "+15005550006"'), 80),
    ("A loop that sends, and says nothing: each send is shown", ("run", "thank.english"), 80),
)


def render(sandbox: Path) -> str:
    """The page, from the commands run in ``sandbox``'s folder (where the scripts are)."""
    folder = sandbox.parent
    (folder / "thank.english").write_text(THANK, encoding="utf-8")
    state = State(sandbox)  # the account book test uses: its sid, and so every new sid, is the same each run
    state.create_account(numbers=DEFAULT_NUMBERS, sid=ACCOUNT, token=TOKEN, now=int(STARTED.timestamp()))
    state.close()
    env = environment(sandbox, SMS_BOOK_NOW=NOW)
    made = piped(["sandbox", "seed", "--count", "200", "--seed", "7"], env)
    assert made.returncode == 0, made.stderr
    parts = [INTRO.format(now=NOW)]
    for title, command, columns in SHOWN:
        arguments = [str(folder / word) if word.endswith(".english") else word for word in command]
        code, shown, errors = in_terminal(arguments, env, columns)
        errors = errors.replace(str(sandbox), "sandbox.sqlite3")
        text = STYLE.sub("", "\n".join(line.rstrip() for line in (errors + shown).rstrip("\n").splitlines()))
        exit_note = f" (exit {code})" if code else ""
        listed = "".join(
            f"$ cat {word}\n{(folder / word).read_text(encoding='utf-8')}"
            for word in command
            if word.endswith(".english")
        )
        parts.append(f"## {title}{exit_note}\n\n```\n{listed}$ book {shlex.join(command)}\n{text}\n```\n")
    return "\n".join(parts)


def test_the_gallery_is_what_the_commands_print(tmp_path: Path) -> None:
    made = render(tmp_path / "sandbox.sqlite3")
    if os.environ.get("UPDATE_GALLERY"):
        GALLERY.write_text(made, encoding="utf-8")
    assert GALLERY.read_text(encoding="utf-8") == made, (
        "docs/gallery.md is not what the commands print: UPDATE_GALLERY=1 pytest tests/test_gallery.py"
    )
    assert BOOK
