"""``book explain``: how a read would be answered: what Twilio is asked, what is checked here."""

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
        result = session.explain(text)
    finally:
        stop()
        session.close()
    if output.machine:
        output.json(result.to_json())
    else:
        output.text(result.explain())
    return 0


def add(commands: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    explain = commands.add_parser(
        "explain", help="show how a read would be answered", description=plain(__doc__)
    )
    explain.add_argument("file", nargs="?", help="a script file whose last statement is the read")
    explain.add_argument(
        "-e",
        dest="expression",
        action="append",
        metavar="ENGLISH",
        help="the read (earlier -e lines may name values it uses)",
    )
    options(explain)
    common(explain)
    explain.set_defaults(run=_explain)
