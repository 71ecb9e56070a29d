// @auth/core's Auth() (what Auth.js's framework adapters call) with its Kakao provider as
// shipped, on web Request objects: csrf → signin (the redirect to Kakao) → callback (code
// exchange through oauth4webapi, then the profile) → session.
import { Auth } from "@auth/core";
import Kakao from "@auth/core/providers/kakao";
import { main, personLogsIn } from "./person.mjs";

const origin = process.env.APP_ORIGIN; // e.g. http://localhost:3000
const errors = [];
const config = {
  providers: [Kakao({ clientId: process.env.KAKAO_CLIENT_ID, clientSecret: process.env.KAKAO_CLIENT_SECRET })],
  secret: "auth-core-test-secret-0123456789abcdef",
  trustHost: true,
  basePath: "/api/auth",
  logger: { error: (error) => errors.push(`${error.name}: ${error.message} ${error.cause?.err?.message ?? error.cause?.message ?? ""}`), warn() {}, debug() {} },
};
const jar = new Map();

async function call(path, init = {}) {
  const headers = new Headers(init.headers);
  headers.set("cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
  const res = await Auth(new Request(origin + "/api/auth" + path, { ...init, headers }), config);
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(";");
    const at = pair.indexOf("=");
    jar.set(pair.slice(0, at), pair.slice(at + 1));
  }
  return res;
}

main(async () => {
  const { csrfToken } = await (await call("/csrf")).json();
  const signin = await call("/signin/kakao", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrfToken, callbackUrl: origin + "/" }),
  });
  const location = signin.headers.get("location") ?? "";
  if (!location.includes("/oauth/authorize")) throw new Error(`signin ${signin.status} → ${location} ${errors}`);
  const callback = new URL(await personLogsIn(location));
  const back = await call(callback.pathname.replace("/api/auth", "") + callback.search);
  const redirect = back.headers.get("location") ?? "";
  if (errors.length || !redirect.startsWith(origin + "/") || redirect.includes("error=")) {
    throw new Error(`callback ${back.status} → ${redirect}: ${errors.join("; ")}`);
  }
  const session = await (await call("/session")).json();
  return { redirect, session };
});
