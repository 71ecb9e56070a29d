"""What the fake reads and writes: safe and atomic files, strict JSON, the users file.
The bottom layer: it imports nothing of the fake but :mod:`mock_kakao.web.errors`."""
