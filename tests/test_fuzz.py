"""The fuzzer of issue 11 (benchmarks/fuzz.py), on a small seeded slice and on itself.

- Any input, on any of the three ways in (parse, step, run), ends in time with a
  result or the book's own error, and keeps the invariants the fuzzer checks:
  nothing escapes a slice of 50 inputs on each target.
- The harness sees what it is looking for: an exception, a hang in C code, a
  dying worker, and each invariant of the book broken on purpose, are escapes;
  so "0 escapes" cannot pass vacuously.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("fuzz", ROOT / "benchmarks" / "fuzz.py")
assert _spec is not None and _spec.loader is not None
fuzz = importlib.util.module_from_spec(_spec)
sys.modules["fuzz"] = fuzz
_spec.loader.exec_module(fuzz)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return fuzz.prepare(tmp_path_factory.mktemp("fuzz"))


# ------------------------------------------------------- the harness on itself


def _raises(text: str, options: Any) -> list[Any]:
    raise ValueError(f"cannot take {text!r}")


def _hangs_in_c(text: str, options: Any) -> list[Any]:
    if "hang" in text:
        sum(itertools.repeat(1, 10**14))  # C code: no signal stops it, only the watchdog
    return []


def _waits(text: str, options: Any) -> list[Any]:
    time.sleep(60)  # no CPU used: the wall clock stops it
    return []


def _dies(text: str, options: Any) -> list[Any]:
    os._exit(3)


def _fails_on_whose(text: str, options: Any) -> list[Any]:
    if "whose" in text:
        raise KeyError("whose")
    return []


def test_the_harness_catches_an_exception_a_hang_and_a_dying_worker() -> None:
    targets = {"raises": _raises, "hangs": _hangs_in_c, "dies": _dies, "waits": _waits}
    with fuzz.Harness(targets, timeout=1.0) as harness:
        (raised,) = harness.check("raises", "say 1").escapes
        assert raised["kind"] == "exception"
        assert raised["signature"].startswith("ValueError at tests/test_fuzz.py:")
        assert "cannot take 'say 1'" in raised["detail"]
        start = time.monotonic()
        assert [e["kind"] for e in harness.check("hangs", "hang").escapes] == ["hang"]
        assert time.monotonic() - start < 10
        assert harness.check("hangs", "say 1").escapes == []  # the worker after the killed one works
        assert [e["kind"] for e in harness.check("dies", "say 1").escapes] == ["crash"]
        (waited,) = harness.check("waits", "say 1", timeout=0.3).escapes
        assert waited["kind"] == "hang"
        if harness.clock == "cpu":
            assert "of wall time" in waited["detail"]
        assert harness.check("raises", "x").escapes[0]["kind"] == "exception"


def _fails_on_hang(text: str, options: Any) -> list[Any]:
    if "hang" in text:
        raise AssertionError("an input that hung in parse went on to another target")
    return []


def test_a_hang_is_tried_twice_reported_with_its_input_and_not_sent_on(world: Any) -> None:
    sentences = ['read some SMS messages whose body contains "hang"', "say 1"]
    targets = {"parse": _hangs_in_c, "step": _fails_on_hang}
    with fuzz.Harness(targets, timeout=0.5, workers=2) as harness:
        tally = fuzz.fuzz(harness, ["parse", "step"], inputs=12, seed=1, sentences=sentences)
    hangs = tally.escapes["parse"]["hang"]
    assert hangs >= 1
    assert tally.inputs["parse"] == 12
    assert tally.inputs["step"] + tally.skipped["step"] == 12
    assert tally.skipped["step"] == hangs
    assert "step" not in tally.escapes
    assert tally.found
    assert all(f.escape["kind"] == "hang" and "hang" in f.input.text for f in tally.found.values())
    assert sum(f.counts["parse"] for f in tally.found.values()) == hangs


def test_escapes_are_counted_grouped_and_shrunk(world: Any) -> None:
    sentences = fuzz.corpus(world.sids)
    with fuzz.Harness({"whose": _fails_on_whose}, timeout=5.0) as harness:
        tally = fuzz.fuzz(harness, ["whose"], inputs=40, seed=3, sentences=sentences)
        assert tally.total() >= 1
        assert len(tally.found) == 1  # one exception raised at one place: one distinct escape
        fuzz.shrink_all(harness, tally, seconds=20)
    (found,) = tally.found.values()
    assert found.escape["signature"].startswith("KeyError at tests/test_fuzz.py:")
    assert found.counts["whose"] == tally.escapes["whose"]["exception"]
    assert found.shrunk == "whose"
    arguments = fuzz.argparse.Namespace(seed=3, inputs=40, workers=1, per_input_timeout=5.0, clock="cpu")
    assert "shrunk to: 'whose'" in fuzz.report(tally, ["whose"], 1.0, arguments)
    assert (
        json.loads(json.dumps(fuzz.dumped(tally, ["whose"], 1.0, arguments)))["escapes"][0]["counts"]["whose"]
        >= 1
    )


def test_inputs_are_made_again_from_the_seed_and_index(world: Any) -> None:
    sentences = fuzz.corpus(world.sids)
    made = [fuzz.make(7, index, sentences) for index in range(200)]
    assert made == [fuzz.make(7, index, sentences) for index in range(200)]
    assert len({item.text for item in made}) > 150
    assert any(len(item.text) >= 100_000 for item in made)


# ------------------------------------------- the book's checks, broken on purpose


def test_the_checks_see_a_broken_book(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import book.cli.output
    import grammar
    import procedures.session
    from book.connection import Connection

    monkeypatch.setenv("SMS_BOOK_NOW", fuzz.NOW.isoformat())
    monkeypatch.setattr(grammar, "parse_script", lambda text: 1 / 0)
    (parsed,) = fuzz.check_parse("say 1")
    assert parsed["kind"] == "exception"
    assert parsed["signature"].startswith("ZeroDivisionError")
    monkeypatch.undo()

    monkeypatch.setenv("SMS_BOOK_NOW", fuzz.NOW.isoformat())
    real_run = procedures.session.Session.run

    def run(self: Any, text: str, parsed: Any = None) -> Any:
        if "nan" in text:
            return procedures.session.Result("nan", ())
        if "boom" in text:
            raise RuntimeError("boom")
        if "leak" in text:
            self._say(world.secrets[0])
        if "change" in text:  # two messages changed behind the safeguards' back
            with self.resources[Connection].sandbox.state.transaction() as db:
                db.execute(
                    "UPDATE messages SET status = 'failed' WHERE sid IN (?, ?)",
                    (world.sids["sid0"], world.sids["sid1"]),
                )
        return real_run(self, text, parsed)

    real_to_dict = procedures.session.Result.to_dict

    def to_dict(self: Any) -> dict[str, Any]:  # NaN as a number: not JSON
        return {"result": float("nan"), "said": []} if self.value == "nan" else real_to_dict(self)

    monkeypatch.setattr(procedures.session.Session, "run", run)
    monkeypatch.setattr(procedures.session.Result, "to_dict", to_dict)
    assert fuzz.check_step('say "fine"') == []
    assert [e["kind"] for e in fuzz.check_step("say nan")] == ["non-JSON"]
    (boom,) = fuzz.check_step("say boom")
    assert boom["kind"] == "exception"
    assert boom["signature"].startswith("RuntimeError at ")
    assert [e["kind"] for e in fuzz.check_step('say "leak"')] == ["secret shown"]
    assert [e["kind"] for e in fuzz.check_step('say "change"')] == ["changed >1 message"]
    assert [e["kind"] for e in fuzz.check_run('say "leak"', {"format": "table"})] == ["secret shown"]
    assert [e["kind"] for e in fuzz.check_run('say "change"', {"format": "json"})] == ["changed >1 message"]
    assert [e["kind"] for e in fuzz.check_run('say "boom"', {"format": "json"})] == ["exception"]

    monkeypatch.setattr(book.cli.output.Output, "json", lambda self, data: print("{}\n{}"))
    assert [e["kind"] for e in fuzz.check_run('say "two documents"', {"format": "json"})] == ["non-JSON"]
    monkeypatch.setattr(book.cli.output.Output, "json", lambda self, data: print("oops") or 1 / 0)
    assert [e["kind"] for e in fuzz.check_run('say "x"', {"format": "json"})] == ["exception"]


# ---------------------------------------------------------- the book, fuzzed


@pytest.mark.slow
def test_nothing_escapes_a_seeded_slice(world: Any) -> None:
    """50 inputs of seed 11 on parse, step and run (150 target calls)."""
    sentences = fuzz.corpus(world.sids)
    with fuzz.Harness(fuzz.book_targets(), timeout=10.0, workers=2) as harness:
        tally = fuzz.fuzz(harness, list(fuzz.TARGETS), inputs=50, seed=11, sentences=sentences)
    assert dict(tally.inputs) == {"parse": 50, "step": 50, "run": 50}
    escapes = [
        f"[{found.target}] {found.escape['kind']}: {found.escape['detail']} <- {fuzz.shown(found.input.text, 200)}"
        for found in tally.found.values()
    ]
    assert escapes == []
