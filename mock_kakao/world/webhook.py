"""The unlink webhook: how the fake calls the app when a person disconnects on Kakao's side.

As Kakao does (kakao-api.md, "Unlink webhook"): after the unlink is done, one request to the
app's webhook URL, GET (fields in the query) or POST (a form body), with
``Authorization: KakaoAK <admin key>`` and ``app_id``, ``user_id``, ``referrer_type`` as strings;
redirects are not followed, the app has 3 s to answer, and there is no retry. Every delivery is
recorded (never the admin key) and listed by ``GET /_mock/webhooks``.

The webhook is the fake's one outgoing call, and its URL can be set by anyone who reaches the
admin API (``PATCH /_mock/app``): unless the fake runs with ``--allow-remote`` it only calls
this machine (:func:`may_call`), so no setting, fuzzed or typed, sends traffic off it.

Faults naming :data:`FAULT_PATH` apply to deliveries: ``latency`` delays one, any other kind
means it is never sent (Kakao's side failed), which is how a test shows what an app does about
a webhook that never came. Global faults (no ``path``) leave deliveries alone.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit, urlunsplit

import aiohttp
from yarl import URL

from mock_kakao.web.loopback import is_loopback_host
from mock_kakao.world.faults import Decision

REFERRER_TYPES = (
    "UNLINK_FROM_APPS",
    "ACCOUNT_DELETE",
    "FORCED_ACCOUNT_DELETE",
    "UNLINK_FROM_ADMIN",
    "INCOMPLETE_SIGN_UP",
)
DEFAULT_REFERRER_TYPE = "UNLINK_FROM_APPS"
#: Kakao's deadline for the app's answer
TIMEOUT_SECONDS = 3.0
#: the ``path`` a fault names to apply to webhook deliveries (no request ever has it)
FAULT_PATH = "/_webhooks/unlink"
MAX_DELIVERIES = 1000
FORM = "application/x-www-form-urlencoded;charset=utf-8"


def not_local(setting: str) -> str:
    """Why a webhook URL setting was refused: it names another machine."""
    return (
        f"{setting} must name this machine (localhost, 127.0.0.0/8 or [::1]) unless the "
        "fake runs with --allow-remote"
    )


NOT_LOCAL = not_local("unlink_webhook_url")


@dataclass(frozen=True)
class Delivery:
    """One webhook call as ``GET /_mock/webhooks`` shows it: what was sent and how it went."""

    time: str  # ISO 8601, UTC, on the fake's clock
    method: str
    url: str
    app_id: str
    user_id: str
    referrer_type: str
    status: int | None  # None: no HTTP answer (see ``error``)
    latency_ms: float
    error: str | None = None
    fault: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Record(Protocol):
    """A delivery record of any webhook: it shows itself as JSON."""

    def to_json(self) -> dict[str, Any]: ...


class WebhookLog:
    """The most recent :data:`MAX_DELIVERIES` deliveries of one webhook, oldest first."""

    def __init__(self) -> None:
        self._entries: deque[Record] = deque(maxlen=MAX_DELIVERIES)

    def append(self, delivery: Record) -> None:
        self._entries.append(delivery)

    def clear(self) -> None:
        self._entries.clear()

    def to_json(self) -> list[dict[str, Any]]:
        return [entry.to_json() for entry in self._entries]


def may_call(url: str, allow_remote: bool) -> bool:
    """Whether a delivery may go to ``url``: a loopback host, or any host with ``allow_remote``.

    The host is read as aiohttp will connect to it (yarl's parse, not urlsplit's), so a URL the
    two parsers split differently cannot pass here and go elsewhere.
    """
    if allow_remote:
        return True
    try:
        host = URL(url).host
    except (TypeError, ValueError):
        return False
    return host is not None and is_loopback_host(host)


def with_query(url: str, fields: dict[str, str]) -> str:
    """``url`` with ``fields`` added to whatever query it already has."""
    parts = urlsplit(url)
    query = "&".join(part for part in (parts.query, urlencode(fields)) if part)
    return urlunsplit(parts._replace(query=query))


@dataclass(frozen=True)
class Outcome:
    """How one outgoing call went: the part of a delivery record every webhook shares."""

    status: int | None  # None: no HTTP answer (see ``error``)
    latency_ms: float
    error: str | None
    fault: str | None


async def send(
    *,
    url: str,
    method: str,
    headers: dict[str, str],
    body: str | None,
    decision: Decision,
    allow_remote: bool,
    setting: str = "unlink_webhook_url",
) -> Outcome:
    """One outgoing call of any of the fake's webhooks (or none, under a fault or to another
    machine): the one place that applies faults, the this-machine rule and the timeout."""
    started = time.perf_counter()
    status: int | None = None
    error: str | None = None
    fault = decision.fault.kind if decision.fault else ("latency" if decision.delay_ms else None)
    if decision.delay_ms:
        await asyncio.sleep(decision.delay_ms / 1000)
    if decision.fault is not None:
        error = f"not sent: {decision.fault.kind} fault"
    elif not may_call(url, allow_remote):  # a users file's or a flag's URL: never sent off it
        error = f"not sent: {not_local(setting)}"
    else:
        status, error = await _send(url, method, headers, body)
    return Outcome(status, round((time.perf_counter() - started) * 1000, 1), error, fault)


async def deliver(
    *,
    url: str,
    method: str,
    admin_key: str,
    fields: dict[str, str],
    decision: Decision,
    stamp: str,
    allow_remote: bool = False,
) -> Delivery:
    """Send one unlink webhook delivery and describe what happened."""
    headers = {"Authorization": f"KakaoAK {admin_key}"}
    target, body = (with_query(url, fields), None) if method == "GET" else (url, urlencode(fields))
    if body is not None:
        headers["Content-Type"] = FORM
    outcome = await send(
        url=target,
        method=method,
        headers=headers,
        body=body,
        decision=decision,
        allow_remote=allow_remote,
    )
    return Delivery(
        time=stamp,
        method=method,
        url=url,
        app_id=fields["app_id"],
        user_id=fields["user_id"],
        referrer_type=fields["referrer_type"],
        status=outcome.status,
        latency_ms=outcome.latency_ms,
        error=outcome.error,
        fault=outcome.fault,
    )


async def _send(
    url: str, method: str, headers: dict[str, str], body: str | None
) -> tuple[int | None, str | None]:
    """(status, None) for any HTTP answer, 3xx included (not followed); (None, why) otherwise."""
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()) as http,
            http.request(method, url, data=body, headers=headers, allow_redirects=False) as r,
        ):
            await r.read()  # body ignored, as Kakao ignores it
            return r.status, None
    except TimeoutError:
        return None, f"no answer within {TIMEOUT_SECONDS:g} s"
    except (aiohttp.ClientError, OSError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:300]
