"""The seed's own view, this project's service, as a Kakao client: a whole login against the
fake, then the service's ``GET /auth/kakao`` (it calls ``/v2/user/me``) and ``POST /auth/kakao``
(sign-up) with the access token, as a frontend sends it, and ``GET /users/me`` with the
service's JWT.

The frontend's part (authorize, the fake's pages, the code exchange) is plain HTTP. Nothing
patched: the service takes the fake's URL from its settings. Needed: nothing else.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from mock_kakao.testing import MockKakao
from tests.clients.support import exchange_code, person_logs_in
from tests.mock_kakao.helpers import FULL_ID
from tests.service.support import make_settings, running_service

REDIRECT_URI = "http://localhost:3000/oauth/callback"


def log_in(kakao: MockKakao) -> str:
    url = kakao.authorize_url(REDIRECT_URI, state="s-1")
    return exchange_code(kakao, person_logs_in(kakao, url), REDIRECT_URI)["access_token"]


async def test_the_service_signs_up_and_logs_in_after_a_real_login(
    kakao: MockKakao, tmp_path: Path
):
    settings = make_settings(kakao.url, f"sqlite+aiosqlite:///{tmp_path / 'service.sqlite3'}")
    async with running_service(settings) as service:
        token = await asyncio.to_thread(log_in, kakao)
        looked_up = await service.look_up(token)
        assert looked_up.status == 200, looked_up.body
        assert looked_up.body["result"]["kakao_id"] == FULL_ID
        assert looked_up.body["result"]["is_user"] is False

        created = await service.sign_in(token, FULL_ID, email="kim.kakao@example.com")
        assert (created.status, created.message) == (201, "CREATE_ACCOUNT"), created.body
        again = await service.sign_in(token, FULL_ID, email="kim.kakao@example.com")
        assert (again.status, again.message) == (200, "LOGIN_SUCCESS"), again.body

        me = await service.request(
            "GET", "/users/me", authorization=f"Bearer {again.body['token']}"
        )
        assert me.status == 200, me.body
    kakao.assert_requested(method="GET", path="/v2/user/me", status=200)
