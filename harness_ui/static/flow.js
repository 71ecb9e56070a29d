// The login flow as a frontend runs it: token → GET /auth/kakao → edit → POST /auth/kakao →
// the service's JWT → GET /users/me. Each step shows its outcome in words.

import { byTestId, h, pretty, show } from "./dom.js";
import { integerFrom } from "./json.js";
import { describeClaims, decodeJwt, tokenKind } from "./jwt.js";
import { renderOutcome } from "./outcome.js";

/** What step 3 says under the email field, from GET /auth/kakao's answer. */
export function emailWarning(who) {
  if (!who.email) return "Kakao gave no email (the person did not consent, or has none): enter one to continue.";
  if (!who.email_verified) {
    return "Kakao has not confirmed this address (email_verified: false): it may be invalid or unverified; check it before signing up.";
  }
  return "";
}

/** `onIdentity(who)`: told each GET /auth/kakao's result (null when it failed). */
export function makeFlow(service, { onSignedIn = () => {}, onIdentity = () => {} } = {}) {
  const tokenForm = byTestId("token-form");
  const tokenInput = byTestId("token-input");
  const tokenStyle = byTestId("token-style");
  const signupForm = byTestId("signup-form");
  const emailHint = byTestId("signup-email-hint");
  let jwt = null;
  let accountChanged = async () => {};  // set by onAccountChanged
  let extraFields = {};  // sent with the POST along with the token they came with (the OIDC nonce)

  /** Say which kind of Kakao token is in the box: the service treats the two differently. */
  function showKind() {
    const kind = tokenKind(tokenInput.value.trim());
    const badge = byTestId("token-kind");
    badge.dataset.kind = kind;
    badge.textContent = kind === "id_token"
      ? "Kakao id_token (OpenID Connect): the service verifies it itself, no call to Kakao"
      : "Kakao access token: the service asks Kakao (kapi) who it belongs to";
  }

  function resetAfter(step) {
    if (step <= 1) {
      show(byTestId("auth-get-result"), false);
      show(byTestId("auth-get-placeholder"), true);
    }
    show(signupForm, false);
    show(byTestId("auth-post-result"), false);
    show(byTestId("auth-post-placeholder"), true);
    show(byTestId("users-me-result"), false);
    jwt = null;
  }

  function renderIsUser(known) {
    const isUser = byTestId("is-user");
    isUser.className = `is-user ${known ? "is-user-yes" : "is-user-no"}`;
    isUser.dataset.value = String(known);
    isUser.replaceChildren(
      h("code", {}, `is_user: ${known}`),
      h("strong", {}, known ? "Already has an account: submitting logs in."
        : "New to the service: show the sign-up form."));
    show(isUser, true);
    byTestId("signup-submit").textContent = known ? "Log in" : "Sign up";
  }

  /** Step 2's answer made out of date by this page's own call: say so where it shows. */
  function outdateIsUser(known, why) {
    renderIsUser(known);
    const field = document.querySelector('[data-testid="field-is_user"]');
    if (field) field.textContent = `${known} (${why})`;
  }

  function renderIdentity(result) {
    const who = result.body?.result ?? {};
    renderIsUser(Boolean(who.is_user));
    byTestId("auth-fields").replaceChildren(...Object.entries(who).flatMap(([key, value]) => [
      h("dt", {}, key),
      h("dd", { class: value === null ? "null" : "", lang: key === "user_name" ? "ko" : null,
        "data-testid": `field-${key}` }, value === null ? "null" : String(value)),
    ]));
    return who;
  }

  function prefill(who) {
    signupForm.elements.user_name.value = who.user_name ?? "";
    signupForm.elements.email.value = who.email ?? "";
    signupForm.elements.kakao_id.value = who.kakao_id ?? "";
    emailHint.textContent = emailWarning(who);
    emailHint.classList.toggle("field-warning", Boolean(who.email) && !who.email_verified);
    show(signupForm, true);
    show(byTestId("auth-post-placeholder"), false);
  }

  async function whoIs() {
    resetAfter(1);
    const result = await service.whoIs(tokenInput.value.trim(), tokenStyle.value);
    show(byTestId("auth-get-placeholder"), false);
    show(byTestId("auth-get-result"), true);
    renderOutcome(byTestId("auth-get-outcome"), result, "OK");
    if (!result.ok) {
      show(byTestId("is-user"), false);
      byTestId("auth-fields").replaceChildren();
      onIdentity(null);
      return;
    }
    const who = renderIdentity(result);
    onIdentity(who);
    prefill(who);
    (signupForm.elements.user_name.value ? signupForm.elements.email : signupForm.elements.user_name).focus();
  }

  function renderJwt(token) {
    jwt = token;
    byTestId("jwt-value").textContent = token;
    let claims;
    try {
      const { header, payload } = decodeJwt(token);
      claims = pretty({ header, payload: describeClaims(payload) });
    } catch (error) {
      claims = String(error.message);
    }
    byTestId("jwt-claims").textContent = claims;
    show(byTestId("users-me-result"), false);
    show(byTestId("jwt"), true);
  }

  async function signIn() {
    const fields = {
      kakao_id: integerFrom(signupForm.elements.kakao_id.value),
      user_name: signupForm.elements.user_name.value.trim(),
      email: signupForm.elements.email.value.trim(),
      ...extraFields,
    };
    const result = await service.signIn(tokenInput.value.trim(), tokenStyle.value, fields);
    show(byTestId("auth-post-result"), true);
    renderOutcome(byTestId("auth-post-outcome"), result);
    if (result.ok && result.body?.token) renderJwt(result.body.token);
    else show(byTestId("jwt"), false);
    if (result.ok) {
      // The account exists now: step 2's answer is out of date, and submitting again logs in.
      outdateIsUser(true, "since this sign-in");
      onSignedIn();
    }
    if (result.status === 201) await accountChanged();
  }

  async function deleteMe() {
    const result = await service.deleteMe(jwt);
    show(byTestId("users-me-result"), true);
    renderOutcome(byTestId("users-me-outcome"), result, "ACCOUNT_DELETED");
    byTestId("users-me-body").textContent = result.body === null ? "(no body)" : pretty(result.body);
    if (result.ok) {
      // The account is gone: step 2's is_user is out of date (and Kakao unlinked the token).
      outdateIsUser(false, "account deleted");
      await accountChanged();
      onSignedIn();  // the accounts panel: one account fewer
    }
  }

  async function me() {
    const result = await service.me(jwt);
    show(byTestId("users-me-result"), true);
    renderOutcome(byTestId("users-me-outcome"), result, "OK");
    byTestId("users-me-body").textContent = pretty(result.body);
  }

  tokenForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (tokenForm.reportValidity()) whoIs();
  });
  signupForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (signupForm.reportValidity()) signIn();
  });
  // The browser blocks a submit with an empty required field; mark the field for screen readers.
  signupForm.addEventListener("invalid", (event) => event.target.setAttribute("aria-invalid", "true"), true);
  signupForm.addEventListener("input", (event) => event.target.removeAttribute("aria-invalid"));
  byTestId("users-me").addEventListener("click", me);
  byTestId("delete-me").addEventListener("click", deleteMe);
  tokenInput.addEventListener("input", () => {
    extraFields = {};  // another token: what came with the old one no longer applies
    showKind();
  });
  showKind();

  function setToken(token, source, fields = {}) {
    resetAfter(1);
    tokenInput.value = token;
    extraFields = fields;
    showKind();
    byTestId("token-source").textContent = source;
  }

  return {
    /** Put a Kakao token in step 1 and nothing more: the person sends GET /auth/kakao. */
    takeToken(token, source) {
      setToken(token, source);
      byTestId("auth-get").focus();
    },
    /** Run `callback` after an account was created or deleted (the user list shows which). */
    onAccountChanged(callback) {
      accountChanged = callback;
    },
    /**
     * Put a Kakao token in step 1 and send GET /auth/kakao (the redirect flows' end);
     * `fields` go into the POST body with it (the OpenID Connect sign-in's `nonce`).
     */
    async useToken(token, source, fields = {}) {
      setToken(token, source, fields);
      await whoIs();
    },
  };
}
