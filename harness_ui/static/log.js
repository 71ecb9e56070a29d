// The request log: every request the page made and its answer. It survives the Kakao redirect
// (sessionStorage), so the calls before and after the account picker read as one story.

import { byTestId, h, pretty, shorten, show } from "./dom.js";
import { parseJson, stringifyJson } from "./json.js";

const STORAGE_KEY = "kakao-harness-log";
const MAX_ENTRIES = 200;
// Header values and body fields worth shortening in the list: tokens are long and alike.
const SECRET_KEYS = new Set(["authorization", "token", "access_token", "refresh_token", "code"]);
const CALLBACK_PATH = "/callback";

let entries = loadEntries();

function loadEntries() {
  try {
    return parseJson(sessionStorage.getItem(STORAGE_KEY) ?? "[]");
  } catch {
    return [];
  }
}

function saveEntries() {
  try {
    sessionStorage.setItem(STORAGE_KEY, stringifyJson(entries.slice(-MAX_ENTRIES)));
  } catch {
    // A full or disabled sessionStorage only loses the log across the redirect.
  }
}

/** A copy with long secrets shortened; `full` shows them whole (it is the developer's own desk). */
function redact(value, full) {
  if (full || value === null || typeof value !== "object") return value;
  const copy = Array.isArray(value) ? [] : {};
  for (const [key, inner] of Object.entries(value)) {
    copy[key] =
      SECRET_KEYS.has(key.toLowerCase()) && typeof inner === "string"
        ? shorten(inner, 20)
        : redact(inner, full);
  }
  return copy;
}

function statusClass(status) {
  if (!status) return "status-error";
  if (status >= 500) return "status-error";
  if (status >= 400) return "status-warn";
  return "status-ok";
}

function detailsText(entry, full) {
  const parts = [];
  if (entry.requestHeaders && Object.keys(entry.requestHeaders).length) {
    parts.push(`Request headers:\n${pretty(redact(entry.requestHeaders, full))}`);
  }
  if (entry.requestBody !== undefined && entry.requestBody !== null) {
    parts.push(`Request body:\n${pretty(redact(entry.requestBody, full))}`);
  }
  if (entry.error) parts.push(`Error: ${entry.error}`);
  if (entry.responseBody !== undefined && entry.responseBody !== null) {
    parts.push(`Response body:\n${pretty(redact(entry.responseBody, full))}`);
  }
  return parts.join("\n\n") || "(no body)";
}

function renderRow(entry) {
  const detailsId = `log-details-${entry.id}`;
  let full = false;
  const pre = h("pre", { class: "mono" }, detailsText(entry, full));
  const fullButton = h("button", { type: "button", class: "button-quiet", "data-testid": "log-full" }, "Show full tokens");
  fullButton.addEventListener("click", () => {
    full = !full;
    pre.textContent = detailsText(entry, full);
    fullButton.textContent = full ? "Shorten tokens" : "Show full tokens";
  });
  const detailsRow = h("tr", { id: detailsId, class: "log-details", hidden: true },
    h("td", { colspan: 6 }, fullButton, pre));
  const toggle = h("button", {
    type: "button", class: "button-quiet", "aria-expanded": "false", "aria-controls": detailsId,
    "data-testid": "log-toggle",
  }, "Body");
  toggle.addEventListener("click", () => {
    const open = detailsRow.hidden;
    detailsRow.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
  });
  const row = h("tr", { "data-testid": "log-row", "data-status": entry.status },
    h("td", { class: "mono" }, new Date(entry.time).toLocaleTimeString()),
    h("td", { class: "mono", "data-testid": "log-method" }, entry.method),
    h("td", { class: "mono log-url", "data-testid": "log-url" },
      entry.source ? h("span", { class: "log-source", "data-testid": "log-source" }, entry.source) : null,
      entry.url),
    h("td", {}, h("span", { class: `status-pill ${statusClass(entry.status)}`, "data-testid": "log-status" },
      entry.status || "failed")),
    h("td", { class: "mono num" }, entry.ms),
    h("td", {}, toggle));
  return [row, detailsRow];
}

export function renderLog() {
  const body = byTestId("log-rows");
  // Newest first: the answer to what you just clicked is at the top.
  body.replaceChildren(...[...entries].reverse().flatMap(renderRow));
  show(byTestId("log-empty"), entries.length === 0);
}

export function addLogEntry(entry) {
  entries.push({ id: entries.length ? entries[entries.length - 1].id + 1 : 1, ...entry });
  entries = entries.slice(-MAX_ENTRIES);
  saveEntries();
  renderLog();
}

export function clearLog() {
  entries = [];
  saveEntries();
  renderLog();
}

/**
 * Kakao's redirect back to /callback is a navigation, not a fetch, so http.js never sees it:
 * log it here, with its `code` (shortened like a token) and `state`, so the redirect flow
 * reads in the log as request, answer, code exchange.
 */
export function logCallback(place) {
  const params = new URLSearchParams(place.search);
  if (place.pathname !== CALLBACK_PATH || !(params.has("code") || params.has("error"))) return;
  // Decoded again for reading: the shortened code ends in "…", which a query would escape.
  const shown = decodeURIComponent(new URLSearchParams(redact(Object.fromEntries(params), false)).toString());
  addLogEntry({
    time: Date.now(), method: "GET", url: `${place.origin}${CALLBACK_PATH}?${shown}`, status: 200,
    ms: 0, requestHeaders: {}, responseBody: null, error: null,
    requestBody: Object.fromEntries(params),
  });
}
