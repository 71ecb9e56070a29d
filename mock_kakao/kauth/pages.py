"""The HTML of kauth's pages (account picker, consent screen, error page) and the SDK page.

Plain HTML forms, no JavaScript, so a person, a headless browser and a test doing plain HTTP
can all drive them. Every control has a ``data-testid`` so tests never match on button text:

- picker: ``pick-user-<id>`` (one per user), ``cancel``
- consent: ``consent-<item id>`` checkboxes (``consent-nickname`` and ``consent-email`` for
  ``profile_nickname`` and ``account_email``), ``consent-title``, ``approve``, ``cancel``
- error page: ``error-code`` (e.g. KOE006)
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from html import escape

from mock_kakao.world.consentitems import ConsentItem
from mock_kakao.world.serviceterms import ServiceTerm
from mock_kakao.world.users import FakeUser

_STYLE = """
body { font-family: system-ui, "Apple SD Gothic Neo", "Noto Sans KR", sans-serif;
       background: #f6f6f6; margin: 0; padding: 2rem; color: #191919; }
main { max-width: 28rem; margin: auto; background: #fff; border-radius: 12px; padding: 1.5rem; }
h1 { font-size: 1.2rem; } .badge { background: #fee500; border-radius: 6px; padding: 0 .4rem; }
button { font: inherit; padding: .6rem 1rem; border-radius: 8px; border: 1px solid #ccc;
         background: #fff; cursor: pointer; }
button.primary { background: #fee500; border-color: #fee500; }
.users button { display: block; width: 100%; text-align: left; margin: .4rem 0; }
.muted { color: #666; font-size: .9rem; } label { display: block; margin: .5rem 0; }
pre { white-space: pre-wrap; word-break: break-all; background: #f6f6f6; padding: .6rem; }
th { text-align: left; padding-right: 1rem; }
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="ko"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f'<body><main><p><span class="badge">mock_kakao</span> 카카오 로그인 (fake)</p>'
        f"{body}</main></body></html>\n"
    )


def _hidden(params: Mapping[str, str]) -> str:
    return "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(val)}">'
        for k, val in params.items()
    )


def _cancel_form(params: Mapping[str, str]) -> str:
    return (
        f'<form method="post" action="/oauth/authorize/decision">{_hidden(params)}'
        '<button type="submit" name="decision" value="cancel" data-testid="cancel">'
        "취소 (Cancel)</button></form>"
    )


def picker(users: Iterable[FakeUser], params: Mapping[str, str], preselected: int | None) -> str:
    """Step one: which fake account logs in."""
    buttons = []
    for user in users:
        name = user.nickname or "(no nickname)"
        detail = " · ".join(x for x in (user.label, user.email, str(user.id)) if x)
        autofocus = " autofocus" if user.id == preselected else ""
        buttons.append(
            f'<button type="submit" name="user_id" value="{user.id}" '
            f'data-testid="pick-user-{user.id}"{autofocus}><strong>{escape(name)}</strong>'
            f'<br><span class="muted">{escape(detail)}</span></button>'
        )
    listing = "".join(buttons) or '<p class="muted">No fake users: add one via /_mock/users.</p>'
    return _page(
        "카카오계정 선택 - mock_kakao",
        "<h1>계정 선택 (Choose an account)</h1>"
        f'<form class="users" method="get" action="/oauth/authorize/consent">'
        f"{_hidden(params)}{listing}</form>{_cancel_form(params)}",
    )


#: the consent page's test ids from before items had ids
LEGACY_TESTIDS = {"profile_nickname": "nickname", "account_email": "email"}


def consent(
    user: FakeUser,
    params: Mapping[str, str],
    items: Sequence[ConsentItem],
    ticked: Collection[str],
    *,
    additional: bool = False,
    terms: Sequence[ServiceTerm] = (),
) -> str:
    """Step two: the items this login shares, and the app's service terms (Kakao Sync) it asks
    agreement to. Optional ones can be unticked; required ones are ticked and locked (the
    server adds them anyway)."""
    fields = {**params, "user_id": str(user.id)}

    def checkbox(item: ConsentItem) -> str:
        tick = " checked" if item.id in ticked or item.required else ""
        lock = " disabled" if item.required else ""
        kind = "필수 (required)" if item.required else "선택 (optional)"
        testid = LEGACY_TESTIDS.get(item.id, item.id)
        return (
            f'<label><input type="checkbox" name="consent" value="{escape(item.id)}" '
            f'data-testid="consent-{escape(testid)}"{tick}{lock}> [{kind}] '
            f"{escape(item.display_name)} ({escape(item.id)})</label>"
        )

    def term_box(term: ServiceTerm) -> str:
        lock = " checked disabled" if term.required else ""
        kind = "필수 (required)" if term.required else "선택 (optional)"
        return (
            f'<label><input type="checkbox" name="service_term" value="{escape(term.tag)}" '
            f'data-testid="term-{escape(term.tag)}"{lock}> [{kind}] '
            f"{escape(term.title)} ({escape(term.tag)})</label>"
        )

    heading = "추가 동의 (Additional consent)" if additional else "동의하고 계속하기"
    listing = "".join(checkbox(item) for item in items) or (
        '<p class="muted">No consent items to ask for.</p>'
    )
    if terms:
        listing += '<h2 data-testid="service-terms">서비스 약관 (Service terms)</h2>' + "".join(
            term_box(term) for term in terms
        )
    return _page(
        "동의하고 계속하기 - mock_kakao",
        f'<h1 data-testid="consent-title">{escape(user.nickname or str(user.id))} 님, '
        f"{heading}</h1>"
        f'<p class="muted">{escape(user.label)} · {user.id}</p>'
        f'<form method="post" action="/oauth/authorize/decision">{_hidden(fields)}'
        + listing
        + '<p><button class="primary" type="submit" name="decision" value="approve" '
        'data-testid="approve">동의하고 계속하기 (Agree and continue)</button> '
        '<button type="submit" name="decision" value="cancel" data-testid="cancel">'
        "취소 (Cancel)</button></p></form>",
    )


def error(code: str, message: str) -> str:
    """Kakao's error page: shown instead of redirecting when the redirect can't be trusted."""
    return _page(
        f"{code} - mock_kakao",
        f'<h1>잘못된 요청 (Bad request)</h1><p><strong data-testid="error-code">{escape(code)}'
        f"</strong></p><p>{escape(message)}</p>",
    )


def _key_row(name: str, value: str) -> str:
    testid = "key-" + name.lower().replace(" ", "-")
    return (
        f'<tr><th scope="row">{escape(name)}</th>'
        f'<td><code data-testid="{escape(testid)}">{escape(value)}</code></td></tr>'
    )


def sdk(script_tag: str, base_url: str, keys: Mapping[str, str]) -> str:
    """The fake's JavaScript SDK page: the ``<script>`` line and kauth URL to use, the keys."""
    rows = "".join(_key_row(name, value) for name, value in keys.items())
    return _page(
        "Kakao JavaScript SDK - mock_kakao",
        "<h1>JavaScript SDK v2 (fake)</h1>"
        "<p>Replace Kakao's CDN <code>&lt;script&gt;</code> with:</p>"
        f'<pre><code data-testid="script-tag">{escape(script_tag)}</code></pre>'
        "<p>and the kauth base URL of your code exchange "
        "(<code>https://kauth.kakao.com</code>) with:</p>"
        f'<pre><code data-testid="kauth-url">{escape(base_url)}</code></pre>'
        f'<table data-testid="keys">{rows}</table>'
        '<p class="muted">Any 2.x version works in the path; the SDK talks to the fake it was '
        "loaded from. The admin key is a secret: only the loopback admin API "
        "(<code>/_mock/config</code>) shows it.</p>",
    )
