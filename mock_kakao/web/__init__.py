"""Cross-cutting HTTP: Kakao's error dialects, JSON answers, the loopback rule, CORS and web
domains, the admin guard, faults acted out, the request log's middleware, the socket."""
