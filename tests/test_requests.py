"""The escape hatch: ``book request`` and ``to send a *Twilio* request``, on the sandbox,
with the book's credentials, safety and errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from book.cli.main import main
from book.connection import Settings
from book.sandbox import Sandbox
from book.session import open_session

NUMBERS = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json"
MESSAGES = "/2010-04-01/Accounts/{AccountSid}/Messages.json"


def _request(method: str, path: str, parameters: str | None = None) -> str:
    lines = ["send a Twilio request where", f'  the method is "{method}"', f'  the path is "{path}"']
    if parameters is not None:
        lines.append(f'  the parameters is "{parameters}"')
    return "\n".join(lines) + "\n"


def test_the_procedure_answers_twilios_json(tmp_path: Path) -> None:
    with open_session(sandbox=tmp_path / "s.sqlite3") as session:
        answer = session.step(_request("GET", NUMBERS, "PageSize=1"))
        assert answer["result"]["page_size"] == 1
        assert len(answer["result"]["incoming_phone_numbers"]) == 1
        sent = session.step(_request("POST", MESSAGES, "To=+14155550100&From=+15005550006&Body=a+b"))
        assert sent["result"]["body"] == "a+b"  # a value as written: "+" is no space
        assert sent["result"]["to"] == "+14155550100"


def test_its_errors_are_the_books(tmp_path: Path) -> None:
    with open_session(sandbox=tmp_path / "s.sqlite3") as session:
        missing = session.step(_request("GET", "/2010-04-01/Accounts/{AccountSid}/Calls.json"))["error"]
        assert (missing["code"], missing["status"]) == (20404, 404)
        assert "check the path" in missing["hint"]
        assert "message" not in missing["hint"]
        for bad in (
            _request("PUT", NUMBERS),
            _request("GET", "https://evil.example/x"),
            _request("GET", NUMBERS, "x"),
        ):
            assert session.step(bad)["error"]["kind"] == "invalid request"


def test_more_than_one_request_in_a_run_needs_yes_and_a_dry_run_sends_no_post(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    before = Sandbox(str(path)).count()
    send = _request("POST", MESSAGES, "To=+14155550100&From=+15005550006&Body=x")
    with open_session(sandbox=path) as session:
        assert session.step(send + send)["error"]["kind"] == "confirmation"
    with open_session(sandbox=path, settings=Settings(dry_run=True)) as session:
        said = session.step(send)["said"]
    assert said and said[0].startswith("dry run: would send POST")
    assert Sandbox(str(path)).count() == before
    with open_session(sandbox=path, settings=Settings(yes=True)) as session:
        assert "error" not in session.step(send + send)
    assert Sandbox(str(path)).count() == before + 2


def test_book_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sandbox = ["--sandbox", str(tmp_path / "s.sqlite3")]
    Sandbox(str(tmp_path / "s.sqlite3"))
    assert main(["request", "GET", NUMBERS, "-d", "PageSize=1", *sandbox]) == 0
    assert json.loads(capsys.readouterr().out)["page_size"] == 1
    post = ["request", "POST", MESSAGES, "-d", "To=+14155550100", "-d", "From=+15005550006", "-d", "Body=hi"]
    assert main([*post, *sandbox]) == 2
    assert "nothing was sent" in capsys.readouterr().err
    assert main([*post, "--yes", *sandbox]) == 0
    assert json.loads(capsys.readouterr().out)["body"] == "hi"
    assert main(["request", "GET", "/nowhere", *sandbox]) == 1
    assert "20404" in capsys.readouterr().err
    assert main(["request", "GET", NUMBERS, "-d", "novalue", *sandbox]) == 2
