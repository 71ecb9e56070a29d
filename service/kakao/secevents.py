"""Kakao's account-status webhook as it reaches us: Security Event Tokens (Shared Signals).

Kakao POSTs one SET per event (kakao-api.md, "Webhooks and security events"; LIKELY):
`Content-Type: application/secevent+jwt`, a JWT with header `typ: secevent+jwt`, RS256 by
the keys of Kakao's JWKS (the id_tokens' keys, so the same cache: see
IdTokenVerifier.verified_claims), `iss` Kakao's issuer, `aud` our app key, `iat`, `jti` and
`events`: one event-type URI mapped to `{"subject": {"subject_type": "iss-sub", "iss", "sub"}}`.

Unlike the unlink webhook, a SET is signed and dated, so it is trusted on its own: no call to
Kakao. What is refused: a body that is not a SET (INVALID_SECURITY_EVENT, 400); one that does
not verify, names another app or issuer, or whose `iat` is outside the window
(SECURITY_EVENT_NOT_TRUSTED, 401). A `jti` seen before is a replay (service.flows, 409).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from service.errors import ApiError
from service.kakao.idtoken import IdTokenVerifier
from service.kakao.profile import USED_CONSENTS, as_kakao_id

CONTENT_TYPE = "application/secevent+jwt"
SET_TYPE = "secevent+jwt"
OAUTH = "https://schemas.openid.net/secevent/oauth/event-type/"
RISC = "https://schemas.openid.net/secevent/risc/event-type/"
USER_UNLINKED = OAUTH + "user-unlinked"
USER_LINKED = OAUTH + "user-linked"
SCOPE_CONSENT = OAUTH + "user-scope-consent"
SCOPE_WITHDRAW = OAUTH + "user-scope-withdraw"
ACCOUNT_PURGED = RISC + "account-purged"
KNOWN_EVENTS = (USER_UNLINKED, USER_LINKED, SCOPE_CONSENT, SCOPE_WITHDRAW, ACCOUNT_PURGED)
#: a SET older than this (by its `iat`) is refused: a recorded SET cannot be replayed later,
#: and the `jti`s kept to refuse replays within it stay few (service.store.secevents)
MAX_AGE_SECONDS = 300
#: a SET dated this far in our future is refused (clock skew allowed)
MAX_FUTURE_SECONDS = 60
MAX_JTI_LENGTH = 255
#: the consent items the service reads: a withdrawal of any other changes nothing here
USED_SCOPES = frozenset(USED_CONSENTS.values())


@dataclass(frozen=True)
class SecurityEvent:
    jti: str
    event_type: str  # the URI
    kakao_id: int
    #: the consent items a scope event names (empty for the other events)
    scopes: tuple[str, ...]

    @property
    def known(self) -> bool:
        return self.event_type in KNOWN_EVENTS


def check_media_type(content_type: str | None) -> None:
    """INVALID_SECURITY_EVENT unless the body is declared a SET (RFC 8935 §2)."""
    media = (content_type or "").partition(";")[0].strip().lower()
    if media != CONTENT_TYPE:
        raise ApiError("INVALID_SECURITY_EVENT")


async def verify(
    verifier: IdTokenVerifier, raw: bytes, *, now: float | None = None
) -> SecurityEvent:
    """The event of a SET Kakao signed for us; INVALID_SECURITY_EVENT or
    SECURITY_EVENT_NOT_TRUSTED otherwise (KAKAO_* when Kakao's keys were never fetched)."""
    try:
        token = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        raise ApiError("INVALID_SECURITY_EVENT") from None
    if token.count(".") != 2:
        raise ApiError("INVALID_SECURITY_EVENT")
    try:
        claims = await verifier.verified_claims(
            token, required=["iss", "aud"], typ=SET_TYPE, own_checks=("iat", "jti")
        )
    except ApiError as error:
        if error.code in ("INVALID_TOKEN", "TOKEN_FOR_ANOTHER_APP", "ID_TOKEN_NOT_ACCEPTED"):
            raise ApiError("SECURITY_EVENT_NOT_TRUSTED") from None
        raise  # Kakao's JWKS could not be had: KAKAO_UNAVAILABLE and the like
    # checked here, not by PyJWT: a missing or mistyped claim is a malformed SET (400)
    iat, jti, events = claims.get("iat"), claims.get("jti"), claims.get("events")
    if type(iat) is not int:
        raise ApiError("INVALID_SECURITY_EVENT")
    current = time.time() if now is None else now
    if not current - MAX_AGE_SECONDS <= iat <= current + MAX_FUTURE_SECONDS:
        raise ApiError("SECURITY_EVENT_NOT_TRUSTED")
    if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_LENGTH or not jti.isprintable():
        raise ApiError("INVALID_SECURITY_EVENT")
    if not isinstance(events, dict) or len(events) != 1:
        raise ApiError("INVALID_SECURITY_EVENT")  # Shared Signals: one event per SET
    [(event_type, body)] = events.items()
    if not isinstance(body, dict):
        raise ApiError("INVALID_SECURITY_EVENT")
    kakao_id = _subject(body.get("subject"), verifier.issuer)
    scopes = _scopes(body.get("scope")) if event_type in (SCOPE_CONSENT, SCOPE_WITHDRAW) else ()
    return SecurityEvent(jti=jti, event_type=event_type, kakao_id=kakao_id, scopes=scopes)


def _subject(subject: object, issuer: str) -> int:
    """The Kakao id of an `iss-sub` subject of Kakao's (another issuer's subject is not ours)."""
    if not isinstance(subject, dict) or subject.get("subject_type") != "iss-sub":
        raise ApiError("INVALID_SECURITY_EVENT")
    if subject.get("iss") != issuer:
        raise ApiError("SECURITY_EVENT_NOT_TRUSTED")
    sub = subject.get("sub")
    if not (isinstance(sub, str) and 0 < len(sub) <= 19 and sub.isascii() and sub.isdigit()):
        raise ApiError("INVALID_SECURITY_EVENT")
    kakao_id = as_kakao_id(int(sub))
    if kakao_id is None or str(kakao_id) != sub:
        raise ApiError("INVALID_SECURITY_EVENT")
    return kakao_id


def _scopes(scope: object) -> tuple[str, ...]:
    """The consent items of a scope event's `scope` (space-separated, the fake's choice where
    Kakao's shape is unknown; a list is taken too)."""
    items = scope.split() if isinstance(scope, str) else scope
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        raise ApiError("INVALID_SECURITY_EVENT")
    if any(not 0 < len(item) <= 64 for item in items):
        raise ApiError("INVALID_SECURITY_EVENT")
    return tuple(dict.fromkeys(items))
