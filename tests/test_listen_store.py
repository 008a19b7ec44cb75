"""The record of events: each key claimed once, whoever asks and whenever.

The invariants, in words: a key is granted to one claim only, across threads,
processes sharing one file, and reopenings; a key claimed and never done is
reported unknown when the file is opened again and is not granted again until
it is released; the poller's cursor survives a reopening; whatever goes wrong
is the book's ``ListenError``, never SQLite's.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from book.errors import ListenError
from book.listen import EventStore, Json, Outgoing, SqliteStore, default_path
from grammar import BookError

SID = "SM" + "a" * 32
RECEIVED = ("received", SID)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "listen.sqlite3"


@pytest.fixture
def store(path: Path) -> Iterator[SqliteStore]:
    with SqliteStore.open(path) as opened:
        yield opened


def test_a_key_is_claimed_once(store: SqliteStore) -> None:
    first = store.claim(RECEIVED)
    assert first and first.record.state == "started" and first.record.pid == os.getpid()
    again = store.claim(RECEIVED)
    assert not again and again.record == first.record


def test_done_is_recorded_and_a_done_key_is_not_claimed_again(store: SqliteStore) -> None:
    store.claim(("status", SID, "delivered"))
    record = store.done(("status", SID, "delivered"), "ok")
    assert (record.state, record.outcome) == ("done", "ok")
    assert store.record(("status", SID, "delivered")) == record
    assert not store.claim(("status", SID, "delivered"))
    assert store.claim(("status", SID, "sent"))  # another status of the same message is another event


def test_done_twice_or_without_a_claim_is_refused(store: SqliteStore) -> None:
    with pytest.raises(ListenError, match="never claimed"):
        store.done(RECEIVED, "ok")
    store.claim(RECEIVED)
    store.done(RECEIVED, "x" * 10_000)
    assert len(getattr(store.record(RECEIVED), "outcome", "")) == 500
    with pytest.raises(ListenError, match="done already"):
        store.done(RECEIVED, "ok")


def test_a_crash_leaves_the_key_unknown_and_claimed(path: Path) -> None:
    with SqliteStore.open(path) as crashed:
        crashed.claim(RECEIVED)
        assert crashed.unfinished() == ()  # its own claims are not unknown to it
    with SqliteStore.open(path) as restarted:
        assert [record.key for record in restarted.unknown] == [RECEIVED]
        assert restarted.unfinished() == restarted.unknown
        assert not restarted.claim(RECEIVED)
        with pytest.raises(ListenError, match="another run"):
            restarted.done(RECEIVED, "ok")


def test_release_makes_an_unknown_key_claimable(path: Path) -> None:
    with SqliteStore.open(path) as crashed:
        crashed.claim(RECEIVED)
    with SqliteStore.open(path) as restarted:
        assert restarted.release(RECEIVED).state == "started"
        assert restarted.unfinished() == ()
        assert restarted.claim(RECEIVED)
        restarted.done(RECEIVED, "ok")
        with pytest.raises(ListenError, match="only an unknown one"):
            restarted.release(RECEIVED)
        with pytest.raises(ListenError, match="nothing to release"):
            restarted.release(("received", "SM" + "b" * 32))


def test_the_cursor_survives_a_reopening(path: Path) -> None:
    value: Json = {"date_sent": "2024-05-01T10:00:00Z", "seen": [SID, "SM" + "b" * 32], "note": "é 🙂"}
    with SqliteStore.open(path) as store:
        assert store.cursor("inbound") is None
        store.set_cursor("inbound", value)
    with SqliteStore.open(path) as store:
        assert store.cursor("inbound") == value
        store.set_cursor("inbound", None)
        assert store.cursor("inbound") is None
        with pytest.raises(ListenError, match="not JSON"):
            store.set_cursor("inbound", {"when": object()})  # type: ignore[dict-item]
        with pytest.raises(ListenError, match="not JSON"):
            store.set_cursor("inbound", float("nan"))
        with pytest.raises(ListenError, match="cursor's name"):
            store.cursor("")


@pytest.mark.parametrize(
    "key",
    [
        "SMabc",
        ("received",),
        ("received", SID, "extra"),
        ("sent", SID),
        ("received", ""),
        ("received", 7),
        ("received", "SM" + "a" * 300),
        ("received", "SM\x00abc"),
        ("received", "SM\nabc"),
        ("received", "SM\ud800"),
        ("status", SID, "deliv\u200bered"),
        b"received",
        None,
    ],
)
def test_a_hostile_key_is_refused_clearly(store: SqliteStore, key: object) -> None:
    with pytest.raises(ListenError, match="is not a key") as caught:
        store.claim(key)  # type: ignore[arg-type]
    assert len(caught.value.message) < 200 and caught.value.hint


def test_printable_unicode_and_the_longest_parts_round_trip(path: Path) -> None:
    keys = [("received", "SMé🙂中文"), ("status", "S" * 256, "ü" * 256)]
    with SqliteStore.open(path) as store:
        assert all(store.claim(key) for key in keys)
    with SqliteStore.open(path) as store:
        assert [record.key for record in store.unknown] == keys


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"hello, not a database\n", "not an SQLite database"),
        (None, "a directory"),
    ],
)
def test_a_file_that_is_not_the_record_is_refused_and_left_as_it_was(
    path: Path, content: bytes | None, reason: str
) -> None:
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises(ListenError, match=reason):
        SqliteStore.open(path)
    assert content is None or path.read_bytes() == content


def test_another_applications_database_is_refused_untouched(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE notes (text TEXT)")
    db.execute("INSERT INTO notes VALUES ('mine')")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(ListenError, match="did not make"):
        SqliteStore.open(path)
    assert path.read_bytes() == before


def test_sqlite_errors_are_the_books(path: Path) -> None:
    with SqliteStore.open(path, patience=0.1) as store:
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(ListenError, match="busy") as caught:
                store.claim(RECEIVED)
            assert isinstance(caught.value, BookError)
            assert isinstance(caught.value.__cause__, sqlite3.Error)
            with pytest.raises(ListenError, match="busy"):
                SqliteStore.open(path, patience=0.1)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert store.claim(RECEIVED)
    with pytest.raises(ListenError, match="closed"):
        store.claim(RECEIVED)


def test_the_default_file_is_in_the_users_state_directory() -> None:
    assert default_path().name == "listen.sqlite3"
    assert default_path().parent.name == "sms-book"


def test_sqlite_store_is_an_event_store(store: SqliteStore) -> None:
    def claims(events: EventStore) -> bool:
        return events.claim(RECEIVED).granted

    assert claims(store)


def test_threads_sharing_one_store_claim_each_key_once(store: SqliteStore) -> None:
    keys = [("received", f"SM{number:032x}") for number in range(200)]
    with ThreadPoolExecutor(4) as pool:
        granted = list(pool.map(lambda key: bool(store.claim(key)), keys * 3))
    assert sum(granted) == len(keys)


RACER = """
import json, random, sys, time
from pathlib import Path
from book.listen import SqliteStore

path, go, count, ready = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
keys = [("received", f"SM{number:032x}") for number in range(count)]
random.Random(ready.name).shuffle(keys)  # each its own order: they meet all along the way
with SqliteStore.open(path, patience=30) as store:
    ready.touch()
    while not go.exists():
        time.sleep(0.001)
    started, mine = time.time(), []
    for key in keys:
        if store.claim(key):
            store.done(key, "ok")
            mine.append(key[1])
    print(json.dumps({"mine": mine, "started": started, "ended": time.time()}))
"""


def test_two_processes_racing_on_one_file_claim_each_key_exactly_once(tmp_path: Path) -> None:
    path, go, count = tmp_path / "listen.sqlite3", tmp_path / "go", 500
    SqliteStore.open(path).close()
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(path), str(go), str(count), str(tmp_path / f"ready-{racer}")],
            stdout=subprocess.PIPE,
            text=True,
        )
        for racer in range(2)
    ]
    deadline = time.monotonic() + 30
    while not all((tmp_path / f"ready-{racer}").exists() for racer in range(2)):  # both have opened the file
        assert time.monotonic() < deadline and all(racer.poll() is None for racer in racers)
        time.sleep(0.005)
    go.touch()
    answers = [json.loads(racer.communicate(timeout=60)[0]) for racer in racers]
    assert all(racer.returncode == 0 for racer in racers)
    first, second = (set(answer["mine"]) for answer in answers)
    assert not first & second
    assert len(first | second) == count
    # they ran at the same time (SQLite's lock is not fair: one may win nearly every key)
    assert max(answer["started"] for answer in answers) < min(answer["ended"] for answer in answers)
    seconds = " and ".join(f"{answer['ended'] - answer['started']:.2f}" for answer in answers)
    print(f"claims: {len(first)} + {len(second)} of {count}; seconds: {seconds}")
    with SqliteStore.open(path) as store:
        assert store.unknown == ()


def _in_another_process(path: Path, code: str, *, stay: bool = False) -> subprocess.Popen[str]:
    """Run ``code`` with ``store`` open on ``path`` in a new process; it ends (as if
    it crashed: no done, its run lock let go by the kernel) unless ``stay``, where it
    prints "ready" and waits for its stdin to close."""
    script = (
        "import sys\nfrom book.listen import SqliteStore, Outgoing\n"
        f"store = SqliteStore.open({str(path)!r})\n{code}\n"
        + ("print('ready', flush=True)\nsys.stdin.read()\n" if stay else "")
        + "import os\nos._exit(0)\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )


def test_a_rerunnable_claim_is_taken_over_only_once_its_process_is_gone(path: Path) -> None:
    claim = f"store.claim({RECEIVED!r}, rerun=True)"
    living = _in_another_process(path, claim, stay=True)
    assert living.stdout is not None and living.stdout.readline().strip() == "ready"
    with SqliteStore.open(path) as store:
        assert not store.claim(RECEIVED, rerun=True)  # its process is alive: still its own
        living.communicate("")
        again = store.claim(RECEIVED, rerun=True)
        assert again and again.retaken and again.record.pid == os.getpid()
        store.done(RECEIVED, "ok", replies=["Thanks"])
        assert not store.claim(RECEIVED, rerun=True)


def test_a_claim_that_may_not_rerun_stays_unknown_after_a_crash(path: Path) -> None:
    assert _in_another_process(path, f"store.claim({RECEIVED!r})").wait() == 0
    with SqliteStore.open(path) as store:
        assert [record.key for record in store.unknown] == [RECEIVED]
        assert not store.claim(RECEIVED, rerun=True)


def test_replies_are_kept_with_the_outcome(path: Path) -> None:
    with SqliteStore.open(path) as store:
        store.claim(RECEIVED)
        store.done(RECEIVED, "ok", replies=["Thanks, we got it.", "ünïcode ✓"])
    with SqliteStore.open(path) as store:
        record = store.record(RECEIVED)
        assert record is not None and record.replies == ("Thanks, we got it.", "ünïcode ✓")
        store.claim(("received", "SM" + "c" * 32))
        with pytest.raises(ListenError, match="not a list of replies"):
            store.done(("received", "SM" + "c" * 32), "ok", replies=["x" * 1601])


def test_queued_sends_go_once_and_one_in_doubt_comes_back_flagged(path: Path) -> None:
    send = Outgoing("+15005550006", "+14155550100", "Thanks", "2024-06-01T12:00:00+00:00")
    with SqliteStore.open(path) as store:
        store.claim(RECEIVED)
        store.done(RECEIVED, "ok", outgoing=[send, send])
        first, second = store.to_send()
        assert (first.body, first.key, first.doubt) == ("Thanks", RECEIVED, False)
        assert store.sending(first.number) and not store.sending(first.number)
        store.sent(first.number, "SM" + "1" * 32)
        assert [found.number for found in store.to_send()] == [second.number]
        assert store.sids("+15005550006", "+14155550100") == {"SM" + "1" * 32}
    code = f"store.sending({second.number})"  # a process that dies while sending the second
    assert _in_another_process(path, code).wait() == 0
    with SqliteStore.open(path) as store:
        (doubted,) = store.to_send()
        assert doubted.number == second.number and doubted.doubt
        assert store.sending(doubted.number)
        with pytest.raises(ListenError, match="not being sent"):
            store.sent(first.number, "SM" + "2" * 32)
