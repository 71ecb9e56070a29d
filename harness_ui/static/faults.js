// Fault switches: each one is a fault object on the fake Kakao (PUT /_mock/faults replaces the
// whole list, so the switches' faults are merged with any others a test or script set).

import { byTestId, h } from "./dom.js";

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

export function makeFaults(kakao, statusLine) {
  const container = byTestId("faults");
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
  }

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
      const on = inputs.filter(([, i]) => i.checked).map(([p]) => p.label);
      statusLine.textContent = on.length ? `Faults on: ${on.join(", ")}.` : "No faults: Kakao behaves.";
    } else {
      statusLine.textContent = result.body?.detail ?? `Could not change faults (${result.status}).`;
      await load();
    }
  }

  return { load };
}
