// Decode (not verify) a JWT so the page can show its claims. Verifying the service's JWT needs
// its secret; Kakao's id_token is verified against Kakao's public keys in oidc.js.

import { parseJson } from "./json.js";

/** The bytes of one base64url part (a JWT's signature, say); throws on bad base64. */
export function base64UrlBytes(part) {
  const base64 = part.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

function base64UrlDecode(part) {
  return new TextDecoder().decode(base64UrlBytes(part));  // claims may hold Korean text: UTF-8
}

/** {header, payload} of a compact JWT; throws on anything that is not one. */
export function decodeJwt(token) {
  const parts = token.split(".");
  if (parts.length !== 3) throw new Error("not a JWT (expected three dot-separated parts)");
  return { header: parseJson(base64UrlDecode(parts[0])), payload: parseJson(base64UrlDecode(parts[1])) };
}

/** Claims with their timestamps also shown as local dates, which is what a person checks. */
export function describeClaims(payload) {
  const shown = { ...payload };
  for (const key of ["iat", "exp", "nbf"]) {
    if (typeof payload[key] === "number") {
      shown[key] = `${payload[key]} (${new Date(payload[key] * 1000).toLocaleString()})`;
    }
  }
  return shown;
}

/**
 * "id_token" or "access_token", by shape, as the service tells them apart (README, "Kakao
 * id_tokens"): three base64url parts whose first is a JSON header naming an `alg`.
 */
export function tokenKind(token) {
  try {
    const { header } = decodeJwt(token);
    if (header && typeof header === "object" && "alg" in header) return "id_token";
  } catch {
    // not a JWT: an opaque access token (even one that contains dots)
  }
  return "access_token";
}
