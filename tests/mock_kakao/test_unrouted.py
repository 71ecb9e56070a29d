"""Unknown paths and wrong methods answer JSON in the dialect of the part of Kakao they hit."""

from __future__ import annotations

import pytest

from tests.mock_kakao.helpers import FULL, bearer


async def answer(http, kakao, method: str, path: str) -> tuple[int, str, dict, str | None]:
    async with http.request(method, kakao.url + path, headers=bearer(FULL)) as response:
        body = await response.json()  # raises on aiohttp's text/plain pages
        return response.status, response.content_type, body, response.headers.get("Allow")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/v2/user/nope", 404), ("GET", "/", 404), ("DELETE", "/v2/user/me", 405)],
)
async def test_kapi_looking_requests_get_kapis_body(http, kakao, method, path, status):
    got_status, content_type, body, _ = await answer(http, kakao, method, path)
    assert (got_status, content_type) == (status, "application/json")
    assert set(body) == {"msg", "code"} and body["code"] == -2 and path in body["msg"]


async def test_a_wrong_method_names_the_allowed_ones(http, kakao):
    _, _, body, allow = await answer(http, kakao, "PUT", "/v1/user/logout")
    assert allow is not None and "POST" in allow and "POST" in body["msg"]


@pytest.mark.parametrize(
    ("method", "path", "status"), [("GET", "/oauth/nope", 404), ("GET", "/oauth/token", 405)]
)
async def test_kauth_paths_get_kauths_body(http, kakao, method, path, status):
    got_status, _, body, _ = await answer(http, kakao, method, path)
    assert got_status == status
    assert (body["error"], body["error_code"]) == ("invalid_request", "KOE001")
    assert path in body["error_description"]


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/_mock/nope", 404, "NOT_FOUND"),
        ("GET", "/_mock/users/1/nope", 404, "NOT_FOUND"),
        ("DELETE", "/_mock/config", 405, "METHOD_NOT_ALLOWED"),
    ],
)
async def test_admin_paths_get_the_admin_body(http, kakao, method, path, status, code):
    got_status, _, body, _ = await answer(http, kakao, method, path)
    assert (got_status, body["error"]) == (status, code)
    assert path in body["detail"]


async def test_an_unknown_kapi_path_is_logged_with_its_status(http, kakao):
    await answer(http, kakao, "GET", "/v2/user/nope")
    assert kakao.requests()[-1]["status"] == 404
