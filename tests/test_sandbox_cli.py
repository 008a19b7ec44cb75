"""``book sandbox ...`` through the installed entry point, as a user runs it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sandbox_helpers as h

from book.client import Client
from book.credentials import Credentials

pytestmark = pytest.mark.slow
BOOK = shutil.which("book") or str(Path(sys.executable).parent / "book")


def book(
    *arguments: str, sandbox: Path | None = None, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    command = [BOOK, *arguments]
    if sandbox is not None:
        command += ["--sandbox", str(sandbox)]
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("TWILIO_", "SMS_BOOK_"))
    }
    environment.update(env or {})
    return subprocess.run(command, capture_output=True, text=True, env=environment, input=stdin, timeout=120)


def data(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_info_seed_receive_load_reset(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    info = data(book("sandbox", "info", "--format", "json", sandbox=path))
    assert info["account_sid"].startswith("AC") and info["messages"] == 0
    assert info["numbers"] == ["+15005550006", "+12125550100", "SMSBOOK"]
    assert data(
        book("sandbox", "seed", "--count", "250", "--seed", "3", "--format", "json", sandbox=path)
    ) == {
        "added": 250,
        "messages": 250,
    }
    received = data(
        book(
            "sandbox",
            "receive",
            "--from",
            "+1 (415) 555-0123",
            "--body",
            "STOP",
            "--format",
            "json",
            sandbox=path,
        )
    )
    assert (
        received["sender_number"] == "+14155550123"
        and received["recipient_number"] == "+15005550006"
        and received["status"] == "received"
    )
    page = {"messages": [h.message(1, sent="Fri, 01 Mar 2024 10:00:00 +0000")], "page": 0}
    (tmp_path / "page.json").write_text(json.dumps(page))
    assert (
        data(book("sandbox", "load", str(tmp_path / "page.json"), "--format", "json", sandbox=path))["loaded"]
        == 1
    )
    assert (
        data(
            book(
                "sandbox",
                "load",
                "-",
                "--format",
                "json",
                sandbox=path,
                stdin=json.dumps([h.message(2, sent=None)]),
            )
        )["loaded"]
        == 1
    )
    again = data(book("sandbox", "info", "--format", "json", sandbox=path))
    assert again["account_sid"] == info["account_sid"] and again["messages"] == 253
    refused = book("sandbox", "reset", sandbox=path)
    assert refused.returncode == 2 and "253 messages" in refused.stderr and "--yes" in refused.stderr
    reset = data(book("sandbox", "reset", "--yes", "--format", "json", sandbox=path))
    assert reset["removed"] == 253 and reset["account_sid"] != info["account_sid"]


def test_the_same_seed_gives_the_same_messages(tmp_path: Path) -> None:
    first, second = tmp_path / "a.sqlite3", tmp_path / "b.sqlite3"
    for path in (first, second):
        data(book("sandbox", "seed", "--count", "50", "--seed", "11", "--format", "json", sandbox=path))
    import sqlite3

    def bodies(path: Path) -> list[tuple[str, str]]:
        with sqlite3.connect(path) as db:
            return [
                (row[0], json.loads(row[1])["body"])
                for row in db.execute("SELECT sid, data FROM messages ORDER BY sid")
            ]

    assert bodies(first) == bodies(second)


def test_the_sandbox_path_comes_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "from-env.sqlite3"
    info = data(book("sandbox", "info", "--format", "json", env={"SMS_BOOK_SANDBOX": str(path)}))
    assert info["path"] == str(path) and path.exists()


def test_table_output_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    table = book("sandbox", "info", sandbox=path)
    assert table.returncode == 0 and "account_sid" in table.stdout and "+15005550006" in table.stdout
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    failed = book("sandbox", "load", str(broken), sandbox=path)
    assert failed.returncode == 1 and "error: the file is not JSON" in failed.stderr
    usage = book("sandbox", "seed", "--count", "many", sandbox=path)
    assert usage.returncode == 2 and "'many' is not a whole number" in usage.stderr


def test_serve_on_loopback(tmp_path: Path) -> None:
    path = tmp_path / "served.sqlite3"
    info = data(book("sandbox", "info", "--format", "json", sandbox=path))
    environment = {key: value for key, value in os.environ.items() if not key.startswith("SMS_BOOK_")}
    server = subprocess.Popen(
        [BOOK, "sandbox", "serve", "--port", "0", "--sandbox", str(path)],
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    try:
        assert server.stderr is not None
        line = server.stderr.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, line
        client = Client(
            credentials=Credentials(account_sid=info["account_sid"], auth_token=info["auth_token"]),
            base_url=match.group(),
        )
        sent = client.create_message(to="+14155550100", from_="+15005550006", body="over the wire")
        time.sleep(0.1)
        assert client.fetch_message(sent.sid or "").body == "over the wire"
    finally:
        server.terminate()
        server.wait(timeout=10)
    # What the server wrote is in the file for the next run.
    assert data(book("sandbox", "info", "--format", "json", sandbox=path))["messages"] == 1


# ------------------------------------------------------------ seed, load, paths


def test_seeding_twice_adds_and_never_replaces(tmp_path: Path) -> None:
    path = tmp_path / "twice.sqlite3"
    assert data(book("sandbox", "seed", "--count", "5", "--format", "json", sandbox=path))["added"] == 5
    first = data(book("run", "--format", "json", "-e", "read the first 1 SMS messages", sandbox=path))
    sid = first["result"][0]["sid"]
    redacted = book("run", "-e", f'redact some SMS messages whose sid is "{sid}"', sandbox=path)
    assert redacted.returncode == 0, redacted.stderr
    again = data(book("sandbox", "seed", "--count", "5", "--format", "json", sandbox=path))
    assert again == {"added": 5, "messages": 10}
    kept = data(
        book("run", "--format", "json", "-e", f'read an SMS message whose sid is "{sid}"', sandbox=path)
    )
    assert kept["result"]["body"] == ""  # the redaction stands


def _export(path: Path) -> list[dict[str, Any]]:
    """The sandbox's messages in Twilio's wire JSON, read with the book's client."""
    info = data(book("sandbox", "info", "--format", "json", sandbox=path))
    from book.sandbox import Sandbox

    sandbox = Sandbox(str(path))
    assert sandbox.account.sid == info["account_sid"]
    return [message.to_json() for message in sandbox.client().list_messages(page_size=1000)]


def _camel(message: dict[str, Any]) -> dict[str, Any]:
    """A wire message as twilio-cli prints it: camelCase keys, ISO 8601 dates."""
    from book.wire import parse_rfc2822

    cli: dict[str, Any] = {}
    for key, value in message.items():
        name = re.sub(r"_(\w)", lambda match: match.group(1).upper(), key)
        if key.startswith("date_") and value is not None:
            value = parse_rfc2822(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        cli[name] = value
    return cli


def test_load_reads_twilio_cli_and_the_books_own_json(tmp_path: Path) -> None:
    source = tmp_path / "source.sqlite3"
    data(book("sandbox", "seed", "--count", "40", "--seed", "9", "--format", "json", sandbox=source))
    wire = sorted(_export(source), key=lambda message: message["sid"])
    cli_file = tmp_path / "cli.json"
    cli_file.write_text(json.dumps([_camel(message) for message in wire]), encoding="utf-8")
    from_cli = tmp_path / "from-cli.sqlite3"
    assert data(book("sandbox", "load", str(cli_file), "--format", "json", sandbox=from_cli))["loaded"] == 40
    assert sorted(_export(from_cli), key=lambda message: message["sid"]) == wire  # not a field lost

    printed = book("run", "--format", "json", "-e", "read some SMS messages", sandbox=source)
    book_file = tmp_path / "book.json"
    book_file.write_text(printed.stdout, encoding="utf-8")
    from_book = tmp_path / "from-book.sqlite3"
    assert (
        data(book("sandbox", "load", str(book_file), "--format", "json", sandbox=from_book))["loaded"] == 40
    )
    again = book("run", "--format", "json", "-e", "read some SMS messages", sandbox=from_book)
    assert json.loads(again.stdout)["result"] == json.loads(printed.stdout)["result"]


@pytest.mark.parametrize(
    "extra", [{"numSegments": "1", "carrierName": "x"}, {"sender_number": "+15005550006", "colour": "red"}]
)
def test_load_refuses_fields_it_would_drop(tmp_path: Path, extra: dict[str, str]) -> None:
    message = {"sid": "SM" + "1" * 32, "status": "delivered", **extra}
    document = tmp_path / "odd.json"
    document.write_text(json.dumps([message]), encoding="utf-8")
    path = tmp_path / "odd.sqlite3"
    refused = book("sandbox", "load", str(document), sandbox=path)
    assert refused.returncode == 1 and "nothing was loaded" in refused.stderr
    assert ("carrierName" in refused.stderr) or ("colour" in refused.stderr)
    assert data(book("sandbox", "info", "--format", "json", sandbox=path))["messages"] == 0


def test_an_explicit_sandbox_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    typo = tmp_path / "typo.sqlite3"
    for command in ("run", "explain"):
        result = book(command, "-e", "read the first 2 SMS messages", sandbox=typo)
        assert result.returncode == 2 and f"there is no sandbox at {typo}" in result.stderr
        assert not typo.exists()
    default = tmp_path / "default.sqlite3"
    made = book("run", "-e", 'say "hi"', env={"SMS_BOOK_SANDBOX": str(default)})
    assert made.returncode == 0 and default.exists()


def test_info_shows_the_api_key_and_its_secret_which_work(tmp_path: Path) -> None:
    from book.sandbox import Sandbox, serve

    path = tmp_path / "keys.sqlite3"
    info = data(book("sandbox", "info", "--format", "json", sandbox=path))
    (key,), (secret,) = info["api_keys"], info["api_key_secrets"]
    server = serve(Sandbox(str(path)))
    try:
        env = {
            "TWILIO_ACCOUNT_SID": info["account_sid"],
            "TWILIO_API_KEY": key,
            "TWILIO_API_SECRET": secret,
            "SMS_BOOK_TWILIO_URL": server.url,
        }
        read = book("run", "--format", "json", "-e", "read the first 2 SMS messages", env=env)
        assert read.returncode == 0, read.stderr
    finally:
        server.shutdown()
        server.server_close()
