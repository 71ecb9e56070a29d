// 카카오 로그인, as Kakao's guide and Korean tutorials write it: Kakao.init, a button calling
// Kakao.Auth.authorize, a callback that trades the code for a token, Kakao.API.request, then
// our own service. Nothing here knows it runs against the fake: see config.js.

Kakao.init(JAVASCRIPT_KEY);  // 사이트 도메인에서 사용하는 JavaScript 키
console.log(Kakao.isInitialized());

const REDIRECT_URI = location.origin + location.pathname.replace(/[^/]*$/, "") + "callback.html";

function show(testid, text) {
  const element = document.querySelector(`[data-testid="${testid}"]`);
  if (text !== undefined) element.textContent = text;
  element.hidden = false;
  return element;
}

function showError(text) {
  show("error", text);
}

// index.html: the login button
function loginWithKakao() {
  const state = crypto.randomUUID();  // checked on the way back (CSRF)
  sessionStorage.setItem("kakao_login_state", state);
  Kakao.Auth.authorize({ redirectUri: REDIRECT_URI, state: state });
}

// callback.html: ?code → access token → user info → our service
async function getToken(code) {
  const response = await fetch(KAUTH_URL + "/oauth/token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded;charset=utf-8" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: REST_API_KEY,
      redirect_uri: REDIRECT_URI,
      code: code,
    }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`토큰 발급 실패: ${body.error_code} ${body.error_description}`);
  return body;
}

async function callService(method, path, authorization, json) {
  const response = await fetch(SERVICE_URL + path, {
    method: method,
    headers: { Authorization: authorization, ...(json ? { "Content-Type": "application/json" } : {}) },
    body: json ? JSON.stringify(json) : undefined,
  });
  return { status: response.status, body: await response.json() };
}

async function signUp(accessToken, kakaoId, form) {
  const fields = new FormData(form);
  const answer = await callService("POST", "/auth/kakao", accessToken, {
    kakao_id: kakaoId,
    user_name: fields.get("user_name"),
    email: fields.get("email"),
  });
  show("result");
  show("result-status", `${answer.status} ${answer.body.message}`);
  if (!answer.body.token) return;
  show("jwt", answer.body.token);
  const me = await callService("GET", "/users/me", "Bearer " + answer.body.token);
  show("users-me", JSON.stringify(me.body, null, 2));
}

async function handleCallback() {
  const params = new URLSearchParams(location.search);
  const expected = sessionStorage.getItem("kakao_login_state");
  sessionStorage.removeItem("kakao_login_state");
  if (params.get("error")) throw new Error(`로그인 취소: ${params.get("error_description")}`);
  if (!expected || params.get("state") !== expected) throw new Error("state가 맞지 않습니다");

  const token = await getToken(params.get("code"));
  Kakao.Auth.setAccessToken(token.access_token);
  show("status", "로그인 성공 (signed in)");

  const user = await Kakao.API.request({ url: "/v2/user/me" });
  show("kakao-user");
  show("kakao-user-body", JSON.stringify(user, null, 2));

  const whoIs = await callService("GET", "/auth/kakao", token.access_token);
  if (whoIs.status !== 200) throw new Error(`GET /auth/kakao: ${whoIs.status} ${whoIs.body.message}`);
  const result = whoIs.body.result;
  const form = show("signup-form");
  show("is-user", result.is_user ? "회원 (log in)" : "신규 (sign up)");
  form.elements.user_name.value = result.user_name ?? "";
  form.elements.email.value = result.email ?? "";
  form.querySelector("button").textContent = result.is_user ? "로그인" : "가입하기";
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    signUp(token.access_token, result.kakao_id, form).catch((error) => showError(String(error)));
  });
}

const loginButton = document.getElementById("kakao-login-btn");
if (loginButton) {
  show("sdk-version", Kakao.VERSION);
  loginButton.addEventListener("click", loginWithKakao);
} else {
  handleCallback().catch((error) => {
    show("status", "로그인 실패");
    showError(error.message ?? JSON.stringify(error));
  });
}
