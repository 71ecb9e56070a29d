"""PKCE (RFC 7636): the ``code_challenge`` an authorize carried, checked at the code exchange.

Kakao's discovery document lists ``S256`` as the only method, so that is the only one the fake
honours: a code whose authorize sent another method (or none beside a challenge) cannot be
exchanged. Every failure is ``invalid_grant`` with ``KOE320``, the code Kakao answers for an
authorization code it will not exchange (unknown, reused, expired); RFC 7636 §4.6 makes a
verifier mismatch ``invalid_grant`` too, and Kakao documents no PKCE-specific KOE code. A
failed attempt uses the code up, so a verifier cannot be guessed by retrying.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from mock_kakao.web.errors import KauthError

S256 = "S256"
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


@dataclass(frozen=True)
class Challenge:
    value: str
    method: str


def challenge_of(code_challenge: str | None, method: str | None) -> Challenge | None:
    """The challenge an authorize sent, or None (no PKCE for this code)."""
    if not code_challenge:
        return None
    return Challenge(code_challenge, method or "")


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def refusal(description: str) -> KauthError:
    return KauthError(400, "invalid_grant", description, "KOE320")


def check(challenge: Challenge | None, verifier: str | None) -> None:
    """Raise Kakao's ``invalid_grant`` unless ``verifier`` answers ``challenge``."""
    if challenge is None:
        return
    if challenge.method != S256:
        raise refusal(f"code_challenge_method must be S256, not {challenge.method!r}")
    if not verifier:
        raise refusal("code_verifier is required (the authorize sent a code_challenge)")
    if not _VERIFIER.fullmatch(verifier):
        raise refusal("code_verifier must be 43 to 128 unreserved characters")
    if not hmac.compare_digest(s256(verifier), challenge.value):
        raise refusal("code_verifier does not match the code_challenge")
