// ============================================================================================
//  THE ONLY LINES THAT DIFFER FROM PRODUCTION: where the SDK, kauth and our service are.
//  In production:
//    KAKAO_SDK_URL = "https://t1.kakaocdn.net/kakao_js_sdk/2.7.2/kakao.min.js"
//    KAUTH_URL     = "https://kauth.kakao.com"
//    SERVICE_URL, JAVASCRIPT_KEY, REST_API_KEY: your backend and your app's keys (console →
//    [앱] > [플랫폼 키]).
//  These values fit `python run_all.py` on its default ports; the harness page's server serves
//  this file at /example/config.js with the ports and keys of the stack it runs with.
// ============================================================================================
const KAKAO_SDK_URL = "http://127.0.0.1:8001/kakao_js_sdk/2.7.2/kakao.min.js";
const KAUTH_URL = "http://127.0.0.1:8001";
const SERVICE_URL = "http://127.0.0.1:8000";
const JAVASCRIPT_KEY = "mock-javascript-key";
const REST_API_KEY = "mock-rest-api-key";

// The <script src> of Kakao's guide, written here so that its URL lives in this one place.
document.write('<script src="' + KAKAO_SDK_URL + '" crossorigin="anonymous"></script>');
