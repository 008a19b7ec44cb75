"""``Session.step`` answers what its JSON schema (procedures/step.schema.json, shipped
with the package) describes, and what ``json.dumps`` takes: for steps that work, for
every kind of mistake, for refusals and failures, and for any script at all."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from book.connection import Connection, Settings
from book.procedures import registry
from book.sandbox import Sandbox, seed
from procedures import STEP_SCHEMA, FixedClock, Session
from tests.sandbox_helpers import book_session
from tests.strategies import scripts

NOW = dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)
VALIDATOR = jsonschema.Draft202012Validator(STEP_SCHEMA)


@pytest.fixture(scope="module")
def session() -> Iterator[Session]:
    sandbox = Sandbox(clock=FixedClock(NOW))
    seed(sandbox, 200, seed=3)
    with book_session(sandbox) as opened:
        yield opened


def _checked(answer: dict[str, Any]) -> dict[str, Any]:
    json.dumps(answer, allow_nan=False)
    VALIDATOR.validate(answer)
    return answer


def test_the_schema_is_a_valid_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(STEP_SCHEMA)


@pytest.mark.parametrize(
    ("step", "shape"),
    [
        ('read the first 3 SMS messages whose status is "delivered"', "result"),
        ("say the number of SMS messages", "result"),
        ('say "hello"', "result"),
        ("read some SMS messages whose body contains refund", "syntax"),
        ("frobnicate the SMS messages", "unknown procedure"),
        ('read some SMS messages whose colour is "red"', "unknown field"),
        ("say the missing thing", "unknown reference"),
        ('read an SMS message whose sid is "SM00000000000000000000000000000000"', "run"),
        ('redact some SMS messages whose direction is "inbound"', "confirmation"),
        ('convert "1e999999999" to a number', "value"),
    ],
)
def test_every_kind_of_answer_fits_the_schema(session: Session, step: str, shape: str) -> None:
    answer = _checked(session.step(step))
    assert (answer["error"]["kind"] if "error" in answer else "result") == shape


def test_said_lines_are_in_the_result_and_not_printed(
    capsys: pytest.CaptureFixture[str], session: Session
) -> None:
    answer = _checked(session.step('say "one"\nsay "two"'))
    assert answer["said"] == ["one", "two"] and capsys.readouterr().out == ""


def test_an_internal_fault_is_an_answer_of_kind_internal(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(Session, "arun", broken)
    answer = _checked(session.step('say "x"'))
    assert answer["error"]["kind"] == "internal" and "ZeroDivisionError" in answer["error"]["message"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=scripts, noise=st.text(max_size=40))
def test_any_script_or_text_answers_what_the_schema_says(session: Session, script: Any, noise: str) -> None:
    for text in (str(script), noise):
        _checked(session.step(text))


def _redactable(count: int) -> tuple[Sandbox, Session, list[Any]]:
    sandbox = Sandbox(clock=FixedClock(NOW))
    client = sandbox.client()
    for n in range(count):
        client.create_message(to="+14155550100", from_="+15005550006", body=f"secret {n}")
    asked: list[Any] = []
    return (
        sandbox,
        Session(registry, clock=sandbox.clock, resources=[Connection(sandbox=sandbox), Settings()]),
        asked,
    )


REDACT = 'redact some SMS messages whose body starts with "secret"'


def _bodies(sandbox: Sandbox) -> list[str | None]:
    return sorted(str(message.body) for message in sandbox.client().list_messages(page_size=1000))


def test_a_confirmation_callback_is_shown_everything_and_allows_exactly_that() -> None:
    sandbox, session, asked = _redactable(3)

    def confirm(refusal: Any) -> bool:
        asked.append(refusal.to_dict())
        return True

    session.confirm = confirm
    answer = _checked(session.step(REDACT))
    assert "result" in answer and len(answer["result"]) == 3
    ((shown,),) = [error["would"] for error in asked]
    assert (shown["verb"], shown["count"], len(shown["targets"])) == ("redact", 3, 3)
    assert _bodies(sandbox) == ["", "", ""]


@pytest.mark.parametrize("answer", [False, "async no"])
def test_a_refused_confirmation_changes_nothing(answer: Any) -> None:
    sandbox, session, _ = _redactable(3)

    async def no(refusal: Any) -> bool:
        return False

    session.confirm = no if answer == "async no" else (lambda refusal: False)
    error = _checked(session.step(REDACT))["error"]
    assert error["kind"] == "confirmation" and error["total"] == 3
    assert _bodies(sandbox) == ["secret 0", "secret 1", "secret 2"]


def test_a_confirmed_run_never_does_more_than_it_showed() -> None:
    sandbox, session, _ = _redactable(3)

    def confirm_then_one_more_arrives(refusal: Any) -> bool:
        sandbox.client().create_message(to="+14155550100", from_="+15005550006", body="secret 3")
        return True

    session.confirm = confirm_then_one_more_arrives
    error = _checked(session.step(REDACT))["error"]
    assert error["kind"] == "confirmation" and error["total"] == 4
    assert _bodies(sandbox) == ["secret 0", "secret 1", "secret 2", "secret 3"]
