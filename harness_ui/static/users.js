// The fake users: a list showing each one's consent situation, and a form to create or edit one.

import { accountFields, buildAccountFields, fillAccountFields } from "./consent.js";
import { byTestId, h } from "./dom.js";
import { integerFrom } from "./json.js";
import { pickToken } from "./kakao.js";

const CHECKBOXES = ["nickname_consent", "email_consent", "is_email_valid", "is_email_verified"];

/** What Kakao will tell the service about this person, as short badges: [text, tone]. */
export function consentBadges(user) {
  const badges = [];
  if (!user.nickname_consent) badges.push(["no nickname consent", "warn"]);
  else if (!user.nickname) badges.push(["no nickname", "warn"]);
  else if (user.nickname_source === "properties") badges.push(["nickname in properties only", "info"]);
  else badges.push(["nickname", "ok"]);
  if (!user.email_consent) badges.push(["no email consent", "warn"]);
  else if (!user.email) badges.push(["no email", "warn"]);
  else if (!user.is_email_valid) badges.push(["email invalid", "warn"]);
  else if (!user.is_email_verified) badges.push(["email unverified", "info"]);
  else badges.push(["email verified", "ok"]);
  return badges;
}

function tokenBadge(user, appId) {
  const token = pickToken(user, appId);
  if (!token) return ["no token yet", "info"];
  return token.expired ? ["token expired", "warn"] : ["token ready", "ok"];
}

/** Whether the person has an account in the service (GET /auth/kakao's is_user), if known. */
function accountBadge(hasAccount) {
  if (hasAccount === true) return ["has an account", "ok"];
  if (hasAccount === false) return ["no account", "info"];
  if (hasAccount === CHECKING) return ["checking account…", "info"];
  return ["account unknown (no live token)", "info"];
}

/** An account badge's value while the service is being asked. */
export const CHECKING = "checking";

/** Put each person's account answer into their badge, once the service has answered:
 * `accounts` maps a user id (as a string) to true/false; the others have no live token. */
export function showAccounts(users, accounts) {
  for (const user of users) {
    const badge = document.querySelector(`[data-testid="account-${user.id}"]`);
    if (!badge) continue;  // the list was redrawn meanwhile
    const [text, tone] = accountBadge(accounts.get(String(user.id)));
    badge.textContent = text;
    badge.className = `badge badge-${tone}`;
  }
}

export const REFERRER_TYPES = [
  "UNLINK_FROM_APPS", "ACCOUNT_DELETE", "FORCED_ACCOUNT_DELETE", "UNLINK_FROM_ADMIN",
];

function renderUser(user, appId, actions, accounts) {
  const [accountText, accountTone] = accountBadge(accounts.get(String(user.id)));
  const badges = [...consentBadges(user), tokenBadge(user, appId)];
  const name = user.nickname ?? "(no nickname)";
  // Buttons keep their visible text as their accessible name (so "Use token" is what a
  // speech user says and a screen reader reads); whose they are comes as their description.
  const nameId = `user-name-${user.id}`;
  return h("li", { class: "user", "data-testid": `user-${user.id}` },
    h("div", { class: "user-head" },
      h("span", { class: "user-name", lang: "ko", id: nameId }, name),
      h("span", { class: "user-id mono" }, user.id)),
    h("div", { class: "user-meta" }, [user.label, user.email ?? "no email"].filter(Boolean).join(" · ")),
    h("div", { class: "user-foot" },
    h("ul", { class: "badges", "aria-label": "Consent, token and account" },
      badges.map(([text, tone]) => h("li", { class: `badge badge-${tone}` }, text)),
      h("li", { class: `badge badge-${accountTone}`, "data-testid": `account-${user.id}` }, accountText)),
    h("div", { class: "user-actions" },
      h("button", {
        type: "button", class: "button-primary", "data-testid": `use-user-${user.id}`,
        "aria-describedby": nameId, onclick: () => actions.use(user),
      }, "Use token"),
      h("button", {
        type: "button", class: "button-quiet", "data-testid": `new-token-${user.id}`,
        "aria-describedby": nameId, onclick: () => actions.newToken(user),
      }, "New token"),
      h("button", {
        type: "button", class: "button-quiet", "data-testid": `edit-user-${user.id}`,
        "aria-describedby": nameId, onclick: () => actions.edit(user),
      }, "Edit"),
      h("button", {
        type: "button", class: "button-quiet", "data-testid": `logout-${user.id}`,
        "aria-describedby": nameId, title: "Log this person out at Kakao (/v1/user/logout)",
        onclick: () => actions.logout(user),
      }, "Log out"),
      h("button", {
        type: "button", class: "button-quiet", "data-testid": `disconnect-${user.id}`,
        "aria-describedby": nameId, title: "The person disconnects the app on Kakao's side",
        onclick: () => actions.disconnect(user),
      }, "Disconnect from Kakao"))));
}

/** `accounts`: user id (as a string) → whether the service has an account (undefined: unknown). */
export function renderUsers(users, appId, actions, accounts = new Map()) {
  const list = byTestId("users");
  list.replaceChildren(...users.map((user) => renderUser(user, appId, actions, accounts)));
  list.setAttribute("aria-busy", "false");
  byTestId("users-loading").hidden = true;
}

/** The create/edit form. `open(user)` edits that user; `open()` starts a new one. */
export function makeUserEditor(onSubmit) {
  const details = byTestId("user-editor");
  const form = byTestId("user-form");
  const summary = byTestId("user-editor-toggle");
  const message = byTestId("user-form-message");
  const submit = byTestId("user-form-submit");
  buildAccountFields(form);
  // Bumped by every open(): a save that finishes after the form was opened again (its user's
  // new card was clicked while the list refreshed) must not close or clear that newer form.
  let generation = 0;

  function setMode(user) {
    form.reset();
    form.elements.mode.value = user ? "edit" : "create";
    form.elements.id.readOnly = Boolean(user);
    summary.textContent = user ? `Edit fake user ${user.id}` : "New fake user";
    submit.textContent = user ? "Save changes" : "Create user";
    message.textContent = "";
    if (!user) return;
    form.elements.id.value = user.id;
    form.elements.label.value = user.label ?? "";
    form.elements.nickname.value = user.nickname ?? "";
    form.elements.email.value = user.email ?? "";
    form.elements.nickname_source.value = user.nickname_source ?? "both";
    for (const name of CHECKBOXES) form.elements[name].checked = Boolean(user[name]);
    fillAccountFields(form, user);
  }

  function fields() {
    const value = (name) => form.elements[name].value.trim() || null;
    const user = {
      // The fake's label is a string, "" for none (null is refused); nickname and email
      // are nullable: null means the person has none.
      label: form.elements.label.value.trim(), nickname: value("nickname"), email: value("email"),
      nickname_source: form.elements.nickname_source.value,
    };
    for (const name of CHECKBOXES) user[name] = form.elements[name].checked;
    return { ...user, ...accountFields(form) };
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    const id = integerFrom(form.elements.id.value);
    const editing = form.elements.mode.value === "edit";
    const submitted = generation;
    const result = await onSubmit(id, fields(), editing);
    if (generation !== submitted) return;  // reopened meanwhile: that form is the user's now
    if (result.ok) {
      setMode(null);
      details.open = false;
      summary.focus();
    } else {
      message.textContent = result.body?.detail ?? result.body?.error ?? `Failed (${result.status}).`;
    }
  });
  byTestId("user-form-cancel").addEventListener("click", () => {
    setMode(null);
    details.open = false;
  });
  // Opening the empty form for a new user suggests a free-looking id, so one click is enough.
  details.addEventListener("toggle", () => {
    if (details.open && !form.elements.id.value) {
      form.elements.id.value = 5000000000 + Math.floor(Math.random() * 1000000);
    }
  });

  return {
    open(user = null) {
      generation += 1;
      setMode(user);
      details.open = true;
      form.elements[user ? "nickname" : "id"].focus();
    },
  };
}
