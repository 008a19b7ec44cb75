"""Files that are not a sandbox's: refused before anything is written to them.

The invariant, in words: whatever a ``book`` command or the Python API is
pointed at, a file that is not a sandbox's (another application's database, in
rollback or WAL mode, a text file, a picture, a truncated database, a
directory) is left byte for byte as it was, no -wal, -shm or -journal file
appears next to it, and the refusal is the book's SandboxError (exit code 1),
saying that it is not a sandbox's and to point --sandbox at another path. Only
no file, a zero-length one or a database with no tables becomes a sandbox.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import book
from book.cli.main import main
from book.errors import SandboxError, SchemaError
from book.sandbox import Sandbox, State, seed
from book.sandbox.state import APPLICATION_ID

SIBLINGS = ("-wal", "-shm", "-journal")


def _database(path: Path, *, wal: bool = False, application_id: int = 0, meta: bool = False) -> None:
    db = sqlite3.connect(path)
    if wal:
        db.execute("PRAGMA journal_mode = WAL")
    if application_id:
        db.execute(f"PRAGMA application_id = {application_id}")
    if meta:  # a table named, and made, exactly as the sandbox's own, with a stamp in it
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('schema', '1')")
    db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    db.executemany("INSERT INTO users (name) VALUES (?)", [(f"user {n}" * 20,) for n in range(40)])
    db.commit()
    db.close()


def _truncated(path: Path, size: int) -> None:
    whole = path.with_suffix(".whole")
    _database(whole)
    path.write_bytes(whole.read_bytes()[:size])
    whole.unlink()


FOREIGN: dict[str, Callable[[Path], None]] = {
    "another application's database": _database,
    "a database in WAL mode": lambda path: _database(path, wal=True),
    "a database with another application_id": lambda path: _database(path, application_id=42),
    "a database with a meta table like the sandbox's": lambda path: _database(path, meta=True),
    "a text file": lambda path: path.write_text("my notes\n", encoding="utf-8"),
    "a PNG": lambda path: path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))),
    "the first 60 bytes of a database": lambda path: _truncated(path, 60),
    "the first page of a database": lambda path: _truncated(path, 4096),
    "a directory": lambda path: (path.mkdir(), (path / "inside.txt").write_text("kept\n")),
}


def _snapshot(path: Path) -> object:
    """The path's bytes (a directory's files and their bytes), and which siblings exist."""
    if path.is_dir():
        content: object = sorted((str(item.relative_to(path)), item.read_bytes()) for item in path.rglob("*"))
    else:
        content = path.read_bytes()
    return content, [suffix for suffix in SIBLINGS if Path(f"{path}{suffix}").exists()]


@pytest.fixture(params=sorted(FOREIGN))
def foreign(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    path = tmp_path / "app.db"
    FOREIGN[request.param](path)
    assert not any(Path(f"{path}{suffix}").exists() for suffix in SIBLINGS)
    return path


def _page(tmp_path: Path) -> str:
    page = tmp_path / "messages.json"
    page.write_text(json.dumps([]), encoding="utf-8")
    return str(page)


COMMANDS: dict[str, Callable[[Path], list[str]]] = {
    "sandbox info": lambda _: ["sandbox", "info"],
    "sandbox seed": lambda _: ["sandbox", "seed", "--count", "3"],
    "sandbox load": lambda folder: ["sandbox", "load", _page(folder)],
    "sandbox receive": lambda _: ["sandbox", "receive", "--from", "+14155550123", "--body", "hi"],
    "sandbox serve": lambda _: ["sandbox", "serve", "--port", "0"],
    "sandbox reset": lambda _: ["sandbox", "reset"],
    "sandbox reset --yes": lambda _: ["sandbox", "reset", "--yes"],
    "run": lambda _: ["run", "-e", "read the first 5 SMS messages"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_command_refuses_a_file_that_is_not_a_sandboxs_and_leaves_it_as_it_was(
    command: str,
    foreign: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def never(*_: object, **__: object) -> None:
        raise AssertionError("a sandbox that is not one was served")

    monkeypatch.setattr("book.sandbox.Server", never)
    arguments = COMMANDS[command](tmp_path)
    before = _snapshot(foreign)
    code = main([*arguments, "--sandbox", str(foreign)])
    error = capsys.readouterr().err
    assert _snapshot(foreign) == before
    assert code == 1, error
    assert "Traceback" not in error and "sqlite3" not in error
    if command == "sandbox reset --yes":
        assert f"error: {foreign} is not a sandbox file, so it is not deleted (it " in error
    else:
        assert f"error: the file {foreign} cannot be used: it is not a sandbox's file (it " in error
    assert "point --sandbox (or sms_book_sandbox) at another path" in error.lower()


def test_the_python_api_refuses_it_too(foreign: Path) -> None:
    before = _snapshot(foreign)
    for opening in (
        lambda: book.open_session(sandbox=foreign),
        lambda: Sandbox(str(foreign)),
        lambda: State(foreign),
        lambda: State.discard(foreign),
    ):
        with pytest.raises(SandboxError, match="is not a sandbox") as caught:
            opening()
        assert not isinstance(caught.value, SchemaError)
        assert _snapshot(foreign) == before


def test_the_sandbox_takes_no_file_an_empty_one_or_a_database_with_no_tables(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    tableless = tmp_path / "tableless.db"
    with sqlite3.connect(tableless) as db:
        db.execute("CREATE TABLE gone (x)")
        db.execute("DROP TABLE gone")
    db.close()
    assert tableless.stat().st_size > 0
    for path in (tmp_path / "deep" / "new.db", empty, tableless):
        sandbox = Sandbox(str(path))
        assert sandbox.count() == 0
        sandbox.state.close()
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
            assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("1",)
        db.close()


def test_runs_opening_a_new_file_together_share_one_account(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    path = str(tmp_path / "together.db")
    with ThreadPoolExecutor(8) as pool:
        sandboxes = list(pool.map(lambda _: Sandbox(path), range(8)))
    assert len({sandbox.account.sid for sandbox in sandboxes}) == 1
    for sandbox in sandboxes:
        sandbox.state.close()


def test_a_sandbox_made_before_the_mark_still_opens_and_is_marked(tmp_path: Path) -> None:
    path = tmp_path / "before.db"
    first = Sandbox(str(path))
    seed(first, 5, seed=2)
    first.state.close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA application_id = 0")  # as every sandbox file was made until now
    db.close()
    again = Sandbox(str(path))
    assert again.count() == 5 and again.account.sid == first.account.sid
    again.state.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
    db.close()


def test_a_sandbox_of_another_schema_is_refused_unchanged_and_reset_remakes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "old.db"
    Sandbox(str(path)).state.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '0' WHERE key = 'schema'")
    db.close()
    before = _snapshot(path)
    with pytest.raises(SchemaError, match="has schema 0"):
        State(path)
    assert main(["sandbox", "info", "--sandbox", str(path)]) == 1
    assert "has schema 0" in capsys.readouterr().err
    assert _snapshot(path) == before
    assert main(["sandbox", "reset", "--yes", "--sandbox", str(path)]) == 0
    assert Sandbox(str(path)).count() == 0


@pytest.mark.slow
def test_through_the_installed_command(tmp_path: Path) -> None:
    executable = shutil.which("book") or str(Path(sys.executable).parent / "book")
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("TWILIO_", "SMS_BOOK_"))
    }
    path = tmp_path / "app.db"
    _database(path)
    before = _snapshot(path)
    for arguments in (["sandbox", "info"], ["sandbox", "serve", "--port", "0"]):
        done = subprocess.run(
            [executable, *arguments, "--sandbox", str(path)],
            capture_output=True,
            text=True,
            env=environment,
            timeout=60,
        )
        assert (
            done.returncode == 1
            and f"error: the file {path} cannot be used: it is not a sandbox's file" in done.stderr
        ), done.stderr
        assert _snapshot(path) == before


# ------------------------------------------------------------------ any bytes at all


def _tableless(data: bytes) -> bool:
    """Whether ``data`` is empty or, read by SQLite on its own, a database with no tables."""
    if not data:
        return True
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "copy.db"
        copy.write_bytes(data)
        try:
            db = sqlite3.connect(copy.as_uri() + "?immutable=1", uri=True)
            try:
                return db.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
            finally:
                db.close()
        except sqlite3.Error:
            return False


def _sample(**options: bool) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sample.db"
        if options.get("tableless"):
            with sqlite3.connect(path) as db:
                db.execute("CREATE TABLE gone (x)")
                db.execute("DROP TABLE gone")
            db.close()
        else:
            _database(path, wal=options.get("wal", False))
        return path.read_bytes()


SAMPLES = [_sample(), _sample(wal=True), _sample(tableless=True)]


@st.composite
def contents(draw: st.DrawFn) -> bytes:
    """Any bytes; bytes that start as SQLite's do; and real databases, cut short or
    with a few bytes changed (most of them in the header and the first page)."""
    kind = draw(st.sampled_from(["any", "sqlite", "cut", "changed"]))
    if kind == "any":
        return draw(st.binary(max_size=300))
    if kind == "sqlite":
        return b"SQLite format 3\x00" + draw(st.binary(max_size=300))
    sample = draw(st.sampled_from(SAMPLES))
    if kind == "cut":
        return sample[: draw(st.integers(0, len(sample)))]
    changed = bytearray(sample)
    for _ in range(draw(st.integers(1, 6))):
        where = draw(st.one_of(st.integers(0, 100), st.integers(0, 4095), st.integers(0, len(sample) - 1)))
        changed[where] = draw(st.integers(0, 255))
    return bytes(changed)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contents())
def test_any_bytes_are_refused_unchanged_or_being_empty_become_a_sandbox(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "file.db"
        path.write_bytes(data)
        try:
            state = State(path)
        except SandboxError as error:
            assert not isinstance(error, SchemaError)
            assert "is not a sandbox's file" in str(error), error
            assert path.read_bytes() == data
            assert sorted(item.name for item in Path(folder).iterdir()) == ["file.db"]
            return
        state.close()
        assert _tableless(data), "a file with something in it became a sandbox"
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
        db.close()


def test_opening_a_sandbox_again_in_a_process_keeps_its_other_connections_locks(tmp_path: Path) -> None:
    """A process that holds a sandbox's file through SQLite and opens it again must not
    open and close the file itself (POSIX locks are per process: closing any of its
    descriptors drops SQLite's locks). It did, and two runs of another process then
    left the file malformed."""
    path = tmp_path / "sandbox.sqlite3"
    first = Sandbox(str(path))  # kept open, as a program (or a test) may
    seed(first, 300, seed=3)
    second = Sandbox(str(path))
    assert len(list(second.client().list_messages())) == 300
    script = tmp_path / "redact.english"
    script.write_text('redact some SMS messages whose body contains "verification code"\n')
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("TWILIO_", "SMS_BOOK_"))
    }
    for flag in ("--dry-run", "--yes"):
        ran = subprocess.run(
            [
                sys.executable,
                "-c",
                "from book.cli.main import entry; entry()",
                "run",
                str(script),
                "--sandbox",
                str(path),
                flag,
            ],
            capture_output=True,
            text=True,
            env=environment,
            timeout=120,
        )
        assert ran.returncode == 0, ran.stderr
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert sum(1 for message in Sandbox(str(path)).client().list_messages() if message.body == "") > 1
    first.state.close()
    second.state.close()
