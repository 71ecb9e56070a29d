// The line protocol with tests/clients/support.py: print the authorize URL, wait for the
// person's redirect back, print the result. Each client script only does its library's part.
import readline from "node:readline";

export function say(value) {
  process.stdout.write(JSON.stringify(value) + "\n");
}

/** Announce the authorize URL; resolves with the callback URL the person was sent to. */
export async function personLogsIn(authorizeUrl) {
  say({ authorize_url: authorizeUrl });
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    lines.close();
    return JSON.parse(line).callback_url;
  }
  throw new Error("no callback URL on stdin");
}

/** Run the client's login; print `{ok: true, ...}` or `{ok: false, error}`. */
export async function main(login) {
  try {
    say({ ok: true, ...(await login()) });
  } catch (error) {
    // Libraries wrap the HTTP answer in their own error types: keep its fields visible.
    const detail = JSON.stringify(error, Object.getOwnPropertyNames(error ?? {}));
    say({ ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : detail, detail });
  }
  process.exit(0);
}
