"""Helpers for the sandbox's tests: a fixed clock, raw calls, and checks against
Twilio's OpenAPI description of every answer the sandbox gives."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

from book.sandbox import Reply, Sandbox
from book.wire import parse_rfc2822
from procedures import FixedClock, Session

START = dt.datetime(2024, 3, 10, 12, 0, tzinfo=dt.UTC)
SPEC_PATH = Path(__file__).resolve().parent / "fixtures" / "twilio-oai" / "twilio_api_v2010_messages.json"


def _inline(node: Any, spec: dict[str, Any]) -> Any:
    """The schema with every $ref replaced by what it names."""
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].split("/")[-1]
            return _inline(spec["components"]["schemas"][name], spec)
        return {key: _inline(value, spec) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, spec) for item in node]
    return node


class Spec:
    """Twilio's OpenAPI description, as validators of the answers it documents."""

    def __init__(self, path: Path = SPEC_PATH) -> None:
        from openapi_schema_validator import OAS30Validator

        spec = json.loads(path.read_text())
        collection = spec["paths"]["/2010-04-01/Accounts/{AccountSid}/Messages.json"]
        one = spec["paths"]["/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json"]

        def validator(operation: dict[str, Any], status: str) -> Any:
            schema = operation["responses"][status]["content"]["application/json"]["schema"]
            return OAS30Validator(_inline(schema, spec))

        self.validators = {
            ("GET", "collection", 200): validator(collection["get"], "200"),
            ("POST", "collection", 201): validator(collection["post"], "201"),
            ("GET", "one", 200): validator(one["get"], "200"),
            ("POST", "one", 200): validator(one["post"], "200"),
        }
        self.checked = 0

    def check(self, method: str, path: str, reply: Reply) -> None:
        """Assert that ``reply`` is what the description (or Twilio's error shape) allows."""
        kind = "collection" if path.endswith("/Messages.json") else "one"
        if reply.status >= 400:
            body = json.loads(reply.body)
            assert set(body) == {"code", "message", "more_info", "status"}, body
            assert isinstance(body["code"], int) and isinstance(body["message"], str)
            assert body["status"] == reply.status
            assert body["more_info"] == f"https://www.twilio.com/docs/errors/{body['code']}"
            return
        if method == "DELETE":
            assert (reply.status, reply.body) == (204, b"")
            return
        body = json.loads(reply.body)
        self.validators[(method, kind, reply.status)].validate(body)
        for message in body.get("messages", [body]):
            for field in ("date_created", "date_updated", "date_sent"):  # Twilio's own format
                if message.get(field) is not None:
                    parse_rfc2822(message[field])
            assert message.get("sid") and message["sid"][:2] in ("SM", "MM")
        self.checked += 1


class Checked(Sandbox):
    """A sandbox whose every answer is checked against the spec (when it is present)."""

    spec: Spec | None = None

    def handle(
        self, method: str, path: str, query: Any, form: Any, authorization: str | None, crowded: bool = False
    ) -> Reply:
        reply = super().handle(method, path, query, form, authorization, crowded)
        if self.spec is not None and not reply.lost:
            self.spec.check(method, path, reply)
        return reply


def make(**options: Any) -> Checked:
    return Checked(clock=FixedClock(START), **options)


def auth(sandbox: Sandbox, username: str | None = None, password: str | None = None) -> str:
    pair = f"{username or sandbox.account.sid}:{password or sandbox.account.token}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def call(
    sandbox: Sandbox,
    method: str,
    tail: str,
    query: list[tuple[str, str]] | None = None,
    form: list[tuple[str, str]] | None = None,
    authorization: str | None = "default",
) -> tuple[int, Any]:
    """A raw request to the sandbox; (status, parsed JSON or None)."""
    path = f"/2010-04-01/Accounts/{sandbox.account.sid}/{tail}"
    header = auth(sandbox) if authorization == "default" else authorization
    reply = sandbox.handle(method, path, query or [], form or [], header)
    return reply.status, (json.loads(reply.body) if reply.body else None)


def message(
    sid_number: int,
    *,
    sent: str | None,
    created: str | None = None,
    to: str = "+14155550100",
    sender: str = "+15005550006",
    status: str = "delivered",
    body: str = "hello",
) -> dict[str, Any]:
    """A message in Twilio's JSON form, for ``load``."""
    sid = f"SM{sid_number:032x}"
    return {
        "account_sid": "AC" + "0" * 32,
        "api_version": "2010-04-01",
        "body": body,
        "date_created": created or sent or "Fri, 01 Mar 2024 00:00:00 +0000",
        "date_sent": sent,
        "date_updated": created or sent or "Fri, 01 Mar 2024 00:00:00 +0000",
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": sender,
        "messaging_service_sid": None,
        "num_media": "0",
        "num_segments": "1",
        "price": "-0.00790",
        "price_unit": "USD",
        "sid": sid,
        "status": status,
        "subresource_uris": {"media": f"/2010-04-01/Accounts/AC{'0' * 32}/Messages/{sid}/Media.json"},
        "to": to,
        "uri": f"/2010-04-01/Accounts/AC{'0' * 32}/Messages/{sid}.json",
    }


def copy_sandbox(source: Path, target: Path) -> Path:
    """A copy of a sandbox's file, with what its write-ahead log holds: a sandbox
    is WAL-journalled, so copying the file alone can miss its latest writes."""
    import sqlite3

    with sqlite3.connect(source) as old, sqlite3.connect(target) as new:
        old.backup(new)
    old.close()
    new.close()
    return target


def book_session(sandbox: Sandbox, dry_run: bool = False) -> Session:
    """A session of the Twilio book on ``sandbox``, at its clock (a dry run if asked)."""
    from book.connection import Connection, Settings
    from book.procedures import registry

    return Session(
        registry, clock=sandbox.clock, resources=[Connection(sandbox=sandbox), Settings(dry_run=dry_run)]
    )
