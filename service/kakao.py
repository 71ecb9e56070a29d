"""The Kakao API client: one pooled keep-alive HTTP session, every answer mapped to our codes.

The mapping, in order (Kakao's errors are `{"msg": ..., "code": <negative int>}`):

| Kakao answers                                   | we answer            |
|-------------------------------------------------|----------------------|
| 429, or code -10 (quota)                        | KAKAO_RATE_LIMITED   |
| 401, or code -401 / -2 / -101 (bad token)       | INVALID_TOKEN        |
| 5xx, or code -1 / -9798 (temporary, maintenance)| KAKAO_UNAVAILABLE    |
| any other non-200 (e.g. 403 -3, app not set up) | INVALID_RESPONSE     |
| 200 that is not a JSON object with an int `id`  | INVALID_RESPONSE     |
| no answer within the timeout                    | KAKAO_TIMEOUT        |
| connection refused / reset / dropped            | KAKAO_UNAVAILABLE    |

Tokens never reach a log line: only the path, Kakao's status, code and message are logged.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import aiohttp

from service.errors import ApiError
from service.profile import KakaoProfile, as_kakao_id, parse_profile

log = logging.getLogger(__name__)

PROFILE_PATH = "/v2/user/me"
TOKEN_INFO_PATH = "/v1/user/access_token_info"
JWKS_PATH = "/.well-known/jwks.json"
DEFAULT_RETRY_AFTER = "1"
#: RFC 6750's b64token, the only shape a Bearer token can have (Kakao's are URL-safe base64).
#: Anything else, such as two tokens joined by a comma, is refused without asking Kakao.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9\-._~+/]{1,4096}=*")


@dataclass(frozen=True)
class TokenInfo:
    """Who a Kakao access token belongs to (`/v1/user/access_token_info`)."""

    kakao_id: int
    app_id: int | None


class KakaoClient:
    """Calls Kakao's user API (`kapi`), and kauth's JWKS, over one keep-alive connection pool.

    Create it inside the running event loop (aiohttp binds its session to it) and `close()` it
    at shutdown.
    """

    def __init__(self, base_url: str, timeout: float, auth_url: str = "https://kauth.kakao.com"):
        self.base_url = base_url.rstrip("/")
        self.auth_url = auth_url.rstrip("/")
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=timeout),
            # One session serves every user's token: a cookie Kakao (or a proxy) set on one
            # user's call must not ride along on the next user's.
            cookie_jar=aiohttp.DummyCookieJar(),
            connector=aiohttp.TCPConnector(limit=100, keepalive_timeout=30),
            headers={"Accept": "application/json"},
            raise_for_status=False,
        )

    async def close(self) -> None:
        await self._session.close()

    async def fetch_profile(self, token: str) -> KakaoProfile:
        """The token owner's profile; raises ApiError for anything but a usable answer."""
        data = await self._get_json(PROFILE_PATH, token)
        profile = parse_profile(data)
        if profile is None:
            log.warning("kakao %s answered 200 without a usable id", PROFILE_PATH)
            raise ApiError("INVALID_RESPONSE")
        return profile

    async def fetch_token_info(self, token: str) -> TokenInfo:
        """Whose token this is and which app it was issued to."""
        data = await self._get_json(TOKEN_INFO_PATH, token)
        kakao_id = as_kakao_id(data.get("id"))
        app_id = data.get("app_id")
        if kakao_id is None or (app_id is not None and type(app_id) is not int):
            log.warning("kakao %s answered 200 without a usable id/app_id", TOKEN_INFO_PATH)
            raise ApiError("INVALID_RESPONSE")
        return TokenInfo(kakao_id=kakao_id, app_id=app_id)

    async def fetch_jwks(self) -> dict[str, Any]:
        """Kakao's public signing keys (kauth's JWKS document), for service.idtoken."""
        return await self._get_json(JWKS_PATH, base_url=self.auth_url)

    async def _get_json(
        self, path: str, token: str | None = None, *, base_url: str | None = None
    ) -> dict[str, Any]:
        headers = {}
        if token is not None:
            if not _TOKEN_SHAPE.fullmatch(token):
                # Not something Kakao could have issued; asking would only leak it further.
                raise ApiError("INVALID_TOKEN")
            headers["Authorization"] = f"Bearer {token}"
        try:
            async with self._session.get(
                (base_url or self.base_url) + path, headers=headers
            ) as response:
                body = await response.read()
                status, retry_after = response.status, response.headers.get("Retry-After")
        except TimeoutError:
            log.warning("kakao %s timed out", path)
            raise ApiError("KAKAO_TIMEOUT") from None
        except (aiohttp.ClientError, OSError) as error:
            log.warning("kakao %s unreachable: %s", path, type(error).__name__)
            raise ApiError("KAKAO_UNAVAILABLE") from None

        data = _json_object(body)
        if status == 200:
            if data is None:
                log.warning("kakao %s answered 200 with a body that is not a JSON object", path)
                raise ApiError("INVALID_RESPONSE")
            return data
        raise kakao_error(path, status, data or {}, retry_after)


def kakao_error(path: str, status: int, body: dict[str, Any], retry_after: str | None) -> ApiError:
    """Our error for a non-200 Kakao answer (see the table in the module docstring)."""
    code = body.get("code")
    log.warning("kakao %s answered %s code=%r msg=%r", path, status, code, body.get("msg"))
    if status == 429 or code == -10:
        return ApiError("KAKAO_RATE_LIMITED", headers={"Retry-After": _retry_after(retry_after)})
    if status == 401 or code in (-401, -2, -101):
        return ApiError("INVALID_TOKEN")
    if status >= 500 or code in (-1, -9798):
        return ApiError("KAKAO_UNAVAILABLE")
    return ApiError("INVALID_RESPONSE")


def _retry_after(value: str | None) -> str:
    """Kakao's Retry-After when it is a whole number of seconds, else a short default."""
    if value is not None and value.strip().isdigit():
        return value.strip()
    return DEFAULT_RETRY_AFTER


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None
