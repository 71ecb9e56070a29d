// Consent: "Ask for email again" when Kakao gave no email for lack of consent (Kakao's
// additional consent: authorize with scope=account_email, back with a new code), and the
// user editor's fields for the whole kakao_account (name, birthday, phone, CI...) with a
// consent switch per item.

import { byTestId, h, show } from "./dom.js";
import { startSignIn } from "./redirect.js";

/** The page's offer for each consent item the service uses, when it is missing. */
const ASK_AGAIN = { account_email: "Ask for email again" };

/** Show "Ask for email again" after GET /auth/kakao, or hide it (`who` null: no answer). */
export function makeConsentOffer(getSdk) {
  const box = byTestId("consent-offer");
  return function offer(who) {
    const missing = (who?.missing_consents ?? []).filter((item) => item in ASK_AGAIN);
    const wanted = missing.filter((item) => item !== "account_email" || who.email === null);
    box.replaceChildren(...wanted.map((item) => h("button", {
      type: "button", class: "button-primary", "data-testid": "ask-email-again",
      onclick: () => startSignIn(getSdk(), { scope: item }),
    }, ASK_AGAIN[item])));
    if (wanted.length) {
      box.prepend(h("p", { class: "field-hint" },
        `The person has not agreed to share: ${wanted.join(", ")}. Kakao can ask them again.`));
    }
    show(box, wanted.length > 0);
  };
}

// -- the user editor's kakao_account fields ------------------------------------------------

const TEXT_FIELDS = [
  ["profile_image_url", "Profile image URL", "url"],
  ["thumbnail_image_url", "Thumbnail URL", "url"],
  ["name", "Name", "text"],
  ["birthyear", "Birth year (YYYY)", "text"],
  ["birthday", "Birthday (MMDD)", "text"],
  ["phone_number", "Phone number", "text"],
  ["ci", "CI", "text"],
  ["ci_authenticated_at", "CI authenticated at", "text"],
  ["synched_at", "Kakao Sync: synched_at", "text"],
  ["for_partner_uuid", "for_partner.uuid", "text"],
];
const CHOICES = [
  ["gender", "Gender", [["", "none"], ["female", "female"], ["male", "male"]]],
  ["age_range", "Age range", [["", "none"], ...["0~9", "1~9", "10~14", "15~19", "20~29", "30~39",
    "40~49", "50~59", "60~69", "70~79", "80~89", "90~"].map((range) => [range, range])]],
  ["birthday_type", "Birthday type", [["SOLAR", "SOLAR"], ["LUNAR", "LUNAR"]]],
  ["has_signed_up", "has_signed_up", [["", "absent (auto-link on)"], ["true", "true"], ["false", "false"]]],
];
const FLAGS = [["is_default_image", "Default image"], ["is_default_nickname", "Default nickname"],
  ["is_leap_month", "Leap month"]];
/** The items whose consent `consents` holds (nickname and email have their own switches). */
const CONSENT_ITEMS = ["profile_image", "name", "gender", "age_range", "birthday", "birthyear",
  "phone_number", "account_ci", "talk_message"];

const testId = (name) => `user-form-${name.replaceAll("_", "-")}`;

/** Build the editor's account fields into their fieldset (once, at boot). */
export function buildAccountFields(form) {
  const box = byTestId("user-form-account", form);
  const row = (name, label, control) => [h("label", { for: `fu-${name}` }, label), control];
  box.append(
    ...TEXT_FIELDS.flatMap(([name, label, type]) => row(name, label,
      h("input", { id: `fu-${name}`, name, type, placeholder: "empty: none", "data-testid": testId(name) }))),
    ...CHOICES.flatMap(([name, label, options]) => row(name, label,
      h("select", { id: `fu-${name}`, name, "data-testid": testId(name) },
        options.map(([value, text]) => h("option", { value }, text))))),
    h("fieldset", { class: "checks" }, h("legend", {}, "Profile flags"),
      FLAGS.map(([name, label]) => h("label", {},
        h("input", { type: "checkbox", name, "data-testid": testId(name) }), ` ${label}`))),
    h("fieldset", { class: "checks" }, h("legend", {}, "Agrees by default to"),
      CONSENT_ITEMS.map((item) => h("label", {},
        h("input", { type: "checkbox", name: `consent:${item}`, checked: true,
          "data-testid": `user-form-consent-${item}` }), ` ${item}`))),
  );
}

/** Put `user`'s account fields into the form. */
export function fillAccountFields(form, user) {
  for (const [name] of TEXT_FIELDS) form.elements[name].value = user[name] ?? "";
  for (const [name] of CHOICES) form.elements[name].value = user[name] === null || user[name] === undefined ? "" : String(user[name]);
  if (!form.elements.birthday_type.value) form.elements.birthday_type.value = "SOLAR";
  for (const [name] of FLAGS) form.elements[name].checked = Boolean(user[name]);
  for (const item of CONSENT_ITEMS) form.elements[`consent:${item}`].checked = user.consents?.[item] ?? true;
}

/** The form's account fields as the admin API takes them. */
export function accountFields(form) {
  const fields = {};
  for (const [name] of TEXT_FIELDS) fields[name] = form.elements[name].value.trim() || null;
  for (const [name] of CHOICES) fields[name] = form.elements[name].value || null;
  fields.birthday_type = fields.birthday_type ?? "SOLAR";
  fields.has_signed_up = fields.has_signed_up === null ? null : fields.has_signed_up === "true";
  for (const [name] of FLAGS) fields[name] = form.elements[name].checked;
  fields.consents = Object.fromEntries(CONSENT_ITEMS.map((item) => [item, form.elements[`consent:${item}`].checked]));
  return fields;
}
