// The ES-module half of kakao-hosts.mjs (module hooks run in their own thread).
let fake;
const HOSTS = /https:\/\/k(auth|api)\.kakao\.com/g;

export function initialize(data) {
  fake = data.fake;
}

export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (result.format === "module" && url.includes("/node_modules/") && result.source) {
    result.source = String(result.source).replace(HOSTS, fake);
  }
  return result;
}
