"""The book as an MCP server (``book mcp``), driven by the official SDK's own client:
in memory, over a real stdio subprocess, and over streamable HTTP. Tools answer
structured content that fits the step schema; errors are ``isError`` results with
line and column; changes to many messages come back as a dry run until confirmed
(by the total, or by elicitation); each connection keeps its own session."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from mcp import Client, StdioServerParameters
from mcp_types import ElicitResult

from book.agents import server
from book.connection import Connection, Settings
from book.procedures import registry
from book.sandbox import Sandbox
from procedures import STEP_SCHEMA, FixedClock, Session

NOW = dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)
BOOK = shutil.which("book") or str(Path(sys.executable).parent / "book")
SENDER, CUSTOMER = "+15005550006", "+14155550100"
SEND = (
    "send an SMS message where\n"
    f'  the sender number is "{SENDER}"\n'
    f'  the recipient number is "{CUSTOMER}"\n'
    '  the message body is "Your order has shipped."'
)
READ = f'read some SMS messages whose recipient number is "{CUSTOMER}"'
REDACT = f'redact some SMS messages whose recipient number is "{CUSTOMER}"'
STEPS = jsonschema.Draft202012Validator(STEP_SCHEMA)


def _sandbox() -> Sandbox:
    sandbox = Sandbox(clock=FixedClock(NOW))
    client = sandbox.client()
    for n in range(3):
        client.create_message(to=CUSTOMER, from_=SENDER, body=f"order {n} has shipped")
    return sandbox


def _server(sandbox: Sandbox) -> Any:
    return server(
        lambda: Session(registry, clock=sandbox.clock, resources=[Connection(sandbox=sandbox), Settings()])
    )


def _in_memory(check: Callable[[Client, Sandbox], Awaitable[None]], **options: Any) -> None:
    sandbox = _sandbox()

    async def drive() -> None:
        async with Client(_server(sandbox), **options) as client:
            await check(client, sandbox)

    asyncio.run(drive())


def _answer(result: Any) -> dict[str, Any]:
    """A tool's structured answer, checked against the step schema and its text."""
    import json

    answer: dict[str, Any] = result.structured_content
    STEPS.validate({key: value for key, value in answer.items() if key != "session"})
    assert json.loads(result.content[0].text) == answer
    assert result.is_error == ("error" in answer)
    return answer


def _bodies(sandbox: Sandbox) -> list[str]:
    return sorted(str(message.body) for message in sandbox.client().list_messages())


def test_three_tools_whose_list_stays_small() -> None:
    async def check(client: Client, sandbox: Sandbox) -> None:
        listed = await client.list_tools()
        assert [tool.name for tool in listed.tools] == ["run", "explain", "vocabulary"]
        run = listed.tools[0]
        assert run.output_schema is not None and "send an SMS message" in (run.description or "")
        assert {"result", "said", "error", "session"} <= set(run.output_schema["properties"])
        assert "sender number" in (run.description or "") and "confirm" in (run.description or "")
        words = sum(len(tool.model_dump_json(exclude_none=True).split()) for tool in listed.tools)
        assert words < 1_000, words  # a proxy for tokens: the whole list, schemas included

    _in_memory(check)


def test_a_read_a_send_and_a_session_kept_between_calls() -> None:
    async def check(client: Client, sandbox: Sandbox) -> None:
        read = _answer(await client.call_tool("run", {"english": READ}))
        assert len(read["result"]) == 3 and read["result"][0]["recipient_number"] == CUSTOMER
        each = _answer(
            await client.call_tool(
                "run", {"english": "process each SMS message as follows\n  say the SMS message's body"}
            )
        )
        assert sorted(each["said"]) == [
            f"order {n} has shipped" for n in range(3)
        ]  # the SMS messages of the read
        sent = _answer(await client.call_tool("run", {"english": SEND}))
        assert str(sent["result"]).startswith("SM") and "Your order has shipped." in _bodies(sandbox)

    _in_memory(check)


def test_a_mistake_is_an_error_result_with_its_place() -> None:
    async def check(client: Client, sandbox: Sandbox) -> None:
        result = await client.call_tool(
            "run", {"english": 'say "ok"\nread some SMS messages whose body contains refund'}
        )
        error = _answer(result)["error"]
        assert result.is_error and (error["kind"], error["line"], error["column"]) == ("syntax", 2, 44)
        assert error["hint"] == 'Put text in double quotes: "refund".'

    _in_memory(check)


def test_a_change_of_three_comes_back_as_a_dry_run_until_confirmed_by_its_total() -> None:
    async def check(client: Client, sandbox: Sandbox) -> None:
        before = _bodies(sandbox)
        refused = _answer(await client.call_tool("run", {"english": REDACT}))["error"]
        assert refused["kind"] == "confirmation" and refused["total"] == 3
        assert len(refused["would"][0]["targets"]) == 3 and "confirm=3" in refused["hint"]
        wrong = _answer(await client.call_tool("run", {"english": REDACT, "confirm": 2}))["error"]
        assert wrong["kind"] == "confirmation" and "does not match" in wrong["hint"]
        assert _bodies(sandbox) == before  # nothing changed yet
        done = _answer(await client.call_tool("run", {"english": REDACT, "confirm": 3}))
        assert len(done["result"]) == 3 and _bodies(sandbox) == ["", "", ""]

    _in_memory(check)


@pytest.mark.parametrize("action", ["accept", "decline"])
def test_a_client_that_can_be_asked_is_asked(action: str) -> None:
    asked: list[str] = []

    async def elicit(context: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action=action, content={"go_ahead": True} if action == "accept" else None)

    async def check(client: Client, sandbox: Sandbox) -> None:
        result = _answer(await client.call_tool("run", {"english": REDACT}))
        assert asked and "redact 3 SMS messages" in asked[0]
        if action == "accept":
            assert len(result["result"]) == 3 and _bodies(sandbox) == ["", "", ""]
        else:
            assert result["error"]["kind"] == "confirmation" and "" not in _bodies(sandbox)

    _in_memory(check, elicitation_callback=elicit)


def test_explain_and_vocabulary_answer_without_a_request() -> None:
    async def check(client: Client, sandbox: Sandbox) -> None:
        explained = (await client.call_tool("explain", {"english": READ})).structured_content
        assert f"To={CUSTOMER}" in explained["explanation"] and explained["plan"]["queries"]
        wrong = await client.call_tool("explain", {"english": 'say "hi"'})
        assert wrong.is_error and wrong.structured_content["error"]["kind"] == "explain"
        known = (await client.call_tool("vocabulary", {})).structured_content
        assert "to send an *SMS* message" in [entry["name"] for entry in known["procedures"]]
        assert "sender number" in [field["name"] for field in known["concepts"]["twilio sms message"]]
        assert [event["name"] for event in known["events"]] == [
            "when an SMS message is received",
            "when an SMS message's status changes",
        ]
        resources = [str(resource.uri) for resource in (await client.list_resources()).resources]
        assert "book://vocabulary" in resources and "book://procedures/send-an-sms-message" in resources
        page = await client.read_resource("book://procedures/send-an-sms-message")
        assert "the recipient number" in page.contents[0].text

    _in_memory(check)


def test_sessions_are_kept_apart_and_continued_by_name() -> None:
    sandbox = _sandbox()
    mcp = server(
        lambda: Session(registry, clock=sandbox.clock, resources=[Connection(sandbox=sandbox), Settings()]),
        shared=False,  # as over HTTP: a step that names no session starts one
    )

    async def drive() -> None:
        async with Client(mcp) as client:
            first = _answer(await client.call_tool("run", {"english": 'the greeting is "hello"'}))["session"]
            again = await client.call_tool("run", {"english": "say the greeting", "session": first})
            assert _answer(again)["said"] == ["hello"]
            other = _answer(await client.call_tool("run", {"english": "say the greeting"}))
            assert other["error"]["kind"] == "unknown reference" and other["session"] != first
            lost = _answer(await client.call_tool("run", {"english": "say 1", "session": "nope"}))
            assert lost["error"]["kind"] == "unknown session"

    asyncio.run(drive())


# ---------------------------------------------------------------- real transports


def _environment(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TWILIO_", "SMS_BOOK_"))}
    env.update(SMS_BOOK_SANDBOX=str(tmp_path / "sandbox.sqlite3"), SMS_BOOK_NOW="2024-06-01T12:00:00Z")
    subprocess.run(
        [BOOK, "sandbox", "seed", "--count", "20", "--seed", "2"], env=env, check=True, capture_output=True
    )
    return env


async def _session_over(client: Client) -> None:
    assert [tool.name for tool in (await client.list_tools()).tools] == ["run", "explain", "vocabulary"]
    read = _answer(await client.call_tool("run", {"english": "read the first 3 SMS messages"}))
    assert len(read["result"]) == 3
    each = {
        "english": "process each SMS message as follows\n  say the SMS message's sid",
        "session": read["session"],
    }
    kept = _answer(await client.call_tool("run", each))
    assert sorted(kept["said"]) == sorted(message["sid"] for message in read["result"])
    sent = _answer(await client.call_tool("run", {"english": SEND}))
    assert str(sent["result"]).startswith("SM")
    wrong = _answer(
        await client.call_tool("run", {"english": "read some SMS messages whose body contains refund"})
    )
    assert (wrong["error"]["line"], wrong["error"]["column"]) == (1, 44)


def test_over_a_real_stdio_subprocess(tmp_path: Path) -> None:
    env = _environment(tmp_path)
    parameters = StdioServerParameters(command=BOOK, args=["mcp"], env=env)

    async def drive() -> None:
        async with Client(parameters) as client:
            await _session_over(client)

    asyncio.run(drive())


def test_over_streamable_http_on_loopback(tmp_path: Path) -> None:
    env = _environment(tmp_path)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    serving = subprocess.Popen(
        [BOOK, "mcp", "--http", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as attempt:
                if attempt.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)

        async def drive() -> None:
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                await _session_over(client)

        asyncio.run(drive())
    finally:
        serving.terminate()
        serving.communicate(timeout=30)


def test_without_the_sdk_book_mcp_says_how_to_install_it(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked" / "mcp"
    blocked.mkdir(parents=True)
    (blocked / "__init__.py").write_text("raise ImportError('no mcp here', name='mcp')\n")
    env = {**os.environ, "PYTHONPATH": str(blocked.parent), "SMS_BOOK_SANDBOX": str(tmp_path / "s.sqlite3")}
    done = subprocess.run([BOOK, "mcp"], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and done.stdout == ""
    assert "pip install 'sms-book[mcp]'" in done.stderr


def test_the_token_never_appears_in_an_answer_or_a_log(caplog: pytest.LogCaptureFixture) -> None:
    from book.credentials import Credentials

    token = "tok3n-that-must-not-show"
    credentials = Credentials(account_sid="AC" + "a" * 32, auth_token=token)

    def twilio_nowhere() -> Session:  # Twilio's credentials, at an address where nothing answers
        connection = Connection(credentials=credentials, base_url="http://127.0.0.1:9")
        return Session(registry, resources=[connection, Settings()])

    async def drive() -> list[str]:
        async with Client(server(twilio_nowhere)) as client:
            texts = []
            for english in (
                READ,
                SEND,
                REDACT,
                "say the SMS messages",
                'read some SMS messages whose body is "x',
            ):
                result = await client.call_tool("run", {"english": english})
                texts.append(result.model_dump_json())
            texts.append((await client.call_tool("explain", {"english": READ})).model_dump_json())
            return texts

    with caplog.at_level("DEBUG"):
        texts = asyncio.run(drive())
    assert any('"kind":"network"' in text.replace(" ", "") for text in texts)  # the read got as far as Twilio
    assert all(token not in text for text in texts) and token not in caplog.text
