"""What the command prints: results on stdout (a table or JSON), notes and errors on stderr."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from grammar import BookError

if TYPE_CHECKING:  # drawn when a table is printed, not for --help
    from book.cli.tables import Column

__all__ = ["Output", "UsageError", "plain"]


def _picked(item: dict[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """An item's data with only ``fields``, in their order."""
    missing = [name for name in fields if name not in item]
    if missing:
        raise UsageError(
            f"the items have no field {missing[0]!r}; theirs are: {', '.join(item)}",
            hint="Give --fields some of those, separated by commas.",
        )
    return {name: item[name] for name in fields}


def plain(docstring: str | None) -> str:
    """A module's docstring as help text: without the markup of ``literals``."""
    return (docstring or "").replace("``", "")


class UsageError(BookError):
    """The command was not given what it needs (a script, a valid option)."""

    kind = "usage"


class Output:
    """Prints in the chosen format: ``table`` (for people, book/cli/tables.py),
    ``json``, ``jsonl`` (the same data, a JSON document a line; a run's list
    streamed an item a line as it is read) or ``csv`` (a table as CSV: a header,
    then a row a line). ``fields``: the fields of listed items to show, in that
    order (``--fields``); ``timezone``: where the dates of tables and CSV are
    shown (JSON's are in UTC)."""

    def __init__(self, format: str, *, fields: Sequence[str] = (), timezone: str = "UTC") -> None:
        self.format = format
        self.fields = tuple(fields)
        self.timezone = timezone
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
        """One JSON line, written at once (a streamed item, with only ``fields`` when given)."""
        if self.fields and isinstance(data, dict):
            data = _picked(data, self.fields)
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    def table(
        self,
        title: str | None,
        columns: Sequence[str | Column],
        rows: Sequence[Sequence[Any]],
        header: bool = True,
    ) -> None:
        """Rows under columns: drawn for people (a column given by its heading alone
        is shown whole, but the last, which wraps), or CSV under the headings."""
        from book.cli.tables import Column, Table

        given = [
            column
            if isinstance(column, Column)
            else Column(column, fewest=16, wraps=True)
            if index == len(columns) - 1
            else Column(column)
            for index, column in enumerate(columns)
        ]
        if self.format == "csv":
            self._csv([column.heading for column in given] if header else None, rows)
            return
        self._draw(Table(title, given, rows, zone=self._zone(), header=header))

    def _draw(self, table: Any) -> None:
        """A table to the terminal, in its width and through a pager when it is
        longer than the terminal; into a pipe or a file, as wide as its rows."""
        import shutil

        from book.cli.tables import pager, write

        terminal = sys.stdout.isatty()
        size = shutil.get_terminal_size() if terminal else None
        styled = terminal and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
        encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
        drawing = table.draw(
            size.columns if size else None, styled=styled, unicode=encoding.startswith("utf")
        )
        paged = pager() if size is not None and drawing.height >= size.lines else None
        write(drawing, sys.stdout, paged)

    def _csv(self, header: Sequence[str] | None, rows: Iterable[Sequence[Any]]) -> None:
        """CSV as the ``csv`` module writes and reads it: cells as in tables, whole."""
        import csv

        from book.cli.tables import cell

        zone = self._zone()
        writer = csv.writer(sys.stdout, lineterminator="\n")
        if header is not None:
            writer.writerow(header)
        writer.writerows([cell(value, zone) for value in row] for row in rows)

    def _zone(self) -> dt.tzinfo:
        from procedures import timezone_named

        return timezone_named(self.timezone)

    def pairs(self, title: str, pairs: Sequence[tuple[str, Any]]) -> None:
        """A record: a two-column table (CSV: ``name,value``), or a JSON object."""
        if self.machine:
            self.json(dict(pairs))
        elif self.format == "csv":
            self._csv(("name", "value"), pairs)
        else:
            self.table(title, ("", ""), pairs, header=False)

    def text(self, text: str) -> None:
        sys.stdout.write(text + "\n")

    def said(self, line: str) -> None:
        """A line a script said, printed as it is said (with CSV, on stderr: stdout
        is the CSV)."""
        stream = sys.stderr if self.format == "csv" else sys.stdout
        stream.write(line + "\n")
        stream.flush()

    def result(self, value: Any, data: dict[str, Any], said: Sequence[str] = (), shown: bool = False) -> None:
        """What a run gave: ``{"result": ..., "said": [...]}`` as JSON, or for people a
        table of messages, a line a value; nothing more when ``shown`` (the run ended
        by saying or looping, and printed what it did as it went). CSV: a list of
        items a row each under their field names, counts by a field under theirs,
        any other value under ``result``, a value a row; nothing for nothing."""
        from book.resources import RESOURCES

        one = next((r for r in RESOURCES if isinstance(value, r.concept)), None)
        items = [value] if one is not None else value if isinstance(value, list) else []
        resource = next(
            (r for r in RESOURCES if items and all(isinstance(i, r.concept) for i in items)), None
        )
        if self.machine:
            if resource is not None and self.fields:
                self._fields_of(resource)  # each given field is the items', or a usage error
                picked = [
                    _picked(found, self.fields) for found in ([data["result"]] if one else data["result"])
                ]
                data = {**data, "result": picked[0] if one else picked}
            self.json(data)
            return
        if self.format != "csv" and (shown or (said and value == said[-1])):
            return
        if resource is not None:
            self._items(resource, items)
            return
        if self.fields and value not in (None, []):
            self.note("--fields chooses the fields of listed items (SMS messages, phone numbers, media)")
        if value == [] or value is None:
            if self.format != "csv":
                self.text("nothing found" if value == [] else "nothing")
        elif items and all(isinstance(item, dict) and item.keys() == items[0].keys() for item in items):
            columns = [str(key) if self.format == "csv" else str(key).replace("_", " ") for key in items[0]]
            self.table(None, columns, [list(item.values()) for item in items])  # counts by a field
        elif self.format == "csv":
            self._csv(("result",), [(item,) for item in (value if isinstance(value, list) else [value])])
        else:
            from procedures import describe

            for item in value if isinstance(value, list) else [value]:
                self.text(describe(item))

    def _items(self, resource: Any, items: Sequence[Any]) -> None:
        """A table of a resource's items: its columns, or the ``fields`` given (which
        are all shown, however wide); CSV: every field, or those given, under the
        concept's field names."""
        from book.cli.tables import Column, Table

        fields = self._fields_of(resource)
        rows = [[getattr(item, name) for name in fields] for item in items]
        if self.format == "csv":
            self._csv(fields, rows)
            return
        headings = {name: heading for heading, name in resource.columns}
        columns = [
            Column(
                headings.get(name, name.replace("_", " ")),
                fewest=resource.shorten.get(name),
                drop=resource.drop.index(name) if name in resource.drop and not self.fields else None,
            )
            for name in fields
        ]
        self._draw(Table(resource.counted(len(rows)), columns, rows, zone=self._zone()))

    def _fields_of(self, resource: Any) -> list[str]:
        """The fields shown of a resource's items: those given, each checked, else
        its table's columns (CSV: all its fields)."""
        if not self.fields:
            return list(resource.fields) if self.format == "csv" else [name for _, name in resource.columns]
        unknown = [name for name in self.fields if name not in resource.fields]
        if unknown:
            raise UsageError(
                f"{resource.title[1]} have no field {unknown[0]!r}; their fields are: {', '.join(resource.fields)}",
                hint="Give --fields some of those, separated by commas.",
            )
        return list(self.fields)

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
        it), and the loop items that never started. With CSV, the table is the CSV
        and the lines after it go to stderr."""
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
            self._aside(f"not started: items {loop['items']} of 'process each {loop['loop']}'")
        finding = list(
            dict.fromkeys(
                act["find"] for act in report["acts"] if act["state"] == "unknown" and act.get("find")
            )
        )
        if finding:
            self._aside("In doubt: look for these before doing them again:")
            for english in finding:
                self._aside(f"  {english}")

    def _aside(self, text: str) -> None:
        """A line about a table (stderr with CSV, whose stdout is the CSV)."""
        if self.format == "csv":
            self.note(text)
        else:
            self.text(text)
