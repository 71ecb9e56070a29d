"""Many simultaneous sign-ups of one new Kakao user make exactly one account.

Over real HTTP, on a SQLite file and on PostgreSQL, with one service instance and with two
(separate engines and pools over one database, as two processes would have).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import AsyncExitStack
from typing import Any

import pytest

from tests.service.support import (
    FULL_CONSENT_ID,
    FULL_CONSENT_TOKEN,
    make_settings,
    running_service,
)

CONCURRENT = 30


@pytest.mark.parametrize("instances", [1, 2])
async def test_concurrent_sign_ups_make_one_account(
    mock_kakao: Any, database_url: str, instances: int
) -> None:
    settings = make_settings(mock_kakao.url, database_url)
    async with AsyncExitStack() as stack:
        services = [
            await stack.enter_async_context(running_service(settings)) for _ in range(instances)
        ]
        answers = await asyncio.gather(
            *(
                services[n % instances].sign_in(
                    FULL_CONSENT_TOKEN, FULL_CONSENT_ID, f"name {n}", f"n{n}@example.com"
                )
                for n in range(CONCURRENT)
            )
        )
        statuses = Counter(answer.status for answer in answers)
        assert statuses == {201: 1, 200: CONCURRENT - 1}, [a.body for a in answers]
        assert await services[0].user_count() == 1
        assert await services[0].user_count(FULL_CONSENT_ID) == 1

        # Everyone got a token for the same account, named by whoever won.
        winner = next(a for a in answers if a.status == 201)
        stored = await services[0].stored_user(FULL_CONSENT_ID)
        assert stored is not None
        assert stored.user_name == f"name {answers.index(winner)}"
        for answer in answers:
            me = await services[0].request(
                "GET", "/users/me", authorization=f"Bearer {answer.body['token']}"
            )
            assert me.body["result"]["id"] == stored.id
