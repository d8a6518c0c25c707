"""The console's presence panel: who is in a room, kept current by events (real Chromium)."""

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

# The browser, the generated project and its server come from the console's own tests.
from tests.test_console import chromium_browser, open_console, project, server  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e


def test_the_presence_panel_shows_who_joins_and_leaves(
    open_console: Callable[[str], "Page"],  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    alice, bob = open_console("?user=alice"), open_console("?user=bob")
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
