"""Kakao Sync service terms: the app's own terms shown in Kakao's consent screen, and who agreed.

An app that uses Kakao Sync adds its terms in the console, each with a tag (``service_2024``),
whether it is required, and whether a person may withdraw it (kakao-api.md, "Kakao Sync service
terms"). The consent page shows them and records the agreement ``agreed_by: KAUTH``;
``POST /v2/user/upgrade/service_terms`` records one ``agreed_by: KAPI``; revoking drops one.
A person's agreements live on the fake user (``FakeUser.service_terms``, the users file's and
the admin API's ``service_terms``), keyed by tag.

Pure functions and data only: the pages, kapi and the control API read from here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from mock_kakao.files import validation as v
from mock_kakao.web.errors import InvalidInput, KapiError

AgreedBy = Literal["KAUTH", "KAPI"]
AGREED_BY: tuple[str, ...] = ("KAUTH", "KAPI")
TERM_FIELDS = ("tag", "title", "required", "revocable")
AGREEMENT_FIELDS = ("agreed_at", "agreed_by")
#: Kakao's tags seen are letters, digits and _ (``service_2020_0218``); a comma would split one
_TAG = re.compile(r"[A-Za-z0-9_.-]{1,64}")
#: RFC 3339 in UTC, as Kakao writes ``agreed_at`` (``2023-06-29T07:39:56Z``)
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
#: an app's terms and a person's agreements are a console's worth, not a data store
MAX_TERMS = 50
#: what ``result`` takes on ``GET /v2/user/service_terms``
RESULTS = ("agreed_service_terms", "app_service_terms")


@dataclass(frozen=True)
class ServiceTerm:
    """One of the app's terms, as the console defines it."""

    tag: str
    title: str = ""
    required: bool = False
    revocable: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "title": self.title,
            "required": self.required,
            "revocable": self.revocable,
        }


@dataclass(frozen=True)
class Agreement:
    """A person's agreement to one term: when (RFC 3339) and through which door."""

    agreed_at: str
    agreed_by: AgreedBy = "KAUTH"

    def to_json(self) -> dict[str, str]:
        return {"agreed_at": self.agreed_at, "agreed_by": self.agreed_by}


def rfc3339(timestamp: float) -> str:
    """``agreed_at`` for a moment on the fake's clock."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def agreed_now(
    agreements: Mapping[str, Agreement], tags: Iterable[str], at: str, by: AgreedBy
) -> dict[str, Agreement]:
    """``agreements`` with ``tags`` agreed at ``at`` (a term agreed again gets the new time)."""
    return {**agreements, **{tag: Agreement(at, by) for tag in tags}}


def valid_tag(tag: object) -> bool:
    return isinstance(tag, str) and bool(_TAG.fullmatch(tag))


def _tag(data: Mapping[str, Any], what: str) -> str:
    tag = v.get_str(data, "tag")
    if not valid_tag(tag):
        raise InvalidInput(
            "INVALID_FIELD", f"{what}: tag must be 1 to 64 letters, digits, '_', '.' or '-'"
        )
    return tag


def parse_term(data: Any) -> ServiceTerm:
    """``"tos_2024"`` or ``{"tag": "tos_2024", "required": true, ...}``; a required term is
    never revocable (the console offers withdrawal for optional terms only)."""
    if isinstance(data, str):
        data = {"tag": data}
    data = v.expect_object(data, "a service term")
    v.reject_unknown(data, TERM_FIELDS, "service term")
    tag = _tag(data, "service term")
    required = v.get_bool(data, "required", False)
    revocable = v.get_bool(data, "revocable", not required)
    if required and revocable:
        raise InvalidInput("INVALID_FIELD", f"service term {tag}: a required term is not revocable")
    return ServiceTerm(
        tag=tag,
        title=v.get_optional_str(data, "title", tag) or tag,
        required=required,
        revocable=revocable,
    )


def parse_terms(data: Any) -> tuple[ServiceTerm, ...]:
    """The app's ``service_terms`` (users file ``app`` section, ``PATCH /_mock/app``)."""
    if not isinstance(data, list) or len(data) > MAX_TERMS:
        raise InvalidInput(
            "INVALID_FIELD", f"app.service_terms must be a JSON list of at most {MAX_TERMS}"
        )
    terms = tuple(parse_term(entry) for entry in data)
    tags = [term.tag for term in terms]
    if len(set(tags)) != len(tags):
        raise InvalidInput("INVALID_FIELD", "app.service_terms: a tag is declared twice")
    return terms


def _is_rfc3339_utc(text: str) -> bool:
    """``2024-05-01T09:00:00Z`` naming a time that exists (not month 53 nor minute 78)."""
    if not _RFC3339.fullmatch(text):
        return False
    try:
        datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return False
    return True


def parse_agreements(value: Any, *, default_at: str | None) -> dict[str, Agreement]:
    """A user's ``service_terms``: ``{"tos_2024": {"agreed_at": ..., "agreed_by": "KAUTH"}}``
    (both fields optional: ``default_at``, KAUTH)."""
    value = v.expect_object(value, "service_terms")
    if len(value) > MAX_TERMS:
        raise InvalidInput("INVALID_FIELD", f"service_terms: at most {MAX_TERMS} agreements")
    agreements: dict[str, Agreement] = {}
    for tag, entry in value.items():
        if not valid_tag(tag):
            raise InvalidInput("INVALID_FIELD", f"service_terms: {tag!r} is not a term tag")
        entry = v.expect_object(entry, f"service_terms.{tag}")
        v.reject_unknown(entry, AGREEMENT_FIELDS, f"service_terms.{tag}")
        if "agreed_at" not in entry and default_at is None:
            raise InvalidInput(
                "MISSING_FIELD",
                f"service_terms.{tag}.agreed_at is required for a person with no connected_at",
            )
        agreed_at = v.get_str(entry, "agreed_at", default_at)
        if not _is_rfc3339_utc(agreed_at):
            raise InvalidInput(
                "INVALID_FIELD",
                f"service_terms.{tag}.agreed_at must be a real time as YYYY-MM-DDTHH:MM:SSZ",
            )
        agreed_by = v.get_choice(entry, "agreed_by", AGREED_BY, "KAUTH")
        agreements[tag] = Agreement(agreed_at, agreed_by)  # type: ignore[arg-type]
    return agreements


def parse_tags(raw: str | None) -> list[str]:
    """``tags`` of the kapi calls and ``service_terms`` of authorize: one comma-separated string."""
    return [tag.strip() for tag in (raw or "").split(",") if tag.strip()]


def unknown_tags(terms: Sequence[ServiceTerm], tags: Iterable[str]) -> list[str]:
    configured = {term.tag for term in terms}
    return [tag for tag in tags if tag not in configured]


def _no_tags(verb: str, tags: list[str], app_id: int) -> KapiError:
    """Kakao's -2 for a tag the app does not use (its wording, kakao-api.md)."""
    return KapiError(
        400,
        -2,
        f"There is no tags to {verb}. check out to configured this tags([{', '.join(tags)}]) "
        f"in app({app_id}).",
    )


def term_entry(term: ServiceTerm, agreement: Agreement | None) -> dict[str, Any]:
    """One element of ``service_terms``, in Kakao's key order: ``revocable`` is false for a
    term not agreed (nothing to withdraw), the agreement's time and door only when agreed."""
    entry: dict[str, Any] = {
        "tag": term.tag,
        "required": term.required,
        "agreed": agreement is not None,
        "revocable": term.revocable and agreement is not None,
    }
    if agreement is not None:
        entry.update(agreement.to_json())
    return entry


def service_terms_json(
    user_id: int,
    terms: Sequence[ServiceTerm],
    agreements: Mapping[str, Agreement],
    *,
    result: str | None,
    tags: str | None,
    app_id: int,
) -> dict[str, Any]:
    """``GET /v2/user/service_terms``: the terms agreed (default) or all the app's
    (``result=app_service_terms``), narrowed to ``tags`` (each one the app must use: -2)."""
    if result not in (None, "", *RESULTS):
        raise KapiError(400, -2, f"result must be one of {', '.join(RESULTS)}")
    wanted = parse_tags(tags)
    unknown = unknown_tags(terms, wanted)
    if unknown:
        raise _no_tags("get service terms", unknown, app_id)
    listed = [
        term
        for term in terms
        if (result == "app_service_terms" or term.tag in agreements)
        and (not wanted or term.tag in wanted)
    ]
    return {
        "id": user_id,
        "service_terms": [term_entry(term, agreements.get(term.tag)) for term in listed],
    }


def legacy_terms_json(
    user_id: int,
    terms: Sequence[ServiceTerm],
    agreements: Mapping[str, Agreement],
    *,
    extra: str | None,
    since: str,
) -> dict[str, Any]:
    """``GET /v1/user/service/terms``, the older shape: the agreed terms' tags and times; with
    ``extra=app_service_terms`` also the app's terms (``created_at``/``updated_at``: the fake
    keeps no console history, so both are ``since``)."""
    body: dict[str, Any] = {
        "user_id": user_id,
        "allowed_service_terms": [
            {"tag": term.tag, "agreed_at": agreements[term.tag].agreed_at}
            for term in terms
            if term.tag in agreements
        ],
    }
    if extra == "app_service_terms":
        body["app_service_terms"] = [
            {"tag": term.tag, "created_at": since, "updated_at": since} for term in terms
        ]
    return body


def required_tags(terms: Iterable[ServiceTerm]) -> set[str]:
    return {term.tag for term in terms if term.required}


def revoked(
    terms: Sequence[ServiceTerm],
    agreements: Mapping[str, Agreement],
    tags: str | None,
    app_id: int,
) -> tuple[dict[str, Agreement], list[dict[str, Any]]]:
    """``POST /v2/user/revoke/service_terms``: the agreements left, ``revoked_service_terms``.

    A tag the app does not use is Kakao's -2; an agreed term that is not revocable is refused
    whole (403 -3, as a required consent item's revoke is: Kakao documents that only revocable
    terms can be withdrawn, not its error, so the fake refuses rather than skip it); a term
    not agreed is left out of the answer, as Kakao's docs say.
    """
    wanted = parse_tags(tags)
    if not wanted:
        raise KapiError(400, -2, "tags is required")
    unknown = unknown_tags(terms, wanted)
    if unknown:
        raise _no_tags("revoke", unknown, app_id)
    by_tag = {term.tag: term for term in terms}
    fixed = [tag for tag in wanted if tag in agreements and not by_tag[tag].revocable]
    if fixed:
        raise KapiError(403, -3, f"[{', '.join(fixed)}] is not revocable.")
    gone = [tag for tag in dict.fromkeys(wanted) if tag in agreements]
    left = {tag: agreement for tag, agreement in agreements.items() if tag not in gone}
    return left, [{"tag": tag, "agreed": False} for tag in gone]


def upgraded(
    terms: Sequence[ServiceTerm],
    agreements: Mapping[str, Agreement],
    tags: str | None,
    now: str,
) -> tuple[dict[str, Agreement], list[dict[str, Any]]]:
    """``POST /v2/user/upgrade/service_terms``: agreements made ``agreed_by: KAPI`` and the
    ``agreed_service_terms``; a tag already agreed or not the app's is left out (Kakao's docs)."""
    wanted = parse_tags(tags)
    if not wanted:
        raise KapiError(400, -2, "tags is required")
    configured = {term.tag for term in terms}
    new = [tag for tag in dict.fromkeys(wanted) if tag in configured and tag not in agreements]
    result = agreed_now(agreements, new, now, "KAPI")
    return result, [{"tag": tag, "agreed": True, **result[tag].to_json()} for tag in new]


def agreements_json(agreements: Mapping[str, Agreement]) -> dict[str, dict[str, str]]:
    return {tag: agreement.to_json() for tag, agreement in agreements.items()}
