"""The ``book`` command end to end, through the installed entry point: exit codes,
errors with carets, JSON parsed back, dry runs and --yes, explain, the vocabulary,
and a run against the sandbox served on loopback as if it were Twilio."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from book.sandbox import Sandbox, seed, serve
from tests.sandbox_helpers import copy_sandbox

pytestmark = pytest.mark.slow
BOOK = shutil.which("book") or str(Path(sys.executable).parent / "book")
DOCS = Path(__file__).resolve().parent.parent / "docs" / "procedures.md"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "sandbox.sqlite3"
    seed(Sandbox(str(path)), 1500, seed=3)
    return path


def book(
    *arguments: str, sandbox: Path | None = None, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("TWILIO_", "SMS_BOOK_"))
    }
    if sandbox is not None:
        environment["SMS_BOOK_SANDBOX"] = str(sandbox)
    environment.update(env or {})
    return subprocess.run(
        [BOOK, *arguments], capture_output=True, text=True, env=environment, input=stdin, timeout=120
    )


def data(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_success_prints_the_result_and_what_was_said(sandbox: Path) -> None:
    result = data(
        book(
            "run",
            "--format",
            "json",
            "-e",
            'say "hello"',
            "-e",
            'read the first 3 SMS messages whose sender number is "+15005550006"',
            sandbox=sandbox,
        )
    )
    assert result["said"] == ["hello"]
    assert len(result["result"]) == 3
    message = result["result"][0]
    assert message["sender_number"] == "+15005550006" and message["date_sent"].endswith("Z")
    assert set(message) >= {"sid", "body", "recipient_number", "status", "price", "num_segments"}
    table = book("run", "-e", 'read the first 2 SMS messages whose direction is "inbound"', sandbox=sandbox)
    assert table.returncode == 0 and "2 SMS messages" in table.stdout and "inbound" in table.stdout
    assert table.stderr.startswith(f"using the local sandbox at {sandbox}")


def test_a_script_from_a_file_or_stdin(sandbox: Path, tmp_path: Path) -> None:
    script = tmp_path / "hello.english"
    script.write_text('the greeting is "hi there"\nsay the greeting\n')
    assert data(book("run", str(script), "--format", "json", sandbox=sandbox))["result"] == "hi there"
    assert data(book("run", "-", "--format", "json", sandbox=sandbox, stdin="say 42"))["said"] == ["42"]


def test_a_language_error_exits_2_with_a_caret(sandbox: Path) -> None:
    result = book("run", "-e", "read some SMS messages whose body contains refund", sandbox=sandbox)
    assert result.returncode == 2
    assert (
        "error: line 1, column 44: expected a value after 'contains', found the word 'refund'"
        in result.stderr
    )
    assert "                                             ^^^^^^" in result.stderr
    assert 'Put text in double quotes: "refund".' in result.stderr


def test_an_unknown_field_exits_2_with_a_suggestion(sandbox: Path) -> None:
    result = book(
        "run", "--format", "json", "-e", 'read some SMS messages whose sender numbr is "+1"', sandbox=sandbox
    )
    assert result.returncode == 2
    error = json.loads(result.stdout)["error"]
    assert (error["kind"], error["column"], error["suggestions"][0]) == ("unknown field", 30, "sender number")
    assert "Did you mean 'sender number'?" in result.stderr


def test_a_usage_error_exits_2(sandbox: Path) -> None:
    result = book("run", sandbox=sandbox)
    assert result.returncode == 2 and "give a script file, or English with -e" in result.stderr
    assert book("run", "-e", "say 1", "--timezone", "Mars/Olympus", sandbox=sandbox).returncode == 2
    assert book("frobnicate").returncode == 2


def test_a_twilio_error_exits_1_with_its_code_and_link(sandbox: Path) -> None:
    result = book(
        "run",
        "-e",
        'send an SMS message with the recipient number is "+15005550002" and the message body is "x" and the sender number is "+15005550006"',
        sandbox=sandbox,
    )
    assert result.returncode == 1
    assert "The local sandbox answered 400 (21612)" in result.stderr
    assert "https://www.twilio.com/docs/errors/21612" in result.stderr


def test_a_runaway_scan_exits_1(sandbox: Path) -> None:
    result = book(
        "run",
        "--scan-budget",
        "100",
        "-e",
        'read some SMS messages whose body contains "no such words"',
        sandbox=sandbox,
    )
    assert result.returncode == 1 and "can only be checked here" in result.stderr


def test_a_dry_run_sends_nothing_and_shows_the_form(tmp_path: Path) -> None:
    path = tmp_path / "dry.sqlite3"
    Sandbox(str(path))
    result = data(
        book(
            "run",
            "--dry-run",
            "--format",
            "json",
            "-e",
            'send an SMS message with the recipient number is "+1 (415) 555-0100" and the sender number is "+15005550006" and the message body is "Héllo wörld"',
            sandbox=path,
        )
    )
    (line,) = result["said"]
    assert (
        line
        == 'dry run: would send 1 segment (GSM-7) to +14155550100: "Héllo wörld" POST To=%2B14155550100&From=%2B15005550006&Body=H%C3%A9llo+w%C3%B6rld'
    )
    assert Sandbox(str(path)).count() == 0


def test_changes_to_many_need_yes(tmp_path: Path) -> None:
    path = tmp_path / "yes.sqlite3"
    seed(Sandbox(str(path)), 300, seed=4)
    english = 'redact some SMS messages whose body contains "verification code"'
    refused = book("run", "-e", english, sandbox=path)
    assert refused.returncode == 2 and "run it again with --yes" in refused.stderr.lower()
    listed = data(book("run", "--dry-run", "--format", "json", "-e", english, sandbox=path))
    *each, total = listed["said"]
    assert each and all(
        line.startswith(("dry run: would redact SM", "dry run: would redact MM")) for line in each
    )
    assert total == f"dry run: in all, would redact {len(each)} SMS messages; nothing was changed"
    done = data(book("run", "--yes", "--format", "json", "-e", english, sandbox=path))
    assert len(done["result"]) == len(each) and all(message["body"] == "" for message in done["result"])
    left = data(book("run", "--format", "json", "-e", english, sandbox=path))["result"]
    assert left == []


def test_the_timezone_option_decides_what_a_day_is(sandbox: Path) -> None:
    utc = data(
        book(
            "run",
            "--format",
            "json",
            "-e",
            "read some SMS messages whose date sent is yesterday",
            sandbox=sandbox,
        )
    )["result"]
    tokyo = data(
        book(
            "run",
            "--format",
            "json",
            "--timezone",
            "Asia/Tokyo",
            "-e",
            "read some SMS messages whose date sent is yesterday",
            sandbox=sandbox,
        )
    )["result"]
    assert {m["sid"] for m in utc} != {m["sid"] for m in tokyo} or not utc


def test_explain(sandbox: Path) -> None:
    plan = data(
        book(
            "explain",
            "--format",
            "json",
            "-e",
            'read the first 5 SMS messages whose sender number is "+15005550006" and whose date sent is after 2024-03-01',
            sandbox=sandbox,
        )
    )
    assert plan == {
        "queries": [{"kind": "list", "params": {"From": "+15005550006", "DateSent>": "2024-03-02"}}],
        "residual": None,
        "limit": 5,
        "page_size": 5,
    }
    english = book(
        "explain",
        "-e",
        "the start date is 2024-03-01",
        "-e",
        'read some SMS messages whose date sent is before the start date and whose body contains "refund"',
        sandbox=sandbox,
    )
    assert english.returncode == 0
    assert "list the messages with DateSent<=2024-03-01" in english.stdout
    assert 'body contains "refund": kept here: Twilio cannot filter on the body' in english.stdout
    refused = book(
        "explain", "-e", 'send an SMS message with the recipient number is "+14155550100"', sandbox=sandbox
    )
    assert refused.returncode == 2 and "is not planned: it takes no filter" in refused.stderr


def test_the_vocabulary(sandbox: Path) -> None:
    entries = data(book("procedures", "--format", "json"))
    names = {entry["name"] for entry in entries}
    assert {
        "to send an *SMS* message",
        "to read some (*SMS* messages)",
        "to redact some (*SMS* messages)",
    } <= names
    markdown = book("procedures", "--format", "markdown")
    assert markdown.stdout == DOCS.read_text(encoding="utf-8")
    assert "to send an *SMS* message" in book("procedures").stdout


def test_a_run_against_the_sandbox_served_on_loopback(tmp_path: Path) -> None:
    sandbox = Sandbox(str(tmp_path / "served.sqlite3"))
    seed(sandbox, 200, seed=5)
    server = serve(sandbox)
    try:
        environment = {
            "TWILIO_ACCOUNT_SID": sandbox.account.sid,
            "TWILIO_AUTH_TOKEN": sandbox.account.token,
            "SMS_BOOK_TWILIO_URL": server.url,
        }
        sent = book(
            "run",
            "--format",
            "json",
            "-e",
            'send an SMS message with the recipient number is "+14155550100" and the sender number is "+15005550006" and the message body is "over loopback"',
            env=environment,
        )
        result = data(sent)
        assert re.fullmatch(r"SM[0-9a-f]{32}", result["result"])
        assert sent.stderr.startswith(f"using Twilio at {server.url} (account {sandbox.account.sid})")
        read = book(
            "run",
            "--format",
            "json",
            "-e",
            f'read an SMS message whose sid is "{result["result"]}"',
            env=environment,
        )
        assert data(read)["result"]["body"] == "over loopback"
        assert sandbox.account.token not in sent.stdout + sent.stderr + read.stdout + read.stderr
    finally:
        server.shutdown()
        server.server_close()


# ------------------------------------------------------- what a newcomer meets


def test_a_file_and_e_together_are_refused(sandbox: Path, tmp_path: Path) -> None:
    script = tmp_path / "a.english"
    script.write_text('say "from the file"\n', encoding="utf-8")
    both = book("run", str(script), "-e", 'say "x"', sandbox=sandbox)
    assert both.returncode == 2 and "not both" in both.stderr and both.stdout == ""


def test_explain_with_nothing_to_explain_shows_an_explain(sandbox: Path) -> None:
    empty = book("explain", sandbox=sandbox)
    assert empty.returncode == 2 and "book explain -e" in empty.stderr


def test_a_loop_prints_what_it_says_once_and_an_empty_read_says_so(sandbox: Path) -> None:
    def loop(step: str) -> subprocess.CompletedProcess[str]:
        read = 'read the first 2 SMS messages whose sender number is "+15005550006"'
        steps = ['say "Reading"', read, "process each SMS message as follows", step]
        return book("run", *(part for text in steps for part in ("-e", text)), sandbox=sandbox)

    looped = loop("  say the SMS message's recipient number")
    assert looped.returncode == 0, looped.stderr
    assert len(looped.stdout.splitlines()) == 3
    silent = loop("  the sid is the SMS message's sid")
    assert silent.returncode == 0, silent.stderr  # a loop that says nothing: its values are shown
    assert [line[:2] in ("SM", "MM") for line in silent.stdout.splitlines()] == [False, True, True]
    empty = book(
        "run", "-e", 'read some SMS messages whose body is "no such body, anywhere"', sandbox=sandbox
    )
    assert empty.returncode == 0 and empty.stdout == "nothing found\n"


@pytest.mark.parametrize(
    ("english", "kind"),
    [
        ('send an SMS message with the message body is "Hi"', "missing argument"),
        (
            'read some SMS messages whose sender number is "+15005550006"\nsay the SMS message\'s body',
            "ambiguous reference",
        ),
        ("read some SMS messages whose price is before 0", "value"),
        ("read some SMS messages whose date sent is greater than 2024-01-01", "value"),
    ],
)
def test_mistakes_in_the_english_exit_2(sandbox: Path, english: str, kind: str) -> None:
    result = book("run", "--format", "json", "-e", english, sandbox=sandbox)
    assert result.returncode == 2, result.stderr
    assert json.loads(result.stdout)["error"]["kind"] == kind


def test_a_unknown_verb_is_offered_a_procedure_that_does_what_it_asks(sandbox: Path) -> None:
    for verb, wanted in (("list", "read"), ("fetch", "read"), ("remove", "delete"), ("text", "send")):
        error = json.loads(book("run", "--format", "json", "-e", f"{verb} some SMS messages").stdout)["error"]
        assert error["suggestions"] and all(name.startswith(f"{wanted} ") for name in error["suggestions"]), (
            error
        )
    listed = json.loads(book("run", "--format", "json", "-e", "list some SMS messages").stdout)["error"]
    assert not any("delete" in name or "redact" in name for name in listed["suggestions"])


def test_a_dry_run_refuses_what_twilio_would_refuse(sandbox: Path) -> None:
    long = book(
        "run",
        "--dry-run",
        "-e",
        f'send an SMS message with the recipient number is "+14155550100" and the message body is "{"x" * 1601}" '
        'and the sender number is "+15005550006"',
        sandbox=sandbox,
    )
    assert long.returncode == 1 and "at most 1,600 characters" in long.stderr
    soon = book(
        "run",
        "--dry-run",
        "-e",
        'send an SMS message with the recipient number is "+14155550100" and the message body is "Hi" '
        "and the send time is in 5 minutes",
        sandbox=sandbox,
    )
    assert (
        soon.returncode == 1
        and "15 minutes to 35 days ahead" in soon.stderr
        and "5 minutes ahead" in soon.stderr
    )


def test_sandbox_commands_follow_the_fixed_clock(tmp_path: Path) -> None:
    path = tmp_path / "fixed.sqlite3"
    env = {"SMS_BOOK_NOW": "2024-06-01T12:00:00Z"}
    assert book("sandbox", "seed", "--count", "20", "--days", "3", sandbox=path, env=env).returncode == 0
    received = data(
        book(
            "sandbox",
            "receive",
            "--from",
            "+14155550123",
            "--body",
            "hi",
            "--format",
            "json",
            sandbox=path,
            env=env,
        )
    )
    assert received["date_sent"] == "2024-06-01T12:00:00Z"
    dates = data(book("run", "--format", "json", "-e", "read some SMS messages", sandbox=path, env=env))[
        "result"
    ]
    assert all(
        "2024-05-29" <= (message["date_sent"] or message["date_created"]) <= "2024-06-01T12:00:00Z"
        for message in dates
    )


def test_reset_keeps_what_is_not_a_sandbox_and_remakes_an_old_one(tmp_path: Path) -> None:
    import sqlite3

    foreign = tmp_path / "notes.sqlite3"
    foreign.write_text("my notes\n", encoding="utf-8")
    refused = book("sandbox", "reset", "--yes", sandbox=foreign)
    assert refused.returncode == 1 and "is not a sandbox file, so it is not deleted" in refused.stderr
    assert foreign.read_text(encoding="utf-8") == "my notes\n"
    old = tmp_path / "old.sqlite3"
    with sqlite3.connect(old) as db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('schema', '0')")
    db.close()
    assert "has schema 0" in book("sandbox", "info", sandbox=old).stderr
    remade = data(book("sandbox", "reset", "--yes", "--format", "json", sandbox=old))
    assert (
        remade["removed"] == 0
        and data(book("sandbox", "info", "--format", "json", sandbox=old))["messages"] == 0
    )


def test_reset_never_deletes_a_sandbox_another_process_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from book.cli.main import main
    from book.errors import SandboxError
    from book.sandbox import state

    path = tmp_path / "held.sqlite3"
    first = Sandbox(str(path))
    seed(first, 3, seed=1)
    first.state.close()
    held = sqlite3.connect(path, isolation_level=None)
    held.execute("BEGIN EXCLUSIVE")  # another process in the middle of a write
    monkeypatch.setattr(state, "PATIENCE", 0.2)
    try:
        with pytest.raises(SandboxError, match="busy: another process holds it") as caught:
            state.State(path)
        assert not isinstance(caught.value, state.SchemaError)
        assert main(["sandbox", "reset", "--yes", "--sandbox", str(path)]) == 1
    finally:
        held.execute("ROLLBACK")
        held.close()
    assert Sandbox(str(path)).count() == 3  # nothing lost


@pytest.mark.parametrize("name", ["old.sqlite3", "a#b?c%25.sqlite3"])
def test_an_old_sandbox_is_remade_only_when_no_one_else_has_it_open(tmp_path: Path, name: str) -> None:
    import sqlite3

    from book.errors import SandboxError
    from book.sandbox import State

    path = tmp_path / name
    Sandbox(str(path)).state.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '0' WHERE key = 'schema'")
    db.close()
    other = sqlite3.connect(path)  # an old 'book sandbox serve', idle
    other.execute("SELECT count(*) FROM messages").fetchone()
    with pytest.raises(SandboxError, match="busy"):
        State.discard(path)
    assert path.exists()
    other.close()
    remade = book("sandbox", "reset", "--yes", "--format", "json", sandbox=path)
    assert remade.returncode == 0, remade.stderr
    assert data(book("sandbox", "info", "--format", "json", sandbox=path))["messages"] == 0


def test_a_password_in_the_twilio_url_is_refused_and_not_shown(sandbox: Path) -> None:
    env = {
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "  not-a-real-token  ",
        "SMS_BOOK_TWILIO_URL": "http://someone:supersecret999@127.0.0.1:9",
    }
    for format in ("table", "json"):
        shown = book("run", "--format", format, "-e", 'say "hi"', env=env)
        assert shown.returncode == 1 and "supersecret999" not in shown.stderr + shown.stdout
        assert "SMS_BOOK_TWILIO_URL (http://***@127.0.0.1:9) holds credentials" in shown.stderr


def test_the_readme_shows_explain_as_it_is(sandbox: Path) -> None:
    import shlex

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("\n$ book explain ", 1)[1].split("\n```", 1)[0]
    command, shown = block.split("\n", 1)
    result = book("explain", *shlex.split(command), sandbox=sandbox)
    assert result.returncode == 0, result.stderr
    assert result.stdout == shown + "\n"


# ------------------------------------------------- what went out, always shown


def _bulk(count: int) -> list[str]:
    return [
        "-e",
        f'read the first {count} SMS messages whose direction is "inbound"',
        "-e",
        "process each SMS message as follows",
        "-e",
        '  send an SMS message with the sender number is "+15005550006" and the recipient number is '
        'the SMS message\'s sender number and the message body is "hello"',
    ]


def test_ctrl_c_in_a_bulk_send_shows_what_went_out_and_exits_130(tmp_path: Path) -> None:
    import signal
    import time

    from book.sandbox import Faults

    sandbox = Sandbox(str(tmp_path / "served.sqlite3"))
    seed(sandbox, 1200, seed=5)
    with sandbox.state.transaction() as db:
        before = {row[0] for row in db.execute("SELECT sid FROM messages")}
    sandbox.faults = Faults(seed=1, latency=0.1, methods=("POST",))
    server = serve(sandbox)
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("TWILIO_", "SMS_BOOK_"))
    }
    environment.update(
        TWILIO_ACCOUNT_SID=sandbox.account.sid,
        TWILIO_AUTH_TOKEN=sandbox.account.token,
        SMS_BOOK_TWILIO_URL=server.url,
    )
    try:
        for format in ("json", "table"):
            running = subprocess.Popen(
                [BOOK, "run", "--yes", "--concurrency", "4", "--format", format, *_bulk(250)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=environment,
            )
            deadline = time.monotonic() + 60
            while sandbox.count() < len(before) + 20 and time.monotonic() < deadline:
                time.sleep(0.05)  # until the sends are under way
            running.send_signal(signal.SIGINT)
            out, err = running.communicate(timeout=60)
            assert running.returncode == 130, err
            with sandbox.state.transaction() as db:
                created = {row[0] for row in db.execute("SELECT sid FROM messages")} - before
            before |= created
            assert created, (out[-2000:], err[-2000:])
            if format == "json":
                outcomes = json.loads(out)["error"]["outcomes"]
                done = {act["result"] for act in outcomes["acts"] if act["state"] == "done"}
                assert done <= created and len(created) <= len(done) + outcomes["unknown"]
                assert outcomes["not started"], outcomes
            else:
                assert all(sid in out for sid in created if f"{sid}" in out) and "What was done" in out
                assert sum(sid in out for sid in created) >= len(created) - 4  # in flight: unknown, no sid
                assert "not started: items" in out
            assert "error: interrupted:" in err
    finally:
        server.shutdown()
        server.server_close()


def test_a_partly_failed_loop_lists_every_item_in_the_table(sandbox: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.sqlite3"
    copy_sandbox(sandbox, copy)
    failed = book(
        "run",
        "--yes",
        "-e",
        'read the first 3 SMS messages whose direction is "outbound-api"',
        "-e",
        "process each SMS message as follows",
        "-e",
        "  cancel the SMS message",
        sandbox=copy,
    )
    assert failed.returncode == 1
    assert "What was done (0 done, 3 refused, 0 unknown)" in failed.stdout
    assert failed.stdout.count("30409: This message cannot be canceled") == 3
    assert "The 3 refused did not happen" in failed.stderr
