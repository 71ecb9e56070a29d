"""The original design, rebuilt faithfully so the bench can measure what ours is worth.

A synchronous Django view (`views.KakaoSignInView`) that, for each request, opens a new
connection to Kakao with `requests.get` (no Session, so no keep-alive), asks `/v2/user/me` who the
token belongs to, looks the user up in SQLite through the ORM and, on POST, creates or logs in the
user named by the body's `kakao_id` (trusted as it was, a hole the new service closes) and returns
a JWT. It runs under gunicorn's default sync workers, 2 × cores + 1 of them, each blocked for
the whole Kakao round trip.

It is deliberately not improved: its cost is the point of the comparison.
"""
