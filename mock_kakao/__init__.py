"""mock_kakao: an offline, faithful fake of Kakao's login servers (kapi + kauth).

Entry points: :func:`mock_kakao.app.create_app` (the aiohttp application),
:class:`mock_kakao.world.state.FakeKakao` (its state), :class:`mock_kakao.testing.MockKakao`
(a running server for tests), the ``mock_kakao`` pytest plugin, and ``python -m mock_kakao``.
``docs/architecture.md`` maps the subpackages.
Nothing is imported eagerly, so that importing the package stays cheap and cycle-free.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mock_kakao.testing import MockKakao, MockKakaoError

__all__ = ["MockKakao", "MockKakaoError"]


def __getattr__(name: str) -> Any:
    """``from mock_kakao import MockKakao`` without importing aiohttp on ``import mock_kakao``."""
    if name in __all__:
        from mock_kakao import testing

        return getattr(testing, name)
    raise AttributeError(f"module 'mock_kakao' has no attribute {name!r}")
