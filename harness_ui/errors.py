"""Start-up failures a person can fix (a busy port, a bad users file, a bad setting).

`run_all.py` prints `str(error)` as one line and exits 2 instead of showing a traceback.
"""


class StartupError(Exception):
    """The stack could not start; the message is one line meant for a person."""
