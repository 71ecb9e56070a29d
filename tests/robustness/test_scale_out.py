"""Racing sign-ups: 100 at once for 10 new Kakao users make exactly 10 accounts.

Two `python -m service` processes over one real PostgreSQL (the deployment the design
promises), and one process over SQLite. Each new user gets exactly one 201; every other
request for them is a 200 for the same account.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import aiohttp
import jwt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from mock_kakao.testing import MockKakao
from service.store.models import User
from tests.robustness.processes import ServiceProcess, service_process
from tests.robustness.support import assert_no_secrets
from tests.service.support import SECRET_KEY

USERS = 10
REQUESTS = 100
FIRST_ID = 8_100_000_001


def new_users(kakao: MockKakao) -> dict[int, str]:
    """USERS new fake Kakao users: kakao_id → a fresh access token."""
    tokens = {}
    for kakao_id in range(FIRST_ID, FIRST_ID + USERS):
        kakao.add_user(id=kakao_id, nickname=f"경주 {kakao_id}", email=f"{kakao_id}@example.com")
        tokens[kakao_id] = kakao.issue_token(kakao_id)["access_token"]
    return tokens


async def burst(urls: list[str], tokens: dict[int, str]) -> list[tuple[int, int, int | None]]:
    """REQUESTS sign-ins at once, round-robin over users and services.

    Each answer as (kakao_id, status, the account id in the JWT it returned).
    """
    ids = list(tokens)

    async def one(http: aiohttp.ClientSession, n: int) -> tuple[int, int, int | None]:
        kakao_id = ids[n % USERS]
        async with http.post(
            urls[n % len(urls)] + "/auth/kakao",
            headers={"Authorization": f"Bearer {tokens[kakao_id]}"},
            json={"kakao_id": kakao_id, "user_name": f"요청 {n}", "email": None},
        ) as response:
            body = await response.json()
        token = body.get("token")
        account = jwt.decode(token, options={"verify_signature": False})["id"] if token else None
        return kakao_id, response.status, account

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        return await asyncio.gather(*(one(http, n) for n in range(REQUESTS)))


async def stored_accounts(database_url: str) -> list[int]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return list((await connection.scalars(select(User.kakao_id))).all())
    finally:
        await engine.dispose()


def assert_one_account_each(answers: list[tuple[int, int, int | None]]) -> None:
    """One 201 per user, 200 for the rest, and every token of a user names one account."""
    statuses = Counter(status for _, status, _ in answers)
    assert statuses == {201: USERS, 200: REQUESTS - USERS}, statuses
    created = Counter(kakao_id for kakao_id, status, _ in answers if status == 201)
    assert created == dict.fromkeys(created, 1) and len(created) == USERS
    accounts = {(kakao_id, account) for kakao_id, _, account in answers}
    assert len(accounts) == USERS == len({account for _, account in accounts})


def start(stack: ExitStack, log: Path, kakao: MockKakao, database_url: str) -> ServiceProcess:
    return stack.enter_context(service_process(log, kakao_url=kakao.url, database_url=database_url))


async def test_two_processes_over_one_postgresql(
    mock_kakao: MockKakao, postgres_url: str, tmp_path: Path
) -> None:
    tokens = new_users(mock_kakao)
    with ExitStack() as stack:
        services = [start(stack, tmp_path / f"s{n}.log", mock_kakao, postgres_url) for n in (1, 2)]
        answers = await burst([service.url for service in services], tokens)
    print(f"\nscale-out: {len(answers)} racing requests over 2 processes on PostgreSQL")
    assert_one_account_each(answers)
    assert sorted(await stored_accounts(postgres_url)) == sorted(tokens)
    for service in services:
        assert_no_secrets(service.output, SECRET_KEY, *tokens.values())


async def test_one_process_over_sqlite(mock_kakao: MockKakao, tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'service.sqlite3'}"
    tokens = new_users(mock_kakao)
    with ExitStack() as stack:
        service = start(stack, tmp_path / "service.log", mock_kakao, database_url)
        answers = await burst([service.url], tokens)
    print(f"\nscale-out: {len(answers)} racing requests on one process over SQLite")
    assert_one_account_each(answers)
    assert sorted(await stored_accounts(database_url)) == sorted(tokens)
