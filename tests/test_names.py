"""One vocabulary for people: errors and hints name things as the English writes them
(an SMS message, its sender number, 'read some SMS messages'), Twilio's own names
point to the English ones, and dates print in ISO 8601, UTC as Z."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from book.procedures import registry
from procedures import ResolutionError, Session, describe
from procedures.concepts import a
from tests.sandbox_helpers import book_session, make

BOOK = shutil.which("book") or str(Path(sys.executable).parent / "book")


@pytest.mark.parametrize(("written", "meant"), [("from", "sender number"), ("to", "recipient number")])
def test_twilios_names_of_fields_point_to_the_englishs(written: str, meant: str) -> None:
    with book_session(make()) as session, pytest.raises(ResolutionError) as caught:
        session.run(f'read some SMS messages whose {written} is "+14155550100"')
    error = caught.value
    assert str(error).startswith(f"line 1, column 30: an SMS message has no field '{written}'")
    assert list(error.suggestions) == [meant]
    assert f"write '{meant}'" in (error.hint or "")
    assert "twilio" not in error.message


def test_procedures_are_named_as_calls_are_written() -> None:
    for entry in registry:
        assert not set("*()") & set(entry.said) and not entry.said.startswith("to "), entry.english
    with book_session(make()) as session, pytest.raises(ResolutionError) as caught:
        session.run("read some SMS mesages")
    assert caught.value.hint == "Did you mean 'read some SMS messages'?"


def test_say_prints_dates_in_iso_8601_with_utc_as_z() -> None:
    assert describe(dt.datetime(2024, 3, 1, 10, tzinfo=dt.UTC)) == "2024-03-01T10:00:00Z"
    paris = dt.timezone(dt.timedelta(hours=1))
    assert describe(dt.datetime(2024, 3, 1, 10, tzinfo=paris)) == "2024-03-01T10:00:00+01:00"
    assert Session().run("say 2024-03-01T10:00:00Z").said == ("2024-03-01T10:00:00Z",)
    assert [a("SMS message"), a("phone number"), a("URL"), a("item")] == [
        "an SMS message",
        "a phone number",
        "a URL",
        "an item",
    ]


def test_the_sandbox_prints_a_received_message_as_the_book_names_it(tmp_path: Path) -> None:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("TWILIO_", "SMS_BOOK_"))
    }
    command = [
        BOOK,
        "sandbox",
        "receive",
        "--from",
        "+14155550100",
        "--body",
        "hi",
        "--sandbox",
        str(tmp_path / "s"),
    ]
    data = json.loads(
        subprocess.run(
            [*command, "--format", "json"], capture_output=True, text=True, env=environment, check=True
        ).stdout
    )
    assert list(data) == ["sid", "sender_number", "recipient_number", "body", "status", "date_sent"]
    assert data["sender_number"] == "+14155550100" and data["date_sent"].endswith("Z")
    dt.datetime.fromisoformat(data["date_sent"])
    shown = subprocess.run(command, capture_output=True, text=True, env=environment, check=True).stdout
    assert "sender number" in shown and "+0000" not in shown
