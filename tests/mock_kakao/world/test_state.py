"""FakeKakao forgets what it minted once it can no longer matter (issue 19 item 11).

Expired access and refresh tokens are purged an hour after their expiry on the fake's clock (a
client still gets "expired" shortly after, then "does not exist"); authorization codes at
expiry; a grant keeps at most ``MAX_ACCESS_TOKENS_PER_GRANT`` minted access tokens and a user
at most ``MAX_CODES_PER_USER`` codes in flight and ``MAX_GRANTS_PER_USER`` grants per app.
Fixed tokens (users file, admin API) are never purged nor dropped. Plain objects, no HTTP: the
rules themselves.
"""

from __future__ import annotations

import pytest

from mock_kakao.web.errors import KapiError, KauthError
from mock_kakao.world.snapshot import parse_snapshot
from mock_kakao.world.state import FakeKakao
from mock_kakao.world.tokens import (
    ACCESS_TOKEN_TTL,
    AUTH_CODE_TTL,
    EXPIRED_TOKEN_GRACE,
    MAX_ACCESS_TOKENS_PER_GRANT,
    MAX_CODES_PER_USER,
    MAX_GRANTS_PER_USER,
    REFRESH_TOKEN_TTL,
    TokenSpec,
)

FULL_ID = 4000000001
FIXED_ACCESS = "mock-token-full-consent"
FIXED_REFRESH = "mock-refresh-full-consent"


@pytest.fixture
def fake() -> FakeKakao:
    return FakeKakao.from_file()


def api_message(fake: FakeKakao, token: str) -> str:
    with pytest.raises(KapiError) as raised:
        fake.authenticate(token)
    return raised.value.msg


def stored_access_tokens(fake: FakeKakao) -> int:
    return sum(len(grant.access_tokens) for grant in fake.snapshot().grants)


def code_for(fake: FakeKakao, user_id: int = FULL_ID, **more: str) -> str:
    return fake.issue_code(
        user_id,
        client_id=fake.app.settings.rest_api_key,
        redirect_uri="http://localhost:3000/cb",
        consent=fake.default_consent(user_id),
        **more,
    ).value


def test_an_expired_token_says_expired_for_an_hour_then_is_forgotten(fake):
    token = fake.issue_token(FULL_ID)
    fake.clock.advance(ACCESS_TOKEN_TTL + 1)
    assert "expired" in api_message(fake, token.value)
    fake.clock.advance(EXPIRED_TOKEN_GRACE)
    fake.issue_token(FULL_ID)  # any mint looks for what has run out
    assert fake.peek(token.value) is None
    assert "does not exist" in api_message(fake, token.value)


def test_an_expired_refresh_token_and_its_grant_are_forgotten(fake):
    token = fake.issue_token(FULL_ID)
    fake.clock.advance(REFRESH_TOKEN_TTL + EXPIRED_TOKEN_GRACE + 1)
    fake.purge()
    refresh_tokens = {grant.refresh_token for grant in fake.snapshot().grants}
    assert token.grant.refresh_token not in refresh_tokens
    with pytest.raises(KauthError):
        fake.refresh(token.grant.refresh_token)


def test_fixed_tokens_are_never_purged(fake):
    fake.clock.advance(REFRESH_TOKEN_TTL + 25 * 3600)
    fake.purge()
    assert "expired" in api_message(fake, FIXED_ACCESS)  # never "does not exist"
    state = fake.snapshot().to_json()
    grant = next(g for g in state["grants"] if g["refresh_token"] == FIXED_REFRESH)
    assert grant["fixed"] is True
    assert grant["access_tokens"][0] == {
        "access_token": FIXED_ACCESS,
        "expires_at": grant["access_tokens"][0]["expires_at"],
        "fixed": True,
    }


def test_fixed_marks_survive_an_export_and_import(fake):
    fake.restore(parse_snapshot(fake.snapshot().to_json()))
    fake.clock.advance(REFRESH_TOKEN_TTL + 25 * 3600)
    fake.purge()
    assert fake.peek(FIXED_ACCESS) is not None


def test_a_grant_keeps_only_its_newest_access_tokens(fake):
    before = stored_access_tokens(fake)
    minted = [fake.refresh(FIXED_REFRESH)[0].value for _ in range(MAX_ACCESS_TOKENS_PER_GRANT + 5)]
    for dropped in minted[:5]:
        assert fake.peek(dropped) is None
    for kept in minted[5:]:
        fake.authenticate(kept)
    fake.authenticate(FIXED_ACCESS)  # the fixed one does not count, and is never dropped
    assert stored_access_tokens(fake) == before + MAX_ACCESS_TOKENS_PER_GRANT


def test_many_refreshes_and_a_day_later_leave_a_bounded_state(fake):
    before = stored_access_tokens(fake)
    for _ in range(2000):
        fake.refresh(FIXED_REFRESH)
    assert stored_access_tokens(fake) == before + MAX_ACCESS_TOKENS_PER_GRANT
    fake.clock.advance(25 * 3600)
    fake.purge()
    assert stored_access_tokens(fake) == before  # the fixed ones, expired but kept


def test_codes_expire_out_of_memory(fake):
    code = code_for(fake)
    fake.clock.advance(AUTH_CODE_TTL)
    fake.purge()
    assert fake.code_count() == 0
    with pytest.raises(KauthError) as raised:
        fake.redeem_code(code, redirect_uri=None)
    assert raised.value.error_code == "KOE320"


def test_a_user_has_at_most_so_many_codes_in_flight(fake):
    codes = [code_for(fake) for _ in range(MAX_CODES_PER_USER + 3)]
    assert fake.code_count() == MAX_CODES_PER_USER
    with pytest.raises(KauthError):
        fake.redeem_code(codes[0], redirect_uri=None)  # the oldest went first
    fake.redeem_code(codes[-1], redirect_uri=None)
    code_for(fake, 4000000002)  # another user's codes are their own
    assert fake.code_count() == MAX_CODES_PER_USER


def test_a_single_use_mark_is_spent_once_and_forgotten_at_expiry(fake):
    now = fake.clock.now()
    assert fake.spend_once("form-1", expires_at=now + 60)
    assert not fake.spend_once("form-1", expires_at=now + 60)
    fake.clock.advance(61)
    fake.purge()
    assert fake.spent_count() == 0


def grants_of(fake: FakeKakao, user_id: int = FULL_ID) -> list[str]:
    """The refresh tokens of the user's stored grants, as the state file would list them."""
    return [g.refresh_token for g in fake.snapshot().grants if g.user_id == user_id]


def test_a_user_keeps_only_their_newest_grants_per_app(fake):
    before = len(grants_of(fake))  # the bundled (fixed) ones
    tokens = [fake.issue_token(FULL_ID) for _ in range(MAX_GRANTS_PER_USER + 5)]
    for dropped in tokens[:5]:  # answer as Kakao answers for a token that does not exist
        assert "does not exist" in api_message(fake, dropped.value)
        with pytest.raises(KauthError) as raised:
            fake.refresh(dropped.grant.refresh_token)
        assert raised.value.error_code == "KOE322"
    for kept in tokens[5:]:
        fake.authenticate(kept.value)
    fake.authenticate(FIXED_ACCESS)  # the fixed grant does not count, and is never dropped
    fake.refresh(FIXED_REFRESH)
    assert len(grants_of(fake)) == before + MAX_GRANTS_PER_USER


def test_the_grant_cap_is_per_user_and_app(fake):
    other_app = fake.issue_token(FULL_ID, TokenSpec(app_id=fake.app_id + 1))
    other_user = fake.issue_token(4000000002)
    for _ in range(MAX_GRANTS_PER_USER + 1):
        fake.issue_token(FULL_ID)
    fake.authenticate(other_app.value)
    fake.authenticate(other_user.value)


def test_a_grant_with_a_fixed_access_token_is_never_dropped(fake):
    pinned = fake.issue_token(FULL_ID, TokenSpec(access_token="pinned-access"))
    assert not pinned.grant.fixed  # its refresh token was minted: only the access token is given
    for _ in range(MAX_GRANTS_PER_USER + 3):
        fake.issue_token(FULL_ID)
    fake.authenticate("pinned-access")


def test_login_and_exchange_loops_leave_a_bounded_number_of_grants(fake):
    before = len(grants_of(fake))
    for _ in range(300):
        fake.redeem_code(code_for(fake), redirect_uri=None)
    assert len(grants_of(fake)) == before + MAX_GRANTS_PER_USER


def test_a_restored_state_over_the_grant_cap_keeps_the_newest(fake):
    """A state saved before the cap (or written by hand) is trimmed as it is loaded."""
    document = fake.snapshot().to_json()
    template = next(g for g in document["grants"] if g["refresh_token"] == FIXED_REFRESH)
    extra = [
        {**template, "fixed": False, "refresh_token": f"saved-refresh-{i}", "access_tokens": []}
        for i in range(MAX_GRANTS_PER_USER + 4)
    ]
    before = len(grants_of(fake))
    fake.restore(parse_snapshot({**document, "grants": [*document["grants"], *extra]}))
    kept = grants_of(fake)
    assert len(kept) == before + MAX_GRANTS_PER_USER
    assert "saved-refresh-0" not in kept and f"saved-refresh-{MAX_GRANTS_PER_USER + 3}" in kept
    assert FIXED_REFRESH in kept


def test_a_renewed_grant_counts_as_the_newest(fake):
    tokens = [fake.issue_token(FULL_ID) for _ in range(MAX_GRANTS_PER_USER)]
    fake.clock.advance(31 * 24 * 3600)  # under a month left: a refresh renews the refresh token
    renewed, was_renewed = fake.refresh(tokens[0].grant.refresh_token)
    assert was_renewed
    fake.issue_token(FULL_ID)
    fake.authenticate(renewed.value)  # the first grant, renewed, outlived the second one
    with pytest.raises(KauthError):
        fake.refresh(tokens[1].grant.refresh_token)
