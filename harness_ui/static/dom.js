// Tiny DOM helpers: build elements from data without innerHTML, so any nickname is just text.

import { stringifyJson } from "./json.js";

/** h("td", {class: "x", "data-testid": "y"}, "text", childNode) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** The element with this data-testid (the page's stable hooks, shared with the tests). */
export function byTestId(id, root = document) {
  const el = root.querySelector(`[data-testid="${id}"]`);
  if (!el) throw new Error(`missing element data-testid=${id}`);
  return el;
}

export function show(el, visible = true) {
  el.hidden = !visible;
}

/** Shorten a long secret for display: the start is enough to tell tokens apart. */
export function shorten(text, keep = 16) {
  return text.length > keep + 1 ? `${text.slice(0, keep)}…` : text;
}

export function pretty(value) {
  return typeof value === "string" ? value : stringifyJson(value, 2);
}
