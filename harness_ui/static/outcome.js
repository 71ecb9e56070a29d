// One way to show any answer: the HTTP status, the code, and a sentence saying what it means.

import { h } from "./dom.js";
import { codeOf, describeCode } from "./messages.js";

function tone(status) {
  if (status >= 200 && status < 300) return "ok";
  if (status >= 400 && status < 500) return "warn";
  return "error";
}

/** Fill `el` with the outcome of a request() result. Errors become role=alert for screen readers. */
export function renderOutcome(el, result, successCode = null) {
  const code = codeOf(result.body) ?? (result.ok ? successCode : null);
  const detail = result.body && typeof result.body === "object" ? result.body.detail : null;
  const kind = tone(result.status);
  el.className = `outcome outcome-${kind}`;
  el.setAttribute("role", kind === "ok" ? "status" : "alert");
  el.dataset.status = String(result.status);
  el.dataset.code = code ?? "";
  const words = detail ?? (result.status ? describeCode(code, result.status)
    : `${describeCode(null, 0)} (${result.error})`);
  const parts = [
    h("span", { class: "status-pill", "data-testid": "outcome-status" }, result.status || "no answer"),
    code ? h("code", { class: "outcome-code", "data-testid": "outcome-code" }, code) : null,
    h("span", { class: "outcome-text", "data-testid": "outcome-text" }, words),
    h("span", { class: "outcome-ms" }, `${result.ms} ms`),
  ];
  el.replaceChildren(...parts.filter(Boolean));
}
