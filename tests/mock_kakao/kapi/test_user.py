"""kapi endpoints over real sockets: shapes, consent rules, Kakao's exact errors, revocation."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import aiohttp
import pytest

from mock_kakao.testing import MockKakao
from mock_kakao.world.users import DEFAULT_PROFILE_IMAGE_URL, DEFAULT_THUMBNAIL_IMAGE_URL
from tests.mock_kakao.helpers import FULL, FULL_ID, bearer

EXPIRED = {"msg": "this access token is already expired", "code": -401}
NOT_FOUND = {"msg": "this access token does not exist", "code": -401}
MALFORMED = {"msg": "invalid authorization header format", "code": -2}
NO_KEY = {"msg": "no authentication key!", "code": -401}
#: what Kakao's 401s carry (kakao-api.md, "kapi -401 message variants")
INVALID_TOKEN_CHALLENGE = "Bearer error=invalid_token"


async def me(http: aiohttp.ClientSession, kakao: MockKakao, token: str, method: str = "GET"):
    async with http.request(method, f"{kakao.url}/v2/user/me", headers=bearer(token)) as r:
        return r.status, await r.json()


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_user_me_full_consent_has_kakaos_shape(http, kakao, method):
    status, body = await me(http, kakao, FULL, method)
    assert status == 200
    assert body == {
        "id": FULL_ID,
        "connected_at": "2024-01-01T00:00:00Z",
        "properties": {
            "nickname": "김카카오",
            "profile_image": DEFAULT_PROFILE_IMAGE_URL,  # no picture of their own: Kakao's
            "thumbnail_image": DEFAULT_THUMBNAIL_IMAGE_URL,
        },
        "kakao_account": {
            "profile_nickname_needs_agreement": False,
            "profile_image_needs_agreement": False,
            "profile": {
                "nickname": "김카카오",
                "is_default_nickname": False,
                "thumbnail_image_url": DEFAULT_THUMBNAIL_IMAGE_URL,
                "profile_image_url": DEFAULT_PROFILE_IMAGE_URL,
                "is_default_image": True,
            },
            "has_email": True,
            "email_needs_agreement": False,
            "is_email_valid": True,
            "is_email_verified": True,
            "email": "kim.kakao@example.com",
            # The app asks for these; the account has no value: false, and no value (rule 7).
            "name_needs_agreement": False,
            "age_range_needs_agreement": False,
            "birthyear_needs_agreement": False,
            "birthday_needs_agreement": False,
            "gender_needs_agreement": False,
            "phone_number_needs_agreement": False,
            "ci_needs_agreement": False,
        },
    }


async def test_user_me_sends_korean_as_utf8_not_escapes(http, kakao):
    async with http.get(f"{kakao.url}/v2/user/me", headers=bearer(FULL)) as response:
        raw = await response.read()
        assert response.content_type == "application/json"
    assert "김카카오".encode() in raw


async def test_post_with_kakaos_form_content_type_is_accepted(http, kakao):
    headers = {
        **bearer(FULL),
        "Content-Type": "application/x-www-form-urlencoded;charset=utf-8",
    }
    data = 'property_keys=["kakao_account.email"]'
    async with http.post(f"{kakao.url}/v2/user/me", headers=headers, data=data) as response:
        assert response.status == 200
        assert (await response.json())["id"] == FULL_ID


async def test_no_email_consent_hides_email_and_needs_agreement(http, kakao):
    _, body = await me(http, kakao, "mock-token-no-email")
    account = body["kakao_account"]
    assert account["email_needs_agreement"] is True
    assert "email" not in account and "is_email_valid" not in account
    assert account["profile"]["nickname"] == "이서연"


async def test_invalid_and_unverified_emails(http, kakao):
    _, invalid = await me(http, kakao, "mock-token-invalid-email")
    assert invalid["kakao_account"]["email"] == "old.park@example.com"
    assert invalid["kakao_account"]["is_email_valid"] is False
    assert invalid["kakao_account"]["is_email_verified"] is False
    _, unverified = await me(http, kakao, "mock-token-unverified-email")
    assert unverified["kakao_account"]["is_email_valid"] is True
    assert unverified["kakao_account"]["is_email_verified"] is False


async def test_nickname_only_in_properties(http, kakao):
    _, body = await me(http, kakao, "mock-token-properties-nickname")
    assert body["properties"]["nickname"] == "정하늘"
    assert "nickname" not in body["kakao_account"]["profile"]


async def test_no_nickname_consent_has_no_nickname_anywhere(http, kakao):
    _, body = await me(http, kakao, "mock-token-no-nickname")
    assert body["kakao_account"]["profile_nickname_needs_agreement"] is True
    assert "nickname" not in body["kakao_account"]["profile"]
    assert "nickname" not in body["properties"]
    assert body["kakao_account"]["email"]


async def test_long_korean_emoji_nickname_round_trips(http, kakao):
    _, body = await me(http, kakao, "mock-token-long-name")
    nickname = body["kakao_account"]["profile"]["nickname"]
    assert nickname == "세상에서가장긴닉네임을가진카카오친구🐻‍❄️🍜✨행복하세요"
    assert len(nickname) <= 50


async def test_expired_fixed_token_answers_kakaos_expired_error(http, kakao):
    assert await me(http, kakao, "mock-token-expired") == (401, EXPIRED)


async def test_profile_image_appears_in_profile_and_properties(http, kakao):
    kakao.add_user(id=77, nickname="사진", email=None, profile_image_url="http://img/1.jpg")
    token = kakao.issue_token(77)["access_token"]
    _, body = await me(http, kakao, token)
    assert body["kakao_account"]["profile"]["profile_image_url"] == "http://img/1.jpg"
    assert body["properties"]["thumbnail_image"] == "http://img/1.jpg"
    assert body["kakao_account"]["has_email"] is False
    assert "email" not in body["kakao_account"]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, (401, NO_KEY)),
        ({"Authorization": ""}, (401, NO_KEY)),
        ({"Authorization": "Bearer no-such-token"}, (401, NOT_FOUND)),
        ({"Authorization": "Bearer null"}, (401, NOT_FOUND)),  # the JS SDK without a token
        ({"Authorization": FULL}, (401, NO_KEY)),  # raw token, no scheme
        ({"Authorization": "Bearer "}, (401, NO_KEY)),
        ({"Authorization": "Basic abc"}, (401, NO_KEY)),
        ({"Authorization": f"Bearer {FULL} extra"}, (400, MALFORMED)),
    ],
)
async def test_authorization_header_errors(http, kakao, headers, expected):
    """Issue 20 rule 6: no usable key is Kakao's -401 "no authentication key!" (what clients
    branch on); every 401 carries Kakao's ``WWW-Authenticate`` challenge, a 400 none."""
    async with http.get(f"{kakao.url}/v2/user/me", headers=headers) as response:
        assert (response.status, await response.json()) == expected
        challenge = response.headers.get("WWW-Authenticate")
        assert challenge == (INVALID_TOKEN_CHALLENGE if response.status == 401 else None)


@pytest.mark.parametrize(
    "path", ["/v2/user/me", "/v1/user/access_token_info", "/v2/user/scopes", "/v1/oidc/userinfo"]
)
async def test_access_token_in_the_query_without_a_header(http, kakao, path):
    """Issue 20 rule 6: passport-kakao sends ``GET /v2/user/me?access_token=…``; Kakao answers."""
    params = {"access_token": FULL}
    async with http.get(f"{kakao.url}{path}", params=params) as response:
        assert response.status == 200
        assert (await response.json())["id" if path != "/v1/oidc/userinfo" else "sub"] in (
            FULL_ID,
            str(FULL_ID),
        )


async def test_access_token_in_a_post_form_logs_that_token_out(http, kakao):
    url = f"{kakao.url}/v1/user/logout"
    async with http.post(url, data={"access_token": FULL}) as response:
        assert (response.status, await response.json()) == (200, {"id": FULL_ID})
    assert await me(http, kakao, FULL) == (401, NOT_FOUND)


async def test_the_header_wins_over_the_parameter(http, kakao):
    """The parameter is read only when there is no ``Authorization`` header at all."""
    url = f"{kakao.url}/v2/user/me"
    params = {"access_token": FULL}
    async with http.get(url, params=params, headers=bearer("no-such-token")) as response:
        assert (response.status, await response.json()) == (401, NOT_FOUND)
    async with http.get(url, params={"access_token": "expired-or-not"}) as response:
        assert (response.status, await response.json()) == (401, NOT_FOUND)
    async with http.get(url, params={"access_token": ""}) as response:
        assert (response.status, await response.json()) == (401, NO_KEY)


async def test_a_query_token_is_redacted_and_matched_by_user_faults(http, kakao):
    kakao.add_fault("error", status=429, code=-10, user_id=FULL_ID, times=1)
    async with http.get(f"{kakao.url}/v2/user/me", params={"access_token": FULL}) as response:
        assert response.status == 429
    entry = kakao.requests()[-1]
    assert entry["user_id"] == FULL_ID and FULL not in str(entry)


async def test_lowercase_bearer_is_accepted(http, kakao):
    headers = {"Authorization": f"bearer {FULL}"}
    async with http.get(f"{kakao.url}/v2/user/me", headers=headers) as response:
        assert response.status == 200


async def test_access_token_info(http, kakao):
    url = f"{kakao.url}/v1/user/access_token_info"
    async with http.get(url, headers=bearer(FULL)) as response:
        body = await response.json()
    assert response.status == 200
    assert body["id"] == FULL_ID and body["app_id"] == 10001
    assert 21500 < body["expires_in"] <= 21599
    async with http.get(url, headers=bearer("mock-token-expired")) as response:
        assert (response.status, await response.json()) == (401, EXPIRED)


async def test_token_for_another_app_reports_that_app(http, kakao):
    token = kakao.issue_token(FULL_ID, app_id=20002)["access_token"]
    async with http.get(
        f"{kakao.url}/v1/user/access_token_info", headers=bearer(token)
    ) as response:
        assert (await response.json())["app_id"] == 20002


async def test_issued_token_expires_when_the_clock_moves(http, kakao):
    token = kakao.issue_token(FULL_ID, expires_in=60)["access_token"]
    assert (await me(http, kakao, token))[0] == 200
    kakao.advance_clock(61)
    assert await me(http, kakao, token) == (401, EXPIRED)


async def test_logout_revokes_only_that_token(http, kakao):
    other = kakao.issue_token(FULL_ID)["access_token"]
    async with http.post(f"{kakao.url}/v1/user/logout", headers=bearer(FULL)) as response:
        assert (response.status, await response.json()) == (200, {"id": FULL_ID})
    assert await me(http, kakao, FULL) == (401, NOT_FOUND)
    assert (await me(http, kakao, other))[0] == 200


async def test_unlink_revokes_every_token_of_the_user(http, kakao):
    other = kakao.issue_token(FULL_ID)["access_token"]
    async with http.post(f"{kakao.url}/v1/user/unlink", headers=bearer(other)) as response:
        assert (response.status, await response.json()) == (200, {"id": FULL_ID})
    assert await me(http, kakao, FULL) == (401, NOT_FOUND)
    assert await me(http, kakao, other) == (401, NOT_FOUND)
    assert kakao.user(FULL_ID)["tokens"] == []
    # Unlinking one user leaves the others alone.
    assert (await me(http, kakao, "mock-token-no-email"))[0] == 200


@pytest.mark.parametrize("path", ["/v1/user/logout", "/v1/user/unlink"])
async def test_logout_and_unlink_need_a_live_token(http, kakao, path):
    async with http.post(kakao.url + path, headers=bearer("mock-token-expired")) as response:
        assert (response.status, await response.json()) == (401, EXPIRED)
    async with http.post(kakao.url + path) as response:
        assert (response.status, await response.json()) == (401, NO_KEY)


async def test_patched_consent_shows_on_existing_admin_tokens(http, kakao):
    kakao.update_user(FULL_ID, email_consent=False)
    _, body = await me(http, kakao, FULL)
    assert body["kakao_account"]["email_needs_agreement"] is True


async def test_deleted_user_tokens_stop_working(http, kakao):
    kakao.delete_user(FULL_ID)
    assert await me(http, kakao, FULL) == (401, NOT_FOUND)


async def test_kapi_answers_cors_for_any_origin(http, kakao):
    origin = "https://app.example.com"
    preflight = {"Origin": origin, "Access-Control-Request-Method": "GET"}
    async with http.options(f"{kakao.url}/v2/user/me", headers=preflight) as response:
        assert response.status == 204
        assert response.headers["Access-Control-Allow-Origin"] == origin
        assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    headers = {**bearer("nope"), "Origin": origin}
    async with http.get(f"{kakao.url}/v2/user/me", headers=headers) as response:
        assert response.status == 401
        assert response.headers["Access-Control-Allow-Origin"] == origin


async def me_with(http, kakao: MockKakao, token: str, **params: str):
    url = f"{kakao.url}/v2/user/me"
    async with http.get(url, headers=bearer(token), params=params) as response:
        return response.status, await response.json()


@pytest.mark.parametrize("key", ["properties.level", "properties.nickname2"])
async def test_a_property_key_the_app_has_not_added_is_minus_201(http, kakao, key):
    """Issue 20 rule 8: Kakao's -201 (trouble-shooting; the signup example's words), not -2."""
    status, body = await me_with(http, kakao, FULL, property_keys=json.dumps([key]))
    name = key.removeprefix("properties.")
    expected = {"msg": f"user property not found ([{name}] for appId=10001)", "code": -201}
    assert (status, body) == (400, expected)


def test_custom_user_properties_from_the_users_file_are_read_with_property_keys(tmp_path):
    """Issue 20 rule 8: the app adds property keys (``app.user_properties``), a user has
    values (``properties``); ``/v2/user/me`` shows them, ``property_keys`` narrows to them."""
    users = tmp_path / "users.json"
    users.write_text(
        json.dumps(
            {
                "app": {"user_properties": ["level", "tier"]},
                "users": [
                    {
                        "id": 77,
                        "nickname": "칠칠",
                        "properties": {"level": "3", "tier": "gold"},
                        "consents": {"profile_image": False},  # properties: no picture
                        "tokens": [{"access_token": "tok-77"}],
                    }
                ],
            }
        )
    )
    with MockKakao(users) as kakao:
        assert kakao.app()["user_properties"] == ["level", "tier"]
        assert kakao.users()[0]["properties"] == {"level": "3", "tier": "gold"}

        def get(**params: str) -> dict:
            query = f"?{urllib.parse.urlencode(params)}" if params else ""
            request = urllib.request.Request(
                f"{kakao.url}/v2/user/me{query}", headers=bearer("tok-77")
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return {"status": response.status, **json.loads(response.read())}
            except urllib.error.HTTPError as refused:
                return {"status": refused.code, **json.loads(refused.read())}

        assert get()["properties"] == {"nickname": "칠칠", "level": "3", "tier": "gold"}
        narrowed = get(property_keys='["properties.level"]')
        assert narrowed["properties"] == {"level": "3"}
        assert get(property_keys='["properties.rank"]') == {
            "status": 400,
            "msg": "user property not found ([rank] for appId=10001)",
            "code": -201,
        }
        # an app that drops the key stops showing it, and refuses it as Kakao does
        kakao.update_app(user_properties=["tier"])
        assert get()["properties"] == {"nickname": "칠칠", "tier": "gold"}
        assert get(property_keys='["properties.level"]')["code"] == -201


@pytest.mark.parametrize(
    "app",
    [
        {"user_properties": ["nickname"]},  # a default property, not one the app adds
        {"user_properties": ["bad key"]},
        {"user_properties": "level"},
    ],
)
async def test_the_apps_user_properties_are_checked(http, kakao, app):
    async with http.patch(f"{kakao.url}/_mock/app", json=app) as response:
        assert (response.status, (await response.json())["error"]) == (400, "INVALID_FIELD")


@pytest.mark.parametrize("properties", [{"level": 3}, {"bad key": "x"}, ["level"]])
async def test_a_users_properties_are_strings_by_key(http, kakao, properties):
    async with http.post(
        f"{kakao.url}/_mock/users", json={"id": 78, "properties": properties}
    ) as response:
        assert (response.status, (await response.json())["error"]) == (400, "INVALID_FIELD")
