"""Text templates: "Hi {the customer's name}" composes text from references, which
are checked before anything runs and reported at their place in the string.
(Round trips of generated templates are in test_grammar_properties.py.)"""

from __future__ import annotations

import datetime as dt

import pytest

from book.sandbox import Sandbox
from grammar import EnglishSyntaxError, Reference, Template, Text, parse_script
from procedures import FixedClock, UnknownReferenceError
from tests.sandbox_helpers import book_session

NOW = dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)


def test_a_template_is_its_pieces_with_references_where_they_were_written() -> None:
    line = 'say "Hi {the customer\'s name}, {{the order} {the order number}!"'
    (say,) = parse_script(line).statements
    template = say.value  # type: ignore[attr-defined]
    assert isinstance(template, Template)
    assert [type(part).__name__ for part in template.parts] == [
        "Text",
        "Reference",
        "Text",
        "Reference",
        "Text",
    ]
    assert template.parts[2] == Text(", {the order} ")
    name = template.parts[1]
    assert isinstance(name, Reference) and name.span is not None
    assert line[name.span.start : name.span.end] == "the customer's name"
    assert name.path[1].span is not None and line[name.path[1].span.start : name.path[1].span.end] == "name"
    assert str(say) == line
    plain = parse_script('say "only {{the braces} here"').statements[0]
    assert plain.value == Text("only {the braces} here")  # type: ignore[attr-defined]
    assert str(plain) == 'say "only {{the braces} here"'


@pytest.mark.parametrize(
    ("line", "column", "words"),
    [
        ('say "Hi {the name"', 9, "opens a reference that is not closed"),
        ('say "Hi {the {x}}"', 9, "not closed"),
        ('say "Hi {the}"', 10, "a reference starts with 'the'"),
        ('say "Hi {the 3x}"', 14, "is not a name of words"),
    ],
)
def test_a_wrong_brace_is_an_error_at_its_place_in_the_string(line: str, column: int, words: str) -> None:
    with pytest.raises(EnglishSyntaxError) as caught:
        parse_script(line)
    assert caught.value.span is not None and caught.value.span.column == column
    assert words in str(caught.value) and "{{" in str(caught.value)


def test_other_braces_are_text_as_written() -> None:
    """Twilio's paths and JSON keep their braces; only a brace that starts 'the' holds a reference."""
    for text in ("/2010-04-01/Accounts/{AccountSid}/Messages.json", "{name}", "}{", "{{x}}", "{theory}"):
        (say,) = parse_script(f'say "{text}"').statements
        assert say.value == Text(text)  # type: ignore[attr-defined]
        assert str(say) == f'say "{text}"'


def test_a_bulk_send_composes_each_body_and_a_dry_run_shows_it() -> None:
    sandbox = Sandbox(clock=FixedClock(NOW))
    script = """the sender number is "+15005550006"
the recipient numbers are "+14155550100" and "+14155550101"
the order number is 1042
the ship date is 2024-06-03
process each recipient number as follows
  send an SMS message where
    the recipient number is the recipient number
    the message body is "Hi {the recipient number}, order {the order number} ships {the ship date}."
"""
    with book_session(sandbox, dry_run=True) as session:
        said = session.run(script).said
    bodies = [line for line in said if line.startswith("dry run: would send")]
    assert bodies == [
        'dry run: would send 1 segment (GSM-7) to +14155550100: "Hi +14155550100, order 1042 ships 2024-06-03."'
        " POST To=%2B14155550100&From=%2B15005550006&Body=Hi+%2B14155550100%2C+order+1042+ships+2024-06-03.",
        'dry run: would send 1 segment (GSM-7) to +14155550101: "Hi +14155550101, order 1042 ships 2024-06-03."'
        " POST To=%2B14155550101&From=%2B15005550006&Body=Hi+%2B14155550101%2C+order+1042+ships+2024-06-03.",
    ]
    assert sandbox.count() == 0


def test_an_unknown_reference_is_refused_before_anything_is_sent() -> None:
    sandbox = Sandbox(clock=FixedClock(NOW))
    script = """send an SMS message where
  the sender number is "+15005550006"
  the recipient number is "+14155550100"
  the message body is "first"
say "Hi {the custmer name}"
"""
    with book_session(sandbox) as session:
        error = session.step(script)["error"]
    assert error["kind"] == "unknown reference" and (error["line"], error["column"]) == (5, 10)
    assert sandbox.count() == 0  # the send on line 1 never ran


def test_names_given_earlier_in_loops_and_by_reads_are_known() -> None:
    sandbox = Sandbox(clock=FixedClock(NOW))
    with book_session(sandbox) as session:
        sent = session.step(
            'send an SMS message with the sender number is "+15005550006" and '
            'the recipient number is "+14155550100" and the message body is "Hello"'
        )
        assert "error" not in sent, sent
        answer = session.step(
            """read the first 1 SMS messages
process each SMS message as follows
  say "{the SMS message's recipient number} got: {the SMS message's body} ({the SMS message's num segments})"
"""
        )
        assert answer["said"] == ["+14155550100 got: Hello (1)"]
        # a value the session already holds counts too
        session.step('the greeting is "Hey"')
        assert session.step('say "{the greeting} there"')["said"] == ["Hey there"]
        # in a filter, composed before it is planned
        found = session.step('read some SMS messages whose body is "{the greeting}lo"')
        assert found["result"] == []


def test_an_empty_value_or_a_thing_with_fields_cannot_be_written_into_text() -> None:
    sandbox = Sandbox(clock=FixedClock(NOW))
    with book_session(sandbox) as session:
        session.step(
            'send an SMS message with the sender number is "+15005550006" and '
            'the recipient number is "+14155550100" and the message body is "Hello"'
        )
        session.step('read an SMS message whose body is "Hello"')
        empty = session.step('say "paid {the SMS message\'s price}"')["error"]
        assert (empty["line"], empty["column"]) == (1, 12) and "is empty" in empty["message"]
        whole = session.step('say "it is {the SMS message}"')["error"]
        assert whole["kind"] == "value" and "which a text cannot hold" in whole["message"]


def test_a_name_no_call_keeps_is_refused_before_the_first_send() -> None:
    """A send answers (its sid is 'the answer'): it keeps no 'SMS message' to refer to."""
    sandbox = Sandbox(clock=FixedClock(NOW))
    script = """the recipient numbers are "+14155550100" and "+14155550101"
process each recipient number as follows
  send an SMS message where
    the sender number is "+15005550006"
    the recipient number is the recipient number
    the message body is "Hi"
  say "sent {the SMS message's sid}"
"""
    with book_session(sandbox) as session:
        error = session.step(script)["error"]
    assert error["kind"] == "unknown reference" and (error["line"], error["column"]) == (7, 14)
    assert sandbox.count() == 0


def test_a_when_block_is_checked_when_it_is_kept_and_sees_the_whole_script() -> None:
    sandbox = Sandbox(clock=FixedClock(NOW))
    with book_session(sandbox) as session:
        wrong = parse_script(
            'when an SMS message is received\n  reply with "Thanks {the SMS mesage\'s body}"\n'
        )
        with pytest.raises(UnknownReferenceError) as caught:
            session.keep_handlers(wrong, str(wrong))
        assert caught.value.span is not None and caught.value.span.line == 2
        later = (
            'when an SMS message is received\n  reply with "{the signature}"\nthe signature is "-- Support"\n'
        )
        session.keep_handlers(parse_script(later), later)  # named after the block, before any event
