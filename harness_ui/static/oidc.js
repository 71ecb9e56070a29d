// "Sign in with Kakao (OpenID Connect)": the redirect flow with `scope: 'openid'` and a fresh
// nonce, then the id_token from /oauth/token checked right here, as a relying party checks it:
// the signature against the keys Kakao's discovery document points to (WebCrypto, RS256 only),
// then iss, aud, exp/iat and the nonce. Each check is shown; the login flow then runs with the
// id_token whatever the page found, so the service's own verdict is visible too.

import { byTestId, h, pretty, show } from "./dom.js";
import { request } from "./http.js";
import { base64UrlBytes, decodeJwt, describeClaims } from "./jwt.js";
import { randomHex, startSignIn } from "./redirect.js";

const NONCE_KEY = "kakao-harness-oidc-nonce";
/** The clock skew the service allows on exp and iat (README, "Kakao id_tokens"). */
const LEEWAY_SECONDS = 60;
const RS256 = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };

/** Leave for Kakao with `openid` and a nonce; the nonce is kept for the callback, beside the state. */
export function startOidcSignIn(sdk) {
  const nonce = randomHex();
  sessionStorage.setItem(NONCE_KEY, nonce);
  startSignIn(sdk, { scope: "openid", nonce });
}

/** The nonce an OpenID Connect sign-in left, removed: it is good for the next page load only. */
export function takeNonce() {
  const nonce = sessionStorage.getItem(NONCE_KEY);
  sessionStorage.removeItem(NONCE_KEY);
  return nonce;
}

const check = (id, label, ok, detail) => ({ id, label, ok: Boolean(ok), detail });

/** The signing key for `header` from the JWKS the discovery document names, or why not. */
async function findKey(header, discovery) {
  if (!discovery.ok) return { error: `discovery document: ${discovery.status || discovery.error}` };
  const jwks = await request("GET", discovery.body?.jwks_uri);
  if (!jwks.ok) return { error: `JWKS ${discovery.body?.jwks_uri}: ${jwks.status || jwks.error}` };
  const jwk = (jwks.body?.keys ?? []).find((key) => key.kid === header.kid);
  return jwk ? { jwk } : { error: `no key with kid ${header.kid} in the JWKS` };
}

async function signatureCheck(token, header, discovery) {
  const label = "Signature (RS256, Kakao's key by kid)";
  if (header.alg !== "RS256") return check("signature", label, false, `alg ${header.alg}: only RS256 is accepted`);
  if (!crypto.subtle) return check("signature", label, false, "WebCrypto needs a secure context (https, or 127.0.0.1/localhost)");
  const { jwk, error } = await findKey(header, discovery);
  if (error) return check("signature", label, false, error);
  try {
    const key = await crypto.subtle.importKey(
      "jwk", { kty: jwk.kty, n: jwk.n, e: jwk.e, alg: "RS256", ext: true }, RS256, false, ["verify"]);
    const [head, body, signature] = token.split(".");
    const valid = await crypto.subtle.verify(
      RS256.name, key, base64UrlBytes(signature), new TextEncoder().encode(`${head}.${body}`));
    return check("signature", label, valid, valid ? `verified with kid ${jwk.kid}` : "does not match the key");
  } catch (err) {
    return check("signature", label, false, `could not verify: ${err.message ?? err}`);
  }
}

function claimChecks(claims, { issuer, audience, nonce, now }) {
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  const { exp, iat } = claims;
  return [
    check("iss", "Issuer = discovery's issuer", issuer !== undefined && claims.iss === issuer,
      `${claims.iss} (expected ${issuer ?? "unknown: no discovery document"})`),
    check("aud", "Audience = this app's key", audiences.includes(audience),
      `${claims.aud} (expected ${audience})`),
    check("exp", "Not expired", typeof exp === "number" && now < exp + LEEWAY_SECONDS,
      `exp ${exp}, now ${now}, ${LEEWAY_SECONDS} s leeway`),
    check("iat", "Not issued in the future", typeof iat === "number" && iat <= now + LEEWAY_SECONDS,
      `iat ${iat}, now ${now}, ${LEEWAY_SECONDS} s leeway`),
    check("nonce", "Nonce = the one this page sent", nonce !== null && claims.nonce === nonce,
      nonce === null ? "this page sent none" : `${claims.nonce ?? "(none)"} (sent ${nonce})`),
  ];
}

/** Every check of `token`, in order; never throws (a token that does not decode fails them all). */
export async function verifyIdToken(token, { kakaoUrl, audience, nonce }) {
  let decoded;
  try {
    decoded = decodeJwt(token);
  } catch (err) {
    return { decoded: null, checks: [check("decode", "Decodes as a JWT", false, err.message)] };
  }
  const discovery = await request("GET", `${kakaoUrl}/.well-known/openid-configuration`);
  const now = Math.floor(Date.now() / 1000);
  const issuer = discovery.ok ? discovery.body?.issuer : undefined;
  return {
    decoded,
    checks: [
      await signatureCheck(token, decoded.header, discovery),
      ...claimChecks(decoded.payload, { issuer, audience, nonce, now }),
    ],
  };
}

function renderVerification({ decoded, checks }) {
  const failed = checks.filter((c) => !c.ok);
  const verdict = byTestId("oidc-verdict");
  verdict.className = `outcome outcome-${failed.length ? "error" : "ok"}`;
  verdict.dataset.ok = String(!failed.length);
  verdict.textContent = failed.length
    ? `Not valid: ${failed.map((c) => c.id).join(", ")} failed. The flow below still runs, to show the service's answer.`
    : "Valid: the signature and every claim check passed in this page.";
  byTestId("oidc-checks").replaceChildren(...checks.map((c) => h("li",
    { class: `oidc-check ${c.ok ? "oidc-check-ok" : "oidc-check-failed"}`,
      "data-testid": `oidc-check-${c.id}`, "data-ok": String(c.ok) },
    h("strong", {}, c.ok ? "OK" : "FAILED"), ` ${c.label}: `, h("span", { class: "mono" }, c.detail))));
  byTestId("oidc-header").textContent = decoded ? pretty(decoded.header) : "";
  byTestId("oidc-claims").textContent = decoded ? pretty(describeClaims(decoded.payload)) : "";
  show(byTestId("oidc-panel"), true);
}

/**
 * The callback of an OpenID Connect sign-in: show the id_token checked, then start the login
 * flow with it, the nonce going in the POST body so the service checks it too.
 */
export async function finishOidcSignIn(signIn, { nonce, config, flow, status }) {
  if (!signIn.idToken) {
    status.textContent = "Kakao's token answer had no id_token, though the page asked for scope openid.";
    return;
  }
  status.textContent = "Signed in with OpenID Connect; the id_token (not the access token) is used below.";
  const verification = await verifyIdToken(signIn.idToken, {
    kakaoUrl: config.kakao_url, audience: config.javascript_key, nonce,
  });
  renderVerification(verification);
  await flow.useToken(signIn.idToken, "id_token from the OpenID Connect redirect flow; "
    + "the nonce this page sent goes in the POST body", nonce ? { nonce } : {});
}
