"""Errors say who answered (the local sandbox answers as Twilio would), a sender that
is not the account's is answered with the account's numbers, and a half-set
environment is an error, not a silent switch to the sandbox."""

from __future__ import annotations

import httpx
import pytest

from book.api import Request, Response, Safety, check
from book.credentials import Credentials
from book.errors import ApiError, ConfigurationError
from tests.sandbox_helpers import book_session, make

SEND = (
    'send an SMS message with the sender number is "{sender}" and the recipient number is "+14155550100" '
    'and the message body is "hi"'
)


def test_an_error_says_whether_twilio_or_the_sandbox_answered() -> None:
    request = Request("GET", "https://api.twilio.com/x", (), Safety.READ)
    body = b'{"code": 20404, "message": "Not found", "status": 404}'
    with pytest.raises(ApiError, match=r"^Twilio answered 404 \(20404\)"):
        check(request, Response(404, {"content-type": "application/json"}, body))
    with pytest.raises(ApiError, match=r"^The local sandbox answered 404 \(20404\)"):
        check(request, Response(404, {"sms-book-sandbox": "local"}, body))
    sandbox = make()
    with pytest.raises(ApiError, match=r"^The local sandbox answered 404"):
        sandbox.client().fetch_message("SM" + "0" * 32)
    answer = httpx.Client(transport=sandbox.transport()).get(
        f"https://api.twilio.com/2010-04-01/Accounts/{sandbox.account.sid}/Messages.json",
        auth=(sandbox.account.sid, sandbox.account.token),
    )
    assert answer.headers["Sms-Book-Sandbox"] == "local"


def test_a_sender_that_is_not_the_accounts_is_answered_with_the_accounts_numbers() -> None:
    sandbox = make()
    with book_session(sandbox) as session, pytest.raises(ApiError) as caught:
        session.run(SEND.format(sender="+15005550007"))
    assert caught.value.code == 21606
    owned = sandbox.senders()
    assert owned and all(number in (caught.value.hint or "") for number in owned)
    assert "SMS-capable numbers" in (caught.value.hint or "")


@pytest.mark.parametrize(
    "names",
    [("TWILIO_AUTH_TOKEN",), ("TWILIO_API_KEY", "TWILIO_API_SECRET"), ("TWILIO_API_SECRET",)],
)
def test_a_secret_without_an_account_sid_is_an_error(names: tuple[str, ...]) -> None:
    secret = "LEAKCANARY-9d2e"
    with pytest.raises(ConfigurationError) as caught:
        Credentials.from_environment(dict.fromkeys(names, secret))
    error = caught.value
    assert all(name in error.message for name in names) and "TWILIO_ACCOUNT_SID" in error.message
    assert secret not in f"{error} {error.hint} {error.to_dict()}"
    assert Credentials.from_environment({}) is None
    assert Credentials.from_environment({"TWILIO_REGION": "ie1"}) is None  # no secret: the sandbox
