"""Adaptive concurrency (book/pace.py): the pace falls while Twilio refuses too many
requests at once, and scattered 429s do not lower it."""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from book.api import Request, Response, Safety
from book.pace import Pace
from book.retry import Attempts, RetryPolicy
from book.sandbox import Faults
from tests.sandbox_helpers import make


@given(st.integers(1, 200), st.lists(st.tuples(st.booleans(), st.integers(0, 3)), max_size=500))
def test_the_pace_stays_between_one_and_the_concurrency_asked_for(
    most: int, answers: list[tuple[bool, int]]
) -> None:
    pace = Pace(most)
    for throttled, behind in answers:
        pace.answered(throttled, max(0, pace.cuts - behind))
        assert 1 <= pace.allowed <= most
    assert pace.throttled == sum(throttled for throttled, _ in answers)


def test_one_crowd_of_429s_is_one_cut() -> None:
    pace = Pace(50)
    for _ in range(
        40
    ):  # a round of 50 sent, 40 refused: answered after the first cut, they were sent before it
        pace.answered(True, sent=0)
    assert (pace.allowed, pace.cuts) == (37, 1)


def test_scattered_429s_keep_the_pace() -> None:
    """5% of answers 429 at random, as the sandbox's ``too_many`` fault gives them:
    the pace stays near what was asked for."""
    for seed in range(5):
        chance = random.Random(seed)
        pace = Pace(50)
        allowed = []
        for _ in range(20_000):
            pace.answered(chance.random() < 0.05, pace.cuts)
            allowed.append(pace.allowed)
        assert sum(allowed) / len(allowed) > 45, seed


def test_a_pace_cut_grows_back_by_one_a_window() -> None:
    pace = Pace(30)
    for _ in range(3):  # 3 of a window of 30: no more than an eighth
        pace.answered(True, pace.cuts)
    assert pace.allowed == 30
    pace.answered(True, pace.cuts)
    assert (pace.allowed, pace.cuts) == (22, 1)
    for allowed in (22, 23, 24):  # a window is as many answers as are allowed in flight
        for _ in range(allowed):
            pace.answered(False, pace.cuts)
        assert pace.allowed == allowed + 1
    with pytest.raises(ValueError, match="1 or more"):
        Pace(0)


def test_429s_in_a_crowd_do_not_use_up_a_requests_attempts() -> None:
    refused = Response(429, {}, b"")
    request = Request("POST", "https://x/", (), Safety.CREATE)
    attempts = Attempts(RetryPolicy(attempts=4, budget=1000), Safety.CREATE, clock=lambda: 0.0)
    for _ in range(8):  # CROWDED (2) times the 4 attempts, free
        assert attempts.after_response(refused, request, crowded=True) is not None
    for _ in range(3):  # then even a crowd's 429s use them up
        assert attempts.after_response(refused, request, crowded=True) is not None
    assert attempts.after_response(refused, request, crowded=True) is None
    assert (attempts.count, attempts.crowded) == (12, 8)
    lowered = Pace(20)
    assert [lowered.answered(True, 0) for _ in range(4)] == [False, False, True, True]
    for _ in range(60):  # an account that refuses everything: the pace falls to one, and that is no crowd
        lowered.answered(True, lowered.cuts)
    assert lowered.allowed == 1 and not lowered.answered(True, lowered.cuts)


def test_the_sandbox_allows_so_many_requests_in_flight() -> None:
    """``Faults(concurrent=N)``: a request that arrives while N are answered gets 429
    (error 20429), and is not counted in flight."""
    sandbox = make()
    sandbox.faults = Faults(latency=0.05, concurrent=3)

    async def main() -> list[int]:
        async with httpx.AsyncClient(
            transport=sandbox.transport(), base_url="https://api.twilio.com"
        ) as http:
            path = f"/2010-04-01/Accounts/{sandbox.account.sid}/Messages.json"
            answers = await asyncio.gather(
                *(http.get(path, auth=(sandbox.account.sid, sandbox.account.token)) for _ in range(8))
            )
        for answer in answers:
            if answer.status_code == 429:
                assert answer.json()["code"] == 20429
        return [answer.status_code for answer in answers]

    statuses = asyncio.run(main())
    assert sorted(statuses) == [200] * 3 + [429] * 5
    assert sandbox.faults.in_flight == 0
    with pytest.raises(ValueError, match="1 or more"):
        Faults(concurrent=0)
