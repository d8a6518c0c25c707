"""The console's debug users: two tabs, two people, told apart in a room (real Chromium)."""

from typing import TYPE_CHECKING

import pytest

# The browser, the generated project and its server come from the console's own tests.
from tests.test_console import chromium_browser, open_console, project, server  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e


def send(page: "Page", payload: str) -> None:
    page.fill("#payload", payload)
    page.click("#send")


def test_two_tabs_chat_as_alice_and_bob(open_console) -> None:  # noqa: F811
    from playwright.sync_api import expect

    alice, bob = open_console(), open_console("?user=bob")
    expect(alice.locator("#identity option")).to_have_text(["alice", "bob", "(your own token)"])
    expect(alice.locator("#identity option:checked")).to_have_text("alice")
    expect(bob.locator("#identity option:checked")).to_have_text("bob")
    for page in (alice, bob):
        expect(page.locator("#type option").first).to_be_attached()
        page.click("#connect")
        expect(page.locator("#state")).to_have_text("connected")
        send(page, '{"type": "join", "room": "lobby"}')
        expect(page.locator("#log li.in").last).to_contain_text('"joined"')
    send(bob, '{"type": "chat", "room": "lobby", "text": "hi alice"}')
    expect(alice.locator("#log li.in").last).to_contain_text('"from":"bob"')
    expect(alice.locator("#log")).to_contain_text("connecting as alice")
    expect(bob.locator("#log")).to_contain_text("connecting as bob")


def test_typing_a_token_means_your_own(open_console) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page = open_console()
    expect(page.locator("#identity option:checked")).to_have_text("alice")
    page.fill("#token", "my-own-token")
    expect(page.locator("#identity option:checked")).to_have_text("(your own token)")
