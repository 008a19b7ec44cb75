"""Conversations: ``read the conversation with "+14155550100"``.

A book declares what a conversation is made of: the things (``*SMS* messages``)
and the fields that name either side of one (``sender number``, ``recipient
number``). A call with a partner (``with VALUE`` after its noun) then reads those
things whose first field is the value or whose second is, as one list, oldest
first unless the call says otherwise:

- ``read the conversation with "+1..."``: all of them;
- ``read the last 20 SMS messages with "+1..."``: the newest 20 of them;
- a ``whose`` filter narrows either, and ``newest first`` turns the order around.

``expand`` rewrites such a call into the read it means, so that the procedure
that reads the things (and its plan: two queries merged, one per field) answers it.
"""

from __future__ import annotations

from collections.abc import Sequence

from grammar import And, Call, Comparison, Determiner, Filter, NounPhrase, Op, Or, Order
from grammar.node import Record
from procedures.errors import RunError
from procedures.names import same_noun, words_of

__all__ = ["Conversation", "expand"]


class Conversation(Record):
    """What ``the NOUN with VALUE`` reads: the ``things`` whose ``fields`` hold VALUE."""

    noun: NounPhrase  # "conversation"
    things: NounPhrase  # "*SMS* messages"
    fields: tuple[NounPhrase, ...]  # "sender number", "recipient number"

    @classmethod
    def of(cls, noun: str, things: str, fields: Sequence[str]) -> Conversation:
        if len(fields) < 2:
            raise ValueError("a conversation has two sides: name a field for each")
        return cls(
            NounPhrase.of(noun), NounPhrase.of(things), tuple(NounPhrase.of(field) for field in fields)
        )

    def answers(self, call: Call) -> bool:
        """Whether ``call`` reads this conversation, or its things with a partner."""
        return same_noun(call.noun, self.noun) or same_noun(call.noun, self.things)


def expand(call: Call, conversations: Sequence[Conversation]) -> Call:
    """The read a call with a partner means (the call itself when it has none);
    ``RunError`` at the partner when nothing here has two sides."""
    partner = call.partner
    if partner is None:
        return call
    found = next((conversation for conversation in conversations if conversation.answers(call)), None)
    if found is None:
        known = ", ".join(
            f"the {conversation.noun} with ..., {' '.join(words_of(conversation.things))} with ..."
            for conversation in conversations
        )
        raise RunError(
            f"'{call.noun} with {partner}': {call.noun} have no other side to name",
            span=partner.span or call.span,
            hint=f"'with' after a noun names the other side of a conversation: {known}."
            if known
            else "This book has no conversations.",
        )
    sides: Filter = Or(
        tuple(Comparison(field, Op.IS, (partner,), span=partner.span) for field in found.fields),
        span=partner.span,
    )
    listing = call.listing
    default = Order.OLDEST if call.oldest else Order.NEWEST  # a read's, once it has no partner
    whole = call.determiner is Determiner.THE and call.first is None  # "the conversation": all of it
    return call.replace(
        noun=NounPhrase(tuple(word.strip("*") for word in found.things.words), span=call.noun.span),
        determiner=Determiner.SOME if whole else call.determiner,
        partner=None,
        filter=sides if call.filter is None else And((sides, call.filter), span=call.filter.span),
        order=None if listing is default else listing,
    )
