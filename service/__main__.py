"""`python -m service`: run the service until SIGINT/SIGTERM.

Each flag overrides the environment variable of the same name (see `--help`). A missing
`SECRET_KEY`, a SQLite folder it cannot create or write or a SQLite file that is not a
database (status 2), or an unreachable database (status 1), ends the process with one line
on stderr: no traceback, because these are configuration mistakes, not bugs.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

import logsafe
from service.app import create_app, drain, make_server
from service.settings import Settings, SettingsError, parse_list, parse_origins
from service.store import datafiles, db
from service.web import eventloop, gc_tuning

log = logging.getLogger("service")

#: How long SIGTERM/SIGINT waits for running requests (a Kakao call times out after 5 s).
SHUTDOWN_GRACE_SECONDS = 5.0
NO_APP_ID_WARNING = "KAKAO_APP_ID is not set: tokens issued to other Kakao apps are not refused"
NO_ADMIN_KEY_WARNING = (
    "KAKAO_ADMIN_KEY is not set: deleted accounts are not unlinked at Kakao, and the unlink "
    "webhook (/auth/kakao/unlink) refuses every call"
)

#: (flag, setting, type, help); the environment variable is the setting's name upper-cased
FLAGS: list[tuple[str, str, Any, str]] = [
    ("--host", "host", str, "address to listen on (HOST, default 127.0.0.1)"),
    ("--port", "port", int, "port to listen on (PORT, default 8000)"),
    ("--kakao-api-url", "kakao_api_url", str, "Kakao API base (KAKAO_API_URL)"),
    ("--kakao-app-id", "kakao_app_id", int, "require tokens of this Kakao app (KAKAO_APP_ID)"),
    ("--kakao-timeout", "kakao_timeout", float, "seconds to wait for Kakao (KAKAO_TIMEOUT)"),
    ("--kakao-auth-url", "kakao_auth_url", str, "kauth base, for its JWKS (KAKAO_AUTH_URL)"),
    ("--kakao-issuer", "kakao_issuer", str, "iss of Kakao's id_tokens (KAKAO_ISSUER)"),
    (
        "--kakao-app-keys",
        "kakao_app_keys",
        str,
        "comma-separated app keys an id_token's aud may be (KAKAO_APP_KEYS; unset: id_tokens "
        "refused)",
    ),
    (
        "--kakao-jwks-refetch-interval",
        "kakao_jwks_refetch_interval",
        float,
        "at most one JWKS refetch per this many seconds (KAKAO_JWKS_REFETCH_INTERVAL, default 10)",
    ),
    (
        "--kakao-jwks-max-age",
        "kakao_jwks_max_age",
        float,
        "seconds the JWKS is cached (KAKAO_JWKS_MAX_AGE, default 3600)",
    ),
    (
        "--kakao-admin-key",
        "kakao_admin_key",
        str,
        "the app's admin key: unlinks deleted accounts, authenticates the unlink webhook "
        "(KAKAO_ADMIN_KEY; prefer the env var)",
    ),
    (
        "--kakao-required-service-terms",
        "kakao_required_service_terms",
        str,
        "comma-separated Kakao Sync service-term tags a person must have agreed to; GET "
        "/auth/kakao names the missing ones (KAKAO_REQUIRED_SERVICE_TERMS; default none)",
    ),
    ("--database-url", "database_url", str, "SQLAlchemy async URL (DATABASE_URL)"),
    ("--secret-key", "secret_key", str, "JWT signing key (SECRET_KEY; prefer the env var)"),
    ("--jwt-ttl", "jwt_ttl", int, "our JWT's lifetime in seconds (JWT_TTL, default 3600)"),
    ("--jwt-issuer", "jwt_issuer", str, "our JWT's iss claim (JWT_ISSUER)"),
    ("--cors-origins", "cors_origins", str, "comma-separated allowed origins (CORS_ORIGINS)"),
    (
        "--admin-token",
        "admin_token",
        str,
        "Bearer token of /admin/accounts, >= 32 characters (ADMIN_TOKEN; prefer the env var; "
        "default unset: no admin endpoints)",
    ),
    (
        "--http-header-timeout",
        "http_header_timeout",
        float,
        "seconds for a request's head, also the keep-alive idle time (HTTP_HEADER_TIMEOUT, 20)",
    ),
    (
        "--http-body-timeout",
        "http_body_timeout",
        float,
        "seconds for a request's whole body (HTTP_BODY_TIMEOUT, default 30)",
    ),
    (
        "--http-max-connections",
        "http_max_connections",
        int,
        "connections served at once, more are closed at once (HTTP_MAX_CONNECTIONS, default 400)",
    ),
]


def parse_args(argv: Sequence[str] | None) -> tuple[dict[str, Any], argparse.Namespace]:
    parser = argparse.ArgumentParser(
        prog="python -m service", description="Kakao sign-up/login service."
    )
    for flag, dest, type_, help_ in FLAGS:
        parser.add_argument(flag, dest=dest, type=type_, help=help_, default=None)
    parser.add_argument(
        "--generate-secret",
        action="store_true",
        help="local development only: without SECRET_KEY, sign with a random key "
        "(tokens stop verifying when the process ends)",
    )
    parser.add_argument(
        "--no-uvloop",
        action="store_true",
        help="run on asyncio's own event loop even when uvloop is installed "
        f"(or {eventloop.ENV_VAR}=0)",
    )
    parser.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    args = parser.parse_args(argv)
    overrides = {
        dest: getattr(args, dest) for _, dest, _, _ in FLAGS if getattr(args, dest) is not None
    }
    if "cors_origins" in overrides:
        overrides["cors_origins"] = parse_origins("--cors-origins", overrides["cors_origins"])
    if "kakao_app_keys" in overrides:
        overrides["kakao_app_keys"] = parse_list("--kakao-app-keys", overrides["kakao_app_keys"])
    if "kakao_required_service_terms" in overrides:
        overrides["kakao_required_service_terms"] = parse_list(
            "--kakao-required-service-terms", overrides["kakao_required_service_terms"]
        )
    return overrides, args


async def serve(settings: Settings) -> None:
    app = await create_app(settings)
    server = make_server(app)
    server.listen(settings.port, address=settings.host)
    gc_tuning.settle()  # everything built so far lives as long as the process
    log.info(
        "service listening on http://%s:%s (%s event loop)",
        settings.host,
        settings.port,
        eventloop.loop_name(),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await drain(server, app, SHUTDOWN_GRACE_SECONDS)
        log.info("service stopped")


def warn_about_settings(settings: Settings, generated_secret: bool) -> None:
    """Say at start what this configuration leaves open, so it is not found out in production."""
    if generated_secret:
        log.warning("using a generated SECRET_KEY: for local development only")
    if settings.kakao_app_id is None:
        log.warning(NO_APP_ID_WARNING)
    if settings.kakao_admin_key is None:
        log.warning(NO_ADMIN_KEY_WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    overrides, args = parse_args(argv)
    logsafe.configure(args.log_level.upper(), "%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env(allow_generated_secret=args.generate_secret, **overrides)
        datafiles.prepare_sqlite(settings.database_url)  # its folder 0700 and file 0600
    except SettingsError as error:
        print(f"service: {error}", file=sys.stderr)
        return 2
    given_secret = overrides.get("secret_key") or os.environ.get("SECRET_KEY")
    warn_about_settings(settings, generated_secret=args.generate_secret and not given_secret)
    try:
        eventloop.run(serve(settings), use_uvloop=False if args.no_uvloop else None)
    except SettingsError as error:  # a SQLite file that is no database (service.store.db.migrate)
        print(f"service: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"service: cannot start: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # database unreachable at start, and the like
        reason = f"{type(error).__name__}: {db.failure_line(error)}"
        print(f"service: cannot start: {reason}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
