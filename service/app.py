"""Build and tear down the Tornado application.

    app = await create_app(settings)
    server = make_server(app)
    server.listen(settings.port, address=settings.host)
    ...
    await drain(server, app, grace=5.0)  # lets running requests finish, then closes everything

Use `make_server`, not `app.listen(port)`: `app.listen` builds a plain HTTPServer without this
service's header and body limits, its timeouts for slow clients and its JSON answer to
ambiguous framing.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import tornado.web
from tornado.httpserver import HTTPServer

from logsafe import guard_parser_logs
from service.flows import Services
from service.kakao.client import KakaoClient
from service.kakao.idtoken import IdTokenVerifier, KakaoKeys
from service.settings import Settings
from service.store import db, users
from service.web.accesslog import log_request
from service.web.connections import CappedHTTPServer
from service.web.framing import FramingGuard
from service.web.handlers import (
    DISCARD_LIMIT,
    AccountEventsHandler,
    AdminAccountHandler,
    AdminAccountsHandler,
    AuthKakaoHandler,
    HealthHandler,
    NotFoundHandler,
    OpenApiHandler,
    UnlinkWebhookHandler,
    UsersMeHandler,
)

log = logging.getLogger(__name__)

OPENAPI = Path(__file__).parent / "web" / "openapi.yaml"
#: Tornado's default is 64 KiB, and past it Tornado drops the connection without a word. Twice
#: that lets a 64 KB `Authorization` header reach the handler and get a clean 401 JSON answer;
#: headers larger still are cut off the same silent way (see the README's robustness notes).
MAX_HEADER_SIZE = 128 * 1024


async def create_app(settings: Settings) -> tornado.web.Application:
    """Open the database (migrating it to the newest schema) and the Kakao client.

    Must run inside the event loop that will serve the app. Raises if the database cannot be
    reached, so a misconfigured service fails at start, not at its first request.
    """
    guard_parser_logs()
    engine = db.create_engine(settings.database_url)
    try:
        await db.migrate(engine)
    except BaseException:
        await engine.dispose()
        raise
    kakao = KakaoClient(
        settings.kakao_api_url,
        settings.kakao_timeout,
        admin_key=settings.kakao_admin_key,
        auth_url=settings.kakao_auth_url,
    )
    services = Services(
        settings=settings,
        engine=engine,
        sessions=db.session_factory(engine),
        kakao=kakao,
        id_tokens=IdTokenVerifier(
            KakaoKeys(
                kakao.fetch_jwks,
                refetch_interval=settings.kakao_jwks_refetch_interval,
                max_age=settings.kakao_jwks_max_age,
            ),
            issuer=settings.kakao_issuer,
            audiences=settings.kakao_app_keys,
        ),
        health=db.HealthProbe(engine),
    )
    routes: list[Any] = [
        (r"/auth/kakao", AuthKakaoHandler),
        (r"/auth/kakao/unlink", UnlinkWebhookHandler),
        (r"/auth/kakao/events", AccountEventsHandler),
        (r"/users/me", UsersMeHandler),
        (r"/healthz", HealthHandler),
        (r"/openapi.yaml", OpenApiHandler, {"document": OPENAPI.read_bytes()}),
    ]
    if settings.admin_token is not None:  # else they do not exist: 404 like any unknown path
        routes += [
            (r"/admin/accounts", AdminAccountsHandler),
            (r"/admin/accounts/([0-9]+)", AdminAccountHandler),
        ]
    return tornado.web.Application(
        routes,
        default_handler_class=NotFoundHandler,
        services=services,
        log_function=log_request,
    )


def make_server(app: tornado.web.Application) -> HTTPServer:
    """The HTTP server for `app` with this service's header and body limits and timeouts.

    Tornado's defaults let a slow client hold a connection for an hour while sending its head
    and forever while sending its body. Both timeouts run from a fixed start, so dribbling a
    byte at a time does not extend them; Tornado's `idle_connection_timeout` is its header
    timeout, and it also closes a keep-alive connection left idle between requests. Neither
    covers the handler's own work: a Kakao call runs after the body is in. At most
    `http_max_connections` connections are served at once (service.web.connections).
    """
    settings: Settings = app.settings["services"].settings
    return CappedHTTPServer(
        FramingGuard(app),
        xheaders=False,
        max_header_size=MAX_HEADER_SIZE,
        max_body_size=DISCARD_LIMIT,
        idle_connection_timeout=settings.http_header_timeout,
        body_timeout=settings.http_body_timeout,
        max_connections=settings.http_max_connections,
    )


async def close_app(app: tornado.web.Application) -> None:
    """Close the Kakao connection pool and the database engine."""
    services: Services = app.settings["services"]
    await services.kakao.close()
    await users.close(services.engine)
    await services.engine.dispose()


async def drain(server: HTTPServer, app: tornado.web.Application, grace: float) -> None:
    """Shut down without cutting off requests already being answered.

    Stops accepting connections, waits up to `grace` seconds for the requests in flight to
    finish, and only then closes every connection and the app (its Kakao session and database):
    closing them first would hand clients empty replies and fail the running calls to Kakao.
    """
    server.stop()
    in_flight = app.settings["services"].in_flight
    if not await in_flight.wait_idle(grace):
        log.warning("%d requests still running after %.1f s: cut off", in_flight.count, grace)
    await server.close_all_connections()
    await close_app(app)
