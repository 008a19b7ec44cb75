"""book/testing.py: a test's sandbox is its own (a prepared fixture is copied, never
shared), its set-up lines do what they say or fail at their place, faults reach the
script, and the answer of a test is the same each time it runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from book.testing import Outcome, run_test


def _test(tmp_path: Path, name: str, text: str) -> Outcome:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return run_test(path)


SEEDED = "given the time is 2024-06-01T12:00:00Z\ngiven 300 SMS messages from seed 5\n"


def test_a_prepared_fixture_is_copied_for_each_test_never_shared(tmp_path: Path) -> None:
    changing = SEEDED + (
        'redact some SMS messages whose direction is "inbound"\n'
        + 'read some SMS messages whose direction is "inbound" and whose body is empty\n'
        + "expect the number of SMS messages is at least 1\n"
    )
    first = _test(tmp_path, "a.english", "# run with: --yes\n" + changing)
    assert first.status == "passed", first.message
    untouched = SEEDED + (
        'read some SMS messages whose direction is "inbound" and whose body is empty\n'
        "expect the number of SMS messages is 0\n"
    )
    second = _test(tmp_path, "b.english", untouched)
    assert second.status == "passed", second.message  # the first test's redactions are not here


def test_the_same_test_gives_the_same_answer_each_time(tmp_path: Path) -> None:
    text = SEEDED + (
        'send an SMS message with the recipient number is "+14155550100" and the sender number is '
        '"+15005550006" and the message body is "hi"\nsay the above\n'
    )
    runs = [_test(tmp_path, "same.english", text) for _ in range(3)]
    assert len({run.said for run in runs}) == 1 and runs[0].said[0].startswith("SM")


@pytest.mark.parametrize(
    ("line", "wanted"),
    [
        ('given the SMS messages in "missing.json"', "cannot read missing.json"),
        ("given the weather is 12", "not a set-up the test runner knows"),
        ("given Twilio is grumpy for 1 in 2 requests", "not a set-up the test runner knows"),
        ("given the time is 2024-06-01", "a date and time with its offset"),
        ('given an SMS message is received with the colour is "red"', "not 'colour'"),
    ],
)
def test_a_set_up_it_cannot_make_is_an_error_at_its_line(tmp_path: Path, line: str, wanted: str) -> None:
    outcome = _test(tmp_path, "setup.english", f'say "before"\n{line}\nexpect 1 is 1\n')
    assert outcome.status == "error" and wanted in outcome.message
    assert "line 2" in outcome.message and "^" in outcome.message


def test_a_busy_twilio_is_retried_and_a_flaky_one_leaves_a_send_in_doubt(tmp_path: Path) -> None:
    send = (
        'send an SMS message with the recipient number is "+14155550100" and the sender number is '
        '"+15005550006" and the message body is "hi"\n'
    )
    busy = _test(
        tmp_path, "busy.english", "given Twilio is busy for 1 in 2 requests\n" + send + "expect 1 is 1\n"
    )
    assert busy.status == "passed", busy.message  # 429s are retried
    flaky = _test(
        tmp_path, "flaky.english", "given Twilio is flaky for 1 in 1 requests\n" + send + "expect 1 is 1\n"
    )
    assert flaky.status == "failed" and "look for the message" in flaky.message.lower()  # sent, answer lost


def test_a_script_that_fails_fails_its_test_and_a_mistake_is_an_error(tmp_path: Path) -> None:
    failing = _test(
        tmp_path, "run.english", 'read an SMS message whose sid is "SM' + "0" * 32 + '"\nexpect 1 is 1\n'
    )
    assert failing.status == "failed"
    mistake = _test(tmp_path, "typo.english", "expect the number of SMS messages is\n")
    assert mistake.status == "error" and "line 1" in mistake.message


def test_a_failed_loop_reports_each_send_and_a_refusal_says_how_a_test_confirms(tmp_path: Path) -> None:
    loop = (
        "given Twilio is down for 1 in 1 requests\n"
        'send an SMS message with the recipient number is "+14155550100" and the sender number is '
        '"+15005550006" and the message body is "hi"\n'
        "expect 1 is 1\n"
    )
    failed = _test(tmp_path, "down.english", loop)
    assert failed.status == "failed" and failed.error is not None and failed.error["outcomes"]["unknown"] == 1
    many = _test(
        tmp_path,
        "many.english",
        SEEDED + 'redact some SMS messages whose direction is "inbound"\nexpect 1 is 1\n',
    )
    assert many.status == "failed" and "# run with: --yes" in many.message


def test_an_unreadable_golden_says_update_writes_it(tmp_path: Path) -> None:
    (tmp_path / "g.json").write_text("", encoding="utf-8")
    outcome = _test(tmp_path, "g.english", 'say "hi"\n')
    assert outcome.status == "error" and "book test --update writes it afresh" in outcome.message


def test_an_expectation_on_an_or_names_each_count_as_written(tmp_path: Path) -> None:
    outcome = _test(
        tmp_path,
        "or.english",
        "given 20 SMS messages from seed 1\n"
        'expect the number of SMS messages whose status is "failed" is 1 or the number of SMS messages is 3\n',
    )
    assert (
        'but the number of SMS messages whose status is "failed" is 0; the number of SMS messages is 20'
        in (outcome.message)
    )
