"""Every script in examples/ runs through the installed ``book`` command against a
freshly seeded sandbox, and its JSON output is compared with the expectation kept
beside it (NAME.english and NAME.json: adding an example is adding two files).

The sandbox and the run follow a fixed clock (SMS_BOOK_NOW), so every run is the
same. A first line ``# run with: OPTIONS`` adds options to the run. Set
SMS_BOOK_UPDATE_EXAMPLES=1 to write the expectations afresh (and read the diff).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from book.sandbox import Sandbox, State, seed
from procedures import FixedClock

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOW = "2024-06-01T12:00:00Z"
ACCOUNT = "AC" + "e" * 32
TOKEN = "example-token-not-a-secret"
BOOK = shutil.which("book") or str(Path(sys.executable).parent / "book")


def fresh_sandbox(path: Path) -> None:
    """A sandbox as every example finds it: one account, 2,000 seeded messages."""
    state = State(path)
    clock = FixedClock(dt.datetime.fromisoformat(NOW.replace("Z", "+00:00")))
    state.create_account(
        numbers=("+15005550006", "+12125550100", "SMSBOOK"),
        sid=ACCOUNT,
        token=TOKEN,
        now=int(clock.now().timestamp()),
    )
    seed(Sandbox(state=state, clock=clock), 2000, seed=7)
    state.close()


def run_example(script: Path, sandbox: Path) -> subprocess.CompletedProcess[str]:
    first = script.read_text(encoding="utf-8").splitlines()[0]
    extra = shlex.split(first.removeprefix("# run with:")) if first.startswith("# run with:") else []
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("TWILIO_", "SMS_BOOK_"))
    }
    environment.update(SMS_BOOK_SANDBOX=str(sandbox), SMS_BOOK_NOW=NOW)
    return subprocess.run(
        [BOOK, "run", str(script), "--format", "json", *extra],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


@pytest.mark.parametrize("script", sorted(EXAMPLES.glob("*.english")), ids=lambda path: path.stem)
def test_example_runs_as_expected(script: Path, tmp_path: Path) -> None:
    sandbox = tmp_path / "sandbox.sqlite3"
    fresh_sandbox(sandbox)
    result = run_example(script, sandbox)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(f"using the local sandbox at {sandbox}")
    output = json.loads(result.stdout)
    expected = script.with_suffix(".json")
    if os.environ.get("SMS_BOOK_UPDATE_EXAMPLES"):
        expected.write_text(json.dumps(output, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert expected.exists(), f"{expected.name} is missing: run with SMS_BOOK_UPDATE_EXAMPLES=1 to write it"
    assert output == json.loads(expected.read_text(encoding="utf-8"))


def test_every_example_has_its_expectation() -> None:
    scripts = {path.stem for path in EXAMPLES.glob("*.english")}
    expectations = {path.stem for path in EXAMPLES.glob("*.json")}
    assert scripts == expectations
    assert len(scripts) >= 11
