"""The account-status webhook: Security Event Tokens the fake POSTs to the app (Shared Signals).

As kakao-api.md says Kakao does ("Webhooks and security events"; the shape is LIKELY, seen in
third-party code): one ``POST`` to the app's ``account_status_webhook_url`` whose body is a
Security Event Token (RFC 8417), ``Content-Type: application/secevent+jwt``, header
``typ: secevent+jwt``, RS256 with the same keys as the id_tokens (so the app verifies it with
kauth's JWKS), claims ``iss`` (the fake's issuer), ``aud`` (the app's REST API key), ``iat``,
``jti`` and ``events``: one event-type URI mapped to ``{"subject": {"subject_type": "iss-sub",
"iss", "sub"}, ...}``. The app must answer 202 Accepted.

The fake's choices where nothing is known: the scope events name the consent items in a
``scope`` member (space-separated, as OAuth writes scopes); ``reason`` is sent only when the
trigger gives one. The delivery goes through :func:`mock_kakao.world.webhook.send` (faults,
this-machine rule, 3 s, no redirects, no retry), and is recorded with the SET itself, so a
test can replay it.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from mock_kakao.world import webhook
from mock_kakao.world.faults import Decision
from mock_kakao.world.signing import KeyRing

OAUTH = "https://schemas.openid.net/secevent/oauth/event-type/"
RISC = "https://schemas.openid.net/secevent/risc/event-type/"
#: the events ``POST /_mock/users/{id}/events`` sends, by the name it takes
EVENT_TYPES = {
    "user-unlinked": OAUTH + "user-unlinked",
    "user-linked": OAUTH + "user-linked",
    "user-scope-consent": OAUTH + "user-scope-consent",
    "user-scope-withdraw": OAUTH + "user-scope-withdraw",
    "account-purged": RISC + "account-purged",
}
#: the events that name consent items (``scope``)
SCOPE_EVENTS = ("user-scope-consent", "user-scope-withdraw")
SET_TYPE = "secevent+jwt"
CONTENT_TYPE = "application/secevent+jwt"
#: the answer the app must give (kakao-api.md: the receiver answers 202)
ACCEPTED = 202
#: the ``path`` a fault names to apply to these deliveries (no request ever has it)
FAULT_PATH = "/_webhooks/account_status"
SETTING = "account_status_webhook_url"
#: kauth's transmitter configuration document (kakao-api.md, CONFIRMED)
CONFIGURATION_PATH = "/.well-known/sse-configuration"
PUSH_DELIVERY = "http://schemas.openid.net/secevent/risc/delivery-method/push"


@dataclass(frozen=True)
class EventDelivery:
    """One SET delivery as ``GET /_mock/security_events`` shows it."""

    time: str  # ISO 8601, UTC, on the fake's clock
    url: str
    event: str  # the short name, e.g. account-purged
    event_type: str  # the URI keying ``events``
    user_id: str
    jti: str
    token: str  # the SET sent (signed, public: a test may replay it)
    status: int | None  # None: no HTTP answer (see ``error``)
    accepted: bool  # the app answered 202
    latency_ms: float
    error: str | None = None
    fault: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def configuration(issuer: str, base: str) -> dict[str, Any]:
    """The transmitter configuration, as Kakao publishes it (``delivery_methods_supported``
    is one string there, not a list)."""
    return {
        "issuer": issuer,
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "delivery_methods_supported": PUSH_DELIVERY,
    }


def event_claims(
    *,
    event: str,
    user_id: int,
    iss: str,
    aud: str,
    iat: int,
    scopes: Sequence[str] = (),
    reason: str | None = None,
    jti: str | None = None,
) -> dict[str, Any]:
    """The SET's claims for ``event`` (a key of EVENT_TYPES) about ``user_id``."""
    body: dict[str, Any] = {"subject": {"subject_type": "iss-sub", "iss": iss, "sub": str(user_id)}}
    if event in SCOPE_EVENTS:
        body["scope"] = " ".join(scopes)
    if reason is not None:
        body["reason"] = reason
    return {
        "iss": iss,
        "aud": aud,
        "iat": iat,
        "jti": jti or secrets.token_hex(16),
        "events": {EVENT_TYPES[event]: body},
    }


async def deliver(
    *,
    url: str,
    keys: KeyRing,
    claims: dict[str, Any],
    event: str,
    user_id: int,
    decision: Decision,
    stamp: str,
    allow_remote: bool = False,
) -> EventDelivery:
    """Sign ``claims`` and POST them to ``url``; what happened."""
    token = keys.sign(claims, typ=SET_TYPE)
    outcome = await webhook.send(
        url=url,
        method="POST",
        headers={"Content-Type": CONTENT_TYPE},
        body=token,
        decision=decision,
        allow_remote=allow_remote,
        setting=SETTING,
    )
    return EventDelivery(
        time=stamp,
        url=url,
        event=event,
        event_type=EVENT_TYPES[event],
        user_id=str(user_id),
        jti=claims["jti"],
        token=token,
        status=outcome.status,
        accepted=outcome.status == ACCEPTED,
        latency_ms=outcome.latency_ms,
        error=outcome.error,
        fault=outcome.fault,
    )
