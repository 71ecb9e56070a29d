"""``python -m mock_kakao --keys-file``: signing keys made once, kept across restarts, and a bad
key file refused with one line and exit status 2 (never silently replaced)."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest

from mock_kakao.world.signing import MAX_KEY_FILE_BYTES
from tests.mock_kakao.test_cli import ROOT, environment, get_json, refused_start, running
from tests.support import brokenfiles as broken

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def post(url: str, body: bytes, content_type: str) -> dict:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    with _opener.open(request, timeout=10) as response:
        return json.load(response)


def id_token(url: str) -> str:
    body = json.dumps({"scope": "openid"}).encode()
    return post(f"{url}/_mock/users/4000000001/tokens", body, "application/json")["id_token"]


def tokeninfo(url: str, token: str) -> dict:
    form = urllib.parse.urlencode({"id_token": token}).encode()
    return post(f"{url}/oauth/tokeninfo", form, "application/x-www-form-urlencoded")


def test_keys_survive_a_restart_with_the_key_file(tmp_path):
    keys_file = tmp_path / "state" / "keys.json"
    with running("--port", "0", "--keys-file", str(keys_file)) as (url, _):
        first = get_json(url + "/.well-known/jwks.json")
        token = id_token(url)
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    with running("--port", "0", MOCK_KAKAO_KEYS_FILE=str(keys_file)) as (url, _):
        assert get_json(url + "/.well-known/jwks.json") == first
        assert tokeninfo(url, token)["sub"] == "4000000001"


def test_without_a_key_file_each_start_has_new_keys():
    with running("--port", "0") as (url, _):
        first = get_json(url + "/.well-known/jwks.json")
    with running("--port", "0") as (url, _):
        assert get_json(url + "/.well-known/jwks.json") != first


def test_issuer_and_oidc_flags(tmp_path):
    with running("--port", "0", "--issuer", "https://kauth.kakao.com/", "--no-oidc") as (url, _):
        assert get_json(url + "/.well-known/openid-configuration")["issuer"] == (
            "https://kauth.kakao.com"
        )
        assert get_json(url + "/_mock/app")["oidc"] is False


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("not json", "not valid JSON"),
        ('{"keys": []}', "non-empty 'keys' list"),
        ('{"keys": [{"kid": "k", "private_key": "-----BEGIN nonsense"}]}', "not a PEM"),
    ],
)
def test_a_bad_key_file_is_one_line_and_exit_2(tmp_path, content, says):
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(content)
    result = run_fake("--port", "0", "--keys-file", str(keys_file))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and str(keys_file) in lines[0]
    assert keys_file.read_text() == content  # never overwritten


#: a key file that is there but is not one: (how it is broken, words the line must contain,
#: run unprivileged)
BROKEN_KEY_FILES = {
    **broken.NOT_A_READABLE_FILE,
    "nested deeply": (broken.deeply_nested, "nested too deeply", False),
    "huge": (broken.huge(MAX_KEY_FILE_BYTES + 1), f"over {MAX_KEY_FILE_BYTES} bytes", False),
}


@pytest.mark.parametrize("case", BROKEN_KEY_FILES)
def test_a_key_file_that_is_not_one_is_one_line_and_exit_2(tmp_path, case):
    breaks, says, as_user = BROKEN_KEY_FILES[case]
    keys_file = tmp_path / "keys.json"
    breaks(keys_file)
    before = broken.fingerprint(keys_file)
    line = refused_start("--keys-file", str(keys_file), as_user=as_user)
    assert says in line and str(keys_file) in line, line
    assert broken.fingerprint(keys_file) == before  # never replaced nor rewritten


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("--issuer", "kauth.kakao.com"), {}),
        ((), {"MOCK_KAKAO_OIDC": "maybe"}),
    ],
)
def test_bad_issuer_or_oidc_switch_is_a_usage_error(args, env):
    result = run_fake("--port", "0", *args, **env)
    assert result.returncode == 2
    assert "error:" in result.stderr


def run_fake(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mock_kakao", *args],
        capture_output=True,
        text=True,
        env=environment(**env),
        cwd=ROOT,
        timeout=30,
    )
