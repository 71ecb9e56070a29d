"""`--help` as a new user reads it: every option explained with its default, under the name
the person typed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from harness_ui.__main__ import OPTIONS

ROOT = Path(__file__).resolve().parents[2]


def help_of(*command: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout


def test_harness_ui_help_explains_every_option_with_its_default() -> None:
    text = " ".join(help_of(sys.executable, "-m", "harness_ui", "--help").split())
    for flag, env, default, *_ in OPTIONS:
        described = re.search(rf"{flag} \S+ (.+?)\[env {env}(; default (\S+))?\]", text)
        assert described is not None, f"{flag} has no help text: {text}"
        assert described.group(1).strip(), flag
        if default is not None:
            assert described.group(3) == str(default), flag
    for default in ("127.0.0.1", "8002", "http://127.0.0.1:8000", "http://127.0.0.1:8001"):
        assert f"default {default}]" in text


def test_the_installed_command_says_its_own_name() -> None:
    script = shutil.which("kakao-login-harness")
    assert script is not None, "pip install -e . installs kakao-login-harness"
    assert help_of(script, "--help").startswith("usage: kakao-login-harness ")
    assert help_of(sys.executable, "run_all.py", "--help").startswith("usage: run_all.py ")
