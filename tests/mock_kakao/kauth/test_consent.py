"""Consent as Kakao has it: every kakao_account item with its own consent, the app's consent
items, property_keys and secure_resource, scope and additional consent on the login pages,
/v2/user/scopes and /v2/user/revoke/scopes, and the bundled users that show them."""

from __future__ import annotations

import json

import aiohttp
import pytest

from mock_kakao.testing import MockKakao
from mock_kakao.web.errors import InvalidInput
from mock_kakao.world.state import FakeKakao
from mock_kakao.world.users import render_me
from tests.mock_kakao.helpers import (
    FULL_ID,
    IN_KAKAOTALK,
    REDIRECT_URI,
    bearer,
    consent_page,
    exchange_code,
    pick_user,
)

SYNC = "mock-token-kakao-sync"
SYNC_ID = 4000000009
LATER = "mock-token-email-later"
LATER_ID = 4000000010


async def me(http: aiohttp.ClientSession, kakao: MockKakao, token: str, **params: str):
    async with http.get(f"{kakao.url}/v2/user/me", headers=bearer(token), params=params) as r:
        return r.status, await r.json()


async def login(http, kakao, user_id: int, **kwargs) -> dict:
    """The pages, then the code exchange: the token answer."""
    redirect = await pick_user(http, kakao, user_id, **kwargs)
    status, tokens = await exchange_code(http, kakao, redirect.query["code"])
    assert status == 200, tokens
    return tokens


async def test_kakao_sync_user_has_every_item_in_kakaos_shape(http, kakao):
    status, body = await me(http, kakao, SYNC)
    assert status == 200
    assert body == {
        "id": SYNC_ID,
        "has_signed_up": True,
        "connected_at": "2024-01-01T00:00:00Z",
        "synched_at": "2024-01-01T00:00:00Z",
        "properties": {
            "nickname": "한싱크",
            "profile_image": "http://img.example.com/han/640.jpg",
            "thumbnail_image": "http://img.example.com/han/110.jpg",
        },
        "kakao_account": {
            "profile_nickname_needs_agreement": False,
            "profile_image_needs_agreement": False,
            "profile": {
                "nickname": "한싱크",
                "is_default_nickname": False,
                "thumbnail_image_url": "http://img.example.com/han/110.jpg",
                "profile_image_url": "http://img.example.com/han/640.jpg",
                "is_default_image": False,
            },
            "has_email": True,
            "email_needs_agreement": False,
            "is_email_valid": True,
            "is_email_verified": True,
            "email": "han.sync@example.com",
            "name_needs_agreement": False,
            "name": "한싱크",
            "age_range_needs_agreement": False,
            "age_range": "30~39",
            "birthyear_needs_agreement": False,
            "birthyear": "1990",
            "birthday_needs_agreement": False,
            "birthday": "0214",
            "birthday_type": "SOLAR",
            "is_leap_month": False,
            "gender_needs_agreement": False,
            "gender": "female",
            "phone_number_needs_agreement": False,
            "phone_number": "+82 10-1234-5678",
            "ci_needs_agreement": False,
            "ci": "mock-ci-4000000009",
            "ci_authenticated_at": "2024-01-01T00:00:00Z",
        },
        "for_partner": {"uuid": "mock-uuid-4000000009"},
    }


async def test_each_item_has_its_own_consent(http, kakao):
    kakao.update_user(SYNC_ID, consents={"phone_number": False, "birthday": False})
    _, body = await me(http, kakao, SYNC)
    account = body["kakao_account"]
    assert account["phone_number_needs_agreement"] is True and "phone_number" not in account
    assert account["birthday_needs_agreement"] is True
    assert not {"birthday", "birthday_type", "is_leap_month"} & set(account)
    assert account["name"] == "한싱크" and account["birthyear"] == "1990"


def test_an_item_the_app_does_not_ask_for_never_appears():
    document = {
        "app": {"consent_items": ["profile_nickname"]},
        "users": [{"id": 1, "nickname": "닉", "email": "e@example.com", "name": "이름"}],
    }
    state = FakeKakao(document)
    token = state.issue_token(1)
    body = render_me(state.users[1], state.consent_of(token), state.item_ids)
    assert body["kakao_account"] == {
        "profile_nickname_needs_agreement": False,
        "profile": {"nickname": "닉", "is_default_nickname": False},
    }


@pytest.mark.parametrize(
    ("items", "detail"),
    [
        ("profile_nickname", "must be a JSON list"),
        (["openid"], "not 'openid'"),
        (["Bad-Id"], "lower-case"),
        (["name", "name"], "declared twice"),
        ([{"id": "name", "type": "OTHER"}], "type must be one of"),
        ([{"id": "name", "mandatory": True}], "unknown field"),
    ],
)
def test_bad_consent_items_are_refused_with_a_clear_message(items, detail):
    with pytest.raises(InvalidInput) as raised:
        FakeKakao({"app": {"consent_items": items}, "users": []})
    assert detail in raised.value.detail


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"birthday": "1301"}, "MMDD"),
        ({"birthyear": "90"}, "YYYY"),
        ({"gender": "other"}, "gender"),
        ({"age_range": "20-29"}, "age_range"),
        ({"birthday_type": "MOON"}, "birthday_type"),
        ({"has_signed_up": "yes"}, "has_signed_up"),
        ({"consents": {"account_email": False}}, "email_consent"),
        ({"consents": {"name": "no"}}, "consents"),
    ],
)
async def test_bad_user_fields_are_refused(http, kakao, fields, detail):
    async with http.post(f"{kakao.url}/_mock/users", json={"id": 77, **fields}) as response:
        body = await response.json()
    assert response.status == 400 and body["error"] == "INVALID_FIELD"
    assert detail in body["detail"]


async def test_property_keys_narrow_the_answer_get_and_post(http, kakao):
    keys = json.dumps(["kakao_account.email"])
    status, body = await me(http, kakao, SYNC, property_keys=keys)
    assert status == 200
    assert body == {
        "id": SYNC_ID,
        "connected_at": "2024-01-01T00:00:00Z",
        "kakao_account": {
            "has_email": True,
            "email_needs_agreement": False,
            "is_email_valid": True,
            "is_email_verified": True,
            "email": "han.sync@example.com",
        },
    }
    form = {"property_keys": json.dumps(["kakao_account.name", "properties.nickname"])}
    async with http.post(f"{kakao.url}/v2/user/me", headers=bearer(SYNC), data=form) as r:
        posted = await r.json()
    assert posted["kakao_account"] == {"name_needs_agreement": False, "name": "한싱크"}
    assert posted["properties"] == {"nickname": "한싱크"}


async def test_property_keys_prefix_forms_bring_their_whole_part(http, kakao):
    _, full = await me(http, kakao, SYNC)
    _, body = await me(http, kakao, SYNC, property_keys='["kakao_account.", "properties."]')
    assert body["kakao_account"] == full["kakao_account"]
    assert body["properties"] == full["properties"]
    assert "for_partner" not in body and "synched_at" not in body


@pytest.mark.parametrize(
    "params",
    [
        {"property_keys": "kakao_account.email"},  # not a JSON array
        {"property_keys": '["kakao_account.emial"]'},
        {"property_keys": "[1]"},
        {"secure_resource": "yes"},
    ],
)
async def test_bad_me_parameters_get_kapis_minus_2(http, kakao, params):
    status, body = await me(http, kakao, SYNC, **params)
    assert status == 400 and body["code"] == -2 and body["msg"]


async def test_secure_resource_gives_https_image_urls(http, kakao):
    _, body = await me(http, kakao, SYNC, secure_resource="true")
    profile = body["kakao_account"]["profile"]
    assert profile["profile_image_url"] == "https://img.example.com/han/640.jpg"
    assert profile["thumbnail_image_url"] == "https://img.example.com/han/110.jpg"
    assert body["properties"]["profile_image"].startswith("https://")
    _, plain = await me(http, kakao, SYNC, secure_resource="false")
    assert plain["kakao_account"]["profile"]["profile_image_url"].startswith("http://")


# -- scope on /oauth/authorize --------------------------------------------------------------


async def test_first_login_asks_for_every_item_the_person_has(http, kakao):
    page = await consent_page(http, kakao, SYNC_ID)
    for testid in ("nickname", "email", "profile_image", "name", "gender", "age_range"):
        assert f'data-testid="consent-{testid}"' in page
    for testid in ("birthday", "birthyear", "phone_number", "account_ci", "talk_message"):
        assert f'data-testid="consent-{testid}"' in page
    # The full-consent user has no phone number: nothing to ask for it.
    assert 'data-testid="consent-phone_number"' not in await consent_page(http, kakao, FULL_ID)


@pytest.mark.parametrize("scope", ["account_email", "account_email,openid", "openid account_email"])
async def test_additional_consent_asks_only_for_the_missing_item(http, kakao, scope):
    page = await consent_page(http, kakao, LATER_ID, scope=scope)
    assert 'data-testid="consent-email"' in page and "checked" in page
    assert 'data-testid="consent-nickname"' not in page
    tokens = await login(http, kakao, LATER_ID, scope=scope, consent=None)
    assert "account_email" in tokens["scope"].split()
    assert "profile_nickname" in tokens["scope"].split()  # agreed before, kept
    _, body = await me(http, kakao, tokens["access_token"])
    assert body["kakao_account"]["email"] == "oh.later@example.com"
    # The old token keeps the consent it was given.
    _, old = await me(http, kakao, LATER)
    assert old["kakao_account"]["email_needs_agreement"] is True


async def test_consent_is_remembered_per_user(http, kakao):
    await login(http, kakao, FULL_ID, consent=("nickname",))
    # Asking again for email shows just that item; asking for the nickname asks nothing.
    page = await consent_page(http, kakao, FULL_ID, scope="account_email,profile_nickname")
    assert 'data-testid="consent-email"' in page and 'data-testid="consent-nickname"' not in page
    page = await consent_page(http, kakao, FULL_ID, scope="profile_nickname")
    assert 'name="consent"' not in page
    tokens = await login(http, kakao, FULL_ID, scope="profile_nickname", consent=())
    assert tokens["scope"] == "profile_nickname"


async def test_declining_the_additional_item_keeps_the_old_consent(http, kakao):
    tokens = await login(http, kakao, LATER_ID, scope="account_email", consent=())
    assert tokens["scope"] == "profile_nickname profile_image"


async def test_required_items_cannot_be_unticked(http):
    document = {
        "app": {
            "consent_items": [
                {"id": "profile_nickname", "required": True},
                "account_email",
            ]
        },
        "users": [{"id": 5, "nickname": "닉", "email": "e@example.com"}],
    }
    with MockKakao(None) as kakao:
        kakao._state._document = document  # the users file of this test
        kakao.reset()
        page = await consent_page(http, kakao, 5)
        assert 'data-testid="consent-nickname" checked disabled' in page
        assert "필수" in page
        # The form is edited to leave the required item out: it is agreed all the same.
        tokens = await login(http, kakao, 5, consent=("email",))
        assert tokens["scope"] == "profile_nickname account_email"


@pytest.mark.parametrize("scope", ["friends", "account_email,talk_calendar"])
async def test_a_scope_the_app_did_not_configure_is_koe205(http, kakao, scope):
    url = kakao.authorize_url(REDIRECT_URI, state="s", scope=scope)
    async with http.get(url) as response:
        page = await response.text()
    assert response.status == 400
    assert 'data-testid="error-code">KOE205' in page


async def test_prompt_none_needs_the_scope_agreed(http, kakao):
    await login(http, kakao, LATER_ID, consent=("nickname",))  # the browser's session
    url = kakao.authorize_url(REDIRECT_URI, state="s", prompt="none", scope="account_email")
    async with http.get(url, headers=IN_KAKAOTALK, allow_redirects=False) as response:
        assert "error=consent_required" in response.headers["Location"]


# -- /v2/user/scopes, /v2/user/revoke/scopes ------------------------------------------------


async def scopes(http, kakao, token: str, **params: str):
    async with http.get(f"{kakao.url}/v2/user/scopes", headers=bearer(token), params=params) as r:
        return r.status, await r.json()


async def revoke(http, kakao, token: str, scopes_value: str | None):
    data = {} if scopes_value is None else {"scopes": scopes_value}
    async with http.post(
        f"{kakao.url}/v2/user/revoke/scopes", headers=bearer(token), data=data
    ) as r:
        return r.status, await r.json()


async def test_scopes_lists_the_apps_items_with_kakaos_shape(http, kakao):
    status, body = await scopes(http, kakao, LATER)
    assert status == 200 and body["id"] == LATER_ID
    by_id = {entry["id"]: entry for entry in body["scopes"]}
    assert by_id["profile_nickname"] == {
        "id": "profile_nickname",
        "display_name": "닉네임",
        "type": "PRIVACY",
        "using": True,
        "agreed": True,
        "revocable": True,
    }
    assert by_id["account_email"]["agreed"] is False and "revocable" not in by_id["account_email"]
    assert by_id["talk_message"]["type"] == "SERVICE"
    assert list(body["scopes"][0]) == ["id", "display_name", "type", "using", "agreed", "revocable"]


@pytest.mark.parametrize("value", ['["account_email","name"]', "account_email,name"])
async def test_scopes_filter_takes_a_json_array_or_commas(http, kakao, value):
    _, body = await scopes(http, kakao, SYNC, scopes=value)
    assert [entry["id"] for entry in body["scopes"]] == ["account_email", "name"]


async def test_revoke_then_me_needs_agreement(http, kakao):
    status, body = await revoke(http, kakao, SYNC, '["account_email"]')
    assert status == 200
    entry = next(e for e in body["scopes"] if e["id"] == "account_email")
    assert entry["agreed"] is False
    _, me_body = await me(http, kakao, SYNC)
    assert me_body["kakao_account"]["email_needs_agreement"] is True
    assert "email" not in me_body["kakao_account"]
    _, listed = await scopes(http, kakao, SYNC, scopes='["account_email"]')
    assert listed["scopes"][0]["agreed"] is False


async def test_revoke_errors_are_kakaos(http, kakao):
    assert await revoke(http, kakao, LATER, '["account_email"]') == (
        400,
        {
            "msg": "There is no scopes to revoke. "
            "check out if given scope id([account_email]) is correct again.",
            "code": -2,
        },
    )
    status, body = await revoke(http, kakao, LATER, None)
    assert status == 400 and body["code"] == -2
    status, body = await revoke(http, kakao, LATER, '{"not": "a list"}')
    assert status == 400 and body["code"] == -2
    status, body = await revoke(http, kakao, "no-such-token", '["account_email"]')
    assert status == 401 and body["code"] == -401


async def test_a_required_item_is_not_revocable(http):
    document = {
        "app": {"consent_items": [{"id": "profile_nickname", "required": True}]},
        "users": [{"id": 5, "nickname": "닉", "tokens": [{"access_token": "t-5"}]}],
    }
    with MockKakao(None) as kakao:
        kakao._state._document = document
        kakao.reset()
        assert await revoke(http, kakao, "t-5", '["profile_nickname"]') == (
            403,
            {
                "msg": "[profile_nickname] is not revocable. "
                "check out if it's set as required on developers.kakao.com",
                "code": -3,
            },
        )
        _, body = await scopes(http, kakao, "t-5")
        assert body["scopes"][0]["revocable"] is False


# -- id_token and userinfo follow the per-item consent --------------------------------------


async def test_userinfo_has_every_consented_oidc_claim(http, kakao):
    async with http.get(f"{kakao.url}/v1/oidc/userinfo", headers=bearer(SYNC)) as r:
        body = await r.json()
    assert body == {
        "sub": str(SYNC_ID),
        "name": "한싱크",
        "nickname": "한싱크",
        "picture": "http://img.example.com/han/110.jpg",
        "email": "han.sync@example.com",
        "email_verified": True,
        "gender": "female",
        "birthdate": "1990-02-14",
        "phone_number": "+82 10-1234-5678",
        "phone_number_verified": True,
    }
    kakao.update_user(SYNC_ID, consents={"birthyear": False, "profile_image": False})
    async with http.get(f"{kakao.url}/v1/oidc/userinfo", headers=bearer(SYNC)) as r:
        narrowed = await r.json()
    assert narrowed["birthdate"] == "0000-02-14" and "picture" not in narrowed


async def test_id_token_follows_additional_consent(http, kakao):
    kakao.set_oidc(True)  # an id_token needs the app's OpenID Connect switch on
    tokens = await login(http, kakao, LATER_ID, scope="openid,account_email", consent=None)
    async with http.post(
        f"{kakao.url}/oauth/tokeninfo", data={"id_token": tokens["id_token"]}
    ) as response:
        claims = await response.json()
    assert claims["email"] == "oh.later@example.com"


def test_bundled_users_include_kakao_sync_and_a_later_email_consent():
    state = FakeKakao.from_file(None)
    assert state.users[SYNC_ID].label.startswith("Kakao Sync")
    later = state.users[LATER_ID]
    assert later.email and not later.email_consent
    assert [item.id for item in state.app.consent_items][:3] == [
        "profile_nickname",
        "profile_image",
        "account_email",
    ]


async def test_app_consent_items_are_shown_and_patched_by_the_admin_api(http, kakao):
    async with http.patch(
        f"{kakao.url}/_mock/app", json={"consent_items": ["profile_nickname"]}
    ) as response:
        body = await response.json()
    assert response.status == 200
    assert body["consent_items"] == [
        {"id": "profile_nickname", "display_name": "닉네임", "type": "PRIVACY", "required": False}
    ]
    _, me_body = await me(http, kakao, SYNC)
    assert set(me_body["kakao_account"]) == {"profile_nickname_needs_agreement", "profile"}
