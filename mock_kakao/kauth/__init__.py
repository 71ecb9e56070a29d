"""kauth.kakao.com: authorize, the login pages, consent, ``/oauth/token``, OIDC, logout."""
