"""Walking and rewriting trees, once for every pass: ``walk``, ``find_all`` and ``transform``.

A node's children are the nodes in its fields, alone or in a tuple (the parts of
an and, a block's statements), in the order the fields are declared. None of
these recurse, so a tree built in code may be deeper than the parser allows
(limits.DEPTH) without reaching Python's recursion limit.

>>> from grammar import Comparison, Op, Text, parse_filter
>>> tree = parse_filter('status is "sent" and not (price is less than 1 or body contains "hi")')
>>> [str(node) for node in find_all(tree, Comparison)]
['status is "sent"', 'price is less than 1', 'body contains "hi"']
>>> def shout(node: Node) -> Node:
...     return node.replace(values=(Text("HI"),)) if isinstance(node, Comparison) and node.op is Op.CONTAINS else node
>>> str(transform(tree, shout))
'status is "sent" and not (price is less than 1 or body contains "HI")'
>>> transform(tree, lambda node: node) is tree
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from grammar.tree import Node

__all__ = ["children", "find_all", "transform", "walk"]

N = TypeVar("N", bound=Node)

_FIELDS: dict[type[Node], tuple[str, ...]] = {}


def _fields(kind: type[Node]) -> tuple[str, ...]:
    """The fields of a node type that may hold nodes (all but ``span``)."""
    fields = _FIELDS.get(kind)
    if fields is None:
        fields = _FIELDS[kind] = tuple(field for field in kind._attributes if field != "span")
    return fields


def children(node: Node) -> list[Node]:
    """The nodes directly under ``node``, in the order of its fields. A tuple in a
    field holds nodes only or none (the parts of an and; a noun phrase's words),
    so its first item says which."""
    found: list[Node] = []
    for field in _fields(type(node)):
        value = getattr(node, field)
        if isinstance(value, Node):
            found.append(value)
        elif type(value) is tuple and value and isinstance(value[0], Node):
            found.extend(value)
    return found


def walk(node: Node, into: type[Node] | tuple[type[Node], ...] = Node) -> Iterator[Node]:
    """Every node of the tree, ``node`` first, each before its children (pre-order);
    ``into``: the kinds of node whose children are walked (the others are given,
    not entered), for a pass that knows where what it looks for can be."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, into):
            stack.extend(reversed(children(current)))


def find_all(
    node: Node, kind: type[N] | tuple[type[N], ...], into: type[Node] | tuple[type[Node], ...] = Node
) -> Iterator[N]:
    """The nodes of the tree that are instances of ``kind``, in the order of ``walk``
    (``into`` as for ``walk``)."""
    return (found for found in walk(node, into) if isinstance(found, kind))


def transform(node: N, function: Callable[[Node], Any]) -> N:
    """The tree rebuilt from the bottom up: ``function`` gets each node with its
    children already transformed and returns the node to put in its place.

    Nothing is copied that did not change: where ``function`` returns every node
    it is given, the result is ``node`` itself. Each node object is transformed
    once, so a subtree shared by several parents stays shared.
    """
    done: dict[int, Any] = {}  # id of an original node -> its replacement
    stack: list[tuple[Node, bool]] = [(node, False)]
    while stack:
        current, ready = stack.pop()
        if id(current) in done:
            continue
        if not ready:
            stack.append((current, True))
            stack.extend((child, False) for child in reversed(children(current)))
            continue
        changes: dict[str, Any] = {}
        for field in _fields(type(current)):
            value = getattr(current, field)
            if isinstance(value, Node):
                if done[id(value)] is not value:
                    changes[field] = done[id(value)]
            elif isinstance(value, tuple) and any(isinstance(item, Node) for item in value):
                rebuilt = tuple(done[id(item)] if isinstance(item, Node) else item for item in value)
                if any(new is not old for new, old in zip(rebuilt, value, strict=True)):
                    changes[field] = rebuilt
        done[id(current)] = function(current.replace(**changes) if changes else current)
    result: N = done[id(node)]
    return result
