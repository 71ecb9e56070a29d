"""What counts as "this machine": the one rule behind binding, CORS and the admin guard.

Loopback is 127.0.0.0/8, ``::1`` and the name ``localhost``. The bind check, the admin API's
CORS answer and its Origin/Host guard all ask this module, so they cannot disagree about
whether, say, ``127.0.0.2`` or ``[::1]`` is local.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback_host(host: str) -> bool:
    """A bare host name or address (no port, no brackets) that only this machine can reach."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback_origin(origin: str) -> bool:
    """An ``Origin`` header naming a page served from this machine over http(s)."""
    try:
        parts = urlsplit(origin)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    has_userinfo = "@" in parts.netloc
    hostname = parts.hostname
    return (
        parts.scheme in ("http", "https")
        and not has_userinfo
        and hostname is not None
        and is_loopback_host(hostname)
    )


def host_header_name(value: str) -> str | None:
    """The name in a ``Host`` header (``[::1]:8001`` → ``::1``), None when it is malformed."""
    try:
        parts = urlsplit(f"//{value}")
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    if "@" in parts.netloc or parts.path or parts.query or parts.fragment:
        return None
    return parts.hostname or None
