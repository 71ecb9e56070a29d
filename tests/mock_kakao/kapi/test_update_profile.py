"""``POST /v1/user/update_profile`` over real sockets: custom properties written and read back
through ``/v2/user/me``'s ``property_keys``; the built-in keys refused, -201 for a key the app
has not added, and Kakao's other refusals (issue 21 item 3)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from mock_kakao.testing import MockKakao
from tests.mock_kakao.helpers import FULL, FULL_ID, bearer

PATH = "/v1/user/update_profile"


async def update(
    http: aiohttp.ClientSession, kakao: MockKakao, form: dict[str, str], token: str = FULL
) -> tuple[int, Any]:
    async with http.post(kakao.url + PATH, headers=bearer(token), data=form) as response:
        return response.status, await response.json()


async def properties(http: aiohttp.ClientSession, kakao: MockKakao, *keys: str) -> Any:
    params = {"property_keys": json.dumps([f"properties.{key}" for key in keys])}
    async with http.get(f"{kakao.url}/v2/user/me", headers=bearer(FULL), params=params) as r:
        assert r.status == 200
        return (await r.json()).get("properties")


@pytest.fixture
def app_keys(kakao: MockKakao) -> MockKakao:
    kakao.update_app(user_properties=["grade", "points"])
    return kakao


async def test_update_then_read_back_through_property_keys(http, app_keys) -> None:
    status, body = await update(http, app_keys, {"properties": '{"grade": "gold"}'})
    assert (status, body) == (200, {"id": FULL_ID})
    assert await properties(http, app_keys, "grade") == {"grade": "gold"}
    # a second write replaces the keys it names and keeps the others
    await update(http, app_keys, {"properties": json.dumps({"points": "120"})})
    assert await properties(http, app_keys, "grade", "points") == {"grade": "gold", "points": "120"}
    assert app_keys.user(FULL_ID)["properties"] == {"grade": "gold", "points": "120"}


@pytest.mark.parametrize("key", ["nickname", "profile_image", "thumbnail_image"])
async def test_the_built_in_keys_are_refused(http, app_keys, key) -> None:
    status, body = await update(http, app_keys, {"properties": json.dumps({key: "x"})})
    assert (status, body["code"]) == (400, -2)
    assert "2022" in body["msg"]
    assert (await properties(http, app_keys, "nickname"))["nickname"] == "김카카오"


async def test_a_key_the_app_has_not_added_is_minus_201_and_writes_nothing(http, app_keys) -> None:
    form = {"properties": json.dumps({"grade": "gold", "colour": "red"})}
    status, body = await update(http, app_keys, form)
    assert status == 400
    assert body == {"msg": "user property not found ([colour] for appId=10001)", "code": -201}
    assert await properties(http, app_keys, "grade") is None


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"properties": ""},
        {"properties": "[1]"},
        {"properties": "{}"},
        {"properties": '{"grade": 1}'},
        {"properties": '{"grade": null}'},
        {"properties": "[" * 100000},
    ],
)
async def test_bad_properties_are_kakaos_minus_2(http, app_keys, form) -> None:
    status, body = await update(http, app_keys, form)
    assert (status, body["code"]) == (400, -2), body
    assert "properties" in body["msg"]


async def test_tokens_and_the_admin_key(http, app_keys) -> None:
    form = {"properties": '{"grade": "gold"}'}
    assert (await update(http, app_keys, form, token="nope"))[1]["code"] == -401
    headers = {"Authorization": "KakaoAK mock-admin-key"}
    target = {"target_id_type": "user_id", "target_id": str(FULL_ID), **form}
    async with http.post(app_keys.url + PATH, headers=headers, data=target) as response:
        assert response.status == 403 and (await response.json())["code"] == -3
    assert await properties(http, app_keys, "grade") is None
