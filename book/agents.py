"""The book for AI agents over the Model Context Protocol (``book mcp``).

Three tools, whose input is English, so that an agent needs no schema of
Twilio's: ``run`` (steps in the agent's session, which keeps what earlier steps
named and read), ``explain`` (how a read would be answered, without a request)
and ``vocabulary`` (the procedures, events, concepts and fields, with examples).
Their descriptions carry the vocabulary in brief, so the tool list alone teaches
the English. Resources: the vocabulary page, and one page per procedure.

A session keeps what earlier steps named and read. Each answer names its
session; a step continues the one it names (on stdio, with none named, the
server's one session; over HTTP, a new one).

A step that would change more than one existing message, or send more than the
limit, does nothing and answers everything it would do (kind ``confirmation``,
with ``would`` and ``total``): the agent confirms by calling ``run`` again with
``confirm`` set to that total, or, where the client supports elicitation, the
person at the client is asked. A confirmed step may do exactly what was shown:
if it would now do more, it is refused again.

What a step says is in its answer, never on stdout (on stdio that would break
the protocol); logs go to stderr.
Built on the official ``mcp`` SDK, an optional extra (``sms-book[mcp]``).
"""

from __future__ import annotations

import json
import secrets
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Annotated, Any

from mcp.server.mcpserver import (
    AcceptedElicitation,
    Context,
    Elicit,
    ElicitationResult,
    MCPServer,
    Resolve,
)
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field, create_model

from grammar import BookError
from procedures import Registry, Session, vocabulary, vocabulary_markdown
from procedures.concepts import fields_of
from procedures.effects import ConfirmationError

__all__ = ["NAME", "Answer", "server"]

NAME = "sms-book"

_SESSIONS: weakref.WeakKeyDictionary[MCPServer, Sessions] = weakref.WeakKeyDictionary()
"""Each server's sessions, for what runs before its tools (``consent``)."""


class Answer(BaseModel):
    """What ``run`` answers: the step's result and what it said, or its error
    (with ``isError``); as ``Session.step`` answers (procedures/step.schema.json)."""

    result: Any = Field(
        default=None, description="The value of the last statement (things by their field names)."
    )
    said: list[str] | None = Field(default=None, description="Every line the step said.")
    error: dict[str, Any] | None = Field(
        default=None,
        description="kind, message, line, column, hint, suggestions (and would/total to confirm).",
    )
    session: str | None = Field(
        default=None, description="The session: give it to the next step to continue."
    )


class Confirmation(BaseModel):
    """What the person at the client is asked before a step that needs confirming."""

    go_ahead: bool = Field(description="Do it: exactly what was listed.")
    total: int = Field(default=0, description="How many things it does.")


def server(
    open_session: Callable[[], Session], *, shared: bool = True, instructions: str | None = None
) -> MCPServer:
    """The MCP server of a book: ``open_session`` makes each session. ``shared``: a
    step that names no session continues the server's one (stdio, where one
    client is served); otherwise it starts a new one (HTTP, where many may be)."""
    probe = open_session()
    registry = probe.registry
    probe.close()
    sessions = Sessions(open_session, shared=shared)

    mcp = MCPServer(
        NAME,
        instructions=instructions or _INSTRUCTIONS,
        log_level="WARNING",
    )
    _SESSIONS[mcp] = sessions

    @mcp.tool(
        name="run",
        description=_run_words(registry),
        annotations=ToolAnnotations(title="Run English", destructive_hint=True, open_world_hint=True),
        structured_output=True,
    )
    async def run(
        english: Annotated[str, Field(description="One or more lines of the book's English.")],
        context: Context,
        confirm: Annotated[
            int | None,
            Field(description="The total of a confirmation answer, to go ahead with exactly what it listed."),
        ] = None,
        session: Annotated[
            str | None,
            Field(description="The session of earlier steps (each answer names it), to continue it."),
        ] = None,
        asked: Annotated[ElicitationResult[Confirmation], Resolve(consent)] = None,  # type: ignore[assignment]
    ) -> Annotated[CallToolResult, Answer]:
        named, found = sessions.get(session)
        if found is None:
            return _result({"error": _unknown_session(named)})

        def allowed(refusal: ConfirmationError) -> bool:
            total: int = sum(entry["count"] for entry in refusal.would)
            if confirm is not None:
                return confirm == total
            given = asked.data if isinstance(asked, AcceptedElicitation) else None  # None: not asked
            return isinstance(given, Confirmation) and given.go_ahead and given.total == total

        found.confirm = allowed
        try:
            answer = await found.astep(english)
        finally:
            found.confirm = None
        error = answer.get("error")
        if error is not None and error.get("kind") == "confirmation":
            error["hint"] = (
                f"Nothing was done. To go ahead with exactly this, call run again with the same english and "
                f"confirm={error['total']}."
                + (f" (confirm={confirm} does not match.)" if confirm is not None else "")
            )
        return _result({**answer, "session": named})

    @mcp.tool(
        name="explain",
        description=_EXPLAIN,
        annotations=ToolAnnotations(title="Explain a read", read_only_hint=True),
        structured_output=False,
    )
    async def explain(
        english: Annotated[str, Field(description="The read to explain.")],
        session: Annotated[str | None, Field(description="The session whose names the read may use.")] = None,
    ) -> CallToolResult:
        named, found = sessions.get(session)
        if found is None:
            return _result({"error": _unknown_session(named)})
        try:
            plan = await found.aexplain(english)
        except BookError as error:
            return _result({"error": error.to_dict()})
        return _result({"explanation": plan.explain(), "plan": plan.to_json(), "session": named})

    @mcp.tool(
        name="vocabulary",
        description=_VOCABULARY,
        annotations=ToolAnnotations(title="The book's vocabulary", read_only_hint=True),
        structured_output=False,
    )
    async def vocabulary_tool() -> CallToolResult:
        return _result(_vocabulary(registry))

    @mcp.resource("book://vocabulary", name="vocabulary", mime_type="text/markdown")
    def page() -> str:
        """The vocabulary as one page: concepts and fields, events, procedures with examples."""
        return vocabulary_markdown(registry, title="The Twilio book's vocabulary")

    for entry in vocabulary(registry):
        _procedure_resource(mcp, entry)
    return mcp


_EXPLAIN = (
    "How a read would be answered, without a request: what Twilio is asked (queries), what is checked "
    "here (the residual), where each part of the filter went. english: a read, such as read some SMS "
    'messages whose status is "failed" and whose date sent is after 2024-03-01; earlier lines may name '
    "values it uses."
)
_VOCABULARY = (
    "Every procedure (inputs, output, filter fields, examples), the events 'when' blocks name, and what "
    "'wait until' waits on."
)
_INSTRUCTIONS = (
    "Twilio SMS in plain English. Call run with English steps (one statement a line; blocks indented); "
    "the session keeps what earlier steps named and read, so 'the SMS messages' means the last ones read. "
    "Errors come back with kind, line, column and a hint: fix the English and try again. A step that would "
    "change many messages or send many does nothing and lists what it would do; run it again with confirm "
    "set to its total to go ahead. explain shows how a read is answered; vocabulary lists everything."
)


def _run_words(registry: Registry) -> str:
    """``run``'s description: the English in brief, from the registry."""
    procedures = "; ".join(entry.english.replace("*", "").removeprefix("to ") for entry in registry)
    concepts: dict[str, list[str]] = {}
    for entry in registry:
        if entry.filter is not None and entry.concept is not None:
            concepts.setdefault(entry.concept.english, [field.english for field in fields_of(entry.concept)])
    fields = " ".join(f"{concept}: {', '.join(names)}." for concept, names in concepts.items())
    events = "; ".join(event.english.replace("*", "") for event in registry.events)
    return (
        "Run English steps against Twilio SMS (or the local sandbox). Procedures: "
        f"{procedures}. Filters follow 'whose': FIELD is/is not/is one of/contains/starts with/is after/"
        "is before/is between/is at least/is empty ..., joined by and, or, not. Fields of "
        f'{fields} Values: "text", 12, 2024-03-01, 2024-03-01T15:00:00Z, today, 3 days ago, the X, '
        "the SMS message's body. Statements: the X is VALUE; say VALUE; process each X as follows (block); "
        "if CONDITION then (block) else (block); the number of X whose ...; wait until the X is STATE. "
        f"Events (book listen): {events}. "
        'Examples: read the first 5 SMS messages whose status is "failed" and whose date sent is today | '
        'send an SMS message where (block) the sender number is "+15005550006" / the recipient number is '
        '"+14155550100" / the message body is "Hi". Answers: result and said, or error with kind, line, '
        "column, hint, and the session: give it back as session to keep the names of earlier steps. A step "
        "that changes many messages answers what it would do (kind confirmation, total): call again with "
        "confirm=total."
    )


def _result(answer: dict[str, Any]) -> CallToolResult:
    """A tool's answer: JSON text for the model, the same as structured content,
    ``isError`` when it is an error."""
    text = json.dumps(answer, ensure_ascii=False, allow_nan=False)
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=answer,
        is_error="error" in answer,
    )


async def consent(
    english: str, context: Context, session: str | None = None, confirm: int | None = None
) -> Elicit[Confirmation] | None:
    """Before a step that needs confirming: the person at the client is asked,
    when the client can be asked and the agent did not confirm by the total."""
    if confirm is not None or not _can_ask(context):
        return None
    refusal = await _SESSIONS[context.mcp_server].rehearsed(session, english)
    if refusal is None:
        return None
    total = sum(entry["count"] for entry in refusal.would)
    return Elicit(f"{refusal.message}. Go ahead with exactly this ({total})?", _confirmation(total))


def _can_ask(context: Context) -> bool:
    """Whether the client declared that it can ask its user (form elicitation)."""
    from mcp_types import ClientCapabilities, ElicitationCapability

    wanted = ClientCapabilities(elicitation=ElicitationCapability())
    return bool(context.request_context.session.check_client_capability(wanted))


def _confirmation(total: int) -> type[Confirmation]:
    """The form that asks: the total it confirms is fixed in it, so that an answer
    confirms exactly what was listed."""

    fixed = Field(default=total, description="How many things it does.", ge=total, le=total)
    return create_model("Asked", __base__=Confirmation, total=(int, fixed))


def _vocabulary(registry: Registry) -> dict[str, Any]:
    procedures = vocabulary(registry)
    concepts = {
        entry["filter"]["concept"]: entry["filter"]["fields"]
        for entry in procedures
        if entry["filter"] is not None
    }
    return {
        "concepts": concepts,
        "procedures": procedures,
        "events": [
            {"name": event.english.replace("*", ""), "concept": event.concept.english}
            for event in registry.events
        ],
        "waits": [
            {"on": waiter.english.replace("*", ""), "field": waiter.field, "states": list(waiter.states)}
            for waiter in registry.waiters
        ],
    }


def _procedure_resource(mcp: MCPServer, entry: dict[str, Any]) -> None:
    """One resource per procedure: its description, inputs and examples."""
    name = entry["name"].replace("*", "").removeprefix("to ")
    slug = "-".join(word for word in name.lower().replace("(", " ").replace(")", " ").split())
    text = json.dumps(entry, ensure_ascii=False, indent=2)

    def read() -> str:
        return text

    mcp.resource(
        f"book://procedures/{slug}",
        name=name,
        description=entry["description"] or name,
        mime_type="application/json",
    )(read)


class Sessions:
    """The sessions of a server, by name: made on demand, the least recently used
    closed past ``MOST`` (an agent that comes back to one gets an error that says
    to start again)."""

    MOST = 64

    def __init__(self, open_session: Callable[[], Session], *, shared: bool) -> None:
        self.open_session = open_session
        self.shared = shared
        self._open: OrderedDict[str, Session] = OrderedDict()

    def get(self, name: str | None) -> tuple[str, Session | None]:
        """The session called ``name`` (None: the shared one, or a new one)."""
        if name is None:
            name = "default" if self.shared else secrets.token_urlsafe(9)
            if name not in self._open:
                self._open[name] = self.open_session()
        found = self._open.get(name)
        if found is not None:
            self._open.move_to_end(name)
        while len(self._open) > self.MOST:
            _, oldest = self._open.popitem(last=False)
            oldest.close()
        return name, found

    async def rehearsed(self, name: str | None, english: str) -> ConfirmationError | None:
        """What would refuse ``english`` in the session called ``name`` (a new
        one, closed after, when none is named and none is shared)."""
        if name is None and not self.shared:
            with self.open_session() as fresh:
                return await fresh.arefusal(english)
        _, found = self.get(name)
        return None if found is None else await found.arefusal(english)


def _unknown_session(name: str) -> dict[str, Any]:
    return {
        "kind": "unknown session",
        "message": f"there is no session {name[:40]!r} (it was never started, or it was closed after a while)",
        "line": None,
        "column": None,
        "end_line": None,
        "end_column": None,
        "hint": "Call run without a session to start a new one; names read or given before must be read again.",
        "suggestions": [],
    }
