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
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import lru_cache

from grammar import NounPhrase

__all__ = ["closest", "noun_key", "same_noun", "singular_words", "words_of"]


def words_of(noun: NounPhrase | str) -> tuple[str, ...]:
    """The words of a noun phrase, in lower case, without asterisks, split at underscores."""
    text = " ".join(noun.words) if isinstance(noun, NounPhrase) else noun
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


def noun_key(noun: NounPhrase | str) -> str:
    """The key a noun phrase is filed under: its singular words, joined by spaces."""
    return " ".join(singular_words(noun))


def same_noun(one: NounPhrase | str, other: NounPhrase | str) -> bool:
    """Whether two noun phrases name the same thing (singular or plural, any case)."""
    return bool({words_of(one), singular_words(one)} & {words_of(other), singular_words(other)})


def closest(word: str, known: Iterable[str], n: int = 3) -> list[str]:
    """The known names closest to ``word``, best first (for "Did you mean ...?")."""
    return difflib.get_close_matches(word, list(known), n=n, cutoff=0.5)
