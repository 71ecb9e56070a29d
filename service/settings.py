"""Service settings: one frozen dataclass, filled from environment variables.

Every setting has an environment variable, a matching `python -m service` flag and a documented
default, so `python run_all.py` works on a fresh machine. The one exception is `SECRET_KEY`: a
default signing key would let anyone mint our JWTs, so a service started for real refuses to
start without one. Only the local harness may ask for a generated key.
"""

from __future__ import annotations

import math
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/kakao_login.sqlite3"
DEFAULT_CORS_ORIGINS = ("http://127.0.0.1:8002", "http://localhost:8002")
KAKAO_AUTH_URL = "https://kauth.kakao.com"
MIN_SECRET_KEY_LENGTH = 32  # HS256 wants a key at least as long as its 256-bit hash
#: the admin token guards deleting every account: as hard to guess as the signing key
MIN_ADMIN_TOKEN_LENGTH = 32
#: a Kakao Sync service term's tag as Kakao's console takes it (letters, digits, `_`, `.`, `-`)
SERVICE_TERM_TAG = re.compile(r"[A-Za-z0-9_.-]{1,64}")
#: an app has a console's worth of terms, not more
MAX_REQUIRED_SERVICE_TERMS = 50


class SettingsError(ValueError):
    """A setting is missing or malformed; the message is one line meant for a person."""


def secret_key_problem(key: str) -> str | None:
    """What is wrong with a (non-empty) JWT signing key, as words after its name; None if fine.

    Shared with the harness's key file (harness_ui.keyfile), which names the file instead.
    A key is printable text: 40 NUL bytes, or any control character, is a file that was never
    a key (a disk image, a stray binary) and would sign tokens anyone could guess.
    """
    if len(key.encode()) < MIN_SECRET_KEY_LENGTH:
        return (
            f"is too short: it holds a {len(key.encode())}-byte key, HS256 needs at least "
            f"{MIN_SECRET_KEY_LENGTH}"
        )
    if not key.isprintable():
        return "is not printable text: it holds control or other invisible characters"
    return None


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment.

    Construct it with `Settings.from_env()`; constructing it directly (as tests do) runs the
    same checks.
    """

    secret_key: str
    kakao_api_url: str = "https://kapi.kakao.com"
    kakao_app_id: int | None = None
    kakao_timeout: float = 5.0
    #: kauth: where Kakao's JWKS is (`/.well-known/jwks.json`), for verifying id_tokens
    kakao_auth_url: str = KAKAO_AUTH_URL
    #: the `iss` Kakao's id_tokens carry
    kakao_issuer: str = KAKAO_AUTH_URL
    #: our app keys, the `aud` an id_token must carry; empty: id_tokens are refused
    kakao_app_keys: tuple[str, ...] = ()
    #: a JWKS refetch for an unknown `kid` happens at most once per this many seconds
    kakao_jwks_refetch_interval: float = 10.0
    #: the cached JWKS is refetched on first use after this many seconds
    kakao_jwks_max_age: float = 3600.0
    #: the app's admin key: `DELETE /users/me` unlinks with it, and the unlink webhook must
    #: carry it (`Authorization: KakaoAK <key>`). Unset: Kakao is not told of deletions and the
    #: webhook is refused. A secret: out of `repr`, never logged.
    kakao_admin_key: str | None = field(default=None, repr=False)
    #: the Kakao Sync service terms (tags) a person must have agreed to: `GET /auth/kakao`
    #: names the missing ones (`missing_service_terms`), asking kapi's
    #: `/v2/user/service_terms`; empty: Kakao is not asked and none are missing
    kakao_required_service_terms: tuple[str, ...] = ()
    database_url: str = DEFAULT_DATABASE_URL
    jwt_ttl: int = 3600
    jwt_issuer: str = "kakao-login-harness"
    cors_origins: tuple[str, ...] = DEFAULT_CORS_ORIGINS
    host: str = "127.0.0.1"
    port: int = 8000
    #: seconds a connection may take to send a complete request head, counted from when it
    #: connects or its previous answer was sent: so it is also the keep-alive idle timeout
    #: (Tornado times both with one timer). A slowloris cannot stretch it by dribbling bytes.
    http_header_timeout: float = 20.0
    #: seconds to receive a whole request body once its head is in; the handler's own work
    #: (a Kakao call, up to KAKAO_TIMEOUT) comes after and is not counted
    http_body_timeout: float = 30.0
    #: connections served at once; more are closed as soon as they are accepted, so a flood
    #: of slow clients cannot take every file descriptor (in run_all, the fake's and the
    #: page's too: 400 + 300 + 100 stays below a ulimit -n of 1024)
    http_max_connections: int = 400
    #: `Authorization: Bearer <this>` opens /admin/accounts (list and delete accounts, for
    #: development); None: those endpoints do not exist (404, like any unknown path)
    admin_token: str | None = None

    def __post_init__(self) -> None:
        if not self.secret_key:
            raise SettingsError(
                "SECRET_KEY is not set: the service signs its JWTs with it and will not make "
                "one up (make one: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        problem = secret_key_problem(self.secret_key)
        if problem:
            raise SettingsError(f"SECRET_KEY {problem}")
        if not self.kakao_api_url.startswith(("http://", "https://")):
            raise SettingsError(f"KAKAO_API_URL must be an http(s) URL, got {self.kakao_api_url!r}")
        if not self.kakao_auth_url.startswith(("http://", "https://")):
            raise SettingsError(
                f"KAKAO_AUTH_URL must be an http(s) URL, got {self.kakao_auth_url!r}"
            )
        if self.kakao_jwks_refetch_interval < 0 or self.kakao_jwks_max_age <= 0:
            raise SettingsError(
                "KAKAO_JWKS_REFETCH_INTERVAL must be >= 0 and KAKAO_JWKS_MAX_AGE > 0 seconds"
            )
        if self.kakao_timeout <= 0:
            raise SettingsError("KAKAO_TIMEOUT must be a positive number of seconds")
        if self.jwt_ttl <= 0:
            raise SettingsError("JWT_TTL must be a positive number of seconds")
        if self.kakao_admin_key is not None and not _header_token(self.kakao_admin_key):
            raise SettingsError(
                "KAKAO_ADMIN_KEY must be 1-256 printable ASCII characters without spaces"
            )
        self._check_service_terms()
        if self.kakao_app_id is not None and self.kakao_app_id <= 0:
            raise SettingsError("KAKAO_APP_ID must be a positive integer")
        if not 0 <= self.port <= 65535:
            raise SettingsError("PORT must be between 0 and 65535")
        if self.admin_token is not None and (
            len(self.admin_token.encode()) < MIN_ADMIN_TOKEN_LENGTH
            or not self.admin_token.isascii()
            or not self.admin_token.isprintable()
            or " " in self.admin_token
        ):
            raise SettingsError(
                f"ADMIN_TOKEN must be at least {MIN_ADMIN_TOKEN_LENGTH} printable ASCII "
                "characters without spaces (make one: python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))')"
            )
        if self.http_max_connections <= 0:
            raise SettingsError("HTTP_MAX_CONNECTIONS must be a positive integer")
        for name in ("http_header_timeout", "http_body_timeout"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) > 0):
                raise SettingsError(f"{name.upper()} must be a positive number of seconds")

    def _check_service_terms(self) -> None:
        terms = self.kakao_required_service_terms
        bad = [tag for tag in terms if not SERVICE_TERM_TAG.fullmatch(tag)]
        if bad or len(terms) > MAX_REQUIRED_SERVICE_TERMS or len(set(terms)) != len(terms):
            raise SettingsError(
                f"KAKAO_REQUIRED_SERVICE_TERMS must be at most {MAX_REQUIRED_SERVICE_TERMS} "
                "distinct comma-separated tags of 1-64 letters, digits, '_', '.' or '-'"
            )
        if terms and self.kakao_app_keys and self.kakao_admin_key is None:
            # an id_token carries no access token to ask kapi with: only the admin key can
            raise SettingsError(
                "KAKAO_REQUIRED_SERVICE_TERMS with KAKAO_APP_KEYS needs KAKAO_ADMIN_KEY: an "
                "id_token lookup asks Kakao for the person's service terms with the admin key"
            )

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        allow_generated_secret: bool = False,
        **overrides: Any,
    ) -> Settings:
        """Read settings from `environ` (default `os.environ`); `overrides` win over it.

        `allow_generated_secret=True` is for the local harness only: without `SECRET_KEY` it
        makes up a random key, so tokens stop verifying when the process ends.
        """
        environ = os.environ if environ is None else environ
        names = {field.name for field in fields(cls)}
        unknown = set(overrides) - names
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")

        values: dict[str, Any] = {}
        for name, parse in _PARSERS.items():
            raw = environ.get(name.upper())
            if raw is not None and raw.strip() != "":
                values[name] = parse(name.upper(), raw.strip())
        values.update(overrides)
        if not values.get("secret_key") and allow_generated_secret:
            values["secret_key"] = secrets.token_urlsafe(32)
        values.setdefault("secret_key", "")
        return cls(**values)


def _text(_name: str, raw: str) -> str:
    return raw


def _header_token(value: str) -> bool:
    """Fits in an `Authorization` header as one word: printable ASCII, no spaces."""
    return 0 < len(value) <= 256 and all("!" <= char <= "~" for char in value)


def _int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None


def _float(name: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None


def parse_origins(_name: str, raw: str) -> tuple[str, ...]:
    """`CORS_ORIGINS` is comma-separated; `*` allows any origin."""
    return tuple(origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip())


def parse_list(_name: str, raw: str) -> tuple[str, ...]:
    """A comma-separated list, e.g. `KAKAO_APP_KEYS=rest-key,js-key`."""
    return tuple(item.strip() for item in raw.split(",") if item.strip())


_PARSERS = {
    "secret_key": _text,
    "kakao_api_url": _text,
    "kakao_app_id": _int,
    "kakao_timeout": _float,
    "kakao_auth_url": _text,
    "kakao_issuer": _text,
    "kakao_app_keys": parse_list,
    "kakao_jwks_refetch_interval": _float,
    "kakao_jwks_max_age": _float,
    "kakao_admin_key": _text,
    "kakao_required_service_terms": parse_list,
    "database_url": _text,
    "jwt_ttl": _int,
    "jwt_issuer": _text,
    "cors_origins": parse_origins,
    "host": _text,
    "port": _int,
    "http_header_timeout": _float,
    "http_body_timeout": _float,
    "http_max_connections": _int,
    "admin_token": _text,
}
