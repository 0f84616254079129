"""A real browser for the console's tests: Debian's chromium (never a downloaded one), headless,
driven by Playwright through `executable_path`. Without it the tests skip with one line saying
why, except in CI, where a browser test that cannot run is a failure (`make test` installs it)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
TAKEN: list[Path] = []  # every screenshot of the session, listed at its end (tests/conftest.py)


def chromium_path() -> str:
    found = os.environ.get("DESK_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        reason = "no chromium on PATH: `apt-get install -y chromium` (make test does it as root)"
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)
    return found


@dataclass
class Shots:
    """Screenshots of a journey's steps, kept under test-artifacts/ and named in the output."""

    journey: str
    taken: list[Path] = field(default_factory=list)

    def take(self, page: object, step: str) -> Path:
        folder = ARTIFACTS / self.journey
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{len(self.taken) + 1:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        self.taken.append(path)
        TAKEN.append(path)
        return path


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=chromium_path(), headless=True,
                                          args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield launched
        launched.close()
