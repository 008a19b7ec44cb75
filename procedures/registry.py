"""The procedure registry: English names -> Python functions, and calls -> procedures.

``@registry.procedure("to send an *SMS* message")`` registers a function in a
``Registry`` (each book has its own) under its English name, read the way
Kognitos reads it: ``to``, a verb, then a noun phrase after
an optional determiner; ``some`` means the procedure yields a list; ``( )`` marks
the output concept (a result with no output concept is "the answer"); ``*...*``
marks a proper noun. A name may end in ``to`` and a second noun phrase, for
procedures that turn a value into something: ``to convert a *text* to a (date)``.

Parameters map to input concepts by name (``sender_number`` is "the sender
number") and must be documented under ``Input Concepts`` in the docstring. A few
parameters are special: one typed ``Filter[C]`` makes the procedure
filter-capable, over the concept ``C`` (a bare ``grammar.Filter`` is over the
concept of the list it returns), ``limit`` lets it take ``the first N``, one
named after the procedure's noun (``sms_message`` for "an *SMS* message")
receives the thing a call such as ``redact the SMS message`` refers to, and one
typed ``Context`` receives the run's context. Mistakes are caught when the
decorator runs, that is when the module is imported.

What a procedure is, explicitly (``Procedure``): ``plural``, its name says
``some`` (calls may name many, or one with ``a``); ``many``, it yields a list of
them (``to read some (*SMS* messages)``), where a plural procedure that yields
one value answers something about them (``to count some (*SMS* messages)``
gives a number: "the answer", not "the SMS messages"); ``concept``, what its
noun and its filter are about; and ``prepare``, an optional hook that turns the
bound filter, the limit and the context into what the procedure takes (the
Twilio book's plan of a read), so that running a call and explaining it prepare
it the same way (``Runner.prepare``).

>>> registry = Registry()
>>> @registry.procedure("to greet a person")
... def greet(name: str) -> str:
...     '''Greets someone.
...
...     Input Concepts:
...         the name: Who to greet.
...     '''
...     return f"Hello, {name}"
>>> registry.find("greet a person").english
'to greet a person'
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from grammar import (
    BookError,
    Call,
    Determiner,
    EnglishSyntaxError,
    EventName,
    Filter,
    NounPhrase,
    ProcedureName,
    Span,
    parse_name,
)
from grammar.node import Record
from procedures.annotations import is_filter, over
from procedures.concepts import Concept, a, called, field_of, refers_to
from procedures.context import Context
from procedures.conversations import Conversation, expand
from procedures.docstrings import Docstring, read_docstring
from procedures.effects import Effect
from procedures.errors import (
    RegistrationError,
    RunError,
    UnknownArgumentError,
    UnknownCallError,
    UnknownEventError,
    ValueTypeError,
)
from procedures.events import Event, build_event
from procedures.kinds import Kind, Type, type_of
from procedures.names import closest, noun_key, plural_of, same_noun, split_owner, words_of
from procedures.verbs import related

__all__ = ["Input", "Procedure", "Registry", "Waiter"]

F = TypeVar("F", bound=Callable[..., Any])


class Input(Record):
    """An input concept of a procedure: ``the sender number`` for ``sender_number``."""

    english: str
    parameter: str
    type: Type
    required: bool
    description: str


_MARKUP = str.maketrans("", "", "*()")


class Procedure(Record):
    """A registered procedure: its English name, what it takes and what it gives."""

    english: str
    name: ProcedureName
    function: Callable[..., Any]
    noun: NounPhrase  # what calls name: the target, or the result of a conversion
    plural: bool  # the name says "some": calls may name many of its noun (or one, with "a")
    output: bool  # the result is named by the noun ("( )", and a list for "some"); else "the answer"
    inputs: tuple[Input, ...]
    returns: Type
    doc: Docstring
    value: Input | None = None  # the value a conversion converts
    subject: Input | None = None  # the thing "VERB the X" refers to
    filter: str | None = None  # the filter parameter (of ``prepare``, when it has one)
    limit: str | None = None  # the limit parameter (of ``prepare``, when it has one)
    context: str | None = None  # the context parameter
    asynchronous: bool = False
    effect: Effect = Effect.READS  # what it does besides answering (effects.py)
    concept: type[Concept] | None = (
        None  # what the noun and the filter are about (Filter[C], or what it yields)
    )
    prepare: Callable[..., Any] | None = None  # (filter, limit, context) -> what the procedure takes
    prepared: str | None = None  # the parameter that takes what ``prepare`` made
    owner: NounPhrase | None = None  # "media of an SMS message": the SMS message (the subject is one)

    @property
    def said(self) -> str:
        """The name as a call is written, without the registry's markup:
        ``read some SMS messages`` for ``to read some (*SMS* messages)``."""
        return " ".join(self.english.removeprefix("to ").translate(_MARKUP).split())

    @property
    def many(self) -> bool:
        """Whether it yields many things: a list of its plural noun (else one value)."""
        return self.plural and self.returns.kind is Kind.LIST

    @property
    def key(self) -> tuple[str, str]:
        """(verb, noun key): what calls are matched on."""
        return (self.name.verb, noun_key(self.noun))

    @property
    def shape(self) -> tuple[bool, bool, bool]:
        """(conversion, takes a subject, filter-capable): procedures with the same
        key must differ in shape, or calls could not tell them apart."""
        return (self.value is not None, self.subject is not None, self.filter is not None)

    def input(self, noun: NounPhrase) -> Input:
        """The input a noun phrase names, or ``UnknownArgumentError`` with the closest inputs."""
        wanted = words_of(noun)
        for candidate in self.inputs:
            if words_of(candidate.english) == wanted:
                return candidate
        known = [candidate.english for candidate in self.inputs]
        close = closest(" ".join(wanted), known)
        raise UnknownArgumentError(
            f"'{self.said}' takes no '{noun}'; it takes "
            + (", ".join(f"the {name}" for name in known) or "nothing"),
            span=noun.span,
            hint=f"Did you mean 'the {close[0]}'?" if close else None,
            suggestions=close,
        )

    def __repr__(self) -> str:
        return f"Procedure({self.english!r})"


class Waiter(Record):
    """How a book waits on things of a concept (``wait until the SMS message is
    delivered``): ``function(thing, state, timeout, context)`` waits until the
    thing's ``field`` (its status) is ``state``, one of ``states``, or ``timeout``
    (a ``datetime.timedelta``) runs out, and gives the thing as it is then. It
    raises ``procedures.WaitError`` when the time runs out or the state can no
    longer come; in a dry run the runtime does not call it. ``english`` is how
    errors name such a thing: ``an SMS message``."""

    english: str
    concept: type[Concept]
    function: Callable[..., Any]
    states: tuple[str, ...]
    field: str = "status"

    def state(self, written: str, span: Span | None = None) -> str:
        """The state a wait names, as registered (``partially delivered`` is
        ``partially_delivered``), or ``ValueTypeError`` listing the states."""
        for state in self.states:
            if _state_words(state) == _state_words(written):
                return state
        close = closest(" ".join(_state_words(written)), [" ".join(_state_words(s)) for s in self.states])
        suggestions = [state for state in self.states if " ".join(_state_words(state)) in close]
        raise ValueTypeError(
            f"'{written}' is not a {self.field} {self.english} can be in; the {plural_of(self.field)} are: "
            + ", ".join(self.states),
            span=span,
            hint=f"Did you mean '{suggestions[0]}'?" if suggestions else None,
            suggestions=suggestions,
        )

    def __repr__(self) -> str:
        return f"Waiter({self.english!r})"


def _state_words(state: str) -> tuple[str, ...]:
    """A state's words, whatever joins them: ``partially_delivered`` is ``partially delivered``."""
    return tuple(state.lower().replace("_", " ").replace("-", " ").split())


def _is_context(annotation: Any) -> bool:
    return annotation is Context


def _parameter_key(name: str) -> str:
    return noun_key(name.replace("_", " "))


def _hints(function: Callable[..., Any], fail: Callable[[str], RegistrationError]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(function, include_extras=True)
    except Exception as exc:
        raise fail(f"its annotations cannot be resolved: {exc}") from exc


def _special(name: str, annotation: Any, specials: dict[str, Any]) -> bool:
    """Note a special parameter (context, filter, limit) in ``specials``; whether it is one."""
    if _is_context(annotation):
        specials["context"] = name
    elif is_filter(annotation):
        specials["filter"] = name
        specials["over"] = over(annotation)
    elif name == "limit":
        specials["limit"] = name
    else:
        return False
    return True


def _read_prepare(
    prepare: Callable[..., Any], fail: Callable[[str], RegistrationError]
) -> tuple[Callable[..., Any], dict[str, Any], Any]:
    """Read a prepare hook, which takes any of a filter (typed ``Filter[...]``), the
    limit and a Context: the hook called as ``(filter, limit, context)``, its special
    parameters, and the type it returns (which one of the procedure's parameters takes)."""
    hints = _hints(prepare, fail)
    roles: dict[str, Any] = {}
    for parameter in inspect.signature(prepare).parameters.values():
        if not _special(parameter.name, hints.get(parameter.name), roles):
            raise fail(
                f"its prepare hook {_where(prepare)} takes {parameter.name!r}; a prepare hook takes "
                "a filter (typed Filter[...]), 'limit' and a Context, nothing else"
            )
    if hints.get("return") in (None, type(None)):
        raise fail(f"its prepare hook {_where(prepare)} needs a return annotation, which a parameter takes")
    names = {role: roles[role] for role in ("filter", "limit", "context") if role in roles}

    def hook(filter: Filter | None, limit: int | None, context: Context) -> Any:
        given = {"filter": filter, "limit": limit, "context": context}
        return prepare(**{name: given[role] for role, name in names.items()})

    return hook, roles, hints["return"]


def build(
    function: Callable[..., Any],
    english: str,
    effect: Effect = Effect.READS,
    prepare: Callable[..., Any] | None = None,
) -> Procedure:
    """Read a function and its English name into a ``Procedure`` (``RegistrationError`` when wrong)."""
    where = f"{function.__module__}.{function.__qualname__}"

    def fail(message: str, hint: str | None = None) -> RegistrationError:
        return RegistrationError(f"procedure '{english}' ({where}): {message}", hint=hint)

    if not english.lower().startswith("to "):
        raise fail("an English name starts with 'to', as in 'to send an *SMS* message'")
    try:
        name = parse_name(english)
    except EnglishSyntaxError as exc:
        raise fail(f"the name does not parse: {exc.message}", hint=exc.hint) from exc
    matched = name.result or name.target
    plural = matched.determiner is Determiner.SOME
    hints = _hints(function, fail)
    if "return" not in hints:
        raise fail("it needs a return annotation, so the English knows what it gives")
    try:
        returns = (
            type_of(hints["return"]) if hints["return"] is not type(None) else Type(Kind.ANY, optional=True)
        )
    except TypeError as exc:
        raise fail(f"its return type: {exc}") from exc
    doc = read_docstring(function.__doc__)

    inputs: list[Input] = []
    specials: dict[str, Any] = {}
    hook, hooked, prepared_type = _read_prepare(prepare, fail) if prepare is not None else (None, {}, None)
    owned = split_owner(name.target.noun)  # "the media of an SMS message": the subject is an SMS message
    target_key = noun_key(owned[2] if owned is not None else name.target.noun)
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD, parameter.POSITIONAL_ONLY):
            raise fail(f"parameter {parameter.name!r} must be an ordinary (keyword) parameter")
        annotation = hints.get(parameter.name)
        if annotation is None:
            raise fail(f"parameter {parameter.name!r} needs a type annotation")
        if prepared_type is not None and annotation == prepared_type:
            specials["prepared"] = parameter.name
            continue
        if _special(parameter.name, annotation, specials):
            if prepare is not None and ("filter" in specials or "limit" in specials):
                raise fail(
                    f"parameter {parameter.name!r}: its prepare hook takes the filter and the limit; "
                    "the procedure takes what the hook makes of them"
                )
            continue
        try:
            kind = type_of(annotation)
        except TypeError as exc:
            raise fail(f"parameter {parameter.name!r}: {exc}") from exc
        required = parameter.default is inspect.Parameter.empty
        english_name = parameter.name.replace("_", " ")
        entry = Input(english_name, parameter.name, kind, required, doc.inputs.get(english_name, ""))
        if _parameter_key(parameter.name) == target_key and name.target is not matched:
            specials["value"] = entry
        elif _parameter_key(parameter.name) == target_key and name.result is None:
            specials["subject"] = entry
        elif english_name not in doc.inputs:
            raise fail(
                f"parameter {parameter.name!r} matches no input concept",
                hint=f"Document it under 'Input Concepts:' as 'the {english_name}: ...', "
                "or rename it after one that is documented.",
            )
        else:
            inputs.append(entry)
    for documented in doc.inputs:
        if documented.replace(" ", "_") not in inspect.signature(function).parameters:
            raise fail(
                f"its docstring documents 'the {documented}', but it has no parameter {documented.replace(' ', '_')!r}"
            )
    if name.result is not None and "value" not in specials:
        raise fail(
            f"it converts {name.target}, so it needs a parameter named {'_'.join(words_of(name.target.noun))!r}"
        )
    if prepare is not None and "prepared" not in specials:
        raise fail(
            f"it has a prepare hook, so one parameter takes what the hook makes: type one {prepared_type!r}"
        )
    specials.update(hooked)
    concept = _concept(specials, returns, plural, fail, owned is not None)
    if effect is not Effect.READS and "context" not in specials:
        raise fail(
            f"it {effect.value} things, so it needs a Context parameter: it must do nothing but say what it "
            "would do when context.dry_run is set",
        )
    return Procedure(
        english,
        name,
        function,
        matched.noun,
        plural,
        matched.output and (returns.kind is Kind.LIST or not plural),
        tuple(inputs),
        returns,
        doc,
        value=specials.get("value"),
        subject=specials.get("subject"),
        filter=specials.get("filter"),
        limit=specials.get("limit"),
        context=specials.get("context"),
        asynchronous=inspect.iscoroutinefunction(function),
        effect=effect,
        concept=concept,
        owner=owned[2] if owned is not None else None,
        prepare=hook,
        prepared=specials.get("prepared"),
    )


def _concept(
    specials: dict[str, Any],
    returns: Type,
    plural: bool,
    fail: Callable[..., RegistrationError],
    owned: bool = False,
) -> type[Concept] | None:
    """What a procedure's noun and filter are about: the concept of its ``Filter[C]``,
    else that of what it yields (of its items, for a list); ``RegistrationError``
    when a filter is over nothing, or "some" things come back as one of them."""
    listed = returns.kind is Kind.LIST
    returned = returns.item if listed else returns
    yielded = returned.concept if returned is not None else None
    filtered = specials.get("over")
    if "filter" in specials and filtered is None and not (listed and yielded is not None):
        raise fail(
            "a filter-capable procedure must return a list of a concept, whose fields the filter names, "
            "or say which concept its filter is over: Filter[Concept]",
            hint="Annotate the return type as list[...], or the filter as Filter[...].",
        )
    if "filter" in specials and not (plural or listed) and not (owned and filtered is not None):
        raise fail(
            "a filter-capable procedure must return a list, unless it acts on a part of one thing its "
            "filter finds ('to set the *SMS* URL of a phone number', with a Filter[...] of them)",
            hint="Annotate the return type as list[...].",
        )
    if plural and not listed and returns.kind is Kind.CONCEPT:
        raise fail(
            "a procedure of 'some' things must return a list of them, or one answer about them (a number)",
            hint="Annotate the return type as list[...].",
        )
    if listed and filtered is not None and yielded is not None and yielded is not filtered:
        raise fail(f"its filter is over {filtered.__name__}, but it returns {yielded.__name__} items")
    return filtered or yielded


class Registry:
    """A vocabulary of procedures, looked up by English name or matched to calls,
    and the events a script's ``when ...`` blocks may name (events.py)."""

    def __init__(self) -> None:
        self._by_name: dict[str, Procedure] = {}
        self._events: dict[str, Event] = {}
        self._waiters: dict[type[Concept], Waiter] = {}
        self._conversations: list[Conversation] = []

    def waits(
        self,
        english: str,
        concept: type[Concept],
        function: Callable[..., Any],
        *,
        states: Iterable[str],
        field: str = "status",
    ) -> Waiter:
        """Register how to wait on things of a concept (see ``Waiter``):
        ``registry.waits("an *SMS* message", SmsMessage, wait_for_message, states=STATUSES)``;
        ``function`` is asynchronous; ``field`` is the concept's field the states are of."""
        words = english.split()
        where = f"wait on '{english}' ({_where(function)})"
        if (
            len(words) < 2
            or words[0].lower() not in ("a", "an")
            or not refers_to(" ".join(words[1:]), concept)
        ):
            raise RegistrationError(
                f"{where}: name one {concept.english} with 'a' or 'an', as in 'an *SMS* message'"
            )
        if not inspect.iscoroutinefunction(function):
            raise RegistrationError(f"{where}: the function that waits must be asynchronous (async def)")
        listed = tuple(states)
        if not listed or any(not _state_words(state) for state in listed):
            raise RegistrationError(f"{where}: it needs the states it can wait for")
        try:
            field_of(concept, NounPhrase.of(field))
        except BookError as exc:
            raise RegistrationError(f"{where}: {exc.message}") from exc
        found = Waiter(" ".join(words).replace("*", ""), concept, function, listed, field)
        previous = self._waiters.get(concept)
        if previous is not None and not _same_function(previous.function, function):
            raise RegistrationError(
                f"{where}: waiting on a {concept.english} is registered already, by {_where(previous.function)}"
            )
        self._waiters[concept] = found
        return found

    @property
    def waiters(self) -> list[Waiter]:
        """How this registry waits, one per concept, by English name."""
        return sorted(self._waiters.values(), key=lambda waiter: waiter.english)

    def waiter(self, thing: Any, what: str, span: Span | None = None) -> Waiter:
        """The waiter of a thing's concept, or ``RunError`` naming what can be waited
        on; ``what`` is how the English named the thing (``the greeting``)."""
        for concept in type(thing).__mro__ if isinstance(thing, Concept) else ():
            if concept in self._waiters:
                return self._waiters[concept]
        known = [f"{waiter.english}'s {waiter.field}" for waiter in self.waiters]
        things = [waiter.english for waiter in self.waiters]
        if isinstance(thing, list):
            kind = f"a list of {len(thing)}"
        elif isinstance(thing, Concept):
            kind = a(called(type(thing)))
        elif isinstance(thing, str):
            kind = "text"
        else:
            kind = "nothing" if thing is None else f"a {type(thing).__name__}"
        raise RunError(
            f"there is no waiting on '{what}', {kind}: "
            + (f"a wait is for {' or '.join(known)}" if known else "this book waits on nothing"),
            span=span,
            hint="Wait for one at a time: process each of them as follows, and wait in the block."
            if isinstance(thing, list)
            else f"Name {' or '.join(things)} (one read, or the current item of a loop or a 'when' block)."
            if things
            else None,
        )

    def event(self, english: str, concept: type[Concept]) -> Event:
        """Register an event: ``registry.event("when an *SMS* message is received", SmsMessage)``."""
        found = build_event(english, concept)
        for other in self._events.values():
            if other.english != english and other.matches(found.name):
                raise RegistrationError(
                    f"the events '{english}' and '{other.english}' would answer the same blocks"
                )
        self._events[english] = found
        return found

    def conversation(self, noun: str, things: str, fields: Iterable[str]) -> Conversation:
        """Declare what ``the NOUN with VALUE`` reads: ``registry.conversation("conversation",
        "*SMS* messages", ["sender number", "recipient number"])`` (conversations.py)."""
        return self._converse(Conversation.of(noun, things, list(fields)))

    def _converse(self, found: Conversation) -> Conversation:
        for other in self._conversations:
            if other == found:
                return other
            if same_noun(other.noun, found.noun) or same_noun(other.things, found.things):
                raise RegistrationError(
                    f"the conversations '{found.noun}' and '{other.noun}' would answer the same calls"
                )
        self._conversations.append(found)
        return found

    @property
    def conversations(self) -> list[Conversation]:
        """The declared conversations."""
        return list(self._conversations)

    def expand(self, call: Call) -> Call:
        """The call a call with a partner (``the conversation with "+1..."``) means;
        any other call as it is. A partner on a call whose procedure takes no
        filter (``send an SMS message with "+1..."``) is an error at the partner."""
        expanded = expand(call, self._conversations)
        if call.partner is not None:
            try:
                takes = self.resolve(expanded).filter is not None
            except UnknownCallError:
                takes = False
            if not takes:
                raise RunError(
                    f"'with {call.partner}' names the other side of a conversation, which "
                    f"'{call.verb} {call.noun}' does not read",
                    span=call.partner.span or call.span,
                    hint='Read or count a conversation: read the conversation with "+1..."; '
                    'to send to a number, give it as an argument: the recipient number is "+1...".',
                )
        return expanded

    @property
    def events(self) -> list[Event]:
        """The registered events, by English name."""
        return sorted(self._events.values(), key=lambda event: event.english)

    def resolve_event(self, name: EventName) -> Event:
        """The event a ``when ...`` block names, or ``UnknownEventError`` naming the known ones."""
        for event in self._events.values():
            if event.matches(name):
                return event
        known = [event.english for event in self.events]
        close = closest(str(name), known)
        raise UnknownEventError(
            f"no event answers to '{name}'; "
            + (f"the events are: {', '.join(known)}" if known else "this book has no events"),
            span=name.span,
            hint=f"Did you mean '{close[0]}'?" if close else None,
            suggestions=close,
        )

    def procedure(
        self,
        english: str,
        *,
        effect: Effect = Effect.READS,
        prepare: Callable[..., Any] | None = None,
    ) -> Callable[[F], F]:
        """Register the decorated function under ``english`` (see the module's docstring);
        ``effect``: whether it creates or changes things (effects.py), which the
        runtime counts against what a run may do unasked; ``prepare``: a hook that
        takes the call's filter, limit and context (any of them) and makes what the
        procedure takes in the parameter typed as the hook's return type."""

        def register(function: F) -> F:
            self.add(build(function, english, effect, prepare))
            return function

        return register

    def add(self, entry: Procedure) -> Procedure:
        """Add a built procedure; ``RegistrationError`` when its name or its key and shape are taken."""
        previous = self._by_name.get(entry.english)
        if previous is not None and not _same_function(previous.function, entry.function):
            raise RegistrationError(
                f"the English name '{entry.english}' is registered twice: by "
                f"{_where(previous.function)} and by {_where(entry.function)}"
            )
        for other in self._by_name.values():
            if other.english != entry.english and other.key == entry.key and other.shape == entry.shape:
                raise RegistrationError(
                    f"'{entry.english}' and '{other.english}' would answer the same calls",
                    hint="Give one of them another verb or noun.",
                )
        self._by_name[entry.english] = entry
        return entry

    def merge(self, other: Registry) -> Registry:
        """Add every procedure, event and waiter of ``other``."""
        for entry in other:
            self.add(entry)
        for event in other.events:
            self.event(event.english, event.concept)
        for conversation in other.conversations:
            self._converse(conversation)
        for waiter in other.waiters:
            self.waits(
                waiter.english,
                waiter.concept,
                waiter.function,
                states=waiter.states,
                field=waiter.field,
            )
        return self

    def __iter__(self) -> Iterator[Procedure]:
        return iter(sorted(self._by_name.values(), key=lambda entry: entry.english))

    def __len__(self) -> int:
        return len(self._by_name)

    def __contains__(self, english: object) -> bool:
        return english in self._by_name

    def __getitem__(self, english: str) -> Procedure:
        return self._by_name[english]

    def find(self, sentence: str) -> Procedure:
        """The procedure a one-line call resolves to: ``registry.find("read some SMS messages")``."""
        from grammar import parse_script

        (call,) = parse_script(sentence).statements
        if not isinstance(call, Call):
            raise TypeError(f"{sentence!r} is not a call")
        return self.resolve(call)

    def resolve(self, call: Call) -> Procedure:
        """The procedure a call names, by verb and noun (singular or plural), and,
        among procedures of the same verb and noun, by the call's shape: a filter
        needs a filter-capable procedure, ``the X`` prefers one that takes the X,
        a value before ``to`` needs a conversion."""
        candidates = [
            entry
            for entry in self._by_name.values()
            if entry.name.verb == call.verb
            and same_noun(entry.noun, call.noun)
            and (entry.value is not None) == (call.value is not None)
        ]
        if call.filter is not None:
            candidates = [entry for entry in candidates if entry.filter is not None]
        if candidates:
            wants_subject = call.determiner is Determiner.THE and call.first is None and call.filter is None
            candidates.sort(key=lambda entry: (entry.subject is None) == wants_subject)
            return candidates[0]
        raise self._unknown(call)

    def _unknown(self, call: Call) -> UnknownCallError:
        said = f"{call.verb} {call.noun}" if call.value is None else f"{call.verb} ... to {call.noun}"
        # only procedures that do what the verb asks: "list" may be "read", never "delete"
        names = {
            f"{entry.name.verb} {' '.join(words_of(entry.noun))}": entry.said
            for entry in self
            if related(call.verb, entry.name.verb)
        }
        suggestions = [names[key] for key in closest(" ".join([call.verb, *words_of(call.noun)]), names)]
        takers = [entry.said for entry in self if entry.key == (call.verb, noun_key(call.noun))]
        if takers and call.filter is not None:
            message = f"'{said}' cannot take a 'whose' filter: {', '.join(takers)} takes none"
        elif takers:
            message = f"'{said}' does not fit {', '.join(takers)}"
        else:
            message = f"no procedure answers to '{said}'"
        suggestions = suggestions or takers
        ordering = {"sorted", "ordered", "oldest", "newest"} & {word.lower() for word in words_of(call.noun)}
        if ordering and not takers:
            message += f" ({ORDERING})"
        return UnknownCallError(
            message,
            span=call.span,
            hint=f"Did you mean '{suggestions[0]}'?"
            if suggestions
            else "The procedures' verbs are: "
            + ", ".join(sorted({entry.name.verb for entry in self}))
            + " (the vocabulary lists every procedure, with examples).",
            suggestions=suggestions,
        )


ORDERING = (
    "lists come newest first; write 'oldest first' at the end of the call (after its filter) to turn "
    "them around, or 'the oldest N'; sorting by another field is not in the language"
)


def _where(function: Callable[..., Any]) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def _same_function(one: Callable[..., Any], other: Callable[..., Any]) -> bool:
    """The same function, possibly from a reloaded module."""
    return one is other or _where(one) == _where(other)
