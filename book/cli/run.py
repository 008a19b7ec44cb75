"""``book run``: run English (a file, or ``-e`` lines) against Twilio or the sandbox."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from book.cli.output import Output, UsageError, plain

if TYPE_CHECKING:  # the book, the grammar and httpx load when a command runs, not for --help
    from book.connection import Progress

__all__ = ["add", "english", "options", "send_limit", "session_for"]


def english(arguments: argparse.Namespace, example: str = "book run examples/send.english") -> str:
    """The English to run: the ``-e`` lines, as one script, or the file's text.
    ``example``: a command to show when neither is given."""
    if arguments.expression and arguments.file is not None:
        raise UsageError(
            f"give a script file or English with -e, not both ({arguments.file} and -e)",
            hint="To run both, add the -e lines to the file.",
        )
    if arguments.expression:
        return "\n".join(arguments.expression)
    if arguments.file is None:
        raise UsageError("give a script file, or English with -e", hint=example)
    try:
        text = (
            sys.stdin.read()
            if arguments.file == "-"
            else Path(arguments.file).read_text(encoding="utf-8-sig")
        )
    except OSError as exc:
        raise UsageError(f"cannot read {arguments.file}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{arguments.file} is not UTF-8 text ({exc.reason} at byte {exc.start})",
            hint="Save the script as UTF-8.",
        ) from exc
    return text.removeprefix("\ufeff")


def _progress(output: Output) -> tuple[Progress, Callable[[], None]]:
    """A progress display on stderr when it is a terminal; nothing otherwise."""
    from book.connection import Progress

    if not sys.stderr.isatty():
        return Progress(), lambda: None
    from rich.console import Console
    from rich.progress import Progress as Bar
    from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

    bar = Bar(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    tasks: dict[str, Any] = {}

    def show(what: str, amount: int) -> None:
        if what not in tasks:
            if not tasks:
                bar.start()
            tasks[what] = bar.add_task(what, total=None)
        bar.advance(tasks[what], amount)
        done = int(bar.tasks[tasks[what]].completed)
        bar.update(tasks[what], description=f"{what}: {done:,} message{'s' if done != 1 else ''}")

    return Progress(show), bar.stop


def session_for(
    arguments: argparse.Namespace, output: Output, say: Callable[[str], None]
) -> tuple[Any, Callable[[], None]]:
    """A session of the book's vocabulary on the chosen connection."""
    from book.connection import Connection, Settings

    settings = Settings(
        dry_run=getattr(arguments, "dry_run", False),
        yes=getattr(arguments, "yes", False),
        creates=getattr(arguments, "send_limit", 100),
        scan_budget=None if getattr(arguments, "scan_budget", 0) == 0 else arguments.scan_budget,
        concurrency=arguments.concurrency,
    )
    if getattr(arguments, "sandbox_given", False) and not Path(arguments.sandbox).exists():
        raise UsageError(
            f"there is no sandbox at {arguments.sandbox}",
            hint="Check the path. 'book sandbox seed --sandbox PATH' (or 'info') makes a new one there; "
            "without --sandbox the default one is used.",
        )
    from book.session import open_session  # the book's procedures, imported once a session is made

    progress, stop = _progress(output)
    try:
        session = open_session(
            sandbox=arguments.sandbox,
            settings=settings,
            timezone=arguments.timezone,
            say=say,
            progress=progress,
        )
    except ValueError as exc:
        stop()
        raise UsageError(str(exc)) from exc
    output.note(f"using {session.resources[Connection].describe()}")
    return session, stop


def _run(arguments: argparse.Namespace, output: Output) -> int:
    from grammar import BookError, Each, Expect, Given, Say, parse_script
    from procedures.runtime import answers

    text = english(arguments)
    script = parse_script(text)
    _first_line(arguments, text, output)
    test = any(isinstance(statement, Given) for statement in script.statements)
    if test:  # its checks are of the world its set-up makes, which book run does not make
        script = script.replace(
            statements=tuple(
                statement for statement in script.statements if not isinstance(statement, Expect)
            )
        )
    printing = not output.machine
    session, stop = session_for(arguments, output, output.said if printing else (lambda line: None))
    if output.format == "jsonl" and session.streams(script):
        return _stream(session, text, script, output, stop)
    try:
        result = session.run(text, script)  # parsed once, above
    except BookError as error:
        stop()
        output.failed = session.error_data(error)  # what went out is shown with the error
        raise
    finally:
        session.close()
    stop()
    if test:
        output.note(
            "a test's set-up ('given ...') and checks ('expect ...'): book test runs them; book run skips them"
        )
    if session.handlers:  # kept, not run: events come to book listen
        output.note(
            f"the script's 'when' blocks ({len(session.handlers)}) run as events happen: "
            f"book listen {arguments.file or 'FILE'} (--poll without a public URL)"
        )
    # For people, a script that ends by saying, or by a loop that said something,
    # has shown what it did; a silent loop's answers are printed.
    last = next((statement for statement in reversed(script.statements) if answers(statement)), None)
    shown = isinstance(last, Say) or (isinstance(last, Each) and result.lastly > 0)
    if isinstance(last, Each) and not shown and not output.machine and session.journal.acts:
        output.outcomes(session.journal.report())  # a silent loop that did things: each one, as it went
        return 0
    output.result(result.value, result.to_dict(), said=result.said, shown=shown)
    return 0


def _first_line(arguments: argparse.Namespace, text: str, output: Output) -> None:
    """A script's first line ``# run with: --dry-run`` (book/testing.py) makes the run
    a dry run, unless the command line says ``--yes``. What else it asks, ``--yes`` or
    a ``--send-limit``, is a permission: the person's to give on the command line,
    so it is only noted."""
    if not text.split("\n", 1)[0].strip().startswith("# run with:"):
        return  # most scripts: the test runner's module is not loaded for them
    from book.connection import Settings
    from book.testing import SetupError, run_with

    try:
        asked, _ = run_with(text)
    except SetupError as error:
        raise UsageError(
            f"line 1: {error}", hint="Write the script's first line as book test takes it."
        ) from None
    if asked.dry_run and not arguments.dry_run:
        if arguments.yes:
            output.note("the script's first line asks for a dry run; --yes runs it for real")
        else:
            arguments.dry_run = True
            output.note("a dry run, as the script's first line asks: nothing is changed (--yes to do it)")
    if asked.yes and not arguments.yes:
        output.note("the script's first line asks for --yes: book run takes that only from its command line")
    if asked.creates != Settings().creates and asked.creates != arguments.send_limit:
        output.note(
            f"the script's first line asks for --send-limit {asked.creates}: "
            "book run takes that only from its command line"
        )


def _stream(session: Any, text: str, script: Any, output: Output, stop: Callable[[], None]) -> int:
    """``--format jsonl`` of a script that ends by reading a list: each item a JSON
    line, written as it is read (a page at a time is held, whatever the list's size)."""
    from grammar import BookError
    from procedures import jsonable

    try:
        for item in session.stream(text, script):
            output.line(jsonable(item))
    except BookError as error:
        output.failed = session.error_data(error)
        raise
    finally:
        stop()
        session.close()
    return 0


def counting(least: int, most: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from ``least`` (to ``most``)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < least or (most is not None and value > most):
            wanted = f"{least} or more" if most is None else f"{least} to {most}"
            raise argparse.ArgumentTypeError(
                f"{value} is less than {least}: give {wanted}"
                if value < least
                else f"{value} is more than {most}: give {wanted}"
            )
        return value

    return parse


def zone(text: str) -> str:
    """An IANA time zone name (argparse refuses any other, with exit code 2)."""
    from procedures import timezone_named

    try:
        timezone_named(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return text


def send_limit(command: argparse.ArgumentParser, help: str) -> None:
    """--send-limit: how many sends a run may make without confirmation."""
    command.add_argument("--send-limit", type=counting(0), default=100, metavar="N", help=help)


def options(command: argparse.ArgumentParser) -> None:
    """The options every command that runs English takes."""
    command.add_argument(
        "--timezone",
        default=os.environ.get("SMS_BOOK_TIMEZONE", "UTC"),
        type=zone,
        metavar="ZONE",
        help="the book's time zone: dates are whole days there (default UTC)",
    )
    command.add_argument(
        "--concurrency", type=counting(1), default=20, help="requests in flight at once (default 20)"
    )
    command.add_argument(
        "--scan-budget",
        type=counting(0),
        default=20_000,
        metavar="N",
        help="messages a read may fetch only to discard before it stops (0: no limit; default 20000)",
    )


def add(commands: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    run = commands.add_parser("run", help="run an English script", description=plain(__doc__))
    run.add_argument("file", nargs="?", help="a script file ('-' reads stdin)")
    run.add_argument(
        "-e",
        dest="expression",
        action="append",
        metavar="ENGLISH",
        help="English to run; several -e run as one script",
    )
    run.add_argument(
        "--dry-run", action="store_true", help="send and change nothing; show what would be done"
    )
    run.add_argument(
        "--yes",
        action="store_true",
        help="allow changes to more than one existing message, and more sends than --send-limit",
    )
    send_limit(run, "sends a script may make without --yes (default 100)")
    options(run)
    common(run)
    run.set_defaults(run=_run)
