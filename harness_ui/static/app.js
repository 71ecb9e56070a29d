// The harness page: wires the fake users, the faults, the redirect flow and the login flow
// together. Where the service and the fake listen comes from /config.json (ports vary).

import { makeAccounts } from "./accounts.js";
import { makeFakeControls } from "./clock.js";
import { makeConsentOffer } from "./consent.js";
import { byTestId, shorten, show } from "./dom.js";
import { makeFaults } from "./faults.js";
import { makeFlow } from "./flow.js";
import { request } from "./http.js";
import { makeKakao, pickToken } from "./kakao.js";
import { addLogEntry, clearLog, logCallback, renderLog } from "./log.js";
import { finishOidcSignIn, startOidcSignIn, takeNonce } from "./oidc.js";
import { finishSignIn, startSignIn } from "./redirect.js";
import { loadKakaoSdk } from "./sdk.js";
import { makeService } from "./service.js";
import { CHECKING, makeUserEditor, REFERRER_TYPES, renderUsers, showAccounts } from "./users.js";

function pageError(text) {
  const banner = byTestId("page-error");
  banner.textContent = text;
  show(banner, Boolean(text));
}

async function boot() {
  logCallback(location);  // the redirect's code and state, before finishSignIn clears them
  renderLog();
  const loaded = await request("GET", "/config.json");
  if (!loaded.ok) {
    pageError("Could not load /config.json from the harness server; is run_all.py still running?");
    return;
  }
  const config = loaded.body;
  byTestId("service-url").textContent = config.service_url;
  byTestId("kakao-url").textContent = config.kakao_url;
  byTestId("app-id").textContent = config.app_id;
  byTestId("sdk-page-link").href = `${config.kakao_url}/_sdk`;

  const kakao = makeKakao(config);
  const service = makeService(config);
  const accounts = makeAccounts(service);
  let sdk = null;  // Kakao's SDK once loaded: the sign-in buttons and "Ask for email again" use it
  const flow = makeFlow(service, {
    onSignedIn: () => accounts.load(),
    onIdentity: makeConsentOffer(() => sdk),
  });
  const lifecycleStatus = byTestId("lifecycle-status");
  const referrerType = byTestId("referrer-type");
  referrerType.replaceChildren(...REFERRER_TYPES.map((type) => new Option(type, type)));
  const redirectStatus = byTestId("redirect-status");

  async function loadUsers() {
    const result = await kakao.listUsers();
    if (!result.ok) {
      pageError(`Could not list the fake Kakao users at ${config.kakao_url} (${result.status || "no answer"}).`);
      return;
    }
    pageError("");
    const users = result.body.users;
    // The list first, then each account badge once the service answers: one slow or failing
    // account check (a fault switched on, say) must not hold the whole list back.
    const checking = new Map(users.filter((user) => liveToken(user)).map((user) => [String(user.id), CHECKING]));
    renderUsers(users, config.app_id, actions, checking);
    faults.setUsers(users);
    showAccounts(users, await accountsOf(users));
  }

  function liveToken(user) {
    const token = pickToken(user, config.app_id);
    return token && !token.expired ? token : null;
  }

  /** Whether each person has an account in the service: GET /auth/kakao with their live token,
   * as a frontend would ask (so these calls are in the log too, labelled "account check"). */
  async function accountsOf(users) {
    const accounts = new Map();
    await Promise.all(users.map(async (user) => {
      const token = liveToken(user);
      if (!token) return;
      const result = await service.hasAccount(token.access_token);
      if (result.ok) accounts.set(String(user.id), Boolean(result.body?.result?.is_user));
    }));
    return accounts;
  }

  /** The fake's webhook delivery, as a row of the log: Kakao called the service, not the page. */
  function logDelivery(delivery) {
    addLogEntry({
      time: Date.now(), method: delivery.method, url: delivery.url, status: delivery.status ?? 0,
      ms: Math.round(delivery.latency_ms), source: "Kakao webhook",
      requestHeaders: { Authorization: "KakaoAK (the admin key)" },
      requestBody: { app_id: delivery.app_id, user_id: delivery.user_id, referrer_type: delivery.referrer_type },
      responseBody: null, error: delivery.error,
    });
  }

  const editor = makeUserEditor(async (id, fields, editing) => {
    const result = editing ? await kakao.updateUser(id, fields) : await kakao.createUser({ id, ...fields });
    if (result.ok) await loadUsers();
    return result;
  });

  // "Use token" and "New token" only fill in step 1; GET /auth/kakao is the next click, so each
  // button is one step of the flow and the log shows exactly what it did.
  const actions = {
    async use(user) {
      const token = pickToken(user, config.app_id);
      if (token) {
        const note = token.expired ? " (already expired)" : "";
        flow.takeToken(token.access_token, `Fixed token of ${user.nickname ?? user.id}${note}: ${shorten(token.access_token, 24)}. Next: GET /auth/kakao.`);
      } else {
        await actions.newToken(user);
      }
    },
    async newToken(user) {
      const result = await kakao.issueToken(user.id);
      if (!result.ok) {
        pageError(`Could not issue a token for ${user.id}: ${result.body?.detail ?? result.status}`);
        return;
      }
      // Step 1 first: refreshing the list (with an account check per person) takes a while,
      // and a GET /auth/kakao sent meanwhile must not be wiped by a late takeToken.
      flow.takeToken(result.body.access_token, `New token issued for ${user.nickname ?? user.id} (POST /_mock/users/${user.id}/tokens). Next: GET /auth/kakao.`);
      await loadUsers();
    },
    edit: (user) => editor.open(user),
    async disconnect(user) {
      const result = await kakao.disconnect(user.id, referrerType.value);
      const delivery = result.body?.webhook;
      if (delivery) logDelivery(delivery);
      if (!result.ok) {
        lifecycleStatus.textContent = `Could not disconnect ${user.id}: ${result.body?.detail ?? result.status}`;
      } else if (!delivery) {
        lifecycleStatus.textContent = `${user.id} disconnected (${referrerType.value}); the app has no webhook URL.`;
      } else {
        const outcome = delivery.status ? `the service answered ${delivery.status}` : delivery.error;
        lifecycleStatus.textContent = `${user.id} disconnected (${referrerType.value}); webhook: ${outcome}.`;
      }
      // The webhook may have deleted the account: the list and the accounts panel say so.
      await Promise.all([loadUsers(), accounts.load()]);
    },
    async logout(user) {
      const token = pickToken(user, config.app_id);
      if (!token) {
        lifecycleStatus.textContent = `${user.id} has no token to log out.`;
        return;
      }
      const result = await kakao.logout(token.access_token);
      lifecycleStatus.textContent = result.ok ? `${user.id} logged out at Kakao: that token no longer works.`
        : `Kakao refused the logout of ${user.id} (${result.status}).`;
      await loadUsers();
    },
  };
  flow.onAccountChanged(loadUsers);

  byTestId("users-refresh").addEventListener("click", loadUsers);
  byTestId("log-clear").addEventListener("click", clearLog);
  const signInButtons = { "kakao-sign-in": startSignIn, "kakao-sign-in-oidc": startOidcSignIn };
  for (const id of Object.keys(signInButtons)) byTestId(id).disabled = true;  // until the SDK is loaded
  const sdkLoaded = loadKakaoSdk(config.sdk_url, config.javascript_key).then(
    (loaded) => {
      sdk = loaded;
      for (const [id, start] of Object.entries(signInButtons)) {
        byTestId(id).disabled = false;
        byTestId(id).addEventListener("click", () => start(sdk));
      }
    },
    (error) => { redirectStatus.textContent = `${error.message}; is the fake Kakao running?`; },
  );

  const faults = makeFaults(kakao, byTestId("faults-status"));
  const fake = makeFakeControls(kakao, () => Promise.all([loadUsers(), faults.load()]));
  await Promise.all([loadUsers(), faults.load(), fake.load(), accounts.load(), sdkLoaded]);

  const nonce = takeNonce();  // set only when this load is the end of an OpenID Connect sign-in
  const signIn = await finishSignIn(kakao);
  if (signIn?.token && nonce) {
    await finishOidcSignIn(signIn, { nonce, config, flow, status: redirectStatus });
  } else if (signIn?.token) {
    redirectStatus.textContent = "Signed in through Kakao's redirect flow; the code was traded for a token.";
    await flow.useToken(signIn.token, "From the redirect flow (/oauth/authorize → /oauth/token)");
  } else if (signIn?.error) {
    redirectStatus.textContent = signIn.error;
  }
  document.body.dataset.ready = "true";  // tests wait for this instead of sleeping
}

boot();
