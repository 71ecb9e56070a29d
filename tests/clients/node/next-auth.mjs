// next-auth v4's own handler (next-auth/core's AuthHandler, what its Next.js routes call) with
// its Kakao provider as shipped: csrf → signin (the redirect to Kakao) → callback (code exchange
// through openid-client, then the profile) → session. No Next.js: requests are plain objects.
import { createRequire } from "node:module";
import { main, personLogsIn } from "./person.mjs";

const require = createRequire(import.meta.url);
// next-auth's package exports hide core/; its files are the same ones its routes load.
const { AuthHandler } = require("./node_modules/next-auth/core/index.js");
const Kakao = require("./node_modules/next-auth/providers/kakao.js").default;

const origin = process.env.APP_ORIGIN; // e.g. http://localhost:3000
const errors = [];
const options = {
  providers: [Kakao({ clientId: process.env.KAKAO_CLIENT_ID, clientSecret: process.env.KAKAO_CLIENT_SECRET })],
  secret: "next-auth-test-secret-0123456789abcdef",
  logger: { error: (code, meta) => errors.push(`${code}: ${meta?.message ?? meta?.error?.message ?? JSON.stringify(meta)}`), warn() {}, debug() {} },
};
const jar = {};

async function call(action, { method = "GET", query = {}, body, providerId } = {}) {
  const res = await AuthHandler({
    req: { action, method, providerId, query, body, cookies: { ...jar }, headers: { host: new URL(origin).host, "x-forwarded-proto": "http" }, origin },
    options,
  });
  for (const c of res.cookies ?? []) jar[c.name] = c.value;
  return res;
}

main(async () => {
  process.env.NEXTAUTH_URL = origin;
  const { body: { csrfToken } } = await call("csrf");
  const signin = await call("signin", { method: "POST", providerId: "kakao", body: { csrfToken, callbackUrl: origin + "/" } });
  if (!signin.redirect?.includes("/oauth/authorize")) throw new Error(`signin: ${JSON.stringify(signin)} ${errors}`);
  const callback = new URL(await personLogsIn(signin.redirect));
  const back = await call("callback", { providerId: "kakao", query: Object.fromEntries(callback.searchParams) });
  if (errors.length || !back.redirect?.startsWith(origin + "/") || back.redirect.includes("error=")) {
    throw new Error(`callback → ${back.redirect}: ${errors.join("; ")}`);
  }
  const session = await call("session");
  return { redirect: back.redirect, session: session.body };
});
