"""Tables for people: a header once, then a line a row, in column widths measured from the data and fitted to the terminal.

Drawing is linear in the cells: each cell's text is made and measured once,
the columns' widths are the widest of their cells, and each row is then cut
and padded to those widths. When the table is wider than the terminal, the
columns of free text (a message's body) are cut with an ellipsis down to
their fewest cells, then columns are left out in their stated order until the
rest fits, and a line under the table names them. Ids, numbers, statuses and
dates are never cut. Into a pipe or a file there is no width: every column is
shown whole, a row a line.

>>> import datetime as dt
>>> table = Table(None, [Column("sid"), Column("body", fewest=6), Column("price", drop=1)],
...     [("SM1", "Hello there, how are you?", 7), ("SM22", "Hi", None)])
>>> for line in table.draw(18, unicode=False):
...     print(line)
sid   body
----  ------------
SM1   Hello the...
SM22  Hi
not shown at 18
columns: price;
use --fields or a
wider terminal
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shlex
import shutil
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import IO, Any

from rich.cells import cell_len, chop_cells, set_cell_size

from grammar.node import Record
from procedures import describe, jsonable

__all__ = ["Column", "Drawing", "Table", "cell", "pager", "write"]

GAP = "  "  # between columns


class Column(Record):
    """A column of a table. ``fewest``: a column of free text, cut to fit down to
    this many cells (None: always shown whole, as ids, numbers, statuses and
    dates are); ``wraps``: such a column goes on over more lines instead of
    ending in an ellipsis; ``drop``: columns too wide for the terminal are left
    out lowest first (None: never left out)."""

    heading: str
    fewest: int | None = None
    wraps: bool = False
    drop: int | None = None


def cell(value: Any, zone: dt.tzinfo = dt.UTC) -> str:
    """A value as a cell's text: nothing for a missing value, dates and times in
    ISO 8601 in ``zone`` (``Z`` for UTC), a list's items joined with commas,
    anything else as ``say`` writes it.

    >>> cell(dt.datetime(2026, 12, 2, 8, 8, 38, tzinfo=dt.UTC)), cell(None), cell(["sms", "mms"])
    ('2026-12-02T08:08:38Z', '', 'sms, mms')
    >>> from zoneinfo import ZoneInfo
    >>> cell(dt.datetime(2026, 12, 2, 8, 8, 38, tzinfo=dt.UTC), ZoneInfo("Europe/Paris"))
    '2026-12-02T09:08:38+01:00'
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.isoformat()
        try:
            return value.astimezone(zone).isoformat().replace("+00:00", "Z")
        except OverflowError:  # at the very edge of Python's dates: kept with its own offset
            return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(item, zone) for item in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(jsonable(value))  # a whole number of thousands of digits is not written out
    return describe(value)


def _numeric(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _width(text: str) -> int:
    """The cells ``text`` takes on a terminal (two for a wide character)."""
    return len(text) if text.isascii() else cell_len(text)


# Control characters are never sent to the terminal (a message's body could move the cursor).
_CONTROLS = dict.fromkeys((*range(0x20), 0x7F, *range(0x80, 0xA0)), "\ufffd") | {
    ord("\t"): " ",
    ord("\r"): None,
}


class _Glyphs:
    """The characters drawn around the data: Unicode's, or ASCII's where the output cannot encode them."""

    def __init__(self, unicode: bool) -> None:
        self.ellipsis = "…" if unicode else "..."
        self.rule = "─" if unicode else "-"
        controls = {code: text if unicode or text != "\ufffd" else "?" for code, text in _CONTROLS.items()}
        self.flat = str.maketrans({**controls, ord("\n"): "↵" if unicode else "|"})
        self.line = str.maketrans(controls)


class Drawing:
    """A table fitted to a width: ``height`` lines, drawn as they are iterated."""

    def __init__(self, height: int, lines: Iterator[str]) -> None:
        self.height = height
        self._lines = lines

    def __iter__(self) -> Iterator[str]:
        return self._lines


class Table:
    """Rows of values under columns, each value made a cell's text once (``cell``)."""

    def __init__(
        self,
        title: str | None,
        columns: Sequence[Column],
        rows: Sequence[Sequence[Any]],
        *,
        zone: dt.tzinfo = dt.UTC,
        header: bool = True,
    ) -> None:
        self.title, self.columns, self.header = title, list(columns), header
        self.cells = [[cell(value, zone) for value in row] for row in rows]
        self.right = [
            any(row[index] is not None for row in rows)
            and all(row[index] is None or _numeric(row[index]) for row in rows)
            for index in range(len(self.columns))
        ]

    def draw(self, width: int | None, *, styled: bool = False, unicode: bool = True) -> Drawing:
        """The table in ``width`` cells (None: as wide as its rows); ``styled``: the
        header in bold (for a terminal)."""
        glyphs = _Glyphs(unicode)
        columns = self.columns
        wrapping = [index for index, column in enumerate(columns) if column.wraps]
        texts: list[list[Any]] = [
            [
                [part.translate(glyphs.line) for part in text.split("\n")]
                if column.wraps
                else text
                if text.isprintable()
                else text.translate(glyphs.flat)
                for column, text in zip(columns, row, strict=True)
            ]
            for row in self.cells
        ]
        headings = [column.heading for column in columns]
        natural = [_width(heading) if self.header else 0 for heading in headings]
        for row in texts:
            for index, text in enumerate(row):
                found = max(map(_width, text)) if index in wrapping else _width(text)
                if found > natural[index]:
                    natural[index] = found
        kept, widths = fit(columns, natural, width, headings if self.header else None)
        left_out = [headings[index] for index in range(len(columns)) if index not in kept]
        if wrapping:  # each cell of such a column as its lines, to count the table's height
            for row in texts:
                for index in wrapping:
                    if index in kept:
                        row[index] = _wrapped(row[index], widths[index])
        rows = sum(max([1, *(len(row[index]) for index in wrapping if index in kept)]) for row in texts)
        note = (
            _wrapped(
                [f"not shown at {width} columns: {', '.join(left_out)}; use --fields or a wider terminal"],
                width or 1,
            )
            if left_out
            else []
        )
        height = rows + (self.title is not None) + 2 * self.header + len(note)
        cut = {index for index in kept if widths[index] < natural[index] and index not in wrapping}

        def lines() -> Iterator[str]:
            if self.title is not None:
                yield self.title
            if self.header:
                heading = _line([headings[index] for index in kept], kept, widths, self.right)
                yield f"\x1b[1m{heading}\x1b[0m" if styled else heading
                yield GAP.join(glyphs.rule * widths[index] for index in kept)
            for row in texts:
                for index in cut:
                    row[index] = _cut(row[index], widths[index], glyphs)
                yield from self._row(row, kept, widths, wrapping)
            yield from note

        return Drawing(height, lines())

    def _row(
        self, row: list[Any], kept: list[int], widths: dict[int, int], wrapping: list[int]
    ) -> Iterator[str]:
        if not wrapping:
            yield _line([row[index] for index in kept], kept, widths, self.right)
            return
        depth = max([1, *(len(row[index]) for index in wrapping if index in kept)])
        for number in range(depth):
            parts = []
            for index in kept:
                if index in wrapping:
                    parts.append(row[index][number] if number < len(row[index]) else "")
                else:
                    parts.append(row[index] if number == 0 else "")
            yield _line(parts, kept, widths, self.right)


def fit(
    columns: Sequence[Column],
    natural: Sequence[int],
    width: int | None,
    headings: Sequence[str] | None = None,
) -> tuple[list[int], dict[int, int]]:
    """Which columns are shown, and how wide: all, whole, when they fit in
    ``width`` (None: no limit); else the columns of free text are cut down to
    their fewest cells (never narrower than their heading), then columns are
    left out by their ``drop`` until the rest fits, and the room left is shared
    among the cut ones. Past that, the rest is shown anyway: lines are longer
    than the terminal rather than an id cut.

    >>> fit([Column("a"), Column("b", fewest=4), Column("c", drop=1)], [10, 30, 5], 20)
    ([0, 1], {0: 10, 1: 8})
    """
    everything = list(range(len(columns)))

    def total(kept: list[int], sizes: Sequence[int] | dict[int, int]) -> int:
        return sum(sizes[index] for index in kept) + len(GAP) * (len(kept) - 1)

    if width is None or total(everything, natural) <= width:
        return everything, dict(enumerate(natural))
    least = [
        size
        if column.fewest is None
        else min(size, max(column.fewest, _width(headings[index]) if headings else 0))
        for index, (column, size) in enumerate(zip(columns, natural, strict=True))
    ]
    kept = everything
    for _, index in sorted(
        (column.drop, index) for index, column in enumerate(columns) if column.drop is not None
    ):
        if total(kept, least) <= width:
            break
        kept = [other for other in kept if other != index]
    widths = {index: least[index] for index in kept}
    spare = width - total(kept, least)
    wants = {index: natural[index] - least[index] for index in kept if natural[index] > least[index]}
    wanted = sum(wants.values())
    if spare > 0 and wanted:
        given = {index: min(want, spare * want // wanted) for index, want in wants.items()}
        left = spare - sum(given.values())
        for index, want in wants.items():  # what the rounding left, to the first that can take it
            more = min(left, want - given[index])
            given[index] += more
            left -= more
        for index, more in given.items():
            widths[index] += more
    return kept, widths


def _cut(text: str, width: int, glyphs: _Glyphs) -> str:
    """``text`` in at most ``width`` cells, ending in an ellipsis when it is cut."""
    if _width(text) <= width:
        return text
    room = max(width - _width(glyphs.ellipsis), 0)
    kept = text[:room] if text.isascii() else set_cell_size(text, room).rstrip(" ")
    return kept.rstrip() + glyphs.ellipsis


def _wrapped(parts: list[str], width: int) -> list[str]:
    """The lines of a text (already split at its line breaks) wrapped at spaces to ``width`` cells."""
    lines: list[str] = []
    for part in parts:
        line = ""
        for word in part.split(" "):
            candidate = f"{line} {word}" if line else word
            if _width(candidate) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            pieces = chop_cells(word, width) if _width(word) > width else [word]
            lines.extend(pieces[:-1])
            line = pieces[-1]
        lines.append(line)
    return lines


def _line(parts: list[str], kept: list[int], widths: dict[int, int], right: list[bool]) -> str:
    padded = []
    for text, index in zip(parts, kept, strict=True):
        room = widths[index] - _width(text)
        padded.append(" " * room + text if right[index] else text + " " * room)
    return GAP.join(padded).rstrip()


# ------------------------------------------------------------------ the pager


def pager() -> subprocess.Popen[str] | None:
    """A pager to draw a long table into: ``$PAGER`` (split as a shell would, run
    without one), else ``less`` when there is one (with ``LESS=FRX`` unless
    ``$LESS`` is set: colours kept, the screen not cleared). None when there is
    none, or ``$PAGER`` is empty or ``cat``: the table goes to the terminal."""
    command = os.environ.get("PAGER")
    if command is None:
        command = "less" if shutil.which("less") else ""
    words = shlex.split(command)
    if not words or words == ["cat"]:
        return None
    environment = {**os.environ, "LESS": os.environ.get("LESS", "FRX")}
    try:
        return subprocess.Popen(  # noqa: S603 - the person's own pager
            words, stdin=subprocess.PIPE, env=environment, text=True, encoding="utf-8", errors="replace"
        )
    except OSError:
        return None


def write(lines: Iterable[str], stream: IO[str], into: subprocess.Popen[str] | None = None) -> None:
    """Write the lines to ``stream``, or into the pager ``into`` as they are drawn,
    then wait for the pager to be quit (quitting before the end is no error)."""
    if into is None:
        stream.writelines(line + "\n" for line in lines)
        return
    assert into.stdin is not None
    stream.flush()
    try:
        with contextlib.suppress(BrokenPipeError):  # quit before the end of the table
            for line in lines:
                into.stdin.write(line + "\n")
    finally:
        with contextlib.suppress(OSError):
            into.stdin.close()
        while True:
            try:
                into.wait()
                break
            except KeyboardInterrupt:  # Ctrl-C is the pager's to handle
                continue
