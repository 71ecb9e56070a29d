// The service's own accounts (GET/DELETE /admin/accounts, behind the admin token run_all.py
// gives this page): list them a page at a time, delete one (to sign up as that person again)
// or all of them.

import { byTestId, h, show } from "./dom.js";

export function makeAccounts(service) {
  const list = byTestId("accounts");
  const loading = byTestId("accounts-loading");
  const more = byTestId("accounts-more");
  const deleteAll = byTestId("accounts-delete-all");
  const status = byTestId("accounts-status");
  let next = null;

  function renderAccount(account) {
    const nameId = `account-name-${account.id}`;
    const item = h("li", { class: "account", "data-testid": `account-${account.id}` },
      h("div", { class: "user-head" },
        h("span", { class: "user-name", lang: "ko", id: nameId }, account.user_name),
        h("span", { class: "user-id mono" }, `#${account.id}`)),
      h("div", { class: "user-meta" },
        `kakao_id ${account.kakao_id} · ${account.email ?? "no email"} · since ${new Date(account.created_at).toLocaleString()}`),
      h("div", { class: "user-actions" },
        h("button", {
          type: "button", class: "button-quiet", "data-testid": `delete-account-${account.id}`,
          "aria-describedby": nameId, onclick: () => remove(account, item),
        }, "Delete")));
    return item;
  }

  function failed(result, what) {
    status.textContent = `Could not ${what}: ${result.body?.message ?? result.error ?? result.status}.`;
  }

  /** The first page (`more` false) or the next one, appended. */
  async function load(append = false) {
    if (!service.hasAdmin) {
      show(loading, false);
      deleteAll.disabled = true;
      status.textContent = "The admin API is off (the service has no ADMIN_TOKEN): run_all.py turns it on.";
      return;
    }
    list.setAttribute("aria-busy", "true");
    const result = await service.listAccounts(append ? next : null);
    list.setAttribute("aria-busy", "false");
    show(loading, false);
    if (!result.ok) {
      failed(result, "list the accounts");
      return;
    }
    const items = result.body.result.map(renderAccount);
    if (append) list.append(...items);
    else list.replaceChildren(...items);
    next = result.body.next;
    show(more, next !== null);
    if (!append) {
      status.textContent = list.children.length ? "" : "No accounts yet: sign someone up.";
    }
  }

  async function remove(account, item) {
    const result = await service.deleteAccount(account.id);
    if (result.status === 204 || result.status === 404) {
      item.remove();
      status.textContent = `Deleted account #${account.id} (${account.user_name}); their JWTs no longer work.`;
    } else {
      failed(result, `delete account #${account.id}`);
    }
  }

  more.addEventListener("click", () => load(true));
  byTestId("accounts-refresh").addEventListener("click", () => load());
  deleteAll.addEventListener("click", async () => {
    const result = await service.deleteAllAccounts();
    if (!result.ok) {
      failed(result, "delete the accounts");
      return;
    }
    await load();
    status.textContent = `Deleted ${result.body.deleted} account(s); every JWT issued so far no longer works.`;
  });

  return { load };
}
