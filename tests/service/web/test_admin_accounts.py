"""`/admin/accounts`: list the service's accounts page by page and delete them, behind
ADMIN_TOKEN; absent (404) without it. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from service.settings import Settings, SettingsError
from tests.service.support import (
    FULL_CONSENT_ID,
    FULL_CONSENT_TOKEN,
    SECRET_KEY,
    RunningService,
)

ADMIN_TOKEN = "admin-token-for-tests-" + "0123456789abcdef" * 2
WITH_ADMIN = pytest.mark.parametrize("service_overrides", [{"admin_token": ADMIN_TOKEN}])
ADMIN = f"Bearer {ADMIN_TOKEN}"


async def sign_up(service: RunningService, mock_kakao: Any, kakao_id: int) -> str:
    """A new account for a new fake user; its JWT."""
    mock_kakao.add_user(id=kakao_id, nickname=f"사람{kakao_id}")
    token = mock_kakao.issue_token(kakao_id)["access_token"]
    answer = await service.sign_in(token, kakao_id, f"사람{kakao_id}")
    assert answer.status == 201, answer.body
    return answer.body["token"]


async def listing(service: RunningService, query: str = "") -> tuple[int, Any]:
    answer = await service.request("GET", f"/admin/accounts{query}", authorization=ADMIN)
    return answer.status, answer.body


@WITH_ADMIN
async def test_pages_follow_ids_and_end_with_next_null(
    service: RunningService, mock_kakao: Any
) -> None:
    for kakao_id in range(8100000001, 8100000006):
        await sign_up(service, mock_kakao, kakao_id)
    status, first = await listing(service, "?limit=2")
    assert status == 200
    ids = [account["id"] for account in first["result"]]
    assert len(ids) == 2 and ids == sorted(ids)
    assert first["next"] == ids[-1]
    assert set(first["result"][0]) == {
        "id", "kakao_id", "user_name", "email", "created_at", "updated_at", "last_login_at"
    }  # fmt: skip

    seen = list(ids)
    after = first["next"]
    while after is not None:
        status, page = await listing(service, f"?limit=2&after={after}")
        assert status == 200
        seen += [account["id"] for account in page["result"]]
        after = page["next"]
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 5
    status, everything = await listing(service)
    assert [a["kakao_id"] for a in everything["result"]] == list(range(8100000001, 8100000006))
    assert everything["next"] is None


@WITH_ADMIN
async def test_deleting_one_account_voids_its_jwt_and_its_id_is_never_reused(
    service: RunningService, mock_kakao: Any
) -> None:
    jwt = await sign_up(service, mock_kakao, 8200000001)
    _, page = await listing(service)
    (account,) = page["result"]
    answer = await service.request(
        "DELETE", f"/admin/accounts/{account['id']}", authorization=ADMIN
    )
    assert (answer.status, answer.body) == (204, None)
    again = await service.request("DELETE", f"/admin/accounts/{account['id']}", authorization=ADMIN)
    assert (again.status, again.message) == (404, "NOT_FOUND")
    for missing in ("999999", "9" * 40):
        gone = await service.request("DELETE", f"/admin/accounts/{missing}", authorization=ADMIN)
        assert (gone.status, gone.message) == (404, "NOT_FOUND")

    me = await service.request("GET", "/users/me", authorization=f"Bearer {jwt}")
    assert (me.status, me.message) == (401, "INVALID_TOKEN")
    token = mock_kakao.issue_token(8200000001)["access_token"]
    back = await service.sign_in(token, 8200000001, "다시")  # sign up again: a new account
    assert back.status == 201
    _, page = await listing(service)
    assert page["result"][0]["id"] > account["id"]


@WITH_ADMIN
async def test_delete_all_says_how_many_and_sign_up_works_again(
    service: RunningService, mock_kakao: Any
) -> None:
    jwts = [await sign_up(service, mock_kakao, kakao_id) for kakao_id in (8300000001, 8300000002)]
    answer = await service.request("DELETE", "/admin/accounts", authorization=ADMIN)
    assert (answer.status, answer.body) == (200, {"deleted": 2})
    assert await listing(service) == (200, {"result": [], "next": None})
    for jwt in jwts:
        me = await service.request("GET", "/users/me", authorization=f"Bearer {jwt}")
        assert me.message == "INVALID_TOKEN"
    again = await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)
    assert again.status == 201


@WITH_ADMIN
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        ADMIN_TOKEN,  # raw: the admin token needs its scheme
        f"Basic {ADMIN_TOKEN}",
        f"Bearer {ADMIN_TOKEN}x",
        f"Bearer {ADMIN_TOKEN[:-1]}",
        "Bearer " + "x" * 70_000,
        f"Bearer {ADMIN_TOKEN} extra",
    ],
)
async def test_anything_but_the_admin_token_is_401(
    service: RunningService, authorization: str | None
) -> None:
    for method, path in (
        ("GET", "/admin/accounts"),
        ("DELETE", "/admin/accounts"),
        ("DELETE", "/admin/accounts/1"),
    ):
        answer = await service.request(method, path, authorization=authorization)
        assert (answer.status, answer.message) == (401, "INVALID_ADMIN_TOKEN"), (method, path)


@WITH_ADMIN
async def test_the_admin_token_twice_is_refused(service: RunningService) -> None:
    answer = await service.request(
        "GET", "/admin/accounts", headers={"Authorization": ADMIN}, authorization=None
    )
    assert answer.status == 200
    async with service.http.get(
        service.url + "/admin/accounts", headers=[("Authorization", ADMIN)] * 2
    ) as response:
        assert response.status == 401
        assert await response.json() == {"message": "INVALID_ADMIN_TOKEN"}


@WITH_ADMIN
@pytest.mark.parametrize(
    "query",
    ["?limit=0", "?limit=501", "?limit=x", "?limit=-1", "?after=-1", "?after=1.5",
     "?limit=1&limit=2", "?after=" + "9" * 30, "?offset=3", "?limit=%EF%BC%91"],
)  # fmt: skip
async def test_a_bad_query_is_400_invalid_query(service: RunningService, query: str) -> None:
    assert await listing(service, query) == (400, {"message": "INVALID_QUERY"})


@WITH_ADMIN
async def test_an_empty_query_value_is_the_default(
    service: RunningService, mock_kakao: Any
) -> None:
    """A client that sends `after=` with no cursor yet (issue 19 item 7) gets the first page."""
    for kakao_id in (8300000001, 8300000002):
        await sign_up(service, mock_kakao, kakao_id)
    first = await listing(service)
    assert first[0] == 200 and len(first[1]["result"]) == 2
    assert await listing(service, "?after=") == first
    assert await listing(service, "?limit=&after=") == first
    status, one = await listing(service, "?limit=1&after=")
    assert (status, one["result"]) == (200, first[1]["result"][:1])
    assert await listing(service, "?after=&after=") == (400, {"message": "INVALID_QUERY"})


@WITH_ADMIN
async def test_the_page_may_call_it_cross_origin(service: RunningService) -> None:
    origin = "http://127.0.0.1:8002"
    preflight = await service.request(
        "OPTIONS",
        "/admin/accounts/7",
        headers={"Origin": origin, "Access-Control-Request-Method": "DELETE"},
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == origin
    assert "DELETE" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    answer = await service.request(
        "GET", "/admin/accounts", authorization=ADMIN, headers={"Origin": origin}
    )
    assert answer.headers["Access-Control-Allow-Origin"] == origin


async def test_without_admin_token_the_endpoints_do_not_exist(service: RunningService) -> None:
    for method, path in (
        ("GET", "/admin/accounts"),
        ("DELETE", "/admin/accounts"),
        ("DELETE", "/admin/accounts/1"),
    ):
        answer = await service.request(method, path, authorization=ADMIN)
        assert (answer.status, answer.message) == (404, "NOT_FOUND")


@pytest.mark.parametrize("token", ["short", "x" * 31, "a b" * 20, "키" * 40, "x" * 31 + "\n"])
def test_a_weak_or_odd_admin_token_is_refused_at_start(token: str) -> None:
    with pytest.raises(SettingsError, match="ADMIN_TOKEN"):
        Settings(secret_key=SECRET_KEY, admin_token=token)


def test_admin_token_comes_from_the_environment() -> None:
    settings = Settings.from_env({"SECRET_KEY": SECRET_KEY, "ADMIN_TOKEN": ADMIN_TOKEN})
    assert settings.admin_token == ADMIN_TOKEN
    assert Settings.from_env({"SECRET_KEY": SECRET_KEY}).admin_token is None
