"""What `run_all.py` is told: one table of options, each a flag and an environment variable.

The table is the single source for the parser, its `--help` and the README's flags table, so
the three cannot drift apart. Precedence: flag, then environment variable, then default.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness_ui.errors import StartupError

DEFAULT_APP_ID = 10001
DATABASE_FILE_NAME = "kakao_login.sqlite3"
SECRET_FILE_NAME = "secret_key"
KAKAO_KEYS_FILE_NAME = "mock_kakao_keys.json"
KAKAO_STATE_FILE_NAME = "mock_kakao_state.json"


@dataclass(frozen=True)
class StackConfig:
    """Where the three servers listen and what they serve. Port 0 means "any free port"."""

    host: str = "127.0.0.1"
    service_port: int = 8000
    kakao_port: int = 8001
    ui_port: int = 8002
    data_dir: Path = Path("var")
    database_url: str | None = None
    users_file: Path | None = None
    app_id: int | None = None  # None: the users file's app_id, else 10001
    kakao_state: Path | None = None  # None: KAKAO_STATE_FILE_NAME in data_dir
    #: a non-loopback `host` also exposes the fake's unauthenticated admin API: opt in by name
    allow_remote: bool = False

    @property
    def effective_database_url(self) -> str:
        """The given URL, else a SQLite file in `data_dir` (so accounts survive a restart)."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / DATABASE_FILE_NAME).resolve()}"

    @property
    def secret_key_path(self) -> Path:
        return self.data_dir / SECRET_FILE_NAME

    @property
    def kakao_keys_path(self) -> Path:
        """The fake Kakao's id_token signing keys (mock_kakao --keys-file)."""
        return self.data_dir / KAKAO_KEYS_FILE_NAME

    @property
    def kakao_state_path(self) -> Path:
        """The fake Kakao's state (mock_kakao --state): its users, tokens, consents, settings."""
        return self.kakao_state or self.data_dir / KAKAO_STATE_FILE_NAME


@dataclass(frozen=True)
class Option:
    """One setting: its flag, its environment variable, and what it means."""

    flag: str
    env: str
    dest: str
    help: str
    type: type = str
    default: object = None
    is_switch: bool = False
    metavar: str | None = None


OPTIONS: tuple[Option, ...] = (
    Option("--host", "HARNESS_HOST", "host", "address all three servers bind to", str, "127.0.0.1"),
    Option(
        "--service-port",
        "HARNESS_SERVICE_PORT",
        "service_port",
        "the service's port",
        int,
        8000,
        metavar="PORT",
    ),
    Option(
        "--kakao-port",
        "HARNESS_KAKAO_PORT",
        "kakao_port",
        "the fake Kakao's port",
        int,
        8001,
        metavar="PORT",
    ),
    Option(
        "--ui-port",
        "HARNESS_UI_PORT",
        "ui_port",
        "the harness page's port",
        int,
        8002,
        metavar="PORT",
    ),
    Option(
        "--data-dir",
        "HARNESS_DATA_DIR",
        "data_dir",
        f"folder for the SQLite file, the generated secret key ({SECRET_FILE_NAME}) and the "
        f"fake Kakao's id_token signing keys ({KAKAO_KEYS_FILE_NAME}) and state "
        f"({KAKAO_STATE_FILE_NAME})",
        Path,
        Path("var"),
        metavar="DIR",
    ),
    Option(
        "--database-url",
        "HARNESS_DATABASE_URL",
        "database_url",
        "SQLAlchemy URL of the service's database (default: SQLite file in --data-dir)",
        metavar="URL",
    ),
    Option(
        "--users",
        "HARNESS_USERS",
        "users_file",
        "fake Kakao users file, JSON or TOML (default: the bundled set)",
        Path,
        metavar="FILE",
    ),
    Option(
        "--kakao-state",
        "HARNESS_KAKAO_STATE",
        "kakao_state",
        "the fake Kakao's state file: its users, tokens, consents, app settings, clock and "
        f"faults, kept across restarts (default: {KAKAO_STATE_FILE_NAME} in --data-dir)",
        Path,
        metavar="FILE",
    ),
    Option(
        "--app-id",
        "HARNESS_APP_ID",
        "app_id",
        f"the fake Kakao's app id (default: the users file's, else {DEFAULT_APP_ID})",
        int,
        metavar="ID",
    ),
    Option(
        "--allow-remote",
        "HARNESS_ALLOW_REMOTE",
        "allow_remote",
        "allow a non-loopback --host; this exposes the fake Kakao's admin API (/_mock/, no "
        "authentication, every token in full) to the network",
        is_switch=True,
    ),
    Option(
        "--no-browser",
        "HARNESS_NO_BROWSER",
        "no_browser",
        "do not open the page in a browser (also off when CI is set or there is no display)",
        is_switch=True,
    ),
)

_TRUE_WORDS = {"1", "true", "yes", "on"}


def _env_default(option: Option, environ: Mapping[str, str]) -> object:
    raw = environ.get(option.env)
    if raw is None or raw == "":
        return option.default if not option.is_switch else False
    if option.is_switch:
        return raw.strip().lower() in _TRUE_WORDS
    try:
        return option.type(raw)
    except ValueError:
        message = f"run_all: {option.env}={raw!r} is not a valid {option.type.__name__}"
        raise StartupError(message) from None


def program_name(argv0: str | None = None) -> str:
    """What the person typed: `kakao-login-harness` once installed, else `run_all.py`."""
    name = Path(sys.argv[0] if argv0 is None else argv0).name
    return name if name in ("kakao-login-harness", "run_all.py") else "run_all.py"


def build_parser(environ: Mapping[str, str] = os.environ) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=program_name(),
        description="Fake Kakao + service + harness page in one process, for local development.",
    )
    for option in OPTIONS:
        default = _env_default(option, environ)
        help_text = f"{option.help} [env {option.env}]"
        if option.is_switch:
            parser.add_argument(
                option.flag, dest=option.dest, action="store_true", default=default, help=help_text
            )
        else:
            shown = "" if option.default is None else f"; default {option.default}"
            parser.add_argument(
                option.flag,
                dest=option.dest,
                type=option.type,
                default=default,
                metavar=option.metavar,
                help=f"{option.help} [env {option.env}{shown}]",
            )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="start everything on free ports with a throwaway database, run the whole flow for "
        "every fake user, print a table, exit non-zero on any unexpected outcome",
    )
    return parser


def parse_args(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ
) -> argparse.Namespace:
    # No check of --users here: loading it (harness_ui.stack) says what is wrong with it.
    return build_parser(environ).parse_args(argv)


def config_from_args(args: argparse.Namespace) -> StackConfig:
    return StackConfig(
        host=args.host,
        service_port=args.service_port,
        kakao_port=args.kakao_port,
        ui_port=args.ui_port,
        data_dir=args.data_dir,
        database_url=args.database_url,
        users_file=args.users_file,
        app_id=args.app_id,
        kakao_state=args.kakao_state,
        allow_remote=args.allow_remote,
    )


#: Which flag owns which port, for the "port already in use" message.
PORT_FLAGS = {"service": "--service-port", "kakao": "--kakao-port", "ui": "--ui-port"}


#: connections the page serves at once (HARNESS_UI_MAX_CONNECTIONS): a developer's browser
#: opens a handful; with the fake's 300 and the service's 400 the three stay below 1024
UI_MAX_CONNECTIONS = 100
