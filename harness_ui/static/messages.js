// Every code the service (and the fake's admin API) can answer, in words a person can act on.

const SENTENCES = {
  OK: "Succeeded.",
  CREATE_ACCOUNT: "New account created; you are signed in.",
  LOGIN_SUCCESS: "Welcome back; you are signed in.",
  ACCOUNT_DELETED: "Your account is deleted and the app is disconnected from your Kakao account; this JWT no longer works.",
  INVALID_ADMIN_KEY: "The unlink webhook did not carry the app's admin key.",
  TOKEN_REQUIRED: "No Kakao access token was sent; send it in the Authorization header.",
  INVALID_TOKEN: "The token is invalid or has expired; sign in with Kakao again.",
  TOKEN_EXPIRED: "Your session with the service has expired; sign in again.",
  TOKEN_FOR_ANOTHER_APP: "This Kakao token was issued to a different app; sign in through this app.",
  KAKAO_ID_MISMATCH: "The kakao_id sent does not belong to this Kakao token; sign-in refused.",
  NONCE_MISMATCH: "The nonce sent is not the one in the id_token; sign-in refused (a replayed or swapped token?).",
  INVALID_NONCE: "The nonce must be 1 to 255 printable characters.",
  ID_TOKEN_NOT_ACCEPTED: "The service takes no id_tokens: it has no Kakao app keys (KAKAO_APP_KEYS) configured.",
  INVALID_RESPONSE: "Kakao answered with something the service could not use; try again later.",
  KAKAO_UNAVAILABLE: "Kakao is down or unreachable; try again later.",
  KAKAO_TIMEOUT: "Kakao took too long to answer; try again later.",
  KAKAO_RATE_LIMITED: "Too many requests to Kakao right now; wait a moment and try again.",
  INVALID_JSON: "The request body was not valid JSON.",
  KEYERROR: "A required field is missing from the request.",
  INVALID_KAKAO_ID: "The kakao_id is not a valid Kakao user id.",
  INVALID_USER_NAME: "Enter a name (not empty, not too long).",
  INVALID_EMAIL: "That email address is not valid; check it and try again.",
  BODY_TOO_LARGE: "The request was too large.",
  NOT_FOUND: "There is nothing at this address.",
  USER_EXISTS: "A fake user with this id already exists.",
  NOT_LINKED: "This person has not let the app in (or already disconnected it).",
  access_denied: "The person cancelled the Kakao sign-in.",
  consent_required: "The person has not agreed to share their information yet.",
  invalid_grant: "The sign-in code was unknown, already used or expired; sign in again.",
  invalid_client: "The client_id (REST API key) was not accepted by Kakao.",
};

/** A sentence for a code; unknown codes still get words, never just the code. */
export function describeCode(code, status) {
  if (code && SENTENCES[code]) return SENTENCES[code];
  if (status === 0) return "Could not reach the server (is it running, and does CORS allow this page?).";
  if (status >= 500) return "The server failed to answer; see the log below for details.";
  if (status >= 400) return "The request was refused; see the log below for details.";
  return "Done.";
}

/** The code in any of our bodies: service {message}, admin {error, detail}, Kakao {msg, code}. */
export function codeOf(body) {
  if (!body || typeof body !== "object") return null;
  return body.message ?? body.error ?? (body.code !== undefined ? String(body.code) : null);
}
