"""Each fault kind over real sockets, plus the pure matching and countdown rules."""

from __future__ import annotations

import asyncio
import http.client
import json
import time
import urllib.error
import urllib.request

import aiohttp
import pytest

from mock_kakao.testing import MockKakao, MockKakaoError
from mock_kakao.web.errors import InvalidInput
from mock_kakao.world.faults import Fault, FaultBook, parse_fault
from tests.mock_kakao.helpers import FULL, FULL_ID, bearer, eventually

ME = "/v2/user/me"


async def get_me(kakao: MockKakao, token: str = FULL, **kwargs) -> tuple[int, str]:
    """One request on a fresh connection, so a dropped one cannot be retried on another."""
    connector = aiohttp.TCPConnector(force_close=True)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.get(kakao.url + ME, headers=bearer(token), **kwargs) as response,
    ):
        return response.status, await response.text()


def logged(kakao: MockKakao, path: str) -> dict | None:
    """The latest request log entry for ``path``, if there is one yet."""
    return next((e for e in reversed(kakao.requests()) if e["path"] == path), None)


async def test_latency_delays_at_least_what_was_asked(kakao):
    kakao.add_fault("latency", latency_ms=300)
    started = time.monotonic()
    status, _ = await get_me(kakao)
    assert status == 200
    assert time.monotonic() - started >= 0.3
    assert kakao.requests()[-1]["latency_ms"] >= 300


async def test_hang_outlasts_the_clients_timeout(kakao):
    kakao.add_fault("hang")
    started = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        await get_me(kakao, timeout=aiohttp.ClientTimeout(total=0.5))
    assert time.monotonic() - started >= 0.5
    # The fake logs the request once it notices the client left.
    entry = await eventually(lambda: logged(kakao, ME), "the hung request in the log")
    assert entry["fault"] == "hang" and entry["status"] is None


async def test_hang_does_not_block_stopping_the_server():
    kakao = MockKakao().start()
    kakao.add_fault("hang", times=1)
    request = asyncio.create_task(get_me(kakao))
    # A hung request is logged only when it ends; the fault being used up shows it arrived.
    await eventually(lambda: kakao.faults() == [] or None, "the request to reach the hang")
    started = time.monotonic()
    await asyncio.to_thread(kakao.stop)
    assert time.monotonic() - started < 10
    with pytest.raises(aiohttp.ClientError):
        await request


@pytest.mark.parametrize(
    ("status", "code", "msg"),
    [
        (401, -401, "this access token does not exist"),
        (400, -1, "internal error"),
        (429, -10, "API limit has been exceeded."),
        (503, -9798, "service check"),
        (500, -1, "internal error"),
    ],
)
async def test_error_fault_answers_kakaos_body(kakao, status, code, msg):
    kakao.add_fault("error", status=status, code=code, msg=msg)
    answer = await get_me(kakao)
    assert answer[0] == status
    assert json.loads(answer[1]) == {"msg": msg, "code": code}


async def test_error_fault_on_oauth_token_uses_kauths_shape(http, kakao):
    kakao.add_fault("error", path="/oauth/token", status=503, code="KOE003", msg="down")
    async with http.post(f"{kakao.url}/oauth/token", data={}) as response:
        assert response.status == 503
        assert await response.json() == {
            "error": "server_error",
            "error_description": "down",
            "error_code": "KOE003",
        }


async def test_malformed_is_a_200_that_is_not_json(http, kakao):
    kakao.add_fault("malformed")
    async with http.get(kakao.url + ME, headers=bearer(FULL)) as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        with pytest.raises(json.JSONDecodeError):
            json.loads(await response.text())


async def test_drop_closes_the_connection_without_an_answer(kakao):
    kakao.add_fault("drop")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await get_me(kakao)
    entry = kakao.requests()[-1]
    assert entry["fault"] == "drop" and entry["status"] is None


def test_drop_once_fails_one_request_then_heals(kakao):
    # urllib, because aiohttp's client retries an idempotent request once after a dropped
    # connection: with aiohttp, a GET needs ``times`` >= 2 (or no ``times``) to see a drop.
    kakao.add_fault("drop", times=1)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(kakao.url + ME, headers=bearer(FULL))
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError)):
        opener.open(request, timeout=10)
    with opener.open(request, timeout=10) as response:
        assert response.status == 200


async def test_user_scoped_fault_hits_only_that_users_tokens(kakao):
    kakao.add_fault("error", user_id=FULL_ID, status=503, code=-9798, msg="maintenance")
    assert (await get_me(kakao))[0] == 503
    assert (await get_me(kakao, "mock-token-no-email"))[0] == 200


async def test_path_scoped_fault_hits_only_that_path(http, kakao):
    kakao.add_fault("error", path="/v1/user/access_token_info", status=500)
    assert (await get_me(kakao))[0] == 200
    url = f"{kakao.url}/v1/user/access_token_info"
    async with http.get(url, headers=bearer(FULL)) as response:
        assert response.status == 500


async def test_times_counts_down_and_removes_the_fault(kakao):
    kakao.add_fault("error", status=500, times=2)
    assert [(await get_me(kakao))[0] for _ in range(3)] == [500, 500, 200]
    assert kakao.faults() == []


async def test_faults_never_touch_the_admin_api(kakao):
    kakao.set_faults([{"kind": "drop"}, {"kind": "latency", "latency_ms": 5000}])
    started = time.monotonic()
    assert len(kakao.users()) == 10
    assert time.monotonic() - started < 5
    with pytest.raises(MockKakaoError) as error:
        kakao.add_fault("drop", path="/_mock/users")
    assert error.value.status == 400


async def test_faults_from_the_users_file(tmp_path):
    users = {
        "users": [
            {
                "id": 5,
                "nickname": "n",
                "tokens": [{"access_token": "t5"}],
                "faults": [{"kind": "error", "status": 429, "code": -10, "msg": "quota"}],
            },
            {"id": 6, "nickname": "m", "tokens": [{"access_token": "t6"}]},
        ],
        "faults": [{"kind": "error", "path": "/v1/user/unlink", "status": 500}],
    }
    path = tmp_path / "users.json"
    path.write_text(json.dumps(users))
    with MockKakao(users_file=path) as kakao:
        assert (await get_me(kakao, "t5"))[0] == 429
        assert (await get_me(kakao, "t6"))[0] == 200
        assert {"kind": "error", "user_id": 5, "status": 429, "code": -10, "msg": "quota"} in (
            kakao.faults()
        )


# -- the pure rules --------------------------------------------------------------------------


def test_latency_adds_up_and_the_first_other_fault_wins():
    book = FaultBook(
        [
            Fault("latency", latency_ms=100),
            Fault("error", times=1),
            Fault("latency", latency_ms=50, times=1),
            Fault("drop", times=1),
        ]
    )
    decision = book.take("/v2/user/me", None)
    assert decision.delay_ms == 150 and decision.fault and decision.fault.kind == "error"
    # The error and the counted latency are gone; the drop was not used, so it is left.
    assert [f.kind for f in book] == ["latency", "drop"]
    assert book.take("/v2/user/me", None).fault.kind == "drop"  # type: ignore[union-attr]


def test_matching_by_user_and_path():
    fault = Fault("error", user_id=1, path="/v2/user/me")
    assert fault.matches("/v2/user/me", 1)
    assert not fault.matches("/v2/user/me", 2)
    assert not fault.matches("/v2/user/me", None)
    assert not fault.matches("/oauth/token", 1)


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"kind": "explode"},
        {"kind": "latency"},
        {"kind": "latency", "latency_ms": -1},
        {"kind": "error", "times": 0},
        {"kind": "error", "times": "3"},
        {"kind": "error", "status": 999},
        {"kind": "error", "code": True},
        {"kind": "error", "path": "v2/user/me"},
        {"kind": "error", "colour": "red"},
        ["kind", "error"],
    ],
)
def test_bad_faults_are_refused(bad):
    with pytest.raises(InvalidInput):
        parse_fault(bad)
