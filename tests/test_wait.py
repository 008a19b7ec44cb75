"""``wait until the SMS message is delivered [within N UNIT]`` (issue 14).

In words: a wait ends when the thing is in the state waited for, and from then on
``the X`` names it as it is then; it fails, with the book's own error at the
statement, when the time runs out (saying the status it is in), and at once when
the state can no longer come (saying the status reached). A state that is not one
of the thing's is refused before anything waits; a thing no book waits on too. A
status callback told to ``Statuses.notify`` wakes a wait without its next look. A
dry run never waits. Time here is the sandbox's fixed clock, which a wait moves on
instead of sleeping, so that every test is instant and exact.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from typing import Any

import pytest

from book.connection import Connection, Settings
from book.procedures import registry
from book.procedures.waiting import ClockTimer, Statuses, Timer, never, reached, timer_of
from book.sandbox import Sandbox
from procedures import (
    DEFAULT_WAIT,
    Concept,
    Context,
    FixedClock,
    RegistrationError,
    Registry,
    Session,
    SystemClock,
    core,
)

NOW = dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)
SENDER, REACHABLE = "+15005550006", "+14155550100"


def _sandbox() -> Sandbox:
    return Sandbox(clock=FixedClock(NOW))


def _session(sandbox: Sandbox, said: list[str] | None = None, *extra: Any, **settings: Any) -> Session:
    return Session(
        registry,
        clock=sandbox.clock,
        resources=[Connection(sandbox=sandbox), Settings(**settings), *extra],
        say=said.append if said is not None else lambda line: None,
    )


def _clock(sandbox: Sandbox) -> FixedClock:
    assert isinstance(sandbox.clock, FixedClock)
    return sandbox.clock


def _sent(sandbox: Sandbox, to: str = REACHABLE, **fields: Any) -> str:
    """The sid of a message sent in the sandbox, queued now."""
    return (
        Connection(sandbox=sandbox).client().create_message(to=to, from_=SENDER, body="hi", **fields).sid
        or ""
    )


def _scheduled(sandbox: Sandbox) -> str:
    """The sid of a message scheduled an hour ahead."""
    return _sent(
        sandbox,
        send_at=NOW + dt.timedelta(hours=1),
        schedule_type="fixed",
        messaging_service_sid=sandbox.account.services[0],
    )


def _moved(sandbox: Sandbox) -> dt.timedelta:
    return sandbox.clock.now() - NOW


def test_a_wait_ends_when_the_message_is_delivered_and_the_message_then_reads_so() -> None:
    sandbox, said = _sandbox(), list[str]()
    session = _session(sandbox, said)
    result = session.run(
        f'send an SMS message with the recipient number is "{REACHABLE}" and the sender number is "{SENDER}" '
        'and the message body is "Your order has shipped."\n'
        "read an SMS message whose sid is the answer\n"
        "say the SMS message's status\n"
        "wait until the SMS message is delivered within 2 minutes\n"
        "say the SMS message's status\n"
    )
    assert said == ["queued", "delivered"]
    assert _moved(sandbox) == dt.timedelta(seconds=3)  # sent after 1 s, delivered 2 s later: no longer
    assert result.value == "delivered"


def test_a_wait_on_a_status_passed_on_the_way_ends_at_once() -> None:
    sandbox = _sandbox()
    sid = _sent(sandbox)
    _clock(sandbox).advance(dt.timedelta(seconds=5))  # delivered by now
    said: list[str] = []
    _session(sandbox, said).run(
        f'read an SMS message whose sid is "{sid}"\nwait until the SMS message is sent\nsay the SMS message\'s status'
    )
    assert said == ["delivered"] and _moved(sandbox) == dt.timedelta(seconds=5)


def test_in_a_loop_each_item_is_waited_for_and_reads_anew() -> None:
    sandbox, said = _sandbox(), list[str]()
    for _ in range(2):
        _sent(sandbox)
    _session(sandbox, said).run(
        f'read some SMS messages whose sender number is "{SENDER}"\n'
        "process each SMS message as follows\n"
        '  wait until the SMS message is "delivered" within 1 minute\n'
        "  say the SMS message's status\n"
    )
    assert said == ["delivered", "delivered"]


def test_the_time_running_out_is_the_books_error_at_the_statement_saying_where_it_stands() -> None:
    sandbox = _sandbox()
    sid = _scheduled(sandbox)
    error = _session(sandbox).step(
        f'read an SMS message whose sid is "{sid}"\nwait until the SMS message is delivered within 2 minutes'
    )["error"]
    assert error["kind"] == "wait" and (error["line"], error["column"]) == (2, 1)
    assert error["message"] == f"SMS message {sid} was not delivered within 2 minutes: it is scheduled now"
    assert "within 4 minutes" in error["hint"]
    assert (error["state"], error["reached"], error["timed_out"]) == ("delivered", "scheduled", True)
    assert _moved(sandbox) == dt.timedelta(minutes=2)  # by the clock, exactly the time given


def test_without_within_a_wait_lasts_ten_minutes() -> None:
    sandbox = _sandbox()
    sid = _scheduled(sandbox)
    error = _session(sandbox).step(
        f'read an SMS message whose sid is "{sid}"\nwait until the SMS message is sent'
    )
    assert "within 10 minutes" in error["error"]["message"]
    assert _moved(sandbox) == DEFAULT_WAIT == dt.timedelta(minutes=10)


@pytest.mark.parametrize(
    ("to", "status", "why"),
    [("+15005550011", "undelivered", "30003"), ("+15005550012", "failed", "30006")],
)
def test_a_final_status_other_than_the_one_waited_for_ends_the_wait_at_once(
    to: str, status: str, why: str
) -> None:
    sandbox = _sandbox()
    sid = _sent(sandbox, to=to)
    error = _session(sandbox).step(
        f'read an SMS message whose sid is "{sid}"\nwait until the SMS message is delivered within 1 hour'
    )["error"]
    assert error["kind"] == "wait" and not error["timed_out"] and error["reached"] == status
    assert error["message"].startswith(f"SMS message {sid} is {status} (error {why}")
    assert error["message"].endswith("so it will never be delivered")
    assert error["hint"].endswith(f"https://www.twilio.com/docs/errors/{why}")
    assert _moved(sandbox) == dt.timedelta(seconds=3)  # not the hour


def test_a_received_message_is_never_delivered() -> None:
    sandbox = _sandbox()
    sid = sandbox.receive(sender=REACHABLE, body="hello")["sid"]
    error = _session(sandbox).step(
        f'read an SMS message whose sid is "{sid}"\nwait until the SMS message is delivered'
    )
    assert error["error"]["reached"] == "received" and _moved(sandbox) == dt.timedelta(0)


def test_a_state_that_is_no_status_is_refused_before_anything_waits() -> None:
    sandbox = _sandbox()
    sid = _sent(sandbox)
    error = _session(sandbox).step(
        f'read an SMS message whose sid is "{sid}"\nwait until the SMS message is deliverd'
    )["error"]
    assert error["kind"] == "value" and error["line"] == 2
    assert "'deliverd' is not a status an SMS message can be in" in error["message"]
    assert "queued, sending, sent, failed, delivered" in error["message"]
    assert error["hint"] == "Did you mean 'delivered'?"
    assert _moved(sandbox) == dt.timedelta(0)
    spaced = _session(sandbox).step(
        f'read an SMS message whose sid is "{sid}"\nwait until the SMS message is "partially delivered" within 1 minute'
    )["error"]
    assert spaced["kind"] == "wait" and spaced["state"] == "partially_delivered"  # its words name the status


def test_a_misspelt_state_is_refused_before_a_send_before_it() -> None:
    sandbox = _sandbox()
    before = sandbox.count()
    error = _session(sandbox).step(
        'send an SMS message where\n  the sender number is "+15005550006"\n  the recipient number is "+14155550100"\n'
        '  the message body is "hi"\nread an SMS message whose sid is the answer\nwait until the SMS message is deliverd'
    )["error"]
    assert error["kind"] == "value" and error["line"] == 6 and error["hint"] == "Did you mean 'delivered'?"
    assert sandbox.count() == before  # nothing was sent


def test_only_what_a_book_waits_on_can_be_waited_for() -> None:
    error = _session(_sandbox()).step('the greeting is "hi"\nwait until the greeting is delivered')["error"]
    assert error["kind"] == "run" and (error["line"], error["column"]) == (2, 12)
    assert (
        error["message"]
        == "there is no waiting on 'the greeting', text: a wait is for an SMS message's status"
    )


class Stalled(ClockTimer):
    """A timer whose sleeps never end by themselves: a wait on it ends only when woken."""

    def __init__(self, clock: FixedClock) -> None:
        super().__init__(clock)
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.Event().wait()


def _woken(status: str, advance: dt.timedelta) -> tuple[Any, Stalled, str]:
    """Run a wait for "delivered" on a stalled timer; once it sleeps, move the sandbox
    on by ``advance`` and say ``status`` from another thread, as a listener would."""
    sandbox, statuses = _sandbox(), Statuses()
    timer = Stalled(_clock(sandbox))
    sid = _sent(sandbox)
    session = _session(sandbox, None, statuses, timer)

    async def scenario() -> Any:
        waiting = asyncio.create_task(
            session.arun(f'read an SMS message whose sid is "{sid}"\nwait until the SMS message is delivered')
        )
        while not timer.sleeps:
            await asyncio.sleep(0)
        _clock(sandbox).advance(advance)
        told = threading.Thread(target=session.resources[Statuses].notify, args=(sid, status))
        told.start()
        told.join()
        return await asyncio.wait_for(waiting, 5)

    return asyncio.run(scenario()), timer, sid


def test_a_status_callback_wakes_the_wait_without_its_next_look() -> None:
    result, timer, _ = _woken("delivered", dt.timedelta(seconds=3))
    assert result.value.status == "delivered"
    assert timer.sleeps == [5.0]  # one sleep begun (listening, looks are 5 s apart), never ended


def test_a_callback_ahead_of_the_message_is_believed_and_a_final_one_ends_the_wait() -> None:
    result, _, _ = _woken("delivered", dt.timedelta(0))  # the sandbox still says queued
    assert result.value.status == "delivered"
    with pytest.raises(Exception, match="is failed, so it will never be delivered") as failed:
        _woken("failed", dt.timedelta(0))
    assert getattr(failed.value, "kind", None) == "wait"


def test_statuses_take_callback_parameters_and_ignore_what_has_none() -> None:
    statuses = Statuses()

    async def heard() -> list[str]:
        with statuses.watch("SM1") as watch:
            statuses.callback({"MessageSid": "SM1", "MessageStatus": "sent"})
            statuses.callback({"SmsSid": "SM1", "SmsStatus": "Delivered"})
            statuses.callback({"MessageSid": "SM2", "MessageStatus": "sent"})
            statuses.callback({"AccountSid": "AC1"})
            await asyncio.wait_for(watch.woken(), 1)
            return watch.take()

    assert asyncio.run(heard()) == ["sent", "delivered"]
    assert repr(statuses) == "Statuses(watching 0 messages)"


def test_a_dry_run_says_what_it_would_wait_for_and_does_not_wait() -> None:
    sandbox, said = _sandbox(), list[str]()
    sid = _sent(sandbox)
    result = _session(sandbox, said, dry_run=True).run(
        f'read an SMS message whose sid is "{sid}"\n'
        "wait until the SMS message is delivered within 5 minutes\n"
        "say the SMS message's status"
    )
    assert said == [
        f"dry run: would wait until the SMS message ({sid}) is delivered, for at most 5 minutes",
        "queued",
    ]
    assert result.value == "queued" and _moved(sandbox) == dt.timedelta(0)


def test_the_time_a_wait_keeps() -> None:
    fixed = _sandbox()
    assert isinstance(timer_of(_context([]), Connection(sandbox=fixed)), ClockTimer)
    assert type(timer_of(_context([]), Connection(sandbox=Sandbox(clock=SystemClock())))) is Timer
    given = Timer()
    assert timer_of(_context([given]), Connection(sandbox=fixed)) is given
    assert reached("sent", "delivered") and reached("accepted", "queued") and not reached("delivered", "sent")
    assert never("delivered", "canceled") and never("scheduled", "queued") and never("read", "failed")
    assert not never("delivered", "scheduled") and not never("delivered", "some new status")


def _context(resources: list[Any]) -> Context:
    from procedures import Binder

    return Context(
        now=NOW,
        timezone=dt.UTC,
        resources={type(resource): resource for resource in resources},
        say=lambda line: None,
        binder=Binder(now=NOW, timezone=dt.UTC, resolve=None),
    )


# ---------------------------------------------------------------- the runtime's part, with no Twilio


class Parcel(Concept):
    english = "parcel"
    key = "code"

    code: str
    status: str | None = None


def _parcels() -> tuple[Session, list[dt.timedelta]]:
    """A session of a book that waits on parcels: its waiter makes them so at once."""
    timeouts: list[dt.timedelta] = []

    async def arrive(parcel: Parcel, status: str, timeout: dt.timedelta, context: Context) -> Parcel:
        timeouts.append(timeout)
        return parcel.model_copy(update={"status": status})

    book = Registry()
    book.waits("a parcel", Parcel, arrive, states=("posted", "delivered", "lost"))
    book.event("when a parcel's status changes", Parcel)
    return Session(Registry().merge(core).merge(book), say=lambda line: None), timeouts


def test_after_a_wait_a_name_a_result_and_an_item_name_the_thing_as_it_is_then() -> None:
    session, timeouts = _parcels()
    session.scope.name(_noun("order"), Parcel(code="P1", status="posted"))
    said = session.run(
        "wait until the order is delivered within 2 hours\nsay the order's status\n"
        "wait until the order is lost within 1 week\nsay the order's status"
    ).said
    assert said == ("delivered", "lost")
    assert timeouts == [dt.timedelta(hours=2), dt.timedelta(weeks=1)]
    session.scope.result(_noun("parcels"), [Parcel(code="P2", status="posted")], Parcel, True)
    said = session.run(
        "wait until the parcel is delivered\nprocess each parcel as follows\n  say the parcel's status"
    ).said
    assert said == ("delivered",)  # the list the parcel came from, renewed
    assert timeouts[-1] == DEFAULT_WAIT


def test_a_wait_in_a_handler_renews_the_thing_of_the_event() -> None:
    session, _ = _parcels()
    session.run(
        "when a parcel's status changes\n  wait until the parcel is delivered\n  say the parcel's status\n"
    )
    handled = asyncio.run(
        session.handle("when a parcel's status changes", Parcel(code="P3", status="posted"))
    )
    assert handled.said == ("delivered",)


def test_waiting_is_registered_with_care_and_merged() -> None:
    async def arrive(parcel: Parcel, status: str, timeout: dt.timedelta, context: Context) -> Parcel:
        return parcel

    def sync(parcel: Parcel, status: str, timeout: dt.timedelta, context: Context) -> Parcel:
        return parcel

    book = Registry()
    book.waits("a parcel", Parcel, arrive, states=("delivered",))
    assert [waiter.english for waiter in Registry().merge(book).waiters] == ["a parcel"]
    with pytest.raises(RegistrationError, match="asynchronous"):
        Registry().waits("a parcel", Parcel, sync, states=("delivered",))
    with pytest.raises(RegistrationError, match="with 'a' or 'an'"):
        Registry().waits("the box", Parcel, arrive, states=("delivered",))
    with pytest.raises(RegistrationError, match="no field 'weight'"):
        Registry().waits("a parcel", Parcel, arrive, states=("heavy",), field="weight")
    with pytest.raises(RegistrationError, match="the states"):
        Registry().waits("a parcel", Parcel, arrive, states=())

    async def other(parcel: Parcel, status: str, timeout: dt.timedelta, context: Context) -> Parcel:
        return parcel

    with pytest.raises(RegistrationError, match="registered already"):
        book.waits("a parcel", Parcel, other, states=("delivered",))
    nothing = Session(core, say=lambda line: None).step(
        'the greeting is "hi"\nwait until the greeting is here'
    )
    assert nothing["error"]["message"].endswith("this book waits on nothing")


def _noun(text: str) -> Any:
    from grammar import NounPhrase

    return NounPhrase.of(text)


def test_a_waiter_that_does_not_keep_to_the_time_is_ended_by_the_runtime(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def forever(parcel: Parcel, status: str, timeout: dt.timedelta, context: Context) -> Parcel:
        await asyncio.Event().wait()
        return parcel

    book = Registry().merge(core)
    book.waits("a parcel", Parcel, forever, states=("delivered",))
    session = Session(book, say=lambda line: None)
    session.scope.name(_noun("parcel"), Parcel(code="P4"))
    monkeypatch.setattr("procedures.runtime.GRACE", dt.timedelta(seconds=0.05) - dt.timedelta(minutes=1))
    error = session.step("wait until the parcel is delivered within 1 minute")["error"]
    assert error["kind"] == "wait" and error["timed_out"] and "fault in the book" in error["hint"]
