"""``/oauth/token`` needs what Kakao needs: from a browser, a registered web domain (issue 19
item 11: a page elsewhere can make a browser POST there without a preflight, ``no-cors``; it
cannot read the answer, but the token would be minted all the same); with the JavaScript key a
registered ``client_origin``, with the native app key a registered Android key hash or iOS
bundle id, as Kakao's SDKs send them (issue 20 rule 5)."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from mock_kakao.testing import MockKakao, MockKakaoError
from mock_kakao.world import registered
from tests.mock_kakao.helpers import REDIRECT_URI, pick_user

FULL_ID = 4000000001
MISCONFIGURED = {
    "error": "misconfigured",
    "error_description": "invalid android_key_hash or ios_bundle_id or web_site_url",
    "error_code": "KOE009",
}


async def refresh(http, kakao: MockKakao, headers: dict[str, str]):
    form = {
        "grant_type": "refresh_token",
        "client_id": kakao.client_id,
        "refresh_token": "mock-refresh-full-consent",
    }
    async with http.post(f"{kakao.url}/oauth/token", data=form, headers=headers) as answer:
        return answer.status, await answer.json()


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://localhost:3000/"])
async def test_a_page_elsewhere_mints_nothing(http, kakao, origin):
    before = len(kakao.user(FULL_ID)["tokens"])
    for _ in range(3):
        status, body = await refresh(http, kakao, {"Origin": origin})
        assert (status, body) == (401, MISCONFIGURED)
    assert len(kakao.user(FULL_ID)["tokens"]) == before


async def test_a_registered_page_and_a_server_still_get_tokens(http, kakao):
    status, body = await refresh(http, kakao, {"Origin": "http://localhost:3000"})
    assert status == 200 and body["access_token"]
    status, body = await refresh(http, kakao, {})
    assert status == 200 and body["access_token"]


async def test_registered_web_domains_decide(http, kakao):
    kakao.update_app(web_domains=["https://app.example.com"])
    status, _ = await refresh(http, kakao, {"Origin": "https://app.example.com"})
    assert status == 200
    status, body = await refresh(http, kakao, {"Origin": "http://localhost:3000"})
    assert (status, body) == (401, MISCONFIGURED)


# -- the JavaScript and native app keys, as Kakao's SDKs send them (issue 20 rule 5) ----------

NATIVE = "mock-native-app-key"
NATIVE_REDIRECT_URI = registered.native_redirect_uri(NATIVE)
#: an Android key hash as the console takes one: base64 of the signing certificate's SHA-1
KEY_HASH = base64.b64encode(hashlib.sha1(b"debug.keystore").digest()).decode()
BUNDLE_ID = "com.example.kakaologin"
PAGE = "http://localhost:3000"  # a default web domain of the JavaScript key


async def post_token(http, kakao: MockKakao, **form: str) -> tuple[int, dict]:
    async with http.post(f"{kakao.url}/oauth/token", data=form) as answer:
        return answer.status, await answer.json()


async def code_for(http, kakao: MockKakao, client_id: str, redirect_uri: str) -> str:
    redirect = await pick_user(http, kakao, FULL_ID, client_id=client_id, redirect_uri=redirect_uri)
    return redirect.query["code"]


def exchange(client_id: str, code: str, redirect_uri: str, **platform: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "code": code,
        **platform,
    }


@pytest.mark.parametrize(
    "platform",
    [{}, {"client_origin": "https://evil.example"}, {"client_origin": f"{PAGE}/"}],
)
async def test_the_javascript_key_needs_a_registered_client_origin(http, kakao, platform):
    code = await code_for(http, kakao, kakao.javascript_key, REDIRECT_URI)
    form = exchange(kakao.javascript_key, code, REDIRECT_URI, **platform)
    assert await post_token(http, kakao, **form) == (401, MISCONFIGURED)
    form["client_origin"] = PAGE  # the refusal did not use the code up
    status, issued = await post_token(http, kakao, **form)
    assert status == 200 and issued["expires_in"] == 7199
    refresh_form = {
        "grant_type": "refresh_token",
        "client_id": kakao.javascript_key,
        "refresh_token": issued["refresh_token"],
    }
    assert await post_token(http, kakao, **refresh_form, **platform) == (401, MISCONFIGURED)
    status, refreshed = await post_token(http, kakao, **refresh_form, client_origin=PAGE)
    assert status == 200 and refreshed["access_token"]


async def test_the_client_origin_is_checked_against_the_web_domains(http, kakao):
    kakao.update_app(web_domains=["https://app.example.com"])
    code = await code_for(http, kakao, kakao.javascript_key, REDIRECT_URI)
    form = exchange(kakao.javascript_key, code, REDIRECT_URI, client_origin=PAGE)
    assert await post_token(http, kakao, **form) == (401, MISCONFIGURED)
    form["client_origin"] = "https://app.example.com"
    assert (await post_token(http, kakao, **form))[0] == 200


@pytest.mark.parametrize(
    ("platform", "status"),
    [
        ({}, 401),
        ({"android_key_hash": KEY_HASH}, 200),
        ({"ios_bundle_id": BUNDLE_ID}, 200),
        ({"android_key_hash": "AAAAAAAAAAAAAAAAAAAAAAAAAAA="}, 401),
        ({"ios_bundle_id": "com.example.other"}, 401),
        ({"ios_bundle_id": BUNDLE_ID.upper()}, 401),
        ({"android_key_hash": KEY_HASH, "ios_bundle_id": "com.example.other"}, 401),
        ({"client_origin": PAGE}, 401),  # the native key's platforms are Android and iOS
    ],
)
async def test_the_native_app_key_needs_a_registered_key_hash_or_bundle_id(http, platform, status):
    with MockKakao(native_app_key=NATIVE) as kakao:
        kakao.update_app(android_key_hashes=[KEY_HASH], ios_bundle_ids=[BUNDLE_ID])
        code = await code_for(http, kakao, NATIVE, NATIVE_REDIRECT_URI)
        answer = await post_token(
            http, kakao, **exchange(NATIVE, code, NATIVE_REDIRECT_URI, **platform)
        )
        if status == 200:
            assert answer[0] == 200 and answer[1]["expires_in"] == 43199
        else:
            assert answer == (401, MISCONFIGURED)


async def test_a_new_app_registers_no_android_or_ios_platform(http):
    with MockKakao(native_app_key=NATIVE) as kakao:
        app = kakao.config()
        assert (app["android_key_hashes"], app["ios_bundle_ids"]) == ([], [])
        code = await code_for(http, kakao, NATIVE, NATIVE_REDIRECT_URI)
        form = exchange(NATIVE, code, NATIVE_REDIRECT_URI, android_key_hash=KEY_HASH)
        assert await post_token(http, kakao, **form) == (401, MISCONFIGURED)


async def test_pkce_still_binds_a_native_login(http):
    """What Kakao's SDKs send: the native key, its platform, ``code_verifier`` (PKCE S256)."""
    verifier = "v" * 43
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    )
    with MockKakao(native_app_key=NATIVE) as kakao:
        kakao.update_app(android_key_hashes=[KEY_HASH])
        for sent, status in (("w" * 43, 400), (verifier, 200)):  # a refused code is spent
            redirect = await pick_user(
                http,
                kakao,
                FULL_ID,
                client_id=NATIVE,
                redirect_uri=NATIVE_REDIRECT_URI,
                code_challenge=challenge,
                code_challenge_method="S256",
            )
            form = exchange(
                NATIVE, redirect.query["code"], NATIVE_REDIRECT_URI, android_key_hash=KEY_HASH
            )
            answer = await post_token(http, kakao, **form, code_verifier=sent)
            assert answer[0] == status, answer


async def test_the_client_secret_is_the_rest_api_keys_only(http):
    """Kakao's SDKs send no client secret: the secret is a REST API key setting."""
    with MockKakao(client_secret="s3cret") as kakao:
        code = await code_for(http, kakao, kakao.javascript_key, REDIRECT_URI)
        form = exchange(kakao.javascript_key, code, REDIRECT_URI, client_origin=PAGE)
        assert (await post_token(http, kakao, **form))[0] == 200


def test_the_users_file_adds_platforms_and_patch_sets_them(tmp_path):
    path = tmp_path / "users.json"
    app = {"android_key_hashes": [KEY_HASH], "ios_bundle_ids": [BUNDLE_ID]}
    path.write_text(json.dumps({"users": [{"id": 1}], "app": app}), encoding="utf-8")
    with MockKakao(str(path)) as kakao:
        config = kakao.config()
        assert (config["android_key_hashes"], config["ios_bundle_ids"]) == ([KEY_HASH], [BUNDLE_ID])
        patched = kakao.update_app(ios_bundle_ids=["com.example.b", "com.example.c"])
        assert patched["ios_bundle_ids"] == ["com.example.b", "com.example.c"]
        assert patched["android_key_hashes"] == [KEY_HASH]
        kakao.reset()
        assert kakao.config()["ios_bundle_ids"] == [BUNDLE_ID]


@pytest.mark.parametrize(
    ("app", "complaint"),
    [
        ({"android_key_hashes": ["not a hash"]}, "android_key_hashes: not a key hash"),
        ({"android_key_hashes": ["AAAA"]}, "android_key_hashes: not a key hash"),
        ({"android_key_hashes": KEY_HASH}, "android_key_hashes must be a JSON list"),
        ({"ios_bundle_ids": ["com example"]}, "ios_bundle_ids: not a bundle id"),
        ({"ios_bundle_ids": [""]}, "ios_bundle_ids: not a bundle id"),
        ({"ios_bundle_ids": [5]}, "ios_bundle_ids must be a list of strings"),
    ],
)
def test_bad_platform_settings_are_refused(kakao, app, complaint):
    with pytest.raises(MockKakaoError) as refused:
        kakao.update_app(**app)
    assert (refused.value.status, refused.value.error) == (400, "INVALID_FIELD")
    assert complaint in str(refused.value)
