"""Users files (JSON and TOML), the bundled default set, and rendering rules without a server."""

from __future__ import annotations

import json

import pytest
from aiohttp.test_utils import TestClient, TestServer

from mock_kakao.app import create_app
from mock_kakao.world.state import FakeKakao
from mock_kakao.world.users import Consent, FakeUser, render_me

TOML_USERS = """
app_id = 555

[[users]]
id = 7
label = "TOML user"
nickname = "토믈"
email = "toml@example.com"
is_email_verified = false

[[users.tokens]]
access_token = "toml-token"
refresh_token = "toml-refresh"
expires_in = 3600

[[users]]
id = 8
nickname = "other app"

[[users.tokens]]
access_token = "other-app-token"
app_id = 20002

[[faults]]
kind = "latency"
latency_ms = 1
path = "/v1/user/access_token_info"
"""


async def serve(state: FakeKakao) -> TestClient:
    client = TestClient(TestServer(create_app(state)))
    await client.start_server()
    return client


async def test_toml_users_file(tmp_path):
    path = tmp_path / "users.toml"
    path.write_text(TOML_USERS, encoding="utf-8")
    state = FakeKakao.from_file(path)
    assert state.app_id == 555
    client = await serve(state)
    try:
        headers = {"Authorization": "Bearer toml-token"}
        response = await client.get("/v2/user/me", headers=headers)
        body = await response.json()
        assert body["kakao_account"]["is_email_verified"] is False
        assert body["properties"]["nickname"] == "토믈"
        info = await (await client.get("/v1/user/access_token_info", headers=headers)).json()
        assert info == {"id": 7, "expires_in": 3600, "app_id": 555}
        other = await client.get(
            "/v1/user/access_token_info", headers={"Authorization": "Bearer other-app-token"}
        )
        assert (await other.json())["app_id"] == 20002
    finally:
        await client.close()
    assert state.faults.to_json()[0]["latency_ms"] == 1


def test_json_users_file_and_app_id_override(tmp_path):
    path = tmp_path / "users.json"
    path.write_text(json.dumps({"users": [{"id": 1, "tokens": [{"access_token": "a"}]}]}))
    state = FakeKakao.from_file(path, app_id=4242)
    assert state.app_id == 4242
    token, user = state.authenticate("a")
    assert token.grant.app_id == 4242 and user.label == "User 1"


@pytest.mark.parametrize(
    ("name", "text", "complaint"),
    [
        ("bad.json", "{", "not valid"),
        ("bad.toml", "users = [", "not valid"),
        ("list.json", "[]", "must be an object"),
        ("typo.json", '{"userz": []}', "unknown field"),
        ("dupe.json", '{"users": [{"id": 1}, {"id": 1}]}', "already exists"),
        ("type.json", '{"users": [{"id": 1, "email_consent": "no"}]}', "email_consent"),
    ],
)
def test_bad_users_files_fail_with_the_file_named(tmp_path, name, text, complaint):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ValueError, match=complaint) as error:
        FakeKakao.from_file(path)
    assert name in str(error.value)


def test_bundled_defaults_cover_the_real_cases():
    state = FakeKakao.from_file(None)
    assert state.app_id == 10001
    assert len(state.users) == 10
    expected_tokens = {
        4000000001: "mock-token-full-consent",
        4000000002: "mock-token-no-email",
        4000000003: "mock-token-invalid-email",
        4000000004: "mock-token-unverified-email",
        4000000005: "mock-token-properties-nickname",
        4000000006: "mock-token-no-nickname",
        4000000007: "mock-token-long-name",
        4000000008: "mock-token-expired",
    }
    for user_id, access_token in expected_tokens.items():
        [token] = state.user_json(state.users[user_id])["tokens"]
        assert token["access_token"] == access_token
        assert token["refresh_token"] == access_token.replace("mock-token-", "mock-refresh-")
        assert token["app_id"] == 10001


def test_render_me_omits_unconsented_items():
    user = FakeUser(id=1, nickname="닉", email="e@example.com")
    body = render_me(user, Consent(frozenset()))
    assert body == {
        "id": 1,
        "connected_at": "2024-01-01T00:00:00Z",
        "kakao_account": {
            "profile_nickname_needs_agreement": True,
            "profile_image_needs_agreement": True,  # Kakao's default picture, not agreed
            "has_email": True,
            "email_needs_agreement": True,
        },
    }
    assert Consent(frozenset()).scope == ""
