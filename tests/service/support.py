"""Run the real service on a free loopback port and call it over real sockets."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import tornado.web
from sqlalchemy import func, select
from tornado.testing import bind_unused_port

from service.app import close_app, create_app, make_server
from service.flows import Services
from service.models import User
from service.settings import Settings

SECRET_KEY = "tests-only-secret-key-" + "0123456789abcdef" * 3
FULL_CONSENT_ID = 4000000001
FULL_CONSENT_TOKEN = "mock-token-full-consent"


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str | None:
        return self.body.get("message") if isinstance(self.body, dict) else None


@dataclass
class RunningService:
    """A service instance: its URL, its application and an HTTP client to call it."""

    url: str
    app: tornado.web.Application
    http: aiohttp.ClientSession

    @property
    def services(self) -> Services:
        return self.app.settings["services"]

    @property
    def settings(self) -> Settings:
        return self.services.settings

    async def request(
        self,
        method: str,
        path: str,
        *,
        authorization: str | None = None,
        body: Any = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        all_headers = dict(headers or {})
        if authorization is not None:
            all_headers["Authorization"] = authorization
        if body is not None:
            data = json.dumps(body)
            all_headers.setdefault("Content-Type", "application/json")
        async with self.http.request(
            method, self.url + path, data=data, headers=all_headers
        ) as response:
            raw = await response.read()
            parsed = json.loads(raw) if raw else None
            return Answer(response.status, parsed, dict(response.headers))

    async def look_up(self, token: str) -> Answer:
        return await self.request("GET", "/auth/kakao", authorization=f"Bearer {token}")

    async def sign_in(
        self, token: str, kakao_id: int, user_name: str = "이름", email: str | None = None
    ) -> Answer:
        body = {"kakao_id": kakao_id, "user_name": user_name, "email": email}
        return await self.request("POST", "/auth/kakao", authorization=f"Bearer {token}", body=body)

    async def user_count(self, kakao_id: int | None = None) -> int:
        query = select(func.count()).select_from(User)
        if kakao_id is not None:
            query = query.where(User.kakao_id == kakao_id)
        async with self.services.sessions() as session:
            return int(await session.scalar(query) or 0)

    async def stored_user(self, kakao_id: int) -> User | None:
        async with self.services.sessions() as session:
            return (
                await session.execute(select(User).where(User.kakao_id == kakao_id))
            ).scalar_one_or_none()


def make_settings(kakao_url: str, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "secret_key": SECRET_KEY,
        "kakao_api_url": kakao_url,
        "database_url": database_url,
        "kakao_timeout": 5.0,
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def running_service(settings: Settings) -> AsyncIterator[RunningService]:
    """The real application behind a real HTTPServer on a free port, closed afterwards."""
    app = await create_app(settings)
    sock, port = bind_unused_port()
    server = make_server(app)
    server.add_sockets([sock])
    connector = aiohttp.TCPConnector(limit=0)
    try:
        async with aiohttp.ClientSession(connector=connector) as http:
            yield RunningService(f"http://127.0.0.1:{port}", app, http)
    finally:
        server.stop()
        await server.close_all_connections()
        await close_app(app)


async def status_of(http: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> int | str:
    """The status of one request, or the error's name when no answer came (a cut connection)."""
    try:
        async with http.request(method, url, **kwargs) as response:
            await response.read()
            return response.status
    except aiohttp.ClientError as error:
        return type(error).__name__


async def wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Poll `condition` until it holds; fail the test after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not true within {seconds} s"
        await asyncio.sleep(0.01)
