"""``book test``: run tests written in English (.english files with expectations, or
with a golden NAME.json beside them), each on a sandbox of its own, on a fixed clock.
Prints a line per test and a summary; exit 0 when all pass, 1 when one fails, 2 when
a test's English (or set-up) has a mistake. --update rewrites golden results
(showing what changed); --junit FILE writes JUnit XML for CI.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from book.cli.output import Output, UsageError, plain
from book.cli.run import counting

__all__ = ["add"]


def _test(arguments: argparse.Namespace, output: Output) -> int:
    from book.testing import find, run_test

    paths = [Path(path) for path in arguments.paths] or [Path()]
    for path in paths:
        if not path.exists():
            raise UsageError(f"there is no {path}", hint="Give .english files or folders that hold them.")
    tests = find(paths)
    if not tests:
        raise UsageError(
            f"no tests in {', '.join(map(str, paths))}",
            hint="A test is a .english file with an 'expect ...' line, or with a golden NAME.json beside it.",
        )
    start = time.perf_counter()
    if arguments.jobs > 1 and len(tests) > 1:
        with ProcessPoolExecutor(max_workers=arguments.jobs) as pool:
            outcomes = list(pool.map(_one, tests, [arguments.update] * len(tests)))
    else:
        outcomes = [run_test(test, update=arguments.update) for test in tests]
    seconds = time.perf_counter() - start
    counts = {status: sum(o.status == status for o in outcomes) for status in ("passed", "failed", "error")}
    if output.machine:
        output.json({"tests": [o.to_dict() for o in outcomes], **counts, "seconds": round(seconds, 3)})
    else:
        for outcome in outcomes:
            _show(outcome)
        summary = f"{counts['passed']} passed, {counts['failed']} failed"
        summary += f", {counts['error']} with mistakes" if counts["error"] else ""
        sys.stdout.write(f"{summary} in {seconds:.2f} s\n")
    if arguments.junit is not None:
        _junit(arguments.junit, outcomes, seconds)
    return 2 if counts["error"] else 1 if counts["failed"] else 0


def _one(test: Path, update: bool) -> Any:
    from book.testing import run_test

    return run_test(test, update=update)


def _show(outcome: Any) -> None:
    mark = {"passed": "PASSED", "failed": "FAILED", "error": "ERROR "}[outcome.status]
    line = f"{mark} {outcome.name} ({outcome.seconds * 1000:.0f} ms)"
    if outcome.updated:
        line += f": {outcome.message}"
    sys.stdout.write(line + "\n")
    if outcome.status != "passed" and outcome.message:
        sys.stdout.write("".join(f"    {text}\n" for text in outcome.message.splitlines()))
    if outcome.updated:
        sys.stdout.write("".join(f"    {text}\n" for text in outcome.diff))


def _junit(path: Path, outcomes: list[Any], seconds: float) -> None:
    """JUnit XML, as CI systems read it: one testcase per test."""
    suite = ElementTree.Element(
        "testsuite",
        name="book test",
        tests=str(len(outcomes)),
        failures=str(sum(o.status == "failed" for o in outcomes)),
        errors=str(sum(o.status == "error" for o in outcomes)),
        time=f"{seconds:.3f}",
    )
    for outcome in outcomes:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname=str(outcome.path.parent),
            name=outcome.path.name,
            time=f"{outcome.seconds:.3f}",
        )
        if outcome.status != "passed":
            kind = "failure" if outcome.status == "failed" else "error"
            first = outcome.message.splitlines()[0] if outcome.message else outcome.status
            ElementTree.SubElement(case, kind, message=first).text = outcome.message
        if outcome.said:
            ElementTree.SubElement(case, "system-out").text = "\n".join(outcome.said)
    try:
        ElementTree.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from exc


def add(commands: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    test = commands.add_parser("test", help="run tests written in English", description=plain(__doc__))
    test.add_argument(
        "paths", nargs="*", metavar="PATH", help="test files or folders (default: here, recursively)"
    )
    test.add_argument(
        "--update", action="store_true", help="rewrite golden results that differ, showing what changed"
    )
    test.add_argument("--junit", type=Path, metavar="FILE", help="also write the results as JUnit XML")
    test.add_argument(
        "-j", "--jobs", type=counting(1, 64), default=1, metavar="N", help="tests run at once (default 1)"
    )
    test.add_argument("--format", choices=("table", "json"), default="table", help="how to print results")
    test.set_defaults(run=_test)
