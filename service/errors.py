"""The service's error codes in one place, and the exception that carries them.

Every error response is `{"message": CODE}`; the status for each code is fixed here so no
handler can answer the same code with two statuses.
"""

from __future__ import annotations

from collections.abc import Mapping

from tornado.web import HTTPError

#: code -> (HTTP status, when it is used)
ERRORS: dict[str, tuple[int, str]] = {
    "INVALID_JSON": (400, "body is not UTF-8 JSON or not an object"),
    "KEYERROR": (400, "kakao_id, user_name or email missing from the body"),
    "INVALID_KAKAO_ID": (400, "kakao_id is not an integer in 1..2**63-1"),
    "INVALID_USER_NAME": (400, "user_name is not 1..50 characters after trimming"),
    "INVALID_EMAIL": (400, "email is neither null/empty nor a valid address"),
    "INVALID_NONCE": (400, "nonce is not a string of 1..255 characters"),
    "INVALID_QUERY": (400, "a query parameter of /admin/accounts is not a number in range"),
    "BAD_REQUEST": (
        400,
        "ambiguous body framing (service.web.framing), or another malformed request",
    ),
    "INVALID_WEBHOOK": (400, "unlink webhook: app_id or user_id missing, repeated or not an id"),
    "INVALID_SECURITY_EVENT": (
        400,
        "account-status webhook: not application/secevent+jwt, or not a SET of Kakao's shape "
        "(one event, an iss-sub subject, int iat, a jti)",
    ),
    "TOKEN_REQUIRED": (401, "no token in Authorization"),
    "INVALID_TOKEN": (
        401,
        "Kakao rejects the token, our JWT does not verify, or the account was deleted after "
        "Kakao vouched for the token (a sign-in that raced a deletion)",
    ),
    "TOKEN_EXPIRED": (401, "our JWT has expired"),
    "TOKEN_FOR_ANOTHER_APP": (401, "token issued to another app (KAKAO_APP_ID, KAKAO_APP_KEYS)"),
    "ID_TOKEN_NOT_ACCEPTED": (401, "an id_token was sent but KAKAO_APP_KEYS is not set"),
    "INVALID_ADMIN_TOKEN": (401, "no `Bearer <ADMIN_TOKEN>`, or another token, on /admin/"),
    "SECURITY_EVENT_NOT_TRUSTED": (
        401,
        "account-status webhook: the SET's signature, issuer, audience (KAKAO_APP_KEYS) or "
        "subject issuer is not Kakao's for us, or its iat is outside the accepted window",
    ),
    "KAKAO_ID_MISMATCH": (403, "the body's kakao_id is not the token's owner"),
    "NONCE_MISMATCH": (403, "the body's nonce is not the id_token's"),
    "INVALID_ADMIN_KEY": (401, "unlink webhook: not `KakaoAK <KAKAO_ADMIN_KEY>`, or no key set"),
    "APP_ID_MISMATCH": (403, "unlink webhook: app_id is not KAKAO_APP_ID"),
    "INSUFFICIENT_SCOPE": (
        403,
        "Kakao answered -402: the person has not agreed to a consent item the call needs "
        "(additional consent, scope= on Kakao's authorize, grants it)",
    ),
    "NOT_FOUND": (404, "no such path"),
    "METHOD_NOT_ALLOWED": (405, "the path does not take that method"),
    "SECURITY_EVENT_REPLAYED": (409, "account-status webhook: a SET with this jti came before"),
    "BODY_TOO_LARGE": (413, "body over 64 KiB"),
    "INTERNAL_ERROR": (500, "a bug: logged server-side, never shown"),
    "INVALID_RESPONSE": (502, "Kakao answered something unusable"),
    "KAKAO_UNAVAILABLE": (502, "Kakao answered 5xx / -1, or could not be reached"),
    "KAKAO_RATE_LIMITED": (503, "Kakao answered 429 / -10; Retry-After is set"),
    "DATABASE_UNAVAILABLE": (503, "the database cannot be reached, is locked or is read-only"),
    "KAKAO_TIMEOUT": (504, "Kakao did not answer within KAKAO_TIMEOUT"),
}

#: the code for a bare HTTP status raised by Tornado itself (405, 404, ...)
CODE_FOR_STATUS = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "BODY_TOO_LARGE",
}


class ApiError(HTTPError):
    """An answer for the client: a status, a stable code, and maybe extra headers.

    It is a Tornado `HTTPError` so Tornado treats it as an expected outcome (a one-line warning
    at most), not as a crash with a traceback.
    """

    def __init__(self, code: str, *, headers: Mapping[str, str] | None = None) -> None:
        status, _meaning = ERRORS[code]
        super().__init__(status)
        self.code = code
        self.headers = dict(headers or {})

    def __repr__(self) -> str:
        return f"ApiError({self.code!r}, status={self.status_code})"

    __str__ = __repr__


def code_for_status(status: int) -> str:
    """The code for a status that did not come with an ApiError."""
    return CODE_FOR_STATUS.get(status, "INTERNAL_ERROR" if status >= 500 else "BAD_REQUEST")
