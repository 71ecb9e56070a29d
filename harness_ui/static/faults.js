// Fault switches: each one is a fault object on the fake Kakao (PUT /_mock/faults replaces the
// whole list, so the switches' faults are merged with any others a test or script set). Below
// them, a form adds any fault kind with its parameters, for everyone or one user, and a list
// shows every fault on the fake with a button to remove it.

import { byTestId, h, pretty } from "./dom.js";
import { integerFrom } from "./json.js";

export const PRESETS = [
  {
    id: "slow", label: "Slow Kakao", detail: "+3 s per call",
    fault: { kind: "latency", latency_ms: 3000 },
  },
  {
    id: "down", label: "Kakao down", detail: "503, code -9798 (maintenance)",
    fault: { kind: "error", status: 503, code: -9798, msg: "service is under maintenance" },
  },
  {
    id: "expired", label: "Expired token", detail: "401, code -401",
    fault: { kind: "error", status: 401, code: -401, msg: "this access token is already expired" },
  },
  {
    id: "rate-limited", label: "Rate limited", detail: "429, code -10",
    fault: { kind: "error", status: 429, code: -10, msg: "API limit has been exceeded." },
  },
];

/** Does a fault from the fake match a preset? (The fake may add keys of its own.) */
function matches(fault, preset) {
  return Object.entries(preset.fault).every(([key, value]) => fault[key] === value)
    && fault.user_id == null && fault.path == null && fault.times == null;
}

/** A fault in words: "error 503/-9798 for user 4000000001, 2 more times". */
export function describeFault(fault) {
  let what = fault.kind;
  if (fault.kind === "latency") what = `latency ${fault.latency_ms} ms`;
  if (fault.kind === "error") what = `error ${fault.status}/${fault.code} "${fault.msg}"`;
  const who = fault.user_id == null ? "every user" : `user ${fault.user_id}`;
  const where = fault.path == null ? "" : ` on ${fault.path}`;
  const times = fault.times == null ? "until removed" : `${fault.times} more time(s)`;
  return `${what}, ${who}${where}, ${times}`;
}

/** The fault the form describes, as the fake's admin API takes it. */
function faultFrom(form) {
  const kind = form.elements.kind.value;
  const fault = { kind };
  if (kind === "latency") fault.latency_ms = integerFrom(form.elements.latency_ms.value);
  if (kind === "error") {
    const code = form.elements.code.value.trim();
    fault.status = integerFrom(form.elements.status.value);
    fault.code = /^-?\d+$/.test(code) ? integerFrom(code) : code;  // kapi: int; kauth: "KOE..."
    fault.msg = form.elements.msg.value;
  }
  if (form.elements.user_id.value) fault.user_id = integerFrom(form.elements.user_id.value);
  if (form.elements.times.value.trim()) fault.times = integerFrom(form.elements.times.value);
  return fault;
}

export function makeFaults(kakao, statusLine) {
  const container = byTestId("faults");
  const form = byTestId("fault-form");
  const list = byTestId("fault-list");
  const userSelect = byTestId("fault-user");
  let current = [];

  const inputs = PRESETS.map((preset) => {
    const id = `fault-${preset.id}`;
    const input = h("input", {
      type: "checkbox", role: "switch", id, "data-testid": id, "aria-describedby": `${id}-detail`,
    });
    input.addEventListener("change", () => apply());
    container.append(h("div", { class: "switch" },
      input,
      h("label", { for: id }, h("span", { class: "switch-label" }, preset.label),
        h("span", { class: "switch-detail", id: `${id}-detail` }, `(${preset.detail})`))));
    return [preset, input];
  });

  function reflect() {
    for (const [preset, input] of inputs) input.checked = current.some((f) => matches(f, preset));
    list.replaceChildren(...current.map((fault, index) => {
      const textId = `fault-text-${index}`;
      return h("li", { class: "fault", "data-testid": "fault-item" },
        h("code", { id: textId, "data-testid": "fault-text" }, describeFault(fault)),
        h("button", {
          type: "button", class: "button-quiet", "aria-describedby": textId,
          "data-testid": `fault-remove-${index}`, onclick: () => replace(current.filter((_, i) => i !== index)),
        }, "Remove"));
    }));
  }

  function showKindFields() {
    for (const el of form.querySelectorAll("[data-for-kind]")) {
      el.hidden = el.dataset.forKind !== form.elements.kind.value;
    }
  }

  async function replace(wanted) {
    const result = await kakao.putFaults(wanted);
    if (result.ok) current = result.body?.faults ?? wanted;
    statusLine.textContent = result.ok ? summary() : (result.body?.detail ?? `Could not change faults (${result.status}).`);
    reflect();
  }

  function summary() {
    return current.length ? `Faults on: ${current.map(describeFault).join("; ")}.` : "No faults: Kakao behaves.";
  }

  form.elements.kind.addEventListener("change", showKindFields);
  showKindFields();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    const result = await kakao.addFault(faultFrom(form));
    if (result.ok) {
      current = result.body.faults;
      reflect();
      statusLine.textContent = summary();
    } else {
      statusLine.textContent = `Fault refused: ${result.body?.detail ?? result.status} ${pretty(result.body?.error ?? "")}`;
    }
  });
  byTestId("faults-clear").addEventListener("click", async () => {
    const result = await kakao.clearFaults();
    if (result.ok) current = [];
    statusLine.textContent = result.ok ? summary() : `Could not remove the faults (${result.status}).`;
    reflect();
  });

  async function load() {
    const result = await kakao.getFaults();
    if (result.ok) {
      current = result.body?.faults ?? [];
      reflect();
    }
  }

  async function apply() {
    const others = current.filter((f) => !PRESETS.some((p) => matches(f, p)));
    const wanted = [...others, ...inputs.filter(([, i]) => i.checked).map(([p]) => p.fault)];
    const result = await kakao.putFaults(wanted);
    if (result.ok) {
      current = wanted;
      reflect();
      const on = inputs.filter(([, i]) => i.checked).map(([p]) => p.label);
      statusLine.textContent = on.length ? `Faults on: ${on.join(", ")}.` : "No faults: Kakao behaves.";
    } else {
      statusLine.textContent = result.body?.detail ?? `Could not change faults (${result.status}).`;
      await load();
    }
  }

  /** The "For user" choices: every user, or one of the fake's users. */
  function setUsers(users) {
    const chosen = userSelect.value;
    userSelect.replaceChildren(h("option", { value: "" }, "every user"),
      ...users.map((user) => h("option", { value: String(user.id) }, `${user.id} ${user.nickname ?? user.label ?? ""}`)));
    userSelect.value = [...userSelect.options].some((o) => o.value === chosen) ? chosen : "";
  }

  return { load, setUsers };
}
