"""FakeKakao: everything the fake knows -- users, grants, tokens, codes, faults, clock, log.

All mutations happen on the server's event loop (handlers call these methods synchronously,
without awaiting in between), so there are no locks and no races. Everything that expires
reads :attr:`FakeKakao.clock`, which tests move forward instead of sleeping.
"""

from __future__ import annotations

import dataclasses
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mock_kakao.files import validation as v
from mock_kakao.files.usersfile import BUNDLED, UsersFileError, load_document
from mock_kakao.web import errors
from mock_kakao.web.errors import ControlError, InvalidInput, KauthError
from mock_kakao.world import pkce
from mock_kakao.world.faults import Fault, FaultBook, parse_faults
from mock_kakao.world.idtoken import OidcLogin, requested_login
from mock_kakao.world.kakaoapp import KakaoApp, parse_app_section
from mock_kakao.world.requestlog import RequestLog
from mock_kakao.world.serviceterms import Agreement
from mock_kakao.world.snapshot import GrantState, Snapshot, TokenState
from mock_kakao.world.tokens import (
    ACCESS_TOKEN_TTL,
    AUTH_CODE_TTL,
    MAX_ACCESS_TOKENS_PER_GRANT,
    MAX_CODES_PER_USER,
    MAX_GRANTS_PER_USER,
    PURGE_INTERVAL,
    REFRESH_ROTATION_WINDOW,
    REFRESH_TOKEN_TTL,
    AccessToken,
    AuthCode,
    Grant,
    SingleUse,
    TokenSpec,
    forgettable,
    new_secret,
    parse_token_spec,
    surplus_grants,
)
from mock_kakao.world.users import PROFILE_FIELDS, Consent, FakeUser, new_user, patched
from mock_kakao.world.webhook import WebhookLog

DEFAULT_APP_ID = 10001

USER_FIELDS = ("id", "tokens", "faults", *PROFILE_FIELDS)


class Clock:
    """Wall-clock time plus an offset that tests advance instead of sleeping.

    The offset stays within ±``MAX_SPAN_SECONDS`` (ten years): every expiry and date the fake
    computes from it (``connected_at``, the request log's times) must stay a valid datetime,
    or every later request would answer 500.
    """

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> float:
        """Move by ``seconds`` (either way), or InvalidInput if that leaves the bounds."""
        offset = self.offset + seconds
        if not -v.MAX_SPAN_SECONDS <= offset <= v.MAX_SPAN_SECONDS:
            raise InvalidInput(
                "INVALID_FIELD",
                f"advance would put the clock {offset:.0f} s from real time; "
                f"the offset stays within ±{v.MAX_SPAN_SECONDS} s (ten years)",
            )
        self.offset = offset
        return self.now()


@dataclass(frozen=True)
class NewUser:
    """A parsed user-file entry or ``POST /_mock/users`` body, validated before anything changes."""

    user: FakeUser
    tokens: list[TokenSpec] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)


class FakeKakao:
    """The fake's whole state, rebuilt from the users file by :meth:`reset`."""

    def __init__(
        self,
        document: Mapping[str, Any] | None = None,
        *,
        app_id: int | None = None,
        app: KakaoApp | None = None,
    ) -> None:
        self._document = v.expect_object(document or {"users": []}, "the users file")
        file_app_id = v.get_int(
            self._document, "app_id", DEFAULT_APP_ID, minimum=1, maximum=v.MAX_APP_ID
        )
        self.app_id: int = app_id if app_id is not None else file_app_id
        self.clock = Clock()
        self.app = app or KakaoApp()  # keys, registered URLs, OIDC switch, signing keys
        self.log = RequestLog()
        self.webhooks = WebhookLog()  # unlink webhook deliveries
        self.security_events = WebhookLog()  # account-status webhook deliveries (SETs)
        self.faults = FaultBook()
        self.users: dict[int, FakeUser] = {}
        self._access: dict[str, AccessToken] = {}
        self._grants: dict[str, Grant] = {}  # by refresh token
        #: the same grants by (user id, app id), oldest first: what the per-user cap counts,
        #: without a scan of everyone's grants per login (kept in step by _reindex)
        self._owned: dict[tuple[int, int], list[Grant]] = {}
        self._codes: dict[str, AuthCode] = {}
        # Who has let the app in, and with what consent (None: the user's own flags). It is
        # what ``prompt=none`` needs to know; unlink forgets it.
        self._linked: dict[int, Consent | None] = {}
        #: single-use marks (the login pages' decision forms); not state: kept across a reset
        self._spent = SingleUse()
        #: when (fake's clock) the next mint sweeps out what has run out (:meth:`purge`)
        self._next_purge = 0.0
        #: bumped around every request the server handles (app.py's change middleware), so the
        #: state saver (persist.py) knows when to look for a change: nothing in a handler can
        #: change the state without a bump after it, however the change was made
        self.version = 0
        self.reset(forget_keys=False)

    @classmethod
    def from_file(
        cls, path: str | Path | None = None, app_id: int | None = None, **kwargs: Any
    ) -> FakeKakao:
        """Load ``path`` (JSON or TOML), or the bundled default users when ``path`` is None."""
        try:
            return cls(load_document(path), app_id=app_id, **kwargs)
        except ControlError as exc:
            raise UsersFileError(f"{path or BUNDLED}: {exc.detail}") from exc

    # -- whole state ---------------------------------------------------------------------

    def reset(self, *, forget_keys: bool = True) -> None:
        """Back to the users file: users, tokens, faults, clock and request log.

        ``forget_keys``: replaced signing keys leave the JWKS (not at start: a key file's
        replaced keys stay published until they retire, so a restart is not a reset).

        Built from the file and a fresh clock only, never from the state being thrown away:
        whatever a test did to that, reset must work.
        """
        document = self._document
        clock = Clock()
        v.reject_unknown(document, ("app_id", "app", "users", "faults"), "users file")
        app_section = parse_app_section(document.get("app", {}))
        entries = [self.parse_user(item, clock) for item in v.get_list(document, "users")]
        global_faults = parse_faults(document.get("faults", []))
        self.app.reset(app_section, forget_keys=forget_keys)
        self.clock = clock
        self.log.clear()
        self.webhooks.clear()
        self.security_events.clear()
        self.users.clear()
        self._access.clear()
        self._grants.clear()
        self._owned.clear()
        self._codes.clear()
        self._linked.clear()
        self.faults.replace(global_faults)
        for entry in entries:
            self._insert(entry)

    def touch(self) -> None:
        """Something may have changed (see :attr:`version`)."""
        self.version += 1

    def snapshot(self) -> Snapshot:
        """The state that survives a restart, detached from the live objects (snapshot.py)."""
        self._maybe_purge()  # the saver calls this each second: a moved clock empties the file
        tokens: dict[int, list[TokenState]] = {}
        for token in self._access.values():
            tokens.setdefault(id(token.grant), []).append(
                TokenState(token.value, token.expires_at, fixed=token.fixed)
            )
        grants = tuple(
            GrantState(
                user_id=grant.user_id,
                app_id=grant.app_id,
                refresh_token=grant.refresh_token,
                refresh_expires_at=grant.refresh_expires_at,
                access_ttl=grant.access_ttl,
                consent=grant.consent,
                oidc=grant.oidc,
                access_tokens=tuple(tokens.get(id(grant), ())),
                fixed=grant.fixed,
            )
            for grant in self._grants.values()
        )
        return Snapshot(
            clock_offset=self.clock.offset,
            app=self.app.settings,
            users=tuple(self.users.values()),
            linked=tuple(self._linked.items()),
            grants=grants,
            faults=tuple(dataclasses.replace(fault) for fault in self.faults),
        )

    def import_snapshot(self, snapshot: Snapshot) -> tuple[str, ...]:
        """Restore ``snapshot`` with the pinned app settings kept (kakaoapp.py: a flag beats a
        state); the pinned settings it would have changed, so the caller can say so.
        InvalidInput, before anything changes, if its settings clash with the pins."""
        overridden = self.app.pins_overridden(snapshot.app)
        self.restore(dataclasses.replace(snapshot, app=self.app.under_pins(snapshot.app)))
        return overridden

    def restore(self, snapshot: Snapshot) -> None:
        """Replace the state with a checked snapshot (cannot fail half way). Codes in flight
        are dropped; the request log and webhook deliveries, which are not state, stay."""
        self.clock.offset = snapshot.clock_offset
        self.app.settings = snapshot.app
        self.users.clear()
        self.users.update((user.id, user) for user in snapshot.users)
        self._linked = dict(snapshot.linked)
        self._codes.clear()
        self._access.clear()
        self._grants.clear()
        for saved in snapshot.grants:
            grant = Grant(
                user_id=saved.user_id,
                app_id=saved.app_id,
                refresh_token=saved.refresh_token,
                refresh_expires_at=saved.refresh_expires_at,
                consent=saved.consent,
                oidc=saved.oidc,
                access_ttl=saved.access_ttl,
                fixed=saved.fixed,
            )
            self._grants[grant.refresh_token] = grant
            for token in sorted(saved.access_tokens, key=lambda t: t.expires_at):
                self._access[token.access_token] = AccessToken(
                    token.access_token, grant, token.expires_at, fixed=token.fixed
                )
                if token.fixed:
                    grant.holds_fixed = True
                else:
                    grant.minted.append(token.access_token)
            self._cap_minted(grant)
        self._reindex()
        for owner in list(self._owned):  # a state saved before the cap, or written by hand
            self._cap_grants(owner)
        self._next_purge = 0.0
        self.faults.replace(dataclasses.replace(fault) for fault in snapshot.faults)

    # -- users ---------------------------------------------------------------------------

    def parse_user(self, data: Any, clock: Clock | None = None) -> NewUser:
        """A user entry, validated; ``clock`` (default: the fake's) dates ``connected_at``."""
        data = v.expect_object(data, "a user")
        v.reject_unknown(data, USER_FIELDS, "user")
        now = datetime.fromtimestamp((clock or self.clock).now(), UTC)
        user = new_user(data, connected_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"))
        tokens = [parse_token_spec(t) for t in v.get_list(data, "tokens")]
        faults = parse_faults(data.get("faults", []), user_id=user.id)
        return NewUser(user, tokens, faults)

    def add_user(self, data: Any) -> FakeUser:
        entry = self.parse_user(data)
        self._insert(entry)
        return entry.user

    def _insert(self, entry: NewUser) -> None:
        if entry.user.id in self.users:
            raise ControlError(409, "USER_EXISTS", f"user {entry.user.id} already exists")
        self._refuse_taken(entry.tokens)
        self.users[entry.user.id] = entry.user
        self._linked[entry.user.id] = None
        for spec in entry.tokens:
            self.issue_token(entry.user.id, spec)
        for fault in entry.faults:
            self.faults.add(fault)

    def get_user(self, user_id: int) -> FakeUser:
        try:
            return self.users[user_id]
        except KeyError:
            raise ControlError(404, "USER_NOT_FOUND", f"no user with id {user_id}") from None

    def update_user(self, user_id: int, data: Any) -> FakeUser:
        user = patched(self.get_user(user_id), v.expect_object(data, "the PATCH body"))
        self.users[user_id] = user
        return user

    def set_service_terms(self, user_id: int, agreements: Mapping[str, Agreement]) -> FakeUser:
        """What ``user_id`` has agreed to of the app's service terms (consent page, kapi)."""
        user = dataclasses.replace(self.get_user(user_id), service_terms=dict(agreements))
        self.users[user_id] = user
        return user

    def delete_user(self, user_id: int) -> None:
        self.get_user(user_id)
        del self.users[user_id]
        self._revoke(lambda grant: grant.user_id == user_id)
        self._codes = {k: c for k, c in self._codes.items() if c.user_id != user_id}
        self._linked.pop(user_id, None)
        self.faults.remove_user(user_id)

    def user_json(self, user: FakeUser) -> dict[str, Any]:
        """The admin API's user object: the profile and the user's live tokens in full."""
        now = self.clock.now()
        tokens = [t.to_control_json(now) for t in self._access.values() if t.user_id == user.id]
        return {**user.to_json(), "tokens": tokens}

    def users_json(self) -> list[dict[str, Any]]:
        """Every user as :meth:`user_json` shows one, the tokens grouped in one pass: a user
        at a time would walk every token per user, and run_all's start (which lists the
        users) then timed out on a state of 11,000 users."""
        now = self.clock.now()
        tokens: dict[int, list[dict[str, Any]]] = {user_id: [] for user_id in self.users}
        for token in self._access.values():
            if token.user_id in tokens:
                tokens[token.user_id].append(token.to_control_json(now))
        return [{**user.to_json(), "tokens": tokens[user.id]} for user in self.users.values()]

    # -- tokens --------------------------------------------------------------------------

    def issue_token(
        self,
        user_id: int,
        spec: TokenSpec | None = None,
        *,
        consent: Consent | None = None,
        oidc: OidcLogin | None = None,
        access_ttl: int = ACCESS_TOKEN_TTL,
    ) -> AccessToken:
        """A new grant for ``user_id`` and its first access token (admin API, file, code flow).

        ``access_ttl``: the lifetime of the grant's access tokens (the first one's is the
        spec's ``expires_in`` when a spec is given), which depends on the key of the login.
        """
        spec = spec or TokenSpec(expires_in=access_ttl)
        self.get_user(user_id)
        self._refuse_taken([spec])
        now = self.clock.now()
        grant = Grant(
            user_id=user_id,
            app_id=spec.app_id if spec.app_id is not None else self.app_id,
            refresh_token=spec.refresh_token or new_secret(),
            refresh_expires_at=now + spec.refresh_token_expires_in,
            consent=consent,
            oidc=oidc,
            access_ttl=access_ttl,
            fixed=spec.refresh_token is not None,
        )
        self._grants[grant.refresh_token] = grant
        if grant.app_id == self.app_id:
            self._linked[user_id] = consent
        token = self._mint(grant, spec.access_token, spec.expires_in)
        owner = (grant.user_id, grant.app_id)
        self._owned.setdefault(owner, []).append(grant)
        self._cap_grants(owner)
        return token

    def _refuse_taken(self, specs: Iterable[TokenSpec]) -> None:
        """409 if a fixed token value is already in use, as an access or a refresh token.

        Every token string names exactly one grant: reusing one would silently take it from
        its owner (the dicts are keyed by value), so another user's fixed token, or a value
        given twice in one request, is refused before anything changes.
        """
        wanted = [
            value
            for spec in specs
            for value in (spec.access_token, spec.refresh_token)
            if value is not None
        ]
        taken = any(value in self._access or value in self._grants for value in wanted)
        if taken or len(set(wanted)) != len(wanted):
            raise ControlError(
                409,
                "TOKEN_EXISTS",
                "a fixed token is already in use (every access and refresh token is unique)",
            )

    def _mint(self, grant: Grant, value: str | None = None, ttl: int | None = None) -> AccessToken:
        """A new access token of ``grant``: ``value`` given is a fixed one (kept for good);
        a minted one may push the grant's oldest minted token out (the per-grant cap)."""
        self._maybe_purge()
        ttl = grant.access_ttl if ttl is None else ttl
        fixed = value is not None
        token = AccessToken(value or new_secret(), grant, self.clock.now() + ttl, fixed=fixed)
        self._access[token.value] = token
        if fixed:
            grant.holds_fixed = True  # a pinned value: the per-user cap never drops its grant
        else:
            grant.minted.append(token.value)
            self._cap_minted(grant)
        return token

    def _cap_minted(self, grant: Grant) -> None:
        while len(grant.minted) > MAX_ACCESS_TOKENS_PER_GRANT:
            self._access.pop(grant.minted.popleft(), None)

    def _cap_grants(self, owner: tuple[int, int]) -> None:
        """Revoke the grants of ``owner`` (user id, app id) past MAX_GRANTS_PER_USER, oldest
        first: their tokens then answer as tokens that do not exist. A loop of logins and code
        exchanges would otherwise keep a two-month refresh token per round."""
        mine = self._owned.get(owner, [])
        if len(mine) <= MAX_GRANTS_PER_USER:
            return
        doomed = surplus_grants(mine)
        for grant in doomed:
            # neither fixed nor holding a fixed token: its access tokens are all in `minted`
            for value in grant.minted:
                self._access.pop(value, None)
            del self._grants[grant.refresh_token]
        gone = {id(grant) for grant in doomed}
        self._owned[owner] = [grant for grant in mine if id(grant) not in gone]

    def _reindex(self) -> None:
        """Rebuild :attr:`_owned` from :attr:`_grants` (after a sweep, a revoke, a restore)."""
        self._owned = {}
        for grant in self._grants.values():
            self._owned.setdefault((grant.user_id, grant.app_id), []).append(grant)

    # -- forgetting ----------------------------------------------------------------------

    def purge(self) -> None:
        """Forget what has run out on the fake's clock: access and refresh tokens an hour past
        their expiry (EXPIRED_TOKEN_GRACE; fixed ones never), grants left with neither, codes
        and single-use marks at expiry."""
        now = self.clock.now()
        self._access = {
            value: token
            for value, token in self._access.items()
            if token.fixed or not forgettable(token.expires_at, now)
        }
        holding = {id(token.grant) for token in self._access.values()}
        self._grants = {
            value: grant
            for value, grant in self._grants.items()
            if grant.fixed or id(grant) in holding or not forgettable(grant.refresh_expires_at, now)
        }
        for grant in self._grants.values():
            if any(value not in self._access for value in grant.minted):
                grant.minted = deque(value for value in grant.minted if value in self._access)
        self._reindex()
        self._codes = {value: code for value, code in self._codes.items() if code.expires_at > now}
        self._spent.purge(now)
        self._next_purge = now + PURGE_INTERVAL

    def _maybe_purge(self) -> None:
        """:meth:`purge` at most once per PURGE_INTERVAL of the fake's clock (or when it moved
        back), so a mint costs O(1) on average however much is stored."""
        now = self.clock.now()
        if now >= self._next_purge or now < self._next_purge - PURGE_INTERVAL:
            self.purge()

    def spend_once(self, mark: str, *, expires_at: float) -> bool:
        """True the first time ``mark`` is spent (a decision form's token), then False."""
        self._maybe_purge()
        return self._spent.spend(mark, expires_at)

    def spent_count(self) -> int:
        return len(self._spent)

    def code_count(self) -> int:
        """Authorization codes in flight (tests and the exhaustion suite watch it)."""
        return len(self._codes)

    def peek(self, access_token: str) -> AccessToken | None:
        """The token record, expired or not, without raising (for faults and the log)."""
        return self._access.get(access_token)

    def authenticate(self, access_token: str) -> tuple[AccessToken, FakeUser]:
        """The live token and its user, or the kapi error Kakao would answer."""
        token = self._access.get(access_token)
        if token is None or token.user_id not in self.users:
            raise errors.token_not_found()
        if token.expires_at <= self.clock.now():
            raise errors.token_expired()
        return token, self.users[token.user_id]

    @property
    def item_ids(self) -> tuple[str, ...]:
        """The consent items the app asks for, by id."""
        return tuple(item.id for item in self.app.consent_items)

    def default_consent(self, user_id: int) -> Consent:
        """The consent a user gives this app unless a grant says otherwise (their flags)."""
        return self.users[user_id].default_consent(self.item_ids)

    def consent_of(self, token: AccessToken) -> Consent:
        return token.grant.consent or self.default_consent(token.user_id)

    def revoke_consent(self, user_id: int, items: Iterable[str]) -> None:
        """``/v2/user/revoke/scopes``: ``items`` leave the consent of every grant the user gave
        this app, and the consent the next ``prompt=none`` login reuses."""
        items = frozenset(items)
        for grant in self._grants.values():
            if grant.user_id == user_id and grant.app_id == self.app_id:
                grant.consent = (grant.consent or self.default_consent(user_id)).without(items)
        if user_id in self._linked:
            remembered = self._linked[user_id] or self.default_consent(user_id)
            self._linked[user_id] = remembered.without(items)

    def refresh(self, refresh_token: str) -> tuple[AccessToken, bool]:
        """A new access token from a refresh token; True when the refresh token was renewed."""
        grant = self._grants.get(refresh_token)
        now = self.clock.now()
        if grant is None or grant.refresh_expires_at <= now or grant.user_id not in self.users:
            raise KauthError(400, "invalid_grant", "expired_or_invalid_refresh_token", "KOE322")
        renewed = grant.refresh_expires_at - now < REFRESH_ROTATION_WINDOW
        if renewed:
            del self._grants[grant.refresh_token]
            grant.refresh_token = new_secret()
            grant.fixed = False  # the pinned value stops working, so nothing pins the grant
            grant.refresh_expires_at = now + REFRESH_TOKEN_TTL
            self._grants[grant.refresh_token] = grant
            # renewed: now the newest of its owner's, in step with the order of _grants
            owner = (grant.user_id, grant.app_id)
            self._owned[owner] = [g for g in self._owned[owner] if g is not grant] + [grant]
        return self._mint(grant), renewed

    def logout(self, token: AccessToken) -> None:
        """Kakao's logout: this token's grant (access and refresh tokens) stops working."""
        self._revoke(lambda grant: grant is token.grant)

    def unlink(self, token: AccessToken) -> None:
        """Kakao's unlink: every token of this user for this app dies, and consent is gone."""
        self.unlink_user(token.user_id, token.grant.app_id)

    def unlink_user(self, user_id: int, app_id: int | None = None) -> None:
        """Unlink ``user_id`` from ``app_id`` (default: the fake's app): the admin-key unlink,
        the person's own disconnection, and the token's unlink alike."""
        app_id = self.app_id if app_id is None else app_id
        self._revoke(lambda grant: grant.user_id == user_id and grant.app_id == app_id)
        if app_id == self.app_id:
            self._linked.pop(user_id, None)
            # Kakao asks a person who unlinked for the terms again (its simple sign-up)
            if self.users.get(user_id) is not None and self.users[user_id].service_terms:
                self.set_service_terms(user_id, {})

    def logout_user(self, user_id: int) -> None:
        """The admin-key logout: all of the user's tokens for this app, on every device."""
        self._revoke(lambda grant: grant.user_id == user_id and grant.app_id == self.app_id)

    def is_linked(self, user_id: int) -> bool:
        """Whether ``user_id`` has let the fake's app in (and not unlinked since)."""
        return user_id in self._linked and user_id in self.users

    def linked_user_ids(self) -> list[int]:
        """The ids ``GET /v1/user/ids`` lists, ascending."""
        return sorted(user_id for user_id in self._linked if user_id in self.users)

    def _revoke(self, doomed: Callable[[Grant], bool]) -> None:
        self._access = {k: t for k, t in self._access.items() if not doomed(t.grant)}
        self._grants = {k: g for k, g in self._grants.items() if not doomed(g)}
        self._reindex()

    # -- authorization codes -------------------------------------------------------------

    def linked_consent(self, user_id: int) -> Consent | None:
        """The consent a ``prompt=none`` login reuses, or None if the user never let the app in."""
        if user_id not in self._linked or user_id not in self.users:
            return None
        return self._linked[user_id] or self.default_consent(user_id)

    def issue_code(
        self,
        user_id: int,
        *,
        client_id: str,
        redirect_uri: str,
        consent: Consent,
        scope: str | None = None,
        nonce: str | None = None,
        code_challenge: str | None = None,
        code_challenge_method: str | None = None,
    ) -> AuthCode:
        """A code for this login; ``scope``/``nonce`` decide its id_token, the challenge PKCE."""
        self.get_user(user_id)
        self._maybe_purge()
        mine = [value for value, code in self._codes.items() if code.user_id == user_id]
        for value in mine[: max(0, len(mine) - MAX_CODES_PER_USER + 1)]:  # oldest first
            del self._codes[value]
        now = self.clock.now()
        code = AuthCode(
            value=new_secret() + new_secret()[:32],
            user_id=user_id,
            client_id=client_id,
            redirect_uri=redirect_uri,
            consent=consent,
            expires_at=now + AUTH_CODE_TTL,
            access_ttl=self.app.access_ttl(client_id),
            oidc=requested_login(
                app_oidc=self.app.oidc, scope=scope, nonce=nonce, aud=client_id, now=now
            ),
            pkce=pkce.challenge_of(code_challenge, code_challenge_method),
        )
        self._codes[code.value] = code
        return code

    def redeem_code(
        self, value: str, *, redirect_uri: str | None, code_verifier: str | None = None
    ) -> AccessToken:
        """Exchange a code for a grant: single use, short-lived, bound to its PKCE challenge if
        it had one, and to its redirect URI when one is sent (Kakao takes an exchange without
        ``redirect_uri``: kakao-api.md, "/oauth/token without redirect_uri")."""
        code = self._codes.get(value)
        if code is None or code.expires_at <= self.clock.now() or code.user_id not in self.users:
            self._codes.pop(value, None)
            raise KauthError(
                400, "invalid_grant", f"authorization code not found for code={value}", "KOE320"
            )
        if redirect_uri is not None and code.redirect_uri != redirect_uri:
            raise KauthError(400, "invalid_grant", "Redirect URI mismatch.", "KOE303")
        del self._codes[value]
        pkce.check(code.pkce, code_verifier)
        return self.issue_token(
            code.user_id, consent=code.consent, oidc=code.oidc, access_ttl=code.access_ttl
        )

    # -- configuration -------------------------------------------------------------------

    def config_json(self) -> dict[str, Any]:
        """``GET /_mock/config``: the app's id, keys and registered URLs, and the clock."""
        return {"app_id": self.app_id, **self.app.settings.to_json(), "now": self.clock.now()}
