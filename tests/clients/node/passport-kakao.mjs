// passport-kakao's Strategy run as passport runs it (authenticate() with redirect/success/
// fail/error attached), without Express: first the redirect to Kakao, then the callback.
import { createRequire } from "node:module";
import { main, personLogsIn } from "./person.mjs";

const require = createRequire(import.meta.url);
const { Strategy } = require("passport-kakao");
const callbackURL = process.env.CALLBACK_URL;

function authenticate(strategy, req) {
  return new Promise((resolve, reject) => {
    strategy.redirect = (url) => resolve({ redirect: url });
    strategy.success = (user, info) => resolve({ user, info });
    strategy.fail = (challenge, status) => reject(new Error(`fail ${status} ${JSON.stringify(challenge)}`));
    strategy.error = (err) => reject(err);
    strategy.authenticate(req, {});
  });
}

function request(url) {
  const parsed = new URL(url);
  return { url: parsed.pathname + parsed.search, query: Object.fromEntries(parsed.searchParams), headers: {} };
}

main(async () => {
  const strategy = new Strategy(
    { clientID: process.env.KAKAO_CLIENT_ID, clientSecret: process.env.KAKAO_CLIENT_SECRET, callbackURL },
    (accessToken, refreshToken, profile, done) => done(null, { accessToken, refreshToken, profile }),
  );
  const { redirect } = await authenticate(strategy, request(callbackURL));
  const callback = await personLogsIn(redirect);
  const { user } = await authenticate(strategy, request(callback));
  return { id: user.profile.id, username: user.profile.username, json: user.profile._json };
});
