"""``book explain``: how a read would be answered: what Twilio is asked, what is checked here."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from book.cli.output import Output, UsageError, plain
from book.cli.run import english, options, session_for
from grammar import Assignment, Call, Use, parse_script

__all__ = ["add"]


def _explain(arguments: argparse.Namespace, output: Output) -> int:
    text = english(
        arguments, "book explain -e 'read some SMS messages whose sender number is \"+15005550006\"'"
    )
    script = parse_script(text)
    if not script.statements:
        raise UsageError("nothing to explain: give a read, such as -e 'read some SMS messages whose ...'")
    *setup, last = script.statements
    session, stop = session_for(arguments, output, lambda line: None)
    try:
        for statement in setup:
            if not isinstance(statement, (Assignment, Use)):
                raise UsageError(
                    "explain runs nothing: only named values may come before the read", span=statement.span
                )
        if setup:
            session.run(str(type(script)(tuple(setup))))
        if not isinstance(last, Call):
            raise UsageError(
                "explain shows the plan of a read, such as 'read some SMS messages whose ...'", span=last.span
            )
        entry = session.registry.resolve(last)
        if entry.prepare is None:
            raise UsageError(
                f"'{entry.english}' is not planned: it takes no filter for Twilio to apply",
                span=last.span,
                hint="explain shows how a filter is answered: 'read some SMS messages whose ...', "
                "'count the SMS messages whose ...', 'read some phone numbers whose ...'.",
            )
        result = session.runner().prepare(entry, last).plan  # as running the call would prepare it
    except Exception as error:
        from grammar import BookError

        if isinstance(error, BookError):
            raise error.locate(text) from None
        raise
    finally:
        stop()
        session.close()
    if output.format == "json":
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
