// The service's API, called exactly as a frontend would: straight from the browser, with CORS.

import { request } from "./http.js";

/** Authorization header for the Kakao token: raw (as the original frontend) or Bearer. */
function kakaoAuth(token, style) {
  return { Authorization: style === "bearer" ? `Bearer ${token}` : token };
}

const ACCOUNTS_PAGE = 20;

export function makeService(config) {
  const base = config.service_url;
  const admin = (method, path) =>
    request(method, `${base}/admin${path}`, { headers: { Authorization: `Bearer ${config.admin_token}` } });
  return {
    whoIs: (token, style) => request("GET", `${base}/auth/kakao`, { headers: kakaoAuth(token, style) }),
    // The same call the user list makes for each person's account badge: labelled in the log,
    // so the flow's own GET /auth/kakao (step 2) stays the one unlabelled row.
    hasAccount: (token) =>
      request("GET", `${base}/auth/kakao`, { headers: kakaoAuth(token, "bearer"), source: "account check" }),
    signIn: (token, style, fields) =>
      request("POST", `${base}/auth/kakao`, { headers: kakaoAuth(token, style), json: fields }),
    me: (jwt) => request("GET", `${base}/users/me`, { headers: { Authorization: `Bearer ${jwt}` } }),

    // The admin API, with the token run_all.py made for this run (null: the API is off).
    hasAdmin: Boolean(config.admin_token),
    listAccounts: (after) =>
      admin("GET", `/accounts?limit=${ACCOUNTS_PAGE}${after === null ? "" : `&after=${after}`}`),
    deleteAccount: (id) => admin("DELETE", `/accounts/${id}`),
    deleteAllAccounts: () => admin("DELETE", "/accounts"),

    deleteMe: (jwt) => request("DELETE", `${base}/users/me`, { headers: { Authorization: `Bearer ${jwt}` } }),
  };
}
