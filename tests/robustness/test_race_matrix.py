"""The race matrix: sign-up, log-in, `DELETE /users/me`, the unlink webhook and the admin
deletes of one Kakao user, all at once, on a SQLite file and on PostgreSQL (issue 19, items 4
and 5).

No interleaving may answer 5xx but a documented 503, and each round ends in a documented state:
after a deletion answered, no request whose Kakao check started before it has re-created the
account (a sign-up started after it may). Requests of a round are spread over a few
milliseconds so that each ordering comes up in some round; nothing here measures time.

`pytest -s` prints each matrix's counts (5xx answers, accounts left behind).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.service.support import Answer, RunningService, make_settings, running_service

ADMIN_TOKEN = "race-matrix-admin-token-" + "0123456789abcdef" * 2
#: rounds per matrix, and racing requests per round: small enough for well under a minute
ROUNDS = 20
SIGN_INS = 6
ADMIN_DELETES = 3
#: the widest spread of a round's start times, in steps of STEP seconds
SPREAD = 10
STEP = 0.001
#: what a sign-in may answer in a race: logged in, signed up, or refused because its Kakao
#: check predates a deletion (or Kakao no longer knows the token); 503 is documented
SIGN_IN_ANSWERS = {(200, "LOGIN_SUCCESS"), (201, "CREATE_ACCOUNT"), (401, "INVALID_TOKEN")}
_ids = itertools.count(4_100_000_001)


@pytest.fixture(params=["sqlite", "postgresql"])
def race_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'race.sqlite3'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
async def racing(mock_kakao: Any, race_database: str) -> Any:
    settings = make_settings(
        mock_kakao.url,
        race_database,
        kakao_app_id=mock_kakao.app_id,
        kakao_admin_key=mock_kakao.admin_key,
        admin_token=ADMIN_TOKEN,
    )
    async with running_service(settings) as running:
        yield running


@dataclass
class Tally:
    """What a matrix saw: every (request, status, message), 5xx answers, accounts left."""

    name: str
    answers: Counter[tuple[str, int, str | None]] = field(default_factory=Counter)
    server_errors: int = 0
    leftover: int = 0
    rounds: int = 0
    #: answers outside what the contract promises for a race, 5xx included
    unexpected: list[Any] = field(default_factory=list)

    def record(self, kind: str, answer: Answer) -> Answer:
        self.answers[kind, answer.status, answer.message] += 1
        if answer.status >= 500 and answer.status != 503:
            self.server_errors += 1
        return answer

    def summary(self) -> str:
        return (
            f"{self.name}: {self.rounds} rounds, 5xx (not 503) {self.server_errors}, "
            f"accounts left after a deletion {self.leftover}, unexpected {len(self.unexpected)}; "
            f"{dict(self.answers)}"
        )


def _delays(round_number: int, count: int) -> Iterator[float]:
    """Start offsets for a round's requests, a different spread each round."""
    for n in range(count):
        yield ((round_number * 7 + n * 3) % SPREAD) * STEP


async def _after(
    delay: float, call: Callable[..., Awaitable[Answer]], *args: Any, **kwargs: Any
) -> Answer:
    await asyncio.sleep(delay)
    return await call(*args, **kwargs)


async def _new_person(mock_kakao: Any) -> tuple[int, str]:
    """A Kakao user the service has never seen, and an access token of theirs."""
    kakao_id = next(_ids)
    await asyncio.to_thread(mock_kakao.add_user, kakao_id, f"racer {kakao_id}")
    token = await asyncio.to_thread(mock_kakao.issue_token, kakao_id)
    return kakao_id, token["access_token"]


async def _signed_up(service: RunningService, mock_kakao: Any) -> tuple[int, str, str]:
    kakao_id, token = await _new_person(mock_kakao)
    answer = await service.sign_in(token, kakao_id)
    assert answer.status == 201, answer.body
    return kakao_id, token, answer.body["token"]


def _check_sign_ins(tally: Tally, answers: list[Answer]) -> None:
    for answer in answers:
        tally.record("sign-in", answer)
        if (answer.status, answer.message) not in SIGN_IN_ANSWERS and answer.status != 503:
            tally.unexpected.append(answer.body)


async def test_sign_ups_racing_admin_deletes(racing: RunningService, mock_kakao: Any) -> None:
    """Item 4: sign-ups of one new person racing `DELETE /admin/accounts`."""
    tally = Tally("sign-ups vs DELETE /admin/accounts")
    admin = f"Bearer {ADMIN_TOKEN}"
    for round_number in range(ROUNDS):
        kakao_id, token = await _new_person(mock_kakao)
        delays = list(_delays(round_number, SIGN_INS + ADMIN_DELETES))
        sign_ins = [_after(delay, racing.sign_in, token, kakao_id) for delay in delays[:SIGN_INS]]
        deletes = [
            _after(delay, racing.request, "DELETE", "/admin/accounts", authorization=admin)
            for delay in delays[SIGN_INS:]
        ]
        answers = await asyncio.gather(*sign_ins, *deletes)
        tally.rounds += 1
        _check_sign_ins(tally, answers[:SIGN_INS])
        for answer in answers[SIGN_INS:]:
            tally.record("admin delete", answer)
        assert await racing.user_count(kakao_id) <= 1
        # A sign-up that starts after the deletions makes the account again: nothing is stuck.
        await racing.request("DELETE", "/admin/accounts", authorization=admin)
        again = tally.record("sign-in after", await racing.sign_in(token, kakao_id))
        if again.status != 201:
            tally.unexpected.append(again.body)
    print(tally.summary())
    assert (tally.server_errors, tally.unexpected) == (0, []), tally.summary()


async def _race_deletion(
    tally: Tally,
    service: RunningService,
    mock_kakao: Any,
    round_number: int,
    deletion: Callable[[int, str], Awaitable[Answer]],
    deleted: Callable[[Answer], bool],
) -> None:
    """One round: an account, its deletion and sign-ins with the same Kakao token, at once;
    after a deletion that answered done, the account must be gone."""
    kakao_id, token, jwt = await _signed_up(service, mock_kakao)
    delays = list(_delays(round_number, SIGN_INS + 1))
    answers = await asyncio.gather(
        _after(delays[0], deletion, kakao_id, jwt),
        *(_after(delay, service.sign_in, token, kakao_id) for delay in delays[1:]),
    )
    tally.rounds += 1
    tally.record("deletion", answers[0])
    _check_sign_ins(tally, answers[1:])
    if deleted(answers[0]) and await service.user_count(kakao_id):
        tally.leftover += 1


async def test_delete_me_racing_sign_ins(racing: RunningService, mock_kakao: Any) -> None:
    """Item 5: `DELETE /users/me` racing sign-ins with the token Kakao unlinks."""
    tally = Tally("DELETE /users/me vs sign-ins")

    async def delete_me(_kakao_id: int, jwt: str) -> Answer:
        return await racing.request("DELETE", "/users/me", authorization=f"Bearer {jwt}")

    for round_number in range(ROUNDS):
        await _race_deletion(
            tally, racing, mock_kakao, round_number, delete_me, lambda a: a.status == 204
        )
    print(tally.summary())
    assert (tally.server_errors, tally.leftover, tally.unexpected) == (0, 0, []), tally.summary()


async def test_unlink_webhook_racing_sign_ins(racing: RunningService, mock_kakao: Any) -> None:
    """The person unlinks at Kakao, whose webhook races sign-ins that Kakao checked before."""
    tally = Tally("unlink webhook vs sign-ins")

    async def unlinked_at_kakao(kakao_id: int, _jwt: str) -> Answer:
        await asyncio.to_thread(mock_kakao.unlink_user, kakao_id)  # no webhook URL: we call it
        return await racing.request(
            "GET",
            f"/auth/kakao/unlink?app_id={mock_kakao.app_id}&user_id={kakao_id}",
            authorization=f"KakaoAK {mock_kakao.admin_key}",
        )

    for round_number in range(ROUNDS):
        await _race_deletion(
            tally, racing, mock_kakao, round_number, unlinked_at_kakao, lambda a: a.status == 200
        )
    print(tally.summary())
    assert (tally.server_errors, tally.leftover, tally.unexpected) == (0, 0, []), tally.summary()
