"""`run_all.py --smoke`: the whole flow for every fake user, over HTTP, exactly as a frontend.

It is the quickest proof that the three parts fit together (and what CI runs): for each fake
user, token → GET /auth/kakao → POST /auth/kakao → GET /users/me; then a second login, a forged
kakao_id, Kakao id_tokens (a login with one, and one for another app and an expired one
refused), a missing token, a Kakao outage and the browser's CORS preflight. Each check is a row
of case / expected / got; any row whose "got" differs from "expected" fails the run.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from harness_ui.config import StackConfig
from harness_ui.stack import RunningStack, start_stack

#: One Kakao outage (Kakao's maintenance answer), for the next call only.
KAKAO_DOWN = {"kind": "error", "status": 503, "code": -9798, "msg": "service under maintenance"}
#: the nonce a frontend would have sent to Kakao's authorize; the id_token echoes it
NONCE = "smoke-nonce-7Hq2"


@dataclass(frozen=True)
class CaseResult:
    case: str
    expected: str
    got: str

    @property
    def ok(self) -> bool:
        return self.expected == self.got


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: dict[str, str]

    def code(self) -> str:
        """`"201 CREATE_ACCOUNT"`: the status and the service's code, as the table shows them."""
        message = self.body.get("message") if isinstance(self.body, dict) else None
        return f"{self.status} {message}" if message else str(self.status)


class Frontend:
    """What a browser frontend does over HTTP, plus the fake's admin API to set the scene.

    Every service call carries the page's `Origin`, so CORS is exercised as in a browser.
    """

    def __init__(self, session: aiohttp.ClientSession, stack: RunningStack) -> None:
        self.session = session
        self.stack = stack
        self.origin = stack.ui_url

    async def call(self, method: str, url: str, **kwargs: Any) -> Reply:
        async with self.session.request(method, url, **kwargs) as response:
            raw = await response.read()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
            return Reply(response.status, body, dict(response.headers))

    def _service(self, method: str, path: str, **kwargs: Any) -> Awaitable[Reply]:
        headers = {"Origin": self.origin, **kwargs.pop("headers", {})}
        return self.call(method, f"{self.stack.service_url}{path}", headers=headers, **kwargs)

    def who_is(self, token: str | None, bearer: bool = False) -> Awaitable[Reply]:
        headers = {} if token is None else {"Authorization": _auth(token, bearer)}
        return self._service("GET", "/auth/kakao", headers=headers)

    def sign_in(self, token: str, fields: dict[str, Any], bearer: bool = False) -> Awaitable[Reply]:
        headers = {"Authorization": _auth(token, bearer)}
        return self._service("POST", "/auth/kakao", headers=headers, json=fields)

    def me(self, jwt: str) -> Awaitable[Reply]:
        return self._service("GET", "/users/me", headers={"Authorization": f"Bearer {jwt}"})

    def preflight(self) -> Awaitable[Reply]:
        headers = {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        }
        return self._service("OPTIONS", "/auth/kakao", headers=headers)

    def admin(self, method: str, path: str, **kwargs: Any) -> Awaitable[Reply]:
        return self.call(method, f"{self.stack.kakao_url}/_mock{path}", **kwargs)


def _auth(token: str, bearer: bool) -> str:
    """Raw token (as the original frontend sends it) or `Bearer <token>`: both are accepted."""
    return f"Bearer {token}" if bearer else token


def looked_up(reply: Reply) -> str:
    """`"200 is_user=True"` for a GET /auth/kakao that answered, else its status and code."""
    if reply.status != 200:
        return reply.code()
    who = (reply.body or {}).get("result") or {}
    return f"{reply.status} is_user={who.get('is_user')}"


def usable_token(user: dict[str, Any], app_id: int | None) -> dict[str, Any] | None:
    """The user's first live token for our app, else its first (possibly expired) one."""
    tokens = [t for t in user.get("tokens", []) if app_id is None or t.get("app_id") == app_id]
    return next((t for t in tokens if not t.get("expired")), tokens[0] if tokens else None)


def sign_up_fields(who: dict[str, Any]) -> dict[str, Any]:
    """What the person types into the edit page: Kakao's fields, blanks filled in."""
    kakao_id = who["kakao_id"]
    return {
        "kakao_id": kakao_id,
        "user_name": who.get("user_name") or f"Kakao user {kakao_id}",
        "email": who.get("email") or f"user{kakao_id}@example.com",
    }


@dataclass
class SignedUp:
    """A user whose flow went through: reused by the second-login and forged-id cases."""

    user_id: int
    token: str
    fields: dict[str, Any]


class Smoke:
    """Runs the cases in order and collects one row per check."""

    def __init__(self, frontend: Frontend) -> None:
        self.frontend = frontend
        self.results: list[CaseResult] = []

    def check(self, case: str, expected: str, got: str) -> bool:
        self.results.append(CaseResult(case, expected, got))
        return expected == got

    async def user_flow(self, user: dict[str, Any]) -> SignedUp | None:
        """token → GET → POST → /users/me for one fake user; None when it does not sign up."""
        name = f"{user.get('label') or 'user'} ({user['id']})"
        token = usable_token(user, self.frontend.stack.app_id)
        if token is None:
            issued = await self.frontend.admin("POST", f"/users/{user['id']}/tokens", json={})
            token = issued.body
        if token.get("expired"):
            reply = await self.frontend.who_is(token["access_token"])
            self.check(f"{name}: GET /auth/kakao", "401 INVALID_TOKEN", reply.code())
            return None
        reply = await self.frontend.who_is(token["access_token"])
        who = (reply.body or {}).get("result") or {}
        if not self.check(f"{name}: GET /auth/kakao", "200 is_user=False", looked_up(reply)):
            return None
        fields = sign_up_fields(who)
        reply = await self.frontend.sign_in(token["access_token"], fields)
        if not self.check(f"{name}: POST /auth/kakao", "201 CREATE_ACCOUNT", reply.code()):
            return None
        me = await self.frontend.me(reply.body["token"])
        kakao_id = ((me.body or {}).get("result") or {}).get("kakao_id")
        got = f"{me.status} kakao_id={kakao_id}" if me.status == 200 else me.code()
        self.check(f"{name}: GET /users/me", f"200 kakao_id={user['id']}", got)
        return SignedUp(user["id"], token["access_token"], fields)

    async def second_login(self, done: SignedUp) -> None:
        reply = await self.frontend.who_is(done.token, bearer=True)
        case = f"again ({done.user_id}): GET /auth/kakao, Bearer"
        self.check(case, "200 is_user=True", looked_up(reply))
        reply = await self.frontend.sign_in(done.token, done.fields, bearer=True)
        self.check(f"again ({done.user_id}): POST /auth/kakao", "200 LOGIN_SUCCESS", reply.code())

    async def forged_id(self, done: SignedUp, other_id: int) -> None:
        forged = {**done.fields, "kakao_id": other_id}
        reply = await self.frontend.sign_in(done.token, forged)
        case = f"forged kakao_id ({done.user_id}'s token, id {other_id})"
        self.check(case, "403 KAKAO_ID_MISMATCH", reply.code())

    async def id_token(self, user_id: int, **fields: Any) -> str | Reply:
        """An OpenID Connect id_token the fake issues for `user_id` (the refusal if it does not).

        `fields` are the token's (`app_id`, `expires_in`), as `POST /_mock/users/{id}/tokens`
        takes them beside `scope` and `nonce`.
        """
        body = {"scope": "openid", "nonce": NONCE, **fields}
        issued = await self.frontend.admin("POST", f"/users/{user_id}/tokens", json=body)
        token = issued.body.get("id_token") if isinstance(issued.body, dict) else None
        return token if isinstance(token, str) else issued

    async def id_token_login(self, done: SignedUp) -> None:
        """Kakao's id_token in place of the access token, verified by the service itself."""
        token = await self.id_token(done.user_id)
        case = f"id_token ({done.user_id}): GET /auth/kakao, Bearer"
        if isinstance(token, Reply):
            self.check(case, "200 is_user=True", f"not issued: {token.status}")
            return
        self.check(case, "200 is_user=True", looked_up(await self.frontend.who_is(token, True)))
        reply = await self.frontend.sign_in(token, {**done.fields, "nonce": NONCE}, bearer=True)
        case = f"id_token ({done.user_id}): POST /auth/kakao with its nonce"
        self.check(case, "200 LOGIN_SUCCESS", reply.code())

    async def id_token_refused(self, user_id: int, case: str, expected: str, **fields: Any) -> None:
        """An id_token the service must refuse with `expected` (`"401 CODE"`)."""
        token = await self.id_token(user_id, **fields)
        if isinstance(token, Reply):
            self.check(case, expected, f"not issued: {token.status}")
            return
        self.check(case, expected, (await self.frontend.who_is(token, bearer=True)).code())

    async def no_token(self) -> None:
        reply = await self.frontend.who_is(None)
        self.check("no token: GET /auth/kakao", "401 TOKEN_REQUIRED", reply.code())

    async def kakao_down(self, token: str) -> None:
        await self.frontend.admin("PUT", "/faults", json=[{**KAKAO_DOWN, "times": 1}])
        try:
            reply = await self.frontend.who_is(token)
        finally:
            await self.frontend.admin("DELETE", "/faults")
        self.check(
            "Kakao down (503, -9798): GET /auth/kakao", "502 KAKAO_UNAVAILABLE", reply.code()
        )

    async def cors_preflight(self) -> None:
        reply = await self.frontend.preflight()
        allowed = reply.headers.get("Access-Control-Allow-Origin")
        got = (
            "allowed"
            if reply.status < 300 and allowed in (self.frontend.origin, "*")
            else (f"{reply.status} origin={allowed}")
        )
        self.check("CORS preflight from the page's origin", "allowed", got)

    async def page_config(self) -> None:
        reply = await self.frontend.call("GET", f"{self.frontend.stack.ui_url}/config.json")
        service_url = (reply.body or {}).get("service_url")
        got = (
            "200 points at the service"
            if service_url == self.frontend.stack.service_url
            else (f"{reply.status} service_url={service_url}")
        )
        self.check("harness page: GET /config.json", "200 points at the service", got)


async def run_smoke(stack: RunningStack) -> list[CaseResult]:
    """Every case against a running stack whose database has none of the fake users yet."""
    timeout = aiohttp.ClientTimeout(total=15)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        frontend = Frontend(session, stack)
        smoke = Smoke(frontend)
        await smoke.page_config()
        await smoke.cors_preflight()
        users = (await frontend.admin("GET", "/users")).body["users"]
        signed_up = [done for user in users if (done := await smoke.user_flow(user))]
        await smoke.no_token()
        if signed_up:
            first = signed_up[0]
            await smoke.second_login(first)
            others = [user["id"] for user in users if user["id"] != first.user_id]
            await smoke.forged_id(first, others[0] if others else first.user_id + 1)
            await smoke.id_token_login(first)
            another_app = (stack.app_id or 0) + 1
            await smoke.id_token_refused(
                first.user_id, "id_token of another app: GET /auth/kakao",
                "401 TOKEN_FOR_ANOTHER_APP", app_id=another_app,
            )  # fmt: skip
            await smoke.id_token_refused(
                first.user_id, "expired id_token: GET /auth/kakao", "401 INVALID_TOKEN",
                expires_in=-3600,
            )  # fmt: skip
            await smoke.kakao_down(first.token)
        else:
            smoke.check("at least one fake user signs up", "yes", "no")
        return smoke.results


def format_table(results: list[CaseResult]) -> str:
    """A plain-text table (ASCII frame, so it lines up in any terminal and in CI logs)."""
    rows = [("case", "expected", "got", "ok")]
    rows += [(r.case, r.expected, r.got, "ok" if r.ok else "FAIL") for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


async def smoke_main(
    users_file: Path | None = None,
    app_id: int | None = None,
    host: str = "127.0.0.1",
    started: float | None = None,
    out: Callable[[str], None] = print,
    allow_remote: bool = False,
) -> int:
    """Start everything on free ports with a throwaway database, run the cases, print the table.

    Returns the exit status: 0 when every case got what it expected, 1 otherwise.
    """
    started = time.monotonic() if started is None else started
    # The failing cases are deliberate; the service's warnings about them would only confuse.
    # Errors (a traceback in the service) still show; the access log's 5xx lines do not.
    logging.disable(logging.WARNING)
    access_log = logging.getLogger("tornado.access")
    access_level = access_log.level
    access_log.setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory(prefix="kakao-harness-smoke-") as data_dir:
        config = StackConfig(
            host=host,
            service_port=0,
            kakao_port=0,
            ui_port=0,
            data_dir=Path(data_dir),
            users_file=users_file,
            app_id=app_id,
            allow_remote=allow_remote,
        )
        stack = await start_stack(config)
        try:
            ready = time.monotonic() - started
            results = await run_smoke(stack)
        finally:
            await stack.stop()
            logging.disable(logging.NOTSET)
            access_log.setLevel(access_level)
    failed = [r for r in results if not r.ok]
    out(format_table(results))
    out("")
    total = time.monotonic() - started
    verdict = "all as expected" if not failed else f"{len(failed)} UNEXPECTED"
    out(f"smoke: {len(results)} checks, {verdict} (ready in {ready:.2f} s, total {total:.2f} s)")
    return 1 if failed else 0
