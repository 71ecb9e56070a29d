// The harness page: wires the fake users, the faults, the redirect flow and the login flow
// together. Where the service and the fake listen comes from /config.json (ports vary).

import { byTestId, shorten, show } from "./dom.js";
import { makeFaults } from "./faults.js";
import { makeFlow } from "./flow.js";
import { request } from "./http.js";
import { makeKakao, pickToken } from "./kakao.js";
import { addLogEntry, clearLog, renderLog } from "./log.js";
import { finishSignIn, startSignIn } from "./redirect.js";
import { makeService } from "./service.js";
import { makeUserEditor, REFERRER_TYPES, renderUsers } from "./users.js";

function pageError(text) {
  const banner = byTestId("page-error");
  banner.textContent = text;
  show(banner, Boolean(text));
}

async function boot() {
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

  const kakao = makeKakao(config);
  const service = makeService(config);
  const flow = makeFlow(service);
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
    renderUsers(result.body.users, config.app_id, actions, await accountsOf(result.body.users));
  }

  /** Whether each person has an account in the service: GET /auth/kakao with their live token,
   * as a frontend would ask (so these calls are in the log too). */
  async function accountsOf(users) {
    const accounts = new Map();
    await Promise.all(users.map(async (user) => {
      const token = pickToken(user, config.app_id);
      if (!token || token.expired) return;
      const result = await service.whoIs(token.access_token, "bearer");
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

  const actions = {
    async use(user) {
      const token = pickToken(user, config.app_id);
      if (token) {
        const note = token.expired ? " (already expired)" : "";
        await flow.useToken(token.access_token, `Fixed token of ${user.nickname ?? user.id}${note}: ${shorten(token.access_token, 24)}`);
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
      await loadUsers();
      await flow.useToken(result.body.access_token, `New token issued for ${user.nickname ?? user.id} (POST /_mock/users/${user.id}/tokens)`);
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
      await loadUsers();
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
  byTestId("kakao-sign-in").addEventListener("click", () => startSignIn(kakao));

  const faults = makeFaults(kakao, byTestId("faults-status"));
  await Promise.all([loadUsers(), faults.load()]);

  const signIn = await finishSignIn(kakao);
  if (signIn?.token) {
    redirectStatus.textContent = "Signed in through Kakao's redirect flow; the code was traded for a token.";
    await flow.useToken(signIn.token, "From the redirect flow (/oauth/authorize → /oauth/token)");
  } else if (signIn?.error) {
    redirectStatus.textContent = signIn.error;
  }
  document.body.dataset.ready = "true";  // tests wait for this instead of sleeping
}

boot();
