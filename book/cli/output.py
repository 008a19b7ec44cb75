"""What the command prints: results on stdout (a table or JSON), notes and errors on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from grammar import BookError

__all__ = ["Output"]


class Output:
    """Prints in the chosen format: ``table`` (rich) or ``json``."""

    def __init__(self, format: str) -> None:
        self.format = format

    def json(self, data: Any) -> None:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")

    def table(
        self, title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]], header: bool = True
    ) -> None:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, show_lines=False, show_header=header)
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*("" if cell is None else str(cell) for cell in row))
        Console(soft_wrap=False).print(table)

    def pairs(self, title: str, pairs: Sequence[tuple[str, Any]]) -> None:
        """A record: a two-column table, or a JSON object."""
        if self.format == "json":
            self.json(dict(pairs))
        else:
            rows = [
                (name, ", ".join(value) if isinstance(value, (list, tuple)) else value)
                for name, value in pairs
            ]
            self.table(title, ("", ""), rows, header=False)

    def note(self, text: str) -> None:
        """A line for the person at the terminal (stderr), never mixed with results."""
        sys.stderr.write(text + "\n")

    def error(self, error: BookError) -> None:
        if self.format == "json":
            sys.stdout.write(json.dumps({"error": error.to_dict()}, ensure_ascii=False, indent=2) + "\n")
        sys.stderr.write(f"error: {error}\n")
