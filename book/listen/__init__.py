"""The receiver of Twilio's webhooks and the poller (``book listen``): they run a
book's English handlers for inbound messages and status callbacks, each exactly
once, as the record of events in ``store.py`` says."""

from book.listen.store import Claim, EventStore, Json, Key, Outgoing, Record, SqliteStore, default_path

__all__ = ["Claim", "EventStore", "Json", "Key", "Outgoing", "Record", "SqliteStore", "default_path"]
