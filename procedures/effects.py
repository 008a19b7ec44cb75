"""What a run does to the world: the effects procedures declare, what a run may do
unasked (``Safeguards``), and the ``Journal`` of what it did.

A procedure declares its effect when it is registered: it reads (the default), it
creates things (``send``), or it changes things that exist (``delete``). Without
confirmation (``Safeguards.yes``, the command's ``--yes``) a run may change at most
``Safeguards.changes`` existing things (one) and create at most ``Safeguards.creates``
(100), counted across the whole run however the script is written. The runtime
asks the journal before each effect; a script whose effects are spread over
loops or several statements is first rehearsed (run as a dry run, which changes
nothing and says nothing) so that it is refused before anything is done.

The journal also records each effect as it happens: begun, done (with what it
gave), refused, or unknown (it may have happened: no clear answer came, or the
run was interrupted while it was in flight), and the items of loops that never
started. So what went out is known after a failure or an interruption too.

>>> journal = Journal(Safeguards())
>>> journal.allow(Effect.CHANGES, "delete", "SMS message", ["SM1"])
>>> journal.allow(Effect.CHANGES, "delete", "SMS message", ["SM2"])
Traceback (most recent call last):
...
procedures.effects.ConfirmationError: this would delete 2 SMS messages (SM1, SM2); nothing was changed
Run it again with --yes to go ahead, or with --dry-run to list them all (in a program: yes=True or dry_run=True in the session's settings).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from grammar import BookError
from grammar.node import Record
from procedures.names import plural_of

__all__ = [
    "Act",
    "ConfirmationError",
    "Effect",
    "InterruptedRunError",
    "Journal",
    "Safeguards",
    "counted",
    "failure_hint",
]


class Effect(enum.Enum):
    """What a procedure does besides answering."""

    READS = "reads"
    CREATES = "creates"
    CHANGES = "changes"


class Safeguards(Record):
    """What a run may do unasked: ``dry_run`` does nothing and says what it would
    do; ``yes`` confirms whatever the run does; without it a run changes at most
    ``changes`` existing things and creates at most ``creates``."""

    dry_run: bool = False
    yes: bool = False
    changes: int = 1
    creates: int = 100


def counted(count: int, noun: str) -> str:
    """``1 SMS message``, ``40 SMS messages``."""
    return f"{count:,} {noun if count == 1 else plural_of(noun)}"


class ConfirmationError(BookError):
    """A run would change more than one existing thing, or create more than the
    limit, without confirmation; nothing was done. ``would`` lists every effect
    (verb, noun, targets) the run would have, with the totals."""

    kind = "confirmation"

    def __init__(self, message: str, *, would: Sequence[dict[str, Any]] = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.would = list(would)

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["would"] = self.would
        data["total"] = sum(entry["count"] for entry in self.would)
        return data


class Act:
    """One effect of a run: ``verb`` on ``target`` (the thing changed, or what a
    created thing is for), its ``state`` (begun, done, refused, unknown), what it
    gave (``result``) or its ``error`` (as JSON-ready data), and, when known, the
    status of what it made or changed (``status``) and the English that finds what
    it did (``find``: for an unknown outcome)."""

    __slots__ = ("effect", "error", "find", "item", "noun", "result", "state", "status", "target", "verb")

    def __init__(self, effect: Effect, verb: str, noun: str, target: str, item: int | None) -> None:
        self.effect = effect
        self.verb = verb
        self.noun = noun
        self.target = target
        self.item = item
        self.state = "begun"
        self.result: str | None = None
        self.status: str | None = None
        self.error: dict[str, Any] | None = None
        self.find: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"verb": self.verb, "target": self.target, "state": self.state}
        if self.item is not None:
            data["item"] = self.item
        if self.result is not None:
            data["result"] = self.result
        if self.status is not None:
            data["status"] = self.status
        if self.error is not None:
            data["error"] = self.error
        if self.find is not None:
            data["find"] = self.find
        return data

    def __repr__(self) -> str:
        return f"Act({self.verb} {self.target}: {self.state})"


def _brief(error: BookError) -> dict[str, Any]:
    """What a journal keeps of an error: its kind, code and status when it has them,
    and its message (the service's own words, when it gave some)."""
    data: dict[str, Any] = {"kind": error.kind}
    for name in ("code", "status"):
        if getattr(error, name, None) is not None:
            data[name] = getattr(error, name)
    data["message"] = getattr(error, "twilio_message", None) or error.message
    return data


def _uncertain(error: BaseException) -> bool:
    """Whether an effect that failed so may still have happened."""
    return bool(getattr(error, "uncertain", False)) or not isinstance(error, Exception)


def failure_hint(errors: Sequence[BaseException]) -> str:
    """What to do after some of several effects failed, so that none is done twice:
    a refused one did not happen; one in doubt must be looked for first."""
    unknown = sum(_uncertain(error) for error in errors)
    refused = len(errors) - unknown
    said = "Each item's outcome is listed (under 'outcomes' in JSON): done, refused or unknown."
    if refused:
        said += f" The {refused:,} refused did not happen: fix what the error says and do only those again."
    if unknown:
        said += (
            f" The {unknown:,} unknown may have gone through (no clear answer came): do not do them again "
            "before looking for them; each one's 'find' is the English that does."
        )
    return said


class Journal:
    """What one run may do and what it did (see the module's docstring).
    ``rehearsal``: the run is a rehearsal, which only counts, never refuses."""

    def __init__(self, safeguards: Safeguards, *, rehearsal: bool = False) -> None:
        self.safeguards = safeguards
        self.rehearsal = rehearsal
        self.allowed: dict[tuple[Effect, str, str], list[str]] = {}
        self.acts: list[Act] = []
        self.loops: list[tuple[str, int, set[int]]] = []  # (noun, items, the items begun)
        self.interrupted = False
        """Set when the run is interrupted (Ctrl-C): see ``Context.checkpoint``."""

    @property
    def dry_run(self) -> bool:
        """Whether procedures must only say what they would do."""
        return self.safeguards.dry_run or self.rehearsal

    @property
    def enforcing(self) -> bool:
        return not (self.safeguards.yes or self.dry_run)

    def count(self, effect: Effect) -> int:
        return sum(len(targets) for (kind, _, _), targets in self.allowed.items() if kind is effect)

    def allow(self, effect: Effect, verb: str, noun: str, targets: Sequence[str]) -> None:
        """Count effects about to be had; ``ConfirmationError`` (before any of them)
        when they would take the run past what it may do unasked."""
        if effect is Effect.READS or not targets:
            return
        if self.enforcing:
            limit = self.safeguards.changes if effect is Effect.CHANGES else self.safeguards.creates
            if self.count(effect) + len(targets) > limit:
                planned = dict(self.allowed)
                planned[(effect, verb, noun)] = [*planned.get((effect, verb, noun), []), *targets]
                raise self.refusal(planned)
        self.allowed.setdefault((effect, verb, noun), []).extend(targets)

    def over(self) -> bool:
        """Whether what was counted passes what a run may do unasked."""
        return (
            self.count(Effect.CHANGES) > self.safeguards.changes
            or self.count(Effect.CREATES) > self.safeguards.creates
        )

    def would(
        self, planned: Mapping[tuple[Effect, str, str], list[str]] | None = None
    ) -> list[dict[str, Any]]:
        """The effects counted, as data: verb, noun, count and targets."""
        planned = self.allowed if planned is None else planned
        return [
            {"effect": effect.value, "verb": verb, "noun": noun, "count": len(targets), "targets": targets}
            for (effect, verb, noun), targets in planned.items()
        ]

    def summary(
        self, planned: Mapping[tuple[Effect, str, str], list[str]] | None = None, shown: int = 5
    ) -> str:
        """``delete 40 SMS messages (SM1, SM2, ...) and send 3 SMS messages``."""
        parts = []
        for entry in self.would(planned):
            targets = [target for target in entry["targets"] if target]
            listed = ", ".join(targets[:shown]) + (", ..." if len(targets) > shown else "")
            parts.append(
                f"{entry['verb']} {counted(entry['count'], entry['noun'])}"
                + (f" ({listed})" if listed else "")
            )
        return " and ".join(parts) or "nothing"

    def refusal(
        self, planned: Mapping[tuple[Effect, str, str], list[str]] | None = None
    ) -> ConfirmationError:
        """The error that refuses a run over its limits, listing what it would do."""
        return ConfirmationError(
            f"this would {self.summary(planned)}; nothing was changed",
            would=self.would(planned),
            hint="Run it again with --yes to go ahead, or with --dry-run to list them all (in a program: "
            "yes=True or dry_run=True in the session's settings).",
        )

    @contextmanager
    def act(
        self, effect: Effect, verb: str, noun: str, target: str, item: int | None = None
    ) -> Iterator[Act]:
        """Record one effect around the code that has it: done when the block ends,
        refused or unknown when it raises (the error goes on)."""
        act = Act(effect, verb, noun, target, item)
        self.acts.append(act)
        try:
            yield act
        except BaseException as error:
            act.state = "unknown" if _uncertain(error) else "refused"
            if isinstance(error, BookError):
                act.error = _brief(error)
            elif isinstance(error, Exception):
                act.error = {"kind": "internal", "message": f"{type(error).__name__}: {error}"}
            else:
                act.error = {"kind": "interrupted", "message": "interrupted while it was under way"}
            raise
        else:
            if act.state == "begun":
                act.state = "done"

    def loop(self, noun: str, items: int) -> set[int]:
        """Follow a loop's items that have effects: the set to add each begun item to."""
        begun: set[int] = set()
        self.loops.append((noun, items, begun))
        return begun

    def report(self) -> dict[str, Any]:
        """What the run did, as data: each effect's outcome, and the loops' items
        that never started."""
        states = {"done": 0, "refused": 0, "unknown": 0}
        for act in self.acts:
            states[act.state if act.state in states else "unknown"] += 1
        not_started = [
            {"loop": noun, "items": _ranges(sorted(set(range(1, items + 1)) - begun))}
            for noun, items, begun in self.loops
            if len(begun) < items
        ]
        return {
            **states,
            "acts": [act.to_dict() for act in self.acts],
            "not started": not_started,
        }

    def __bool__(self) -> bool:
        return bool(self.acts or self.allowed)


def _ranges(numbers: list[int]) -> str:
    """``1-3, 7, 9-10``."""
    parts: list[str] = []
    start = previous = None
    for number in [*numbers, None]:
        if number is not None and previous is not None and number == previous + 1:
            previous = number
            continue
        if start is not None:
            parts.append(str(start) if start == previous else f"{start}-{previous}")
        start = previous = number
    return ", ".join(parts)


class InterruptedRunError(BookError):
    """The run was interrupted (Ctrl-C): ``report`` says what went through, what
    is unknown (it was in flight) and what never started."""

    kind = "interrupted"

    def __init__(self, message: str, *, report: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.report = report

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["outcomes"] = self.report
        return data
