"""The command line's parser, its dispatch, and how errors are printed and exit."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from book.cli import agents, explain, listen, request, run, testing, vocabulary
from book.cli import sandbox as sandbox_commands
from book.cli.output import Output, UsageError
from book.places import SANDBOX_VARIABLE, default_sandbox

if TYPE_CHECKING:
    from grammar import BookError

__all__ = ["main", "parser"]


def _common(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--sandbox",
        type=Path,
        default=None,
        metavar="PATH",
        help=f"the sandbox's state file (default: ${SANDBOX_VARIABLE}, else a file in your state directory)",
    )
    command.add_argument(
        "--format",
        choices=("table", "json", "jsonl"),
        default="table",
        help="how to print results: for people, as JSON, or as JSON lines (a run's list streamed, an item a line)",
    )


def parser() -> argparse.ArgumentParser:
    """The ``book`` command's parser."""
    book = argparse.ArgumentParser(
        prog="book",
        description="Twilio SMS in plain English, on Twilio or on a local sandbox.",
        epilog="Exit codes: 0 success, 2 a language or usage error, 1 anything else.",
    )
    commands = book.add_subparsers(dest="command", metavar="COMMAND", required=True)
    run.add(commands, _common)
    explain.add(commands, _common)
    vocabulary.add(commands, _common)
    request.add(commands, _common)
    listen.add(commands, _common)
    agents.add(commands, _common)
    testing.add(commands, _common)
    sandbox_commands.add(commands, _common)
    return book


def _usage_errors() -> tuple[type[BookError], ...]:
    """Errors in what the user wrote or asked for: exit 2."""
    from book.procedures import ConfirmationError
    from grammar import EnglishSyntaxError
    from procedures import ExplainError, ResolutionError, ValueTypeError

    return (EnglishSyntaxError, ResolutionError, ValueTypeError, UsageError, ConfirmationError, ExplainError)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; its exit code."""
    for stream in (sys.stdout, sys.stderr):  # text the English produced may hold what no encoding can print
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    arguments = parser().parse_args(argv)
    output = Output(arguments.format if "format" in arguments else "table")
    if "sandbox" in arguments:
        arguments.sandbox_given = arguments.sandbox is not None  # --sandbox: a file that must exist, to run
        if arguments.sandbox is None:
            arguments.sandbox = default_sandbox()
    from grammar import BookError  # the command's modules load the rest as they run
    from procedures.effects import InterruptedRunError

    try:
        code: int = arguments.run(arguments, output)
    except BookError as error:
        output.error(error)
        if isinstance(error, InterruptedRunError):
            return 130
        return 2 if isinstance(error, _usage_errors()) else 1
    except KeyboardInterrupt:
        output.note("interrupted")
        return 130
    return code


def entry() -> None:
    """The console script."""
    sys.exit(main())
