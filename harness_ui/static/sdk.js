// Kakao's JavaScript SDK v2, as served by the fake (its copy, at the path of Kakao's CDN).

/** Load the SDK from `url` and `Kakao.init(appKey)`; resolves `window.Kakao`. */
export function loadKakaoSdk(url, appKey) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.onload = () => {
      if (!window.Kakao.isInitialized()) window.Kakao.init(appKey);
      resolve(window.Kakao);
    };
    script.onerror = () => reject(new Error(`could not load Kakao's JavaScript SDK from ${url}`));
    document.head.append(script);
  });
}
