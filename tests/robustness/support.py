"""A running service whose every answer is checked against the OpenAPI contract, and a raw
HTTP exchange for requests no well-behaved client library would send."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.robustness.contract import Contract, Observed
from tests.service.support import Answer, RunningService

Seen = tuple[str, str, int, str | None]


@dataclass
class CheckedService:
    """Calls `running` like RunningService.request, and asserts each answer conforms.

    `seen` counts (METHOD, path, status, message) so a test can tell which documented codes
    it reached.
    """

    running: RunningService
    contract: Contract
    seen: Counter[Seen] = field(default_factory=Counter)

    @property
    def url(self) -> str:
        return self.running.url

    def check(self, method: str, path: str, answer: Observed) -> None:
        self.contract.check(method, path, answer)
        message = answer.body.get("message") if isinstance(answer.body, dict) else None
        self.seen[method, self.contract.template(path), answer.status, message] += 1

    async def request(self, method: str, path: str, **kwargs: Any) -> Answer:
        answer = await self.running.request(method, path, **kwargs)
        self.check(method, path, answer)
        return answer

    async def raw(self, method: str, path: str, head_and_body: bytes) -> Answer:
        """A raw exchange (see `raw_exchange`), checked; the server must answer."""
        answer = await raw_exchange(self.url, head_and_body)
        assert answer is not None, f"{method} {path}: the connection closed without an answer"
        self.check(method, path, answer)
        return answer

    async def look_up(self, token: str) -> Answer:
        return await self.request("GET", "/auth/kakao", authorization=f"Bearer {token}")

    async def sign_in(
        self, token: str, kakao_id: Any, user_name: Any = "이름", email: Any = None
    ) -> Answer:
        body = {"kakao_id": kakao_id, "user_name": user_name, "email": email}
        return await self.request("POST", "/auth/kakao", authorization=f"Bearer {token}", body=body)

    async def me(self, jwt: str) -> Answer:
        return await self.request("GET", "/users/me", authorization=f"Bearer {jwt}")

    async def user_count(self) -> int:
        return await self.running.user_count()


def http_request(
    method: str,
    path: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes = b"",
) -> bytes:
    """An HTTP/1.1 request as bytes, exactly as given (no header is added but Host).

    `headers` as pairs may repeat a name, which no client library would send.
    """
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in pairs)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


RAW_TIMEOUT = 30.0


async def raw_exchange(url: str, request: bytes) -> Answer | None:
    """Send `request` over a fresh connection; the answer, or None if the server hung up.

    For what aiohttp refuses to send: repeated headers, a Content-Length that lies, bytes
    that are not UTF-8. The answer's body is parsed as JSON when it says it is JSON.
    """
    address = urlsplit(url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    try:
        async with asyncio.timeout(RAW_TIMEOUT):
            try:
                writer.write(request)
                await writer.drain()
            except ConnectionError:
                pass  # the server may answer and close before reading everything
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return None
            status_line, *header_lines = head.decode("latin-1").split("\r\n")
            headers = dict(line.split(": ", 1) for line in header_lines if line)
            raw = await reader.readexactly(int(headers.get("Content-Length", "0")))
    finally:
        writer.close()
    is_json = headers.get("Content-Type", "").startswith("application/json")
    body = json.loads(raw) if raw and is_json else (raw.decode() if raw else None)
    return Answer(int(status_line.split()[1]), body, headers)


@asynccontextmanager
async def sqlite_folder_gone(service: CheckedService) -> AsyncIterator[None]:
    """The SQLite file's folder is moved away (the database "unreachable"), then put back.

    The pool is emptied first, so every request inside must open a connection and fail.
    """
    folder = Path(service.running.services.engine.url.database or "").parent
    await service.running.services.engine.dispose()
    hidden = folder.with_name(folder.name + "-gone")
    folder.rename(hidden)
    try:
        yield
    finally:
        hidden.rename(folder)


def assert_no_secrets(text: str, *secrets: str) -> None:
    """None of `secrets` appears in `text` (named by a short prefix if one does)."""
    leaked = [secret[:10] + "…" for secret in secrets if secret and secret in text]
    assert not leaked, f"secrets in the logs: {leaked}"
