"""Issue 21 item 4: an API whose consent item the person has not agreed to answers 403 -402.

Kakao's fixture (kakao-api.md, "kapi errors", [FLTFIX]) is the body to match:
``{"msg":"insufficient scopes.","code":-402,"api_type":"TALK_MEMO_DEFAULT_SEND",
"required_scopes":["talk_message"],"allowed_scopes":[...]}``. Additional consent (``scope=`` on
/oauth/authorize) grants the item, and the new token's call answers 200. ``/v2/user/me`` never
answers -402: an item not agreed is ``<item>_needs_agreement: true`` (kakao-api.md).
"""

from __future__ import annotations

import json

import aiohttp
import pytest

from mock_kakao.kapi import insufficient_scope
from mock_kakao.testing import MockKakao
from mock_kakao.web.errors import KapiError
from mock_kakao.world.users import Consent
from tests.mock_kakao.helpers import bearer, consent_page, exchange_code, pick_user

MEMO = "/v2/api/talk/memo/default/send"
TEMPLATE = json.dumps({"object_type": "text", "text": "안녕", "link": {}})
#: a person with a KakaoTalk uuid (so talk_message is something they can agree to)
TALKER_ID = 7171


def add_talker(kakao: MockKakao) -> None:
    kakao.add_user(
        TALKER_ID,
        nickname="톡톡",
        email="talk@example.com",
        for_partner_uuid="mock-uuid-7171",
        consents={"talk_message": False},
    )


async def send_memo(
    http: aiohttp.ClientSession, kakao: MockKakao, token: str, **form: str
) -> tuple[int, dict]:
    form = {"template_object": TEMPLATE, **form} if "template_object" not in form else form
    async with http.post(f"{kakao.url}{MEMO}", headers=bearer(token), data=form) as response:
        return response.status, await response.json()


async def login(http: aiohttp.ClientSession, kakao: MockKakao, **params) -> dict:
    redirect = await pick_user(http, kakao, TALKER_ID, **params)
    status, tokens = await exchange_code(http, kakao, redirect.query["code"])
    assert status == 200, tokens
    return tokens


async def test_an_api_whose_item_is_not_agreed_answers_kakaos_402(http, kakao):
    add_talker(kakao)
    token = kakao.issue_token(TALKER_ID)["access_token"]
    status, body = await send_memo(http, kakao, token)
    assert status == 403
    assert body == {
        "msg": "insufficient scopes.",
        "code": -402,
        "api_type": "TALK_MEMO_DEFAULT_SEND",
        "required_scopes": ["talk_message"],
        "allowed_scopes": ["profile_nickname", "profile_image", "account_email"],
    }
    assert list(body) == ["msg", "code", "api_type", "required_scopes", "allowed_scopes"]


async def test_the_scope_is_checked_after_the_token(http, kakao):
    status, body = await send_memo(http, kakao, "no-such-token")
    assert (status, body["code"]) == (401, -401)


async def test_with_the_item_agreed_the_api_answers_200(http, kakao):
    add_talker(kakao)
    kakao.update_user(TALKER_ID, consents={"talk_message": True})
    token = kakao.issue_token(TALKER_ID)["access_token"]
    assert await send_memo(http, kakao, token) == (200, {"result_code": 0})


@pytest.mark.parametrize("template", [None, "", "not json", "[1]"])
async def test_a_bad_template_object_is_kakaos_bad_parameter(http, kakao, template):
    add_talker(kakao)
    kakao.update_user(TALKER_ID, consents={"talk_message": True})
    token = kakao.issue_token(TALKER_ID)["access_token"]
    form = {} if template is None else {"template_object": template}
    async with http.post(f"{kakao.url}{MEMO}", headers=bearer(token), data=form) as response:
        assert response.status == 400
        assert (await response.json())["code"] == -2


async def test_user_me_never_answers_402_for_an_item_not_agreed(http, kakao):
    """kakao-api.md: the value is absent and ``<item>_needs_agreement`` is true, with 200."""
    kakao.add_user(7172, nickname="메일없음", email="x@example.com", email_consent=False)
    token = kakao.issue_token(7172)["access_token"]
    keys = json.dumps(["kakao_account.email"])
    url = f"{kakao.url}/v2/user/me"
    async with http.post(url, headers=bearer(token), data={"property_keys": keys}) as response:
        assert response.status == 200
        body = await response.json()
    assert body["kakao_account"]["email_needs_agreement"] is True
    assert "email" not in body["kakao_account"]


def test_the_decision_names_the_api_and_what_was_agreed():
    """The plain function the shipping-address endpoint calls too."""
    agreed = Consent(frozenset({"account_email", "profile_nickname"}))
    with pytest.raises(KapiError) as raised:
        insufficient_scope.require(agreed, "/v1/user/shipping_address")
    error = raised.value
    assert (error.status, error.code, error.msg) == (403, -402, "insufficient scopes.")
    assert error.extra == {
        "api_type": insufficient_scope.API_SCOPES["/v1/user/shipping_address"].api_type,
        "required_scopes": ["shipping_address"],
        "allowed_scopes": ["profile_nickname", "account_email"],
    }
    insufficient_scope.require(agreed.with_items({"shipping_address"}), "/v1/user/shipping_address")
    insufficient_scope.require(Consent(), "/v2/user/me")  # an API that needs no item


async def test_a_402_leads_to_additional_consent_and_then_200(http, kakao):
    """End to end over the login pages: first login without the item, -402, authorize with
    ``scope=talk_message``, the consent page asks only that (ticked), a new token, 200."""
    add_talker(kakao)
    first = await login(http, kakao, consent=("nickname", "email"))
    assert "talk_message" not in first["scope"].split()
    status, body = await send_memo(http, kakao, first["access_token"])
    assert (status, body["code"]) == (403, -402)

    scope = ",".join(body["required_scopes"])
    page = await consent_page(http, kakao, TALKER_ID, scope=scope)
    assert 'data-testid="consent-talk_message" checked' in page
    assert 'data-testid="consent-email"' not in page  # agreed already: not asked again
    second = await login(http, kakao, scope=scope, consent=None)
    assert {"talk_message", "account_email"} <= set(second["scope"].split())
    assert await send_memo(http, kakao, second["access_token"]) == (200, {"result_code": 0})
    # /v2/user/scopes agrees: the item is agreed now
    url = f"{kakao.url}/v2/user/scopes"
    async with http.get(url, headers=bearer(second["access_token"])) as response:
        scopes = {entry["id"]: entry for entry in (await response.json())["scopes"]}
    assert scopes["talk_message"]["agreed"] is True
