"""The fake's Kakao *app*, as Kakao's console defines one: OpenID Connect, admin key, webhook.

Beside the users, the fake models one app (design.md, "Where the design grows"). This module
holds the console's OIDC switch, the issuer the fake's id_tokens name, the signing keys, the
admin key and the unlink webhook (URL and method). The users file's ``app`` section sets them
(``{"app": {"oidc": false, "unlink_webhook_url": "http://..."}}``); a flag overrides the file;
``PATCH /_mock/app`` changes them until the next reset.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mock_kakao import validation as v
from mock_kakao.errors import InvalidInput
from mock_kakao.signing import KeyRing

APP_FIELDS = ("oidc", "admin_key", "unlink_webhook_url", "unlink_webhook_method")
DEFAULT_ADMIN_KEY = "mock-admin-key"
#: the console lets an app choose either; POST sends the fields as a form body
WEBHOOK_METHODS = ("GET", "POST")
DEFAULT_WEBHOOK_METHOD = "POST"
#: how long a replaced signing key stays in the JWKS by default: an id_token's whole lifetime
DEFAULT_KEEP_OLD_SECONDS = 21600
MAX_KEEP_OLD_SECONDS = 10 * 366 * 24 * 3600


def valid_issuer(issuer: str) -> bool:
    """An ``iss`` a client can compare: an http(s) URL with a host, no query or fragment."""
    try:
        parts = urlsplit(issuer)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.netloc)
        and not (parts.query or parts.fragment)
    )


def valid_webhook_url(url: str) -> bool:
    """A URL the fake can call: http(s) with a host and no fragment (a query is kept)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.fragment


def valid_admin_key(key: str) -> bool:
    """A key that fits in ``Authorization: KakaoAK <key>``: printable ASCII, no spaces."""
    return 0 < len(key) <= 256 and all("!" <= c <= "~" for c in key)


def parse_app_section(data: Any) -> dict[str, Any]:
    """The users file's ``app`` object (and ``PATCH /_mock/app``'s body), checked."""
    data = v.expect_object(data, "app")
    v.reject_unknown(data, APP_FIELDS, "app")
    out: dict[str, Any] = {}
    if "oidc" in data:
        out["oidc"] = v.get_bool(data, "oidc", True)
    if "admin_key" in data:
        out["admin_key"] = v.get_str(data, "admin_key")
        if not valid_admin_key(out["admin_key"]):
            raise InvalidInput(
                "INVALID_FIELD", "admin_key must be 1-256 printable ASCII, no spaces"
            )
    if "unlink_webhook_url" in data:
        url = v.get_str(data, "unlink_webhook_url", nullable=True)
        if url is not None and not valid_webhook_url(url):
            raise InvalidInput("INVALID_FIELD", "unlink_webhook_url must be an http(s) URL or null")
        out["unlink_webhook_url"] = url
    if "unlink_webhook_method" in data:
        out["unlink_webhook_method"] = v.get_choice(
            data, "unlink_webhook_method", WEBHOOK_METHODS, DEFAULT_WEBHOOK_METHOD
        )
    return out


class KakaoApp:
    """The OIDC switch, the issuer and the signing key ring of the fake's one app.

    ``oidc``: None follows the users file (default on); True/False pins it (a flag).
    ``issuer``: None means "the base URL the request reached" (see :meth:`issuer_for`).
    ``keys_file``: where the signing keys are kept; None keeps them in memory, generated on
    first use so a fake that never signs pays nothing for RSA key generation.
    ``admin_key``, ``unlink_webhook_url``, ``unlink_webhook_method``: None follows the users
    file (defaults: ``mock-admin-key``, no webhook, POST); a value pins it (a flag).
    """

    def __init__(
        self,
        *,
        oidc: bool | None = None,
        issuer: str | None = None,
        keys_file: str | Path | None = None,
        clock_now: float = 0.0,
        admin_key: str | None = None,
        unlink_webhook_url: str | None = None,
        unlink_webhook_method: str | None = None,
    ) -> None:
        self.pinned_oidc = oidc
        self.oidc = True if oidc is None else oidc
        self._pinned = parse_app_section(
            {
                name: value
                for name, value in (
                    ("admin_key", admin_key),
                    ("unlink_webhook_url", unlink_webhook_url),
                    ("unlink_webhook_method", unlink_webhook_method),
                )
                if value is not None
            }
        )
        self.admin_key = DEFAULT_ADMIN_KEY
        self.unlink_webhook_url: str | None = None
        self.unlink_webhook_method = DEFAULT_WEBHOOK_METHOD
        self.apply({**self._pinned})
        self.issuer = issuer.rstrip("/") if issuer else None
        self._keys: KeyRing | None = None
        if keys_file is not None:  # opened now: a bad file stops the start, a new one is made
            self._keys = KeyRing.open(keys_file, clock_now)

    @property
    def keys(self) -> KeyRing:
        if self._keys is None:
            self._keys = KeyRing.open(None, time.time())
        return self._keys

    def reset(self, section: Mapping[str, Any]) -> None:
        """Back to the users file's ``app`` section; replaced keys leave the JWKS."""
        self.oidc = self.pinned_oidc if self.pinned_oidc is not None else section.get("oidc", True)
        self.admin_key = DEFAULT_ADMIN_KEY
        self.unlink_webhook_url = None
        self.unlink_webhook_method = DEFAULT_WEBHOOK_METHOD
        self.apply({**section, **self._pinned})
        if self._keys is not None:
            self._keys.forget_retired()

    def apply(self, changes: Mapping[str, Any]) -> None:
        """Set the admin key and webhook fields of a checked ``parse_app_section`` result."""
        self.admin_key = changes.get("admin_key", self.admin_key)
        self.unlink_webhook_url = changes.get("unlink_webhook_url", self.unlink_webhook_url)
        self.unlink_webhook_method = changes.get(
            "unlink_webhook_method", self.unlink_webhook_method
        )

    def issuer_for(self, base_url: str) -> str:
        """The ``iss`` of tokens minted for a request that reached the fake at ``base_url``."""
        return self.issuer or base_url

    def to_json(self, base_url: str, now: float) -> dict[str, Any]:
        return {
            "oidc": self.oidc,
            "admin_key": self.admin_key,  # the admin API is loopback-only, and shows tokens too
            "unlink_webhook_url": self.unlink_webhook_url,
            "unlink_webhook_method": self.unlink_webhook_method,
            "issuer": self.issuer_for(base_url),
            "keys_file": str(self.keys.path) if self.keys.path else None,
            "keys": self.keys.to_admin_json(now),
        }
