"""The fake's state as one document: what ``--state`` saves and ``/_mock/state`` exports/imports.

A few plain, typed parts (design.md, "Where the design grows"): the clock's offset, the app's
settings, the users, who has let the app in (and with what consent: what ``prompt=none``
reuses), the grants with their access tokens, and the faults. Times are absolute on the fake's
clock, so a token keeps its expiry across a restart and the clock's offset carries on.
A token whose value was given (users file, admin API) says ``"fixed": true``: the fake never
purges it (state.py, :meth:`~mock_kakao.world.state.FakeKakao.purge`), so the mark must survive.

Not in it: authorization codes in flight (ten-minute, single-use), the request log and the
webhook deliveries (history, not state), and the id_token signing keys, whose private halves
must never reach the admin API: they stay in their key file (``persist.keys_file_for``).

Parsing reuses the users file's readers (the user object is ``FakeUser.to_json()``, read back by
``new_user``; the app part is the users file's ``app`` section; faults are ``parse_faults``), so
a field added there flows through here, and the whole document is checked before anything
changes: a bad import is a 400 and the state stays as it was. The app part is what the document
asks for; settings pinned by flags keep their values when it is applied
(``FakeKakao.import_snapshot``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mock_kakao.files import validation as v
from mock_kakao.web.errors import InvalidInput
from mock_kakao.world.consentitems import canonical_order, valid_item_id
from mock_kakao.world.faults import Fault, parse_faults
from mock_kakao.world.idtoken import MAX_NONCE_CHARS, OidcLogin
from mock_kakao.world.kakaoapp import AppSettings, parse_app_section
from mock_kakao.world.users import PROFILE_FIELDS, Consent, FakeUser, new_user

STATE_VERSION = 1
PARTS = ("version", "clock", "app", "users", "linked", "grants", "faults")
USER_FIELDS = ("id", *PROFILE_FIELDS)
GRANT_FIELDS = (
    "user_id",
    "app_id",
    "refresh_token",
    "refresh_expires_at",
    "access_ttl",
    "consent",
    "oidc",
    "access_tokens",
    "fixed",
)
#: an absolute time on the fake's clock: epoch seconds, far beyond any date it computes
MAX_TIME = 10**10


@dataclass(frozen=True)
class TokenState:
    access_token: str
    expires_at: float
    fixed: bool = False  # a value the users file or the admin API gave: never purged


@dataclass(frozen=True)
class GrantState:
    """A grant (see tokens.Grant) and its live access tokens, detached from the running fake."""

    user_id: int
    app_id: int
    refresh_token: str
    refresh_expires_at: float
    access_ttl: int
    consent: Consent | None
    oidc: OidcLogin | None
    access_tokens: tuple[TokenState, ...]
    fixed: bool = False  # the refresh token's value was given: never purged


@dataclass(frozen=True)
class Snapshot:
    clock_offset: float
    app: AppSettings
    users: tuple[FakeUser, ...]
    #: who has let the app in, with the consent they gave (None: the user's own flags)
    linked: tuple[tuple[int, Consent | None], ...]
    grants: tuple[GrantState, ...]
    faults: tuple[Fault, ...]

    def to_json(self) -> dict[str, Any]:
        app = dataclasses.asdict(self.app)
        return {
            "version": STATE_VERSION,
            "clock": {"offset": self.clock_offset},
            "app": {key: list(val) if isinstance(val, tuple) else val for key, val in app.items()},
            "users": [user.to_json() for user in self.users],
            "linked": [
                {"user_id": user_id, "consent": _consent_json(consent)}
                for user_id, consent in self.linked
            ],
            "grants": [_grant_json(grant) for grant in self.grants],
            "faults": [fault.to_json() for fault in self.faults],
        }


def _consent_json(consent: Consent | None) -> dict[str, Any] | None:
    return None if consent is None else {"agreed": canonical_order(consent.agreed)}


def _grant_json(grant: GrantState) -> dict[str, Any]:
    return {
        "user_id": grant.user_id,
        "app_id": grant.app_id,
        "refresh_token": grant.refresh_token,
        "refresh_expires_at": grant.refresh_expires_at,
        "access_ttl": grant.access_ttl,
        "consent": _consent_json(grant.consent),
        "oidc": None if grant.oidc is None else dataclasses.asdict(grant.oidc),
        "access_tokens": [_token_json(token) for token in grant.access_tokens],
        **_fixed_json(grant.fixed),
    }


def _fixed_json(fixed: bool) -> dict[str, bool]:
    """``"fixed": true`` on what is pinned; left out otherwise (most tokens are minted)."""
    return {"fixed": True} if fixed else {}


def _token_json(token: TokenState) -> dict[str, Any]:
    return {
        "access_token": token.access_token,
        "expires_at": token.expires_at,
        **_fixed_json(token.fixed),
    }


# -- reading ---------------------------------------------------------------------------------


def parse_snapshot(data: Any) -> Snapshot:
    """The document, fully checked (InvalidInput naming the first problem), or nothing."""
    data = v.expect_object(data, "the state")
    v.reject_unknown(data, PARTS, "state")
    version = v.get_int(data, "version", minimum=0, maximum=2**31)
    if version != STATE_VERSION:
        raise InvalidInput("INVALID_FIELD", f"version must be {STATE_VERSION}")
    for part in PARTS[1:]:
        if part not in data:
            raise InvalidInput("MISSING_FIELD", f"{part} is required")
    users = tuple(_user(item) for item in v.get_list(data, "users"))
    known = {user.id for user in users}
    if len(known) != len(users):
        raise InvalidInput("INVALID_FIELD", "users: a user id appears twice")
    linked = tuple(_link(item, known) for item in v.get_list(data, "linked"))
    if len({user_id for user_id, _ in linked}) != len(linked):
        raise InvalidInput("INVALID_FIELD", "linked: a user id appears twice")
    grants = tuple(_grant(item, known) for item in v.get_list(data, "grants"))
    _refuse_repeated_tokens(grants)
    return Snapshot(
        clock_offset=_clock_offset(data["clock"]),
        app=_app(data["app"]),
        users=users,
        linked=linked,
        grants=grants,
        faults=tuple(parse_faults(data["faults"])),
    )


def _clock_offset(data: Any) -> float:
    data = v.expect_object(data, "clock")
    v.reject_unknown(data, ("offset",), "clock")
    span = v.MAX_SPAN_SECONDS
    return float(v.get_number(data, "offset", minimum=-span, maximum=span))


def _app(data: Any) -> AppSettings:
    """Every setting of the app; one left out takes its default."""
    return AppSettings(**parse_app_section(data)).checked()


def _user(data: Any) -> FakeUser:
    data = v.expect_object(data, "a user")
    v.reject_unknown(data, USER_FIELDS, "user")
    if "connected_at" not in data:
        raise InvalidInput("MISSING_FIELD", "connected_at is required")
    return new_user(data, connected_at=data["connected_at"])


def _known_user(data: Mapping[str, Any], known: set[int], what: str) -> int:
    user_id = v.get_int(data, "user_id", minimum=1, maximum=v.MAX_USER_ID)
    if user_id not in known:
        raise InvalidInput("INVALID_FIELD", f"{what}: user {user_id} is not in users")
    return user_id


def _link(data: Any, known: set[int]) -> tuple[int, Consent | None]:
    data = v.expect_object(data, "a linked entry")
    v.reject_unknown(data, ("user_id", "consent"), "linked entry")
    return _known_user(data, known, "linked"), _consent(data.get("consent"))


def _consent(data: Any) -> Consent | None:
    """A consent object (``{"agreed": [consent item ids]}``), or null."""
    if data is None:
        return None
    data = v.expect_object(data, "consent")
    v.reject_unknown(data, ("agreed",), "consent")
    agreed = v.get_list(data, "agreed")
    if not all(valid_item_id(item) for item in agreed):
        raise InvalidInput("INVALID_FIELD", "consent.agreed must list consent item ids")
    return Consent(frozenset(agreed))


def _time(data: Mapping[str, Any], key: str) -> float:
    return float(v.get_number(data, key, minimum=0, maximum=MAX_TIME))


def _token_value(data: Mapping[str, Any], key: str) -> str:
    value = v.get_str(data, key)
    if not value or any(c.isspace() for c in value):
        raise InvalidInput("INVALID_FIELD", f"{key} must be a non-empty string without spaces")
    return value


def _oidc(data: Any) -> OidcLogin | None:
    if data is None:
        return None
    data = v.expect_object(data, "oidc")
    v.reject_unknown(data, ("aud", "auth_time", "nonce", "openid_scope"), "oidc")
    aud = v.get_str(data, "aud")
    nonce = v.get_str(data, "nonce", None, nullable=True)
    if not aud:
        raise InvalidInput("INVALID_FIELD", "aud must not be empty")
    if nonce is not None and not 0 < len(nonce) <= MAX_NONCE_CHARS:
        raise InvalidInput("INVALID_FIELD", f"nonce must be 1 to {MAX_NONCE_CHARS} characters")
    return OidcLogin(
        aud=aud,
        auth_time=v.get_int(data, "auth_time", minimum=0, maximum=MAX_TIME),
        nonce=nonce,
        openid_scope=v.get_bool(data, "openid_scope", False),
    )


def _access_token(data: Any) -> TokenState:
    data = v.expect_object(data, "an access token")
    v.reject_unknown(data, ("access_token", "expires_at", "fixed"), "access token")
    return TokenState(
        _token_value(data, "access_token"),
        _time(data, "expires_at"),
        fixed=v.get_bool(data, "fixed", False),
    )


def _grant(data: Any, known: set[int]) -> GrantState:
    data = v.expect_object(data, "a grant")
    v.reject_unknown(data, GRANT_FIELDS, "grant")
    return GrantState(
        user_id=_known_user(data, known, "grant"),
        app_id=v.get_int(data, "app_id", minimum=1, maximum=v.MAX_APP_ID),
        refresh_token=_token_value(data, "refresh_token"),
        refresh_expires_at=_time(data, "refresh_expires_at"),
        access_ttl=v.get_int(data, "access_ttl", minimum=1, maximum=v.MAX_SPAN_SECONDS),
        consent=_consent(data.get("consent")),
        oidc=_oidc(data.get("oidc")),
        access_tokens=tuple(_access_token(item) for item in v.get_list(data, "access_tokens")),
        fixed=v.get_bool(data, "fixed", False),
    )


def _refuse_repeated_tokens(grants: tuple[GrantState, ...]) -> None:
    """Every token string names one grant (as the users file requires): no value twice."""
    values = [grant.refresh_token for grant in grants]
    values += [token.access_token for grant in grants for token in grant.access_tokens]
    if len(set(values)) != len(values):
        raise InvalidInput(
            "INVALID_FIELD", "grants: a token value appears twice (every token is unique)"
        )
