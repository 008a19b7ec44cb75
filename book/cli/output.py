"""What the command prints: results on stdout (a table or JSON), notes and errors on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from grammar import BookError

__all__ = ["Output", "UsageError", "plain"]


def plain(docstring: str | None) -> str:
    """A module's docstring as help text: without the markup of ``literals``."""
    return (docstring or "").replace("``", "")


class UsageError(BookError):
    """The command was not given what it needs (a script, a valid option)."""

    kind = "usage"


class Output:
    """Prints in the chosen format: ``table`` (rich), ``json``, or ``jsonl`` (the same
    data, a JSON document a line; a run's list streamed an item a line as it is read)."""

    def __init__(self, format: str) -> None:
        self.format = format
        self.failed: dict[str, Any] | None = None
        """The error of a failed run as data, with what the run did (``outcomes``)."""

    @property
    def machine(self) -> bool:
        """Whether the output is for programs (JSON or JSON lines), not people."""
        return self.format in ("json", "jsonl")

    def json(self, data: Any) -> None:
        indent = None if self.format == "jsonl" else 2
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=indent) + "\n")

    def line(self, data: Any) -> None:
        """One JSON line, written at once (a streamed item)."""
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    def table(
        self, title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]], header: bool = True
    ) -> None:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        # Cells are plain text: a message body is never read as markup.
        table = Table(title=Text(title) if title else None, show_lines=False, show_header=header)
        for column in columns:
            last = column == columns[-1]
            table.add_column(
                column,
                overflow="ellipsis" if last else "fold",
                no_wrap=not last,
                max_width=60 if last else None,
            )
        for row in rows:
            table.add_row(*(Text("" if cell is None else str(cell)) for cell in row))
        # On a terminal, its width; into a file or a pipe, wide enough not to fold sids.
        console = Console(soft_wrap=False) if sys.stdout.isatty() else Console(width=200, soft_wrap=False)
        console.print(table)

    def pairs(self, title: str, pairs: Sequence[tuple[str, Any]]) -> None:
        """A record: a two-column table, or a JSON object."""
        if self.machine:
            self.json(dict(pairs))
        else:
            rows = [
                (name, ", ".join(value) if isinstance(value, (list, tuple)) else value)
                for name, value in pairs
            ]
            self.table(title, ("", ""), rows, header=False)

    def text(self, text: str) -> None:
        sys.stdout.write(text + "\n")

    def said(self, line: str) -> None:
        """A line a script said, printed as it is said."""
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    def result(self, value: Any, data: dict[str, Any], said: Sequence[str] = (), shown: bool = False) -> None:
        """What a run gave: ``{"result": ..., "said": [...]}`` as JSON, or for people a
        table of messages, a line a value; nothing more when ``shown`` (the run ended
        by saying or looping, and printed what it did as it went)."""
        if self.machine:
            self.json(data)
            return
        if shown or (said and value == said[-1]):
            return
        if value == []:
            self.text("nothing found")
            return
        from book.resources import RESOURCES

        resource = next((r for r in RESOURCES if isinstance(value, r.concept)), None)
        if resource is not None:
            value = [value]
        items = value if isinstance(value, list) else []
        resource = next(
            (r for r in RESOURCES if items and all(isinstance(i, r.concept) for i in items)), None
        )
        if resource is not None:
            rows = [resource.row(item) for item in items]
            self.table(resource.counted(len(rows)), [heading for heading, _ in resource.columns], rows)
        elif items and all(isinstance(item, dict) and item.keys() == items[0].keys() for item in items):
            columns = [str(key).replace("_", " ") for key in items[0]]  # counts by a field: a table
            self.table(None, columns, [list(item.values()) for item in items])
        elif isinstance(value, list):
            from procedures import describe

            for item in value:
                self.text(describe(item))
        elif value is not None:
            from procedures import describe

            self.text(describe(value))

    def note(self, text: str) -> None:
        """A line for the person at the terminal (stderr), never mixed with results."""
        sys.stderr.write(text + "\n")

    def error(self, error: BookError) -> None:
        data = self.failed if self.failed is not None else error.to_dict()
        if self.machine:
            self.json({"error": data})
        elif data.get("outcomes"):
            self.outcomes(data["outcomes"])
        sys.stderr.write(f"error: {error}\n")

    def outcomes(self, report: dict[str, Any]) -> None:
        """What a failed or interrupted run did, item by item: done (with what it
        gave), refused (with the error's code), unknown (with the English that finds
        it), and the loop items that never started."""
        rows = []
        for act in report["acts"]:
            error = act.get("error") or {}
            code = error.get("code")
            problem = f"{code}: " if code is not None else ""
            rows.append(
                (
                    act.get("item", ""),
                    act["verb"],
                    act["target"],
                    act["state"],
                    act.get("result") or "",
                    act.get("status") or "",
                    (problem + error.get("message", ""))[:120] if error else "",
                )
            )
        if rows:
            counts = ", ".join(f"{report[state]:,} {state}" for state in ("done", "refused", "unknown"))
            self.table(
                f"What was done ({counts})",
                ("item", "verb", "target", "outcome", "result", "status", "error"),
                rows,
            )
        for loop in report["not started"]:
            self.text(f"not started: items {loop['items']} of 'process each {loop['loop']}'")
        finding = list(
            dict.fromkeys(
                act["find"] for act in report["acts"] if act["state"] == "unknown" and act.get("find")
            )
        )
        if finding:
            self.text("In doubt: look for these before doing them again:")
            for english in finding:
                self.text(f"  {english}")
