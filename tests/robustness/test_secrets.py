"""Secrets hygiene: no Kakao token, refresh token, our JWT or SECRET_KEY in any log line, and
every forged or stale JWT refused over HTTP.

Every flow runs in this process with the root logger at DEBUG, so the capture holds the
service's own loggers, tornado.access, aiohttp, SQLAlchemy's statements and parameters, and
the fake Kakao's request log; the fake's admin request log is read too. (The subprocess tests
scan their processes' stdout and stderr the same way: test_fault_matrix, test_scale_out.)
"""

from __future__ import annotations

import base64
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import jwt
import pytest

from mock_kakao.testing import MockKakao
from service import tokens
from service.settings import Settings
from tests.mock_kakao.helpers import exchange_code, pick_user
from tests.robustness.support import CheckedService, assert_no_secrets
from tests.service.kakao.test_client_faults import FAULTS
from tests.service.support import FULL_CONSENT_ID, SECRET_KEY

#: the root, and the libraries that set their own level (SQLAlchemy sets "sqlalchemy" to WARN)
LOGGERS = (None, "sqlalchemy", "aiohttp", "tornado", "asyncio", "mock_kakao", "service")


async def oauth_tokens(kakao: MockKakao) -> dict[str, str]:
    """A login through the fake's real pages: code, then tokens, then a refreshed token."""
    # A browser's cookie jar: it keeps the fake's 127.0.0.1 cookies, which the form token needs.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        redirect = await pick_user(http, kakao, FULL_CONSENT_ID, state="s")
        status, issued = await exchange_code(http, kakao, redirect.query["code"])
        assert status == 200
        form = {
            "grant_type": "refresh_token",
            "client_id": kakao.client_id,
            "refresh_token": issued["refresh_token"],
        }
        async with http.post(f"{kakao.url}/oauth/token", data=form) as response:
            refreshed = await response.json()
    return {
        "access": issued["access_token"],
        "refresh": issued["refresh_token"],
        "refreshed": refreshed["access_token"],
    }


async def every_flow(
    service: CheckedService, kakao: MockKakao, kakao_tokens: dict[str, str]
) -> list[str]:
    """GET, sign-up, login, /users/me, errors and every Kakao fault; our JWTs it was given."""
    access = kakao_tokens["access"]
    assert (await service.look_up(access)).status == 200
    created = await service.sign_in(access, FULL_CONSENT_ID)
    login = await service.sign_in(kakao_tokens["refreshed"], FULL_CONSENT_ID)
    assert (created.status, login.status) == (201, 200)
    jwts = [created.body["token"], login.body["token"]]
    for ours in jwts:
        assert (await service.me(ours)).status == 200
        assert (await service.me(ours + "x")).status == 401
    await service.sign_in(access, FULL_CONSENT_ID + 1)  # someone else's id
    await service.sign_in(access, FULL_CONSENT_ID, user_name="")
    await service.request("GET", "/auth/kakao", authorization=f"{access} {access}")
    for fault, *_ in FAULTS:
        kakao.set_faults([fault])
        await service.look_up(access)
        await service.sign_in(access, FULL_CONSENT_ID)
    kakao.clear_faults()
    return jwts


async def test_no_secret_reaches_any_log(
    mock_kakao: MockKakao,
    service: CheckedService,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    kakao_tokens = await oauth_tokens(mock_kakao)
    jwts = await every_flow(service, mock_kakao, kakao_tokens)

    captured = capsys.readouterr()
    logs = "\n".join([caplog.text, captured.out, captured.err, json.dumps(mock_kakao.requests())])
    assert "tornado.access" in caplog.text and "sqlalchemy.engine" in caplog.text
    assert "mock_kakao" in caplog.text
    signatures = [token.rsplit(".", 1)[1] for token in jwts]
    assert_no_secrets(logs, SECRET_KEY, *kakao_tokens.values(), *jwts, *signatures)


def _segment(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def forged_tokens(account: tokens.Claims, settings: Settings) -> dict[str, tuple[str, str]]:
    """name → (token, the code /users/me must answer), each a real way to forge or go stale."""
    now = datetime.now(UTC)
    user_id, account_key = account.user_id, account.account_key
    good = tokens.issue(user_id, account_key, settings, now)
    claims = jwt.decode(good, options={"verify_signature": False})
    header, payload, signature = good.split(".")
    other = Settings(secret_key="another-service-" + "k" * 32, jwt_issuer=settings.jwt_issuer)
    return {
        "alg none": (f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{payload}.", "INVALID_TOKEN"),
        "HS512, same key": (jwt.encode(claims, settings.secret_key, "HS512"), "INVALID_TOKEN"),
        "RS256-shaped": (
            f"{_segment({'alg': 'RS256', 'typ': 'JWT'})}.{payload}.{signature}",
            "INVALID_TOKEN",
        ),
        "another issuer": (
            jwt.encode({**claims, "iss": "someone-else"}, settings.secret_key, "HS256"),
            "INVALID_TOKEN",
        ),
        "another key": (tokens.issue(user_id, account_key, other, now), "INVALID_TOKEN"),
        "another account's key": (
            tokens.issue(user_id, "another-accounts-key00", settings, now),
            "INVALID_TOKEN",
        ),
        "claims edited": (
            f"{header}.{_segment({**claims, 'id': user_id + 1})}.{signature}",
            "INVALID_TOKEN",
        ),
        "expired": (
            tokens.issue(
                user_id, account_key, settings, now - timedelta(seconds=settings.jwt_ttl + 1)
            ),
            "TOKEN_EXPIRED",
        ),
    }


async def test_forged_and_stale_jwts_are_refused_over_http(service: CheckedService) -> None:
    created = await service.sign_in("mock-token-full-consent", FULL_CONSENT_ID)
    account = tokens.decode(created.body["token"], service.running.settings)
    for name, (token, code) in forged_tokens(account, service.running.settings).items():
        answer = await service.me(token)
        assert (answer.status, answer.body) == (401, {"message": code}), name
