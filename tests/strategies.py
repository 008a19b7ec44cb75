"""Hypothesis strategies that generate trees of the English (not strings).

Generating trees and rendering them tests the printer and the parser together:
whatever tree can be built must print as English that parses back to it.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from hypothesis import strategies as st

from grammar import (
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
    Unit,
    Use,
    Value,
    ValueList,
    Wait,
    When,
    Which,
)
from grammar.limits import DIGITS, FIRST_YEAR, LAST_YEAR

_GRAMMAR = (Path(__file__).parent.parent / "grammar" / "english.lark").read_text(encoding="utf-8")
KEYWORDS = sorted(set(re.findall(r'^[A-Z_]+: "([a-z]+)"i$', _GRAMMAR, re.MULTILINE)))
_WORD = re.compile(r"[^\W\d_][\w-]*")


def _is_keyword(word: str) -> bool:
    return any(re.fullmatch(keyword, word, re.IGNORECASE) for keyword in KEYWORDS)


_first = st.characters(categories=("Lu", "Ll", "Lo"))
_rest = st.characters(categories=("Lu", "Ll", "Lo", "Nd"), include_characters="-_")
words = (
    st.tuples(_first, st.text(_rest, max_size=8))
    .map("".join)
    .filter(lambda word: bool(_WORD.fullmatch(word)) and not _is_keyword(word))
)
ascii_words = st.from_regex(r"[a-z][a-z-]{0,7}", fullmatch=True).filter(lambda word: not _is_keyword(word))
proper_words = words.map(lambda word: f"*{word}*")
noun_phrases = st.lists(st.one_of(words, words, proper_words), min_size=1, max_size=3).map(
    lambda items: NounPhrase(tuple(items))
)
verbs = ascii_words

_offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
)
texts = st.text().map(Text)
numbers = (
    st.integers(0, DIGITS)  # the places after the point: numbers within the book's range (limits.py)
    .flatmap(lambda places: st.decimals(min_value=-(10**12), max_value=10**12, places=places))
    .map(Number)
)
_FIRST, _LAST = dt.datetime(FIRST_YEAR, 1, 1), dt.datetime(LAST_YEAR, 12, 31, 23, 59, 59)
dates = st.dates(_FIRST.date(), _LAST.date()).map(Date)  # the years the book takes (grammar/limits.py)
datetimes = st.datetimes(_FIRST, _LAST, timezones=st.none() | st.just(dt.UTC) | _offsets).map(DateTime)
relatives = st.one_of(
    st.sampled_from([When.NOW, When.TODAY, When.YESTERDAY, When.TOMORROW]).map(Relative),
    st.builds(
        Relative, st.sampled_from([When.AGO, When.AHEAD]), st.integers(0, 10_000), st.sampled_from(list(Unit))
    ),
)
periods = st.one_of(
    st.builds(Period, st.sampled_from([Which.THIS, Which.LAST]), st.sampled_from(["week", "month", "year"])),
    st.builds(Period, st.just(Which.PAST), st.sampled_from(["day", "week"]), st.integers(1, 100_000)),
    st.integers(0, 6).map(lambda day: Period(Which.WEEKDAY, amount=day)),
)
literals: st.SearchStrategy[Value] = st.one_of(texts, numbers, dates, datetimes, relatives, periods)
references = st.lists(noun_phrases, min_size=1, max_size=3).map(lambda path: Reference(tuple(path)))


@st.composite
def templates(draw: st.DrawFn) -> Template:
    """Text with references in braces; its texts may hold braces, quotes and escapes."""
    parts: list[Text | Reference] = []
    for reference in draw(st.lists(references, min_size=1, max_size=3)):
        if draw(st.booleans()):
            parts.append(Text(draw(st.text(min_size=1))))
        parts.append(reference)
    if draw(st.booleans()):
        parts.append(Text(draw(st.text(min_size=1))))
    return Template(tuple(parts))


values: st.SearchStrategy[Value] = st.one_of(literals, references, templates())
# a list written out: literals that an "and" can stand before (a period cannot)
value_lists = st.lists(
    st.one_of(texts, numbers, dates, datetimes, relatives, templates()), min_size=2, max_size=4
).map(lambda items: ValueList(tuple(items)))


def _comparisons(subjects: st.SearchStrategy[NounPhrase | Value]) -> st.SearchStrategy[Comparison]:
    @st.composite
    def build(draw: st.DrawFn) -> Comparison:
        op = draw(st.sampled_from(list(Op)))
        least, most = op.arity
        count = draw(st.integers(least, most if most is not None else least + 3))
        return Comparison(
            draw(subjects), op, tuple(draw(values) for _ in range(count)), negated=draw(st.booleans())
        )

    return build()


def _boolean(leaves: st.SearchStrategy[Comparison]) -> st.SearchStrategy[Filter]:
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, min_size=2, max_size=4).map(lambda parts: And(tuple(parts))),
            st.lists(children, min_size=2, max_size=4).map(lambda parts: Or(tuple(parts))),
            children.map(Not),
        ),
        max_leaves=8,
    )


filters = _boolean(_comparisons(noun_phrases))
counts = st.builds(Count, noun_phrases, st.none() | filters)
countables: st.SearchStrategy[Value] = st.one_of(values, counts)  # where a count can stand
conditions = _boolean(_comparisons(countables))
arguments = st.builds(Argument, noun_phrases, values | value_lists)


@st.composite
def calls(draw: st.DrawFn) -> Call:
    determiner = draw(st.sampled_from(list(Determiner)))
    first = draw(st.none() | st.integers(1, 10_000)) if determiner is Determiner.THE else None
    value = draw(st.none() | values)
    partner = draw(st.none() | values) if value is None else None
    oldest = first is not None and value is None and draw(st.booleans())
    default = Order.OLDEST if oldest or partner is not None else Order.NEWEST
    order = (
        None
        if value is not None
        else draw(st.none() | st.sampled_from([o for o in Order if o is not default]))
    )
    return Call(
        draw(verbs),
        determiner,
        draw(noun_phrases),
        first=first,
        value=value,
        filter=draw(st.none() | filters),
        arguments=tuple(draw(st.lists(arguments, max_size=3))),
        by=draw(st.none() | noun_phrases),
        oldest=oldest,
        partner=partner,
        order=order,
    )


_states = st.text(min_size=1).filter(lambda state: bool(state.strip()) and not {"\n", "\r"} & set(state))


def _statements(depth: int) -> st.SearchStrategy[Statement]:
    simple: st.SearchStrategy[Statement] = st.one_of(
        st.builds(Assignment, noun_phrases, countables | value_lists),
        st.builds(Use, countables, noun_phrases),
        st.builds(Say, countables),
        st.builds(Reply, countables),
        st.builds(Expect, conditions),
        st.builds(Wait, references, _states),
        st.builds(Wait, references, _states, st.integers(1, 1000), st.sampled_from(list(Unit))),
        calls(),
    )
    if depth == 0:
        return simple
    block = st.lists(_statements(depth - 1), min_size=1, max_size=3).map(tuple)
    return st.one_of(
        simple,
        st.builds(Each, noun_phrases, block),
        st.builds(If, conditions, block, st.just(()) | block),
    )


statements = _statements(2)
_DETERMINED = st.sampled_from([Determiner.A, Determiner.AN, Determiner.THE])
_BODIES = st.lists(statements, min_size=1, max_size=3).map(tuple)
events = st.one_of(
    st.builds(EventName, _DETERMINED, noun_phrases, ascii_words),
    st.builds(EventName, _DETERMINED, noun_phrases, st.just("changes"), noun_phrases),
)
handlers = st.builds(Handler, events, _BODIES)
_counts = st.integers(0, 100_000)
givens = st.one_of(
    st.builds(Given, st.just("is"), noun_phrases, value=values),
    st.builds(Given, st.just("in"), noun_phrases, value=values),
    st.builds(Given, st.just("seeded"), noun_phrases, count=_counts, seed=_counts),
    st.builds(
        Given,
        st.just("happens"),
        noun_phrases,
        determiner=st.sampled_from([Determiner.A, Determiner.AN]),
        state=ascii_words,
        arguments=st.lists(arguments, max_size=3).map(tuple),
    ),
    st.integers(1, 1000).flatmap(
        lambda whole: st.builds(
            Given,
            st.just("share"),
            noun_phrases,
            state=ascii_words,
            share=st.integers(0, whole).map(lambda part: (part, whole)),
            of=noun_phrases,
        )
    ),
)
scripts = st.lists(st.one_of(statements, handlers, givens), max_size=5).map(
    lambda items: Script(tuple(items))
)
targets = st.builds(Target, st.none() | st.sampled_from(list(Determiner)), noun_phrases, st.booleans())
names = st.builds(ProcedureName, verbs, targets, st.none() | targets)
