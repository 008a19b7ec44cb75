"""What the ``book`` command prints for people and programs (issue 19): tables in a
terminal of 60, 80, 120 and 200 columns and into a pipe, the pager, CSV, JSON and
JSON lines read back with the standard library, --fields, --timezone, --version
and shell completion.

The invariants, in words: whatever the width, every row is there and every sid
in the output is whole; a line is no wider than the terminal unless even the
columns that are never left out do not fit; the columns left out are named under
the table; drawing is linear (2,000 rows well under a second)."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import fcntl
import io
import json
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from book.cli.output import Output
from book.cli.tables import Column, Table
from book.sandbox import Sandbox, seed
from tests.sandbox_helpers import book_session

pytestmark = pytest.mark.slow
BOOK = shutil.which("book") or str(Path(sys.executable).parent / "book")
SID = re.compile(r"(?<![0-9A-Za-z])(?:SM|MM)[0-9a-f]+")  # a sid, or a piece of one
STYLE = re.compile(r"\x1b\[[0-9;]*m")
WIDTHS = (60, 80, 120, 200)
READ = "read the first 40 SMS messages"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tables") / "sandbox.sqlite3"
    seed(Sandbox(str(path)), 2000, seed=7)
    return path


def environment(sandbox: Path, **extra: str) -> dict[str, str]:
    """This process's environment without credentials, a sandbox or a terminal size of its own."""
    kept = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TWILIO_", "SMS_BOOK_"))
        and key not in ("COLUMNS", "LINES", "PAGER", "NO_COLOR")
    }
    return {**kept, "SMS_BOOK_SANDBOX": str(sandbox), "TERM": "xterm", **extra}


def in_terminal(
    arguments: list[str], env: dict[str, str], columns: int, rows: int = 5000
) -> tuple[int, str, str]:
    """Run ``book`` with its stdout in a pseudo-terminal of ``columns`` x ``rows``
    (set with TIOCSWINSZ): its exit code, what the terminal showed, its stderr."""
    main, terminal = os.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    errors = bytearray()
    process = subprocess.Popen(
        [BOOK, *arguments], stdin=subprocess.DEVNULL, stdout=terminal, stderr=subprocess.PIPE, env=env
    )
    os.close(terminal)
    shown = bytearray()
    deadline = time.monotonic() + 120
    assert process.stderr is not None
    streams = {main: shown, process.stderr.fileno(): errors}
    while streams and time.monotonic() < deadline:
        ready, _, _ = select.select(list(streams), [], [], 5)
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the terminal's other end is closed
                data = b""
            if data:
                streams[fd].extend(data)
            else:
                del streams[fd]
    os.close(main)
    process.stderr.close()
    if streams:
        process.kill()
    code = process.wait(timeout=60)
    assert not streams, "the command did not finish in 120 s"
    return code, shown.decode().replace("\r\n", "\n"), errors.decode()


def piped(arguments: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BOOK, *arguments], capture_output=True, text=True, env=env, timeout=120)


def read_back(sandbox: Path, english: str) -> list[dict[str, Any]]:
    """What ``english`` reads, as JSON: what every table of it must show."""
    result = piped(["run", "--format", "json", "-e", english], environment(sandbox))
    assert result.returncode == 0, result.stderr
    found: list[dict[str, Any]] = json.loads(result.stdout)["result"]
    return found


def check_sids(shown: str, expected: list[dict[str, Any]]) -> None:
    """Every sid in ``shown`` is whole, and each expected item's is there, once."""
    sids = SID.findall(shown)
    assert all(len(sid) == 34 for sid in sids), [sid for sid in sids if len(sid) != 34]
    assert sorted(sids) == sorted(item["sid"] for item in expected)


# ------------------------------------------------------------ tables at each width


@pytest.mark.parametrize("columns", WIDTHS)
def test_a_table_in_a_terminal_shows_every_row_and_whole_sids(sandbox: Path, columns: int) -> None:
    expected = read_back(sandbox, READ)
    code, shown, errors = in_terminal(["run", "-e", READ], environment(sandbox), columns)
    assert code == 0, errors
    check_sids(shown, expected)
    lines = [STYLE.sub("", line) for line in shown.splitlines()]
    assert lines[0] == "40 SMS messages"
    assert all(cell_len(line) <= columns for line in lines), max(lines, key=cell_len)
    header = re.split(r"\s{2,}", lines[1].strip())
    assert "sid" in header and "status" in header and "body" in header
    assert "from" not in header and "to" not in header
    statuses = {item["status"] for item in expected}
    status_column = lines[1].index("status")
    for line, item in zip(lines[3:43], expected, strict=True):  # statuses are never cut
        assert line.startswith(item["sid"])
        assert line[status_column:].split()[0] in statuses
    if columns < 200:
        words = " ".join(shown.split())  # the note is wrapped to the width
        assert f"not shown at {columns} columns:" in words and "use --fields or a wider terminal" in words
    else:
        assert " sender number " in lines[1] and " recipient number " in lines[1] and "error code" in lines[1]
        assert "not shown at" not in shown
        dates = {item["date_sent"] for item in expected if item["date_sent"]}
        assert dates <= set(re.findall(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", shown))  # ISO 8601, as JSON


def test_what_is_left_out_is_named_in_the_stated_order(sandbox: Path) -> None:
    code, shown, _ = in_terminal(["run", "-e", READ], environment(sandbox), 80)
    assert code == 0
    note = " ".join(shown.split("not shown at 80 columns: ")[1].split())
    assert note == (
        "date sent, recipient number, direction, price, error code; use --fields or a wider terminal"
    )
    code, shown, _ = in_terminal(["run", "-e", READ], environment(sandbox), 120)
    assert " ".join(shown.split("not shown at 120 columns: ")[1].split()).startswith(
        "direction, price, error code;"
    )


def test_a_table_into_a_pipe_is_whole(sandbox: Path) -> None:
    expected = read_back(sandbox, READ)
    result = piped(["run", "-e", READ], environment(sandbox, COLUMNS="60"))  # a pipe has no width
    assert result.returncode == 0, result.stderr
    check_sids(result.stdout, expected)
    assert "not shown" not in result.stdout and "…" not in result.stdout and "\x1b" not in result.stdout
    for item in expected:
        if item["body"] and "\n" not in item["body"]:
            assert item["body"] in result.stdout


def test_two_thousand_rows_in_a_terminal_go_through_the_pager(sandbox: Path, tmp_path: Path) -> None:
    """A table longer than the terminal is written into $PAGER as it is drawn;
    a short one is not paged."""
    paged = tmp_path / "paged.txt"
    pager = tmp_path / "pager.py"
    pager.write_text(
        "import shutil, sys\nwith open(sys.argv[1], 'w') as out:\n    shutil.copyfileobj(sys.stdin, out)\n"
    )
    env = environment(sandbox, PAGER=f"{sys.executable} {pager} {paged}")
    code, shown, errors = in_terminal(["run", "-e", "read all SMS messages"], env, 80, rows=40)
    assert code == 0, errors
    assert SID.findall(shown) == []  # the table went to the pager, not to the terminal
    text = paged.read_text()
    check_sids(text, read_back(sandbox, "read all SMS messages"))
    assert text.startswith("2,000 SMS messages\n")
    paged.unlink()
    code, shown, _ = in_terminal(["run", "-e", "read the first 5 SMS messages"], env, 80, rows=40)
    assert code == 0 and not paged.exists() and len(SID.findall(shown)) == 5


def test_dates_are_shown_in_the_timezone_given(sandbox: Path) -> None:
    english = "read the first 5 SMS messages"
    expected = read_back(sandbox, english)
    code, shown, _ = in_terminal(
        ["run", "--timezone", "Asia/Kolkata", "-e", english], environment(sandbox), 200
    )
    assert code == 0
    for item in expected:
        if item["date_sent"]:
            instant = dt.datetime.fromisoformat(item["date_sent"])
            assert instant.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30))).isoformat() in shown


# ------------------------------------------------------------ for programs


def test_json_jsonl_and_csv_read_back_with_the_standard_library(sandbox: Path) -> None:
    expected = read_back(sandbox, READ)
    env = environment(sandbox)
    lines = piped(["run", "--format", "jsonl", "-e", READ], env)
    assert [json.loads(line) for line in lines.stdout.splitlines()] == expected
    table = piped(["run", "--format", "csv", "-e", READ], env)
    assert table.returncode == 0, table.stderr
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    assert list(rows[0]) == list(expected[0])  # a header of the concept's field names
    assert [row["sid"] for row in rows] == [item["sid"] for item in expected]
    assert [row["body"] for row in rows] == [
        item["body"] or "" for item in expected
    ]  # whole, line breaks kept
    assert [row["date_sent"] for row in rows] == [item["date_sent"] or "" for item in expected]


def test_fields_choose_the_columns_in_every_format(sandbox: Path) -> None:
    english = "read the first 8 SMS messages"
    expected = read_back(sandbox, english)
    env = environment(sandbox)
    chosen = [
        "run",
        "--fields",
        "sid,price,error_code,date_sent",
        "--timezone",
        "Europe/Paris",
        "-e",
        english,
    ]
    rows = list(csv.reader(io.StringIO(piped([*chosen, "--format", "csv"], env).stdout)))
    assert rows[0] == ["sid", "price", "error_code", "date_sent"]
    for row, item in zip(rows[1:], expected, strict=True):
        assert row[0] == item["sid"]
        assert row[2] == ("" if item["error_code"] is None else str(item["error_code"]))
        if item["date_sent"]:  # in the zone given, the same instant
            assert row[3].endswith(("+01:00", "+02:00"))
            assert dt.datetime.fromisoformat(row[3]) == dt.datetime.fromisoformat(item["date_sent"])
    data = json.loads(piped([*chosen, "--format", "json"], env).stdout)["result"]
    assert [list(item) for item in data] == [["sid", "price", "error_code", "date_sent"]] * 8
    code, shown, _ = in_terminal(chosen, env, 60)  # chosen: none is left out, whatever the width
    assert code == 0
    heading = STYLE.sub("", shown.splitlines()[1]).split()
    assert heading == ["sid", "price", "error", "code", "date", "sent"]
    assert "not shown" not in shown


def test_an_unknown_field_is_a_usage_error_that_lists_the_known_ones(sandbox: Path) -> None:
    refused = piped(["run", "--fields", "sid,sendr_number", "-e", READ], environment(sandbox))
    assert refused.returncode == 2 and refused.stdout == ""
    assert "'sendr_number' (did you mean 'sender_number'?)" in refused.stderr
    assert "SMS messages: sid, body, sender_number, recipient_number" in refused.stderr
    assert "Traceback" not in refused.stderr
    other = piped(["run", "--fields", "sid,phone_number", "-e", READ], environment(sandbox))
    assert other.returncode == 2
    assert "SMS messages have no field 'phone_number'; their fields are: sid, body," in other.stderr


def test_csv_of_what_is_not_a_list(sandbox: Path) -> None:
    env = environment(sandbox)
    said = piped(["run", "--format", "csv", "-e", 'say "hi, there"'], env)
    assert list(csv.reader(io.StringIO(said.stdout))) == [["result"], ["hi, there"]]
    assert "hi, there" in said.stderr  # what a script says goes to stderr: stdout is the CSV
    counted = piped(["run", "--format", "csv", "-e", "count the SMS messages"], env)
    assert list(csv.reader(io.StringIO(counted.stdout))) == [["result"], ["2000"]]
    record = piped(["sandbox", "info", "--format", "csv"], env)
    rows = dict(csv.reader(io.StringIO(record.stdout)))
    assert rows["name"] == "value" and rows["messages"] == "2000"


# ------------------------------------------------------------ drawing is linear


def test_two_thousand_rows_draw_in_well_under_a_second(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with book_session(Sandbox(str(sandbox))) as session:
        messages = session.run("read all SMS messages").value
    assert len(messages) == 2000
    monkeypatch.setenv("PAGER", "cat")
    for columns in ("80", "200", None):
        out = io.StringIO()
        terminal = columns is not None
        monkeypatch.setattr(out, "isatty", lambda terminal=terminal: terminal)
        if columns is None:
            monkeypatch.delenv("COLUMNS", raising=False)
        else:
            monkeypatch.setenv("COLUMNS", columns)
        start = time.perf_counter()
        with contextlib.redirect_stdout(out):
            Output("table").result(messages, {})
        seconds = time.perf_counter() - start
        assert seconds < 1.0, f"2,000 rows at {columns} columns took {seconds:.2f} s"
        assert len(SID.findall(out.getvalue())) == 2000


# ------------------------------------------------------------ the layout, drawn


SIDS = st.text("0123456789abcdef", min_size=32, max_size=32).map(lambda digits: "SM" + digits)
BODIES = st.none() | st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(SIDS, BODIES, st.sampled_from(["sent", "partially_delivered", None])), max_size=12),
    st.integers(min_value=30, max_value=240),
)
def test_any_rows_at_any_width(rows: list[tuple[str, str | None, str | None]], width: int) -> None:
    """Rows of any text: every sid and status whole, no line wider than the
    terminal once what can go has gone, no control character sent."""
    columns = [Column("sid"), Column("body", fewest=8), Column("status", drop=0)]
    lines = list(Table("rows", columns, rows).draw(width))
    shown = "\n".join(lines)
    assert len(SID.findall(shown)) == len(rows) and all(len(sid) == 34 for sid in SID.findall(shown))
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", shown)
    assert all(cell_len(line) <= width for line in lines) or width < 34 + 2 + 8
    for line, (sid, _, status) in zip(lines[3:], rows, strict=False):
        assert line.startswith(sid)
        if status and "status" in lines[1]:
            assert line.rstrip().endswith(status)


# ------------------------------------------------------------ version and completion


def test_version_is_the_installed_package_s() -> None:
    shown = subprocess.run([BOOK, "--version"], capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0
    assert shown.stdout == f"book {version('sms-book')}\n"


@pytest.mark.parametrize(
    ("shell", "marker"), [("bash", "complete -o"), ("zsh", "#compdef book"), ("fish", "complete -c book")]
)
def test_completion_for_each_shell(shell: str, marker: str, tmp_path: Path) -> None:
    made = subprocess.run([BOOK, "completion", shell], capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    script = made.stdout
    assert marker in script
    assert all(word in script for word in ("run", "explain", "sandbox", "--format", "--fields", "csv"))
    program = shutil.which(shell)
    if program is not None:  # the shell reads it without a syntax error
        path = tmp_path / f"book.{shell}"
        path.write_text(script)
        checked = subprocess.run([program, "-n", str(path)], capture_output=True, text=True, timeout=60)
        assert checked.returncode == 0, checked.stderr
    refused = subprocess.run([BOOK, "completion", "tcsh"], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "choose from 'bash', 'zsh', 'fish'" in refused.stderr


def test_the_examples_in_the_tables_module_run() -> None:
    """book/cli is left out of pytest's doctest collection (pyproject.toml): its examples run here."""
    import doctest

    import book.cli.tables

    failed, tried = doctest.testmod(book.cli.tables)
    assert failed == 0 and tried >= 5
