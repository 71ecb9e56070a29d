"""What the consent page asks, and the consent a person's answer gives (``scope`` on authorize).

The first login asks for every item the app declares (that the person has something to share
for). A later authorize whose ``scope`` names items is *additional consent*: it asks only for
the named items not agreed yet and keeps what was agreed before (with nothing missing, the page has
nothing to tick). Required items cannot be declined: the page shows them ticked and locked,
and :func:`decided` adds them whatever the form says (a form can be edited).

Kakao Sync's service terms (:mod:`mock_kakao.world.serviceterms`) are asked beside the items:
the ones the person has not agreed to yet (all of them on a sign-up: unlinking forgets the
agreements), or exactly the ones authorize's ``service_terms`` names ("서비스 약관 선택해 동의
요청"), so a service can send a person back for a term they declined or withdrew.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mock_kakao.world.consentitems import ConsentItem, items_to_ask, requested_items, required_ids
from mock_kakao.world.serviceterms import ServiceTerm, parse_tags, required_tags
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
    terms: tuple[ServiceTerm, ...] = ()  # the service terms the page asks agreement to


def terms_to_ask(
    state: FakeKakao, user: FakeUser, service_terms: str | None
) -> tuple[ServiceTerm, ...]:
    """The app's terms ``service_terms`` names, else the ones ``user`` has not agreed to."""
    named = parse_tags(service_terms)
    terms = state.app.settings.service_terms
    if named:
        return tuple(term for term in terms if term.tag in named)
    return tuple(term for term in terms if term.tag not in user.service_terms)


def terms_page_needed(state: FakeKakao, user: FakeUser, service_terms: str | None) -> bool:
    """Whether a silent login (``prompt=none``) must stop for the terms: it names some, or the
    person has not agreed to a required one (Kakao's ``consent_required``)."""
    missing = terms_to_ask(state, user, None)
    return bool(parse_tags(service_terms)) or any(term.required for term in missing)


def what_to_ask(
    state: FakeKakao, user: FakeUser, scope: str | None, service_terms: str | None = None
) -> Ask:
    terms = terms_to_ask(state, user, service_terms)
    remembered = state.linked_consent(user.id)
    agreed = remembered.agreed if remembered is not None else None
    items = tuple(
        item
        for item in items_to_ask(state.app.consent_items, scope, agreed)
        if user.has_item(item.id)
    )
    additional = remembered is not None and bool(requested_items(scope))
    if additional:  # the app asks for exactly these: they start ticked
        return Ask(items, frozenset(i.id for i in items), remembered, True, terms)
    by_default = remembered or state.default_consent(user.id)
    ticked = {item.id for item in items if by_default.has(item.id) or item.required}
    return Ask(items, frozenset(ticked), Consent(), False, terms)


def decided(ask: Ask, ticked: Iterable[str]) -> Consent:
    """The consent the answer gives: the ticked asked items, the required ones, and ``base``."""
    chosen = {LEGACY_VALUES.get(value, value) for value in ticked}
    asked = {item.id for item in ask.items}
    return ask.base.with_items((chosen & asked) | required_ids(ask.items))


def agreed_terms(ask: Ask, ticked: Iterable[str]) -> list[str]:
    """The tags the answer agrees to: the ticked asked terms and the required ones."""
    asked = {term.tag for term in ask.terms}
    chosen = (set(ticked) & asked) | required_tags(ask.terms)
    return [term.tag for term in ask.terms if term.tag in chosen]
