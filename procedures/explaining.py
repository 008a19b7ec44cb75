"""What ``explain`` says of a script: each read it would make, planned as running it
would plan it, with the values the lines before it give, and without a request.

The script is walked in order, into its blocks. A read (a call whose procedure
plans its filter) is planned, not run. The lines that only name values run, as
they would, so that later reads can use the names: named values, ``use the above
as``, and the book's conversions (``convert "..." to a datetime``), at the top
of the script. Nothing else runs: no send, no change, no count, and no line of a
block, since a block runs only when the script gets there (an ``if``), for each
item (a loop), or when an event happens (``when``). A read whose filter uses what
only a run gives (the item of a loop, the result of a read) is listed with why
it cannot be planned beforehand.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from grammar import Assignment, BookError, Call, Count, Each, Handler, If, Statement, Use, find_all
from grammar.node import Record
from procedures.core import core
from procedures.errors import ExplainError
from procedures.registry import Registry
from procedures.runtime import Runner, answers, check_order

__all__ = ["Explained", "explanations"]


class Explained(Record):
    """One read of a script: its line, its English, and its plan (the book's:
    ``explain()`` words it, ``to_json()`` gives it as data), or why it cannot be
    planned before the script runs."""

    line: int
    english: str
    plan: Any = None
    why: str | None = None

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"line": self.line, "english": self.english}
        if self.plan is not None:
            found["plan"] = self.plan.to_json()
        else:
            found["why"] = self.why
        return found

    def explain(self) -> str:
        """The read and how it is answered, for people."""
        told = self.plan.explain() if self.plan is not None else f"Not planned before the run: {self.why}"
        indented = "\n".join(f"  {line}" for line in told.splitlines())
        return f"line {self.line}: {self.english}\n{indented}"


async def explanations(
    runner: Runner, registry: Registry, statements: Sequence[Statement]
) -> list[Explained]:
    """Each read of ``statements`` (see the module's docstring); ``ExplainError``
    when there is none, at the call that is not a read if the script ends with one."""
    found: list[Explained] = []
    converts = {procedure.function for procedure in core}
    above = True  # whether "the above" holds what a run would hold at this point

    async def walk(statements: Sequence[Statement], top: bool) -> None:
        nonlocal above
        for statement in statements:
            ran = False
            if isinstance(statement, Call):
                written = statement.order
                call = registry.expand(statement)
                entry = registry.resolve(call)
                if entry.prepare is not None:
                    check_order(entry, call, written)
                    found.append(_planned(runner, entry, call, statement))
                elif top and entry.function in converts:
                    ran = await _named(runner, statement)
            elif (
                isinstance(statement, Assignment) and top and next(find_all(statement, Count), None) is None
            ) or (isinstance(statement, Use) and top and above):
                ran = await _named(runner, statement)
            elif isinstance(statement, If):
                await walk(statement.then, False)
                await walk(statement.otherwise, False)
            elif isinstance(statement, (Each, Handler)):
                await walk(statement.body, False)
            if answers(statement):  # an expect, a given or a when block leaves "the above" as it was
                above = ran

    await walk(statements, True)
    if found:
        return found
    last = statements[-1] if statements else None
    if isinstance(last, Call):
        entry = registry.resolve(registry.expand(last))
        raise ExplainError(
            f"'{entry.said}' is not planned: it takes no filter for Twilio to apply",
            span=last.span,
            hint="explain shows how a filter is answered: 'read some SMS messages whose ...', "
            "'count the SMS messages whose ...', 'read some phone numbers whose ...'.",
        )
    raise ExplainError(
        "nothing to explain: the script reads nothing; give a read, such as 'read some SMS messages whose ...'",
        span=last.span if last is not None else None,
    )


def _planned(runner: Runner, entry: Any, call: Call, written: Call) -> Explained:
    english = str(written).split("\n", 1)[0]
    line = written.span.line if written.span is not None else 0
    try:
        plan = runner.prepare(entry, call).plan
    except BookError as error:
        return Explained(line=line, english=english, why=f"it uses what only a run gives: {error.message}")
    return Explained(line=line, english=english, plan=plan)


async def _named(runner: Runner, statement: Assignment | Use | Call) -> bool:
    """Name a value as the run would (a conversion: "the above"): whether it could
    be (one that needs what only a run gives stays unnamed)."""
    try:
        await runner.run([statement])
    except BookError:
        return False
    return True
