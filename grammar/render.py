"""Canonical English for every node: one way to write each meaning.

Synonyms collapse (``equals`` and ``is equal to`` print as ``is``), keywords
print in lower case, parentheses appear only where precedence needs them and
blocks are indented by two spaces. What this prints parses back to an equal tree.

>>> from grammar import parse_script
>>> print(parse_script('Read some SMS messages whose Status equals "sent" AND (price is more than 1)'))
read some SMS messages whose Status is "sent" and whose price is greater than 1
"""

from __future__ import annotations

import datetime as dt
import re
from functools import singledispatch

from grammar.templates import escape
from grammar.tree import (
    WEEKDAYS,
    And,
    Argument,
    Assignment,
    Call,
    Comparison,
    Count,
    Date,
    DateTime,
    Each,
    EventName,
    Expect,
    Filter,
    Given,
    Handler,
    If,
    Node,
    Not,
    NounPhrase,
    Number,
    Op,
    Or,
    Order,
    Period,
    ProcedureName,
    Reference,
    Relative,
    Reply,
    Say,
    Script,
    Statement,
    Target,
    Template,
    Text,
    Use,
    Value,
    ValueList,
    Wait,
    When,
    Which,
)

__all__ = ["render"]

INDENT = "  "

# Operator words, positive and negated.
_WORDS: dict[Op, tuple[str, str]] = {
    Op.IS: ("is", "is not"),
    Op.ONE_OF: ("is one of", "is not one of"),
    Op.AFTER: ("is after", "is not after"),
    Op.BEFORE: ("is before", "is not before"),
    Op.ON_OR_AFTER: ("is on or after", "is not on or after"),
    Op.ON_OR_BEFORE: ("is on or before", "is not on or before"),
    Op.BETWEEN: ("is between", "is not between"),
    Op.GREATER: ("is greater than", "is not greater than"),
    Op.LESS: ("is less than", "is not less than"),
    Op.AT_LEAST: ("is at least", "is not at least"),
    Op.AT_MOST: ("is at most", "is not at most"),
    Op.CONTAINS: ("contains", "does not contain"),
    Op.STARTS_WITH: ("starts with", "does not start with"),
    Op.ENDS_WITH: ("ends with", "does not end with"),
    Op.EMPTY: ("is empty", "is not empty"),
}


def operator_words(op: Op, negated: bool = False) -> str:
    """The canonical words of an operator: ``operator_words(Op.CONTAINS, True)`` is
    ``'does not contain'``."""
    return _WORDS[op][negated]


@singledispatch
def render(node: Node) -> str:
    """Canonical English for ``node``."""
    raise TypeError(f"cannot render {type(node).__name__}")


# ------------------------------------------------------------------ words


@render.register
def _(node: NounPhrase) -> str:
    return " ".join(node.words)


@render.register
def _(node: Text) -> str:
    return f'"{escape(node.value)}"'


@render.register
def _(node: Template) -> str:
    last = len(node.parts) - 1
    written = "".join(
        escape(part.value, reference_follows=number < last)
        if isinstance(part, Text)
        else f"{{{render(part)}}}"
        for number, part in enumerate(node.parts)
    )
    return f'"{written}"'


@render.register
def _(node: Number) -> str:
    return format(node.value, "f")


@render.register
def _(node: Date) -> str:
    return node.value.isoformat()


@render.register
def _(node: DateTime) -> str:
    value = node.value
    text = value.replace(tzinfo=None).isoformat()
    offset = value.utcoffset()
    if offset is None:
        return text
    if offset == dt.timedelta(0):
        return text + "Z"
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = abs(offset) // dt.timedelta(minutes=1)
    return f"{text}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


@render.register
def _(node: Period) -> str:
    if node.which is Which.WEEKDAY:
        return WEEKDAYS[node.amount]
    if node.which is Which.PAST:
        return f"in the last {node.amount} {node.unit}{'' if node.amount == 1 else 's'}"
    return f"{node.which.value} {node.unit}"


@render.register
def _(node: Relative) -> str:
    if node.unit is None:
        return node.when.value
    unit = node.unit.value if node.amount == 1 else node.unit.value + "s"
    if node.when is When.AGO:
        return f"{node.amount} {unit} ago"
    return f"in {node.amount} {unit}"


@render.register
def _(node: Reference) -> str:
    return "the " + "'s ".join(render(noun) for noun in node.path)


@render.register
def _(node: Count) -> str:
    text = f"the number of {render(node.noun)}"
    return text if node.filter is None else f"{text} whose {render(node.filter)}"


# ---------------------------------------------------------------- filters


@render.register
def _(node: Comparison) -> str:
    words = operator_words(node.op, node.negated)
    values = [render(value) for value in node.values]
    if node.op is Op.EMPTY:
        tail = ""
    elif node.op is Op.BETWEEN:
        tail = f" {values[0]} and {values[1]}"
    elif node.op is Op.ONE_OF:
        tail = " " + ", ".join(values[:-1]) + " or " + values[-1]
    else:
        tail = " " + values[0]
    return f"{render(node.subject)} {words}{tail}"


# What makes "or" continue a list of values (the lookahead of OR_LITERAL in english.lark).
_LITERAL_START = re.compile(
    r'(?:["\u201c]|-?\d|(?:now|today|yesterday|tomorrow)\b|in[ \t]+\d)', re.IGNORECASE
)


def _part(part: Filter, parent: type[Filter], first: bool = False) -> str:
    """A part of an and/or, in parentheses where precedence needs them.

    In a condition a part may start with a literal (``"a" is "b"``); after "or"
    that would read as one more value of a list, so such a part is parenthesized.
    """
    text = render(part)
    if isinstance(part, Or) or (isinstance(part, And) and parent is And):
        return f"({text})"
    if parent is Or and not first and _LITERAL_START.match(text):
        return f"({text})"
    return text


@render.register
def _(node: And) -> str:
    return " and ".join(_part(part, And, index == 0) for index, part in enumerate(node.parts))


@render.register
def _(node: Or) -> str:
    return " or ".join(_part(part, Or, index == 0) for index, part in enumerate(node.parts))


@render.register
def _(node: Not) -> str:
    part = node.part
    text = render(part)
    if isinstance(part, (And, Or)):
        text = f"({text})"
    return f"not {text}"


# ------------------------------------------------------------- statements


@render.register
def _(node: Assignment) -> str:
    return f"the {render(node.name)} {_is(node.value)} {render(node.value)}"


def _is(value: Value) -> str:
    return "are" if isinstance(value, ValueList) else "is"


@render.register
def _(node: ValueList) -> str:
    *most, last = [render(item) for item in node.items]
    return f"{', '.join(most)} and {last}"


@render.register
def _(node: Use) -> str:
    return f"use {render(node.value)} as the {render(node.name)}"


@render.register
def _(node: Say) -> str:
    return f"say {render(node.value)}"


@render.register
def _(node: Argument) -> str:
    return f"the {render(node.name)} {_is(node.value)} {render(node.value)}"


def _whose(node: Filter) -> str:
    """A call's filter: ``whose`` before it, and again before each part of a
    top-level and/or, as in the Kognitos documentation."""
    if isinstance(node, (And, Or)):
        joiner = " and whose " if isinstance(node, And) else " or whose "
        return "whose " + joiner.join(_part(part, type(node)) for part in node.parts)
    return "whose " + render(node)


@render.register
def _(node: Call) -> str:
    determiner = node.determiner.value
    if node.first is not None:
        # the newest N given oldest first are the last N of that list
        which = "oldest" if node.oldest else "last" if node.listing is Order.OLDEST else "first"
        determiner = f"the {which} {node.first}"
    words = [node.verb]
    if node.value is not None:
        words += [render(node.value), "to"]
    words += [determiner, render(node.noun)]
    if node.partner is not None:
        words += ["with", render(node.partner)]
    if node.filter is not None:
        words.append(_whose(node.filter))
    if node.order is not None:
        words.append(f"{node.order.value} first")
    if node.by is not None:
        words += ["by", render(node.by)]
    head = " ".join(words)
    if not node.arguments:
        return head
    lines = [head + " where"] + [INDENT + render(argument) for argument in node.arguments]
    return "\n".join(lines)


def _block(statements: tuple[Statement, ...]) -> str:
    text = "\n".join(render(statement) for statement in statements)
    return "\n".join(INDENT + line for line in text.split("\n"))


_PLAIN_STATE = re.compile(r"[^\W\d_][\w-]*")  # a state written as a word: "delivered"


@render.register
def _(node: Reply) -> str:
    return f"reply with {render(node.value)}"


@render.register
def _(node: Wait) -> str:
    plain = _PLAIN_STATE.fullmatch(node.state) and node.state == node.state.lower()
    state = node.state if plain else render(Text(node.state))
    text = f"wait until {render(node.subject)} is {state}"
    if node.amount is not None and node.unit is not None:
        text += f" within {node.amount} {node.unit.value}{'' if node.amount == 1 else 's'}"
    return text


@render.register
def _(node: Expect) -> str:
    return f"expect {render(node.condition)}"


@render.register
def _(node: Given) -> str:
    if node.clause in ("is", "in") and node.value is not None:
        return f"given the {render(node.noun)} {node.clause} {render(node.value)}"
    if node.clause == "seeded":
        return f"given {node.count} {render(node.noun)} from seed {node.seed}"
    if node.clause == "happens" and node.determiner is not None:
        said = f"given {node.determiner.value} {render(node.noun)} is {node.state}"
        if node.arguments:
            said += " with " + " and ".join(render(argument) for argument in node.arguments)
        return said
    if node.share is not None and node.of is not None:
        part, whole = node.share
        return f"given {render(node.noun)} is {node.state} for {part} in {whole} {render(node.of)}"
    raise ValueError(f"a set-up that cannot be written: {node!r}")


@render.register
def _(node: EventName) -> str:
    said = f"when {node.determiner.value} {render(node.noun)}"
    if node.field is not None:
        return f"{said}'s {render(node.field)} changes"
    return f"{said} is {node.happens}"


@render.register
def _(node: Handler) -> str:
    return f"{render(node.event)}\n{_block(node.body)}"


@render.register
def _(node: Each) -> str:
    return f"process each {render(node.noun)} as follows\n{_block(node.body)}"


@render.register
def _(node: If) -> str:
    text = f"if {render(node.condition)} then\n{_block(node.then)}"
    if len(node.otherwise) == 1 and isinstance(node.otherwise[0], If):
        return f"{text}\nelse {render(node.otherwise[0])}"
    if node.otherwise:
        text += f"\nelse\n{_block(node.otherwise)}"
    return text


@render.register
def _(node: Script) -> str:
    return "\n".join(render(statement) for statement in node.statements)


# ------------------------------------------------------- procedure names


@render.register
def _(node: Target) -> str:
    noun = render(node.noun)
    if node.output:
        noun = f"({noun})"
    if node.determiner is None:
        return noun
    return f"{node.determiner.value} {noun}"


@render.register
def _(node: ProcedureName) -> str:
    text = f"to {node.verb} {render(node.target)}"
    if node.result is not None:
        text += f" to {render(node.result)}"
    return text
