"""The scope's index gives exactly what reading its names and results from the
latest back would give: ``Scope`` against ``Linear``, a scope that does just that
(the meaning in docs/language.md, "References"), over random runs."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from grammar import BookError, NounPhrase
from procedures import Concept
from procedures.names import same_noun
from procedures.scope import Entry, Scope, _names


class Message(Concept):
    english = "twilio sms message"

    body: str


class Campus(Concept):
    english = "campus"

    name: str


class Note(Concept):
    english = "note"

    text: str


class Linear(Scope):
    """The meaning, plainly: every entry read from the latest back; a name
    replaces every earlier name that names the same thing."""

    def __init__(self, parent: Scope | None = None, item: tuple[NounPhrase, Any] | None = None) -> None:
        super().__init__(parent, item)
        self.plain: list[Entry] = []

    def _add(self, entry: Entry) -> None:
        self.plain.append(entry)

    def name(self, noun: NounPhrase, value: Any, declared: Any = None) -> None:
        self.plain = [old for old in self.plain if old.plural is not None or not same_noun(old.noun, noun)]
        self.plain.append(Entry(noun, value, declared))

    @property
    def entries(self) -> list[Entry]:
        return list(self.plain)

    def _find(self, noun: NounPhrase) -> Entry | None:
        return next((entry for entry in reversed(self.plain) if _names(entry, noun)), None)


NOUNS = [
    "message",
    "messages",
    "SMS message",
    "*SMS* messages",
    "twilio sms message",
    "campus",
    "campuses",
    "campu",
    "note",
    "notes",
    "*Notes*",
    "base",
    "bases",
    "basis",
    "data",
    "*data*",
    "total",
    "totals",
]
nouns = st.sampled_from(NOUNS)
values = st.integers(0, 9) | st.lists(st.integers(0, 9), max_size=3)
concepts = st.sampled_from([None, Message, Campus, Note])

Step = tuple[Any, ...]
steps: st.SearchStrategy[list[Step]] = st.recursive(
    st.lists(
        st.one_of(
            st.tuples(st.just("name"), nouns, values),
            st.tuples(st.just("result"), nouns, values, concepts, st.booleans()),
        ),
        max_size=8,
    ),
    lambda inner: st.lists(
        st.one_of(
            st.tuples(st.just("name"), nouns, values),
            st.tuples(st.just("result"), nouns, values, concepts, st.booleans()),
            st.tuples(st.just("loop"), st.lists(inner, max_size=3)),
        ),
        max_size=8,
    ),
    max_leaves=20,
)


def play(kind: type[Scope], scope: Scope, run: list[Step]) -> None:
    for step in run:
        if step[0] == "name":
            scope.name(NounPhrase.of(step[1]), step[2])
        elif step[0] == "result":
            value = list(step[2]) if isinstance(step[2], list) else step[2]
            scope.result(NounPhrase.of(step[1]), value, step[3], step[4])
        else:
            items = []
            for body in step[1]:
                item = kind(scope, (NounPhrase.of("message"), "the item"))
                play(kind, item, body)
                items.append(item)
            scope.gather(items)


def answers(scope: Scope) -> list[Any]:
    found: list[Any] = []
    for noun in NOUNS:
        for many in (False, True):
            try:
                found.append(scope.lookup(NounPhrase.of(noun), many))
            except BookError as error:  # the error, by its kind and its words
                found.append((type(error).__name__, str(error).split("; known")[0]))
    return found


@settings(max_examples=300, deadline=None)
@given(outer=steps, inner=steps, item=st.sampled_from([None, "message", "campus", "note"]))
def test_the_index_finds_what_reading_from_the_latest_back_finds(
    outer: list[Step], inner: list[Step], item: str | None
) -> None:
    seen = []
    for kind in (Scope, Linear):
        parent = kind()
        play(kind, parent, outer)
        scope = kind(parent, (NounPhrase.of(item), "the item") if item else None)
        play(kind, scope, inner)
        seen.append(answers(scope))
    assert seen[0] == seen[1]
