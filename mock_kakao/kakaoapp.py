"""The fake's Kakao *app*, as Kakao's console defines one: its OpenID Connect side for now.

Beside the users, the fake models one app (design.md, "Where the design grows"). This module
holds the part of it that OpenID Connect needs: the console's OIDC switch, the issuer the
fake's id_tokens name, and the signing keys. The users file's ``app`` section sets the switch
(``{"app": {"oidc": false}}``); a flag overrides the file; ``PATCH /_mock/app`` changes it
until the next reset.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mock_kakao import validation as v
from mock_kakao.consentitems import DEFAULT_ITEMS, ConsentItem, parse_consent_items
from mock_kakao.signing import KeyRing

APP_FIELDS = ("oidc", "consent_items")
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


def parse_app_section(data: Any) -> dict[str, Any]:
    """The users file's ``app`` object (and ``PATCH /_mock/app``'s body), checked."""
    data = v.expect_object(data, "app")
    v.reject_unknown(data, APP_FIELDS, "app")
    settings: dict[str, Any] = {"oidc": v.get_bool(data, "oidc", True)} if "oidc" in data else {}
    if "consent_items" in data:  # see mock_kakao.consentitems
        settings["consent_items"] = parse_consent_items(data["consent_items"])
    return settings


class KakaoApp:
    """The OIDC switch, the issuer and the signing key ring of the fake's one app.

    ``oidc``: None follows the users file (default on); True/False pins it (a flag).
    ``issuer``: None means "the base URL the request reached" (see :meth:`issuer_for`).
    ``keys_file``: where the signing keys are kept; None keeps them in memory, generated on
    first use so a fake that never signs pays nothing for RSA key generation.
    """

    def __init__(
        self,
        *,
        oidc: bool | None = None,
        issuer: str | None = None,
        keys_file: str | Path | None = None,
        clock_now: float = 0.0,
    ) -> None:
        self.pinned_oidc = oidc
        self.oidc = True if oidc is None else oidc
        self.issuer = issuer.rstrip("/") if issuer else None
        self.consent_items: tuple[ConsentItem, ...] = DEFAULT_ITEMS
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
        self.consent_items = section.get("consent_items", DEFAULT_ITEMS)
        if self._keys is not None:
            self._keys.forget_retired()

    def issuer_for(self, base_url: str) -> str:
        """The ``iss`` of tokens minted for a request that reached the fake at ``base_url``."""
        return self.issuer or base_url

    def to_json(self, base_url: str, now: float) -> dict[str, Any]:
        return {
            "oidc": self.oidc,
            "consent_items": [item.to_json() for item in self.consent_items],
            "issuer": self.issuer_for(base_url),
            "keys_file": str(self.keys.path) if self.keys.path else None,
            "keys": self.keys.to_admin_json(now),
        }
