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
        received["from"] == "+14155550123"
        and received["to"] == "+15005550006"
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
