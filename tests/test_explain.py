"""``explain`` takes what ``run`` takes: every read of a script is planned, with the
values the lines before it give, and nothing else runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from book.sandbox import Sandbox, seed
from procedures import ExplainError
from tests.sandbox_helpers import book_session, make

ROOT = Path(__file__).resolve().parent.parent
BOOK = shutil.which("book") or str(Path(sys.executable).parent / "book")

SCRIPT = """\
convert "2024-05-20T00:00:00Z" to a datetime
use the above as the start date
the customer number is "+14155550100"
send an SMS message with the sender number is "+15005550006" and the recipient number is the customer number and the message body is "hi"
read some SMS messages whose recipient number is the customer number and whose date sent is after the start date
use the above as the batch
process each SMS message as follows
  read some SMS messages whose sender number is the SMS message's recipient number
when an SMS message is received
  if the SMS message's body contains "stop" then
    read the first 5 SMS messages whose sender number is the customer number
"""


def test_every_read_of_a_script_is_planned_and_nothing_else_runs() -> None:
    sandbox = make()
    seed(sandbox, 50, seed=1)
    before = len(list(sandbox.client().list_messages()))
    with book_session(sandbox) as session:
        found = session.explanations(SCRIPT)
    assert [read.line for read in found] == [5, 8, 11]
    first, looped, handled = found
    assert first.plan.to_json()["queries"] == [
        {"kind": "list", "params": {"To": "+14155550100", "DateSent>": "2024-05-20"}}
    ]
    assert looped.plan is None and "only a run gives" in (looped.why or "")
    assert "the SMS message" in (looped.why or "")
    assert handled.plan.to_json()["queries"] == [{"kind": "list", "params": {"From": "+14155550100"}}]
    assert handled.plan.limit == 5
    assert len(list(sandbox.client().list_messages())) == before  # the send did not run
    assert json.loads(json.dumps([read.to_json() for read in found]))[1]["why"]
    assert "line 8: read some SMS messages whose sender number is" in looped.explain()


def test_explain_gives_the_last_reads_plan_or_says_why_not() -> None:
    with book_session(make()) as session:
        plan = session.explain(
            'the n is "+14155550100"\nsay "hi"\nread some SMS messages whose sender number is the n'
        )
        assert plan.to_json()["queries"] == [{"kind": "list", "params": {"From": "+14155550100"}}]
        with pytest.raises(ExplainError, match="nothing to explain"):
            session.explain('say "hi"')
        with pytest.raises(ExplainError, match="cannot be planned before the run"):
            session.explain(
                "read some SMS messages\nprocess each SMS message as follows\n"
                "  read some SMS messages whose sender number is the SMS message's sender number"
            )


def test_a_fetch_by_sid_is_explained_as_a_fetch() -> None:
    with book_session(make()) as session:
        words = session.explain(f'read an SMS message whose sid is "SM{"ab" * 16}"').explain()
    assert f"fetch the message SM{'ab' * 16}" in words
    assert "pages" not in words and "stops at" not in words


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("explain") / "sandbox.sqlite3"
    seed(Sandbox(str(path)), 200, seed=2)
    return path


def _explain(*arguments: str, sandbox: Path) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("TWILIO_", "SMS_BOOK_"))
    }
    return subprocess.run(
        [BOOK, "explain", *arguments, "--sandbox", str(sandbox)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        cwd=ROOT,
    )


@pytest.mark.parametrize("example", ["read-in-a-time-period", "auto-reply", "reply-when-received"])
def test_the_command_explains_the_examples_it_used_to_refuse(example: str, sandbox: Path) -> None:
    shown = _explain(f"examples/{example}.english", sandbox=sandbox)
    assert shown.returncode == 0, shown.stderr
    assert "Twilio is asked" in shown.stdout
    data = json.loads(_explain(f"examples/{example}.english", "--format", "json", sandbox=sandbox).stdout)
    reads = data.get("reads", [{"plan": data}])
    assert all(read["plan"]["queries"] for read in reads)


def test_a_conversion_of_what_only_a_run_gives_leaves_its_name_unknown() -> None:
    with book_session(make()) as session:
        found = session.explanations(
            "read some SMS messages\n"
            "convert the SMS message's body to a datetime\n"
            "use the above as the start\n"
            "read some SMS messages whose date sent is after the start"
        )
    assert [read.plan is None for read in found] == [False, True]
