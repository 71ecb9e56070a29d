"""What the consent page asks, and the consent a person's answer gives (``scope`` on authorize).

The first login asks for every item the app declares (that the person has something to share
for). A later authorize whose ``scope`` names items is *additional consent*: it asks only for
the named items not agreed yet and keeps what was agreed before (with nothing missing, the page has
nothing to tick). Required items cannot be declined: the page shows them ticked and locked,
and :func:`decided` adds them whatever the form says (a form can be edited).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mock_kakao.world.consentitems import ConsentItem, items_to_ask, requested_items, required_ids
from mock_kakao.world.state import FakeKakao
from mock_kakao.world.users import Consent, FakeUser

#: the checkbox values of the consent page before items had ids (``consent=nickname``)
LEGACY_VALUES = {"nickname": "profile_nickname", "email": "account_email"}


@dataclass(frozen=True)
class Ask:
    """One consent page: the items it asks, which start ticked, and what stays agreed."""

    items: tuple[ConsentItem, ...]
    ticked: frozenset[str]
    base: Consent  # agreed already and kept whatever is ticked (additional consent)
    additional: bool


def what_to_ask(state: FakeKakao, user: FakeUser, scope: str | None) -> Ask:
    remembered = state.linked_consent(user.id)
    agreed = remembered.agreed if remembered is not None else None
    items = tuple(
        item
        for item in items_to_ask(state.app.consent_items, scope, agreed)
        if user.has_item(item.id)
    )
    additional = remembered is not None and bool(requested_items(scope))
    if additional:  # the app asks for exactly these: they start ticked
        return Ask(items, frozenset(i.id for i in items), remembered, True)
    by_default = remembered or state.default_consent(user.id)
    ticked = {item.id for item in items if by_default.has(item.id) or item.required}
    return Ask(items, frozenset(ticked), Consent(), False)


def decided(ask: Ask, ticked: Iterable[str]) -> Consent:
    """The consent the answer gives: the ticked asked items, the required ones, and ``base``."""
    chosen = {LEGACY_VALUES.get(value, value) for value in ticked}
    asked = {item.id for item in ask.items}
    return ask.base.with_items((chosen & asked) | required_ids(ask.items))
