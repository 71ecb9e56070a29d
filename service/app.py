"""Build and tear down the Tornado application.

app = await create_app(Settings.from_env())
app.listen(settings.port, address=settings.host)
...
await close_app(app)
"""

from __future__ import annotations

import tornado.web

from service import db
from service.flows import Services
from service.handlers import AuthKakaoHandler, HealthHandler, NotFoundHandler, UsersMeHandler
from service.kakao import KakaoClient
from service.settings import Settings


async def create_app(settings: Settings) -> tornado.web.Application:
    """Open the database (migrating it to the newest schema) and the Kakao client.

    Must run inside the event loop that will serve the app. Raises if the database cannot be
    reached, so a misconfigured service fails at start, not at its first request.
    """
    engine = db.create_engine(settings.database_url)
    try:
        await db.migrate(engine)
    except BaseException:
        await engine.dispose()
        raise
    services = Services(
        settings=settings,
        engine=engine,
        sessions=db.session_factory(engine),
        kakao=KakaoClient(settings.kakao_api_url, settings.kakao_timeout),
    )
    return tornado.web.Application(
        [
            (r"/auth/kakao", AuthKakaoHandler),
            (r"/users/me", UsersMeHandler),
            (r"/healthz", HealthHandler),
        ],
        default_handler_class=NotFoundHandler,
        services=services,
    )


async def close_app(app: tornado.web.Application) -> None:
    """Close the Kakao connection pool and the database engine."""
    services: Services = app.settings["services"]
    await services.kakao.close()
    await services.engine.dispose()
