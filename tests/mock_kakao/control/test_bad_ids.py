"""Ids spelled in anything but ASCII digits, and requests aiohttp's parser refuses: the fake
answers its JSON error shapes, never a bare ``HTTP/1.0 400`` (issue 19 item 15).

``str.isdigit`` and ``int()`` both take other scripts' digits (``٤`` is Arabic-Indic four,
``４`` fullwidth), and ``int()`` also ``+4``, `` 4 `` and ``4_0``: each would be a second
spelling of a user's id. Raw sockets, because an HTTP client would percent-encode the path.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from mock_kakao.files.validation import MAX_USER_ID, parse_id
from mock_kakao.testing import MockKakao
from tests.mock_kakao.helpers import FULL_ID, REDIRECT_URI, hidden_fields
from tests.support.rawhttp import raw_get

ARABIC_INDIC = "٤٠٠٠٠٠٠٠٠١"  # 4000000001, the bundled full-consent user
FULLWIDTH = "４０００００００００１"
OTHER_SPELLINGS = [ARABIC_INDIC, FULLWIDTH, "+4000000001", " 4000000001", "4_000_000_001"]


@pytest.mark.parametrize(
    "target",
    [
        f"/_mock/users/{ARABIC_INDIC}".encode(),  # UTF-8 bytes in the path
        b"/_mock/users/\xff",  # not even UTF-8
        b"/_mock/users/4000000001 extra",  # a bad request line
        b"/v2/user/me\x01",  # a control character, on kapi's path
    ],
)
def test_a_request_the_parser_refuses_gets_a_json_400(kakao: MockKakao, target: bytes) -> None:
    status, headers, body = raw_get(kakao.url, target)
    # HTTP/1.0: the parser never learnt the request's version; aiohttp answers in the oldest
    assert status == b"HTTP/1.0 400 Bad Request"
    assert headers["content-type"] == "application/json; charset=utf-8"
    answer = json.loads(body)
    assert answer["error"] == "MALFORMED_REQUEST"
    assert target not in body and b"\\x" not in body  # what was sent is never echoed back


def test_the_fake_still_serves_after_a_refused_request(kakao: MockKakao) -> None:
    raw_get(kakao.url, f"/_mock/users/{ARABIC_INDIC}".encode())
    assert kakao.user(FULL_ID)["id"] == FULL_ID


@pytest.mark.parametrize("spelling", OTHER_SPELLINGS)
def test_an_id_in_other_digits_is_the_admin_apis_json_404(kakao: MockKakao, spelling) -> None:
    status, _, body = raw_get(kakao.url, f"/_mock/users/{quote(spelling)}".encode())
    assert status == b"HTTP/1.1 404 Not Found"
    assert json.loads(body)["error"] == "USER_NOT_FOUND"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4000000001", 4000000001),
        ("1", 1),
        (str(MAX_USER_ID), MAX_USER_ID),
        (str(MAX_USER_ID + 1), None),
        ("0", None),
        ("", None),
        ("-1", None),
        ("1" * 5000, None),  # int() would refuse it with a ValueError of its own
        (4000000001, None),  # only text is parsed here
        *[(spelling, None) for spelling in OTHER_SPELLINGS],
    ],
)
def test_parse_id_takes_ascii_digits_only(text, expected) -> None:
    assert parse_id(text, MAX_USER_ID) == expected


async def test_the_admin_keys_target_id_in_other_digits_is_kakaos_bad_parameter(http, kakao):
    form = {"target_id_type": "user_id", "target_id": ARABIC_INDIC}
    headers = {"Authorization": "KakaoAK mock-admin-key"}
    async with http.post(f"{kakao.url}/v1/user/logout", data=form, headers=headers) as response:
        assert response.status == 400
        assert (await response.json())["code"] == -2


@pytest.mark.parametrize("spelling", OTHER_SPELLINGS)
async def test_the_picker_does_not_take_a_user_id_in_other_digits(http, kakao, spelling):
    async with http.get(kakao.authorize_url(REDIRECT_URI, state="s")) as response:
        fields = {**hidden_fields(await response.text()), "user_id": spelling}
    async with http.get(f"{kakao.url}/oauth/authorize/consent", params=fields) as response:
        assert response.status == 400
        assert "KOE001" in await response.text()
