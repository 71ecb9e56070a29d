"""Run the real service on a free loopback port and call it over real sockets."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import jwt
import tornado.web
from sqlalchemy import func, select
from tornado.testing import bind_unused_port

from service import tokens
from service.app import close_app, create_app, make_server
from service.flows import Services
from service.settings import Settings
from service.store.models import User

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


def signed_claims(settings: Settings, user_id: int, account_key: str, /, **changes: object) -> str:
    """Our token for the account, signed with the real key, with `changes` to its claims.

    Through PyJWS, since jwt.encode itself refuses a non-str `iss`; a value of None drops it.
    """
    good = tokens.issue(user_id, account_key, settings, datetime.now(UTC))
    claims = {**jwt.decode(good, options={"verify_signature": False}), **changes}
    payload = {name: value for name, value in claims.items() if value is not None}
    return jwt.api_jws.encode(json.dumps(payload).encode(), settings.secret_key, algorithm="HS256")


_SOON = int(time.time()) + 300
#: changes that make a signed token wrong: PyJWT lets them through (it reads exp and iat with
#: int(), and knows nothing of id and account_key), or their id is out of range (2**70 was a 500)
WRONG_CLAIMS: dict[str, dict[str, object]] = {
    "id 2**70": {"id": 2**70, "sub": str(2**70)},
    "id 2**63": {"id": 2**63, "sub": str(2**63)},
    "id negative": {"id": -1, "sub": "-1"},
    "id 0": {"id": 0, "sub": "0"},
    "id a str": {"id": "1", "sub": "1"},
    "id a bool": {"id": True, "sub": "True"},
    "id a float": {"id": 1.0, "sub": "1.0"},
    "exp a str": {"exp": str(_SOON)},
    "exp a bool": {"exp": True},
    "exp a float": {"exp": _SOON + 0.5},
    "exp a float, past": {"exp": 1.5},
    "exp a str, past": {"exp": "1"},
    "iat a str": {"iat": str(_SOON - 300)},
    "iat a bool": {"iat": True},
    "iat a float": {"iat": _SOON - 299.5},
    "sub an int": {"sub": 1},
    "sub a list": {"sub": ["1"]},
    "iss a list": {"iss": ["kakao-login-harness", "tests"]},
    "iss an int": {"iss": 1},
    "account_key an int": {"account_key": 1},
    "account_key empty": {"account_key": ""},
    "account_key too long": {"account_key": "k" * 65},
    "account_key not ASCII": {"account_key": "키"},
    "account_key a list": {"account_key": ["k"]},
}
