"""Tornado handlers: read the request, call a flow, write JSON. Nothing else.

Every answer is JSON. Errors are `{"message": CODE}` (see service.errors), including Tornado's
own 404/405 and any unexpected exception, which is logged here and never shown.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from tornado.web import HTTPError, RequestHandler, stream_request_body

from logsafe import escape
from service import flows
from service.errors import ApiError, code_for_status
from service.kakao.unlink_webhook import check_admin_key, parse_notice
from service.web import admin
from service.web.validation import bearer_token, jwt_bearer_token, parse_sign_in, single_header

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
#: a larger body is still read (and thrown away) up to here, so the client gets a clean 413
#: instead of a reset connection; past it Tornado closes the connection
DISCARD_LIMIT = 32 * 1024 * 1024
ALLOW_HEADERS = "Authorization, Content-Type"
#: every method Tornado dispatches to; each one first refuses an oversized body (see below)
HTTP_METHODS = ("get", "head", "post", "delete", "patch", "put", "options")


def _refusing_large_bodies(method: Callable[..., Any]) -> Callable[..., Any]:
    """`method`, answering 413 BODY_TOO_LARGE instead when the body was over MAX_BODY.

    The body is streamed (and counted) after `prepare` and before the method runs, so the method
    is the first place that knows; wrapping every method, inherited 405s included, means no
    handler can forget the check.
    """

    @functools.wraps(method)
    def checked(self: BaseHandler, *args: Any, **kwargs: Any) -> Any:
        self._method_started = True
        if self._too_large:
            raise ApiError("BODY_TOO_LARGE")
        return method(self, *args, **kwargs)

    checked.refuses_large_bodies = True  # type: ignore[attr-defined]
    return checked


@stream_request_body
class BaseHandler(RequestHandler):
    """JSON answers, `{"message": CODE}` errors and CORS for the configured origins.

    Every handler streams its body into a buffer capped at MAX_BODY: without streaming, Tornado
    holds a whole body (up to its 100 MB default) in memory before it even finds out that, say,
    `POST /users/me` is a 405. A body over the cap is 413 for every method of every subclass
    (see `__init_subclass__`).

    Each request is counted in `services.in_flight` from `prepare` until it is finished, so
    shutdown lets running requests finish first: also those whose client has hung up, since
    their handler still runs (a sign-up still writes) and must not meet a closed database. Only
    a request whose body never arrived is done when its connection closes: Tornado then never
    runs its method, nor `on_finish`.
    """

    #: for the `Allow` header of a 405 and the preflight's `Access-Control-Allow-Methods`
    allowed_methods: tuple[str, ...] = ("GET", "OPTIONS")
    _body: bytearray
    _too_large: bool = False
    _counted: bool = False
    _method_started: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in HTTP_METHODS:
            method = getattr(cls, name)
            if not getattr(method, "refuses_large_bodies", False):
                setattr(cls, name, _refusing_large_bodies(method))

    def prepare(self) -> None:
        self.services.in_flight.started()
        self._counted = True
        self._body = bytearray()
        self._too_large = False
        self.request.connection.set_max_body_size(DISCARD_LIMIT)  # type: ignore[union-attr]
        declared = self.request.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > DISCARD_LIMIT:
            raise ApiError("BODY_TOO_LARGE")

    def data_received(self, chunk: bytes) -> None:
        if self._too_large or len(self._body) + len(chunk) > MAX_BODY:
            self._too_large = True
            self._body.clear()
        else:
            self._body.extend(chunk)

    def on_finish(self) -> None:
        self._uncount()

    def on_connection_close(self) -> None:
        super().on_connection_close()  # fails the body future of a streamed request
        if not self._method_started:
            self._uncount()  # the body never came: the method will not run

    def _uncount(self) -> None:
        """Leave `in_flight` once, however the request ends."""
        if self._counted:
            self._counted = False
            self.services.in_flight.finished()

    def authorization(self) -> str | None:
        """The `Authorization` header; refused when it is sent twice (see single_header)."""
        return single_header(self.request.headers.get_list("Authorization"))

    @property
    def services(self) -> flows.Services:
        return self.application.settings["services"]

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        origin = self.request.headers.get("Origin")
        if origin and self._origin_allowed(origin):
            allowed = self.services.settings.cors_origins
            self.set_header("Access-Control-Allow-Origin", "*" if "*" in allowed else origin)
            self.set_header("Access-Control-Expose-Headers", "Retry-After")
            self.add_header("Vary", "Origin")

    def compute_etag(self) -> None:
        """API answers are per-token and uncacheable; an ETag would only invite 304s."""
        return None

    def _origin_allowed(self, origin: str) -> bool:
        allowed = self.services.settings.cors_origins
        return "*" in allowed or origin.rstrip("/") in allowed

    def options(self, *_args: Any) -> None:
        """A CORS preflight: answered for allowed origins, ignored (no CORS headers) otherwise."""
        if self._origin_allowed(self.request.headers.get("Origin", "")):
            self.set_header("Access-Control-Allow-Methods", ", ".join(self.allowed_methods))
            self.set_header("Access-Control-Allow-Headers", ALLOW_HEADERS)
            self.set_header("Access-Control-Max-Age", "600")
        self.set_status(204)
        self.clear_header("Content-Type")
        self.finish()

    def send_json(self, status: int, payload: dict[str, Any]) -> None:
        self.set_status(status)
        self.finish(json.dumps(payload, ensure_ascii=False))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, ApiError):
            code = error.code
            for name, value in error.headers.items():
                self.set_header(name, value)
        else:
            code = code_for_status(status_code)
        if code == "METHOD_NOT_ALLOWED":
            self.set_header("Allow", ", ".join(self.allowed_methods))
        self.finish(json.dumps({"message": code}))

    def log_exception(self, typ: Any, value: BaseException | None, tb: Any) -> None:
        if isinstance(value, ApiError):
            return  # an expected answer; the access log already records its status
        if isinstance(value, HTTPError):
            return  # Tornado's own 404/405/400: likewise in the access log
        # A bug. The request summary is method and path (never the query, nor headers: no
        # tokens), escaped so that a path cannot forge log lines.
        log.error(
            "unexpected error in %s %s",
            escape(self.request.method),
            escape(self.request.path),
            exc_info=(typ, value, tb),  # type: ignore[arg-type]
        )


class AuthKakaoHandler(BaseHandler):
    """`GET /auth/kakao` (who is this?) and `POST /auth/kakao` (sign up or log in)."""

    allowed_methods = ("GET", "POST", "OPTIONS")

    async def get(self) -> None:
        token = bearer_token(self.authorization())
        result = await flows.look_up(self.services, token)
        self.send_json(200, {"result": result})

    async def post(self) -> None:
        token = bearer_token(self.authorization())
        request = parse_sign_in(bytes(self._body))
        created, jwt = await flows.sign_in(self.services, token, request)
        if created:
            self.send_json(201, {"message": "CREATE_ACCOUNT", "token": jwt})
        else:
            self.send_json(200, {"message": "LOGIN_SUCCESS", "token": jwt})


class UsersMeHandler(BaseHandler):
    """`GET /users/me`: the account behind our JWT (`Bearer` required, see jwt_bearer_token);
    `DELETE /users/me`: delete it."""

    allowed_methods = ("GET", "DELETE", "OPTIONS")

    async def get(self) -> None:
        token = jwt_bearer_token(self.authorization())
        self.send_json(200, {"result": await flows.current_user(self.services, token)})

    async def delete(self) -> None:
        token = jwt_bearer_token(self.authorization())
        await flows.delete_me(self.services, token)
        self.set_status(204)
        self.clear_header("Content-Type")
        self.finish()


class UnlinkWebhookHandler(BaseHandler):
    """`GET|POST /auth/kakao/unlink`: Kakao's unlink webhook (see service.kakao.unlink_webhook)."""

    allowed_methods = ("GET", "POST", "OPTIONS")

    async def get(self) -> None:
        await self._receive(self.request.query)

    async def post(self) -> None:
        await self._receive(bytes(self._body))

    async def _receive(self, fields: str | bytes) -> None:
        values = self.request.headers.get_list("Authorization")
        key = self.services.settings.kakao_admin_key
        check_admin_key(values[0] if len(values) == 1 else None, key)
        notice = parse_notice(fields)
        deleted = await flows.kakao_unlinked(self.services, notice)
        self.send_json(200, {"result": {"kakao_id": notice.kakao_id, "deleted": deleted}})


class AccountEventsHandler(BaseHandler):
    """`POST /auth/kakao/events`: Kakao's account-status webhook (see service.kakao.secevents)."""

    allowed_methods = ("POST", "OPTIONS")

    async def post(self) -> None:
        content_type = self.request.headers.get("Content-Type")
        result = await flows.account_event(self.services, bytes(self._body), content_type)
        self.send_json(202, {"result": result})


class AdminHandler(BaseHandler):
    """The admin API: each method first calls `authorized()`.

    Routed only when ADMIN_TOKEN is set (see service.app). A preflight needs no token: the
    browser sends none with it. Checked in the method, not in `prepare`, for the reason
    NotFoundHandler gives.
    """

    allowed_methods = ("GET", "DELETE", "OPTIONS")

    def authorized(self) -> None:
        """Pass only `Authorization: Bearer <ADMIN_TOKEN>`; else 401 INVALID_ADMIN_TOKEN."""
        admin_token = self.services.settings.admin_token
        assert admin_token is not None  # routed only then
        admin.check_admin(self.request.headers.get_list("Authorization"), admin_token)


class AdminAccountsHandler(AdminHandler):
    """`GET /admin/accounts?limit=&after=` (a page by id) and `DELETE /admin/accounts` (all)."""

    async def get(self) -> None:
        self.authorized()
        page = admin.parse_page(self.request.query_arguments)
        self.send_json(200, await flows.list_accounts(self.services, page))

    async def delete(self) -> None:
        self.authorized()
        self.send_json(200, {"deleted": await flows.delete_all_accounts(self.services)})


class AdminAccountHandler(AdminHandler):
    """`DELETE /admin/accounts/{id}`: 204, or 404 NOT_FOUND."""

    allowed_methods = ("DELETE", "OPTIONS")

    async def delete(self, user_id: str) -> None:
        self.authorized()
        await flows.delete_account(self.services, admin.account_id(user_id))
        self.set_status(204)
        self.clear_header("Content-Type")
        self.finish()


class HealthHandler(BaseHandler):
    """`GET /healthz`: 200 when the database answers and takes writes, else 503."""

    async def get(self) -> None:
        await self.services.health.check()
        self.send_json(200, {"status": "ok"})


class OpenApiHandler(BaseHandler):
    """`GET /openapi.yaml`: the HTTP contract, served as the file's bytes.

    Never parsed here, so the service needs no YAML library; the tests parse it and check the
    service's real answers against it.
    """

    def initialize(self, document: bytes) -> None:
        self.document = document

    def get(self) -> None:
        self.set_header("Content-Type", "application/yaml; charset=utf-8")
        self.finish(self.document)


class NotFoundHandler(BaseHandler):
    """Every other path: 404 NOT_FOUND (a preflight for it too).

    Answered from the method, after the (capped) body was read: answering from `prepare`,
    before the body, makes Tornado close the keep-alive connection.
    """

    def _not_found(self, *_args: Any) -> None:
        raise ApiError("NOT_FOUND")

    get = post = put = patch = delete = head = options = _not_found
