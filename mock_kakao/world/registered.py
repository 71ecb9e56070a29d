"""What an app registers in Kakao's console, and how a request's URL is matched against it.

Two lists, one rule: compare by parts (scheme, host, port), never as strings, because
``http://localhost:3000.evil.com`` and ``http://localhost:3000@evil.com`` both *start with*
``http://localhost:3000`` and both belong to evil.com.

* **Redirect URIs**: a registered prefix covers a ``redirect_uri`` with the same scheme, host
  and port and a path under the prefix's.
* **Web domains** (the console's "JavaScript SDK domains"): a registered origin covers a
  browser's ``Origin`` header with the same scheme, host and port. An ``Origin`` header is a
  bare ``scheme://host[:port]``; anything else (``null``, a trailing slash, a path) is no
  origin a browser sends for a page, so it matches nothing.

Unconfigured, both lists mean "any ``http://localhost:<port>`` or ``http://127.0.0.1:<port>``",
so a frontend on a desk works without setup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple, TypeVar
from urllib.parse import SplitResult, urlsplit

from mock_kakao.web.errors import InvalidInput

LOOPBACK_HOSTS = ("localhost", "127.0.0.1")
DEFAULT_PORTS = {"http": 80, "https": 443}
#: what ``GET /_mock/config`` shows for an unconfigured list
LOOPBACK_DEFAULT = tuple(f"http://{host}:*" for host in LOOPBACK_HOSTS)


def split_url(uri: str) -> SplitResult | None:
    """``uri``'s parts, or None when it has a bad port, userinfo or no host (never allowed)."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    if "@" in parts.netloc or not parts.hostname:
        return None
    return parts


class Origin(NamedTuple):
    scheme: str
    hostname: str
    port: int


T = TypeVar("T", SplitResult, Origin)


def is_loopback_default(parts: SplitResult | Origin) -> bool:
    """The unconfigured lists' rule: plain http on localhost or 127.0.0.1, any port."""
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def is_registered(
    candidate: T | None, entries: Iterable[str], covers: Callable[[str, T], bool]
) -> bool:
    """``candidate`` is covered by one of the registered ``entries``, or by the loopback
    default when none are registered; a candidate that did not parse (None) never is."""
    if candidate is None:
        return False
    entries = tuple(entries)
    if entries:
        return any(covers(entry, candidate) for entry in entries)
    return is_loopback_default(candidate)


# -- redirect URIs -------------------------------------------------------------------------


def prefix_covers(prefix: SplitResult | None, candidate: SplitResult) -> bool:
    """Same scheme, host and port as a registered prefix, and a path under the prefix's."""
    return (
        prefix is not None
        and candidate.scheme == prefix.scheme
        and candidate.hostname == prefix.hostname
        and candidate.port == prefix.port
        and candidate.path.startswith(prefix.path)
    )


def redirect_uri_allowed(uri: str, prefixes: Iterable[str]) -> bool:
    """Whether Kakao would redirect to ``uri``: a registered prefix, else any loopback URL."""
    return is_registered(
        split_url(uri),
        prefixes,
        lambda prefix, candidate: prefix_covers(split_url(prefix), candidate),
    )


def parse_redirect_uri(value: str) -> str:
    """A registered redirect URI prefix: an http(s) URL with a host."""
    parts = split_url(value)
    if parts is None or parts.scheme not in DEFAULT_PORTS:
        raise InvalidInput("INVALID_FIELD", f"redirect_uri_prefixes: not an http(s) URL: {value!r}")
    return value


# -- web domains ---------------------------------------------------------------------------


def _origin(parts: SplitResult) -> Origin:
    port = parts.port or DEFAULT_PORTS[parts.scheme]
    return Origin(parts.scheme, parts.hostname or "", port)


def parse_origin(value: str) -> Origin | None:
    """A browser's ``Origin`` header as (scheme, host, port), or None if it names no page.

    Strict: exactly ``scheme://host[:port]`` (``null``, ``http://a/`` and ``http://a?`` are not
    origins), http or https, no userinfo.
    """
    parts = split_url(value)
    if parts is None or parts.scheme not in DEFAULT_PORTS:
        return None
    if value.lower() != f"{parts.scheme}://{parts.netloc}".lower():
        return None
    return _origin(parts)


def parse_web_domain(value: str) -> str:
    """A registered domain as the console takes it: an origin, a trailing slash forgiven."""
    candidate = value[:-1] if value.endswith("/") else value
    if parse_origin(candidate) is None:
        raise InvalidInput(
            "INVALID_FIELD",
            f"web_domains: not an origin like http://localhost:3000 or https://app.example.com:"
            f" {value!r}",
        )
    return candidate.lower()


def origin_registered(origin: str, domains: Iterable[str]) -> bool:
    """Whether a page at ``origin`` may use the app's keys: a registered domain, else loopback."""
    return is_registered(
        parse_origin(origin), domains, lambda domain, caller: parse_origin(domain) == caller
    )
