// The fake Kakao: its admin API (/_mock/, loopback only) and its OAuth endpoints (kauth).

import { request } from "./http.js";

export function makeKakao(config) {
  const base = config.kakao_url;
  const admin = (method, path, json) => request(method, `${base}/_mock${path}`, { json });
  return {
    listUsers: () => admin("GET", "/users"),
    createUser: (user) => admin("POST", "/users", user),
    updateUser: (id, changes) => admin("PATCH", `/users/${id}`, changes),
    issueToken: (id) => admin("POST", `/users/${id}/tokens`, { app_id: config.app_id }),
    /** The person disconnects the app on Kakao's side; the answer carries the webhook delivery. */
    disconnect: (id, referrerType) => admin("POST", `/users/${id}/unlink`, { referrer_type: referrerType }),
    /** Kakao's own logout (kapi) with the person's token: that token's grant stops working. */
    logout: (token) => request("POST", `${base}/v1/user/logout`, { headers: { Authorization: `Bearer ${token}` } }),
    getFaults: () => admin("GET", "/faults"),
    putFaults: (faults) => admin("PUT", "/faults", faults),
    addFault: (fault) => admin("POST", "/faults", fault),
    clearFaults: () => admin("DELETE", "/faults"),
    getClock: () => admin("GET", "/clock"),
    advanceClock: (seconds) => admin("POST", "/clock", { advance: seconds }),
    reset: () => admin("POST", "/reset"),

    /** Trade the code from the redirect for an access token, as a frontend does. */
    exchangeCode(code, redirectUri) {
      return request("POST", `${base}/oauth/token`, {
        form: {
          grant_type: "authorization_code", client_id: config.client_id ?? "",
          redirect_uri: redirectUri, code,
        },
      });
    },
  };
}

/** The token the page uses for a user: its first live token for our app, else its first one. */
export function pickToken(user, appId) {
  const tokens = (user.tokens ?? []).filter((t) => t.app_id === undefined || t.app_id === appId);
  return tokens.find((t) => !t.expired) ?? tokens[0] ?? null;
}
