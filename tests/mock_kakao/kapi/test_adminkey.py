"""kapi with the app's admin key (``Authorization: KakaoAK <key>`` and ``target_id``): the
profile, logout of every token, unlink without a webhook, the id list, and Kakao's errors."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import aiohttp
import pytest

from mock_kakao.testing import MockKakao
from tests.mock_kakao.helpers import FULL, FULL_ID, bearer

ADMIN = {"Authorization": "KakaoAK mock-admin-key"}
TARGET = {"target_id_type": "user_id", "target_id": str(FULL_ID)}
#: the bundled users (mock_kakao/files/default_users.json), every one linked to the app
ALL_IDS = [4000000001 + n for n in range(10)]


async def call(
    http: aiohttp.ClientSession,
    kakao: MockKakao,
    method: str,
    path: str,
    headers: dict[str, str],
    *,
    params: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> tuple[int, Any]:
    async with http.request(
        method, kakao.url + path, headers=headers, params=params, data=form
    ) as response:
        return response.status, await response.json()


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_user_me_with_the_admin_key_names_the_target(http, kakao, method) -> None:
    where = {"params": TARGET} if method == "GET" else {"form": TARGET}
    status, body = await call(http, kakao, method, "/v2/user/me", ADMIN, **where)
    assert status == 200
    assert body["id"] == FULL_ID
    assert body["kakao_account"]["email"] == "kim.kakao@example.com"


async def test_admin_logout_revokes_every_token_of_the_user(http, kakao) -> None:
    second = kakao.issue_token(FULL_ID)["access_token"]
    other = kakao.issue_token(FULL_ID + 1)["access_token"]
    status, body = await call(http, kakao, "POST", "/v1/user/logout", ADMIN, form=TARGET)
    assert (status, body) == (200, {"id": FULL_ID})
    for token in (FULL, second):
        assert (await call(http, kakao, "GET", "/v2/user/me", bearer(token)))[0] == 401
    assert (await call(http, kakao, "GET", "/v2/user/me", bearer(other)))[0] == 200
    # logout is not unlink: the user is still linked
    assert (await call(http, kakao, "GET", "/v2/user/me", ADMIN, params=TARGET))[0] == 200


async def test_admin_unlink_revokes_unlinks_and_sends_no_webhook(http, kakao) -> None:
    kakao.update_app(unlink_webhook_url="http://127.0.0.1:9/never")
    status, body = await call(http, kakao, "POST", "/v1/user/unlink", ADMIN, form=TARGET)
    assert (status, body) == (200, {"id": FULL_ID})
    assert (await call(http, kakao, "GET", "/v2/user/me", bearer(FULL)))[0] == 401
    status, body = await call(http, kakao, "GET", "/v2/user/me", ADMIN, params=TARGET)
    assert (status, body) == (400, {"msg": "NotRegisteredUserException", "code": -101})
    assert kakao.webhooks() == []  # the app asked for it: Kakao does not call it back
    status, body = await call(http, kakao, "POST", "/v1/user/unlink", ADMIN, form=TARGET)
    assert (status, body["code"]) == (400, -101)


@pytest.mark.parametrize(
    ("authorization", "msg"),
    [
        (None, "no authentication key!"),
        ("KakaoAK", "no authentication key!"),
        ("KakaoAK wrong-key", "invalid app key."),
        ("KakaoAK mock-admin-key-and-more", "invalid app key."),
        ("kakaoak MOCK-ADMIN-KEY", "invalid app key."),
        (f"Bearer {FULL}", "no authentication key!"),
    ],
)
async def test_user_ids_needs_the_admin_key(http, kakao, authorization, msg) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    status, body = await call(http, kakao, "GET", "/v1/user/ids", headers)
    assert (status, body) == (401, {"msg": msg, "code": -401})


@pytest.mark.parametrize("path", ["/v2/user/me", "/v1/user/logout", "/v1/user/unlink"])
async def test_a_wrong_admin_key_changes_nothing(http, kakao, path) -> None:
    headers = {"Authorization": "KakaoAK not-the-key"}
    status, body = await call(http, kakao, "POST", path, headers, form=TARGET)
    assert (status, body) == (401, {"msg": "invalid app key.", "code": -401})
    assert (await call(http, kakao, "GET", "/v2/user/me", bearer(FULL)))[0] == 200


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({}, -2),
        ({"target_id_type": "user_id"}, -2),
        ({"target_id_type": "email", "target_id": str(FULL_ID)}, -2),
        ({"target_id_type": "user_id", "target_id": "12x"}, -2),
        ({"target_id_type": "user_id", "target_id": "1" * 40}, -101),
        ({"target_id_type": "user_id", "target_id": "-5"}, -101),
        ({"target_id_type": "user_id", "target_id": "123"}, -101),
    ],
)
async def test_bad_targets_get_kakaos_errors(http, kakao, form, code) -> None:
    status, body = await call(http, kakao, "POST", "/v1/user/logout", ADMIN, form=form)
    assert (status, body["code"]) == (400, code)
    assert "target" in body["msg"] if code == -2 else body["msg"] == "NotRegisteredUserException"


async def test_user_ids_pages_through_the_linked_users(http, kakao) -> None:
    status, body = await call(http, kakao, "GET", "/v1/user/ids", ADMIN)
    assert status == 200
    assert body == {
        "elements": ALL_IDS,
        "total_count": len(ALL_IDS),
        "before_url": None,
        "after_url": None,
    }
    status, page = await call(http, kakao, "GET", "/v1/user/ids", ADMIN, params={"limit": "3"})
    assert page["elements"] == ALL_IDS[:3] and page["before_url"] is None
    base = f"{kakao.url}/v1/user/ids?limit=3"
    key = "app_key=mock-rest-api-key"
    # issue 20 rule 8: Kakao's fixture builds after_url from the page's last id
    assert page["after_url"] == f"{base}&order=asc&from_id={ALL_IDS[2]}&{key}"
    async with http.get(page["after_url"], headers=ADMIN) as response:
        second = await response.json()
    assert second["elements"] == ALL_IDS[2:5]  # from_id is inclusive, as Kakao documents
    # ... and before_url from the page's first id
    assert second["before_url"] == f"{base}&order=desc&from_id={ALL_IDS[2]}&{key}"
    assert second["after_url"] == f"{base}&order=asc&from_id={ALL_IDS[4]}&{key}"
    params = {"order": "desc", "from_id": str(ALL_IDS[4]), "limit": "2"}
    status, down = await call(http, kakao, "GET", "/v1/user/ids", ADMIN, params=params)
    assert down["elements"] == [ALL_IDS[4], ALL_IDS[3]]
    assert down["before_url"] == (
        f"{kakao.url}/v1/user/ids?limit=2&order=asc&from_id={ALL_IDS[4]}&{key}"
    )
    assert down["after_url"] == (
        f"{kakao.url}/v1/user/ids?limit=2&order=desc&from_id={ALL_IDS[3]}&{key}"
    )


async def test_user_ids_leaves_out_unlinked_users(http, kakao) -> None:
    await call(http, kakao, "POST", "/v1/user/unlink", bearer(FULL))
    status, body = await call(http, kakao, "GET", "/v1/user/ids", ADMIN)
    assert body["elements"] == ALL_IDS[1:] and body["total_count"] == len(ALL_IDS) - 1
    kakao.issue_token(FULL_ID)  # logging in again links again
    status, body = await call(http, kakao, "GET", "/v1/user/ids", ADMIN)
    assert (status, body["elements"]) == (200, ALL_IDS)


@pytest.mark.parametrize(
    "params",
    [{"limit": "0"}, {"limit": "101"}, {"limit": "x"}, {"order": "up"}, {"from_id": "1.5"}],
)
async def test_user_ids_refuses_bad_parameters(http, kakao, params) -> None:
    status, body = await call(http, kakao, "GET", "/v1/user/ids", ADMIN, params=params)
    assert (status, body["code"]) == (400, -2)


async def test_the_admin_key_is_a_setting_and_never_logged(http, kakao) -> None:
    kakao.update_app(admin_key="another-key")
    assert kakao.admin_key == "another-key"
    assert (await call(http, kakao, "GET", "/v1/user/ids", ADMIN))[0] == 401
    good = {"Authorization": "KakaoAK another-key"}
    assert (await call(http, kakao, "GET", "/v1/user/ids", good))[0] == 200
    logged = kakao.requests()
    assert "another-key" not in repr(logged) and "mock-admin-key" not in repr(logged)
    kakao.reset()
    assert kakao.admin_key == "mock-admin-key"


def test_the_admin_key_comes_from_the_users_file_and_a_flag_pins_it(tmp_path) -> None:
    users = tmp_path / "users.json"
    users.write_text('{"app": {"admin_key": "from-file"}, "users": []}')
    with MockKakao(users) as kakao:
        assert kakao.admin_key == "from-file"
    with MockKakao(users, admin_key="from-flag") as kakao:
        kakao.update_app(admin_key="patched")
        kakao.reset()
        assert kakao.admin_key == "from-flag"


#: the APIs Kakao lets an admin key call (devtalk 148737), in its order
DOCUMENTED_ADMIN_APIS = [
    "/v1/user/logout",
    "/v1/user/unlink",
    "/v2/user/me",
    "/v1/user/shipping_address",
    "/v2/user/scopes",
    "/v2/user/revoke/scopes",
    "/v2/user/service_terms",
    "/v2/user/revoke/service_terms",
    "/v2/user/upgrade/service_terms",
    "/v2/app/users",
    "/v1/user/ids",
]
NOT_ALLOWED = {"msg": "this API is not allowed for the admin key", "code": -3}


async def test_the_default_app_allows_every_documented_admin_key_api(http, kakao) -> None:
    """Issue 20 rule 4: the default app's admin key may call what Kakao lists (DT148737)."""
    assert kakao.app()["admin_key_apis"] == DOCUMENTED_ADMIN_APIS
    assert kakao.config()["admin_key_apis"] == DOCUMENTED_ADMIN_APIS
    for method, path, where in [
        ("GET", "/v2/user/me", {"params": TARGET}),
        ("GET", "/v2/user/scopes", {"params": TARGET}),
        ("GET", "/v1/user/ids", {}),
        ("POST", "/v1/user/logout", {"form": TARGET}),
    ]:
        assert (await call(http, kakao, method, path, ADMIN, **where))[0] == 200


async def test_an_api_outside_the_admin_keys_list_is_403_minus_3(http, kakao) -> None:
    """Issue 20 rule 4: a back office can test a console set wrong: ``PATCH /_mock/app``
    narrows the list; a call outside it is 403 -3 and changes nothing."""
    app = kakao.update_app(admin_key_apis=["/v1/user/ids"])
    assert app["admin_key_apis"] == ["/v1/user/ids"]
    for method, path, where in [
        ("GET", "/v2/user/me", {"params": TARGET}),
        ("POST", "/v2/user/me", {"form": TARGET}),
        ("GET", "/v2/user/scopes", {"params": TARGET}),
        ("POST", "/v1/user/unlink", {"form": TARGET}),
        ("POST", "/v1/user/logout", {"form": TARGET}),
    ]:
        assert await call(http, kakao, method, path, ADMIN, **where) == (403, NOT_ALLOWED)
    assert (await call(http, kakao, "GET", "/v1/user/ids", ADMIN))[0] == 200
    # the person's own token is not the admin key: its calls are untouched
    assert (await call(http, kakao, "GET", "/v2/user/me", bearer(FULL)))[0] == 200
    # a wrong key is still refused as a wrong key first
    wrong = {"Authorization": "KakaoAK not-the-key"}
    status, body = await call(http, kakao, "GET", "/v2/user/me", wrong, params=TARGET)
    assert (status, body["code"]) == (401, -401)
    kakao.update_app(admin_key_apis=[])
    assert await call(http, kakao, "GET", "/v1/user/ids", ADMIN) == (403, NOT_ALLOWED)
    kakao.reset()
    assert kakao.app()["admin_key_apis"] == DOCUMENTED_ADMIN_APIS


@pytest.mark.parametrize(
    "value",
    [["/v1/user/me"], ["/v2/user/me", "/v2/user/me"], "/v2/user/me", [1], ["/v2/user/me/"]],
)
async def test_the_admin_key_list_takes_only_documented_apis(http, kakao, value) -> None:
    async with http.patch(f"{kakao.url}/_mock/app", json={"admin_key_apis": value}) as response:
        assert response.status == 400
        assert (await response.json())["error"] == "INVALID_FIELD"
    assert kakao.app()["admin_key_apis"] == DOCUMENTED_ADMIN_APIS


def test_the_users_file_narrows_the_admin_keys_list(tmp_path) -> None:
    users = tmp_path / "users.json"
    users.write_text('{"app": {"admin_key_apis": ["/v2/user/me"]}, "users": []}')
    with MockKakao(users) as kakao:
        assert kakao.app()["admin_key_apis"] == ["/v2/user/me"]
        request = urllib.request.Request(kakao.url + "/v1/user/ids", headers=ADMIN)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 403
        assert json.loads(refused.value.read()) == NOT_ALLOWED
