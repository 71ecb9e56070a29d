// JSON that keeps Kakao ids exact. They are 64-bit integers, and a JS number is exact only up
// to 2^53: plain JSON.parse reads user 9007199254740993 as ...992, and the page would then
// send the service another person's id. Integers past that become BigInt, read from their
// source text (JSON.parse's reviver `context`), and are written back as the same JSON number
// (JSON.rawJSON), never as a string: the service and the fake take only integers.

/** JSON.parse, except integers beyond Number.MAX_SAFE_INTEGER come back as exact BigInts. */
export function parseJson(text) {
  return JSON.parse(text, (key, value, context) =>
    typeof value === "number" && !Number.isSafeInteger(value) && /^-?\d+$/.test(context?.source ?? "")
      ? BigInt(context.source)
      : value);
}

/** JSON.stringify that writes a BigInt as the exact JSON integer it holds. */
export function stringifyJson(value, indent) {
  return JSON.stringify(value, (key, inner) =>
    typeof inner === "bigint" ? JSON.rawJSON(inner.toString()) : inner, indent);
}

/**
 * The integer a person typed, exact: a BigInt past 2^53, else a number. Anything that is not
 * an integer is passed on as Number() makes it, so the server's own error answers it.
 */
export function integerFrom(text) {
  const trimmed = text.trim();
  if (!/^-?\d+$/.test(trimmed)) return Number(trimmed);
  const exact = BigInt(trimmed);
  const number = Number(exact);
  return Number.isSafeInteger(number) ? number : exact;
}
