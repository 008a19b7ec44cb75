"""The command line's parser, its dispatch, and how errors are printed and exit."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from book.cli import agents, explain, listen, request, run, testing, vocabulary
from book.cli import sandbox as sandbox_commands
from book.cli.output import Output, UsageError
from book.places import SANDBOX_VARIABLE, default_sandbox

if TYPE_CHECKING:
    from grammar import BookError

__all__ = ["main", "parser"]

PACKAGE = "sms-book"
SHELLS = ("bash", "zsh", "fish")


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
        choices=("table", "json", "jsonl", "csv"),
        default="table",
        help="how to print results: for people, as JSON, as JSON lines (a run's list streamed, an item a "
        "line), or as CSV (a header of field names, a row an item)",
    )


def _fields(text: str) -> tuple[str, ...]:
    """--fields: field names of the book's items, each checked (argparse refuses
    an unknown one, with exit code 2, listing the known ones)."""
    from book.resources import RESOURCES

    names = tuple(name.strip().replace(" ", "_") for name in text.split(",") if name.strip())
    known = list(dict.fromkeys(name for resource in RESOURCES for name in resource.fields))
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        import difflib

        close = difflib.get_close_matches(unknown[0], known, n=1) if unknown else []
        listed = "; ".join(f"{resource.title[1]}: {', '.join(resource.fields)}" for resource in RESOURCES)
        what = f"no field is named {unknown[0]!r}" if unknown else "give field names separated by commas"
        meant = f" (did you mean {close[0]!r}?)" if close else ""
        raise argparse.ArgumentTypeError(f"{what}{meant}; the fields of {listed}")
    return names


class _Version(argparse.Action):
    """--version: the installed package's version, looked up only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version(PACKAGE)
        except PackageNotFoundError:
            found = f"unknown ({PACKAGE} is not installed)"
        sys.stdout.write(f"book {found}\n")
        parser.exit()


def _completion(arguments: argparse.Namespace, output: Output) -> int:
    """A completion script for the shell (shtab writes it from this parser)."""
    import shtab

    book = parser()
    paths = [  # options and arguments that name files complete with files
        action
        for command in [book, *_commands(book)]
        for action in command._actions
        if action.dest in ("file", "paths", "sandbox", "store", "junit") or action.type is Path
    ]
    for action in paths:
        action.complete = shtab.FILE  # type: ignore[attr-defined]
    output.text(shtab.complete(book, shell=arguments.shell).rstrip("\n"))
    return 0


def _commands(book: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every command and sub-command of the parser."""
    found = []
    for action in book._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in dict.fromkeys(action.choices.values()):
                found += [command, *_commands(command)]
    return found


def parser() -> argparse.ArgumentParser:
    """The ``book`` command's parser."""
    book = argparse.ArgumentParser(
        prog="book",
        description="Twilio SMS in plain English, on Twilio or on a local sandbox.",
        epilog="Exit codes: 0 success, 2 a language or usage error, 1 anything else.",
    )
    book.add_argument("--version", action=_Version, help="print the book's version and exit")
    commands = book.add_subparsers(dest="command", metavar="COMMAND", required=True)
    run.add(commands, _common)
    commands.choices["run"].add_argument(
        "--fields",
        type=_fields,
        default=(),
        metavar="NAME,...",
        help="the fields of listed items to show, in this order, by the names JSON gives them "
        "(such as sid,sender_number,price,error_code)",
    )
    explain.add(commands, _common)
    vocabulary.add(commands, _common)
    request.add(commands, _common)
    listen.add(commands, _common)
    agents.add(commands, _common)
    testing.add(commands, _common)
    sandbox_commands.add(commands, _common)
    completion = commands.add_parser(
        "completion",
        help="print a completion script for bash, zsh or fish",
        description="Print a script that completes the book's commands and options in the shell. "
        "bash: book completion bash > ~/.local/share/bash-completion/completions/book; "
        "zsh: book completion zsh > a directory of $fpath, as _book; "
        "fish: book completion fish > ~/.config/fish/completions/book.fish",
    )
    completion.add_argument("shell", choices=SHELLS, help="the shell")
    completion.set_defaults(run=_completion)
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
    output = Output(
        arguments.format if "format" in arguments else "table",
        fields=getattr(arguments, "fields", ()),
        timezone=getattr(arguments, "timezone", "UTC"),
    )
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
    """The console script. Output cut short by its reader (``book ... | head``)
    ends the command quietly, as it does other programs."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to write at exit
        code = 141  # as a shell reports a program ended by SIGPIPE
    sys.exit(code)
