"""The /_mock/ admin API: users, tokens, faults, request log, reset, clock, CORS, bad input."""

from __future__ import annotations

import base64
import json
import logging
import re

import pytest

from mock_kakao.testing import MockKakao, MockKakaoError
from tests.mock_kakao.helpers import FULL, FULL_ID, bearer


async def admin(http, kakao: MockKakao, method: str, path: str, body: str | bytes | None = None):
    headers = {"Content-Type": "application/json"}
    async with http.request(method, kakao.url + path, data=body, headers=headers) as response:
        text = await response.text()
        return response.status, (json.loads(text) if text else None)


def test_default_users_are_listed_with_their_fixed_tokens(kakao):
    users = {user["id"]: user for user in kakao.users()}
    assert len(users) == 10
    full = users[FULL_ID]
    assert full["label"] == "Full consent" and full["nickname"] == "김카카오"
    [token] = full["tokens"]
    assert token["access_token"] == FULL
    assert token["refresh_token"] == "mock-refresh-full-consent"
    assert token["app_id"] == 10001 and token["expired"] is False
    assert users[4000000008]["tokens"][0]["expired"] is True


async def test_create_minimal_user_is_fully_consented(http, kakao):
    created = kakao.add_user(id=1234, nickname="새사용자", email="new@example.com")
    assert created["nickname_consent"] and created["email_consent"] and created["tokens"] == []
    token = kakao.issue_token(1234)
    assert token["token_type"] == "bearer" and token["expires_in"] == 21599
    assert token["app_id"] == 10001 and token["refresh_token"]
    async with http.get(f"{kakao.url}/v2/user/me", headers=bearer(token["access_token"])) as r:
        body = await r.json()
    assert body["kakao_account"]["email"] == "new@example.com"
    assert kakao.user(1234)["tokens"][0]["access_token"] == token["access_token"]


def test_create_user_with_fixed_tokens_and_flags(kakao):
    created = kakao.add_user(
        id=99,
        nickname=None,
        email=None,
        email_consent=False,
        nickname_source="profile",
        tokens=[{"access_token": "fixed-99", "expires_in": 0}],
    )
    assert created["email_consent"] is False and created["nickname_source"] == "profile"
    assert created["tokens"][0]["expired"] is True


def test_issue_already_expired_token(kakao):
    assert kakao.issue_token(FULL_ID, expires_in=0)["expires_in"] <= 0


def test_patch_updates_only_given_fields(kakao):
    patched = kakao.update_user(FULL_ID, nickname="바뀐이름", is_email_verified=False)
    assert patched["nickname"] == "바뀐이름" and patched["is_email_verified"] is False
    assert patched["email"] == "kim.kakao@example.com"


def test_delete_user(kakao):
    kakao.delete_user(FULL_ID)
    with pytest.raises(MockKakaoError) as error:
        kakao.user(FULL_ID)
    assert (error.value.status, error.value.error) == (404, "USER_NOT_FOUND")


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("POST", "/_mock/users", "{not json", 400, "INVALID_JSON"),
        ("POST", "/_mock/users", "", 400, "INVALID_JSON"),
        ("POST", "/_mock/users", "[1, 2]", 400, "INVALID_FIELD"),
        ("POST", "/_mock/users", '{"nickname": "x"}', 400, "MISSING_FIELD"),
        ("POST", "/_mock/users", '{"id": "12"}', 400, "INVALID_FIELD"),
        ("POST", "/_mock/users", '{"id": true}', 400, "INVALID_FIELD"),
        ("POST", "/_mock/users", '{"id": 0}', 400, "INVALID_FIELD"),
        ("POST", "/_mock/users", '{"id": 5, "email": 7}', 400, "INVALID_FIELD"),
        ("POST", "/_mock/users", '{"id": 5, "email_consent": "yes"}', 400, "INVALID_FIELD"),
        ("POST", "/_mock/users", '{"id": 5, "nickname_source": "x"}', 400, "INVALID_FIELD"),
        ("POST", "/_mock/users", '{"id": 5, "emial": "a@b.c"}', 400, "UNKNOWN_FIELD"),
        ("POST", "/_mock/users", '{"id": 5, "tokens": {}}', 400, "INVALID_FIELD"),
        ("POST", "/_mock/users", '{"id": 4000000001}', 409, "USER_EXISTS"),
        (
            "POST",
            "/_mock/users",
            '{"id": 5, "tokens": [{"access_token": "mock-token-full-consent"}]}',
            409,
            "TOKEN_EXISTS",
        ),
        ("GET", "/_mock/users/42", None, 404, "USER_NOT_FOUND"),
        ("GET", "/_mock/users/abc", None, 404, "USER_NOT_FOUND"),
        ("PATCH", "/_mock/users/42", "{}", 404, "USER_NOT_FOUND"),
        ("PATCH", "/_mock/users/4000000001", '{"id": 5}', 400, "UNKNOWN_FIELD"),
        ("PATCH", "/_mock/users/4000000001", '{"email": false}', 400, "INVALID_FIELD"),
        ("DELETE", "/_mock/users/42", None, 404, "USER_NOT_FOUND"),
        ("POST", "/_mock/users/42/tokens", "{}", 404, "USER_NOT_FOUND"),
        ("POST", "/_mock/users/4000000001/tokens", '{"expires_in": "1"}', 400, "INVALID_FIELD"),
        ("POST", "/_mock/users/4000000001/tokens", '{"ttl": 1}', 400, "UNKNOWN_FIELD"),
        ("PUT", "/_mock/faults", '{"kind": "drop"}', 400, "INVALID_FIELD"),
        ("PUT", "/_mock/faults", '[{"kind": "nope"}]', 400, "INVALID_FIELD"),
        ("POST", "/_mock/clock", '{"advance": "10"}', 400, "INVALID_FIELD"),
        ("POST", "/_mock/clock", "{}", 400, "MISSING_FIELD"),
        ("POST", "/_mock/clock", "nope", 400, "INVALID_JSON"),
    ],
)
async def test_bad_admin_input_gets_a_clear_4xx(http, kakao, method, path, body, status, code):
    got_status, got = await admin(http, kakao, method, path, body)
    assert (got_status, got["error"]) == (status, code)
    assert got["detail"]


async def test_a_bad_user_changes_nothing(http, kakao):
    body = '{"id": 5, "tokens": [{"access_token": "ok"}, {"access_token": 3}]}'
    assert (await admin(http, kakao, "POST", "/_mock/users", body))[0] == 400
    assert 5 not in {user["id"] for user in kakao.users()}


def test_faults_put_get_delete(kakao):
    faults = [
        {"kind": "latency", "latency_ms": 10},
        {
            "kind": "error",
            "user_id": 1,
            "path": "/v2/user/me",
            "times": 2,
            "status": 503,
            "code": -9798,
            "msg": "m",
        },
    ]
    assert kakao.set_faults(faults) == faults
    assert kakao.faults() == faults
    assert kakao.add_fault("malformed", times=1)[-1] == {"kind": "malformed", "times": 1}
    kakao.clear_faults()
    assert kakao.faults() == []


async def test_request_log_shows_only_token_prefixes(http, kakao, caplog):
    caplog.set_level(logging.INFO)
    token = kakao.issue_token(FULL_ID)["access_token"]
    async with http.get(f"{kakao.url}/v2/user/me", headers=bearer(token)) as response:
        assert response.status == 200
    async with http.get(f"{kakao.url}/v2/user/me", headers=bearer("garbage-token")):
        pass
    log = kakao.requests()
    assert [entry["status"] for entry in log] == [200, 401]
    first = log[0]
    assert first["method"] == "GET" and first["path"] == "/v2/user/me"
    assert first["user_id"] == FULL_ID and first["latency_ms"] >= 0 and first["time"]
    assert re.fullmatch(re.escape(token[:6]) + "…[0-9a-f]{6}", first["token"])
    everything = json.dumps(log) + caplog.text
    assert token not in everything and "garbage-token" not in everything
    assert "/_mock/" not in json.dumps(log)  # admin calls are not logged


async def test_request_log_never_shows_codes_from_query_strings(http, kakao, caplog):
    caplog.set_level(logging.INFO)
    url = f"{kakao.url}/oauth/authorize?client_id=x&code=secret-code&redirect_uri=y"
    async with http.get(url):
        pass
    assert "secret-code" not in json.dumps(kakao.requests()) + caplog.text
    kakao.clear_requests()
    assert kakao.requests() == []


async def test_reset_restores_the_file_state(http, kakao):
    kakao.add_user(id=1, nickname="x")
    kakao.delete_user(FULL_ID)
    kakao.add_fault("malformed")
    kakao.advance_clock(100000)
    async with http.get(f"{kakao.url}/v2/user/me", headers=bearer("x")):
        pass
    kakao.reset()
    assert {user["id"] for user in kakao.users()} == {4000000001 + i for i in range(10)}
    assert kakao.faults() == [] and kakao.requests() == []
    assert kakao.user(FULL_ID)["tokens"][0]["expires_in"] >= 21598


async def test_clock_advances(http, kakao):
    status, before = await admin(http, kakao, "GET", "/_mock/clock")
    assert status == 200 and before["offset"] == 0
    now = kakao.advance_clock(3600)
    assert now >= before["now"] + 3600
    assert kakao.user(FULL_ID)["tokens"][0]["expires_in"] <= 21599 - 3600


async def test_config_names_app_and_client(http, kakao):
    status, config = await admin(http, kakao, "GET", "/_mock/config")
    assert status == 200
    assert config["app_id"] == 10001 and config["rest_api_key"] == "mock-rest-api-key"


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://127.0.0.1:8002", True),
        ("http://localhost:5173", True),
        ("https://evil.example.com", False),
        ("http://127.0.0.1.evil.com", False),
    ],
)
async def test_admin_cors_only_for_loopback_origins(http, kakao, origin, allowed):
    headers = {"Origin": origin, "Access-Control-Request-Method": "PUT"}
    async with http.options(f"{kakao.url}/_mock/faults", headers=headers) as response:
        assert (response.headers.get("Access-Control-Allow-Origin") == origin) is allowed
        if allowed:
            assert "PUT" in response.headers["Access-Control-Allow-Methods"]
    async with http.get(f"{kakao.url}/_mock/users", headers={"Origin": origin}) as response:
        assert (response.headers.get("Access-Control-Allow-Origin") == origin) is allowed


async def test_request_log_tells_tokens_with_one_prefix_apart(http, kakao):
    """Every bundled token starts `mock-t`: the log adds a keyed fingerprint, the same for
    the same token and different for another, that gives away nothing of either."""
    tokens = ["mock-token-full-consent", "mock-token-no-email", "mock-token-full-consent"]
    for token in tokens:
        async with http.get(f"{kakao.url}/v2/user/me", headers=bearer(token)) as response:
            assert response.status == 200
    shown = [entry["token"] for entry in kakao.requests()]
    assert all(entry.startswith("mock-t…") for entry in shown)
    assert shown[0] == shown[2] != shown[1]
    for token, entry in zip(tokens, shown, strict=True):
        assert entry.removeprefix("mock-t…") not in token


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("label", "User 1240"),
        ("connected_at", None),  # the start's time, as when left out
        ("nickname_source", "both"),
        ("birthday_type", "SOLAR"),
    ],
)
async def test_null_is_taken_for_every_optional_string_of_a_user(http, kakao, field, expected):
    """Issue 20 rule 10: ``label: null`` was a 400 while ``email: null`` was taken. A null
    optional string means "left out": the default on create, unchanged on PATCH."""
    status, created = await admin(
        http, kakao, "POST", "/_mock/users", json.dumps({"id": 1240, field: None})
    )
    assert status == 201, created
    if expected is not None:
        assert created[field] == expected
    assert created[field] is not None
    before = created[field]
    status, patched = await admin(
        http, kakao, "PATCH", "/_mock/users/1240", json.dumps({field: None})
    )
    assert (status, patched[field]) == (200, before)


async def test_null_is_taken_for_the_optional_strings_of_faults_items_app_and_unlink(http, kakao):
    """Issue 20 rule 10, the other bodies: a fault's ``msg``/``code``, a consent item's
    ``display_name``/``type``, the app's keys and webhook method, unlink's ``referrer_type``."""
    fault = {"kind": "error", "msg": None, "code": None, "path": None}
    status, body = await admin(http, kakao, "POST", "/_mock/faults", json.dumps(fault))
    assert status == 201, body
    assert body["faults"][0]["msg"] == "internal error" and body["faults"][0]["code"] == -1
    kakao.clear_faults()
    item = {"id": "account_email", "display_name": None, "type": None}
    change = {
        "consent_items": ["profile_nickname", item],
        "rest_api_key": None,
        "javascript_key": None,
        "admin_key": None,
        "unlink_webhook_method": None,
        "oidc": None,
    }
    kakao.update_app(unlink_webhook_method="GET")
    status, app = await admin(http, kakao, "PATCH", "/_mock/app", json.dumps(change))
    assert status == 200, app
    assert app["consent_items"][1] == {
        "id": "account_email",
        "display_name": "카카오계정(이메일)",
        "type": "PRIVACY",
        "required": False,
    }
    assert app["rest_api_key"] == "mock-rest-api-key" and app["admin_key"] == "mock-admin-key"
    assert app["unlink_webhook_method"] == "GET"  # null: unchanged, as left out
    unlink = json.dumps({"referrer_type": None})
    status, body = await admin(http, kakao, "POST", f"/_mock/users/{FULL_ID}/unlink", unlink)
    assert (status, body["referrer_type"]) == (200, "UNLINK_FROM_APPS")


@pytest.mark.parametrize(
    "field",
    ["rest_api_redirect_uris", "web_domains", "consent_items", "admin_key_apis", "service_terms"],
)
async def test_a_lists_null_is_refused_not_taken_as_left_out(http, kakao, field):
    """Rule 10 is for optional strings; a list's null is a 400, as the document's types say
    (the admin fuzz found `{"rest_api_redirect_uris": null}` accepted)."""
    status, body = await admin(http, kakao, "PATCH", "/_mock/app", json.dumps({field: None}))
    assert (status, body["error"]) == (400, "INVALID_FIELD")


async def test_the_id_tokens_picture_is_the_thumbnail_as_kakaos(http, kakao):
    """Issue 20 rule 10: Kakao's ``picture`` is ``thumbnail_image_url`` (the 110 px image;
    kakao-api.md, "ID token"), in the id_token and userinfo alike; README now says so."""
    kakao.add_user(
        1241,
        profile_image_url="http://img.example.com/640.jpg",
        thumbnail_image_url="http://img.example.com/110.jpg",
    )
    issued = kakao.issue_token(1241, scope="openid")
    payload = issued["id_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["picture"] == "http://img.example.com/110.jpg"
    url = f"{kakao.url}/v1/oidc/userinfo"
    async with http.get(url, headers=bearer(issued["access_token"])) as response:
        assert (await response.json())["picture"] == "http://img.example.com/110.jpg"
