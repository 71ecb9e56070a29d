// The harness page: wires the fake users, the faults, the redirect flow and the login flow
// together. Where the service and the fake listen comes from /config.json (ports vary).

import { makeConsentOffer } from "./consent.js";
import { byTestId, shorten, show } from "./dom.js";
import { makeFaults } from "./faults.js";
import { makeFlow } from "./flow.js";
import { request } from "./http.js";
import { makeKakao, pickToken } from "./kakao.js";
import { clearLog, renderLog } from "./log.js";
import { finishSignIn, startSignIn } from "./redirect.js";
import { makeService } from "./service.js";
import { makeUserEditor, renderUsers } from "./users.js";

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
  const flow = makeFlow(makeService(config), { onIdentity: makeConsentOffer(kakao) });
  const redirectStatus = byTestId("redirect-status");

  async function loadUsers() {
    const result = await kakao.listUsers();
    if (!result.ok) {
      pageError(`Could not list the fake Kakao users at ${config.kakao_url} (${result.status || "no answer"}).`);
      return;
    }
    pageError("");
    renderUsers(result.body.users, config.app_id, actions);
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
  };

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
