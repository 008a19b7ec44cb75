"""The examples are tests written in English: each sets up its sandbox with ``given``
lines (a fixed clock; 2,000 messages from seed 7, or inbound messages) and checks
itself with ``expect`` lines or a golden NAME.json beside it. ``book test examples/``
runs them, and so does ``pytest examples/`` through the plugin. A new user's tests,
one passing and one failing, give the outputs and exit codes the docs promise.
``book test --update examples/`` rewrites the golden results (read the diff).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from book.testing import find, run_test

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
BOOK = shutil.which("book") or str(Path(sys.executable).parent / "book")


def _environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith(("TWILIO_", "SMS_BOOK_"))}


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, env=_environment(), timeout=300, check=False
    )


@pytest.mark.parametrize("script", sorted(EXAMPLES.glob("*.english")), ids=lambda path: path.stem)
def test_every_example_is_a_test_that_passes(script: Path) -> None:
    outcome = run_test(script)
    assert outcome.status == "passed", outcome.message
    text = script.read_text(encoding="utf-8")
    assert "given the time is" in text  # each sets up its own sandbox: it repeats exactly


@pytest.fixture(scope="module")
def readme_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sandbox the README's first command makes: ``book sandbox seed --count 2000``."""
    path = tmp_path_factory.mktemp("readme") / "sandbox.sqlite3"
    made = _run([BOOK, "sandbox", "seed", "--count", "2000", "--sandbox", str(path)], ROOT)
    assert made.returncode == 0, made.stderr
    return path


@pytest.mark.parametrize("script", sorted(EXAMPLES.glob("*.english")), ids=lambda path: path.stem)
def test_every_example_runs_as_it_is_on_the_readmes_sandbox(script: Path, readme_sandbox: Path) -> None:
    """No flags: a test's set-up and checks are skipped, a first line that asks for a
    dry run is one, and each shows something."""
    ran = _run([BOOK, "run", str(script), "--sandbox", str(readme_sandbox)], ROOT)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() and "nothing found" not in ran.stdout, ran.stderr
    assert "Traceback" not in ran.stderr


def test_every_example_checks_something() -> None:
    found = find([EXAMPLES])
    assert found == sorted(EXAMPLES.glob("*.english")) and len(found) >= 13
    goldens = {path.stem for path in EXAMPLES.glob("*.json")}
    expecting = {path.stem for path in found if "\nexpect " in path.read_text(encoding="utf-8")}
    assert goldens | expecting == {path.stem for path in found}
    assert len(expecting) >= 5  # expectations where they read better than golden JSON


def test_book_test_runs_the_examples(tmp_path: Path) -> None:
    done = _run([BOOK, "test", "examples", "--format", "json", "--junit", str(tmp_path / "junit.xml")], ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert (
        report["passed"] == len(list(EXAMPLES.glob("*.english"))) and report["failed"] == report["error"] == 0
    )
    assert 'failures="0"' in (tmp_path / "junit.xml").read_text(encoding="utf-8")


def test_book_test_runs_them_in_parallel_with_the_same_outcomes() -> None:
    done = _run([BOOK, "test", "examples", "-j", "2", "--format", "json"], ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert {test["status"] for test in json.loads(done.stdout)["tests"]} == {"passed"}


def test_pytest_runs_the_examples_through_the_plugin() -> None:
    done = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "examples"], ROOT)
    count = len(list(EXAMPLES.glob("*.english")))
    assert done.returncode == 0 and f"{count} passed" in done.stdout, done.stdout + done.stderr


NEW_USER = {
    "orders.english": """\
given the time is 2024-06-01T12:00:00Z
given the SMS messages in "inbox.json"

read some SMS messages whose status is "failed"
expect the number of SMS messages is 1
process each SMS message as follows
  send an SMS message where
    the sender number is "+15005550006"
    the recipient number is the SMS message's recipient number
    the message body is "Sorry, we will try again."
read some SMS messages whose body is "Sorry, we will try again."
expect the number of SMS messages is 1 and the SMS message's status is "queued"
""",
    "wrong.english": """\
given 50 SMS messages from seed 3
read some SMS messages whose direction is "inbound"
expect the number of SMS messages is 1000
""",
    "inbox.json": json.dumps(
        {
            "messages": [
                {
                    "sid": "SM" + "1" * 32,
                    "from": "+15005550006",
                    "to": "+14155550100",
                    "body": "Your code is 1234",
                    "status": "failed",
                    "direction": "outbound-api",
                    "date_created": "Fri, 31 May 2024 10:00:00 +0000",
                    "date_sent": "Fri, 31 May 2024 10:00:01 +0000",
                    "error_code": 30008,
                }
            ]
        }
    ),
}


def test_a_new_users_tests_one_passing_one_failing(tmp_path: Path) -> None:
    for name, text in NEW_USER.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    done = _run([BOOK, "test"], tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("PASSED orders.english")
    assert lines[1].startswith("FAILED wrong.english")
    assert (
        "line 3, column 8: expected the number of SMS messages is 1000, but the number of SMS messages is"
        in done.stdout
    )
    assert "  expect the number of SMS messages is 1000\n" in done.stdout
    assert "         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^" in done.stdout
    assert lines[-1].startswith("1 passed, 1 failed in ")

    through_pytest = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], tmp_path)
    assert through_pytest.returncode == 1
    assert "1 failed, 1 passed" in through_pytest.stdout
    assert "expected the number of SMS messages is 1000" in through_pytest.stdout
    selected = _run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "orders"], tmp_path
    )
    assert selected.returncode == 0 and "1 passed, 1 deselected" in selected.stdout

    (tmp_path / "wrong.english").write_text("expect the number of SMS messages is\n", encoding="utf-8")
    mistake = _run([BOOK, "test", "wrong.english"], tmp_path)
    assert mistake.returncode == 2 and "ERROR  wrong.english" in mistake.stdout
    off = _run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:sms-book"], tmp_path
    )
    assert off.returncode == 5  # the plugin off: no tests collected


def test_update_rewrites_a_golden_result_and_shows_what_changed(tmp_path: Path) -> None:
    script = tmp_path / "count.english"
    script.write_text("given 20 SMS messages from seed 1\nsay the number of SMS messages\n", encoding="utf-8")
    script.with_suffix(".json").write_text('{"result": "3", "said": ["3"]}\n', encoding="utf-8")
    failed = _run([BOOK, "test"], tmp_path)
    assert failed.returncode == 1 and 'result: expected "3", got "20"' in failed.stdout
    updated = _run([BOOK, "test", "--update"], tmp_path)
    assert updated.returncode == 0 and "updated count.json" in updated.stdout
    assert 'said[0]: expected "3", got "20"' in updated.stdout
    assert json.loads(script.with_suffix(".json").read_text(encoding="utf-8")) == {
        "result": "20",
        "said": ["20"],
    }
    assert _run([BOOK, "test"], tmp_path).returncode == 0
