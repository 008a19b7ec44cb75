"""Which verbs mean much the same, so that an unknown call is offered a
procedure that does what was asked, and never one that does something else
(``list`` is offered ``read``, never ``delete``, however alike the words look).

>>> related("list", "read"), related("remove", "delete"), related("list", "delete")
(True, True, False)
>>> related("raed", "read"), related("unsend", "send"), related("txt", "send")
(True, False, True)
"""

from __future__ import annotations

from procedures.names import closest

__all__ = ["related"]

# Verbs a person or an agent reaches for, grouped by what they ask for.
_GROUPS = (
    frozenset(
        {
            "read",
            "list",
            "get",
            "fetch",
            "retrieve",
            "show",
            "find",
            "search",
            "query",
            "look",
            "view",
            "see",
            "print",
            "display",
        }
    ),
    frozenset(
        {"send", "text", "txt", "message", "sms", "post", "write", "notify", "submit", "dispatch", "deliver"}
    ),
    frozenset({"delete", "remove", "erase", "destroy", "drop", "purge"}),
    frozenset({"redact", "erase", "blank", "scrub", "clear", "wipe", "censor"}),
    frozenset({"cancel", "stop", "abort", "unschedule", "withdraw", "revoke"}),
    frozenset({"add", "create", "insert", "make", "register", "put"}),
    frozenset({"update", "change", "edit", "modify", "set", "alter"}),
    frozenset({"convert", "turn", "transform", "parse", "cast", "make"}),
    frozenset({"count", "tally", "number", "total"}),
)


def related(asked: str, known: str) -> bool:
    """Whether a call's verb may have meant a procedure's: the same group of
    verbs, or the same verb misspelt."""
    asked, known = asked.lower(), known.lower()
    if asked == known:
        return True
    if any(asked in group and known in group for group in _GROUPS):
        return True
    if _undoes(asked, known) or _undoes(known, asked):
        return False
    return bool(closest(asked, [known], n=1, cutoff=0.75))


def _undoes(one: str, other: str) -> bool:
    """Whether ``one`` is ``other`` with a prefix that reverses it: unsend, deregister."""
    return any(one == prefix + other for prefix in ("un", "de", "dis", "non", "anti"))
