"""MockKakao: the fake on a free loopback port, in a background thread, for tests.

The server gets its own thread and event loop so it serves sync tests, async tests and code
under test in other threads alike, over a real socket. Helper methods go through the admin
HTTP API (stdlib urllib), never touching the state directly, so they are safe from any thread.

    with MockKakao() as kakao:
        kakao.add_user(id=1234, nickname="테스트", email="t@example.com")
        token = kakao.issue_token(1234)["access_token"]
        ...  # point the code under test at kakao.url
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Self, Unpack
from urllib.parse import urlencode

from aiohttp import web

from mock_kakao.app import start_server
from mock_kakao.control.requestmatch import Criteria, parse_query, to_query, verdict
from mock_kakao.web.errors import ControlError
from mock_kakao.web.loopback import is_loopback_host
from mock_kakao.world.kakaoapp import AppSettings, KakaoApp
from mock_kakao.world.state import FakeKakao

_NO_BODY = object()
# Loopback only: never send the admin API through an HTTP proxy from the environment.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class MockKakaoError(Exception):
    """The admin API refused a helper call: ``status`` and its ``{"error", "detail"}`` body."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.error = body.get("error") if isinstance(body, dict) else None


class MockKakao:
    """A running fake Kakao: ``url``, ``app_id``, the app's keys and admin helpers.

    ``app``: the app's settings, as :class:`~mock_kakao.world.kakaoapp.KakaoApp` takes them
    (``rest_api_key``, ``javascript_key``, ``admin_key``, ``native_app_key``,
    ``client_secret``, ``rest_api_redirect_uris``, ``javascript_redirect_uris``,
    ``web_domains``, ``logout_redirect_uris``, ``oidc``, ``issuer``, ``keys_file``). Those not
    given follow the users file's ``app`` section, then the defaults (``mock-rest-api-key``,
    ``mock-javascript-key``, ``mock-admin-key``, no native key, no client secret, the short
    registered lists of :mod:`mock_kakao.world.registered` (the URL lists given are added to
    them), OIDC off as on a new Kakao app).
    """

    def __init__(
        self,
        users_file: str | Path | None = None,
        app_id: int | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        allow_remote: bool = False,
        **app: Any,
    ) -> None:
        # The admin API has no authentication: like `python -m mock_kakao --allow-remote`,
        # serving it beyond loopback must be asked for by name.
        if not is_loopback_host(host) and not allow_remote:
            raise ValueError(
                f"MockKakao would serve its unauthenticated admin API on {host!r}, not a "
                "loopback address: pass allow_remote=True if that is really meant"
            )
        # Built here, in the caller's thread, so a bad users file fails the caller at once.
        self._state = FakeKakao.from_file(users_file, app_id=app_id, app=KakaoApp(**app))
        self._host = host
        self._port = port
        self._allow_remote = allow_remote
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._url: str | None = None

    # -- lifecycle -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL serving kapi, kauth and ``/_mock/``, e.g. ``http://127.0.0.1:41234``."""
        if self._url is None:
            raise RuntimeError("MockKakao is not running: call start() or use it as a context")
        return self._url

    @property
    def app_id(self) -> int:
        return self._state.app_id

    @property
    def client_id(self) -> str:
        """The REST API key: the ``client_id`` of ``/oauth/token`` (and of a server's login)."""
        return self._settings().rest_api_key

    @property
    def javascript_key(self) -> str:
        """The ``Kakao.init`` key: a login's ``client_id`` for a browser (2 h tokens)."""
        return self._settings().javascript_key

    @property
    def admin_key(self) -> str:
        return self._settings().admin_key

    @property
    def native_app_key(self) -> str | None:
        return self._settings().native_app_key

    @property
    def client_secret(self) -> str | None:
        return self._settings().client_secret

    def _settings(self) -> AppSettings:
        # A frozen object the server's thread replaces whole: safe to read from any thread.
        return self._state.app.settings

    def start(self) -> Self:
        if self._thread is not None:
            raise RuntimeError("MockKakao is already running")
        loop = asyncio.new_event_loop()
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                self._runner, self._url = loop.run_until_complete(
                    start_server(
                        self._state, self._host, self._port, allow_remote=self._allow_remote
                    )
                )
            except BaseException as exc:
                failure.append(exc)
                started.set()
                loop.close()
                return
            started.set()
            loop.run_forever()
            loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="mock-kakao", daemon=True)
        self._thread.start()
        started.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self

    def stop(self) -> None:
        """Stop serving (a ``hang`` in progress is released) and join the thread."""
        if self._thread is None or self._loop is None:
            return
        if self._runner is not None:
            cleanup = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop)
            cleanup.result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._thread = self._runner = self._url = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- admin helpers -------------------------------------------------------------------

    def add_user(
        self, id: int, nickname: str | None = None, email: str | None = None, **more: Any
    ) -> dict[str, Any]:
        """Create a user (fully consented unless ``more`` says otherwise); the admin object."""
        return self._admin(
            "POST", "/_mock/users", {"id": id, "nickname": nickname, "email": email, **more}
        )

    def user(self, user_id: int) -> dict[str, Any]:
        return self._admin("GET", f"/_mock/users/{user_id}")

    def users(self) -> list[dict[str, Any]]:
        return self._admin("GET", "/_mock/users")["users"]

    def update_user(self, user_id: int, **fields: Any) -> dict[str, Any]:
        return self._admin("PATCH", f"/_mock/users/{user_id}", fields)

    def delete_user(self, user_id: int) -> None:
        self._admin("DELETE", f"/_mock/users/{user_id}")

    def issue_token(
        self,
        user_id: int,
        expires_in: int | None = None,
        app_id: int | None = None,
        *,
        scope: str | None = None,
        nonce: str | None = None,
    ) -> dict[str, Any]:
        """A fresh token pair for ``user_id`` (``expires_in`` ≤ 0: already expired);
        ``scope="openid"`` (and a ``nonce``) adds an ``id_token``."""
        fields = (
            ("expires_in", expires_in),
            ("app_id", app_id),
            ("scope", scope),
            ("nonce", nonce),
        )
        body = {k: val for k, val in fields if val is not None}
        return self._admin("POST", f"/_mock/users/{user_id}/tokens", body)

    def signing_keys(self) -> list[dict[str, Any]]:
        """The published signing keys, current first (kid, current, retire_at, jwk)."""
        return self._admin("GET", "/_mock/keys")["keys"]

    def rotate_keys(self, keep_old_seconds: int | None = None) -> str:
        """A new signing key (the old one stays published a while); returns the new kid."""
        body = {} if keep_old_seconds is None else {"keep_old_seconds": keep_old_seconds}
        return self._admin("POST", "/_mock/keys/rotate", body)["kid"]

    def set_oidc(self, enabled: bool) -> None:
        """The app's OpenID Connect switch, until the next reset."""
        self.update_app(oidc=enabled)

    def update_app(self, **settings: Any) -> dict[str, Any]:
        """Change the app's settings until the next reset, e.g. ``web_domains=[...]``,
        ``client_secret="s"`` or ``unlink_webhook_url=url``; returns the app as
        ``GET /_mock/app`` shows it."""
        return self._admin("PATCH", "/_mock/app", settings)

    def config(self) -> dict[str, Any]:
        """``GET /_mock/config``: app id, keys, registered redirect URIs and web domains."""
        return self._admin("GET", "/_mock/config")

    def app(self) -> dict[str, Any]:
        """The app's settings (``GET /_mock/app``): OIDC, admin key, unlink webhook, keys."""
        return self._admin("GET", "/_mock/app")

    def unlink_user(self, user_id: int, referrer_type: str | None = None) -> dict[str, Any]:
        """The person disconnects the app on Kakao's side: their tokens are revoked and the
        app's unlink webhook is called. Returns ``{"id", "referrer_type", "webhook"}``, the
        delivery (or None without a webhook URL) once it is done.

        It blocks until the app answered (3 s at most): from an async test whose own event loop
        serves the webhook, call it in a thread (``await asyncio.to_thread(...)``).
        """
        body = {} if referrer_type is None else {"referrer_type": referrer_type}
        return self._admin("POST", f"/_mock/users/{user_id}/unlink", body)

    def webhooks(self) -> list[dict[str, Any]]:
        """Every unlink webhook delivery since the last reset, oldest first."""
        return self._admin("GET", "/_mock/webhooks")["webhooks"]

    def send_event(self, user_id: int, event: str, **fields: Any) -> dict[str, Any]:
        """POST a Security Event Token (``event``: ``account-purged``, ``user-unlinked``, ...;
        ``scopes=[...]`` for the scope events) to the app's account-status webhook. Returns
        ``{"id", "event", "jti", "delivery"}`` once the app answered; like unlink_user, call it
        in a thread from an async test whose loop serves the webhook."""
        return self._admin("POST", f"/_mock/users/{user_id}/events", {"event": event, **fields})

    def security_events(self) -> list[dict[str, Any]]:
        """Every account-status webhook delivery since the last reset, oldest first."""
        return self._admin("GET", "/_mock/security_events")["security_events"]

    def set_faults(self, faults: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Replace every fault with ``faults``; returns them as the fake stores them."""
        return self._admin("PUT", "/_mock/faults", faults)["faults"]

    def add_fault(self, kind: str, **fields: Any) -> list[dict[str, Any]]:
        """Add one fault, e.g. ``add_fault("error", status=503, code=-9798, msg="...")``."""
        return self._admin("POST", "/_mock/faults", {"kind": kind, **fields})["faults"]

    def faults(self) -> list[dict[str, Any]]:
        return self._admin("GET", "/_mock/faults")["faults"]

    def clear_faults(self) -> None:
        self._admin("DELETE", "/_mock/faults")

    def requests(
        self, *, limit: int | None = None, **criteria: Unpack[Criteria]
    ) -> list[dict[str, Any]]:
        """The request log (kapi/kauth only, oldest first, tokens as short prefixes).

        Filters as ``GET /_mock/requests`` takes them: ``method``, ``path`` (exact or ending in
        ``*``), ``user_id``, ``status``, ``since`` (epoch seconds on the fake's clock, see
        :meth:`now`, or an aware datetime) and ``limit``, the most recent N that match.
        """
        query = to_query(**criteria, limit=limit)
        suffix = f"?{urlencode(query)}" if query else ""
        return self._admin("GET", "/_mock/requests" + suffix)["requests"]

    def assert_requested(
        self, *, times: int | None = None, **criteria: Unpack[Criteria]
    ) -> list[dict[str, Any]]:
        """Assert the fake was called as described: ``times`` None at least once, else exactly.

        Takes :meth:`requests`'s filters but ``limit``, and returns the matching requests. On
        failure the AssertionError lists the closest requests that did not match and why, e.g.
        ``GET /v2/user/me user 4000000002 status 200 — user_id differs (wanted 4000000001)``.
        Bad filter values raise :class:`MockKakaoError` (400), exactly as :meth:`requests` does.
        """
        if times is not None and (isinstance(times, bool) or not isinstance(times, int)):
            raise TypeError(f"times must be None or an int, not {times!r}")
        if times is not None and times < 0:
            raise ValueError(f"times must be at least 0, not {times}")
        if "limit" in criteria:
            raise TypeError("assert_requested() takes no limit: it counts every match")
        try:
            wanted = parse_query(to_query(**criteria).items()).filter
        except ControlError as exc:
            raise MockKakaoError(exc.status, {"error": exc.code, "detail": exc.detail}) from None
        log = self.requests()
        failure = verdict(log, wanted, times)
        if failure:
            raise AssertionError(failure)
        return [record for record in log if wanted.matches(record)]

    def clear_requests(self) -> None:
        self._admin("DELETE", "/_mock/requests")

    def reset(self) -> None:
        """Back to the users file: users, tokens, faults, clock and request log."""
        self._admin("POST", "/_mock/reset")

    def now(self) -> float:
        """The fake's clock (epoch seconds), e.g. as ``since`` for :meth:`requests`."""
        return self._admin("GET", "/_mock/clock")["now"]

    def advance_clock(self, seconds: float) -> float:
        """Move the fake's clock forward (expiring tokens and codes); returns its new now."""
        return self._admin("POST", "/_mock/clock", {"advance": seconds})["now"]

    def authorize_url(self, redirect_uri: str, **params: str) -> str:
        """``/oauth/authorize`` for this fake's client id, e.g. with ``state`` or ``prompt``."""
        query = {
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            **params,
        }
        return f"{self.url}/oauth/authorize?{urlencode(query)}"

    def _admin(self, method: str, path: str, body: Any = _NO_BODY) -> Any:
        data = None if body is _NO_BODY else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with _opener.open(request, timeout=30) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                detail = json.loads(raw)
            except ValueError:
                detail = raw.decode("utf-8", "replace")
            raise MockKakaoError(exc.code, detail) from None
        return json.loads(raw) if raw else None
