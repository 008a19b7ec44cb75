"""Nothing changes unasked: the confirmation counts changes across the whole run,
however the script is written; a dry run changes nothing and lists what it would
do; what went out is reported after a failure or an interruption, item by item.

Invariants (hypothesis): a script run without confirmation changes at most one
existing message, and a dry run leaves the sandbox exactly as it was.
"""

from __future__ import annotations

import _thread
import datetime as dt
import threading
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from book.connection import Connection, Settings
from book.procedures import registry
from book.sandbox import Faults, Sandbox, seed
from grammar import parse_script
from procedures import FixedClock, LoopError, Session
from procedures.effects import ConfirmationError, InterruptedRunError

NOW = dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)
OUTBOUND = 'read the first {n} SMS messages whose direction is "outbound-api"'


def make_sandbox(count: int = 120) -> Sandbox:
    made = Sandbox(clock=FixedClock(NOW))
    seed(made, count, seed=12)
    return made


@pytest.fixture
def sandbox() -> Sandbox:
    return make_sandbox()


def session(sandbox: Sandbox, said: list[str] | None = None, **settings: Any) -> Session:
    return Session(
        registry,
        clock=sandbox.clock,
        resources=[Connection(sandbox=sandbox), Settings(**settings)],
        say=(said.append if said is not None else lambda line: None),
    )


def snapshot(sandbox: Sandbox) -> dict[str, tuple[Any, ...]]:
    """Every message of the sandbox, as stored."""
    with sandbox.state.transaction() as db:
        return {row[0]: tuple(row) for row in db.execute("SELECT * FROM messages")}


def changed(before: dict[str, tuple[Any, ...]], after: dict[str, tuple[Any, ...]]) -> set[str]:
    """The messages that existed before and were changed or deleted since."""
    return {sid for sid, row in before.items() if after.get(sid) != row}


def loop(verb: str, n: int = 40) -> str:
    return "\n".join(
        [OUTBOUND.format(n=n), "process each SMS message as follows", f"  {verb} the SMS message"]
    )


# ------------------------------------------------------------- confirmation


@pytest.mark.parametrize("verb", ["delete", "redact", "cancel"])
def test_a_loop_that_changes_many_needs_confirmation_and_changes_nothing(sandbox: Sandbox, verb: str) -> None:
    before = snapshot(sandbox)
    with session(sandbox) as unconfirmed, pytest.raises(ConfirmationError) as refused:
        unconfirmed.run(loop(verb))
    assert snapshot(sandbox) == before
    assert f"this would {verb} 40 SMS messages" in refused.value.message
    data = refused.value.to_dict()
    assert data["total"] == 40
    assert len(data["would"][0]["targets"]) == 40


def test_the_same_loop_goes_ahead_with_confirmation(sandbox: Sandbox) -> None:
    before = snapshot(sandbox)
    with session(sandbox, yes=True) as confirmed:
        confirmed.run(loop("delete"))
    assert len(set(before) - set(snapshot(sandbox))) == 40


def test_a_dry_run_lists_every_change_with_the_total_and_changes_nothing(sandbox: Sandbox) -> None:
    before = snapshot(sandbox)
    said: list[str] = []
    with session(sandbox, said, dry_run=True) as dry:
        dry.run(loop("delete", 7))
    assert snapshot(sandbox) == before
    assert sum(line.startswith("dry run: would delete SM") for line in said) == 7
    assert said[-1] == "dry run: in all, would delete 7 SMS messages; nothing was changed"


def test_changes_in_separate_statements_are_counted_together(sandbox: Sandbox) -> None:
    first, second = sorted(snapshot(sandbox))[:2]
    script = (
        f'delete some SMS messages whose sid is "{first}"\nredact some SMS messages whose sid is "{second}"'
    )
    before = snapshot(sandbox)
    with session(sandbox) as unconfirmed, pytest.raises(ConfirmationError) as refused:
        unconfirmed.run(script)
    assert snapshot(sandbox) == before  # refused before the first one was done
    assert "delete 1 SMS message" in refused.value.message
    assert "redact 1 SMS message" in refused.value.message


def test_a_change_to_a_whole_result_is_counted_before_any(sandbox: Sandbox) -> None:
    before = snapshot(sandbox)
    with session(sandbox) as unconfirmed, pytest.raises(ConfirmationError):
        unconfirmed.run(OUTBOUND.format(n=3) + "\nredact the SMS messages")
    assert snapshot(sandbox) == before


def test_a_loop_that_changes_just_one_needs_no_confirmation(sandbox: Sandbox) -> None:
    target = next(iter(snapshot(sandbox)))
    script = "\n".join(
        [
            "read the first 30 SMS messages",
            "process each SMS message as follows",
            f'  if the SMS message\'s sid is "{target}" then',
            "    redact the SMS message",
        ]
    )
    before = snapshot(sandbox)
    with session(sandbox) as unconfirmed:
        unconfirmed.run(script)
    assert changed(before, snapshot(sandbox)) <= {target}


def sends(count: int) -> str:
    return "\n".join(
        [
            f'read the first {count} SMS messages whose direction is "inbound"',
            "process each SMS message as follows",
            "  send an SMS message where",
            '    the sender number is "+15005550006"',
            "    the recipient number is the SMS message's sender number",
            '    the message body is "hello"',
        ]
    )


def test_more_sends_than_the_limit_need_confirmation() -> None:
    sandbox = make_sandbox(1000)
    before = snapshot(sandbox)
    with session(sandbox) as unconfirmed, pytest.raises(ConfirmationError) as refused:
        unconfirmed.run(sends(101))
    assert snapshot(sandbox) == before
    assert "send 101 SMS messages" in refused.value.message
    with session(sandbox, creates=101) as allowed:
        allowed.run(sends(101))
    assert len(snapshot(sandbox)) == len(before) + 101


def test_up_to_the_limit_of_sends_needs_no_confirmation() -> None:
    sandbox = make_sandbox(400)
    before = len(snapshot(sandbox))
    with session(sandbox, creates=5) as limited:
        limited.run(sends(5))
    assert len(snapshot(sandbox)) == before + 5


# hypothesis: scripts of changes written every which way


def _statements(sids: list[str]) -> st.SearchStrategy[str]:
    verb = st.sampled_from(["delete", "redact", "cancel"])
    sid = st.sampled_from(sids)
    return st.one_of(
        st.builds(lambda n: OUTBOUND.format(n=n), st.integers(0, 4)),
        st.builds(lambda v: f"process each SMS message as follows\n  {v} the SMS message", verb),
        st.builds(
            lambda v, s: (
                "process each SMS message as follows\n"
                f'  if the SMS message\'s sid is not "{s}" then\n    {v} the SMS message'
            ),
            verb,
            sid,
        ),
        st.builds(lambda v, s: f'{v} some SMS messages whose sid is "{s}"', verb, sid),
        st.builds(lambda v, s: f'{v} an SMS message whose sid is "{s}"', verb, sid),
        st.builds(lambda v: f"{v} the SMS messages", verb),
        st.builds(lambda v: f"{v} the SMS message", verb),
        st.builds(
            lambda v, n: f'{v} the first {n} SMS messages whose direction is "outbound-api"',
            verb,
            st.integers(1, 3),
        ),
    )


SIDS = sorted(snapshot(make_sandbox(40)))[:8]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_statements(SIDS), min_size=1, max_size=4), st.booleans())
def test_no_script_changes_more_than_one_message_unasked(statements: list[str], dry: bool) -> None:
    sandbox = make_sandbox(40)
    script = "\n".join(statements)
    before = snapshot(sandbox)
    with session(sandbox, dry_run=dry) as unconfirmed:
        unconfirmed.step(script)  # an error or a result, whichever
    after = snapshot(sandbox)
    if dry:
        assert after == before
    else:
        assert len(changed(before, after)) <= 1


# ------------------------------------------------------ what went out, on failure


def test_a_failed_loop_reports_every_item_and_never_advises_redoing_an_unknown() -> None:
    sandbox = make_sandbox(400)
    sandbox.faults = Faults(seed=3, lost=0.08, methods=("POST",))
    script = sends(60).replace(
        "the recipient number is the SMS message's sender number",
        "the recipient number is the SMS message's sender number",
    )
    with session(sandbox, yes=True) as sending:
        answer = sending.step(script)
    error = answer["error"]
    outcomes = error["outcomes"]
    states = [act["state"] for act in outcomes["acts"]]
    assert len(states) == 60
    assert outcomes["done"] + outcomes["unknown"] + outcomes["refused"] == 60
    assert outcomes["unknown"] > 0
    assert "do not do them again before looking for them" in error["hint"]
    assert "only the failed" not in error["hint"]
    # Every unknown send says how to find it, and the English finds what it sent.
    sandbox.faults = None
    unknown = [act for act in outcomes["acts"] if act["state"] == "unknown"]
    with session(sandbox) as looking:
        for act in unknown:
            assert act["find"].startswith("read some SMS messages whose recipient number is")
            found = looking.run(act["find"]).value
            assert any(message.recipient_number == act["target"] for message in found)
    done = [act["result"] for act in outcomes["acts"] if act["state"] == "done"]
    assert all(sid.startswith("SM") for sid in done)
    assert set(done) <= set(snapshot(sandbox))


def test_refused_items_carry_twilios_code() -> None:
    sandbox = make_sandbox(40)
    script = "\n".join(
        [
            'read the first 3 SMS messages whose direction is "outbound-api"',
            "process each SMS message as follows",
            "  cancel the SMS message",  # only a scheduled message can be canceled: 30409
        ]
    )
    with session(sandbox, yes=True) as canceling, pytest.raises(LoopError) as failed:
        canceling.run(script)
    report = canceling.journal.report()
    assert report["refused"] == 3
    assert {act["error"]["code"] for act in report["acts"]} == {30409}
    assert "The 3 refused did not happen" in (failed.value.hint or "")


# ---------------------------------------------------------- interruption


def test_an_interrupted_bulk_send_reports_what_went_through() -> None:
    sandbox = make_sandbox(800)
    sandbox.faults = Faults(seed=3, latency=0.05, methods=("POST",))
    with session(sandbox, yes=True, concurrency=10) as sending:
        before = set(snapshot(sandbox))
        stop = threading.Event()

        def interrupt_once_sends_are_under_way() -> None:
            while not stop.is_set() and sandbox.count() < len(before) + 20:
                stop.wait(0.01)
            if not stop.is_set():
                _thread.interrupt_main()  # as Ctrl-C does: SIGINT's handler runs

        watcher = threading.Thread(target=interrupt_once_sends_are_under_way)
        watcher.start()
        try:
            with pytest.raises(InterruptedRunError) as interrupted:
                sending.run(sends(200))
        finally:
            stop.set()
            watcher.join()
    report = interrupted.value.report
    waiting = report["not started"]
    assert report["done"] > 0 and waiting, report
    done = {act["result"] for act in report["acts"] if act["state"] == "done"}
    created = set(snapshot(sandbox)) - before
    assert done <= created  # every send reported done went out
    assert len(created) <= report["done"] + report["unknown"]  # and nothing went out unreported
    assert all(act.get("find") for act in report["acts"] if act["state"] == "unknown")
    assert interrupted.value.to_dict()["kind"] == "interrupted"


def test_the_find_sentences_parse() -> None:
    english = (
        'read some SMS messages whose recipient number is "+14155550100" and whose sender number is '
        '"+15005550006" and whose date created is on or after 2024-06-01'
    )
    assert str(parse_script(english)) == english


def test_ctrl_c_stops_a_long_read_at_the_next_page() -> None:
    """A read works page after page without yielding to the event loop: Ctrl-C
    still stops it at the next page, not when the whole scan is done."""
    sandbox = make_sandbox(4000)
    sandbox.faults = Faults(seed=3, latency=0.3, methods=("GET",))
    asked: list[str] = []
    handle = sandbox.handle

    def counted(method: str, *rest: Any) -> Any:
        asked.append(method)
        return handle(method, *rest)

    sandbox.handle = counted  # type: ignore[method-assign]
    stop = threading.Event()

    def interrupt_after_the_first_page() -> None:
        while not stop.is_set() and len(asked) < 1:
            stop.wait(0.01)
        if not stop.is_set():
            _thread.interrupt_main()

    watcher = threading.Thread(target=interrupt_after_the_first_page)
    with session(sandbox, scan_budget=None) as reading:
        watcher.start()
        try:
            with pytest.raises(InterruptedRunError) as interrupted:
                reading.run('read some SMS messages whose body contains "no such words"')
        finally:
            stop.set()
            watcher.join()
    assert len(asked) <= 2, asked  # four pages to scan: stopped after the one under way
    assert interrupted.value.report["acts"] == []  # a read changes nothing
