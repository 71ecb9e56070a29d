"""Browser-test fixtures: one stack per session, one Chromium per module.

Debian's Chromium is required, never skipped: the README's test command installs it, so a
missing browser is a broken machine (in CI too). Playwright's own browser download
(`playwright install`) cannot work here, hence `executable_path`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from harness_ui.stack import RunningStack
from harness_ui.testing import HarnessStack
from tests.harness_ui.support import VIEWPORT, admin

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # sessions and CI run as root
    "--disable-gpu",
    # Without these, Chromium's calls home are refused many at a time and slow everything.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """Fake Kakao + service + page on free ports, with a throwaway SQLite database."""
    with HarnessStack(tmp_path_factory.mktemp("harness")) as stack:
        yield stack


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one test module. Not per session: Playwright's sync API keeps an event loop
    running in the main thread while it lives, and async tests collected after it would fail."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (scripts/setup-test-env does)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def blank_page(harness: RunningStack, browser: Browser) -> Iterator[Page]:
    """A tab in a fresh browser context, nowhere yet; the fake reset.

    Page errors (uncaught exceptions) fail the test: they would be bugs in the page.
    """
    admin(harness, "POST", "/reset")
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def page(harness: RunningStack, blank_page: Page) -> Page:
    """The harness page, loaded and ready."""
    blank_page.goto(harness.ui_url)
    blank_page.wait_for_selector("body[data-ready=true]")
    return blank_page
