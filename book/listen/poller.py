"""``book listen --poll``: inbound messages read from the Messages list, for a book
with no public URL (Twilio calls one webhook per number; polling needs none).

Each poll lists the account's messages sent on or after the day of the cursor's
time less ``lookback`` (Twilio filters ``DateSent`` by whole days), keeps the
inbound ones sent at or after that time, and hands each to the listener, whose
record of events runs it once whatever the poller reads twice. The cursor (in
the same record, so it survives a restart) moves to the newest ``date_sent``
handled only after every message of the poll is done. The lookback covers a
message whose ``date_sent`` is set a little after newer ones were listed. The
first start sets the cursor to the time it starts: messages from before it are
never handled.

Replies go out as sends from the number the message came to, after the
handler's outcome is on disk (``Outgoing`` in the record): one claimed as it
goes and recorded once sent. A send in doubt (the process died while making it,
or Twilio's answer was lost) is looked for first, among the messages from that
number to that customer created since the message it answers, that are not
recorded replies already; it is made only when none is found.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from book.errors import ApiError, NetworkError, OutcomeUnknownError, TwilioError, UnexpectedResponseError
from book.listen.listener import Handled, Listener
from book.listen.store import EventStore, Outgoing
from book.resources.messages import MESSAGES, SmsMessage

__all__ = ["INTERVAL", "LOOKBACK", "Poller"]

logger = logging.getLogger("book.listen")

INTERVAL = 5.0  # seconds between polls
LOOKBACK = dt.timedelta(minutes=2)


class Poller:
    """Polls for inbound messages with ``client`` (the book's ``AsyncClient``) and
    hands them to ``listener``; ``now`` tells the time (the connection's clock)."""

    def __init__(
        self,
        listener: Listener,
        client: Any,
        store: EventStore,
        *,
        account: str,
        now: Callable[[], dt.datetime],
        interval: float = INTERVAL,
        lookback: dt.timedelta = LOOKBACK,
        note: Callable[[str], None] = lambda line: None,
    ) -> None:
        self.listener = listener
        self.client = client
        self.store = store
        self.cursor = f"poll {account}"
        self.now = now
        self.interval = interval
        self.lookback = lookback
        self.note = note
        self._doubt: dict[int, Outgoing] = {}

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop`` is set."""
        while not stop.is_set():
            try:
                await self.once()
            except TwilioError as error:  # Twilio unreachable or refusing: say so, and poll again
                self.note(f"poll failed: {error.message}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)

    async def once(self) -> list[Handled]:
        """One poll: the new inbound messages handled, then the replies queued sent."""
        floor, newest = self._position()
        start = max(floor, newest - self.lookback)
        found: list[tuple[SmsMessage, str]] = []
        async for wire in self.client.list_messages({"DateSent>": start.date().isoformat()}, page_size=1000):
            message = MESSAGES.from_wire(wire)
            if message.direction != "inbound" or message.date_sent is None or message.date_sent < start:
                continue
            record = self.store.record(("received", message.sid or ""))
            if record is not None and record.state == "done":
                continue
            created = message.date_created or message.date_sent
            found.append((message, created.isoformat()))
        handled = await asyncio.gather(
            *(self.listener.received(message, queue=True, since=since) for message, since in found)
        )
        moved = max((message.date_sent for message, _ in found if message.date_sent), default=newest)
        if moved > newest:
            self.store.set_cursor(self.cursor, {"floor": floor.isoformat(), "newest": moved.isoformat()})
        await self.send()
        return list(handled)

    async def send(self) -> None:
        """Send the replies queued, each once (those in doubt looked for first)."""
        queued = {send.number: send for send in self.store.to_send()}
        queued.update(self._doubt)
        for number, send in sorted(queued.items()):
            ours = self._doubt.pop(number, None)
            if ours is None and not self.store.sending(number):
                continue  # another process took it
            if send.doubt or ours is not None:
                found = await self._find(send)
                if found is not None:
                    self.note(f"a reply in doubt to {send.recipient} had gone out: {found}")
                    self.store.sent(number, found)
                    continue
            try:
                made = await self.client.create_message(to=send.recipient, from_=send.sender, body=send.body)
            except TwilioError as error:
                if isinstance(error, OutcomeUnknownError | NetworkError | UnexpectedResponseError):
                    self._doubt[number] = replace(send, doubt=True)
                    self.note(
                        f"a reply to {send.recipient} is in doubt ({error.message}): it is looked for next"
                    )
                    continue
                self.note(f"a reply to {send.recipient} was refused: {error.message}")
                code = error.code if isinstance(error, ApiError) else None
                self.store.sent(number, f"refused: {code}" if code else "refused")
                continue
            self.store.sent(number, made.sid or "")

    async def _find(self, send: Outgoing) -> str | None:
        """The sid of a message that is this reply, made before it was recorded."""
        since = dt.datetime.fromisoformat(send.since)
        known = self.store.sids(send.sender, send.recipient)
        async for wire in self.client.list_messages(
            {"From": send.sender, "To": send.recipient}, page_size=1000
        ):
            message = MESSAGES.from_wire(wire)
            if message.sid in known or message.body != send.body:
                continue
            if message.date_created is not None and message.date_created >= since:
                return message.sid
        return None

    def _position(self) -> tuple[dt.datetime, dt.datetime]:
        """The cursor: since when messages are handled, and the newest handled."""
        saved = self.store.cursor(self.cursor)
        if isinstance(saved, dict):
            floor, newest = saved.get("floor"), saved.get("newest")
            if isinstance(floor, str) and isinstance(newest, str):
                return dt.datetime.fromisoformat(floor), dt.datetime.fromisoformat(newest)
        now = self.now().astimezone(dt.UTC).replace(microsecond=0)
        self.store.set_cursor(self.cursor, {"floor": now.isoformat(), "newest": now.isoformat()})
        return now, now
