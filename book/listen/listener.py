"""What ``book listen`` does with an event, however it arrived (a webhook, or a poll):
the handlers of a script run for it at most once, as the record of events says.

``Listener.received(message, queue=...)`` and ``Listener.status(message)`` take an
``SmsMessage`` and give a ``Handled``: what ran and how it went, which the
command logs. Each event's key is claimed before its handlers run and done after
them, with the replies they made; the answer (TwiML, or the queued sends of the
poller) is made from that record only once it is on disk. So a webhook Twilio
sends again, or a message polled again after a restart, runs nothing, and a
webhook sent again is answered with the replies recorded the first time.

A handler that cannot change anything outside (no procedure of it sends or
changes; ``reply with`` is kept, not sent, until ``done``) is claimed with
``rerun``: when its process dies before ``done``, the next one runs it again,
since nothing it did went out. Any other handler interrupted so is *unknown*:
reported, never run again behind anyone's back.

Handlers run concurrently up to ``concurrency``; one that fails is recorded with
its error (``failed: ...``), and the event is done: it is not run again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from xml.sax.saxutils import escape

from book.errors import ListenError
from book.listen.store import MOST_REPLIES, EventStore, Key, Outgoing
from book.resources.messages import MESSAGES, SID, SmsMessage, WireMessage
from grammar import BookError, parse_event
from procedures import Session

__all__ = ["RECEIVED", "STATUS", "Handled", "Listener", "message_from", "twiml"]

logger = logging.getLogger("book.listen")

RECEIVED = "when an SMS message is received"
STATUS = "when an SMS message's status changes"
EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'

Kind = Literal["received", "status"]


@dataclass(frozen=True)
class Handled:
    """What happened to one event: its kind, message, what ran, and the outcome:
    ``ok``, ``failed: ...``, ``no handler``, ``handled before`` (a key done already),
    or ``unknown`` (a key an earlier process started and never finished)."""

    kind: Kind
    sid: str
    sender: str
    status: str
    outcome: str
    ran: int = 0
    replies: tuple[str, ...] = ()
    said: tuple[str, ...] = ()
    retaken: bool = False
    at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def failed(self) -> bool:
        return self.outcome.startswith("failed")

    def to_dict(self) -> dict[str, Any]:
        """The event as a JSON line's data."""
        return {
            "time": self.at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "event": self.kind,
            "sid": self.sid,
            "sender_number": self.sender,
            "status": self.status,
            "ran": self.ran,
            "outcome": self.outcome,
            "replies": list(self.replies),
            "said": list(self.said),
            "rerun": self.retaken,
        }

    def line(self) -> str:
        """The event in one line, for people."""
        when = self.at.strftime("%H:%M:%S")
        what = f"{self.kind} {self.sid} from {self.sender}"
        if self.kind == "status":
            what = f"status {self.status} of {self.sid}"
        ran = f"ran {self.ran} handler{'s' if self.ran != 1 else ''}" if self.ran else "ran nothing"
        replied = f", replied {len(self.replies)}" if self.replies else ""
        again = " (run again: its process had died first)" if self.retaken else ""
        return f"{when} {what}: {ran}{replied}{again}: {self.outcome}"


def message_from(params: Mapping[str, str], kind: Kind) -> SmsMessage:
    """The message a webhook's form is about, as the concept handlers read: the
    parameters Twilio sends (``MessageSid``, ``From``, ``To``, ``Body``,
    ``SmsStatus``/``MessageStatus``, ``ErrorCode``, ...). ``ListenError`` when the
    form is not one of Twilio's messages."""
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    if not SID.fullmatch(sid):
        raise ListenError(f"the request names no message: MessageSid {sid[:40]!r} is not a message's sid")
    status = (
        params.get("MessageStatus") or params.get("SmsStatus") or ("received" if kind == "received" else "")
    )
    code = params.get("ErrorCode") or None
    wire: dict[str, Any] = {
        "sid": sid,
        "account_sid": params.get("AccountSid") or None,
        "messaging_service_sid": params.get("MessagingServiceSid") or None,
        "from": params.get("From") or None,
        "to": params.get("To") or None,
        "body": params.get("Body") if kind == "received" else None,
        "status": status or None,
        "direction": "inbound" if kind == "received" else None,
        "num_segments": params.get("NumSegments") or None,
        "num_media": params.get("NumMedia") or None,
        "error_code": int(code) if code and code.isdigit() and len(code) < 10 else None,
        "api_version": params.get("ApiVersion") or None,
    }
    try:
        return MESSAGES.from_wire(WireMessage.model_validate(wire))
    except (ValueError, TypeError) as exc:
        raise ListenError(f"the request's message {sid} cannot be read: {exc}") from None


def twiml(replies: Sequence[str]) -> str:
    """The TwiML that answers an inbound message with ``replies`` (none: empty)."""
    if not replies:
        return EMPTY
    verbs = "".join(f"<Message>{escape(reply)}</Message>" for reply in replies)
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{verbs}</Response>'


class Listener:
    """Runs a session's handlers for events, each once (see the module's docstring).
    ``source``: the script's text, to point at the line of a handler's error;
    ``log``: called with each event handled; ``statuses``: told of each status."""

    def __init__(
        self,
        session: Session,
        store: EventStore,
        *,
        source: str = "",
        concurrency: int = 8,
        log: Callable[[Handled], None] = lambda handled: None,
        statuses: Callable[[str, str], None] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be 1 or more")
        self.session = session
        self.store = store
        self.source = source
        self.log = log
        self.statuses = statuses
        self._slots = asyncio.Semaphore(concurrency)
        self._rerunnable: dict[Kind, tuple[int, bool]] = {}  # by kind: (blocks seen, whether they can rerun)
        self._events = {
            kind: session.registry.resolve_event(parse_event(name)) for kind, name in _NAMES.items()
        }

    def handles(self, kind: Kind) -> int:
        """How many of the script's blocks answer events of ``kind``."""
        return sum(1 for event, _ in self.session.handlers if event == self._events[kind])

    def rerunnable(self, kind: Kind) -> bool:
        """Whether the blocks for ``kind`` can be run again after a crash: none of
        them sends or changes anything (replies wait for ``done``). Worked out once
        for the blocks the session has, not for every event."""
        known = self._rerunnable.get(kind)
        if known is not None and known[0] == len(self.session.handlers):
            return known[1]
        runner = self.session.runner()
        answer = not any(
            runner.effects_within(handler.body)
            for event, handler in self.session.handlers
            if event == self._events[kind]
        )
        self._rerunnable[kind] = (len(self.session.handlers), answer)
        return answer

    async def received(
        self, message: SmsMessage, *, queue: bool = False, since: str | None = None
    ) -> Handled:
        """Handle an inbound message. ``queue``: its replies are queued as sends
        from the number it came to (the poller's way), not only recorded for a
        TwiML answer; ``since``: its ``date_created`` (ISO 8601), where a search for
        a reply in doubt begins."""
        sid = message.sid or ""
        key = ("received", sid)
        outgoing: Callable[[list[str]], list[Outgoing]] | None = None
        if queue:
            sender, recipient = str(message.recipient_number or ""), str(message.sender_number or "")
            start = since or dt.datetime.now(dt.UTC).isoformat()

            def outgoing(replies: list[str]) -> list[Outgoing]:
                return [Outgoing(sender, recipient, reply, start) for reply in replies]

        return await self._handle("received", key, message, outgoing)

    async def status(self, message: SmsMessage) -> Handled:
        """Handle a status callback: its blocks run once per message and status."""
        sid, status = message.sid or "", message.status or ""
        if self.statuses is not None and sid and status:
            self.statuses(sid, status)
        return await self._handle("status", ("status", sid, status or "unknown"), message, None)

    async def _handle(
        self,
        kind: Kind,
        key: Key,
        message: SmsMessage,
        outgoing: Callable[[list[str]], list[Outgoing]] | None,
    ) -> Handled:
        about = Handled(kind, message.sid or "", str(message.sender_number or ""), message.status or "", "")
        blocks = self.handles(kind)
        if not blocks:
            return self._logged(replace(about, outcome="no handler"))
        previous = self.store.record(key)
        if previous is not None and previous.state == "done":  # cheap: no write for what is done
            return self._logged(replace(about, outcome="handled before", replies=previous.replies))
        claim = await asyncio.to_thread(self.store.claim, key, rerun=self.rerunnable(kind))
        if not claim:
            record = claim.record
            if record.state == "done":
                return self._logged(replace(about, outcome="handled before", replies=record.replies))
            return self._logged(
                replace(
                    about,
                    outcome=f"unknown: process {record.pid} started it at "
                    f"{record.started.isoformat(timespec='seconds')} and never finished",
                )
            )
        replies: list[str] = []

        async def reply(text: str) -> None:
            if len(replies) == MOST_REPLIES:
                raise ListenError(
                    f"a handler answers a message with at most {MOST_REPLIES} replies",
                    hint="Join the texts into fewer replies.",
                )
            replies.append(text)

        async with self._slots:
            try:
                answer = reply if kind == "received" else None  # a status callback's answer goes nowhere
                result = await self.session.handle(self._events[kind].name, message, reply=answer)
                outcome, said = "ok", result.said
            except BookError as error:
                located = error.locate(self.source) if self.source else error
                outcome, said, replies = f"failed: {_line(located)}", (), []
            except Exception as error:  # a fault in a procedure: recorded, logged, and the listener goes on
                logger.exception("the handler for %s failed unexpectedly", about.sid)
                outcome, said, replies = f"failed: {type(error).__name__}: {error}", (), []
        queued = outgoing(replies) if outgoing is not None else []
        await asyncio.to_thread(self.store.done, key, outcome, replies, queued)
        return self._logged(
            replace(
                about, outcome=outcome, ran=blocks, replies=tuple(replies), said=said, retaken=claim.retaken
            )
        )

    def _logged(self, handled: Handled) -> Handled:
        self.log(handled)
        return handled


_NAMES: dict[Kind, str] = {"received": RECEIVED, "status": STATUS}


def _line(error: BookError) -> str:
    """An error in one line: where, what."""
    where = f"line {error.line}: " if getattr(error, "line", None) else ""
    return where + error.message
