"""The time to run a test written in English: ``run_test`` on a test of a few
statements over 1,000 seeded messages, against the same statements run with
``Session.step`` on a copy of the same messages, and ``book test`` on a folder.

    python benchmarks/testing.py [--runs 50] [--messages 1000] [--files 20] [--command-runs 3]

The test (written to a temporary folder):

    given the time is 2024-06-01T12:00:00Z
    given 1000 SMS messages from seed 7
    read some SMS messages whose status is "failed" and whose date sent is on or after 2024-05-01
    expect the number of SMS messages is at least 1
    say the number of SMS messages

Measured, in one run:

- ``run_test``, first in this process: it seeds the messages (and pays for what
  is imported on first use), then keeps them (book/testing.py ``_PREPARED``);
- ``run_test``, ``--runs`` more times: the fixture copied (``State.copy``), the
  file read and parsed, the sandbox set up, the expectation checked;
- the anchor, the same work without the harness: the three statements, each a
  ``Session.step`` (the book's registry, a ``Connection`` on the sandbox and
  ``Settings()``, a ``FixedClock``), on a ``Sandbox`` made on a fresh
  ``State.copy()`` of a state seeded once, outside the timing, as the harness
  seeds it (the same account, numbers and messages); copying is timed in both,
  so the ratio is the harness's own cost (the file, parsing, set-up, the
  expect and golden handling); its answer must be the harness's;
- beside it, the three lines as one ``Session.run`` on a copy as well, as
  ``run_test`` runs a script's lines (one parse, one run, not three);
- ``State.copy`` alone, the part of both that is the fixture's copy;
- ``book test`` on a folder of ``--files`` copies of the test, as a subprocess
  (start-up, imports and finding the tests included; one seeding, then copies),
  ``--command-runs`` times: its total, and per test; every test must pass.

The harness and the anchors run in turn (the order reversed every other run), so
that a busy moment of the machine costs each alike. Goal (issue 16): a test of a
few statements on a fixture of 1,000 messages in under 100 ms (the median of the
runs on a copied fixture).

Measured on a 2-CPU shared machine, 2026-12-02, with the defaults (50 runs,
1,000 messages, 20 files, 3 command runs):

    | what | run 1: runs, median ms, p90 ms, / anchor | run 2: median ms, p90 ms, / anchor |
    |---|---|---|
    | run_test, first in the process (seeds 1,000) | 1, 244.3, -, 9.03 | 282.9, -, 10.77 |
    | run_test, fixture copied | 50, 26.5, 51.2, 0.98 | 25.2, 29.4, 0.96 |
    | anchor: 3 x Session.step on a State.copy | 50, 27.0, 56.6, 1.00 | 26.3, 32.0, 1.00 |
    | (the 3 lines as one Session.run, on a copy) | 50, 28.0, 49.3, 1.03 | 25.1, 30.8, 0.96 |
    | of both: State.copy of the fixture | 50, 1.6, 1.9, - | 2.7, 6.5, - |
    | book test, 20 files, per test (wall / 20) | 3, 83.6, 105.9, 3.09 | 90.5, 91.3, 3.45 |
    | book test, 20 files, per test (its own timing) | 3, 27.0, 42.4, 1.00 | 32.1, 34.8, 1.22 |

Goal met: a test on a copied fixture of 1,000 messages takes 25-27 ms (median),
a quarter of the 100 ms; the first, which seeds (130-170 ms of it) and imports
what it first uses, 244-283 ms. The harness costs nothing measurable over the
anchor (0.96-0.98 of three ``Session.step``, 0.96-1.03 of one ``Session.run``):
the time is in the statements' own work, which both do (the read through the
sandbox's transport and its answer), not in parsing, set-up or the copy (2-3 ms).
``book test`` ran the 20 tests in 1.67 and 1.81 s (median of 3), 84-90 ms a test,
of which 0.54-0.64 s running them: about 1.1-1.2 s is the command's start-up,
imports and finding the tests. The p90s move with what else the shared machine
runs (51 ms in run 1, 29 ms in run 2), the medians much less.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from book.testing import run_test  # first: the first run_test below is as a fresh process's

NOW = dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)
STATEMENTS = (
    'read some SMS messages whose status is "failed" and whose date sent is on or after 2024-05-01',
    "expect the number of SMS messages is at least 1",
    "say the number of SMS messages",
)
GOAL_MS = 100.0


def test_text(messages: int) -> str:
    return (
        "given the time is 2024-06-01T12:00:00Z\n"
        f"given {messages} SMS messages from seed 7\n" + "\n".join(STATEMENTS) + "\n"
    )


def p90(values: list[float]) -> float:
    """The 90th percentile, nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


# ------------------------------------------------------------------ the anchor


class Anchor:
    """The same statements with ``Session.step`` on a fresh copy of a seeded state."""

    def __init__(self, messages: int) -> None:
        from book.procedures import registry
        from book.sandbox import Sandbox, State, seed
        from book.testing import ACCOUNT, NUMBERS, TOKEN
        from procedures import FixedClock

        self.registry = registry
        state = State()  # as book/testing.py _sandbox makes a test's
        state.create_account(numbers=NUMBERS, sid=ACCOUNT, token=TOKEN, now=int(NOW.timestamp()))
        began = time.perf_counter()
        seed(Sandbox(state=state, clock=FixedClock(NOW)), messages, seed=7)
        self.seeding = time.perf_counter() - began
        self.seeded = state

    def run(self, *, whole: bool = False) -> tuple[float, list[str]]:
        """One run: each statement a ``Session.step``, or with ``whole`` the three
        lines as one ``Session.run`` (as ``run_test`` runs a script)."""
        from book.connection import Connection, Settings
        from book.sandbox import Sandbox
        from procedures import FixedClock, Session

        said: list[str] = []
        began = time.perf_counter()
        sandbox = Sandbox(state=self.seeded.copy(), clock=FixedClock(NOW))
        with Session(
            self.registry, clock=sandbox.clock, resources=[Connection(sandbox=sandbox), Settings()]
        ) as session:
            if whole:
                said += session.run("\n".join(STATEMENTS)).said
            for statement in () if whole else STATEMENTS:
                answer = session.step(statement)
                if "error" in answer:
                    raise SystemExit(f"the anchor failed at {statement!r}: {answer['error']}")
                said += answer["said"]
        seconds = time.perf_counter() - began
        sandbox.state.close()
        return seconds, said

    def copy(self) -> float:
        began = time.perf_counter()
        twin = self.seeded.copy()
        seconds = time.perf_counter() - began
        twin.close()
        return seconds


# ------------------------------------------------------------------ the harness


def harness(path: Path) -> tuple[float, list[str]]:
    began = time.perf_counter()
    outcome = run_test(path)
    seconds = time.perf_counter() - began
    if outcome.status != "passed":
        raise SystemExit(f"the test did not pass ({outcome.status}): {outcome.message}")
    return seconds, list(outcome.said)


def command(folder: Path, runs: int, files: int) -> tuple[list[float], list[float]]:
    """``book test FOLDER --format json`` as a subprocess: wall seconds, and the
    seconds it reports for its tests (start-up and finding them left out)."""
    book = Path(sys.executable).parent / "book"
    program = [str(book)] if book.exists() else [shutil.which("book") or "book"]
    walls, inside = [], []
    for _ in range(runs):
        began = time.perf_counter()
        done = subprocess.run(
            [*program, "test", str(folder), "--format", "json"], capture_output=True, text=True, check=False
        )
        walls.append(time.perf_counter() - began)
        try:
            report = json.loads(done.stdout)
        except ValueError:
            raise SystemExit(f"book test exited {done.returncode}:\n{done.stdout}\n{done.stderr}") from None
        if done.returncode != 0 or report["passed"] != files:
            raise SystemExit(f"book test exited {done.returncode}: {report}")
        inside.append(report["seconds"])
    return walls, inside


# ------------------------------------------------------------------ the report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=50, help="timed runs after the first (default 50)")
    parser.add_argument("--messages", type=int, default=1000, help="messages seeded (default 1000)")
    parser.add_argument(
        "--files", type=int, default=20, help="tests in the folder for book test (default 20)"
    )
    parser.add_argument(
        "--command-runs", type=int, default=3, help="times book test is run on the folder (default 3)"
    )
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        text = test_text(arguments.messages)
        path = root / "one" / "failed_recently.english"
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        folder = root / "suite"
        folder.mkdir()
        for number in range(arguments.files):
            (folder / f"test_{number:02d}.english").write_text(text, encoding="utf-8")

        first, said = harness(path)  # seeds, and keeps the fixture
        anchor = Anchor(arguments.messages)
        anchor.run()  # warm: the first Session.step
        anchor.run(whole=True)
        harnessed: list[float] = []
        anchored: list[float] = []
        together: list[float] = []
        for index in range(arguments.runs):
            order = (0, 1, 2) if index % 2 == 0 else (2, 1, 0)
            for which in order:
                if which == 0:
                    seconds, theirs = harness(path)
                    harnessed.append(seconds)
                elif which == 1:
                    seconds, theirs = anchor.run()
                    anchored.append(seconds)
                else:
                    seconds, theirs = anchor.run(whole=True)
                    together.append(seconds)
                if theirs != said:
                    raise SystemExit(f"answers differ: {theirs} != {said}")
        copies = [anchor.copy() for _ in range(arguments.runs)]
        walls, inside = command(folder, arguments.command_runs, arguments.files)

    base = statistics.median(anchored)
    rows = [
        (f"run_test, first in the process (seeds {arguments.messages:,})", [first]),
        ("run_test, fixture copied", harnessed),
        (f"anchor: {len(STATEMENTS)} x Session.step on a State.copy", anchored),
        (f"(the {len(STATEMENTS)} lines as one Session.run, on a State.copy)", together),
        ("of both: State.copy of the fixture", copies),  # no ratio: a part, not a way
        (
            f"book test, {arguments.files} files, per test (wall / {arguments.files})",
            [w / arguments.files for w in walls],
        ),
        (
            f"book test, {arguments.files} files, per test (its own timing)",
            [s / arguments.files for s in inside],
        ),
    ]
    print(
        f"A test of {len(STATEMENTS)} statements on {arguments.messages:,} seeded messages "
        f"(said {', '.join(said)}); seeding them once took {anchor.seeding * 1000:.0f} ms\n"
    )
    print("| what | runs | median ms | p90 ms | harness / anchor |")
    print("|---|---|---|---|---|")
    for name, values in rows:
        median = statistics.median(values) * 1000
        shown_p90 = f"{p90(values) * 1000:.1f}" if len(values) > 1 else "-"
        ratio = "-" if values is copies else f"{median / (base * 1000):.2f}"
        print(f"| {name} | {len(values)} | {median:.1f} | {shown_p90} | {ratio} |")
    wall = statistics.median(walls)
    print(
        f"\nbook test on {arguments.files} tests: {wall:.2f} s in all (median of {len(walls)}, "
        f"{min(walls):.2f}-{max(walls):.2f} s), {wall / arguments.files * 1000:.0f} ms a test, start-up "
        f"included; {statistics.median(inside):.2f} s of it running the tests"
    )
    cached = statistics.median(harnessed) * 1000
    met = cached < GOAL_MS
    print(
        f"\ngoal: a test of a few statements on {arguments.messages:,} messages in under {GOAL_MS:.0f} ms "
        f"(median, fixture copied): {cached:.1f} ms, {'met' if met else 'missed'}; "
        f"p90 {p90(harnessed) * 1000:.1f} ms; the first run, which seeds, {first * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
