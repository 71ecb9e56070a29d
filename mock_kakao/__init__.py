"""mock_kakao: an offline, faithful fake of Kakao's login servers (kapi + kauth).

Entry points: :func:`mock_kakao.app.create_app` (the aiohttp application),
:class:`mock_kakao.state.FakeKakao` (its state), :class:`mock_kakao.testing.MockKakao` (a running
server for tests), the ``mock_kakao`` pytest plugin, and ``python -m mock_kakao``.
Nothing is imported here so that importing the package stays cheap and cycle-free.
"""
