"""Hostile input: each answered with a clear, documented 4xx, and nothing stored.

Bodies go to `POST /auth/kakao` with a valid Kakao token, so only the body can be the reason
for a refusal; Kakao is never asked about a body that is refused. Names full of SQL
metacharacters, emoji and combining marks are not hostile to a correct service: they are
stored and returned exactly.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from mock_kakao.testing import MockKakao
from mock_kakao.world.kakaoapp import DEFAULT_ADMIN_KEY
from tests.robustness.contract import Contract
from tests.robustness.processes import ServiceProcess, service_process
from tests.robustness.support import CheckedService, http_request, raw_exchange
from tests.service.support import FULL_CONSENT_ID, FULL_CONSENT_TOKEN
from tests.service.user_names import DECEPTIVE_NAMES, HONEST_NAMES

AUTH = f"Bearer {FULL_CONSENT_TOKEN}"
VALID = {"kakao_id": FULL_CONSENT_ID, "user_name": "이름", "email": "a@example.com"}


def body_with(**fields: Any) -> bytes:
    return json.dumps({**VALID, **fields}).encode()  # \u escapes: lone surrogates too


#: (what, raw body, expected code)
HOSTILE_BODIES: list[tuple[str, bytes, str]] = [
    ("10 MB", b"{" + b" " * (10 * 1024 * 1024) + b"}", "BODY_TOO_LARGE"),
    ("100000 levels of [", b"[" * 100_000, "BODY_TOO_LARGE"),
    ("60000 levels of [ (under the size cap)", b"[" * 60_000, "INVALID_JSON"),
    ("12000 levels of {", b'{"a":' * 12_000, "INVALID_JSON"),
    ("kakao_id nested 30000 deep", b'{"kakao_id": ' + b"[" * 30_000, "INVALID_JSON"),
    ("NUL byte", b'{"kakao_id": 1\x00}', "INVALID_JSON"),
    ("invalid UTF-8", body_with(user_name="x").replace(b"x", b"\xff"), "INVALID_JSON"),
    ("overlong UTF-8", body_with(user_name="x").replace(b"x", b"\xc0\xaf"), "INVALID_JSON"),
    ("UTF-16", json.dumps(VALID).encode("utf-16"), "INVALID_JSON"),
    ("empty", b"", "INVALID_JSON"),
    ("array", b"[]", "INVALID_JSON"),
    ("string", b'"kakao"', "INVALID_JSON"),
    ("number", b"4000000001", "INVALID_JSON"),
    ("null", b"null", "INVALID_JSON"),
    ("true", b"true", "INVALID_JSON"),
    (
        "duplicate kakao_id",
        b'{"kakao_id": 1, "kakao_id": %d, "user_name": "a", "email": null}' % FULL_CONSENT_ID,
        "INVALID_JSON",
    ),
    ("duplicate user_name", b'{"user_name": "a", ' + body_with()[1:], "INVALID_JSON"),
    ("duplicate key nested", b'{"kakao_id": 1, "user_name": "a", "email": null, '
     b'"extra": {"a": 1, "a": 2}}', "INVALID_JSON"),
    ("NaN", b'{"kakao_id": NaN, "user_name": "a", "email": null}', "INVALID_JSON"),
    ("Infinity", b'{"kakao_id": 1, "user_name": "a", "email": Infinity}', "INVALID_JSON"),
    ("kakao_id 4301 digits", b'{"kakao_id": ' + b"9" * 4301 + b', "user_name": "a", "email": null}',
     "INVALID_JSON"),
    ("no kakao_id", b'{"user_name": "a", "email": null}', "KEYERROR"),
    ("no email", b'{"kakao_id": 1, "user_name": "a"}', "KEYERROR"),
    *[
        (f"kakao_id {value!r}", body_with(kakao_id=value), "INVALID_KAKAO_ID")
        for value in (True, False, None, 1.0, 1.5, 4e9, "4000000001", -1, 0, 2**63, 2**64,
                      -(2**63), 10**30, [FULL_CONSENT_ID], {"id": FULL_CONSENT_ID})
    ],
    *[
        (f"user_name {value!r}", body_with(user_name=value), "INVALID_USER_NAME")
        for value in ("", " ", " \t\u3000 ", "a" * 51, " " + "가" * 51, "a\x00b", "a\nb",
                      "\x1b[31mred", "a\u2028b", "a\u2029b", "\x85", "\ud800", None, 7, ["a"])
    ],
    *[(f"user_name: {what}", body_with(user_name=name), "INVALID_USER_NAME")
      for what, name in DECEPTIVE_NAMES],
    *[
        (f"email {value!r}", body_with(email=value), "INVALID_EMAIL")
        for value in ("a@b", "a@@b.com", "a@b..com", ".a@b.com", "a.@b.com", "a b@c.com",
                      "a@-b.com", "@b.com", "a@", "a@b_c.com", "a" * 65 + "@b.com",
                      "a@" + "b" * 64 + ".com", "a@localhost", "a@b.com\x00", "a@b.com\n",
                      "kim@example.com, lee@example.com", "<a@b.com>", 42, True, ["a@b.com"])
    ],
]  # fmt: skip

#: stored and returned exactly (in NFC), and harmless to the table around them
EXACT_NAMES = [
    "'; DROP TABLE users; --",
    "Robert'); DELETE FROM users WHERE ('1'='1",
    '" OR 1=1 --',
    "%_\\ LIKE '%'",
    "🐻‍❄️ 곰",
    "👩‍👩‍👧‍👦 가족",
    "e\u0301\u0301\u0301 Zalgo Z\u0334\u0327\u031ba\u0337l\u0336g\u0338o\u0335",
    "אבג عربي हिन्दी",
    "\u200b zero width \u200d joiner",
    *HONEST_NAMES,
]


async def test_hostile_bodies_are_refused_and_nothing_is_stored(
    service: CheckedService, mock_kakao: MockKakao
) -> None:
    wrong = []
    for what, raw, code in HOSTILE_BODIES:
        answer = await service.request("POST", "/auth/kakao", authorization=AUTH, data=raw)
        if answer.body != {"message": code}:
            wrong.append((what, answer.status, answer.body, code))
    print(f"\nhostile bodies: {len(HOSTILE_BODIES)} tried")
    assert not wrong
    assert await service.user_count() == 0
    assert mock_kakao.requests() == []  # a refused body never reaches Kakao


async def test_names_with_metacharacters_emoji_and_marks_round_trip_exactly(
    service: CheckedService, mock_kakao: MockKakao
) -> None:
    stored = {}
    for n, name in enumerate(EXACT_NAMES):
        kakao_id = 9_100_000_001 + n
        mock_kakao.add_user(id=kakao_id, nickname="x", email=None)
        token = mock_kakao.issue_token(kakao_id)["access_token"]
        created = await service.sign_in(token, kakao_id, user_name=name)
        assert created.status == 201, (name, created.body)
        me = await service.me(created.body["token"])
        stored[name] = me.body["result"]["user_name"]
    assert stored == {name: unicodedata.normalize("NFC", name.strip()) for name in EXACT_NAMES}
    assert await service.user_count() == len(EXACT_NAMES)


async def test_duplicate_keys_are_refused_even_when_both_agree(service: CheckedService) -> None:
    """Which of two values wins is parser-dependent, so two keys are refused, always."""
    raw = b'{"kakao_id": 1, "kakao_id": 1, "user_name": "a", "email": null}'
    answer = await service.request("POST", "/auth/kakao", authorization=AUTH, data=raw)
    assert answer.body == {"message": "INVALID_JSON"}


@pytest.fixture(scope="module")
def deployed(
    mock_kakao_server: MockKakao, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    """`python -m service` as deployed: its own HTTP server limits, not the test harness's."""
    folder = tmp_path_factory.mktemp("hostile-headers")
    with service_process(
        folder / "service.log",
        kakao_url=mock_kakao_server.url,
        database_url=f"sqlite+aiosqlite:///{folder / 'service.sqlite3'}",
    ) as running:
        yield running


def kakao_header_cases() -> list[tuple[str, list[tuple[str, str]], str]]:
    """(what, Authorization header(s), expected code) for GET and POST /auth/kakao."""
    one, token = "Authorization", FULL_CONSENT_TOKEN
    return [
        ("absent", [], "TOKEN_REQUIRED"),
        ("empty", [(one, "")], "TOKEN_REQUIRED"),
        ("only spaces", [(one, "   ")], "TOKEN_REQUIRED"),
        ("Bearer alone", [(one, "Bearer")], "TOKEN_REQUIRED"),
        ("two words", [(one, f"Bearer {token} x")], "INVALID_TOKEN"),
        ("two headers", [(one, AUTH), (one, AUTH)], "INVALID_TOKEN"),
        ("two raw headers", [(one, token), (one, token)], "INVALID_TOKEN"),
        ("comma-joined", [(one, f"{token},{token}")], "INVALID_TOKEN"),
        ("64 KB", [(one, "Bearer " + "a" * 64 * 1024)], "INVALID_TOKEN"),
        ("latin-1 bytes", [(one, "Bearer tok\xe9n")], "INVALID_TOKEN"),
        ("Basic credentials", [(one, "Basic dXNlcjpwYXNz")], "INVALID_TOKEN"),
    ]  # fmt: skip


async def test_hostile_authorization_headers(
    deployed: ServiceProcess, mock_kakao: MockKakao, contract: Contract
) -> None:
    wrong, tried = [], 0
    for what, headers, code in kakao_header_cases():
        for method, body in (("GET", b""), ("POST", body_with())):
            length = [("Content-Length", str(len(body)))]
            request = http_request(method, "/auth/kakao", [*length, *headers], body)
            answer = await raw_exchange(deployed.url, request)
            tried += 1
            if answer is None or answer.body != {"message": code}:
                wrong.append((what, method, answer))
                continue
            contract.check(method, "/auth/kakao", answer)
    print(f"\nhostile Authorization headers: {tried} tried")
    assert not wrong
    assert mock_kakao.requests() == []  # none of them was worth asking Kakao about


async def test_headers_past_the_servers_limit_are_cut_off_and_harmless(
    deployed: ServiceProcess,
) -> None:
    """Over 128 KiB of headers, Tornado closes the connection without an answer (documented);
    the process goes on serving."""
    huge = http_request("GET", "/auth/kakao", {"Authorization": "a" * 200 * 1024})
    assert await raw_exchange(deployed.url, huge) is None
    async with aiohttp.ClientSession() as http, http.get(deployed.url + "/healthz") as response:
        assert response.status == 200


async def test_a_large_body_on_any_path_is_not_buffered(service: CheckedService) -> None:
    """Past 32 MiB declared, every path says 413 at once instead of reading (or buffering)."""
    for method, path in (("POST", "/users/me"), ("POST", "/healthz"), ("PUT", "/nowhere")):
        request = http_request(method, path, {"Content-Length": str(40 * 1024 * 1024)})
        answer = await service.raw(method, path, request)
        assert answer.body == {"message": "BODY_TOO_LARGE"}


HOOK = "/auth/kakao/unlink"
ADMIN = f"KakaoAK {DEFAULT_ADMIN_KEY}"
GOOD_NOTICE = {"app_id": "10001", "user_id": str(FULL_CONSENT_ID), "referrer_type": "X"}

#: (what, Authorization header(s)) that are not Kakao's: 401 INVALID_ADMIN_KEY, nothing changes
HOSTILE_WEBHOOK_KEYS: list[tuple[str, list[tuple[str, str]]]] = [
    ("absent", []),
    ("empty", [("Authorization", "")]),
    ("scheme alone", [("Authorization", "KakaoAK")]),
    ("wrong key", [("Authorization", "KakaoAK mock-admin-kez")]),
    ("prefix of the key", [("Authorization", "KakaoAK mock-admin")]),
    ("key and more", [("Authorization", f"{ADMIN} x")]),
    ("Bearer with the key", [("Authorization", f"Bearer {DEFAULT_ADMIN_KEY}")]),
    ("the key alone", [("Authorization", DEFAULT_ADMIN_KEY)]),
    ("sent twice", [("Authorization", ADMIN), ("Authorization", ADMIN)]),
    ("a Kakao access token", [("Authorization", AUTH)]),
    ("64 KB", [("Authorization", "KakaoAK " + "k" * 64 * 1024)]),
    ("latin-1 bytes", [("Authorization", "KakaoAK mock-admin-k\xe9y")]),
]

#: (what, form body) that names nobody we could delete: 400 INVALID_WEBHOOK or 403
HOSTILE_NOTICES: list[tuple[str, str, str]] = [
    ("another app's id", "app_id=10002&user_id=4000000001", "APP_ID_MISMATCH"),
    ("app id 0", "app_id=0&user_id=4000000001", "INVALID_WEBHOOK"),
    *[
        (f"user_id {value!r}", f"app_id=10001&user_id={value}", "INVALID_WEBHOOK")
        for value in ("", "-1", "0", "%2B4000000001", "4000000001.0", "4e9", "abc", "0x10",
                      "9223372036854775808", "9" * 40, "1" * 5000, "%EF%BC%94", "%C2%B2",
                      "4000000001%00", "%204000000001", "true", "null")
    ],
    ("user_id twice", "app_id=10001&user_id=1&user_id=4000000001", "INVALID_WEBHOOK"),
    ("app_id twice", "app_id=1&app_id=10001&user_id=4000000001", "INVALID_WEBHOOK"),
    ("no user_id", "app_id=10001", "INVALID_WEBHOOK"),
    ("no app_id", "user_id=4000000001", "INVALID_WEBHOOK"),
    ("a JSON body", json.dumps(GOOD_NOTICE), "INVALID_WEBHOOK"),
    ("invalid UTF-8", "app_id=10001&user_id=4000000001&referrer_type=\udcff", "INVALID_WEBHOOK"),
    ("thousands of fields", "&".join(f"f{n}=1" for n in range(5000)), "INVALID_WEBHOOK"),
]  # fmt: skip


async def test_the_unlink_webhook_refuses_hostile_keys_and_ids(
    service: CheckedService, mock_kakao: MockKakao
) -> None:
    """Nothing is deleted, Kakao is never asked, and every answer is the documented one."""
    created = await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)
    assert created.status == 201
    mock_kakao.unlink_user(FULL_CONSENT_ID)  # so a call that got through would delete it
    mock_kakao.clear_requests()
    good_body = urlencode(GOOD_NOTICE).encode()
    wrong, tried = [], 0
    for what, headers in HOSTILE_WEBHOOK_KEYS:
        for method in ("GET", "POST"):
            path = f"{HOOK}?{urlencode(GOOD_NOTICE)}" if method == "GET" else HOOK
            body = b"" if method == "GET" else good_body
            form = [("Content-Type", "application/x-www-form-urlencoded")]
            length = [("Content-Length", str(len(body)))]
            answer = await raw_exchange(
                service.url, http_request(method, path, [*form, *length, *headers], body)
            )
            tried += 1
            if answer is None or answer.body != {"message": "INVALID_ADMIN_KEY"}:
                wrong.append((what, method, answer))
                continue
            service.check(method, HOOK, answer)
    for what, raw, code in HOSTILE_NOTICES:
        answer = await service.request(
            "POST",
            HOOK,
            data=raw.encode("utf-8", "surrogateescape"),
            headers={"Authorization": ADMIN, "Content-Type": "application/x-www-form-urlencoded"},
        )
        tried += 1
        if answer.body != {"message": code}:
            wrong.append((what, "POST", answer))
    print(f"\nhostile webhook calls: {tried} tried")
    assert not wrong
    assert await service.user_count() == 1
    assert mock_kakao.requests() == []  # none of them was worth asking Kakao about


async def test_a_replayed_unlink_webhook_deletes_nothing_new(
    service: CheckedService, mock_kakao: MockKakao
) -> None:
    """The key is static and Kakao signs nothing, so a recorded call can be replayed: after
    the person came back, Kakao says they are linked, and their new account stays."""
    await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)
    mock_kakao.unlink_user(FULL_CONSENT_ID)
    headers = {"Authorization": ADMIN, "Content-Type": "application/x-www-form-urlencoded"}
    recorded = urlencode(GOOD_NOTICE)
    first = await service.request("POST", HOOK, data=recorded, headers=headers)
    assert first.body["result"]["deleted"] is True
    token = mock_kakao.issue_token(FULL_CONSENT_ID)["access_token"]
    back = await service.sign_in(token, FULL_CONSENT_ID)
    assert back.status == 201
    for _ in range(3):
        replayed = await service.request("POST", HOOK, data=recorded, headers=headers)
        assert (replayed.status, replayed.body["result"]["deleted"]) == (200, False)
    assert (await service.me(back.body["token"])).status == 200
