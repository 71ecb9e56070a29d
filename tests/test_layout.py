"""The layout docs/architecture.md describes, checked: which package may import which.

The arrows only point down (entry points → Kakao's hosts and the control API → world → files),
the fake never imports the service or the page, and the service knows Kakao only over HTTP.
A new import that breaks an arrow fails here, naming the file and the import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: helpers of web/ that import nothing else of the fake, so any layer may use them
WEB_LEAVES = {"mock_kakao.web.errors", "mock_kakao.web.jsonresp", "mock_kakao.web.loopback"}


def imports_of(path: Path) -> list[str]:
    """Every module ``path`` imports (absolute names), at any depth of the file."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            found += [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package.replace(".", "/")).rglob("*.py"))


def refusals(package: str, allowed: set[str], allowed_packages: tuple[str, ...]) -> list[str]:
    """The imports of ``package``'s modules into the project that the layout does not allow.

    ``allowed``: modules that may be imported (and their names); ``allowed_packages``: packages
    whose every module may be."""
    ours = ("mock_kakao", "service", "harness_ui", "run_all")
    may = allowed | WEB_LEAVES
    bad = []
    for path in modules(package):
        for name in imports_of(path):
            prefixes = {name.rsplit(".", depth)[0] for depth in range(name.count(".") + 1)}
            if name.split(".")[0] not in ours or prefixes & set(allowed):
                continue
            if any(name == p or name.startswith(p + ".") for p in allowed_packages):
                continue
            if any(leaf.startswith(name + ".") for leaf in may):  # `from mock_kakao.web import`
                continue
            bad.append(f"{path.relative_to(ROOT)}: {name}")
    return bad


def test_files_is_the_bottom_layer():
    assert refusals("mock_kakao.files", {"mock_kakao.web.errors"}, ("mock_kakao.files",)) == []


def test_world_knows_no_host_no_control_api_and_answers_no_request():
    allowed = ("mock_kakao.world", "mock_kakao.files")
    assert refusals("mock_kakao.world", WEB_LEAVES, allowed) == []
    aiohttp_web = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in modules("mock_kakao.world")
        for name in imports_of(path)
        if name in ("aiohttp.web", "aiohttp.web.Request", "aiohttp.web.Response")
    ]
    assert aiohttp_web == []


@pytest.mark.parametrize("package", ["kauth", "kapi", "control", "sdk", "web"])
def test_hosts_and_control_never_import_the_entry_points(package):
    below = ("mock_kakao.kauth", "mock_kakao.kapi", "mock_kakao.control", "mock_kakao.sdk")
    below += ("mock_kakao.web", "mock_kakao.world", "mock_kakao.files")
    assert refusals(f"mock_kakao.{package}", set(), below) == []


def test_the_three_parts_keep_their_arrows():
    # the fake is a package of its own: no service, no page; the service reaches Kakao over HTTP
    assert refusals("mock_kakao", set(), ("mock_kakao",)) == []
    assert refusals("service", set(), ("service",)) == []


@pytest.mark.parametrize("package", ["mock_kakao", "service"])
def test_ls_shows_the_parts(package):
    entries = [p.name for p in (ROOT / package).iterdir() if p.name != "__pycache__"]
    assert len(entries) <= 12, sorted(entries)


def test_admin_in_the_fake_means_kakaos_admin_key_only():
    named = [str(p.relative_to(ROOT)) for p in modules("mock_kakao") if "admin" in p.name]
    assert named == ["mock_kakao/kapi/adminkey.py"]
