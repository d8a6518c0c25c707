"""The console's presence panel: who is in a room, kept current by events (real Chromium)."""

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

# The browser, the generated project and its server come from the console's own tests.
from tests.test_console import chromium_browser, project, server  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e


@pytest.fixture
def open_console(
    chromium_browser: "Browser",  # noqa: F811
    server: str,  # noqa: F811
) -> Iterator[Callable[[str], "Page"]]:
    contexts = []

    def open_page(user: str) -> "Page":
        context = chromium_browser.new_context(viewport={"width": 1280, "height": 720})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{server}/ws/console?user={user}")
        return page

    yield open_page
    for context in contexts:
        context.close()


def test_the_presence_panel_shows_who_joins_and_leaves(
    open_console: Callable[[str], "Page"],
) -> None:
    from playwright.sync_api import expect

    alice, bob = open_console("alice"), open_console("bob")
    for page in (alice, bob):
        expect(page.locator("#identity option:checked")).to_have_text(page.url.split("=")[-1])
        page.fill("#presence-room", "presence-panel")
        page.click("#connect")
        expect(page.locator("#state")).to_have_text("connected")
    alice.click("#presence-join")
    expect(alice.locator("#presence li")).to_have_text("presence-panel: alice")
    bob.click("#presence-join")
    expect(alice.locator("#presence li")).to_have_text("presence-panel: alice, bob")
    expect(alice.locator("#presence-events")).to_contain_text("bob joined presence-panel")
    expect(bob.locator("#presence li")).to_have_text("presence-panel: alice, bob")
    bob.click("#disconnect")
    expect(alice.locator("#presence li")).to_have_text("presence-panel: alice")
    expect(alice.locator("#presence-events")).to_contain_text("bob left presence-panel")
    alice.click("#presence-ask")
    expect(alice.locator("#log li.in").last).to_contain_text('"total":1')
