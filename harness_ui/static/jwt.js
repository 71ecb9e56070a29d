// Decode (not verify) a JWT so the page can show its claims; verifying needs the secret.

import { parseJson } from "./json.js";

function base64UrlDecode(part) {
  const base64 = part.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);  // claims may hold Korean text: decode as UTF-8
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
