"""The harness's own ``/_mock/`` API: users, tokens, faults, app, keys, state, requests,
webhooks. It is the fake's, not Kakao's: Kakao's admin key is :mod:`mock_kakao.kapi.adminkey`."""
