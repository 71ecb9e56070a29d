"""How each target is started, made ready and stopped.

Each target is a context manager yielding a `Target`: its base URL and the process whose memory
and CPU count as the target's. Before any measurement, the targets that keep users get one POST
that creates the bench user, so every measured POST is the login path of an existing user; ours
are then asked once with the run's id_token, so that a refused id_token stops the run instead of
being measured as a fast 401.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.cases import (
    BASELINE,
    CEILING,
    KAKAO_ALONE,
    KAKAO_TOKEN,
    KAKAO_USER_ID,
    LOGIN_BODY,
    OURS_POSTGRES,
    OURS_SQLITE,
)
from bench.client import call
from bench.kakao import KakaoProcess
from bench.processes import ManagedProcess, python_module, start_on_free_port

SECRET_KEY = "bench-only-secret-key-not-for-production-use"
APP_ID = 10001


@dataclass(frozen=True)
class Options:
    """How the processes under test are run.

    The fake Kakao runs on uvloop: its own time per request lands in every target's latency,
    and uvloop halves it (bench/README.md), which brings the fake closer to a Kakao that takes
    exactly the injected delay. Our service picks its loop itself (uvloop; `SERVICE_UVLOOP=0`
    in the environment, passed on to it, for asyncio's).
    """

    kakao_uvloop: bool = True


@dataclass(frozen=True)
class Target:
    name: str
    base_url: str
    process: ManagedProcess


@contextmanager
def _running(
    name: str, build: Callable[[int], ManagedProcess], *, keeps_users: bool = True
) -> Iterator[Target]:
    """Target `name` on a free port, with the bench user if it keeps users; stopped after."""
    process, base_url = start_on_free_port(build, "/healthz", timeout=60)
    target = Target(name, base_url, process)
    try:
        if keeps_users:
            create_bench_user(target)
        yield target
    finally:
        process.stop()


def create_bench_user(target: Target) -> None:
    """One POST so that the measured POSTs all take the login path (200, not 201)."""
    status, body = call(
        "POST", f"{target.base_url}/auth/kakao", LOGIN_BODY, {"Authorization": KAKAO_TOKEN}
    )
    if status not in (200, 201):
        raise RuntimeError(f"{target.name}: creating the bench user failed: {status} {body}")


def check_id_token(target: Target, id_token: str) -> None:
    """One id_token GET: it must be the bench user's, accepted (this also caches the JWKS)."""
    headers = {"Authorization": f"Bearer {id_token}"}
    status, body = call("GET", f"{target.base_url}/auth/kakao", headers=headers)
    found = body.get("result") if isinstance(body, dict) else None
    if status != 200 or not isinstance(found, dict) or found.get("kakao_id") != KAKAO_USER_ID:
        raise RuntimeError(f"{target.name}: the bench's id_token was refused: {status} {body}")


@contextmanager
def kakao_alone(kakao: KakaoProcess) -> Iterator[Target]:
    """The fake Kakao itself, already running for the whole run: nothing to start or stop."""
    yield Target(KAKAO_ALONE, kakao.url, kakao.process)


@contextmanager
def ceiling(log_dir: Path) -> Iterator[Target]:
    def tornado(port: int) -> ManagedProcess:
        return ManagedProcess(CEILING, python_module("bench.ceiling", "--port", str(port)), log_dir)

    with _running(CEILING, tornado, keeps_users=False) as target:
        yield target


def _migrate_baseline(env: dict[str, str], log_dir: Path) -> None:
    migrate = ManagedProcess(
        "baseline-migrate", python_module("django", "migrate", "--verbosity", "0"), log_dir, env
    ).start()
    migrate.wait_exit(timeout=120)


@contextmanager
def baseline(log_dir: Path, kakao: KakaoProcess) -> Iterator[Target]:
    """gunicorn's defaults (sync workers) with 2 × cores + 1 workers, as gunicorn advises."""
    env = {
        "DJANGO_SETTINGS_MODULE": "bench.baseline.settings",
        "BASELINE_DATABASE": str(log_dir / "baseline.sqlite3"),
        "BASELINE_KAKAO_API_URL": kakao.url,
        "SECRET_KEY": SECRET_KEY,
    }
    _migrate_baseline(env, log_dir)
    workers = 2 * (os.cpu_count() or 1) + 1

    def gunicorn(port: int) -> ManagedProcess:
        argv = python_module(
            "gunicorn", "bench.baseline.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        )  # fmt: skip
        return ManagedProcess(BASELINE, argv, log_dir, env)

    with _running(BASELINE, gunicorn) as target:
        yield target


@contextmanager
def ours(name: str, log_dir: Path, kakao: KakaoProcess, database_url: str) -> Iterator[Target]:
    """`python -m service`, configured through its environment variables only.

    Logging at WARNING: neither the ceiling nor gunicorn's defaults write an access log, and
    Tornado's access log line is a measurable part of a request's cost. Kakao is the bench's
    fake, for access tokens (kapi) and id_tokens (its JWKS, its issuer, its app key).
    """
    env = {
        "KAKAO_API_URL": kakao.url,
        "KAKAO_APP_ID": str(APP_ID),
        "KAKAO_AUTH_URL": kakao.url,
        "KAKAO_ISSUER": kakao.url,
        "KAKAO_APP_KEYS": kakao.app_key,
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET_KEY,
        "HOST": "127.0.0.1",
    }
    argv = python_module("service", "--log-level", "WARNING")

    def service(port: int) -> ManagedProcess:
        return ManagedProcess(name, argv, log_dir, {**env, "PORT": str(port)})

    with _running(name, service) as target:
        yield target


@contextmanager
def ours_sqlite(log_dir: Path, kakao: KakaoProcess) -> Iterator[Target]:
    url = f"sqlite+aiosqlite:///{log_dir / 'ours.sqlite3'}"
    with ours(OURS_SQLITE, log_dir, kakao, url) as target:
        yield target


@contextmanager
def ours_postgres(log_dir: Path, kakao: KakaoProcess) -> Iterator[Target]:
    """A throwaway PostgreSQL (the tests' own helper), deleted with every file afterwards."""
    from tests.support.postgres import ThrowawayPostgres

    with ThrowawayPostgres() as server:
        database_url = server.create_database("bench")
        with ours(OURS_POSTGRES, log_dir, kakao, database_url) as target:
            yield target


def postgres_available() -> bool:
    from tests.support.postgres import find_postgres_bin

    return find_postgres_bin() is not None
