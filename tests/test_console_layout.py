"""The console's layout and page load at 1280x800, in a real Chromium.

Each panel must hold its content: nothing spills past a panel's edges (a panel may scroll
its own content vertically, never sideways), no panel reaches past the window, and loading
the page makes no failed request and logs no error.
"""

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

# The browser, the generated project and its server come from the console's own tests.
from tests.test_console import chromium_browser, project, server  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

VIEWPORT = {"width": 1280, "height": 800}

# Every rendered element of each panel (`main > section`), with its box clipped by the
# scrolling boxes between it and the panel; what lies outside the panel is reported.
# Vertically the panel may scroll (then nothing can spill below it); sideways it may not.
OVERFLOWS_JS = """
() => {
  const found = [];
  const name = (node) => node.id ? `#${node.id}` : node.tagName.toLowerCase() +
    (node.className ? `.${String(node.className).split(" ")[0]}` : "");
  const clips = (node) => getComputedStyle(node).overflow !== "visible";
  document.querySelectorAll("main > section").forEach((panel, index) => {
    const box = panel.getBoundingClientRect();
    const where = `panel ${index + 1} (${panel.querySelector("h2")?.textContent})`;
    if (panel.scrollWidth > panel.clientWidth + 1) {
      found.push(`${where} scrolls sideways: ${panel.scrollWidth} > ${panel.clientWidth}`);
    }
    if (box.right > innerWidth + 1 || box.bottom > innerHeight + 1) {
      found.push(`${where} reaches past the ${innerWidth}x${innerHeight} window: ` +
        `right ${box.right}, bottom ${box.bottom}`);
    }
    const panelScrolls = getComputedStyle(panel).overflowY !== "visible";
    for (const node of panel.querySelectorAll("*")) {
      if (!node.getClientRects().length || !node.checkVisibility()) continue;
      let { left, right, top, bottom } = node.getBoundingClientRect();
      for (let up = node.parentElement; up && up !== panel; up = up.parentElement) {
        if (!clips(up)) continue;
        const clip = up.getBoundingClientRect();
        left = Math.max(left, clip.left); right = Math.min(right, clip.right);
        top = Math.max(top, clip.top); bottom = Math.min(bottom, clip.bottom);
      }
      if (right <= left || bottom <= top) continue;
      const sideways = left < box.left - 1 || right > box.right + 1;
      const below = !panelScrolls && (bottom > box.bottom + 1 || top < box.top - 1);
      if (sideways || below) {
        found.push(`${where}: ${name(node)} at x ${Math.round(left)}..${Math.round(right)}, ` +
          `y ${Math.round(top)}..${Math.round(bottom)} outside x ${box.left}..${box.right}, ` +
          `y ${box.top}..${box.bottom}`);
      }
    }
  });
  const page = document.documentElement;
  if (page.scrollWidth > innerWidth) found.push(`the page scrolls sideways: ${page.scrollWidth}`);
  if (page.scrollHeight > innerHeight) found.push(`the page scrolls: ${page.scrollHeight}`);
  return found;
}
"""

# The icon a browser asks for: the page's <link rel="icon">, else /favicon.ico.
ICON_JS = """
() => document.querySelector("link[rel~='icon']")?.href ?? new URL("/favicon.ico", location).href
"""


# What the page looked like before: a left panel that let its content out below, plus a
# child wider than the right panel.
SPILL_JS = """
() => {
  const [left, right] = document.querySelectorAll("main > section");
  left.style.overflow = "visible";
  const wide = document.createElement("div");
  wide.style.width = "2000px";
  wide.textContent = "too wide";
  right.append(wide);
}
"""


@pytest.fixture
def page(chromium_browser: "Browser") -> Iterator["Page"]:  # noqa: F811
    context = chromium_browser.new_context(viewport=VIEWPORT)
    yield context.new_page()
    context.close()


def assert_no_overflow(page: "Page") -> None:
    found: Any = page.evaluate(OVERFLOWS_JS)
    assert not found, "\n".join(found)


def load_console(page: "Page", server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page.goto(f"{server}/ws/console")
    expect(page.locator("#type option").first).to_be_attached()
    page.wait_for_load_state("networkidle")


def test_every_panel_holds_its_content(page: "Page", server: str) -> None:  # noqa: F811
    load_console(page, server)
    assert_no_overflow(page)


def test_the_check_sees_content_spill_out_of_a_panel(page: "Page", server: str) -> None:  # noqa: F811
    """The check above is not vacuous: a too-wide child, or a panel that stops scrolling, fail."""
    load_console(page, server)
    page.evaluate(SPILL_JS)
    found: list[str] = page.evaluate(OVERFLOWS_JS)
    assert any("panel 2 (Frames) scrolls sideways" in line for line in found), found
    assert any(line.startswith("panel 1 (Connection): #publish-api ") for line in found), found


def test_panels_hold_open_sections_and_long_frames(page: "Page", server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect

    load_console(page, server)
    page.click("#connect")
    expect(page.locator("#state")).to_have_text("connected")
    page.click("details:not(#publish-api) summary")
    page.click("#publish-api summary")
    page.select_option("#type", "echo")
    page.fill("#payload", '{"type": "echo", "data": "%s"}' % ("x" * 600))
    for _ in range(30):
        page.click("#send")
    expect(page.locator("#log li.in")).to_have_count(30)
    assert_no_overflow(page)


def test_loading_the_page_fails_no_request_and_logs_no_error(
    page: "Page",
    server: str,  # noqa: F811
) -> None:
    from playwright.sync_api import ConsoleMessage, Response

    problems: list[str] = []

    def on_response(response: Response) -> None:
        if response.status >= 400:
            problems.append(f"HTTP {response.status}: {response.url}")

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console: {message.text}")

    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    page.on("response", on_response)
    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    load_console(page, server)
    page.reload()
    page.wait_for_load_state("networkidle")
    assert problems == []


def test_the_page_names_an_icon_the_browser_need_not_fetch(
    page: "Page",
    server: str,  # noqa: F811
) -> None:
    # The browser fetches the icon itself, out of Playwright's sight: ask for it as it would.
    load_console(page, server)
    icon = page.evaluate(ICON_JS)
    if not icon.startswith("data:"):
        response = page.request.get(icon)
        assert response.ok, f"the page's icon {icon}: HTTP {response.status}"
