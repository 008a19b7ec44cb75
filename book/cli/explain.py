"""``book explain``: how the reads of a script would be answered: what Twilio is
asked, what is checked here. It takes what ``book run`` takes and runs nothing but
the lines that name values: a script with one read prints its plan; with more,
each read's line, English and plan (JSON: ``{"reads": [{"line", "english", "plan"
or "why"}]}``)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from book.cli.output import Output, plain
from book.cli.run import english, options, session_for

__all__ = ["add"]


def _explain(arguments: argparse.Namespace, output: Output) -> int:
    text = english(
        arguments, "book explain -e 'read some SMS messages whose sender number is \"+15005550006\"'"
    )
    session, stop = session_for(arguments, output, lambda line: None)
    try:
        found = session.explanations(text)
    finally:
        stop()
        session.close()
    if len(found) == 1 and found[0].plan is not None:
        plan = found[0].plan
        output.json(plan.to_json()) if output.machine else output.text(plan.explain())
    elif output.machine:
        output.json({"reads": [read.to_json() for read in found]})
    else:
        output.text("\n\n".join(read.explain() for read in found))
    return 0


def add(commands: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    explain = commands.add_parser(
        "explain", help="show how a read would be answered", description=plain(__doc__)
    )
    explain.add_argument(
        "file", nargs="?", help="a script file ('-' reads stdin): each of its reads is explained"
    )
    explain.add_argument(
        "-e",
        dest="expression",
        action="append",
        metavar="ENGLISH",
        help="English to explain; several -e are one script (earlier lines may name values a read uses)",
    )
    options(explain)
    common(explain)
    explain.set_defaults(run=_explain)
