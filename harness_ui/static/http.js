// fetch, timed and logged. Every request the page makes goes through here so the log is complete.

import { parseJson, stringifyJson } from "./json.js";
import { addLogEntry } from "./log.js";

/**
 * Send a request and return {status, ok, body, ms, error}; never throws for HTTP or network
 * errors (status 0 means the request did not get an answer, e.g. server down or CORS refused).
 * `json` sends a JSON body, `form` a form-urlencoded one (what Kakao's /oauth/token takes).
 * JSON both ways goes through json.js, so 64-bit ids stay exact (BigInt past 2^53).
 * `source` labels the log row when the page, not a click on the flow, made the call.
 */
export async function request(method, url, { headers = {}, json, form, source } = {}) {
  const sent = { ...headers };
  let body;
  let loggedBody;
  if (json !== undefined) {
    sent["Content-Type"] = "application/json";
    body = stringifyJson(json);
    loggedBody = json;
  } else if (form !== undefined) {
    body = new URLSearchParams(form);
    loggedBody = form;
  }
  const started = performance.now();
  let status = 0;
  let responseBody = null;
  let error = null;
  try {
    const response = await fetch(url, { method, headers: sent, body });
    status = response.status;
    const text = await response.text();
    try {
      responseBody = text ? parseJson(text) : null;
    } catch {
      responseBody = text;
    }
  } catch (err) {
    error = String(err.message ?? err);
  }
  const ms = Math.round(performance.now() - started);
  addLogEntry({
    time: Date.now(), method, url, status, ms, source,
    requestHeaders: sent, requestBody: loggedBody, responseBody, error,
  });
  return { status, ok: status >= 200 && status < 300, body: responseBody, ms, error };
}
