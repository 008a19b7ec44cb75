"""``book listen --poll``: inbound messages read from the list, each handled once,
its replies sent once from the number it came to; across restarts, and when the
process is killed at random points (SIGKILL, 20 times during 500 messages)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from book.connection import Connection, Settings
from book.listen import Outgoing, SqliteStore
from book.listen.listener import Handled, Listener
from book.listen.poller import Poller
from book.procedures import registry
from book.sandbox import Sandbox
from procedures import FixedClock, Session

NOW = dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)
BOOK = shutil.which("book") or str(Path(sys.executable).parent / "book")
ECHO = "when an SMS message is received\n  reply with the SMS message's body\n"


class Polling:
    """A poller of ``script`` on a sandbox, with a fixed clock."""

    def __init__(self, sandbox: Sandbox, store: Path, script: str = ECHO) -> None:
        self.sandbox = sandbox
        self.connection = Connection(sandbox=sandbox)
        self.session = Session(
            registry, clock=sandbox.clock, resources=[self.connection, Settings()], say=lambda _: None
        )
        self.session.run(script)
        self.store = SqliteStore.open(store)
        self.log: list[Handled] = []
        self.notes: list[str] = []
        self.listener = Listener(self.session, self.store, source=script, log=self.log.append)

    def once(self) -> list[Handled]:
        async def poll() -> list[Handled]:
            poller = Poller(
                self.listener,
                self.connection.async_client(),
                self.store,
                account=self.sandbox.account.sid,
                now=self.sandbox.clock.now,
                note=self.notes.append,
            )
            return await poller.once()

        return asyncio.run(poll())

    def close(self) -> None:
        self.store.close()
        self.session.close()


def _replies(sandbox: Sandbox) -> Counter[tuple[str, str | None]]:
    """The messages the account sent, by recipient and body."""
    client = sandbox.client()
    return Counter(
        (str(message.to), message.body)
        for message in client.list_messages(page_size=1000)
        if message.direction != "inbound"
    )


def test_each_new_inbound_message_is_handled_once_and_answered_from_its_number(tmp_path: Path) -> None:
    clock = FixedClock(NOW)
    sandbox = Sandbox(clock=clock)
    sandbox.receive(sender="+14155550100", body="before the poller started")
    clock.advance(dt.timedelta(seconds=5))
    polling = Polling(sandbox, tmp_path / "listen.sqlite3")
    try:
        assert polling.once() == []  # the first poll sets the cursor: what came before is not handled
        clock.advance(dt.timedelta(seconds=5))
        for n in range(3):
            sandbox.receive(sender=f"+1415555020{n}", body=f"hello {n}")
        handled = polling.once()
        assert sorted(event.sender for event in handled) == ["+14155550200", "+14155550201", "+14155550202"]
        assert all(event.outcome == "ok" and event.replies for event in handled)
        assert polling.once() == []  # read again within the lookback: nothing runs twice
        assert _replies(sandbox) == Counter({(f"+1415555020{n}", f"hello {n}"): 1 for n in range(3)})
        clock.advance(dt.timedelta(hours=3))  # past the lookback, a day later in part
        sandbox.receive(sender="+14155550300", body="later")
        assert [event.sender for event in polling.once()] == ["+14155550300"]
    finally:
        polling.close()


def test_a_restart_goes_on_from_the_cursor_without_repeating_or_missing(tmp_path: Path) -> None:
    clock = FixedClock(NOW)
    sandbox = Sandbox(clock=clock)
    first = Polling(sandbox, tmp_path / "listen.sqlite3")
    first.once()
    sandbox.receive(sender="+14155550100", body="one")
    assert len(first.once()) == 1
    first.close()
    clock.advance(dt.timedelta(minutes=1))
    sandbox.receive(sender="+14155550101", body="two")  # while no poller runs
    second = Polling(sandbox, tmp_path / "listen.sqlite3")
    try:
        assert [event.sender for event in second.once()] == ["+14155550101"]
        assert _replies(sandbox) == Counter({("+14155550100", "one"): 1, ("+14155550101", "two"): 1})
    finally:
        second.close()


def test_a_reply_in_doubt_is_looked_for_before_it_is_sent_again(tmp_path: Path) -> None:
    clock = FixedClock(NOW)
    sandbox = Sandbox(clock=clock)
    polling = Polling(sandbox, tmp_path / "listen.sqlite3")
    try:
        polling.once()
        message = sandbox.receive(sender="+14155550100", body="went out")
        lost = sandbox.receive(sender="+14155550101", body="did not go out")
        store = polling.store
        for found in (message, lost):  # handled, replies queued; the process "dies" while sending both
            store.claim(("received", found["sid"]))
            since = NOW.isoformat()
            store.done(
                ("received", found["sid"]),
                "ok",
                [found["body"]],
                [Outgoing(found["to"], found["from"], found["body"], since)],
            )
        queued = store.to_send()
        for send in queued:
            assert store.sending(send.number)
        sandbox.client().create_message(
            to="+14155550100", from_=message["to"], body="went out"
        )  # it had gone out
        polling.store.close()
        polling.store = polling.listener.store = SqliteStore.open(
            tmp_path / "listen.sqlite3"
        )  # a new process
        _forget_run_locks(tmp_path)
        polling.once()
        assert _replies(sandbox) == Counter(
            {("+14155550100", "went out"): 1, ("+14155550101", "did not go out"): 1}
        )
        assert any("had gone out" in note for note in polling.notes)
        assert polling.store.to_send() == ()
    finally:
        polling.close()


def _forget_run_locks(folder: Path) -> None:
    """What a process's death does to its run lock: let go of it (here, the lock
    file of this test's closed store goes, so its run counts as gone)."""
    for lock in folder.glob("*.runs/*.lock"):
        lock.unlink()


# ------------------------------------------------------------ killed at random


def test_killed_20_times_during_500_messages_each_is_handled_once(tmp_path: Path) -> None:
    """The poller runs as ``book listen --poll`` and is killed with SIGKILL at random
    points 20 times while 500 messages come in; after the last restart every
    message has exactly one reply (each reply echoes its message's body)."""
    path = tmp_path / "sandbox.sqlite3"
    env = {**os.environ, "SMS_BOOK_SANDBOX": str(path)}
    for name in ("TWILIO_ACCOUNT_SID", "SMS_BOOK_NOW"):
        env.pop(name, None)
    script = tmp_path / "echo.english"
    script.write_text(ECHO)
    subprocess.run([BOOK, "sandbox", "info"], env=env, capture_output=True, check=True, timeout=60)
    command = [
        BOOK,
        "listen",
        str(script),
        "--poll",
        "--interval",
        "0.05",
        "--store",
        str(tmp_path / "listen.sqlite3"),
        "--format",
        "json",
    ]
    chance = random.Random(20)
    logs = tmp_path / "logs"
    logs.mkdir()

    def start(n: int) -> subprocess.Popen[bytes]:
        with (logs / f"{n}.out").open("wb") as out, (logs / f"{n}.err").open("wb") as err:
            return subprocess.Popen(command, env=env, stdout=out, stderr=err)

    running = start(0)
    time.sleep(1.5)  # its first poll sets the cursor before the first message
    sandbox = Sandbox(str(path))
    bodies = [f"message {n}" for n in range(500)]
    kills = sorted(chance.sample(range(1, 500), 20))
    for n, body in enumerate(bodies):
        sandbox.receive(sender=f"+1415555{n % 50:04d}", body=body)
        if kills and n == kills[0]:
            kills.pop(0)
            time.sleep(chance.uniform(0, 0.4))  # somewhere in a poll, a handler or a send
            running.send_signal(signal.SIGKILL)
            running.wait()
            running = start(n + 1)
        elif n % 10 == 0:
            time.sleep(0.01)
    deadline = time.monotonic() + 120
    replies = Counter[tuple[str, Any]]()
    while time.monotonic() < deadline:
        replies = _replies(sandbox)
        if sum(replies.values()) >= 500:
            break
        time.sleep(0.5)
    time.sleep(1)  # anything sent twice would show now
    running.send_signal(signal.SIGTERM)
    running.wait(timeout=30)
    replies = _replies(sandbox)
    expected = Counter({(f"+1415555{n % 50:04d}", body): 1 for n, body in enumerate(bodies)})
    assert replies == expected, (
        f"missing {sorted((expected - replies).elements())[:5]}, twice {sorted((replies - expected).elements())[:5]}; "
        + "".join((logs / f"{n}.err").read_text()[-300:] for n in range(3))
    )


def test_an_unknown_event_is_released_by_the_command(tmp_path: Path) -> None:
    sid = "SM" + "d" * 32
    with SqliteStore.open(tmp_path / "listen.sqlite3") as crashed:
        crashed.claim(("received", sid))  # never done: its handler may have sent something
    release = [BOOK, "listen", "--store", str(tmp_path / "listen.sqlite3"), "--release"]
    done = subprocess.run([*release, sid], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and f"released: received {sid}" in done.stderr
    with SqliteStore.open(tmp_path / "listen.sqlite3") as store:
        assert store.unknown == () and store.claim(("received", sid))
        store.done(("received", sid), "ok")
    again = subprocess.run([*release, sid], capture_output=True, text=True, timeout=60, check=False)
    assert again.returncode == 2 and "no unknown event" in again.stderr
