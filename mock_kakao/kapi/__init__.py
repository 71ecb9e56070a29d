"""kapi.kakao.com: ``/v2/user/me``, token info, logout/unlink, ids, scopes, the admin key."""
