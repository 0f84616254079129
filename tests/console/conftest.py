"""The console as people use it: a real `desk serve` (uvicorn) on a SQLite file, a token for each
kind of person, and a real browser signing in through the sign-in page."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from policies.policy import SHIPPED
from tests.api.server import CALLERS, ApiServer, start_api
from tests.console.browser import browser  # noqa: F401 (fixture)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    home = tmp_path_factory.mktemp("console")
    policies = home / "policies"  # a folder of the desk's own, as in production: managers publish into it
    policies.mkdir()
    for shipped in SHIPPED.glob("*.yaml"):
        shutil.copyfile(shipped, policies / shipped.name)
    with start_api(f"sqlite:///{home / 'desk.db'}", home, callers=(*CALLERS, "qian-bo"),
                   policy_dir=policies) as server:
        yield server


@pytest.fixture
def signed_in(console: ApiServer, browser: Any) -> Iterator[Callable[[str], Any]]:  # noqa: F811
    """A page signed in as a person (a browser context of their own), English labels."""
    contexts: list[Any] = []
    dialogs: list[str] = []

    def open_as(person: str) -> Any:
        context = browser.new_context(locale="en-US", base_url=console.url, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto("/sign-in")
        page.fill("#token", console.tokens[person])
        page.click("button[type=submit]")
        page.wait_for_url("**/queue")
        return page

    yield open_as
    for context in contexts:
        context.close()
    # Any alert, confirm or prompt means a script ran that nobody wrote.
    assert dialogs == [], f"a page opened a dialog: {dialogs}"


def fill(page: Any, prefix: str, **fields: str) -> None:
    """Fills a form's fields (ids `prefix-name`): chooses in a list, types elsewhere."""
    for name, value in fields.items():
        field = page.locator(f"#{prefix}-{name}")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def act(page: Any, verb: str, **fields: str) -> None:
    """Opens a verb's form on the complaint page, fills it and sends it."""
    page.locator(f"#action-{verb} summary").click()
    fill(page, verb, **fields)
    sent = page.locator(f"#do-{verb}").element_handle()
    sent.click()
    # htmx swaps the body in place: no navigation, so "networkidle" may be reached before the
    # request starts. The answer has arrived once the button that sent it has left the page.
    page.wait_for_function("button => !button.isConnected", arg=sent)
