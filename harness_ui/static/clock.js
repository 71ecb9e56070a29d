// The fake Kakao's clock (POST /_mock/clock: every expiry follows it) and its reset
// (POST /_mock/reset: back to the users file).

import { byTestId } from "./dom.js";

export function makeFakeControls(kakao, onReset) {
  const now = byTestId("clock-now");
  const form = byTestId("clock-form");
  const status = byTestId("fake-status");

  function showClock(body) {
    const offset = body.offset ? ` (${Math.round(body.offset)} s ahead of real time)` : " (real time)";
    now.textContent = `${new Date(body.now * 1000).toLocaleString()}${offset}`;
  }

  async function load() {
    const result = await kakao.getClock();
    if (result.ok) showClock(result.body);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    const seconds = Number(form.elements.amount.value) * Number(form.elements.unit.value);
    const result = await kakao.advanceClock(seconds);
    if (result.ok) {
      showClock(result.body);
      status.textContent = `Clock advanced by ${seconds} s: tokens past their expiry are now expired.`;
      await onReset();
    } else {
      status.textContent = result.body?.detail ?? `Could not advance the clock (${result.status}).`;
    }
  });

  byTestId("kakao-reset").addEventListener("click", async () => {
    const result = await kakao.reset();
    if (!result.ok) {
      status.textContent = result.body?.detail ?? `Could not reset the fake (${result.status}).`;
      return;
    }
    await Promise.all([load(), onReset()]);
    status.textContent = `Fake Kakao reset: ${result.body.users} users from the users file, no faults, real time.`;
  });

  return { load };
}
