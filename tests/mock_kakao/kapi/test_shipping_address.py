"""``GET /v1/user/shipping_address`` over real sockets: Kakao's shape and order, paging with
``page_size`` and ``from_updated_at``, ``address_id``, the agreement, the admin key, and the
addresses in the users file and the admin API (issue 21 item 2)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from mock_kakao.testing import MockKakao
from tests.mock_kakao.helpers import bearer, exchange_code, pick_user

SYNC = "mock-token-kakao-sync"
SYNC_ID = 4000000009
ADMIN = {"Authorization": "KakaoAK mock-admin-key"}
PATH = "/v1/user/shipping_address"
HOME = {
    "id": 9000000001,
    "name": "집",
    "is_default": True,
    "updated_at": 1704067200,
    "type": "NEW",
    "base_address": "경기 성남시 분당구 판교역로 166",
    "detail_address": "카카오 판교 아지트 3층",
    "receiver_name": "한싱크",
    "receiver_phone_number1": "010-1234-5678",
    "zone_number": "13529",
    "zip_code": "463-400",
}


async def fetch(
    http: aiohttp.ClientSession, kakao: MockKakao, headers: dict[str, str], **params: str
) -> tuple[int, Any]:
    async with http.get(kakao.url + PATH, headers=headers, params=params) as response:
        return response.status, await response.json()


def address(address_id: int, updated_at: int, **more: Any) -> dict[str, Any]:
    return {
        "id": address_id,
        "updated_at": updated_at,
        "base_address": f"주소 {address_id}",
        **more,
    }


async def test_the_bundled_sync_user_has_kakaos_shape_default_first(http, kakao) -> None:
    status, body = await fetch(http, kakao, bearer(SYNC))
    assert status == 200
    assert list(body) == ["user_id", "shipping_addresses_needs_agreement", "shipping_addresses"]
    assert body["user_id"] == SYNC_ID and body["shipping_addresses_needs_agreement"] is False
    home, office = body["shipping_addresses"]
    assert home == HOME  # the default first, though the office address is newer
    assert office["id"] == 9000000002 and office["type"] == "OLD"
    assert "zip_code" not in office  # a field the address lacks is absent, not null


async def test_pages_follow_from_updated_at_newest_first(http, kakao) -> None:
    addresses = [address(n, 1000 + n) for n in range(1, 6)] + [address(9, 10, is_default=True)]
    kakao.add_user(7100000001, "배송", shipping_addresses=addresses)
    token = bearer(kakao.issue_token(7100000001)["access_token"])
    seen: list[int] = []
    _, first = await fetch(http, kakao, token, page_size="2")
    assert [a["id"] for a in first["shipping_addresses"]] == [9, 5]
    seen += [a["id"] for a in first["shipping_addresses"]]
    cursor = first["shipping_addresses"][-1]["updated_at"]
    while True:
        _, body = await fetch(http, kakao, token, page_size="2", from_updated_at=str(cursor))
        if not body["shipping_addresses"]:
            break
        seen += [a["id"] for a in body["shipping_addresses"]]
        cursor = body["shipping_addresses"][-1]["updated_at"]
    assert seen == [9, 5, 4, 3, 2, 1]  # every address once, the default on page one only
    _, default_size = await fetch(http, kakao, token)
    assert len(default_size["shipping_addresses"]) == 6  # Kakao's default page: 10
    # Kakao's Flutter SDK sends the cursor as seconds with a fraction
    _, fraction = await fetch(http, kakao, token, from_updated_at="1003.0")
    assert [a["id"] for a in fraction["shipping_addresses"]] == [2, 1]


async def test_address_id_answers_that_address_only(http, kakao) -> None:
    _, body = await fetch(http, kakao, bearer(SYNC), address_id="9000000002")
    assert [a["id"] for a in body["shipping_addresses"]] == [9000000002]
    _, none = await fetch(http, kakao, bearer(SYNC), address_id="1")
    assert none["shipping_addresses"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"page_size": "0"},
        {"page_size": "101"},
        {"page_size": "ten"},
        {"address_id": "-1"},
        {"from_updated_at": "1e9"},
        {"from_updated_at": "٤"},
        {"address_id": "9" * 40},
    ],
)
async def test_bad_parameters_are_kakaos_minus_2(http, kakao, params) -> None:
    status, body = await fetch(http, kakao, bearer(SYNC), **params)
    assert status == 400 and body["code"] == -2, body
    assert next(iter(params)) in body["msg"]


async def test_without_agreement_nothing_is_listed_until_additional_consent(http, kakao) -> None:
    kakao.add_user(
        7100000002, "동의전", consents={"shipping_address": False}, shipping_addresses=[HOME]
    )
    token = bearer(kakao.issue_token(7100000002)["access_token"])
    status, body = await fetch(http, kakao, token)
    assert (status, body) == (
        200,
        {"user_id": 7100000002, "shipping_addresses_needs_agreement": True},
    )
    redirect = await pick_user(
        http, kakao, 7100000002, scope="shipping_address", consent=("shipping_address",)
    )
    status, tokens = await exchange_code(http, kakao, redirect.query["code"])
    assert status == 200 and "shipping_address" in tokens["scope"].split()
    _, after = await fetch(http, kakao, bearer(tokens["access_token"]))
    assert after["shipping_addresses_needs_agreement"] is False
    assert after["shipping_addresses"] == [HOME]


async def test_the_admin_key_names_the_target(http, kakao) -> None:
    target = {"target_id_type": "user_id", "target_id": str(SYNC_ID)}
    status, body = await fetch(http, kakao, ADMIN, **target, page_size="1")
    assert status == 200 and [a["id"] for a in body["shipping_addresses"]] == [HOME["id"]]
    status, body = await fetch(http, kakao, {"Authorization": "KakaoAK wrong"}, **target)
    assert (status, body["code"]) == (401, -401)
    kakao.update_app(admin_key_apis=["/v2/user/me"])
    status, body = await fetch(http, kakao, ADMIN, **target)
    assert (status, body["code"]) == (403, -3)


async def test_unknown_and_expired_tokens(http, kakao) -> None:
    assert (await fetch(http, kakao, bearer("nope")))[1]["code"] == -401
    assert (await fetch(http, kakao, bearer("mock-token-expired")))[0] == 401


async def test_an_app_without_the_item_gets_insufficient_scopes(http, kakao) -> None:
    kakao.update_app(consent_items=["profile_nickname", "account_email"])
    status, body = await fetch(http, kakao, bearer(SYNC))
    assert (status, body["code"]) == (403, -402)


async def test_the_admin_api_sets_and_checks_addresses(http, kakao) -> None:
    updated = kakao.update_user(SYNC_ID, shipping_addresses=[address(5, 99, name="새 집")])
    assert updated["shipping_addresses"] == [
        address(5, 99, name="새 집", is_default=False, type="NEW")
    ]
    _, body = await fetch(http, kakao, bearer(SYNC))
    assert [a["name"] for a in body["shipping_addresses"]] == ["새 집"]
    bad = [
        [address(1, 1), address(1, 2)],
        [address(1, 1, is_default=True), address(2, 2, is_default=True)],
        [address(1, 1, type="ROAD")],
        [address(1, 1, colour="red")],
        [address(n, n) for n in range(1, 102)],
        [address(1, 1, detail_address="x" * 1001)],
        "not a list",
    ]
    for addresses in bad:
        async with http.patch(
            f"{kakao.url}/_mock/users/{SYNC_ID}", json={"shipping_addresses": addresses}
        ) as response:
            assert response.status == 400, addresses
            assert (await response.json())["error"] in ("INVALID_FIELD", "UNKNOWN_FIELD")
    assert kakao.user(SYNC_ID)["shipping_addresses"] == updated["shipping_addresses"]


async def test_a_person_without_addresses_is_not_asked_and_lists_none(http, kakao) -> None:
    kakao.add_user(7100000003, "주소없음")
    token = kakao.issue_token(7100000003)["access_token"]
    async with http.get(f"{kakao.url}/v2/user/scopes", headers=bearer(token)) as response:
        scopes = {s["id"]: s["agreed"] for s in (await response.json())["scopes"]}
    assert scopes["shipping_address"] is False  # nothing to share: not agreed, not asked
    status, body = await fetch(http, kakao, bearer(token))
    assert (status, body) == (
        200,
        {
            "user_id": 7100000003,
            "shipping_addresses_needs_agreement": False,
            "shipping_addresses": [],
        },
    )
