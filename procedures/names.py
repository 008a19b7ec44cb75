"""How noun phrases are compared: case, asterisks, underscores and plurals aside.

Two noun phrases name the same thing when their words match in lower case,
with proper-noun asterisks dropped, underscores read as spaces, and the head
(the last word) in the singular, unless the head is a proper noun, which is
kept as written (``*SMS*`` never becomes "sm").

>>> words_of(NounPhrase.of("*SMS* Messages")), singular_words(NounPhrase.of("*SMS* Messages"))
(('sms', 'messages'), ('sms', 'message'))
>>> singular_words("sender_numbers")
('sender', 'number')
>>> same_noun(NounPhrase.of("SMS messages"), NounPhrase.of("*SMS* message"))
True
>>> same_noun("campuses", "campus"), same_noun("bonus", "bonuses")
(True, True)
>>> same_noun("rat", "rates"), same_noun("note", "not")
(False, False)

The inflector's rules are English's regular ones, and a few nouns defeat them
("campus" reads as the plural of "campu", "bases" as the plural of "basis"), so
a head ending in "s" also matches itself without the "s", or without "es" after
an "s": a lenient comparison, never a key. Each noun phrase's
``forms`` are computed once, so comparing is a set intersection.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from grammar import NounPhrase
from grammar.hints import closest as closest  # the one "Did you mean ...?", the grammar's

__all__ = [
    "closest",
    "forms",
    "noun_key",
    "plural_of",
    "same_noun",
    "singular_words",
    "split_owner",
    "words_of",
]


def words_of(noun: NounPhrase | str) -> tuple[str, ...]:
    """The words of a noun phrase, in lower case, without asterisks, split at underscores."""
    return _words(" ".join(noun.words) if isinstance(noun, NounPhrase) else noun)


@lru_cache(maxsize=8192)
def _words(text: str) -> tuple[str, ...]:
    text = unicodedata.normalize("NFC", text)  # "café" typed as e + a combining accent is still "café"
    words = text.replace("*", "").replace("_", " ").lower().split()
    # "the media of the SMS message" names what "the media of an SMS message" does
    return tuple(
        word for at, word in enumerate(words) if not (at and words[at - 1] == "of" and word in _ARTICLES)
    )


_ARTICLES = frozenset({"a", "an", "the", "some"})


def split_owner(noun: NounPhrase) -> tuple[NounPhrase, str | None, NounPhrase] | None:
    """A noun phrase that names a part of something, split: ``SMS URL of a phone
    number`` is (``SMS URL``, ``a``, ``phone number``): what is named, the owner's
    article (None when it has none) and the owner. None for any other phrase.

    >>> head, article, owner = split_owner(NounPhrase.of("media of the SMS message"))
    >>> str(head), article, str(owner)
    ('media', 'the', 'SMS message')
    """
    words = noun.words
    for at in range(1, len(words) - 1):
        if words[at].lower() == "of":
            article = words[at + 1].lower() if words[at + 1].lower() in _ARTICLES else None
            rest = words[at + 2 :] if article else words[at + 1 :]
            if rest:
                return NounPhrase(words[:at], span=noun.span), article, NounPhrase(rest, span=noun.span)
    return None


@lru_cache(maxsize=4096)
def _singular(word: str) -> str:
    import inflection  # the Rails inflector's rules for English plurals

    return str(inflection.singularize(word))


def singular_words(noun: NounPhrase | str) -> tuple[str, ...]:
    """The words with the head in the singular (a proper-noun head is left alone)."""
    words = words_of(noun)
    if not words:
        return words
    raw = noun.words[-1] if isinstance(noun, NounPhrase) else noun.split()[-1]
    if raw.startswith("*"):
        return words
    return (*words[:-1], _singular(words[-1]))


_SAME_PLURAL = frozenset({"media", "data", "series", "species"})  # "3 media", not "3 medias"


def plural_of(noun: str) -> str:
    """A noun phrase with its last word in the plural, by the regular rules of
    English (what the book says counts with: "2 campuses", "3 SMS messages"),
    and a few nouns that are their own plural ("3 twilio media")."""
    head = noun.rsplit(" ", 1)[-1]
    if head.lower().strip("*") in _SAME_PLURAL:
        return noun
    if head.lower().endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    if head.lower().endswith("y") and head[-2:-1].lower() not in tuple("aeiou"):
        return noun[:-1] + "ies"
    return noun + "s"


def noun_key(noun: NounPhrase | str) -> str:
    """The key a noun phrase is filed under: its singular words, joined by spaces."""
    return " ".join(singular_words(noun))


def same_noun(one: NounPhrase | str, other: NounPhrase | str) -> bool:
    """Whether two noun phrases name the same thing (singular or plural, any case)."""
    return not forms(one).isdisjoint(forms(other))


def forms(noun: NounPhrase | str) -> frozenset[tuple[str, ...]]:
    """The forms a noun phrase matches under: two phrases name the same thing when
    they share one. Its words; its words with the head in the singular; and, for a
    head that is not a proper noun, the head without a final "s" (bases, base) or
    "es" (campuses, campus), where the inflector's rules miss.

    >>> sorted(forms("bonuses"))
    [('bonus',), ('bonuse',), ('bonuses',)]
    >>> same_noun("base", "bases"), same_noun("drive", "drives"), same_noun("bus", "busses")
    (True, True, False)
    """
    return _forms(words_of(noun), _proper(noun))


@lru_cache(maxsize=8192)
def _forms(words: tuple[str, ...], proper: bool) -> frozenset[tuple[str, ...]]:
    if not words or proper:
        return frozenset({words})
    *rest, head = words
    found = {words, (*rest, _singular(head))}
    if head.endswith("s") and not head.endswith("ss"):
        found.add((*rest, head[:-1]))  # bases, drives: the inflector reads basis, drife
    if head.endswith("ses"):
        found.add((*rest, head[:-2]))  # campuses: the inflector reads campuse
    return frozenset(found)


def _proper(noun: NounPhrase | str) -> bool:
    raw = noun.words[-1] if isinstance(noun, NounPhrase) else (noun.split() or [""])[-1]
    return raw.startswith("*")
