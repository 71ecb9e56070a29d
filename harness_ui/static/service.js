// The service's API, called exactly as a frontend would: straight from the browser, with CORS.

import { request } from "./http.js";

/** Authorization header for the Kakao token: raw (as the original frontend) or Bearer. */
function kakaoAuth(token, style) {
  return { Authorization: style === "bearer" ? `Bearer ${token}` : token };
}

export function makeService(config) {
  const base = config.service_url;
  return {
    whoIs: (token, style) => request("GET", `${base}/auth/kakao`, { headers: kakaoAuth(token, style) }),
    signIn: (token, style, fields) =>
      request("POST", `${base}/auth/kakao`, { headers: kakaoAuth(token, style), json: fields }),
    me: (jwt) => request("GET", `${base}/users/me`, { headers: { Authorization: `Bearer ${jwt}` } }),
    deleteMe: (jwt) => request("DELETE", `${base}/users/me`, { headers: { Authorization: `Bearer ${jwt}` } }),
  };
}
