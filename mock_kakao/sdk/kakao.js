/*!
 * mock_kakao's stand-in for Kakao's JavaScript SDK v2 (Kakao.init, Kakao.Auth, Kakao.API).
 *
 * Written for kakao-login-harness from a description of the real SDK's behaviour; it contains
 * no code of Kakao's. Load it from a running fake, e.g.
 *   <script src="http://127.0.0.1:8001/kakao_js_sdk/2.7.2/kakao.min.js"></script>
 * and every call goes to that fake (the origin this script was served from), never to Kakao.
 * What it implements, and what of the real SDK it deliberately does not, is in the README
 * ("A frontend on the fake: Kakao's JavaScript SDK").
 */
(function (root, factory) {
  "use strict";
  if (typeof define === "function" && define.amd) {
    define([], factory);
  } else if (typeof module === "object" && module.exports) {
    module.exports = factory();
  } else {
    root.Kakao = factory();
    // After this script, not during it (the real SDK's setTimeout(…, 0)): a page's later code
    // runs first. Whether a kakaoAsyncInit defined after this script is called is not known;
    // the fake calls only one defined before it (the stricter reading).
    var asyncInit = root.kakaoAsyncInit;
    if (typeof asyncInit === "function") setTimeout(function () { asyncInit(); }, 0);
  }
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  // The version in the script's URL (/kakao_js_sdk/<version>/kakao.min.js), written in by the
  // fake as it serves the file (mock_kakao/sdk/routes.py); /kakao.js is served as the default.
  var VERSION = "__MOCK_KAKAO_SDK_VERSION__";
  // Where this copy came from, read once while it runs: the fake it talks to.
  var served = (function () {
    var script = typeof document !== "undefined" ? document.currentScript : null;
    var src = script && script.src ? new URL(script.src, location.href) : null;
    return { origin: src ? src.origin : location.origin, version: VERSION };
  })();

  /** Whether version text "a.b.c" is at least [a, b, c], compared as numbers (2.10 > 2.3). */
  function atLeast(version, wanted) {
    var parts = version.split(".").map(Number);
    for (var i = 0; i < wanted.length; i++) {
      if ((parts[i] || 0) !== wanted[i]) return (parts[i] || 0) > wanted[i];
    }
    return true;
  }
  // 2.3.0 renamed authorize's `prompts` to `prompt`; each version takes only its own name and
  // throws on the other, as any unknown key (whether 2.3+ still takes `prompts` is unconfirmed:
  // refusing it is the stricter answer).
  var PROMPT_KEY = atLeast(VERSION, [2, 3, 0]) ? "prompt" : "prompts";

  // The user APIs Kakao.API.request accepts (the login ones of the real SDK's list, and the
  // "send to me" message the fake serves for -402, issue 21 item 4), each with its HTTP method
  // and the data keys it takes; any other url is refused before a request.
  var API_URLS = {
    "/v2/user/me": { method: "GET", optional: { property_keys: isArray, secure_resource: isBoolean } },
    "/v1/user/logout": { method: "POST" },
    "/v1/user/unlink": { method: "POST" },
    "/v1/user/access_token_info": { method: "GET" },
    "/v2/user/scopes": { method: "GET", optional: { scopes: isArray } },
    "/v2/user/revoke/scopes": { method: "POST", required: { scopes: isArray } },
    "/v1/user/signup": { method: "POST", optional: { properties: isObject } },
    "/v1/user/update_profile": { method: "POST", required: { properties: isObject } },
    "/v1/user/service/terms": { method: "GET", optional: { extra: isString } },
    "/v1/user/shipping_address": {
      method: "GET",
      optional: { address_id: isNumber, from_updated_at: isNumber, page_size: isNumber },
    },
    "/v2/api/talk/memo/default/send": { method: "POST", required: { template_object: isObject } },
  };

  var AUTHORIZE_SETTINGS = {
    optional: {
      redirectUri: isString,
      approvalType: oneOf(["project"]),
      scope: isString,
      throughTalk: isBoolean,
      channelPublicId: isString,
      serviceTerms: isString,
      isPopup: isBoolean,
      state: isString,
      deviceType: oneOf(["watch", "tv"]),
      throughSyncplugin: isBoolean,
      loginHint: isString,
      nonce: isString,
      settleId: isString,
    },
  };
  AUTHORIZE_SETTINGS.optional[PROMPT_KEY] = isString;
  // settings key → authorize query parameter, in the order the query is built
  var AUTHORIZE_QUERY = [
    ["approvalType", "approval_type"],
    ["scope", "scope"],
    [PROMPT_KEY, "prompt"],
    ["state", "state"],
    ["nonce", "nonce"],
    ["loginHint", "login_hint"],
    ["settleId", "settle_id"],
    ["deviceType", "device_type"],
    ["channelPublicId", "channel_public_id"],
    ["serviceTerms", "extra.service_terms"],
  ];
  var NO_STORE = "no-cache, no-store, max-age=0, must-revalidate";
  var TRAN_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

  class KakaoError extends Error {
    constructor(message) {
      super(message);
      this.name = "KakaoError";
    }
  }

  function isString(value) { return typeof value === "string"; }
  function isBoolean(value) { return typeof value === "boolean"; }
  function isNumber(value) { return typeof value === "number"; }
  function isArray(value) { return Array.isArray(value); }
  function isObject(value) { return value !== null && typeof value === "object"; }
  function oneOf(values) { return function (value) { return values.indexOf(value) !== -1; }; }

  /** Kakao's parameter check, in the real SDK's order: missing keys, then unknown ones, then
   * each value's type. ``caller`` ends each message (``API.request - <url>`` for its data). */
  function validate(params, rules, caller) {
    if (!isObject(params)) throw new KakaoError("Illegal argument for \"settings\" in " + caller);
    var required = rules.required || {};
    var optional = rules.optional || {};
    var missing = Object.keys(required).filter(function (key) { return params[key] === undefined; });
    if (missing.length) {
      throw new KakaoError("Missing required keys: " + missing.join(",") + " at " + caller);
    }
    var unknown = Object.keys(params).filter(function (key) {
      return !(key in required) && !(key in optional);
    });
    if (unknown.length) {
      throw new KakaoError("Invalid parameter keys: " + unknown.join(",") + " at " + caller);
    }
    Object.keys(params).forEach(function (key) {
      var check = required[key] || optional[key];
      if (params[key] !== undefined && !check(params[key])) {
        throw new KakaoError("Illegal argument for \"" + key + "\" in " + caller);
      }
    });
    return params;
  }

  /** The KA value Kakao's SDKs send (header on kapi, parameter on kauth). */
  function kaValue() {
    var origin = location.protocol + "//" + location.hostname + (location.port ? ":" + location.port : "");
    var lang = navigator.userLanguage || navigator.language;
    var device = String(navigator.platform || "").replace(/ /g, "_");
    return "sdk/" + served.version + " os/javascript sdk_type/javascript lang/" + lang +
      " device/" + device + " origin/" + encodeURIComponent(origin);
  }

  function randomTranId() {
    var bytes = crypto.getRandomValues(new Uint8Array(60));
    return Array.prototype.map.call(bytes, function (b) {
      return TRAN_ID_CHARS[b % TRAN_ID_CHARS.length];
    }).join("");
  }

  function formEncode(data) {
    return Object.keys(data || {}).filter(function (key) { return data[key] !== undefined; })
      .map(function (key) {
        var value = isObject(data[key]) ? JSON.stringify(data[key]) : String(data[key]);
        return encodeURIComponent(key) + "=" + encodeURIComponent(value);
      }).join("&");
  }

  function parseBody(text) {
    try {
      return JSON.parse(text);
    } catch (error) {
      return text;
    }
  }

  /** An absolute http(s) URL, or null: the only kind the SDK ever navigates to. Any other
   * (javascript:, data:, a relative path) would run in, or replace, the caller's page. */
  function httpUrl(text) {
    var url;
    try {
      url = new URL(text);
    } catch (error) {
      return null;
    }
    return url.protocol === "http:" || url.protocol === "https:" ? url : null;
  }

  function navigate(url, caller) {
    var target = httpUrl(url);
    if (!target) throw new KakaoError("Illegal argument for \"redirectUri\" in " + caller);
    location.href = target.href;
  }

  function withQuery(url, pairs) {
    var query = pairs.map(function (pair) {
      return encodeURIComponent(pair[0]) + "=" + encodeURIComponent(pair[1]);
    }).join("&");
    return url + (url.indexOf("?") === -1 ? "?" : "&") + query;
  }

  // The token lives in memory, for the whole page: Kakao.cleanup() and a new init() keep it,
  // as the real SDK's do; unless persist is false it is also in sessionStorage.
  var memory = null;

  function makeAuth(app) {
    // sessionStorage, under a key of this SDK's own (plain text: see the README's
    // "deliberately not copied").
    var storageKey = "mock_kakao_sdk.access_token." + app.key;

    function setAccessToken(token, persist) {
      memory = token;
      if (token === null || persist === false) {
        sessionStorage.removeItem(storageKey);
      } else {
        sessionStorage.setItem(storageKey, token);
      }
    }

    function getAccessToken() {
      if (memory) return memory;
      memory = sessionStorage.getItem(storageKey);
      return memory;
    }

    function authorize(settings) {
      validate(settings || {}, AUTHORIZE_SETTINGS, "Auth.authorize");
      settings = settings || {};
      if (settings.redirectUri !== undefined && !httpUrl(settings.redirectUri)) {
        throw new KakaoError("Illegal argument for \"redirectUri\" in Auth.authorize");
      }
      // prompt(s): 'none' goes to kauth like any login: it checks the key and the redirect URI
      // (KOE006 for an unregistered one) before it answers (kauth/login.py, from_js_sdk).
      if (settings.isPopup) {
        console.warn("mock_kakao SDK: isPopup is not supported; signing in in this window");
      }
      var query = [["client_id", app.key]];
      AUTHORIZE_QUERY.forEach(function (entry) {
        if (settings[entry[0]] !== undefined) query.push([entry[1], settings[entry[0]]]);
      });
      query.push(
        ["redirect_uri", settings.redirectUri || "JS-SDK"],
        ["response_type", "code"],
        ["auth_tran_id", randomTranId()],
        ["ka", kaValue()],
        ["is_popup", "false"]
      );
      navigate(withQuery(served.origin + "/oauth/authorize", query), "Auth.authorize");
      return new Promise(function () {});  // the page is leaving: never settles, as the real one
    }

    function logout() {
      return app.request({ url: "/v1/user/logout" }).finally(function () {
        setAccessToken(null);
      });
    }

    function getStatusInfo() {
      if (!getAccessToken()) return Promise.reject({ status: "not_connected" });
      return app.request({ url: "/v2/user/me" }).then(
        function (user) { return { status: "connected", user: user }; },
        function () { return { status: "not_connected" }; }
      );
    }

    return {
      authorize: authorize,
      setAccessToken: setAccessToken,
      getAccessToken: getAccessToken,
      getAppKey: function () { return app.key; },
      logout: logout,
      getStatusInfo: getStatusInfo,
      cleanup: function () {},  // nothing of a login to undo: no popup, no polling
    };
  }

  function makeApi(app) {
    /** One kapi call, as the real SDK makes it; resolves the JSON of a 200, rejects any other. */
    function request(settings) {
      validate(settings, { required: { url: isString }, optional: { data: isObject, files: isObject, file: isObject } }, "API.request");
      var api = API_URLS[settings.url];
      if (!api) throw new KakaoError("Illegal argument for \"url\" in API.request");
      if (settings.files !== undefined || settings.file !== undefined) {
        throw new KakaoError("Illegal argument for \"files\" in API.request");  // no login API takes one
      }
      var data = validate(settings.data || {}, api, "API.request - " + settings.url);
      var body = formEncode(data);
      var url = served.origin + settings.url;
      if (api.method === "GET" && body) url += "?" + body;
      return new Promise(function (resolve, reject) {
        var xhr = new XMLHttpRequest();
        xhr.open(api.method, url);
        xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
        xhr.setRequestHeader("KA", kaValue());
        xhr.setRequestHeader("Authorization", "Bearer " + app.auth.getAccessToken());
        xhr.setRequestHeader("Cache-Control", NO_STORE);
        xhr.setRequestHeader("Pragma", "no-cache");
        xhr.onloadend = function () {
          var answer = parseBody(xhr.responseText);
          if (xhr.status === 200) resolve(answer);
          else reject(answer);
        };
        xhr.send(api.method === "POST" ? body : null);
      });
    }

    return { request: request, cleanup: function () {} };
  }

  var app = { key: null, auth: null, request: null };
  var Kakao = { VERSION: served.version };

  Kakao.init = function (appKey) {
    if (app.key !== null) throw new KakaoError("Kakao.init: Already initialized");
    // Only a non-string is refused: an empty or wrong key fails later, at Kakao, as in the real SDK.
    if (typeof appKey !== "string") {
      throw new KakaoError("Kakao.init: App key must be provided");
    }
    app.key = appKey;
    app.auth = Kakao.Auth = makeAuth(app);
    Kakao.API = makeApi(app);
    app.request = Kakao.API.request;
  };

  Kakao.isInitialized = function () {
    return app.key !== null;
  };

  Kakao.cleanup = function () {
    if (Kakao.Auth) Kakao.Auth.cleanup();
    if (Kakao.API) Kakao.API.cleanup();
    app.key = null;
  };

  return Kakao;
});
