"""English -> tree: the grammar of the book's language, its tree and its errors.

``parse_script`` reads a whole script, ``parse_filter`` what follows ``whose``
and ``parse_name`` a procedure's English name. Each returns an immutable tree
whose ``str`` is canonical English that parses back to an equal tree. Every
problem raises ``EnglishSyntaxError`` with the line, the column and a hint.
This package imports nothing else of the project.
"""

from typing import TYPE_CHECKING, Any

from grammar.errors import BookError, EnglishSyntaxError
from grammar.limits import check_moment, check_number
from grammar.render import operator_words, render
from grammar.tree import (
    And,
    Argument,
    Assignment,
    Call,
    Comparison,
    Count,
    Date,
    DateTime,
    Determiner,
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
    Span,
    Statement,
    Target,
    Template,
    Text,
    Unit,
    Use,
    Value,
    ValueList,
    Wait,
    When,
    Which,
)
from grammar.walk import children, find_all, transform, walk

if TYPE_CHECKING:
    from grammar.parser import parse_event, parse_filter, parse_name, parse_script

_PARSING = ("parse_event", "parse_filter", "parse_name", "parse_script")


def __getattr__(name: str) -> Any:
    """The parse functions, loaded on first use: lark loads with them, so that what
    needs only the tree or the errors (a command's --help) starts without it."""
    if name in _PARSING:
        from grammar import parser

        return getattr(parser, name)
    raise AttributeError(f"module 'grammar' has no attribute {name!r}")


__all__ = [
    "And",
    "Argument",
    "Assignment",
    "BookError",
    "Call",
    "Comparison",
    "Count",
    "Date",
    "DateTime",
    "Determiner",
    "Each",
    "EnglishSyntaxError",
    "EventName",
    "Expect",
    "Filter",
    "Given",
    "Handler",
    "If",
    "Node",
    "Not",
    "NounPhrase",
    "Number",
    "Op",
    "Or",
    "Order",
    "Period",
    "ProcedureName",
    "Reference",
    "Relative",
    "Reply",
    "Say",
    "Script",
    "Span",
    "Statement",
    "Target",
    "Template",
    "Text",
    "Unit",
    "Use",
    "Value",
    "ValueList",
    "Wait",
    "When",
    "Which",
    "check_moment",
    "check_number",
    "children",
    "find_all",
    "operator_words",
    "parse_event",
    "parse_filter",
    "parse_name",
    "parse_script",
    "render",
    "transform",
    "walk",
]
