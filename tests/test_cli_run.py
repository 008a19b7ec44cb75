"""``book run`` of a script written as a test: its set-up and checks are skipped, and
its first line ``# run with: --dry-run`` makes the run a dry run; the permissions a
first line asks for (``--yes``, ``--send-limit``) are only the command line's."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from book.sandbox import Sandbox, seed

BOOK = shutil.which("book") or str(Path(sys.executable).parent / "book")
REDACT = 'redact some SMS messages whose body contains "verification code"\n'


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    path = tmp_path / "sandbox.sqlite3"
    seed(Sandbox(str(path)), 300, seed=3)
    return path


def book(script: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("TWILIO_", "SMS_BOOK_"))
    }
    return subprocess.run(
        [BOOK, "run", str(script), *arguments], capture_output=True, text=True, env=environment, timeout=120
    )


def redacted(sandbox: Path) -> int:
    return sum(1 for message in Sandbox(str(sandbox)).client().list_messages() if message.body == "")


def test_a_first_line_that_asks_for_a_dry_run_makes_one(sandbox: Path, tmp_path: Path) -> None:
    script = tmp_path / "redact.english"
    script.write_text("# run with: --dry-run\n" + REDACT)
    before = redacted(sandbox)
    ran = book(script, "--sandbox", str(sandbox))
    assert ran.returncode == 0, ran.stderr
    assert "a dry run, as the script's first line asks" in ran.stderr
    assert "dry run: in all, would redact" in ran.stdout
    assert redacted(sandbox) == before
    done = book(script, "--sandbox", str(sandbox), "--yes")  # the person's --yes runs it for real
    assert done.returncode == 0, done.stderr
    assert "--yes runs it for real" in done.stderr
    assert redacted(sandbox) > before + 1


def test_a_first_line_cannot_give_permission(sandbox: Path, tmp_path: Path) -> None:
    script = tmp_path / "redact.english"
    script.write_text("# run with: --yes --send-limit 500\n" + REDACT)
    before = redacted(sandbox)
    ran = book(script, "--sandbox", str(sandbox))
    assert ran.returncode == 2
    assert "asks for --yes: book run takes that only from its command line" in ran.stderr
    assert "asks for --send-limit 500" in ran.stderr
    assert "nothing was changed" in ran.stderr
    assert redacted(sandbox) == before
    script.write_text("# run with: --faster\n" + REDACT)
    wrong = book(script, "--sandbox", str(sandbox))
    assert wrong.returncode == 2 and "line 1: '# run with:' takes --dry-run" in wrong.stderr


def test_a_test_run_by_book_run_skips_its_set_up_and_checks(sandbox: Path, tmp_path: Path) -> None:
    script = tmp_path / "count.english"
    script.write_text(
        "given 20 SMS messages from seed 1\n"
        'read the first 3 SMS messages whose direction is "inbound"\n'
        "expect the number of SMS messages is 99\n"
    )
    ran = book(script, "--sandbox", str(sandbox), "--format", "json")
    assert ran.returncode == 0, ran.stderr
    assert "book test runs them; book run skips them" in ran.stderr
    assert '"direction": "inbound"' in ran.stdout  # the answer is what was read, not the check's
    script.write_text("read the first 3 SMS messages\nexpect the number of SMS messages is 99\n")
    checked = book(script, "--sandbox", str(sandbox))  # no set-up: a check of this run, which fails
    assert checked.returncode == 1 and "expected the number of SMS messages is 99" in checked.stderr


LOOP = """read the first 3 SMS messages whose recipient number is "+15005550006"
process each SMS message as follows
  send an SMS message where
    the sender number is "+15005550006"
    the recipient number is the SMS message's sender number
    the message body is "Thanks"
"""


def test_a_silent_loop_that_sends_shows_each_send(sandbox: Path, tmp_path: Path) -> None:
    """For people, what went out is shown: each send's sid, recipient and status."""
    script = tmp_path / "loop.english"
    script.write_text(LOOP)
    ran = book(script, "--sandbox", str(sandbox))
    assert ran.returncode == 0, ran.stderr
    assert "What was done (3 done, 0 refused, 0 unknown)" in ran.stdout
    client = Sandbox(str(sandbox)).client()
    sent = [message for message in client.list_messages({"From": "+15005550006"}) if message.body == "Thanks"]
    assert len(sent) == 3
    for message in sent:
        row = next(line for line in ran.stdout.splitlines() if message.sid and message.sid in line)
        assert message.to and message.to in row and " queued" in row
    script.write_text(LOOP + '  say "thanked"\n')  # a loop that says something: its lines show what it did
    said = book(script, "--sandbox", str(sandbox))
    assert said.returncode == 0, said.stderr
    assert "What was done" not in said.stdout and said.stdout.count("thanked") == 3
