"""Tests written in English: ``book test`` and the pytest plugin run them.

A test is a ``.english`` file with expectations (``expect CONDITION``) or a golden
result beside it (``NAME.json``, what ``book run --format json`` prints). Each runs
on a sandbox of its own, in memory, on a fixed clock, so it gives the same answer
every time and tests can run in parallel. Its set-up is written in ``given`` lines:

- ``given the time is 2024-06-01T12:00:00Z``: the clock (by default that instant);
- ``given the SMS messages in "fixtures/inbox.json"``: messages in Twilio's form (a
  list, or a page with ``messages``), the path relative to the test's folder;
- ``given 1000 SMS messages from seed 7``: generated messages (``book sandbox seed``);
- ``given an SMS message is received with the sender number is "+1..." and the
  message body is "hi"``: an inbound message, which the script's ``when ... is
  received`` blocks handle (their replies are sent from the number it came to);
  ``the recipient number`` is the account's first number unless given;
- ``given Twilio is busy for 1 in 5 requests``: faults: ``busy`` (429), ``down``
  (503, nothing done) or ``flaky`` (the answer lost after the request was done).

A first line ``# run with: --dry-run`` (or ``--yes``, ``--send-limit N``,
``--timezone ZONE``) runs the test with those settings, as ``book run`` would.

A test's sandbox is made afresh from its set-up; the messages a set-up loads or
seeds are kept (up to eight set-ups, in memory) and copied for the next test with
the same clock and fixtures, so that only the first pays for them.

The set-up is applied first, wherever it stands; then the script's ``when`` blocks
are kept and run for each inbound message, in order; then its other lines run.
A test passes when every expectation holds and the result matches its golden
file, field by field. A mistake in a test's English is an error (exit 2), apart
from a failure (exit 1).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from book.connection import Connection, Settings
from book.sandbox import Faults, Sandbox, State, load, seed
from book.sandbox.sids import derived
from grammar import BookError, Expect, Given, Script, find_all, parse_script
from procedures import ExpectationError, FixedClock, ResolutionError, Session, ValueTypeError, timezone_named
from procedures.effects import ConfirmationError

__all__ = ["ACCOUNT", "NOW", "Outcome", "SetupError", "find", "is_test", "run_test"]

NOW = dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)
"""The clock of a test that does not set it."""
ACCOUNT = derived("AC", "book test")
TOKEN = derived("", "book test token")
NUMBERS = ("+15005550006", "+12125550100", "SMSBOOK")
SHARES = {"busy": "too_many", "down": "server_errors", "flaky": "lost"}

Status = Literal["passed", "failed", "error"]


class SetupError(BookError):
    """A ``given`` line the test runner cannot set up: the error is at its place."""

    kind = "set-up"


@dataclass
class Outcome:
    """How one test went: ``passed``, ``failed`` (an expectation, the golden result,
    or the script failed) or ``error`` (a mistake in its English or set-up)."""

    path: Path
    status: Status
    seconds: float
    message: str = ""
    said: tuple[str, ...] = ()
    diff: list[str] = field(default_factory=list)
    updated: bool = False
    error: dict[str, Any] | None = None
    """The error as data (kind, line, column, ...; ``outcomes`` when the run had done something)."""

    @property
    def name(self) -> str:
        return str(self.path)

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": self.name,
            "status": self.status,
            "seconds": round(self.seconds, 4),
            "message": self.message,
            "said": list(self.said),
            "diff": self.diff,
            "updated": self.updated,
            "error": self.error,
        }


def is_test(path: Path, text: str | None = None) -> bool:
    """Whether a ``.english`` file is a test: it expects something, or has a golden result."""
    if path.with_suffix(".json").is_file():
        return True
    try:
        written = text if text is not None else path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return False
    try:
        script = parse_script(written)
    except BookError:  # a test with a mistake is still a test: it is reported, not skipped
        return any(line.lstrip().lower().startswith(("expect ", "given ")) for line in written.splitlines())
    return any(True for _ in find_all(script, (Expect, Given)))


def find(paths: Iterable[Path]) -> list[Path]:
    """The tests under ``paths`` (files, or folders searched recursively), sorted."""
    found: set[Path] = set()
    for path in paths:
        candidates: Iterator[Path] = path.rglob("*.english") if path.is_dir() else iter([path])
        for candidate in candidates:
            if any(
                part.startswith(".")
                for part in candidate.parts[len(path.parts) - 1 :]
                if part not in (".", "..")
            ):
                continue
            named = candidate == path  # a file named is run, whatever it holds
            if candidate.suffix == ".english" and candidate.is_file() and (named or is_test(candidate)):
                found.add(candidate)
    return sorted(found)


def run_test(path: Path, *, update: bool = False) -> Outcome:
    """Run one test on a fresh sandbox; with ``update``, (re)write its golden result."""
    start = time.perf_counter()
    try:
        text = path.read_text(encoding="utf-8-sig").removeprefix("\ufeff")
    except (OSError, UnicodeDecodeError) as exc:
        return Outcome(path, "error", time.perf_counter() - start, f"cannot read {path}: {exc}")
    try:
        settings, zone = run_with(text)
        script = parse_script(text)
        sandbox = _sandbox(script, path.parent, text)
        session = Session(
            _registry(),
            clock=sandbox.clock,
            timezone=zone,
            resources=[Connection(sandbox=sandbox), settings],
        )
    except BookError as error:
        return Outcome(path, "error", time.perf_counter() - start, str(error.locate(text)))
    with session:
        try:
            answer = _run(session, sandbox, script, text)
        except (ResolutionError, ValueTypeError, SetupError) as error:
            return Outcome(path, "error", time.perf_counter() - start, str(error), error=error.to_dict())
        except (ExpectationError, ConfirmationError, BookError) as error:
            if isinstance(error, ConfirmationError):
                error.hint = (
                    "In a test, allow it with the first line '# run with: --yes' (the test's settings), "
                    "or check it with '# run with: --dry-run'."
                )
            data = session.error_data(error)  # with what the run did: each send done, refused or unknown
            return Outcome(path, "failed", time.perf_counter() - start, str(error), error=data)
    outcome = Outcome(path, "passed", time.perf_counter() - start, said=tuple(answer["said"]))
    golden = path.with_suffix(".json")
    if golden.is_file():  # --update rewrites a golden result; it never makes one where there is none
        _compare(outcome, golden, answer, update)
    outcome.seconds = time.perf_counter() - start
    return outcome


def run_with(text: str) -> tuple[Settings, str]:
    """The settings a first line ``# run with: --dry-run`` (or ``--yes``,
    ``--send-limit N``, ``--timezone ZONE``) asks for, and the time zone, as the
    command line gives them. ``book test`` takes them all; ``book run`` takes the
    dry run only (permissions are the person's to give)."""
    first = text.split("\n", 1)[0].strip()
    if not first.startswith("# run with:"):
        return Settings(), "UTC"
    words = first.removeprefix("# run with:").split()
    settings, zone = Settings(), "UTC"
    while words:
        word = words.pop(0)
        if word == "--dry-run":
            settings = settings.replace(dry_run=True)
        elif word == "--yes":
            settings = settings.replace(yes=True)
        elif word in ("--send-limit", "--timezone") and words:
            value = words.pop(0)
            if word == "--timezone":
                try:
                    timezone_named(value)
                except ValueError as exc:
                    raise SetupError(str(exc)) from None
                zone = value
            elif value.isdigit():
                settings = settings.replace(creates=int(value))
            else:
                raise SetupError(f"--send-limit takes a whole number, not {value!r}")
        else:
            raise SetupError(
                f"'# run with:' takes --dry-run, --yes, --send-limit N and --timezone ZONE, not {word!r}"
            )
    return settings, zone


def _registry() -> Any:
    from book.procedures import registry

    return registry


def _sandbox(script: Script, folder: Path, text: str) -> Sandbox:
    """The test's sandbox, set up as its ``given`` lines say (``SetupError`` at a
    line the runner cannot set up)."""
    givens = [statement for statement in script.statements if isinstance(statement, Given)]
    now = NOW
    for given in givens:
        if given.clause == "is" and str(given.noun) == "time":
            value = given.value
            moment = getattr(value, "value", None)
            if not isinstance(moment, dt.datetime) or moment.tzinfo is None:
                raise SetupError(
                    "the time of a test is a date and time with its offset",
                    span=given.span,
                    hint="Write it as 2024-06-01T12:00:00Z.",
                ).locate(text)
            now = moment
    clock = FixedClock(now)
    key = _fixture_key(now, givens, folder)
    prepared = _PREPARED.get(key) if key is not None else None
    if prepared is not None and key is not None:  # the same set-up as a test before: a copy, not made again
        _PREPARED.move_to_end(key)
        sandbox = Sandbox(state=prepared.copy(), clock=clock)
    else:
        state = State()
        state.create_account(numbers=NUMBERS, sid=ACCOUNT, token=TOKEN, now=int(now.timestamp()))
        sandbox = Sandbox(state=state, clock=clock)
    rates: dict[str, float] = {}
    for given in givens:
        if prepared is not None and given.clause in _FIXTURES:
            continue
        try:
            _set_up(sandbox, given, folder, rates)
        except SetupError as error:
            raise error.locate(text) from None
        except BookError as error:  # the sandbox refused what it was given (a file's messages, ...)
            raise SetupError(error.message, span=given.span, hint=error.hint).locate(text) from None
    if prepared is None and key is not None:
        _PREPARED[key] = sandbox.state.copy()
        while len(_PREPARED) > MOST_PREPARED:
            _PREPARED.popitem(last=False)[1].close()
    if rates:
        sandbox.faults = Faults(
            seed=0,
            too_many=rates.get("too_many", 0.0),
            server_errors=rates.get("server_errors", 0.0),
            lost=rates.get("lost", 0.0),
        )
    return sandbox


_FIXTURES = ("in", "seeded")  # the set-up that fills the sandbox, kept from one test to the next
MOST_PREPARED = 8
_PREPARED: OrderedDict[tuple[str, ...], State] = OrderedDict()


def _fixture_key(now: dt.datetime, givens: list[Given], folder: Path) -> tuple[str, ...] | None:
    """What a test's sandbox is made of before it runs: its clock, and its fixtures
    (a file's content by its SHA-256). None when a file cannot be read (the set-up
    says why)."""
    parts = [now.isoformat()]
    for given in givens:
        if given.clause not in _FIXTURES:
            continue
        parts.append(str(given))
        if given.clause == "in":
            source = getattr(given.value, "value", None)
            try:
                parts.append(hashlib.sha256((folder / str(source)).read_bytes()).hexdigest())
            except OSError:
                return None
    return tuple(parts)


def _set_up(sandbox: Sandbox, given: Given, folder: Path, rates: dict[str, float]) -> None:
    noun = str(given.noun).lower()
    if given.clause == "is" and noun == "time":
        return
    if given.clause == "in" and noun in ("sms messages", "messages", "sms message"):
        source = getattr(given.value, "value", None)
        if not isinstance(source, str):
            raise SetupError("the messages are in a file: give its path in quotes", span=given.span)
        try:
            document = (folder / source).read_text(encoding="utf-8")
        except OSError as exc:
            raise SetupError(f"cannot read {source}: {exc.strerror}", span=given.span) from None
        load(sandbox, document)
        return
    if given.clause == "seeded" and noun in ("sms messages", "messages", "sms message"):
        if (given.count or 0) > 100_000:
            raise SetupError("a test seeds at most 100,000 messages", span=given.span)
        seed(sandbox, given.count or 0, seed=given.seed or 0)
        return
    if given.clause == "happens" and noun == "sms message" and given.state == "received":
        return  # delivered to the script's handlers once they are known (_run)
    if given.clause == "share" and noun == "twilio" and given.state in SHARES and given.share:
        part, whole = given.share
        rates[SHARES[given.state]] = part / whole
        return
    raise SetupError(
        f"'{given}' is not a set-up the test runner knows",
        span=given.span,
        hint='Set up a test with: given the time is ..., given the SMS messages in "FILE", '
        "given N SMS messages from seed S, given an SMS message is received with ..., "
        "given Twilio is busy (or down, or flaky) for N in M requests.",
    )


def _run(session: Session, sandbox: Sandbox, script: Script, text: str) -> dict[str, Any]:
    """The script's blocks kept, the inbound messages handled, then the rest run."""
    said: list[str] = []
    kept = session.keep_handlers(script, text)
    for given in script.statements:
        if isinstance(given, Given) and given.clause == "happens":
            said += _received(session, sandbox, given, text)
    rest = kept.replace(statements=tuple(s for s in kept.statements if not isinstance(s, Given)))
    result = session.run(text, rest) if rest.statements else None
    answer = result.to_dict() if result is not None else {"result": None, "said": []}
    answer["said"] = said + answer["said"]
    return answer


def _received(session: Session, sandbox: Sandbox, given: Given, text: str) -> list[str]:
    """An inbound message written to the sandbox and handled by the script's blocks;
    its replies sent from the number it came to. What the blocks said."""
    import asyncio

    from book.resources.messages import MESSAGES, WireMessage

    fields = {str(argument.name).lower(): argument.value for argument in given.arguments}
    known = {"sender number", "message body", "recipient number"}
    for name, value in fields.items():
        if name not in known:
            raise SetupError(
                f"an inbound message is given its sender number, message body and recipient number, not '{name}'",
                span=value.span,
            ).locate(text)
    values = {name: session.runner().binder.value(value) for name, value in fields.items()}
    if "sender number" not in values:
        raise SetupError("an inbound message needs its sender number", span=given.span).locate(text)
    try:
        message = sandbox.receive(
            sender=str(values["sender number"]),
            body=str(values.get("message body", "")),
            to=str(values["recipient number"]) if "recipient number" in values else None,
        )
    except BookError as error:
        raise SetupError(error.message, span=given.span, hint=error.hint).locate(text) from None
    thing = MESSAGES.from_wire(WireMessage.model_validate(message))
    client = sandbox.client()

    async def reply(body: str) -> None:
        client.create_message(to=str(message["from"]), from_=str(message["to"]), body=body)

    async def handle() -> Any:
        return await session.handle("when an SMS message is received", thing, reply=reply)

    try:
        result = asyncio.run(handle())
    except BookError as error:
        raise error.locate(text) from None
    return list(result.said)


def _compare(outcome: Outcome, golden: Path, answer: dict[str, Any], update: bool) -> None:
    """The answer against the golden file, field by field; with ``update``, written."""
    actual = json.loads(json.dumps(answer, ensure_ascii=False))
    try:
        expected = json.loads(golden.read_text(encoding="utf-8")) if golden.is_file() else None
    except (OSError, ValueError) as exc:
        expected = None
        if not update:
            outcome.status = "error"
            outcome.message = f"cannot read {golden.name}: {exc}; book test --update writes it afresh"
            return
    outcome.diff = (
        list(_differences(expected, actual, "")) if expected is not None else ["(no golden result yet)"]
    )
    if not outcome.diff:
        return
    if update:
        golden.write_text(json.dumps(actual, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        outcome.updated = True
        outcome.message = f"updated {golden.name}"
        return
    outcome.status = "failed"
    shown = "\n".join(outcome.diff[:20]) + (
        f"\n... and {len(outcome.diff) - 20} more" if len(outcome.diff) > 20 else ""
    )
    outcome.message = f"the result differs from {golden.name}:\n{shown}"


def _differences(expected: Any, actual: Any, where: str) -> Iterator[str]:
    """Where two JSON values differ: ``result[2].status: "sent" != "delivered"`` (expected first)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            inner = f"{where}.{key}" if where else key
            if key not in actual:
                yield f"{inner}: missing (expected {json.dumps(expected[key], ensure_ascii=False)})"
            elif key not in expected:
                yield f"{inner}: unexpected {json.dumps(actual[key], ensure_ascii=False)}"
            else:
                yield from _differences(expected[key], actual[key], inner)
    elif isinstance(expected, list) and isinstance(actual, list):
        for index in range(max(len(expected), len(actual))):
            inner = f"{where}[{index}]"
            if index >= len(actual):
                yield f"{inner}: missing (expected {json.dumps(expected[index], ensure_ascii=False)})"
            elif index >= len(expected):
                yield f"{inner}: unexpected {json.dumps(actual[index], ensure_ascii=False)}"
            else:
                yield from _differences(expected[index], actual[index], inner)
    elif expected != actual or type(expected) is not type(actual):
        yield f"{where or '(result)'}: expected {json.dumps(expected, ensure_ascii=False)}, got {json.dumps(actual, ensure_ascii=False)}"
