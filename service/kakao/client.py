"""The Kakao API client: one pooled keep-alive HTTP session, every answer mapped to our codes.

The mapping, in order (Kakao's errors are `{"msg": ..., "code": <negative int>}`):

| Kakao answers                                   | we answer            |
|-------------------------------------------------|----------------------|
| 429, or code -10 (quota)                        | KAKAO_RATE_LIMITED   |
| 401, or code -401 / -2 / -101 (bad token)       | INVALID_TOKEN        |
| 403 -402 on a person's token (consent missing)  | INSUFFICIENT_SCOPE   |
| 5xx, or code -1 / -9798 (temporary, maintenance)| KAKAO_UNAVAILABLE    |
| any other non-200 (e.g. 403 -3, app not set up) | INVALID_RESPONSE     |
| 200 that is not a JSON object with an int `id`  | INVALID_RESPONSE     |
| no answer within the timeout                    | KAKAO_TIMEOUT        |
| connection refused / reset / dropped            | KAKAO_UNAVAILABLE    |

Tokens never reach a log line: only the path, Kakao's status, code and message are logged.

Admin-key calls (`Authorization: KakaoAK <KAKAO_ADMIN_KEY>`, `target_id_type=user_id`) map the
same way but for two answers: -101 (the person is not linked to the app) is an answer, not an
error, and a 401 (or -401/-2) means Kakao refused our key or request, our configuration's fault
and not the caller's token: INVALID_RESPONSE, logged as an error. The key is never logged.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import aiohttp

from service.errors import ApiError
from service.kakao.profile import KakaoProfile, as_kakao_id, parse_profile
from service.kakao.serviceterms import SERVICE_TERMS_PATH, agreed_tags

log = logging.getLogger(__name__)

PROFILE_PATH = "/v2/user/me"
TOKEN_INFO_PATH = "/v1/user/access_token_info"
UNLINK_PATH = "/v1/user/unlink"
JWKS_PATH = "/.well-known/jwks.json"
#: Kakao's code for "this person is not linked to the app"
NOT_LINKED = -101
#: Kakao's code for "the token's grant lacks a consent item this API needs"
INSUFFICIENT_SCOPE = -402
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

    def __init__(
        self,
        base_url: str,
        timeout: float,
        admin_key: str | None = None,
        auth_url: str = "https://kauth.kakao.com",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth_url = auth_url.rstrip("/")
        self._admin_key = admin_key
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
        """Kakao's public signing keys (kauth's JWKS document), for service.kakao.idtoken."""
        status, data, retry_after = await self._request(
            "GET", JWKS_PATH, None, base_url=self.auth_url
        )
        if status == 200 and data is not None:
            return data
        if status == 200:
            log.warning("kakao %s answered 200 with a body that is not a JSON object", JWKS_PATH)
            raise ApiError("INVALID_RESPONSE")
        if status < 500 and status != 429:
            # kauth's JWKS is public: a 401 or 403 there is Kakao's trouble (or a proxy's), never
            # a sign that the person's token is bad, so it must not answer INVALID_TOKEN.
            log.warning("kakao %s answered %s", JWKS_PATH, status)
            raise ApiError("INVALID_RESPONSE")
        raise kakao_error(JWKS_PATH, status, data or {}, retry_after)

    async def fetch_agreed_service_terms(
        self, *, token: str | None = None, kakao_id: int | None = None
    ) -> frozenset[str]:
        """The Kakao Sync service terms the person agreed to: asked with their access token,
        or (an id_token's person, `kakao_id`) with the admin key; someone no longer linked to
        our app has agreed to none."""
        if token is not None:
            data: dict[str, Any] | None = await self._get_json(SERVICE_TERMS_PATH, token)
        elif kakao_id is not None:
            data = await self._admin_json("GET", SERVICE_TERMS_PATH, kakao_id)
            if data is None:
                return frozenset()
        else:
            raise TypeError("fetch_agreed_service_terms needs a token or a kakao_id")
        agreed = agreed_tags(data)
        if agreed is None:
            log.warning("kakao %s answered 200 without a usable service_terms", SERVICE_TERMS_PATH)
            raise ApiError("INVALID_RESPONSE")
        return agreed

    async def unlink(self, kakao_id: int) -> bool:
        """Unlink the person from our app (admin key): True if Kakao did it now, False if they
        were not linked any more (they disconnected on Kakao's side first)."""
        return await self._admin_call("POST", UNLINK_PATH, kakao_id)

    async def is_linked(self, kakao_id: int) -> bool:
        """Whether the person is linked to our app right now (admin key, `/v2/user/me`)."""
        return await self._admin_call("GET", PROFILE_PATH, kakao_id)

    async def _admin_call(self, method: str, path: str, kakao_id: int) -> bool:
        return await self._admin_json(method, path, kakao_id) is not None

    async def _admin_json(self, method: str, path: str, kakao_id: int) -> dict[str, Any] | None:
        """An admin-key call about `kakao_id`: Kakao's answer, or None if they are not linked."""
        if self._admin_key is None:
            raise RuntimeError("an admin-key call without KAKAO_ADMIN_KEY")
        target = {"target_id_type": "user_id", "target_id": str(kakao_id)}
        status, data, retry_after = await self._request(
            method,
            path,
            f"KakaoAK {self._admin_key}",
            params=target if method == "GET" else None,
            form=target if method == "POST" else None,
        )
        if status == 200:
            if data is None or as_kakao_id(data.get("id")) != kakao_id:
                log.warning("kakao %s answered 200 without the target's id", path)
                raise ApiError("INVALID_RESPONSE")
            return data
        body = data or {}
        if body.get("code") == NOT_LINKED:
            return None
        if status == 401 or body.get("code") in (-401, -2):
            log.error(
                "kakao %s refused an admin-key call: %s code=%r msg=%r (is KAKAO_ADMIN_KEY right?)",
                path,
                status,
                body.get("code"),
                body.get("msg"),
            )
            raise ApiError("INVALID_RESPONSE")
        raise kakao_error(path, status, body, retry_after)

    async def _get_json(self, path: str, token: str) -> dict[str, Any]:
        if not _TOKEN_SHAPE.fullmatch(token):
            # Not something Kakao could have issued; asking would only leak it further.
            raise ApiError("INVALID_TOKEN")
        status, data, retry_after = await self._request("GET", path, f"Bearer {token}")
        if status == 200:
            if data is None:
                log.warning("kakao %s answered 200 with a body that is not a JSON object", path)
                raise ApiError("INVALID_RESPONSE")
            return data
        body = data or {}
        if body.get("code") == INSUFFICIENT_SCOPE:
            # The person's to fix (additional consent), not Kakao's trouble: a 403 of ours.
            # On an admin-key call the same code is Kakao refusing us: kakao_error's default.
            log.info(
                "kakao %s answered -402: consent missing for %r",
                path,
                body.get("required_scopes"),
            )
            raise ApiError("INSUFFICIENT_SCOPE")
        raise kakao_error(path, status, body, retry_after)

    async def _request(
        self,
        method: str,
        path: str,
        authorization: str | None,
        *,
        params: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
        base_url: str | None = None,
    ) -> tuple[int, dict[str, Any] | None, str | None]:
        """(status, the body if it is a JSON object, Retry-After); timeouts and unreachable
        Kakao raised as our errors. `base_url`: kapi unless given (kauth for the JWKS)."""
        try:
            async with self._session.request(
                method,
                (base_url or self.base_url) + path,
                headers={"Authorization": authorization} if authorization else None,
                params=params,
                data=form,
            ) as response:
                body = await response.read()
                status, retry_after = response.status, response.headers.get("Retry-After")
        except TimeoutError:
            log.warning("kakao %s timed out", path)
            raise ApiError("KAKAO_TIMEOUT") from None
        except (aiohttp.ClientError, OSError) as error:
            log.warning("kakao %s unreachable: %s", path, type(error).__name__)
            raise ApiError("KAKAO_UNAVAILABLE") from None
        return status, _json_object(body), retry_after


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
