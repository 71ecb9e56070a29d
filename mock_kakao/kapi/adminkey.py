"""Kakao's admin-key calls: ``Authorization: KakaoAK <admin key>`` and a ``target_id``.

Back-office code calls kapi with the app's admin key instead of a person's token, naming the
person with ``target_id_type=user_id&target_id=<id>`` (query, or form body for POST):
``/v2/user/me``, ``/v1/user/logout`` (every token of the user, on every device),
``/v1/user/unlink`` (no webhook: the app asked for it itself) and ``/v1/user/ids``, which only
takes the admin key. The key is compared in constant time and never logged.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from urllib.parse import quote

from aiohttp import web

from mock_kakao.web.appkeys import STATE
from mock_kakao.web.errors import KapiError
from mock_kakao.world.users import FakeUser

SCHEME = "KakaoAK"
NO_KEY = "no authentication key!"  # Kakao's words (devtalk 134883)
INVALID_KEY = "invalid app key."  # Kakao's words (its SDK's invalid_app_key.json)
#: Kakao's message for this -3 is not documented (kakao-api.md: code and status only)
NOT_ALLOWED = "this API is not allowed for the admin key"
NOT_REGISTERED = "NotRegisteredUserException"
MAX_IDS_PAGE = 100
#: a longer number is no id Kakao has: Kakao's bad-parameter error, before int() works on it
MAX_INT_DIGITS = 100


def is_admin_call(request: web.Request) -> bool:
    """Whether ``Authorization`` names the ``KakaoAK`` scheme (any case), right or wrong key."""
    scheme, _, _ = request.headers.get("Authorization", "").strip().partition(" ")
    return scheme.lower() == SCHEME.lower()


def check_admin_key(request: web.Request) -> None:
    """Kakao's 401 unless ``Authorization`` is ``KakaoAK <the app's admin key>``, then its
    403 -3 unless the console lets that key call this API (the key is checked first)."""
    if not is_admin_call(request):
        raise KapiError(401, -401, NO_KEY)
    key = request.headers["Authorization"].strip().partition(" ")[2].strip()
    if not key:
        raise KapiError(401, -401, NO_KEY)
    expected = request.app[STATE].app.admin_key
    if not hmac.compare_digest(key.encode(), expected.encode()):
        raise KapiError(401, -401, INVALID_KEY)
    if not request.app[STATE].app.admin_key_may_call(request.path):  # issue 20 rule 4
        raise KapiError(403, -3, NOT_ALLOWED)


async def parameters(request: web.Request) -> Mapping[str, str]:
    """The query, and for a POST its form fields over it."""
    if request.method == "POST":
        return {**request.query, **(await request.post())}  # type: ignore[dict-item]
    return request.query


def _int_param(params: Mapping[str, str], name: str, default: int | None = None) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    digits = raw.removeprefix("-")
    # ASCII only: isdigit() and int() also take other scripts' digits (٤, ４)
    if not (digits.isascii() and digits.isdigit()) or len(digits) > MAX_INT_DIGITS:
        raise KapiError(400, -2, f"{name} must be an integer")
    return int(raw)


async def target_user(request: web.Request) -> FakeUser:
    """The admin key checked, and the linked user ``target_id`` names (else Kakao's -2/-101)."""
    check_admin_key(request)
    params = await parameters(request)
    if params.get("target_id_type") != "user_id":
        raise KapiError(400, -2, "target_id_type must be user_id")
    user_id = _int_param(params, "target_id")
    if user_id is None:
        raise KapiError(400, -2, "target_id is required")
    state = request.app[STATE]
    if not state.is_linked(user_id):
        raise KapiError(400, -101, NOT_REGISTERED)
    return state.users[user_id]


def ids_page(request: web.Request) -> dict[str, object]:
    """``GET /v1/user/ids``: the app's linked users, ``limit`` at a time from ``from_id``."""
    params = request.query
    limit = _int_param(params, "limit", MAX_IDS_PAGE)
    from_id = _int_param(params, "from_id")
    order = params.get("order") or "asc"
    if limit is None or not 1 <= limit <= MAX_IDS_PAGE:
        raise KapiError(400, -2, f"limit must be between 1 and {MAX_IDS_PAGE}")
    if order not in ("asc", "desc"):
        raise KapiError(400, -2, "order must be asc or desc")
    ids = request.app[STATE].linked_user_ids()
    if order == "desc":
        ids.reverse()
    start = 0
    if from_id is not None:
        past = (lambda i: i >= from_id) if order == "asc" else (lambda i: i <= from_id)
        start = next((n for n, user_id in enumerate(ids) if past(user_id)), len(ids))
    end = start + limit
    page = ids[start:end]
    return {
        "elements": page,
        "total_count": len(ids),  # deprecated, still in Kakao's own fixture
        **cursors(request, limit, order, page, more_before=start > 0, more_after=end < len(ids)),
    }


def cursors(
    request: web.Request,
    limit: int,
    order: str,
    page: list[int],
    *,
    more_before: bool,
    more_after: bool,
) -> dict[str, str | None]:
    """``before_url`` and ``after_url`` as Kakao's fixture builds them (issue 20 rule 8): the
    page's first id in the opposite order, its last id in the same order, both with
    ``app_key``; None where there is no page. Which key Kakao puts there it does not say: the
    REST API key, never the admin key (a URL ends up in logs)."""
    base = f"{request.url.origin()}/v1/user/ids?limit={limit}"
    key = quote(request.app[STATE].app.settings.rest_api_key, safe="")
    back = "desc" if order == "asc" else "asc"
    return {
        "before_url": f"{base}&order={back}&from_id={page[0]}&app_key={key}"
        if more_before and page
        else None,
        "after_url": f"{base}&order={order}&from_id={page[-1]}&app_key={key}"
        if more_after and page
        else None,
    }
