"""The three users' trips, in a real browser (Debian's chromium through playwright): history stays empty
until someone assesses, the answer comes into view after Assess, the evidence tables fit, and a
screenshot of every page for a person to look at (out/screenshots/)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from riskcheck.history import History
from tests.browser.server import free_port, serve
from tests.browser.test_browser import WAIT_MS, shot, sync_api
from tests.browser.test_training_browser import browser  # noqa: F401 (the fixture)

ROOT = Path(__file__).resolve().parents[2]
sync_api.expect.set_options(timeout=WAIT_MS)  # a first render takes seconds on a shared machine


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[str, str]]:
    port = free_port()
    db = f"sqlite:///{tmp_path_factory.mktemp('db') / 'history.db'}"
    log = tmp_path_factory.mktemp("log") / "server.log"
    riskcheck = Path(sys.executable).with_name("riskcheck")
    cmd = [str(riskcheck), "app", "--port", str(port), "--address", "127.0.0.1", "--db", db]
    with serve(cmd, port, log) as url:
        yield url, db


def new_page(browser, width: int = 1280, height: int = 2400):  # noqa: F811 (the fixture)
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.set_default_timeout(WAIT_MS)
    return page


def count(db: str) -> int:
    h = History(db)  # creates the tables if no session has opened the store yet
    try:
        return h.count()
    finally:
        h.dispose()


def fits(page, at_least: int = 1) -> bool:
    """No table on the page scrolls sideways: every column (e.g. "As of") is in view."""
    widths = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stDataFrame"] .dvn-scroller')]
              .map(e => [e.scrollWidth, e.clientWidth])"""
    )
    assert len(widths) >= at_least, widths
    return all(sw <= cw + 1 for sw, cw in widths)


def test_ten_sessions_leave_the_history_empty_until_someone_assesses(server, browser):  # noqa: F811 (the fixture)
    url, db = server
    pages = []
    for _ in range(10):
        page = new_page(browser, height=1000)
        page.goto(url, wait_until="domcontentloaded")
        pages.append(page)
    for page in pages:  # every session shows the scenario it opened on, assessed
        sync_api.expect(page.locator("div[data-decision]").first).to_have_attribute("data-decision", "deny")
    pages[0].wait_for_timeout(1000)
    assert count(db) == 0
    pages[4].get_by_role("button", name="Assess", exact=True).click()
    deadline = time.monotonic() + 30
    while count(db) == 0 and time.monotonic() < deadline:
        time.sleep(0.3)
    assert count(db) == 1
    for page in pages:
        page.context.close()


def test_after_assess_the_answer_is_in_view(server, browser):  # noqa: F811 (the fixture)
    url, _ = server
    page = new_page(browser, height=900)  # a laptop screen: the Assess button is far below the answer
    page.goto(url, wait_until="domcontentloaded")
    banner = page.locator("div[data-decision]").first
    sync_api.expect(banner).to_have_attribute("data-decision", "deny")
    button = page.get_by_role("button", name="Assess", exact=True)
    button.scroll_into_view_if_needed()
    sync_api.expect(banner).not_to_be_in_viewport()
    button.click()
    sync_api.expect(page.get_by_text("Recorded in the history", exact=False)).to_have_count(
        0
    )  # not on the form tab
    sync_api.expect(banner).to_be_in_viewport(timeout=WAIT_MS)
    page.wait_for_timeout(1500)  # the form's tables finish drawing below: the answer stays in view
    box = banner.bounding_box()
    assert box is not None and -5 <= box["y"] < 100, box  # brought to the top of the view
    shot(page, "20-answer-in-view-after-assess.png")
    page.context.close()


def test_every_page_renders_and_the_evidence_tables_fit(server, browser):  # noqa: F811 (the fixture)
    url, _ = server
    page = new_page(browser)
    page.goto(url, wait_until="domcontentloaded")
    sync_api.expect(page.locator("div[data-decision]").first).to_be_visible()
    grids = page.locator('[data-testid="stDataFrame"]')
    grids.nth(2).locator("canvas").first.wait_for()
    # no evidence table scrolls sideways: every column, "What it is" and "As of" included, is in view
    assert fits(page, at_least=3)
    shot(page, "21-assess.png")
    for name, heading, file in (
        ("Compare rule sets", "Compare rule sets", "22-compare.png"),
        ("History", "History", "23-history.png"),
        ("Rule sets", "Rule sets", "24-rule-sets.png"),
        ("Training", "Training", "25-training.png"),
    ):
        page.get_by_role("link", name=name, exact=True).click()
        sync_api.expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        if name == "Compare rule sets":
            # one decision per bundled rule set (baseline, EU CP, ATT minimum, the national layer)
            bundled = len(list((ROOT / "rules").glob("*.yaml")))
            sync_api.expect(page.locator("div[data-decision]")).to_have_count(bundled)
            page.locator('[data-testid="stDataFrame"] canvas').first.wait_for()
            assert fits(page), "the disagreements table scrolls sideways"
        shot(page, file)
    page.context.close()
