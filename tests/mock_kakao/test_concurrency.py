"""Many requests at once against one fake: no races in tokens, codes or the request log."""

from __future__ import annotations

import asyncio

from tests.mock_kakao.helpers import FULL, FULL_ID, bearer, exchange_code, pick_user


async def test_fifty_gathered_requests_all_answer(http, kakao):
    tokens = [kakao.issue_token(FULL_ID)["access_token"] for _ in range(10)]

    async def call(i: int) -> int:
        token = tokens[i % len(tokens)] if i % 5 else "unknown"
        async with http.get(f"{kakao.url}/v2/user/me", headers=bearer(token)) as response:
            await response.read()
            return response.status

    statuses = await asyncio.gather(*(call(i) for i in range(50)))
    assert statuses.count(200) == 40 and statuses.count(401) == 10
    assert len(kakao.requests()) == 50


async def test_a_code_exchanged_concurrently_works_exactly_once(http, kakao):
    code = (await pick_user(http, kakao, FULL_ID)).query["code"]
    results = await asyncio.gather(*(exchange_code(http, kakao, code) for _ in range(20)))
    assert sorted(status for status, _ in results) == [200] + [400] * 19


async def test_concurrent_faulted_and_clean_requests(http, kakao):
    kakao.add_fault("error", status=503, code=-9798, msg="maintenance", times=10)

    async def call() -> int:
        async with http.get(f"{kakao.url}/v2/user/me", headers=bearer(FULL)) as response:
            return response.status

    statuses = await asyncio.gather(*(call() for _ in range(30)))
    assert statuses.count(503) == 10 and statuses.count(200) == 20
