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

The inflector's rules are English's regular ones, and a few nouns defeat them
("campus" reads as the plural of "campu"), so two heads also match when one is
the other with "s" or "es" added: a lenient comparison, never a key.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from grammar import NounPhrase

__all__ = ["closest", "noun_key", "plural_of", "same_noun", "singular_words", "words_of"]


def words_of(noun: NounPhrase | str) -> tuple[str, ...]:
    """The words of a noun phrase, in lower case, without asterisks, split at underscores."""
    text = " ".join(noun.words) if isinstance(noun, NounPhrase) else noun
    text = unicodedata.normalize("NFC", text)  # "café" typed as e + a combining accent is still "café"
    return tuple(text.replace("*", "").replace("_", " ").lower().split())


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


def plural_of(noun: str) -> str:
    """A noun phrase with its last word in the plural, by the regular rules of
    English (what the book says counts with: "2 campuses", "3 SMS messages")."""
    head = noun.rsplit(" ", 1)[-1]
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
    if {words_of(one), singular_words(one)} & {words_of(other), singular_words(other)}:
        return True
    mine, theirs = words_of(one), words_of(other)
    if not mine or len(mine) != len(theirs) or mine[:-1] != theirs[:-1] or _proper(one) or _proper(other):
        return False
    return _suffixed(mine[-1], theirs[-1]) or _suffixed(theirs[-1], mine[-1])


def _proper(noun: NounPhrase | str) -> bool:
    raw = noun.words[-1] if isinstance(noun, NounPhrase) else (noun.split() or [""])[-1]
    return raw.startswith("*")


def _suffixed(word: str, plural: str) -> bool:
    """``plural`` is ``word`` with "s" or "es" added: campus, campuses."""
    return plural in (word + "s", word + "es")


def closest(word: str, known: Iterable[str], n: int = 3) -> list[str]:
    """The known names closest to ``word``, best first (for "Did you mean ...?")."""
    return difflib.get_close_matches(word, list(known), n=n, cutoff=0.5)
