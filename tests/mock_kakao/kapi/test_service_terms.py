"""Kakao Sync's service-terms APIs on kapi (issue 21 item 1): the app's terms, a person's
agreements, ``GET /v2/user/service_terms`` (Bearer or admin key; ``tags``, ``result``), its
revoke (revocable terms only) and upgrade (``agreed_by: KAPI``), and the older
``GET /v1/user/service/terms``; every answer in Kakao's shape, over real sockets."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from mock_kakao.testing import MockKakao
from mock_kakao.web.errors import InvalidInput
from mock_kakao.world.serviceterms import parse_agreements
from tests.mock_kakao.helpers import FULL, FULL_ID, bearer

ADMIN = {"Authorization": "KakaoAK mock-admin-key"}
TARGET = {"target_id_type": "user_id", "target_id": str(FULL_ID)}
TERMS = [
    {"tag": "tos_2024", "title": "이용약관", "required": True},
    {"tag": "privacy_2024", "required": True},
    {"tag": "marketing", "title": "마케팅 수신"},
    {"tag": "location", "revocable": False},
]
AGREED_AT = "2024-03-01T09:00:00Z"


@pytest.fixture
def sync(kakao: MockKakao) -> MockKakao:
    """The default app with four terms; the full-consent user agreed to two of them."""
    kakao.update_app(service_terms=TERMS)
    kakao.update_user(
        FULL_ID,
        service_terms={
            "tos_2024": {"agreed_at": AGREED_AT},
            "marketing": {"agreed_at": AGREED_AT, "agreed_by": "KAPI"},
        },
    )
    return kakao


async def call(
    http: aiohttp.ClientSession,
    kakao: MockKakao,
    method: str,
    path: str,
    headers: dict[str, str],
    **data: str,
) -> tuple[int, Any]:
    where = {"params": data} if method == "GET" else {"data": data}
    async with http.request(method, kakao.url + path, headers=headers, **where) as response:
        return response.status, await response.json()


async def test_agreed_terms_by_default_in_kakaos_shape(http, sync) -> None:
    status, body = await call(http, sync, "GET", "/v2/user/service_terms", bearer(FULL))
    assert status == 200
    assert body == {
        "id": FULL_ID,
        "service_terms": [
            {
                "tag": "tos_2024",
                "required": True,
                "agreed": True,
                "revocable": False,
                "agreed_at": AGREED_AT,
                "agreed_by": "KAUTH",
            },
            {
                "tag": "marketing",
                "required": False,
                "agreed": True,
                "revocable": True,
                "agreed_at": AGREED_AT,
                "agreed_by": "KAPI",
            },
        ],
    }


async def test_app_service_terms_lists_every_term_and_tags_narrow(http, sync) -> None:
    status, body = await call(
        http, sync, "GET", "/v2/user/service_terms", bearer(FULL), result="app_service_terms"
    )
    assert status == 200
    assert [(t["tag"], t["agreed"]) for t in body["service_terms"]] == [
        ("tos_2024", True),
        ("privacy_2024", False),
        ("marketing", True),
        ("location", False),
    ]
    not_agreed = body["service_terms"][1]
    assert not_agreed == {
        "tag": "privacy_2024",
        "required": True,
        "agreed": False,
        "revocable": False,
    }
    status, body = await call(
        http,
        sync,
        "GET",
        "/v2/user/service_terms",
        bearer(FULL),
        result="app_service_terms",
        tags="location,tos_2024",
    )
    assert [t["tag"] for t in body["service_terms"]] == ["tos_2024", "location"]


async def test_a_tag_the_app_does_not_use_is_minus_2(http, sync) -> None:
    status, body = await call(
        http, sync, "GET", "/v2/user/service_terms", bearer(FULL), tags="nope"
    )
    assert status == 400
    assert body["code"] == -2
    assert body["msg"].startswith("There is no tags to get service terms.")
    assert "[nope]" in body["msg"]
    status, body = await call(
        http, sync, "GET", "/v2/user/service_terms", bearer(FULL), result="everything"
    )
    assert (status, body["code"]) == (400, -2)


async def test_the_admin_key_names_the_target(http, sync) -> None:
    status, body = await call(http, sync, "GET", "/v2/user/service_terms", ADMIN, **TARGET)
    assert status == 200
    assert body["id"] == FULL_ID
    assert [t["tag"] for t in body["service_terms"]] == ["tos_2024", "marketing"]
    # the older API is not on the admin key's list: Kakao's 403 -3
    status, body = await call(http, sync, "GET", "/v1/user/service/terms", ADMIN, **TARGET)
    assert (status, body["code"]) == (403, -3)


async def test_an_admin_key_without_the_api_is_refused(http, sync) -> None:
    sync.update_app(admin_key_apis=["/v2/user/me"])
    status, body = await call(http, sync, "GET", "/v2/user/service_terms", ADMIN, **TARGET)
    assert (status, body["code"]) == (403, -3)


async def test_no_token_is_minus_401(http, sync) -> None:
    status, body = await call(http, sync, "GET", "/v2/user/service_terms", {})
    assert (status, body["code"]) == (401, -401)


async def test_revoke_takes_back_a_revocable_term_only(http, sync) -> None:
    status, body = await call(
        http,
        sync,
        "POST",
        "/v2/user/revoke/service_terms",
        bearer(FULL),
        tags="marketing,privacy_2024",
    )
    # privacy_2024 was never agreed: left out of the answer, as Kakao's docs say
    assert (status, body) == (
        200,
        {"id": FULL_ID, "revoked_service_terms": [{"tag": "marketing", "agreed": False}]},
    )
    _, listed = await call(http, sync, "GET", "/v2/user/service_terms", bearer(FULL))
    assert [t["tag"] for t in listed["service_terms"]] == ["tos_2024"]
    assert sync.user(FULL_ID)["service_terms"] == {
        "tos_2024": {"agreed_at": AGREED_AT, "agreed_by": "KAUTH"}
    }


@pytest.mark.parametrize(
    ("tags", "status", "code", "words"),
    [
        ("tos_2024", 403, -3, "[tos_2024] is not revocable."),
        ("marketing,tos_2024", 403, -3, "[tos_2024] is not revocable."),
        ("nope", 400, -2, "There is no tags to revoke."),
        ("", 400, -2, "tags is required"),
    ],
)
async def test_revoke_errors_change_nothing(http, sync, tags, status, code, words) -> None:
    before = sync.user(FULL_ID)["service_terms"]
    answer = await call(
        http, sync, "POST", "/v2/user/revoke/service_terms", bearer(FULL), tags=tags
    )
    assert answer[0] == status
    assert answer[1]["code"] == code
    assert words in answer[1]["msg"]
    assert sync.user(FULL_ID)["service_terms"] == before


async def test_upgrade_records_agreed_by_kapi(http, sync) -> None:
    status, body = await call(
        http,
        sync,
        "POST",
        "/v2/user/upgrade/service_terms",
        ADMIN,
        **TARGET,
        tags="privacy_2024,tos_2024,nope",
    )
    assert status == 200
    # already agreed (tos_2024) and unknown (nope) tags are left out, as Kakao's docs say
    assert [(t["tag"], t["agreed"], t["agreed_by"]) for t in body["agreed_service_terms"]] == [
        ("privacy_2024", True, "KAPI")
    ]
    assert body["agreed_service_terms"][0]["agreed_at"].endswith("Z")
    _, listed = await call(
        http, sync, "GET", "/v2/user/service_terms", bearer(FULL), tags="privacy_2024"
    )
    assert listed["service_terms"][0]["agreed_by"] == "KAPI"


async def test_the_older_api_lists_allowed_terms(http, sync) -> None:
    status, body = await call(http, sync, "GET", "/v1/user/service/terms", bearer(FULL))
    assert (status, body) == (
        200,
        {
            "user_id": FULL_ID,
            "allowed_service_terms": [
                {"tag": "tos_2024", "agreed_at": AGREED_AT},
                {"tag": "marketing", "agreed_at": AGREED_AT},
            ],
        },
    )
    _, body = await call(
        http, sync, "GET", "/v1/user/service/terms", bearer(FULL), extra="app_service_terms"
    )
    assert [t["tag"] for t in body["app_service_terms"]] == [t["tag"] for t in TERMS]


async def test_unlink_forgets_the_agreements(http, sync) -> None:
    status, _ = await call(http, sync, "POST", "/v1/user/unlink", bearer(FULL))
    assert status == 200
    assert sync.user(FULL_ID)["service_terms"] == {}


@pytest.mark.parametrize(
    ("terms", "words"),
    [
        ([{"tag": "a,b"}], "tag must be"),
        ([{"tag": "tos", "required": True, "revocable": True}], "not revocable"),
        (["tos", "tos"], "declared twice"),
        ([{"tag": "tos", "colour": "red"}], "colour"),
        ("tos", "JSON list"),
    ],
)
async def test_bad_app_terms_are_refused_with_a_clear_message(http, kakao, terms, words) -> None:
    async with http.patch(f"{kakao.url}/_mock/app", json={"service_terms": terms}) as response:
        assert response.status == 400
        body = await response.json()
    assert body["error"] == ("UNKNOWN_FIELD" if words == "colour" else "INVALID_FIELD")
    assert words in body["detail"]


@pytest.mark.parametrize(
    ("agreements", "words"),
    [
        ({"tos": {"agreed_at": "yesterday"}}, "agreed_at must be"),
        ({"tos": {"agreed_by": "MAIL"}}, "agreed_by"),
        ({"a b": {}}, "not a term tag"),
        ({"tos": True}, "service_terms.tos"),
    ],
)
async def test_bad_user_agreements_are_refused(http, kakao, agreements, words) -> None:
    async with http.patch(
        f"{kakao.url}/_mock/users/{FULL_ID}", json={"service_terms": agreements}
    ) as response:
        assert response.status == 400
        body = await response.json()
    assert body["error"] == "INVALID_FIELD"
    assert words in body["detail"]


def test_the_users_file_carries_terms_and_agreements() -> None:
    document = {
        "app": {"service_terms": TERMS},
        "users": [{"id": 5, "service_terms": {"tos_2024": {"agreed_at": AGREED_AT}}}],
    }
    with MockKakao(None) as kakao:
        kakao._state._document = document  # the users file of this test
        kakao.reset()
        assert [t["tag"] for t in kakao.app()["service_terms"]] == [t["tag"] for t in TERMS]
        assert kakao.app()["service_terms"][0] == {
            "tag": "tos_2024",
            "title": "이용약관",
            "required": True,
            "revocable": False,
        }
        assert kakao.user(5)["service_terms"]["tos_2024"]["agreed_by"] == "KAUTH"


async def test_the_state_export_keeps_terms_and_agreements(http, sync) -> None:
    async with http.get(f"{sync.url}/_mock/state") as response:
        exported = await response.json()
    sync.reset()
    assert sync.user(FULL_ID)["service_terms"] == {}
    async with http.put(f"{sync.url}/_mock/state", json=exported) as response:
        assert response.status == 200, await response.text()
    assert sorted(sync.user(FULL_ID)["service_terms"]) == ["marketing", "tos_2024"]
    assert [t["tag"] for t in sync.app()["service_terms"]] == [t["tag"] for t in TERMS]


def test_an_agreement_needs_a_real_time_or_a_linked_person() -> None:
    """Found by the admin fuzz: an agreement with no time for a person with no connected_at,
    and a time in month 53, were a 500 (TypeError) and an accepted impossible date."""
    with pytest.raises(InvalidInput) as missing:
        parse_agreements({"tos": {}}, default_at=None)
    assert missing.value.code == "MISSING_FIELD"
    with pytest.raises(InvalidInput) as impossible:
        parse_agreements({"tos": {"agreed_at": "4179-53-73T06:78:51Z"}}, default_at=None)
    assert impossible.value.code == "INVALID_FIELD"
    linked = parse_agreements({"tos": {}}, default_at="2024-05-01T09:00:00Z")
    assert linked["tos"].agreed_at == "2024-05-01T09:00:00Z"
