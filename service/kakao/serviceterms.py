"""Kakao Sync service terms: which of the terms we require a person has not agreed to.

Kakao's `GET /v2/user/service_terms` answers `{"id": ..., "service_terms": [{"tag", "agreed",
...}]}` (by default the terms the person agreed to). We ask without `tags`: naming a tag the
app does not use is Kakao's -2, which would read as a bad token; a term missing from the answer
is a term not agreed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

SERVICE_TERMS_PATH = "/v2/user/service_terms"


def agreed_tags(body: dict[str, Any]) -> frozenset[str] | None:
    """The tags Kakao says are agreed, or None when the answer is not in Kakao's shape."""
    terms = body.get("service_terms", [])  # Kakao leaves it out when there are none
    if not isinstance(terms, list):
        return None
    agreed: set[str] = set()
    for term in terms:
        if not isinstance(term, dict) or not isinstance(term.get("tag"), str):
            return None
        if term.get("agreed") is True:
            agreed.add(term["tag"])
    return frozenset(agreed)


def missing_terms(required: Iterable[str], agreed: frozenset[str]) -> list[str]:
    """The required tags not agreed, in the order the setting lists them."""
    return [tag for tag in required if tag not in agreed]
