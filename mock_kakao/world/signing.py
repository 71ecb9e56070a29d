"""The fake's id_token signing keys: RSA 2048, RS256, a ``kid`` of 30 hex chars like Kakao's.

A :class:`KeyRing` holds one *current* key, which signs, and the keys it replaced, each still
published in the JWKS until its ``retire_at`` on the fake's clock, so tokens signed before a
rotation keep verifying for a while, as Kakao's do. All JOSE work is PyJWT's: signing
(``jwt.encode``), the JWK export (``RSAAlgorithm.to_jwk``) and verification (``jwt.decode``).

With a key file the ring is generated once and kept (JSON holding PKCS#8 PEMs, mode 0600,
rewritten atomically on every change), so tokens verify across restarts. Without one it lives
in memory for the life of the process. A key file that is there but unusable (see
:mod:`mock_kakao.files.safefile`; not strict JSON; not a ring) is a :class:`KeyFileError`, and is
never overwritten: the person who made it decides.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from mock_kakao.files import safefile, strictjson
from mock_kakao.files.atomicfile import write_atomic
from mock_kakao.web.errors import InvalidInput

ALGORITHM = "RS256"
KEY_BITS = 2048
KID_HEX_CHARS = 30  # Kakao's kids, e.g. 9f252dadd5f233f93d2fa528d12fea
HEADER_ORDER = ("kid", "typ", "alg")  # Kakao's id_token header, exactly
JWK_ORDER = ("kid", "kty", "alg", "use", "n", "e")  # Kakao's JWKS entries
KEY_FILE_VERSION = 1
#: a key is about 1.8 KB of JSON, so this is hundreds of keys; anything bigger is not our file,
#: and is refused, not read
MAX_KEY_FILE_BYTES = 1024 * 1024
#: the most keys a ring keeps (the current one and 99 replaced ones, about 180 KB of file): a
#: rotation past it drops the replaced key that retires soonest, so however often keys rotate
#: the file stays one the next start reads back (see KeyRing.save)
MAX_KEYS = 100


class KeyFileError(ValueError):
    """The key file exists but cannot be used: the fake refuses to start (one line, exit 2)."""


class _KakaoJson(json.JSONEncoder):
    """PyJWT's JSON encoder hook: Kakao's header order, and UTF-8 (not ``\\uXXXX``) claims.

    PyJWT writes a header as ``typ, alg, kid``; Kakao's read ``kid, typ, alg``. Reordering the
    dict here changes no byte PyJWT signs by itself: it signs what this encoder writes.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs["ensure_ascii"] = False
        super().__init__(**kwargs)

    def encode(self, o: Any) -> str:
        if isinstance(o, dict) and set(o) == set(HEADER_ORDER):
            o = {key: o[key] for key in HEADER_ORDER}
        return super().encode(o)


def new_kid() -> str:
    return secrets.token_hex(KID_HEX_CHARS // 2)


@dataclass
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    created_at: float
    #: when a replaced key leaves the JWKS (fake clock); None for the current key
    retire_at: float | None = None

    @classmethod
    def generate(cls, now: float) -> SigningKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        return cls(new_kid(), key, now)

    def jwk(self) -> dict[str, str]:
        """The public key as Kakao's JWKS lists it: kid, kty, alg, use, n, e."""
        exported = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        fields = {**exported, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}
        return {key: fields[key] for key in JWK_ORDER}

    def to_control_json(self, current: bool) -> dict[str, Any]:
        """What ``GET /_mock/keys`` shows: never the private half."""
        return {
            "kid": self.kid,
            "current": current,
            "created_at": self.created_at,
            "retire_at": self.retire_at,
            "jwk": self.jwk(),
        }

    def to_file_json(self) -> dict[str, Any]:
        pem = self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return {
            "kid": self.kid,
            "created_at": self.created_at,
            "retire_at": self.retire_at,
            "private_key": pem.decode("ascii"),
        }

    @classmethod
    def from_file_json(cls, data: Any, where: str) -> SigningKey:
        if not isinstance(data, Mapping):
            raise KeyFileError(f"{where}: each key must be an object")
        kid, pem = data.get("kid"), data.get("private_key")
        if not isinstance(kid, str) or not kid or not isinstance(pem, str):
            raise KeyFileError(f"{where}: each key needs a string 'kid' and 'private_key'")
        try:
            key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
        except (ValueError, TypeError, UnicodeEncodeError) as exc:
            raise KeyFileError(f"{where}: key {kid}: not a PEM private key ({exc})") from None
        if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < KEY_BITS:
            raise KeyFileError(f"{where}: key {kid}: must be an RSA key of {KEY_BITS}+ bits")
        created, retire = data.get("created_at", 0), data.get("retire_at")
        if not _is_number(created) or not (retire is None or _is_number(retire)):
            raise KeyFileError(f"{where}: key {kid}: created_at/retire_at must be numbers")
        return cls(kid, key, float(created), None if retire is None else float(retire))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class KeyRing:
    """The current signing key and the replaced keys still published."""

    def __init__(self, keys: list[SigningKey], path: Path | None = None) -> None:
        if not keys or keys[0].retire_at is not None:
            raise ValueError("a key ring starts with its current key")
        self._keys = keys
        self.path = path

    @classmethod
    def generate(cls, now: float, path: Path | None = None) -> KeyRing:
        ring = cls([SigningKey.generate(now)], path)
        ring.save()
        return ring

    @classmethod
    def open(cls, path: str | Path | None, now: float) -> KeyRing:
        """The ring in ``path`` (created there on first start), or a fresh in-memory one."""
        if path is None:
            return cls.generate(now)
        path = Path(path)
        try:
            found = safefile.read_text(path, MAX_KEY_FILE_BYTES)
        except safefile.FileProblem as problem:
            raise KeyFileError(f"{path}: cannot read the key file: {problem}") from None
        if found is None:
            return cls.generate(now, path)
        try:
            document = strictjson.loads(found.text, what="the key file")
        except InvalidInput as exc:
            raise KeyFileError(f"{path}: {exc.detail}") from None
        keys = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(keys, list) or not keys:
            raise KeyFileError(f"{path}: the key file needs a non-empty 'keys' list")
        ring = [SigningKey.from_file_json(item, str(path)) for item in keys]
        if ring[0].retire_at is not None or any(k.retire_at is None for k in ring[1:]):
            raise KeyFileError(f"{path}: the first key (only) must be current (retire_at null)")
        return cls(ring, path)

    @property
    def current(self) -> SigningKey:
        return self._keys[0]

    def published(self, now: float) -> list[SigningKey]:
        """The keys in the JWKS: the current one, then replaced ones not yet retired."""
        return [k for k in self._keys if k.retire_at is None or k.retire_at > now]

    def jwks(self, now: float) -> dict[str, Any]:
        return {"keys": [key.jwk() for key in self.published(now)]}

    def to_control_json(self, now: float) -> list[dict[str, Any]]:
        return [key.to_control_json(key is self.current) for key in self.published(now)]

    def rotate(self, now: float, keep_old_seconds: float) -> SigningKey:
        """A new current key; the old one stays published for ``keep_old_seconds``, or until
        MAX_KEYS newer keys have replaced it. Keys already retired (fake clock) are dropped."""
        self.current.retire_at = now + keep_old_seconds
        kept = [k for k in self.published(now) if k.retire_at is not None]
        # the ones retiring last stay: they are the ones tokens still need the longest
        kept.sort(key=lambda k: k.retire_at or 0.0, reverse=True)
        self._keys = [SigningKey.generate(now), *kept[: MAX_KEYS - 1]]
        self.save()
        return self.current

    def forget_retired(self) -> None:
        """Drop every replaced key (a reset): the current key, and so its tokens, stay."""
        if len(self._keys) > 1:
            self._keys = [self.current]
            self.save()

    def sign(self, claims: dict[str, Any], typ: str = "JWT") -> str:
        """A compact JWS of ``claims`` (in their given order) by the current key; ``typ`` is
        ``JWT`` for id_tokens, ``secevent+jwt`` for Security Event Tokens (RFC 8417)."""
        return jwt.encode(
            claims,
            self.current.private_key,
            algorithm=ALGORITHM,
            headers={"kid": self.current.kid, "typ": typ},
            json_encoder=_KakaoJson,
            sort_headers=False,
        )

    def verify(self, token: str, now: float) -> dict[str, Any]:
        """The claims of a token one of the published keys signed; ``jwt.InvalidTokenError``.

        Expiry is checked against ``now`` (the fake's clock), not the wall clock PyJWT reads.
        The audience and issuer are not: tokeninfo answers for any of the fake's tokens.
        """
        kid = jwt.get_unverified_header(token).get("kid")
        key = next((k for k in self.published(now) if k.kid == kid), None)
        if key is None:
            raise jwt.InvalidTokenError(f"no published key with kid {kid!r}")
        claims = jwt.decode(
            token,
            key.private_key.public_key(),
            algorithms=[ALGORITHM],
            options={"verify_exp": False, "verify_iat": False, "verify_aud": False},
        )
        exp = claims.get("exp")
        if not _is_number(exp):
            raise jwt.InvalidTokenError("the token has no exp")
        if exp <= now:
            raise jwt.ExpiredSignatureError("the token has expired")
        return claims

    def encode(self) -> bytes:
        """The key file's bytes: never over MAX_KEY_FILE_BYTES, which :meth:`open` refuses.

        MAX_KEYS keeps a ring of the fake's own keys far below it; a ring read from a file of
        bigger keys drops its replaced keys that retire soonest until it fits (the current key
        always stays: it alone is under the cap, since the file it came from was).
        """
        while True:
            document = {"version": KEY_FILE_VERSION, "keys": [k.to_file_json() for k in self._keys]}
            data = (json.dumps(document, indent=1) + "\n").encode("utf-8")
            if len(data) <= MAX_KEY_FILE_BYTES or len(self._keys) == 1:
                return data
            soonest = min(self._keys[1:], key=lambda k: k.retire_at or 0.0)
            self._keys.remove(soonest)

    def save(self) -> None:
        """Write the ring to its file, mode 0600, atomically (no half-written key file)."""
        if self.path is None:
            return
        write_atomic(self.path, self.encode())
