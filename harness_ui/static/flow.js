// The login flow as a frontend runs it: token → GET /auth/kakao → edit → POST /auth/kakao →
// the service's JWT → GET /users/me. Each step shows its outcome in words.

import { byTestId, h, pretty, show } from "./dom.js";
import { integerFrom } from "./json.js";
import { describeClaims, decodeJwt } from "./jwt.js";
import { renderOutcome } from "./outcome.js";

/** `onIdentity(who)`: told each GET /auth/kakao's result (null when it failed). */
export function makeFlow(service, { onIdentity = () => {} } = {}) {
  const tokenForm = byTestId("token-form");
  const tokenInput = byTestId("token-input");
  const tokenStyle = byTestId("token-style");
  const signupForm = byTestId("signup-form");
  const emailHint = byTestId("signup-email-hint");
  let jwt = null;

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

  function renderIdentity(result) {
    const who = result.body?.result ?? {};
    const isUser = byTestId("is-user");
    isUser.className = `is-user ${who.is_user ? "is-user-yes" : "is-user-no"}`;
    isUser.dataset.value = String(Boolean(who.is_user));
    isUser.replaceChildren(
      h("code", {}, `is_user: ${Boolean(who.is_user)}`),
      h("strong", {}, who.is_user ? "Already has an account: submitting logs in."
        : "New to the service: show the sign-up form."));
    show(isUser, true);
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
    emailHint.textContent = who.email ? ""
      : "Kakao gave no email (the person did not consent, or has none): enter one to continue.";
    byTestId("signup-submit").textContent = who.is_user ? "Log in" : "Sign up";
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
    };
    const result = await service.signIn(tokenInput.value.trim(), tokenStyle.value, fields);
    show(byTestId("auth-post-result"), true);
    renderOutcome(byTestId("auth-post-outcome"), result);
    if (result.ok && result.body?.token) renderJwt(result.body.token);
    else show(byTestId("jwt"), false);
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

  return {
    /** Start the flow with a Kakao token from anywhere (user list, redirect, pasted). */
    async useToken(token, source) {
      tokenInput.value = token;
      byTestId("token-source").textContent = source;
      await whoIs();
    },
  };
}
