"""The sandbox's SQLite schema, and the marks that tell a sandbox's file from any other."""

from __future__ import annotations

import re

__all__ = ["APPLICATION_ID", "SCHEMA", "SCHEMA_VERSION"]

SCHEMA_VERSION = "1"
APPLICATION_ID = 0x534D5342  # "SMSB"
"""``PRAGMA application_id`` of a sandbox file: what tells it from another application's."""
# a new file's stamp: SCHEMA_VERSION (were they to differ, every new file would be refused at once)
STAMP = "INSERT OR IGNORE INTO meta VALUES ('schema', '1');"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (sid TEXT PRIMARY KEY, token TEXT NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (sid TEXT PRIMARY KEY, account TEXT NOT NULL, secret TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS numbers (
    account TEXT NOT NULL, number TEXT NOT NULL, rank INTEGER NOT NULL, PRIMARY KEY (account, number)
);
CREATE TABLE IF NOT EXISTS services (sid TEXT PRIMARY KEY, account TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS opt_outs (account TEXT NOT NULL, number TEXT NOT NULL, PRIMARY KEY (account, number));
CREATE TABLE IF NOT EXISTS messages (
    sid TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    sort INTEGER NOT NULL,   -- epoch seconds of the date sent, else of the date created
    sent INTEGER,            -- epoch seconds of the date sent
    sender TEXT,
    recipient TEXT,
    status TEXT,
    next_at INTEGER,         -- when the lifecycle next moves this message
    data TEXT NOT NULL,      -- the message's JSON, as it is answered
    notes TEXT               -- what the sandbox remembers about it and Twilio does not show (JSON)
);
CREATE INDEX IF NOT EXISTS messages_by_order ON messages (account, sort DESC, sid DESC);
CREATE INDEX IF NOT EXISTS messages_by_recipient ON messages (account, recipient, sort DESC, sid DESC);
CREATE INDEX IF NOT EXISTS messages_by_sender ON messages (account, sender, sort DESC, sid DESC);
CREATE INDEX IF NOT EXISTS messages_by_next ON messages (account, next_at) WHERE next_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS deleted (sid TEXT PRIMARY KEY, account TEXT NOT NULL, sort INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS number_settings (
    account TEXT NOT NULL, number TEXT NOT NULL, settings TEXT NOT NULL, PRIMARY KEY (account, number)
);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    at REAL NOT NULL,        -- when it was made (epoch seconds)
    data TEXT NOT NULL       -- what was delivered, where, and how it went (JSON)
);
"""
STATEMENTS = tuple(statement.strip() for statement in SCHEMA.split(";") if statement.strip())
TABLES = frozenset(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", SCHEMA))
# how SQLite keeps the meta table's statement: what marks a sandbox made before APPLICATION_ID
META = STATEMENTS[0].replace(" IF NOT EXISTS", "")
MAGIC = b"SQLite format 3\x00"
"""The first bytes of every SQLite database file."""
