"""The fake app's keys, as Kakao checks them: which endpoint takes which key, the client
secret, token lifetimes by key, ``/oauth/token``'s query string and optional redirect_uri,
and where the keys are configured (users file, flags and environment, ``PATCH /_mock/app``).
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import jwt
import pytest

from mock_kakao.testing import MockKakao, MockKakaoError
from mock_kakao.world import registered
from mock_kakao.world.consentitems import CATALOGUE
from mock_kakao.world.kakaoapp import ADMIN_KEY_APIS
from mock_kakao.world.state import FakeKakao
from tests.mock_kakao.helpers import FULL_ID, REDIRECT_URI, bearer, exchange_code, pick_user
from tests.mock_kakao.test_cli import get_json, running

NATIVE = "mock-native-app-key"
#: a native app key's login comes back to its own scheme (kakao<key>://oauth)
NATIVE_REDIRECT_URI = registered.native_redirect_uri(NATIVE)


def redirect_uri_of(client_id: str) -> str:
    """A redirect URI the default app registers for ``client_id``'s key."""
    return NATIVE_REDIRECT_URI if client_id == NATIVE else REDIRECT_URI


async def authorize_page(http, kakao: MockKakao, client_id: str) -> tuple[int, str]:
    query = {
        "client_id": client_id,
        "redirect_uri": redirect_uri_of(client_id),
        "response_type": "code",
    }
    async with http.get(
        f"{kakao.url}/oauth/authorize?{urlencode(query)}", allow_redirects=False
    ) as response:
        return response.status, await response.text()


async def post_token(http, kakao: MockKakao, *, query=None, form=None) -> tuple[int, dict]:
    async with http.post(f"{kakao.url}/oauth/token", params=query, data=form) as response:
        return response.status, await response.json()


def claims_of(id_token: str) -> dict:
    return jwt.decode(id_token, options={"verify_signature": False})


# -- /oauth/authorize: REST, JavaScript or native key; the admin key is KOE008 ---------------


async def test_a_login_takes_the_rest_javascript_and_native_keys(http):
    with MockKakao(native_app_key=NATIVE) as kakao:
        for key in (kakao.client_id, kakao.javascript_key, NATIVE):
            status, page = await authorize_page(http, kakao, key)
            assert status == 200 and 'data-testid="pick-user-' in page, key


@pytest.mark.parametrize(
    ("client_id", "code"),
    [("mock-admin-key", "KOE008"), ("mock-native-app-key", "KOE101"), ("nope", "KOE101")],
)
async def test_the_admin_key_is_the_wrong_key_type_and_an_unknown_key_koe101(
    http, kakao, client_id, code
):
    status, page = await authorize_page(http, kakao, client_id)
    assert status == 400 and f'data-testid="error-code">{code}<' in page
    assert kakao.admin_key not in page  # an error page never shows the admin key


# -- /oauth/token: the REST API key; the JavaScript and native keys with their platforms -------


@pytest.mark.parametrize(
    ("client_id", "description", "code"),
    [
        (None, "Not exist client_id [null]", "KOE101"),
        ("", "Not exist client_id []", "KOE101"),
        ("someone-elses-key", "Not exist client_id [someone-elses-key]", "KOE101"),
        ("mock-admin-key", "Bad client credentials", "KOE010"),
    ],
)
async def test_the_token_endpoint_refuses_unknown_keys_and_the_admin_key(
    http, kakao, client_id, description, code
):
    form = {"grant_type": "refresh_token", "refresh_token": "mock-refresh-full-consent"}
    if client_id is not None:
        form["client_id"] = client_id
    status, body = await post_token(http, kakao, form=form)
    assert (status, body) == (
        401,
        {"error": "invalid_client", "error_description": description, "error_code": code},
    )


@pytest.mark.parametrize("key", ["mock-javascript-key", NATIVE])
async def test_the_javascript_and_native_keys_without_their_platform_are_misconfigured(http, key):
    """Issue 20 rule 5: they are taken only with ``client_origin`` or ``android_key_hash`` /
    ``ios_bundle_id`` (tests/mock_kakao/kauth/test_token.py has the rest)."""
    with MockKakao(native_app_key=NATIVE) as kakao:
        form = {"grant_type": "refresh_token", "client_id": key, "refresh_token": "x"}
        status, body = await post_token(http, kakao, form=form)
        assert (status, body["error"], body["error_code"]) == (401, "misconfigured", "KOE009")


async def test_the_client_secret_when_on_is_needed_by_both_grants(http):
    with MockKakao(client_secret="s3cret") as kakao:
        assert kakao.config()["client_secret_required"] is True
        code = (await pick_user(http, kakao, FULL_ID)).query["code"]
        for secret in (None, "", "wrong"):
            more = {} if secret is None else {"client_secret": secret}
            status, body = await exchange_code(http, kakao, code, **more)
            assert (status, body["error"], body["error_code"]) == (
                401,
                "invalid_client",
                "KOE010",
            )
            assert body["error_description"] == "Bad client credentials"
        status, issued = await exchange_code(http, kakao, code, client_secret="s3cret")
        assert status == 200  # the refusals did not use the code up
        form = {
            "grant_type": "refresh_token",
            "client_id": kakao.client_id,
            "refresh_token": issued["refresh_token"],
        }
        assert (await post_token(http, kakao, form=form))[1]["error_code"] == "KOE010"
        form["client_secret"] = "s3cret"
        assert (await post_token(http, kakao, form=form))[0] == 200


async def test_the_client_secret_is_off_by_default_and_then_ignored(http, kakao):
    assert kakao.config()["client_secret"] is None
    assert kakao.config()["client_secret_required"] is False
    code = (await pick_user(http, kakao, FULL_ID)).query["code"]
    assert (await exchange_code(http, kakao, code, client_secret="anything"))[0] == 200


# -- the code exchange: query string, no redirect_uri -----------------------------------------


async def test_parameters_in_the_query_string_are_taken(http, kakao):
    code = (await pick_user(http, kakao, FULL_ID)).query["code"]
    query = {
        "grant_type": "authorization_code",
        "client_id": kakao.client_id,
        "redirect_uri": REDIRECT_URI,
        "code": code,
    }
    status, body = await post_token(http, kakao, query=query)
    assert status == 200 and body["token_type"] == "bearer"
    query = {"grant_type": "refresh_token", "client_id": kakao.client_id}
    status, body = await post_token(
        http, kakao, query=query, form={"refresh_token": body["refresh_token"]}
    )
    assert status == 200 and body["access_token"]


async def test_a_parameter_sent_twice_must_agree(http, kakao):
    code = (await pick_user(http, kakao, FULL_ID)).query["code"]
    form = {"grant_type": "authorization_code", "client_id": kakao.client_id, "code": code}
    status, body = await post_token(http, kakao, query={"client_id": "other"}, form=form)
    assert (status, body["error"], body["error_code"]) == (400, "invalid_request", "KOE001")
    assert body["error_description"] == "client_id is sent twice with different values"
    status, _ = await post_token(http, kakao, query={"client_id": kakao.client_id}, form=form)
    assert status == 200  # the same value twice is harmless


async def test_a_code_exchange_without_redirect_uri_is_accepted(http, kakao):
    code = (await pick_user(http, kakao, FULL_ID)).query["code"]
    form = {"grant_type": "authorization_code", "client_id": kakao.client_id, "code": code}
    status, body = await post_token(http, kakao, form=form)
    assert status == 200
    async with http.get(
        f"{kakao.url}/v2/user/me", headers=bearer(body["access_token"])
    ) as response:
        assert (await response.json())["id"] == FULL_ID


async def test_a_sent_redirect_uri_must_still_match(http, kakao):
    code = (await pick_user(http, kakao, FULL_ID)).query["code"]
    status, body = await exchange_code(http, kakao, code, redirect_uri="")
    assert (status, body["error_code"]) == (400, "KOE303")


# -- token lifetimes by the key the login used ------------------------------------------------


@pytest.mark.parametrize(
    ("key", "lifetime"),
    [("mock-javascript-key", 7199), ("mock-rest-api-key", 21599), (NATIVE, 43199)],
)
async def test_token_lifetime_follows_the_key_of_the_login(http, key, lifetime):
    with MockKakao(native_app_key=NATIVE, oidc=True) as kakao:
        uri = redirect_uri_of(key)
        redirect = await pick_user(
            http, kakao, FULL_ID, client_id=key, scope="openid", redirect_uri=uri
        )
        status, body = await exchange_code(http, kakao, redirect.query["code"], redirect_uri=uri)
        assert status == 200 and body["expires_in"] == lifetime
        claims = claims_of(body["id_token"])
        assert claims["exp"] - claims["iat"] == lifetime and claims["aud"] == key
        async with http.get(
            f"{kakao.url}/v1/user/access_token_info", headers=bearer(body["access_token"])
        ) as response:
            assert (await response.json())["expires_in"] == lifetime
        form = {
            "grant_type": "refresh_token",
            "client_id": kakao.client_id,
            "refresh_token": body["refresh_token"],
        }
        status, refreshed = await post_token(http, kakao, form=form)
        assert status == 200 and refreshed["expires_in"] == lifetime
        again = claims_of(refreshed["id_token"])
        assert again["exp"] - again["iat"] == lifetime


async def test_an_admin_issued_token_lives_like_a_rest_one(kakao):
    assert kakao.issue_token(FULL_ID)["expires_in"] == 21599


# -- configuration ----------------------------------------------------------------------------


async def test_config_shows_every_key_and_the_registered_defaults(kakao):
    config = kakao.config()
    assert {k: config[k] for k in config if k not in ("now", "app_id")} == {
        "oidc": False,  # as on a newly created Kakao app
        "rest_api_key": "mock-rest-api-key",
        "javascript_key": "mock-javascript-key",
        "admin_key": "mock-admin-key",
        "native_app_key": None,
        "client_secret": None,
        "client_secret_required": False,
        "rest_api_redirect_uris": [
            "http://localhost:3000/oauth/callback",
            "http://localhost:3000/auth/kakao/callback",
            "http://localhost:3000/api/auth/callback/kakao",
            "http://localhost:3000/callback/kakao",
            "http://localhost:3000/kakao/callback",
            "http://localhost:3000/accounts/kakao/login/callback/",
        ],
        "javascript_redirect_uris": [
            "http://127.0.0.1:8002/callback",
            "http://127.0.0.1:8002/example/callback.html",
            "http://localhost:8002/callback",
            "http://localhost:8002/example/callback.html",
            "http://localhost:3000/oauth/callback",
            "http://localhost:3000/auth/kakao/callback",
            "http://localhost:3000/api/auth/callback/kakao",
            "http://localhost:3000/callback/kakao",
            "http://localhost:3000/kakao/callback",
            "http://localhost:3000/accounts/kakao/login/callback/",
        ],
        "web_domains": ["http://127.0.0.1:8002", "http://localhost:8002", "http://localhost:3000"],
        "logout_redirect_uris": [
            "http://127.0.0.1:8002/",
            "http://localhost:8002/",
            "http://localhost:3000/",
            "http://localhost:3000/logout",
        ],
        "android_key_hashes": [],  # a new app has no Android or iOS platform
        "ios_bundle_ids": [],
        "unlink_webhook_url": None,
        "unlink_webhook_method": "POST",
        "account_status_webhook_url": None,
        "admin_key_apis": list(ADMIN_KEY_APIS),
        "user_properties": [],
        "service_terms": [],  # a new app uses no Kakao Sync terms
        # the bundled users file declares every item the fake knows (see default_users.json)
        "consent_items": [item.to_json() for item in CATALOGUE.values()],
    }
    assert (kakao.client_id, kakao.javascript_key, kakao.admin_key) == (
        "mock-rest-api-key",
        "mock-javascript-key",
        "mock-admin-key",
    )


APP_SECTION = {
    "rest_api_key": "file-rest",
    "javascript_key": "file-js",
    "admin_key": "file-admin",
    "native_app_key": "file-native",
    "client_secret": "file-secret",
    "web_domains": ["https://app.example.com/", "http://localhost:3000"],
}


def write_users(tmp_path, app: dict) -> str:
    path = tmp_path / "users.json"
    path.write_text(json.dumps({"users": [{"id": 1}], "app": app}), encoding="utf-8")
    return str(path)


def test_the_users_file_app_section_sets_the_keys_and_arguments_beat_it(tmp_path):
    users = write_users(tmp_path, APP_SECTION)
    with MockKakao(users) as kakao:
        config = kakao.config()
        assert {k: config[k] for k in APP_SECTION} == {
            **APP_SECTION,
            # added to the default list (http://localhost:3000 is on it already)
            "web_domains": [*registered.DEFAULT_WEB_DOMAINS, "https://app.example.com"],
        }
        assert config["client_secret_required"] is True
    with MockKakao(users, javascript_key="arg-js", web_domains=["https://b.example"]) as kakao:
        config = kakao.config()
        assert (config["javascript_key"], config["rest_api_key"]) == ("arg-js", "file-rest")
        # an argument adds to the list too: the file's, the default's and its own
        assert config["web_domains"] == [
            *registered.DEFAULT_WEB_DOMAINS,
            "https://app.example.com",
            "https://b.example",
        ]


@pytest.mark.parametrize(
    ("app", "complaint"),
    [
        ({"javascript_key": "mock-rest-api-key"}, "javascript_key must differ from rest_api_key"),
        ({"admin_key": ""}, "admin_key must be 1 to"),
        ({"rest_api_key": "a b"}, "rest_api_key must not contain spaces"),
        ({"rest_api_key": 5}, "rest_api_key must be a string"),
        ({"client_secret": 5}, "client_secret must be a string or null"),
        ({"web_domains": ["https://app.example.com/path"]}, "web_domains: not an origin"),
        ({"web_domains": ["null"]}, "web_domains: not an origin"),
        ({"web_domains": "http://localhost:3000"}, "web_domains must be a JSON list"),
        ({"rest_api_redirect_uris": ["/cb"]}, "rest_api_redirect_uris: not an http(s) URL"),
        ({"javascript_redirect_uris": ["http://a/#x"]}, "javascript_redirect_uris: not an"),
        ({"logout_redirect_uris": ["ftp://a/"]}, "logout_redirect_uris: not an http(s) URL"),
        ({"redirect_uri_prefixes": ["http://a/"]}, "redirect_uri_prefixes is no longer taken"),
        ({"secret": "x"}, "unknown field(s) secret"),
    ],
)
def test_bad_app_sections_fail_with_the_file_named(tmp_path, app, complaint):
    path = write_users(tmp_path, app)
    with pytest.raises(ValueError, match=r"users\.json") as failure:
        FakeKakao.from_file(path)
    assert complaint in str(failure.value)


def test_bad_arguments_fail_before_starting():
    with pytest.raises(ValueError, match="web_domains: not an origin"):
        MockKakao(web_domains=["localhost:3000"])
    with pytest.raises(ValueError, match="admin_key must differ from javascript_key"):
        MockKakao(javascript_key="k", admin_key="k")


async def test_patch_app_changes_keys_until_the_reset(http, kakao):
    app = kakao.update_app(javascript_key="patched-js", client_secret="patched-secret")
    assert (app["javascript_key"], app["client_secret_required"]) == ("patched-js", True)
    assert (await authorize_page(http, kakao, "patched-js"))[0] == 200
    assert (await authorize_page(http, kakao, "mock-javascript-key"))[0] == 400
    with pytest.raises(MockKakaoError) as refused:
        kakao.update_app(admin_key="patched-js")
    assert (refused.value.status, refused.value.error) == (400, "INVALID_FIELD")
    kakao.reset()
    assert kakao.javascript_key == "mock-javascript-key" and kakao.client_secret is None


def test_flags_and_environment_set_every_key_and_the_web_domains():
    flags = (
        "--port",
        "0",
        "--javascript-key",
        "flag-js",
        "--admin-key",
        "flag-admin",
        "--native-app-key",
        "flag-native",
        "--client-secret",
        "flag-secret",
        "--web-domain",
        "https://a.example",
        "--web-domain",
        "https://b.example:8443/",
    )
    with running(*flags) as (url, _):
        config = get_json(url + "/_mock/config")
        assert (config["javascript_key"], config["admin_key"]) == ("flag-js", "flag-admin")
        assert (config["native_app_key"], config["client_secret"]) == ("flag-native", "flag-secret")
        assert config["web_domains"] == [
            *registered.DEFAULT_WEB_DOMAINS,
            "https://a.example",
            "https://b.example:8443",
        ]
    environment = {
        "MOCK_KAKAO_PORT": "0",
        "MOCK_KAKAO_JAVASCRIPT_KEY": "env-js",
        "MOCK_KAKAO_ADMIN_KEY": "env-admin",
        "MOCK_KAKAO_NATIVE_APP_KEY": "env-native",
        "MOCK_KAKAO_CLIENT_SECRET": "env-secret",
        "MOCK_KAKAO_WEB_DOMAINS": "https://a.example, http://localhost:3000",
    }
    with running(**environment) as (url, _):
        config = get_json(url + "/_mock/config")
        assert (config["javascript_key"], config["admin_key"]) == ("env-js", "env-admin")
        assert (config["native_app_key"], config["client_secret"]) == ("env-native", "env-secret")
        assert config["web_domains"] == [*registered.DEFAULT_WEB_DOMAINS, "https://a.example"]
