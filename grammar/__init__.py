"""English -> tree: the grammar of the book's language, its tree and its errors.

``parse_script`` reads a whole script, ``parse_filter`` what follows ``whose``
and ``parse_name`` a procedure's English name. Each returns an immutable tree
whose ``str`` is canonical English that parses back to an equal tree. Every
problem raises ``EnglishSyntaxError`` with the line, the column and a hint.
This package imports nothing else of the project.
"""

from grammar.errors import BookError, EnglishSyntaxError
from grammar.limits import check_moment, check_number
from grammar.parser import parse_filter, parse_name, parse_script
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
    Filter,
    If,
    Node,
    Not,
    NounPhrase,
    Number,
    Op,
    Or,
    ProcedureName,
    Reference,
    Relative,
    Say,
    Script,
    Span,
    Statement,
    Target,
    Text,
    Unit,
    Use,
    Value,
    When,
)
from grammar.walk import children, find_all, transform, walk

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
    "Filter",
    "If",
    "Node",
    "Not",
    "NounPhrase",
    "Number",
    "Op",
    "Or",
    "ProcedureName",
    "Reference",
    "Relative",
    "Say",
    "Script",
    "Span",
    "Statement",
    "Target",
    "Text",
    "Unit",
    "Use",
    "Value",
    "When",
    "check_moment",
    "check_number",
    "children",
    "find_all",
    "operator_words",
    "parse_filter",
    "parse_name",
    "parse_script",
    "render",
    "transform",
    "walk",
]
