"""Run a command as a process that file permissions apply to, even when the tests run as root.

Root ignores file modes (CAP_DAC_OVERRIDE), so `chmod 0444` stops nobody there, and CI runs as
root. Root without capabilities is an ordinary user for its own files: `setpriv` empties the
capability sets before exec, so a file of mode 0444 cannot be written, a key file of mode 0000
cannot be read, a folder of mode 0500 cannot be written. The process keeps uid 0, so it can
still run the interpreter under /root. Run as any other user, the command needs no prefix.
"""

from __future__ import annotations

import os

SETPRIV = ("setpriv", "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all")


def unprivileged(*command: str) -> list[str]:
    """`command`, prefixed so that it runs without root's capabilities."""
    return [*SETPRIV, *command] if os.geteuid() == 0 else list(command)
