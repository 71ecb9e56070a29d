"""Cross-cutting HTTP: Kakao's error dialects, JSON answers, the loopback rule, CORS and web
domains, the control API's loopback guard, faults acted out, the request log.

``errors``, ``jsonresp`` and ``loopback`` import nothing else of the fake, so every layer may use
them; the rest is the aiohttp glue that :mod:`mock_kakao.app` composes."""
