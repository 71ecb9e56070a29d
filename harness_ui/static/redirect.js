// "Sign in with Kakao": the real redirect flow, as a frontend implements it with Kakao's
// JavaScript SDK (the fake's copy): Kakao.Auth.authorize sends the browser to the fake's
// account picker, which comes back to /callback with ?code&state; the code is then traded for a
// token at /oauth/token with the REST API key.

const STATE_KEY = "kakao-harness-oauth-state";

export function redirectUri() {
  return `${location.origin}/callback`;
}

/** 128 random bits as hex: for `state`, and for the OpenID Connect `nonce` (oidc.js). */
export function randomHex() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Leave for Kakao; `state` is kept so the answer can be tied to this browser (CSRF check).
 * `settings` adds authorize settings (oidc.js: `scope` and `nonce`; consent.js: `scope` for
 * additional consent).
 */
export function startSignIn(sdk, settings = {}) {
  const state = randomHex();
  sessionStorage.setItem(STATE_KEY, state);
  sdk.Auth.authorize({ ...settings, redirectUri: redirectUri(), state });
}

/**
 * If this page load is Kakao's redirect back, finish it: {token, idToken} on success (idToken
 * null when Kakao sent none), {error} in words otherwise, null when this is an ordinary page
 * load. The query is removed from the address bar so a reload does not replay a used code.
 */
export async function finishSignIn(kakao) {
  const params = new URLSearchParams(location.search);
  if (location.pathname !== "/callback" || !(params.has("code") || params.has("error"))) return null;
  const expected = sessionStorage.getItem(STATE_KEY);
  sessionStorage.removeItem(STATE_KEY);
  history.replaceState(null, "", "/");
  if (!expected || params.get("state") !== expected) {
    return { error: "The sign-in answer's state does not match the one this page sent; ignored (possible CSRF)." };
  }
  if (params.has("error")) {
    return { error: `Kakao sign-in did not complete: ${params.get("error_description") ?? params.get("error")}`, code: params.get("error") };
  }
  const result = await kakao.exchangeCode(params.get("code"), redirectUri());
  if (!result.ok || !result.body?.access_token) {
    return { error: `Could not trade the code for a token: ${result.body?.error_description ?? result.status}`, result };
  }
  return { token: result.body.access_token, idToken: result.body.id_token ?? null };
}
