"""The drop-in for Kakao's JavaScript SDK v2 (``kakao.js``), served where Kakao's CDN serves it."""
