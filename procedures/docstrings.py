"""Reading a procedure's docstring: its description, Input Concepts, Output Concepts and Examples.

The layout follows the Kognitos book convention::

    Send an SMS message.

    Input Concepts:
        the sender number: The number it is sent from.
        the recipient number: The number it is sent to.

    Output Concepts:
        the answer: The sid of the new message.

    Examples:
        send an SMS message where
          the sender number is "+15005550006"
          the recipient number is "+14155550100"

        read the first 5 SMS messages

Concept lines are ``the NAME: description`` (a description may continue on
more indented lines); examples are English scripts separated by blank lines.

>>> doc = read_docstring('''Say hello.
...
... Input Concepts:
...     the name: Who to greet,
...         politely.
...
... Examples:
...     greet a person where
...       the name is "Ada"
... ''')
>>> doc.description, doc.inputs, doc.examples
('Say hello.', {'name': 'Who to greet, politely.'}, ('greet a person where\\n  the name is "Ada"',))
"""

from __future__ import annotations

import inspect
import re
import textwrap

from grammar.node import Record

__all__ = ["Docstring", "read_docstring"]

_SECTIONS = {
    "input concepts": "inputs",
    "output concepts": "outputs",
    "examples": "examples",
    "example": "examples",
}
_CONCEPT = re.compile(r"the\s+(?P<name>[^:]+?)\s*:\s*(?P<description>.*)", re.IGNORECASE)


class Docstring(Record):
    """What a docstring says: a description, concepts by name and example scripts."""

    description: str
    inputs: dict[str, str]
    outputs: dict[str, str]
    examples: tuple[str, ...]


def _concepts(lines: list[str]) -> dict[str, str]:
    concepts: dict[str, str] = {}
    current: str | None = None
    for line in textwrap.dedent("\n".join(lines)).splitlines():
        match = _CONCEPT.fullmatch(line.strip()) if line and not line[0].isspace() else None
        if match:
            current = " ".join(match["name"].lower().split())
            concepts[current] = match["description"].strip()
        elif current is not None and line.strip():
            concepts[current] = (concepts[current] + " " + line.strip()).strip()
    return concepts


def _examples(lines: list[str]) -> tuple[str, ...]:
    text = textwrap.dedent("\n".join(lines))
    return tuple(block.strip("\n") for block in re.split(r"\n\s*\n", text) if block.strip())


def read_docstring(doc: str | None) -> Docstring:
    """The parts of a docstring (missing sections are empty)."""
    sections: dict[str, list[str]] = {"description": [], "inputs": [], "outputs": [], "examples": []}
    current = "description"
    for line in inspect.cleandoc(doc or "").splitlines():
        header = line.strip().rstrip(":").lower()
        if line.strip().endswith(":") and header in _SECTIONS and not line[:1].isspace():
            current = _SECTIONS[header]
            continue
        sections[current].append(line)
    description = " ".join(" ".join(sections["description"]).split())
    return Docstring(
        description,
        _concepts(sections["inputs"]),
        _concepts(sections["outputs"]),
        _examples(sections["examples"]),
    )
