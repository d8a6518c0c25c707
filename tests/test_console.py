"""The generated service's browser console (``/ws/console``), driven in a real Chromium.

The browser is Debian's ``chromium`` package, launched by Playwright through
``executable_path`` (Playwright's own browser download is not used). Without it the tests
are skipped locally; with ``FASTGEN_REQUIRE_BROWSER=1`` (set by ``.ci/run``) they fail instead.
Set ``FASTGEN_SCREENSHOT_DIR`` to keep a screenshot of each scenario.
"""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

from fastgen.add_handler import add_handler
from fastgen.generate import new_project
from tests.conftest import unavailable
from tests.services import running_service

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The service's PUBLISH_API_KEYS, for the console's server-side publish form.
PUBLISH_KEY = "console-publish-key"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def browser_missing(reason: str) -> NoReturn:
    unavailable(reason, required_by="FASTGEN_REQUIRE_BROWSER")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated project plus one added handler."""
    root = tmp_path_factory.mktemp("console")
    project = new_project(root / "proj", service="chat-dev").dest
    add_handler("shout", project)
    return project


@pytest.fixture(scope="module")
def registered_types(project: Path) -> list[str]:
    """The message types the project's handler registry holds, asked in a fresh process."""
    code = "from proj.handlers import MsgHandlerFactory as F; print(*sorted(F.handlers))"
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=project, capture_output=True, text=True, check=True
    )
    return completed.stdout.split()


@pytest.fixture(scope="module")
def server(project: Path) -> Iterator[str]:
    """The project served by ``python -m proj``; yields its base URL."""
    keys = json.dumps([PUBLISH_KEY])
    with running_service(project, project.parent / "service.log", PUBLISH_API_KEYS=keys) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator["Browser"]:
    if not Path(CHROMIUM).exists():
        browser_missing(f"no Chromium at {CHROMIUM} (Debian: apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_missing("the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@contextmanager
def console_pages(browser: "Browser") -> Iterator[Callable[[str, str], "Page"]]:
    """Opens console pages of the service at a base URL, each in a browser context of its own
    (a tab of another person), and closes them all at the end."""
    contexts = []

    def open_page(base_url: str, query: str = "") -> "Page":
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{base_url}/ws/console{query}")
        return page

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def open_console(chromium_browser: "Browser", server: str) -> Iterator[Callable[[str], "Page"]]:
    """Opens console pages of the test service (see `console_pages`).

    Call it with the query string, e.g. ``open_console("?user=bob")``.
    """
    with console_pages(chromium_browser) as open_page:
        yield lambda query="": open_page(server, query)


@pytest.fixture
def console(
    chromium_browser: "Browser", server: str, request: pytest.FixtureRequest
) -> Iterator["Page"]:
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(f"{server}/ws/console")
    yield page
    shots = os.environ.get("FASTGEN_SCREENSHOT_DIR")
    if shots:
        page.screenshot(path=str(Path(shots) / f"{request.node.name}.png"))
    context.close()


def test_lists_the_live_message_types_with_examples(
    console: "Page", registered_types: list[str]
) -> None:
    from playwright.sync_api import expect

    assert {"echo", "ping", "shout"} <= set(registered_types)
    expect(console.locator("#type option")).to_have_text(registered_types)
    expect(console.locator("#service")).to_have_value("chat-dev")
    console.select_option("#type", "echo")
    expect(console.locator("#payload")).to_have_value('{\n  "type": "echo",\n  "data": "hello"\n}')
    console.select_option("#type", "shout")
    expect(console.locator("#payload")).to_have_value('{\n  "type": "shout",\n  "text": "hello"\n}')


def test_good_token_ping_gets_pong(console: "Page", registered_types: list[str]) -> None:
    from playwright.sync_api import expect

    expect(console.locator("#type option")).to_have_count(len(registered_types))
    console.fill("#token", "dev-token")
    console.click("#connect")
    expect(console.locator("#state")).to_have_text("connected")
    console.select_option("#type", "ping")
    console.click("#send")
    expect(console.locator("#log li.out").last).to_contain_text('{"type":"ping"}')
    expect(console.locator("#log li.in").last).to_contain_text('{"type":"pong","heartbeat":')
    console.select_option("#type", "echo")
    console.fill("#payload", '{"type": "echo"}')
    console.click("#send")
    invalid = console.locator("#log li.in.error").last
    expect(invalid).to_contain_text("40006 invalid payload")
    expect(console.locator("#state")).to_have_text("connected")
    times = console.locator("#log li .time").all_text_contents()
    assert times
    assert all(len(t) == 12 and t[2] == ":" and t[8] == "." for t in times), times


def test_bad_token_shows_40001_and_the_1008_close(
    console: "Page", registered_types: list[str]
) -> None:
    from playwright.sync_api import expect

    expect(console.locator("#type option")).to_have_count(len(registered_types))
    console.fill("#token", "not-a-token")
    console.click("#connect")
    error = console.locator("#log li.in.error")
    expect(error).to_contain_text("40001 authentication failed")
    expect(error).to_contain_text("Authentication failed: invalid token")
    close = console.locator("#log li.close-bad").last
    expect(close).to_contain_text("code 1008 policy violation")
    expect(close).to_contain_text('reason "40001 authentication failed"')
    expect(console.locator("#state")).to_have_text("disconnected")
    assert "not-a-token" not in console.locator("#log").inner_text()


def test_a_published_event_reaches_the_console_with_its_badge(
    console: "Page", registered_types: list[str]
) -> None:
    from playwright.sync_api import expect

    expect(console.locator("#type option")).to_have_count(len(registered_types))
    console.fill("#token", "dev-token")
    console.click("#connect")
    expect(console.locator("#state")).to_have_text("connected")
    console.select_option("#type", "join")
    console.fill("#payload", '{"type": "join", "room": "console-news"}')
    console.click("#send")
    expect(console.locator("#log li.in").last).to_contain_text('"type":"joined"')
    console.click("#publish-api summary")
    console.fill("#publish-key", PUBLISH_KEY)
    console.fill("#publish-room", "console-news")
    console.fill("#publish-data", '{"kind": "notice"}')
    console.click("#publish-send")
    event = console.locator("#log li.in.event")
    expect(event).to_contain_text('"type":"event"')
    expect(event).to_contain_text('"data":{"kind":"notice"}')
    expect(event.locator(".badge")).to_have_text("event")
    expect(console.locator("#log li.sys").last).to_contain_text("HTTP 202")
    console.fill("#publish-key", "wrong-key")
    console.click("#publish-send")
    expect(console.locator("#log li.sys.error").last).to_contain_text("HTTP 403")


def test_summaries_show_docstring_literals_as_code(
    console: "Page", registered_types: list[str]
) -> None:
    from playwright.sync_api import expect

    expect(console.locator("#type option")).to_have_count(len(registered_types))
    console.select_option("#type", "join")
    summary = console.locator("#summary")
    expect(summary.locator("code")).to_have_text(["since"])
    expect(summary).to_contain_text("Join a room; with since, first get the messages missed")
    expect(summary).not_to_contain_text("`")


# A docstring is the user's text: whatever it holds is shown, never run or rendered.
HOSTILE_SUMMARY = 'Hi <img src=x onerror="window.injected = 1"> ``<b>id</b>`` and `x`.'


def test_a_docstring_cannot_inject_markup(chromium_browser: "Browser", server: str) -> None:
    from playwright.sync_api import Route, expect

    def tamper(route: Route) -> None:
        response = route.fetch()
        document = response.json()
        document["components"]["messages"]["join"]["summary"] = HOSTILE_SUMMARY
        route.fulfill(response=response, json=document)

    context = chromium_browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.route("**/asyncapi.json", tamper)
    page.goto(f"{server}/ws/console")
    expect(page.locator("#type option").first).to_be_attached()
    page.select_option("#type", "join")
    summary = page.locator("#summary")
    expect(summary.locator("code")).to_have_text(["<b>id</b>", "x"])
    expect(summary).to_contain_text('Hi <img src=x onerror="window.injected = 1"> ')
    expect(summary.locator("img, b")).to_have_count(0)
    assert page.evaluate("window.injected") is None
    context.close()
