"""What every test runs with: no Twilio credentials and no sandbox of the person
running them in the environment, so that no test reaches the internet or touches
their own data."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _no_credentials_or_state(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    for name in list(os.environ):
        if name.startswith(("TWILIO_", "SMS_BOOK_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SMS_BOOK_SANDBOX", str(tmp_path_factory.getbasetemp() / "default-sandbox.sqlite3"))
