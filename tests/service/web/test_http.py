"""HTTP basics: unknown paths and methods, CORS, health, and a database that goes away."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from tests.service.support import (
    FULL_CONSENT_ID,
    FULL_CONSENT_TOKEN,
    RunningService,
    make_settings,
    running_service,
)
from tests.support.postgres import ThrowawayPostgres

HARNESS_ORIGIN = "http://127.0.0.1:8002"


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


async def test_health(service: RunningService) -> None:
    answer = await service.request("GET", "/healthz")
    assert (answer.status, answer.body) == (200, {"status": "ok"})


@pytest.mark.parametrize("path", ["/", "/auth", "/auth/kakao/", "/users/me/x", "/%ff"])
async def test_unknown_path(service: RunningService, path: str) -> None:
    for method in ("GET", "POST", "OPTIONS"):
        answer = await service.request(method, path)
        assert (answer.status, answer.body) == (404, {"message": "NOT_FOUND"})


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [("DELETE", "/auth/kakao", "GET, POST, OPTIONS"), ("PUT", "/auth/kakao", "GET, POST, OPTIONS"),
     ("POST", "/users/me", "GET, DELETE, OPTIONS"), ("PATCH", "/users/me", "GET, DELETE, OPTIONS"),
     ("POST", "/healthz", "GET, OPTIONS")],
)  # fmt: skip
async def test_method_not_allowed(
    service: RunningService, method: str, path: str, allow: str
) -> None:
    answer = await service.request(method, path)
    assert (answer.status, answer.body) == (405, {"message": "METHOD_NOT_ALLOWED"})
    assert answer.headers["Allow"] == allow


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/auth/kakao"), ("GET", "/users/me"), ("GET", "/healthz"), ("GET", "/openapi.yaml"),
     ("OPTIONS", "/auth/kakao"), ("DELETE", "/auth/kakao"), ("GET", "/nope")],
)  # fmt: skip
async def test_a_body_over_64_kib_is_413_whatever_the_method_and_path(
    service: RunningService, method: str, path: str
) -> None:
    """The contract says any path; before, only POST /auth/kakao checked, and GETs answered 200."""
    answer = await service.request(
        method, path, authorization=f"Bearer {FULL_CONSENT_TOKEN}", data=b" " * 100_000
    )
    assert (answer.status, answer.body) == (413, {"message": "BODY_TOO_LARGE"})
    assert (await service.request("GET", "/healthz")).status == 200  # the connection is usable


async def test_every_answer_is_json(service: RunningService) -> None:
    for method, path in (("GET", "/auth/kakao"), ("GET", "/nope"), ("DELETE", "/healthz")):
        answer = await service.request(method, path)
        assert answer.headers["Content-Type"] == "application/json; charset=utf-8"


async def test_preflight_from_an_allowed_origin(service: RunningService) -> None:
    answer = await service.request(
        "OPTIONS",
        "/auth/kakao",
        headers={
            "Origin": HARNESS_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert answer.status == 204
    assert answer.headers["Access-Control-Allow-Origin"] == HARNESS_ORIGIN
    assert "POST" in answer.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in answer.headers["Access-Control-Allow-Headers"]


async def test_cors_headers_on_real_answers(service: RunningService) -> None:
    answer = await service.request(
        "GET", "/auth/kakao", authorization=FULL_CONSENT_TOKEN, headers={"Origin": HARNESS_ORIGIN}
    )
    assert answer.status == 200
    assert answer.headers["Access-Control-Allow-Origin"] == HARNESS_ORIGIN
    assert "Retry-After" in answer.headers["Access-Control-Expose-Headers"]
    refused = await service.request("GET", "/auth/kakao", headers={"Origin": HARNESS_ORIGIN})
    assert refused.headers["Access-Control-Allow-Origin"] == HARNESS_ORIGIN  # errors too


async def test_no_cors_for_other_origins(service: RunningService) -> None:
    for method in ("OPTIONS", "GET"):
        answer = await service.request(
            method, "/auth/kakao", headers={"Origin": "http://evil.example"}
        )
        assert "Access-Control-Allow-Origin" not in answer.headers


@pytest.mark.parametrize("service_overrides", [{"cors_origins": ("*",)}])
async def test_any_origin_when_configured(service: RunningService) -> None:
    answer = await service.request(
        "OPTIONS", "/users/me", headers={"Origin": "http://anywhere.example"}
    )
    assert answer.headers["Access-Control-Allow-Origin"] == "*"


async def test_a_locked_sqlite_database_is_503(service: RunningService, sqlite_url: str) -> None:
    assert (await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)).status == 201
    path = sqlite_url.split("///", 1)[1]
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")  # holds the write lock past our busy timeout
        answer = await service.sign_in("mock-token-no-email", 4000000002)
        assert (answer.status, answer.body) == (503, {"message": "DATABASE_UNAVAILABLE"})
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert (await service.sign_in("mock-token-no-email", 4000000002)).status == 201


async def test_postgresql_going_away_is_503(
    mock_kakao: Any,
) -> None:
    server = ThrowawayPostgres().start()
    try:
        settings = make_settings(mock_kakao.url, server.create_database("gone"))
        async with running_service(settings) as service:
            assert (await service.request("GET", "/healthz")).status == 200
            assert (await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)).status == 201

            server.stop()  # the server is gone, the service is still running
            down = {"message": "DATABASE_UNAVAILABLE"}
            health = await service.request("GET", "/healthz")
            assert (health.status, health.body) == (503, down)
            for answer in (
                await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID),
                await service.look_up(FULL_CONSENT_TOKEN),
                await service.request("GET", "/healthz"),
            ):
                assert (answer.status, answer.body) == (503, down)
    finally:
        server.stop()


async def test_an_unexpected_error_is_500_without_a_traceback(
    mock_kakao: Any, postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(mock_kakao.url, postgres_url)
    async with running_service(settings) as service:
        async with service.services.engine.begin() as connection:
            await connection.exec_driver_sql("DROP TABLE users")  # a broken deployment
        answer = await service.sign_in(FULL_CONSENT_TOKEN, FULL_CONSENT_ID)
    assert (answer.status, answer.body) == (500, {"message": "INTERNAL_ERROR"})
    logged = [r for r in caplog.records if r.name == "service.web.handlers"]
    assert [r.getMessage() for r in logged] == ["unexpected error in POST /auth/kakao"]
    assert logged[0].exc_info is not None  # the traceback goes to the log, not the client
