"""fastapi-sso's ``KakaoSSO`` (PyPI) in a FastAPI app, against the fake.

The app has the two routes fastapi-sso's docs show (login → ``get_login_redirect``, callback →
``verify_and_process``); the test calls them through Starlette's TestClient, the person walks
the fake's pages, and fastapi-sso does its own code exchange and ``/v2/user/me`` call over real
sockets. Patched: only ``get_discovery_document``, the method that holds its hard-coded
``https://kauth.kakao.com`` and ``https://kapi.kakao.com`` URLs. Needed:
``allow_insecure_http=True`` (the fake serves plain HTTP). It asks for ``scope=openid``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.testclient import TestClient
from fastapi_sso.sso.kakao import KakaoSSO

from mock_kakao.testing import MockKakao
from tests.clients.support import person_logs_in

ORIGIN = "http://localhost:3000"


def kakao_sso(kakao: MockKakao) -> KakaoSSO:
    class FakeKakaoSSO(KakaoSSO):
        async def get_discovery_document(self) -> dict[str, str]:
            return {
                "authorization_endpoint": f"{kakao.url}/oauth/authorize",
                "token_endpoint": f"{kakao.url}/oauth/token",
                "userinfo_endpoint": f"{kakao.url}/{self.version}/user/me",
            }

    return FakeKakaoSSO(
        client_id=kakao.client_id,
        client_secret="",
        redirect_uri=f"{ORIGIN}/kakao/callback",
        allow_insecure_http=True,
    )


def make_app(sso: KakaoSSO) -> FastAPI:
    app = FastAPI()

    @app.get("/kakao/login")
    async def login() -> RedirectResponse:
        async with sso:
            return await sso.get_login_redirect()

    @app.get("/kakao/callback")
    async def callback(request: Request) -> dict[str, Any]:
        async with sso:
            user = await sso.verify_and_process(request)
        assert user is not None
        return user.model_dump()

    return app


def test_fastapi_sso_logs_in(kakao: MockKakao):
    with TestClient(make_app(kakao_sso(kakao)), base_url=ORIGIN) as app:
        start = app.get("/kakao/login", follow_redirects=False)
        assert start.status_code in (302, 303, 307), start.text
        location = person_logs_in(kakao, start.headers["location"])
        callback = urlsplit(location)
        user = app.get(f"{callback.path}?{callback.query}")
    assert user.status_code == 200, user.text
    assert user.json()["display_name"] == "김카카오" and user.json()["provider"] == "kakao"
    kakao.assert_requested(method="POST", path="/oauth/token", status=200, times=1)
    kakao.assert_requested(method="GET", path="/v2/user/me", status=200, times=1)
