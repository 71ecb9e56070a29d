"""The fake's Kakao *app*, as Kakao's console defines one: keys, registered URLs, OIDC.

Beside the users, the fake models one app (design.md, "Where the design grows"): its keys (REST
API, JavaScript, admin, optional native app key and client secret), its registered redirect
URIs and web domains, its OpenID Connect switch, the issuer its id_tokens name, and its signing
keys. Each setting comes from, in order: a flag or its environment variable (or ``MockKakao``
argument: the setting is *pinned*), a saved or imported state (``--state``, ``PUT /_mock/state``),
the users file's ``app`` section, the default. A state never replaces a pinned setting (the
service was started with it, e.g. run_all's ``KAKAO_ADMIN_KEY``); ``PATCH /_mock/app`` changes
any of them until the next reset.

The unlink webhook (kakao-api.md, "Unlink webhook") is a setting too: its URL (None: no
webhook) and method, GET or POST; so is the account-status webhook's URL (kakao-api.md,
"Webhooks and security events"; None: no Security Event Tokens are sent), which follows the
same URL rules (see :mod:`mock_kakao.world.secevents`).

Registered URLs (kakao-api.md, "Redirect URIs, web domains, keys"; see
:mod:`mock_kakao.world.registered`): redirect URIs per REST API key and per JavaScript key, the
JavaScript key's web domains and the logout redirect URIs, each matched exactly. The default
app registers short lists; a flag or the users file *adds* to them (a URI in use is never
lost by registering another), ``PATCH /_mock/app`` and an imported state *set* them.
OpenID Connect is off by default, as on a newly created Kakao app.

Which key an endpoint takes is Kakao's rule (kakao-api.md, "App keys"; "Redirect URIs, web
domains, keys"): ``/oauth/authorize`` takes the REST API, JavaScript or native app key (the
admin key is KOE008), ``/oauth/token`` the REST API key (with the client secret when it is on),
the JavaScript key with a registered ``client_origin`` and the native app key with a
registered ``android_key_hash`` or ``ios_bundle_id``, as Kakao's SDKs send them (the native
key's platforms are the ``android_key_hashes`` and ``ios_bundle_ids`` lists, empty on a new
app); a token lives 2 h when its login used the JavaScript key, 6 h the REST API key, 12 h the
native app key.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from yarl import URL

from mock_kakao.files import validation as v
from mock_kakao.web.errors import ControlError, InvalidInput
from mock_kakao.world import registered
from mock_kakao.world.consentitems import DEFAULT_ITEMS, ConsentItem, parse_consent_items
from mock_kakao.world.serviceterms import ServiceTerm, parse_terms
from mock_kakao.world.signing import KeyRing
from mock_kakao.world.tokens import ACCESS_TOKEN_TTL
from mock_kakao.world.users import DEFAULT_PROPERTIES, valid_property_key

DEFAULT_REST_API_KEY = "mock-rest-api-key"
DEFAULT_JAVASCRIPT_KEY = "mock-javascript-key"
DEFAULT_ADMIN_KEY = "mock-admin-key"
MAX_KEY_CHARS = 256
#: a DNS name's limits (RFC 1035): 253 characters, labels of 1 to 63 without an edge hyphen
MAX_HOST_CHARS = 253
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
#: the console lets an app choose either; POST sends the fields as a form body
WEBHOOK_METHODS = ("GET", "POST")
DEFAULT_WEBHOOK_METHOD = "POST"
#: how long a replaced signing key stays in the JWKS by default: an id_token's whole lifetime
DEFAULT_KEEP_OLD_SECONDS = 21600
MAX_KEEP_OLD_SECONDS = 10 * 366 * 24 * 3600
#: the APIs Kakao lets an admin key call (kakao-api.md, devtalk 148737), in its order: a new
#: app's admin key may call them all (Kakao does not say what a new key allows: the fake
#: chooses the documented list); ``admin_key_apis`` narrows it (issue 20 rule 4)
ADMIN_KEY_APIS = (
    "/v1/user/logout",
    "/v1/user/unlink",
    "/v2/user/me",
    "/v1/user/shipping_address",
    "/v2/user/scopes",
    "/v2/user/revoke/scopes",
    "/v2/user/service_terms",
    "/v2/user/revoke/service_terms",
    "/v2/user/upgrade/service_terms",
    "/v2/app/users",
    "/v1/user/ids",
)


class KeyKind(StrEnum):
    """An app key's type, named by its setting."""

    REST = "rest_api_key"
    JAVASCRIPT = "javascript_key"
    NATIVE = "native_app_key"
    ADMIN = "admin_key"


#: an access token's lifetime by the key its login's authorize used (minus a second, as Kakao)
ACCESS_TOKEN_TTLS = {
    KeyKind.JAVASCRIPT: 7199,
    KeyKind.REST: ACCESS_TOKEN_TTL,
    KeyKind.NATIVE: 43199,
}
#: the keys a login (``/oauth/authorize``) takes
LOGIN_KEYS = (KeyKind.REST, KeyKind.JAVASCRIPT, KeyKind.NATIVE)
OPTIONAL_SECRETS = ("native_app_key", "client_secret")
SECRET_FIELDS = (*(kind.value for kind in KeyKind), "client_secret")
#: the webhooks' URL settings: each normalised and held to this machine alike
WEBHOOK_URL_FIELDS = ("unlink_webhook_url", "account_status_webhook_url")
WEBHOOK_FIELDS = ("unlink_webhook_url", "unlink_webhook_method", "account_status_webhook_url")
#: the fields whose null is a value: no native app key, no client secret, no webhook
NULL_MEANS_OFF = (*OPTIONAL_SECRETS, *WEBHOOK_URL_FIELDS)
#: the optional strings (and the switch) whose null means "left out" (issue 20 rule 10); a
#: list's null is refused as not a list, as the admin API's document says
NULL_MEANS_LEFT_OUT = (
    "oidc",
    "rest_api_key",
    "javascript_key",
    "admin_key",
    "unlink_webhook_method",
)
#: the registered lists (URLs, and the native app key's platforms), and what each one's entries
#: must be
URL_LISTS = {
    "rest_api_redirect_uris": registered.parse_redirect_uri,
    "javascript_redirect_uris": registered.parse_redirect_uri,
    "web_domains": registered.parse_web_domain,
    "logout_redirect_uris": registered.parse_redirect_uri,
    "android_key_hashes": registered.parse_android_key_hash,
    "ios_bundle_ids": registered.parse_ios_bundle_id,
}
APP_FIELDS = (
    "oidc",
    *SECRET_FIELDS,
    *URL_LISTS,
    *WEBHOOK_FIELDS,
    "consent_items",
    "admin_key_apis",
    "user_properties",
    "service_terms",
)
#: a field of the prefix-matching days: refused by name, since its meaning is gone
RETIRED_FIELDS = {
    "redirect_uri_prefixes": "redirect URIs now match exactly and per key: use "
    "rest_api_redirect_uris and javascript_redirect_uris",
}


@dataclass(frozen=True)
class AppSettings:
    """The console's settings of the app, checked: what ``GET /_mock/app`` shows."""

    oidc: bool = False  # a newly created Kakao app has OpenID Connect off
    rest_api_key: str = DEFAULT_REST_API_KEY
    javascript_key: str = DEFAULT_JAVASCRIPT_KEY
    admin_key: str = DEFAULT_ADMIN_KEY
    native_app_key: str | None = None
    client_secret: str | None = None  # None: the console's Client Secret switch is off
    #: the REST API key's redirect URIs, matched exactly
    rest_api_redirect_uris: tuple[str, ...] = registered.DEFAULT_REST_API_REDIRECT_URIS
    #: the JavaScript key's redirect URIs, matched exactly
    javascript_redirect_uris: tuple[str, ...] = registered.DEFAULT_JAVASCRIPT_REDIRECT_URIS
    #: the JavaScript key's web domains (JavaScript SDK domains)
    web_domains: tuple[str, ...] = registered.DEFAULT_WEB_DOMAINS
    #: [로그아웃 리다이렉트 URI]: where /oauth/logout may send the browser (else KOE007)
    logout_redirect_uris: tuple[str, ...] = registered.DEFAULT_LOGOUT_REDIRECT_URIS
    #: the native app key's Android platform: its key hashes (a new app: none)
    android_key_hashes: tuple[str, ...] = ()
    #: the native app key's iOS platform: its bundle ids (a new app: none)
    ios_bundle_ids: tuple[str, ...] = ()
    unlink_webhook_url: str | None = None  # None: no webhook is called
    unlink_webhook_method: str = DEFAULT_WEBHOOK_METHOD
    #: where Security Event Tokens are POSTed (None: no account-status webhook)
    account_status_webhook_url: str | None = None
    #: the consent items the app asks for (see mock_kakao.world.consentitems)
    consent_items: tuple[ConsentItem, ...] = DEFAULT_ITEMS
    #: the APIs the admin key may call (the console's list since 2025-12-03)
    admin_key_apis: tuple[str, ...] = ADMIN_KEY_APIS
    #: the custom user property keys the app added (a new app: none)
    user_properties: tuple[str, ...] = ()
    #: the Kakao Sync service terms the consent page shows (a new app: none)
    service_terms: tuple[ServiceTerm, ...] = ()

    def checked(self) -> AppSettings:
        """These settings, if no two keys are the same string (a key must name one type)."""
        keys = [(kind, getattr(self, kind.value)) for kind in KeyKind]
        keys = [(kind, key) for kind, key in keys if key is not None]
        for i, (kind, key) in enumerate(keys):
            for other, other_key in keys[:i]:
                if key == other_key:
                    raise InvalidInput(
                        "INVALID_FIELD", f"app: {kind.value} must differ from {other.value}"
                    )
        return self

    @property
    def login_keys(self) -> tuple[str, ...]:
        """The keys a login can authorize with, so an id_token's ``aud`` is one of them."""
        keys = (self.rest_api_key, self.javascript_key, self.native_app_key)
        return tuple(key for key in keys if key is not None)

    def to_json(self) -> dict[str, Any]:
        """Every setting, each registered list in full (defaults included)."""
        body = asdict(self)
        body["client_secret_required"] = self.client_secret is not None
        for name in URL_LISTS:
            body[name] = list(getattr(self, name))
        body["consent_items"] = [item.to_json() for item in self.consent_items]
        body["service_terms"] = [term.to_json() for term in self.service_terms]
        return body


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


def _connectable_host(host: str) -> bool:
    """An IP address or a DNS name of letters, digits and hyphens: what a client can reach."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.removesuffix(".").split(".")
    return len(host) <= MAX_HOST_CHARS and all(_HOST_LABEL.fullmatch(label) for label in labels)


def normalised_webhook_url(url: str) -> str | None:
    """``url`` as the fake's HTTP client (aiohttp, through yarl) will call it, or None when it
    is not an http(s) URL with a host a client can connect to and no fragment.

    yarl maps the host by IDNA (UTS 46): ``①②⑦.0.0.1`` and ``127。0。0。1`` are 127.0.0.1, and
    percent-encodes the path and query. The fake stores and shows this spelling, so what the
    admin API shows is what is called, and the this-machine rule judges the host called.
    """
    try:
        parsed = URL(url)
        normalised = str(parsed)
        host = parsed.raw_host  # the name connected to: ASCII, IDNA-encoded
        parsed.host  # noqa: B018 - decodes the A-labels: raises on one that is not punycode
        parts = urlsplit(normalised)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except (TypeError, ValueError):  # UnicodeError (IDNA refused it) is a ValueError
        return None
    if (
        parts.scheme not in ("http", "https")
        or parts.fragment
        or host is None
        or parts.hostname != host  # the two parsers must agree on the host
        or not _connectable_host(host)
    ):
        return None
    return normalised


def valid_webhook_url(url: str) -> bool:
    """A URL the fake can call (see :func:`normalised_webhook_url`)."""
    return normalised_webhook_url(url) is not None


def valid_admin_key(key: str) -> bool:
    """A key that fits in ``Authorization: KakaoAK <key>``: printable ASCII, no spaces."""
    return 0 < len(key) <= MAX_KEY_CHARS and all("!" <= c <= "~" for c in key)


def _secret(data: Mapping[str, Any], key: str) -> str | None:
    """A key or the client secret: printable, no spaces, at most MAX_KEY_CHARS."""
    value = v.get_str(data, key, nullable=key in OPTIONAL_SECRETS)
    if value is None:
        return None
    if not 0 < len(value) <= MAX_KEY_CHARS or not all(c.isprintable() for c in value):
        raise InvalidInput(
            "INVALID_FIELD", f"{key} must be 1 to {MAX_KEY_CHARS} printable characters"
        )
    if any(c.isspace() for c in value):
        raise InvalidInput("INVALID_FIELD", f"{key} must not contain spaces")
    if key == "admin_key" and not valid_admin_key(value):  # it travels in a header
        raise InvalidInput("INVALID_FIELD", "admin_key must be printable ASCII")
    return value


def _url_list(data: Mapping[str, Any], key: str, parse: Callable[[str], str]) -> tuple[str, ...]:
    items = v.get_list(data, key)
    if not all(isinstance(item, str) for item in items):
        raise InvalidInput("INVALID_FIELD", f"{key} must be a list of strings")
    return tuple(parse(item) for item in items)


def _admin_key_apis(data: Mapping[str, Any]) -> tuple[str, ...]:
    """A subset of Kakao's admin-key APIs, each named once (kept in Kakao's order)."""
    items = v.get_list(data, "admin_key_apis")
    if not all(isinstance(item, str) and item in ADMIN_KEY_APIS for item in items):
        raise InvalidInput(
            "INVALID_FIELD",
            f"admin_key_apis must list paths among: {', '.join(ADMIN_KEY_APIS)}",
        )
    if len(set(items)) != len(items):
        raise InvalidInput("INVALID_FIELD", "admin_key_apis names a path twice")
    return tuple(path for path in ADMIN_KEY_APIS if path in items)


def _user_properties(data: Mapping[str, Any]) -> tuple[str, ...]:
    items = v.get_list(data, "user_properties")
    if not all(valid_property_key(item) for item in items) or len(set(items)) != len(items):
        raise InvalidInput(
            "INVALID_FIELD",
            "user_properties must list distinct keys (letters, digits, _), not "
            f"{', '.join(DEFAULT_PROPERTIES)}",
        )
    return tuple(items)


def parse_app_section(data: Any) -> dict[str, Any]:
    """The users file's ``app`` object (and ``PATCH /_mock/app``'s body): the fields it sets."""
    data = v.expect_object(data, "app")
    for name, why in RETIRED_FIELDS.items():
        if name in data:
            raise InvalidInput("INVALID_FIELD", f"app: {name} is no longer taken: {why}")
    v.reject_unknown(data, APP_FIELDS, "app")
    data = {
        key: val for key, val in data.items() if val is not None or key not in NULL_MEANS_LEFT_OUT
    }
    settings: dict[str, Any] = {}
    if "oidc" in data:
        settings["oidc"] = v.get_bool(data, "oidc", True)
    for key in SECRET_FIELDS:
        if key in data:
            settings[key] = _secret(data, key)
    for name, parse in URL_LISTS.items():
        if name in data:
            settings[name] = _url_list(data, name, lambda item, name=name, p=parse: p(item, name))
    for name in WEBHOOK_URL_FIELDS:
        if name in data:
            url = v.get_str(data, name, nullable=True)
            normalised = None if url is None else normalised_webhook_url(url)
            if url is not None and normalised is None:
                raise InvalidInput(
                    "INVALID_FIELD",
                    f"{name} must be an http(s) URL whose host, as IDNA maps it, is an IP "
                    "address or a DNS name (letters, digits, hyphens), or null",
                )
            settings[name] = normalised
    if "unlink_webhook_method" in data:
        settings["unlink_webhook_method"] = v.get_choice(
            data, "unlink_webhook_method", WEBHOOK_METHODS, DEFAULT_WEBHOOK_METHOD
        )
    if "consent_items" in data:  # see mock_kakao.world.consentitems
        settings["consent_items"] = parse_consent_items(data["consent_items"])
    if "admin_key_apis" in data:
        settings["admin_key_apis"] = _admin_key_apis(data)
    if "user_properties" in data:
        settings["user_properties"] = _user_properties(data)
    if "service_terms" in data:  # see mock_kakao.world.serviceterms
        settings["service_terms"] = parse_terms(data["service_terms"])
    return settings


def with_additions(settings: AppSettings, changes: Mapping[str, Any]) -> AppSettings:
    """``settings`` changed as a flag or the users file changes them: a setting is replaced,
    a registered list gains the entries it lacks (in order, after the ones it has)."""
    fields = dict(changes)
    for name in URL_LISTS:
        if name in fields:
            have = getattr(settings, name)
            fields[name] = (*have, *(item for item in fields[name] if item not in have))
    return replace(settings, **fields).checked()


class KakaoApp:
    """The fake's one app: its settings (keys, registered URLs, OIDC switch), issuer, signing keys.

    Every setting argument left None follows the users file's ``app`` section (then the
    default); a value pins it, as a flag does. The URL lists (``rest_api_redirect_uris``,
    ``javascript_redirect_uris``, ``web_domains``, ``logout_redirect_uris``) add to the
    registered ones instead: a pinned entry stays registered whatever the file or a state
    says. ``issuer``: None means "the base URL the request reached" (see :meth:`issuer_for`).
    ``keys_file``: where the signing keys are kept; None keeps them in memory, generated on
    first use so a fake that never signs pays nothing for RSA key generation. Bad settings
    raise ValueError.
    """

    def __init__(
        self,
        *,
        oidc: bool | None = None,
        issuer: str | None = None,
        keys_file: str | Path | None = None,
        clock_now: float = 0.0,
        rest_api_key: str | None = None,
        javascript_key: str | None = None,
        admin_key: str | None = None,
        native_app_key: str | None = None,
        client_secret: str | None = None,
        rest_api_redirect_uris: Iterable[str] | None = None,
        javascript_redirect_uris: Iterable[str] | None = None,
        web_domains: Iterable[str] | None = None,
        logout_redirect_uris: Iterable[str] | None = None,
        unlink_webhook_url: str | None = None,
        unlink_webhook_method: str | None = None,
    ) -> None:
        given = {
            "oidc": oidc,
            "rest_api_key": rest_api_key,
            "javascript_key": javascript_key,
            "admin_key": admin_key,
            "native_app_key": native_app_key,
            "client_secret": client_secret,
            "rest_api_redirect_uris": list(rest_api_redirect_uris or ()) or None,
            "javascript_redirect_uris": list(javascript_redirect_uris or ()) or None,
            "web_domains": list(web_domains or ()) or None,
            "logout_redirect_uris": list(logout_redirect_uris or ()) or None,
            "unlink_webhook_url": unlink_webhook_url,
            "unlink_webhook_method": unlink_webhook_method,
        }
        try:
            self.pinned = parse_app_section({k: val for k, val in given.items() if val is not None})
            self.settings = with_additions(AppSettings(), self.pinned)
        except ControlError as exc:
            raise ValueError(exc.detail) from None
        self.issuer = issuer.rstrip("/") if issuer else None
        self._keys: KeyRing | None = None
        if keys_file is not None:  # opened now: a bad file stops the start, a new one is made
            self._keys = KeyRing.open(keys_file, clock_now)

    @property
    def oidc(self) -> bool:
        return self.settings.oidc

    @property
    def admin_key(self) -> str:
        return self.settings.admin_key

    @property
    def unlink_webhook_url(self) -> str | None:
        return self.settings.unlink_webhook_url

    @property
    def unlink_webhook_method(self) -> str:
        return self.settings.unlink_webhook_method

    @property
    def account_status_webhook_url(self) -> str | None:
        return self.settings.account_status_webhook_url

    @property
    def consent_items(self) -> tuple[ConsentItem, ...]:
        return self.settings.consent_items

    @property
    def keys(self) -> KeyRing:
        """The id_token signing keys (not to be confused with the app keys in ``settings``)."""
        if self._keys is None:
            self._keys = KeyRing.open(None, time.time())
        return self._keys

    def reset(self, section: Mapping[str, Any], *, forget_keys: bool = True) -> None:
        """Back to the users file's ``app`` section (under the pins); replaced signing keys
        leave the JWKS (``forget_keys``)."""
        self.settings = with_additions(with_additions(AppSettings(), section), self.pinned)
        if forget_keys and self._keys is not None:
            self._keys.forget_retired()

    def under_pins(self, settings: AppSettings) -> AppSettings:
        """``settings`` with the flags' values over them (a flag beats a saved state too)."""
        return with_additions(settings, self.pinned)

    def pins_overridden(self, settings: AppSettings) -> tuple[str, ...]:
        """The pinned settings ``settings`` would change, in APP_FIELDS order: what an import
        (``PUT /_mock/state``, a state file) asked for and did not get."""
        return tuple(
            name
            for name in APP_FIELDS
            if name in self.pinned
            and (
                not set(self.pinned[name]) <= set(getattr(settings, name))
                if name in URL_LISTS
                else getattr(settings, name) != self.pinned[name]
            )
        )

    def update(self, changes: Mapping[str, Any]) -> None:
        """``PATCH /_mock/app``: parsed changes, until the next reset."""
        self.settings = replace(self.settings, **changes).checked()

    # -- the rules Kakao applies with these settings ---------------------------------------

    def key_kind(self, client_id: str | None) -> KeyKind | None:
        """Which of the app's keys ``client_id`` is, or None for no key of this app."""
        for kind in KeyKind:
            key = getattr(self.settings, kind.value)
            if key is not None and client_id == key:
                return kind
        return None

    def access_ttl(self, client_id: str) -> int:
        """The lifetime of a token whose login's authorize used ``client_id``."""
        kind = self.key_kind(client_id)
        return ACCESS_TOKEN_TTLS.get(kind, ACCESS_TOKEN_TTL) if kind else ACCESS_TOKEN_TTL

    def admin_key_may_call(self, path: str) -> bool:
        """Whether the console lets the admin key call ``path`` (else kapi's 403 -3)."""
        return path in self.settings.admin_key_apis

    def client_secret_ok(self, sent: str | None) -> bool:
        """With the Client Secret switch on, ``sent`` must be it; off, anything goes."""
        expected = self.settings.client_secret
        if expected is None:
            return True
        return sent is not None and hmac.compare_digest(sent.encode(), expected.encode())

    def redirect_uris_of(self, kind: KeyKind) -> tuple[str, ...]:
        """The redirect URIs registered for the key of type ``kind`` (none for the admin key)."""
        if kind is KeyKind.REST:
            return self.settings.rest_api_redirect_uris
        if kind is KeyKind.JAVASCRIPT:
            return self.settings.javascript_redirect_uris
        if kind is KeyKind.NATIVE and self.settings.native_app_key is not None:
            return (registered.native_redirect_uri(self.settings.native_app_key),)
        return ()

    def redirect_uri_allowed(self, client_id: str | None, uri: str) -> bool:
        """Whether a login with the key ``client_id`` may come back to ``uri`` (else KOE006)."""
        kind = self.key_kind(client_id)
        return kind is not None and registered.redirect_uri_registered(
            uri, self.redirect_uris_of(kind)
        )

    def logout_redirect_uri_allowed(self, uri: str) -> bool:
        """Whether ``/oauth/logout`` may send the browser to ``uri`` (else KOE007)."""
        return registered.redirect_uri_registered(uri, self.settings.logout_redirect_uris)

    def token_platform_ok(self, kind: KeyKind, params: Mapping[str, str]) -> bool:
        """Whether a ``/oauth/token`` request with a key of type ``kind`` names a platform the
        app registered for it (else KOE009 ``misconfigured``; kakao-api.md, CONFIRMED [FLT]).

        The JavaScript key needs ``client_origin`` among the web domains; the native app key an
        ``android_key_hash`` or ``ios_bundle_id`` among the registered ones, and every one of
        the two that is sent must be (one wrong value is a wrong platform, not a spare). Other
        keys name no platform here.
        """
        if kind is KeyKind.JAVASCRIPT:
            return self.origin_registered(params.get("client_origin", ""))
        if kind is KeyKind.NATIVE:
            sent = [
                (params[name], registered_values)
                for name, registered_values in (
                    ("android_key_hash", self.settings.android_key_hashes),
                    ("ios_bundle_id", self.settings.ios_bundle_ids),
                )
                if name in params
            ]
            return bool(sent) and all(value in values for value, values in sent)
        return True

    def origin_registered(self, origin: str) -> bool:
        """Whether a page at ``origin`` is one of the JavaScript key's web domains."""
        return registered.origin_registered(origin, self.settings.web_domains)

    def issuer_for(self, base_url: str) -> str:
        """The ``iss`` of tokens minted for a request that reached the fake at ``base_url``."""
        return self.issuer or base_url

    def to_json(self, base_url: str, now: float) -> dict[str, Any]:
        return {
            **self.settings.to_json(),
            "issuer": self.issuer_for(base_url),
            "keys_file": str(self.keys.path) if self.keys.path else None,
            "keys": self.keys.to_control_json(now),
        }
