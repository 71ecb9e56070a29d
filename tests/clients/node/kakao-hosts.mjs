// Preloaded with `node --import ./kakao-hosts.mjs`: the client libraries hard-code Kakao's two
// hosts, so their source is read with exactly those two constants swapped for the fake's URL
// (KAKAO_FAKE_URL). Nothing else in any library changes. The TLS issue will make this moot.
import Module from "node:module";

const fake = process.env.KAKAO_FAKE_URL;
if (!fake) throw new Error("kakao-hosts.mjs: KAKAO_FAKE_URL is not set");
const HOSTS = /https:\/\/k(auth|api)\.kakao\.com/g;

/** The library source with Kakao's hosts pointed at the fake. */
export function swapHosts(source) {
  return source.replace(HOSTS, fake);
}

// CommonJS (passport-kakao, next-auth v4): every module compiled from node_modules.
const compile = Module.prototype._compile;
Module.prototype._compile = function (content, filename) {
  const swapped = filename.includes("node_modules") ? swapHosts(content) : content;
  return compile.call(this, swapped, filename);
};

// ES modules (@auth/core, @logto/connector-kakao): a load hook in the loader thread.
Module.register("./kakao-hosts-hook.mjs", import.meta.url, { data: { fake } });
