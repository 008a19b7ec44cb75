"""Lists written out: 'the media URLs are "https://a" and "https://b"' in arguments
and named values (up to what the parameter holds: ten media URLs), and 'and' in
'is one of'. (Round trips of generated lists are in test_grammar_properties.py.)"""

from __future__ import annotations

import datetime as dt

from book.sandbox import Sandbox
from procedures import FixedClock
from tests.sandbox_helpers import book_session

NOW = dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)
SEND = 'send an SMS message where\n  the sender number is "+15005550006"\n  the recipient number is "+14155550100"\n'


def _urls(count: int) -> str:
    *most, last = [f'"https://a.example/{number}.jpg"' for number in range(1, count + 1)]
    return f"{', '.join(most)} and {last}"


def test_media_urls_written_as_a_list_are_all_sent() -> None:
    sandbox = Sandbox(clock=FixedClock(NOW))
    with book_session(sandbox) as session:
        sent = session.step(SEND + f"  the media URLs are {_urls(3)}\n")
        assert "error" not in sent, sent
        found = session.step("read an SMS message whose sid is the above")["result"]
    assert found["num_media"] == 3


def test_more_values_than_the_parameter_holds_is_an_error_at_the_first_too_many() -> None:
    sandbox = Sandbox(clock=FixedClock(NOW))
    script = SEND + f"  the media URLs are {_urls(11)}\n"
    with book_session(sandbox) as session:
        error = session.step(script)["error"]
    assert error["kind"] == "value" and "at most 10 values" in error["message"], error
    line = script.split("\n")[error["line"] - 1]
    assert line[error["column"] - 1 :].startswith('"https://a.example/11.jpg"')
    assert sandbox.count() == 0
    with book_session(sandbox) as session:  # ten is Twilio's most, and goes through
        assert "error" not in session.step(SEND + f"  the media URLs are {_urls(10)}\n")


def test_a_list_where_one_value_is_taken_is_an_error_at_its_second_value() -> None:
    sandbox = Sandbox(clock=FixedClock(NOW))
    with book_session(sandbox) as session:
        error = session.step(SEND + '  the message body is "Hi" and "there"\n')["error"]
    assert error["kind"] == "value" and "takes one value" in error["message"]
    assert (error["line"], error["column"]) == (4, 32)  # at "there"
    assert sandbox.count() == 0


def test_a_named_list_is_looped_over_and_one_of_takes_and() -> None:
    sandbox = Sandbox(clock=FixedClock(NOW))
    with book_session(sandbox) as session:
        said = session.step(
            'the recipient numbers are "+14155550100", "+14155550101" and "+14155550102"\n'
            "process each recipient number as follows\n"
            '  say "to {the recipient number}"\n'
        )["said"]
        assert said == ["to +14155550100", "to +14155550101", "to +14155550102"]
        both = session.explain(
            'read some SMS messages whose sender number is one of "+14155550100" and "+14155550101"'
        )
        either = session.explain(
            'read some SMS messages whose sender number is one of "+14155550100" or "+14155550101"'
        )
        assert both.to_json() == either.to_json()
