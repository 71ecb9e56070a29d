// "Sign in with Kakao": the real redirect flow, through the fake's /oauth/authorize account
// picker and back to /callback with ?code&state, as a frontend implements it.

const STATE_KEY = "kakao-harness-oauth-state";

export function redirectUri() {
  return `${location.origin}/callback`;
}

function randomState() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Leave for Kakao; `state` is kept so the answer can be tied to this browser (CSRF check).
 * `extra` adds authorize parameters (e.g. {scope: "account_email"}: additional consent).
 */
export function startSignIn(kakao, extra = {}) {
  const state = randomState();
  sessionStorage.setItem(STATE_KEY, state);
  const url = new URL(kakao.authorizeUrl(redirectUri(), state));
  for (const [key, value] of Object.entries(extra)) url.searchParams.set(key, value);
  location.assign(url);
}

/**
 * If this page load is Kakao's redirect back, finish it: {token} on success, {error} in words
 * otherwise, null when this is an ordinary page load. The query is removed from the address bar
 * so a reload does not replay a used code.
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
  return { token: result.body.access_token };
}
