"""Every file the fake writes is one its next start reads back, at the largest it can make it.

The fake saves two files: the signing keys (``--keys-file``, or beside ``--state``) and the state
(``--state``); the users file it only reads. Each is driven to its maximum through the admin API
of an in-process fake, then a real ``python -m mock_kakao`` starts on it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from mock_kakao.app import start_server
from mock_kakao.world import signing
from mock_kakao.world.kakaoapp import MAX_KEEP_OLD_SECONDS, KakaoApp
from mock_kakao.world.persist import keys_file_for, open_state
from mock_kakao.world.signing import MAX_KEY_FILE_BYTES, MAX_KEYS, KeyRing, SigningKey
from mock_kakao.world.state import FakeKakao
from tests.mock_kakao.world.test_persist import admin, running, session

#: what the issue's report took to brick the next start
ROTATIONS = 600
#: aiohttp's client_max_size, which the admin API keeps: the largest import there is
MAX_IMPORT_BYTES = 1024**2


@pytest.fixture(scope="module")
def one_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=signing.KEY_BITS)


@pytest.fixture
def fast_keys(monkeypatch: pytest.MonkeyPatch, one_rsa_key: rsa.RSAPrivateKey) -> None:
    """Every new signing key shares one RSA key (its own kid): 600 rotations in a second, and
    a file exactly as large, since every 2048-bit PKCS#8 PEM is the same size."""
    monkeypatch.setattr(signing.rsa, "generate_private_key", lambda **_: one_rsa_key)


async def serve(state: FakeKakao) -> AsyncIterator[tuple[str, aiohttp.ClientSession]]:
    runner, url = await start_server(state, "127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as http:
            yield url, http
    finally:
        await runner.cleanup()


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    return tmp_path / "state.json"


async def rotate(url: str, http: aiohttp.ClientSession, keep: int) -> None:
    body = {"keep_old_seconds": keep}
    async with http.post(f"{url}/_mock/keys/rotate", json=body) as answer:
        assert answer.status == 201, await answer.text()


@pytest.mark.usefixtures("fast_keys")
async def test_600_rotations_kept_for_years_leave_a_key_file_the_next_start_reads(
    state_file: Path,
) -> None:
    keys_file = keys_file_for(state_file)
    state = FakeKakao.from_file(app=KakaoApp(keys_file=keys_file))
    async for url, http in serve(state):
        for _ in range(ROTATIONS):
            await rotate(url, http, MAX_KEEP_OLD_SECONDS)
        async with http.get(f"{url}/_mock/keys") as answer:
            before = [key["kid"] for key in (await answer.json())["keys"]]
    size = keys_file.stat().st_size
    print(f"\nkey file after {ROTATIONS} rotations: {size} bytes, {len(before)} keys")
    assert len(before) == MAX_KEYS
    assert size <= MAX_KEY_FILE_BYTES
    with running(state_file) as fake:  # a real start on that file: not exit 2
        published = admin(session(), fake, "GET", "/.well-known/jwks.json")
    assert [key["kid"] for key in published["keys"]] == before


@pytest.mark.usefixtures("fast_keys")
async def test_a_rotation_drops_the_keys_whose_keep_time_has_passed(tmp_path: Path) -> None:
    ring = KeyRing.generate(0.0, tmp_path / "keys.json")
    for second in range(5):
        ring.rotate(float(second), keep_old_seconds=10)
    ring.rotate(100.0, keep_old_seconds=10)  # every earlier one retired at 14 or before
    reread = KeyRing.open(tmp_path / "keys.json", 100.0)
    assert [k.retire_at for k in reread._keys] == [None, 110.0]


def test_a_hand_made_key_file_at_the_cap_stays_under_it_after_a_rotation(
    tmp_path: Path, one_rsa_key: rsa.RSAPrivateKey
) -> None:
    """A key file of long kids (fewer than MAX_KEYS fill it), as large as the cap lets in: the
    next rotation adds a key, and what it writes is still under the cap (the replaced keys
    retiring soonest go first)."""
    path = tmp_path / "keys.json"
    keys = [SigningKey("current", one_rsa_key, 0.0).to_file_json()]
    while True:
        key = SigningKey("k" * 12000 + str(len(keys)), one_rsa_key, 0.0, 1000.0 + len(keys))
        data = json.dumps({"version": 1, "keys": [*keys, key.to_file_json()]}, indent=1)
        if len(data.encode()) > MAX_KEY_FILE_BYTES:
            break
        keys.append(key.to_file_json())
    # and a last one whose kid takes all but 100 bytes of what is left: a new key does not fit
    last = SigningKey("", one_rsa_key, 0.0, 2000.0)
    overhead = len(json.dumps({"version": 1, "keys": [*keys, last.to_file_json()]}, indent=1))
    last.kid = "x" * (MAX_KEY_FILE_BYTES - 100 - overhead)
    keys.append(last.to_file_json())
    path.write_text(json.dumps({"version": 1, "keys": keys}, indent=1))
    assert MAX_KEY_FILE_BYTES - 200 < path.stat().st_size <= MAX_KEY_FILE_BYTES
    ring = KeyRing.open(path, 0.0)
    ring.rotate(1.0, keep_old_seconds=MAX_KEEP_OLD_SECONDS)
    assert path.stat().st_size <= MAX_KEY_FILE_BYTES
    reread = KeyRing.open(path, 1.0)  # a KeyFileError (over the cap) before the cut
    assert [k.kid for k in reread.published(1.0)][:2] == [ring.current.kid, "current"]
    assert len(reread.published(1.0)) == len(keys)  # one in, the one retiring soonest out


def largest_import(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with users added until its JSON is as large as an import may be."""
    users = list(document["users"])
    template = {**users[0], "nickname": "닉" * 40, "label": "x" * 200}
    size = len(json.dumps(document).encode())
    while True:  # users added while the document still fits (a user is over 1 KB now)
        user = {**template, "id": 5_000_000_000 + len(users)}
        more = len(json.dumps(user).encode()) + len(", ")  # json.dumps's item separator
        if size + more > MAX_IMPORT_BYTES:
            grown = {**document, "users": users}
            assert len(json.dumps(grown).encode()) == size <= MAX_IMPORT_BYTES
            return grown
        users.append(user)
        size += more


def size_of(path: Path) -> int:
    return path.stat().st_size


def users_of(document: Any) -> Iterator[int]:
    return (user["id"] for user in document["users"])


async def test_the_largest_import_saves_a_state_file_the_next_start_reads(
    state_file: Path,
) -> None:
    state = FakeKakao.from_file()
    saver = open_state(state, state_file)
    async for url, http in serve(state):
        async with http.get(f"{url}/_mock/state") as answer:
            document = largest_import(await answer.json())
        async with http.put(f"{url}/_mock/state", json=document) as answer:
            assert answer.status == 200, await answer.text()
            imported = await answer.json()
    await saver.close()
    print(f"\nstate file after the largest import: {size_of(state_file)} bytes")
    with running(state_file) as fake:
        restarted = admin(session(), fake, "GET", "/_mock/state")
    assert list(users_of(restarted)) == list(users_of(imported))
    assert restarted == imported
