"""The main journey in a real browser: `riskcheck app` on a loopback port, driven by playwright.

Uses Debian's /usr/bin/chromium (`make test` installs it); `playwright install` is never run.
Screenshots go to out/screenshots/ (not committed). Every wait is bounded and the server is
always stopped.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.server import free_port, serve

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "out" / "screenshots"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WAIT_MS = 30_000

if not CHROMIUM.exists():
    pytest.skip(
        "Debian's chromium is not installed (/usr/bin/chromium); `make test` installs it",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    port = free_port()
    db = tmp_path_factory.mktemp("db") / "history.db"
    log = tmp_path_factory.mktemp("log") / "server.log"
    riskcheck = Path(sys.executable).with_name("riskcheck")
    cmd = [str(riskcheck), "app", "--port", str(port), "--address", "127.0.0.1", "--db", f"sqlite:///{db}"]
    with serve(cmd, port, log) as url:
        yield url


@pytest.fixture(scope="module")
def page(server):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 2400})
            pg = context.new_page()
            pg.set_default_timeout(WAIT_MS)
            yield pg
        finally:
            browser.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(500)  # let the last delta paint
    page.screenshot(path=str(SHOTS / name))


def decision_banner(page):
    return page.locator("div[data-decision]").first


def test_main_journey(server, page):
    expect = sync_api.expect
    page.goto(server, wait_until="domcontentloaded")
    # The app opens on Assess with a bundled scenario already assessed.
    banner = decision_banner(page)
    expect(banner).to_have_attribute("data-decision", "deny", timeout=WAIT_MS)
    expect(banner).to_contain_text("Deny")
    expect(banner).to_contain_text("refusal criteria 7")
    expect(page.get_by_text("decision support", exact=False).first).to_be_visible()
    expect(page.get_by_role("tab", name="Transfer", exact=True)).to_be_visible()
    # the form's tables are canvas grids loaded on demand: wait for the three of them to draw
    page.locator('[data-testid="stDataFrame"] canvas').nth(2).wait_for()
    expect(page.get_by_text("Commercial end-user declaration", exact=True).first).to_be_visible()
    shot(page, "01-assess-answer-and-form.png")
    # the officer assesses the case the app opened on: that records it (opening it recorded nothing)
    page.get_by_role("button", name="Assess", exact=True).click()
    expect(page.get_by_text("Not recorded: this is the scenario", exact=False)).to_have_count(0)

    # Drill down: the criteria, factor tables and the Altair charts.
    page.get_by_role("tab", name="Why", exact=True).click()
    page.locator(
        '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg'
    ).first.wait_for()
    expect(page.get_by_text("Rebuttal checklist", exact=False).first).to_be_visible()
    shot(page, "02-why-drill-down.png")

    # What if: tick controls; the answer for them appears at once (a fragment rerun).
    page.get_by_role("tab", name="What would change it", exact=True).click()
    expect(page.get_by_text("If you ", exact=False).first).to_be_visible()
    for label in (
        "Government-certified end-user certificate (authenticated signatory)",
        "No re-export without the exporter's prior written consent",
        "Serial-number lists shared before delivery",
    ):
        page.get_by_text(label, exact=True).click()
        page.wait_for_timeout(300)
    expect(page.get_by_text("With these controls:", exact=False).first).to_be_visible()
    expect(page.get_by_text("Presumption not rebutted with these controls", exact=False)).to_be_visible()
    shot(page, "03-what-if-controls.png")

    # Missing evidence and robustness.
    page.get_by_role("tab", name="Robustness", exact=True).click()
    expect(page.get_by_text("The decision holds in", exact=True)).to_be_visible()
    page.get_by_role("tab", name="Memo", exact=True).click()
    expect(page.get_by_role("button", name="Download memo (printable HTML)", exact=True)).to_be_visible()

    # Another bundled scenario from the sidebar.
    page.get_by_role("tab", name="Transfer", exact=True).click()
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    # the picker finds a scenario by the recipient's name too (the "Karvonia" finding nothing)
    page.get_by_role("combobox", name="Scenario").fill("Nordvale")
    page.get_by_role("option", name="Armoured vehicles to a stable ally", exact=False).click()
    page.get_by_role("button", name="Load into the form", exact=True).click()
    expect(decision_banner(page)).to_have_attribute("data-decision", "approve", timeout=WAIT_MS)
    shot(page, "04-approve-scenario.png")

    # History lists both assessments and compares them.
    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    expect(page.get_by_text("Side by side", exact=True)).to_be_visible()
    expect(page.get_by_text("hash chain intact", exact=False)).to_be_visible()
    shot(page, "05-history-compare.png")


def test_upload_a_scenario_file(server, page, tmp_path):
    """A refused file is explained under the uploader and the case on the form stays; a good file
    loads and is assessed (nordvale-g2g-approve's expected block: approve under baseline); a file
    over the 1 MiB limit is refused by the uploader itself."""
    expect = sync_api.expect
    bundled = (ROOT / "scenarios" / "nordvale-g2g-approve.yaml").read_text()
    bad = tmp_path / "twice.yaml"
    bad.write_text(bundled.replace("title:", "title: First\ntitle:", 1))
    good = tmp_path / "my-case.yaml"
    good.write_text(bundled)
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * (1_048_576 + 10) + "\n")
    page.goto(server, wait_until="domcontentloaded")
    before = decision_banner(page).get_attribute("data-decision", timeout=WAIT_MS)
    page.get_by_text("A scenario file (YAML)", exact=True).click()
    uploader = page.locator('[data-testid="stSidebar"] input[type="file"]')
    uploader.set_input_files(str(bad))
    expect(page.get_by_text("twice.yaml", exact=False).first).to_be_visible()
    page.wait_for_timeout(1000)  # the upload and its rerun (no message to wait for on a first file)
    page.get_by_role("button", name="Load into the form", exact=True).click()
    expect(page.get_by_text("Not loaded: the case on the form is unchanged.", exact=False)).to_be_visible()
    expect(page.get_by_text("RC102", exact=False).first).to_be_visible()  # the duplicate key, located
    expect(decision_banner(page)).to_have_attribute("data-decision", before or "", timeout=WAIT_MS)
    shot(page, "12-upload-refused.png")

    uploader.set_input_files(str(good))
    # the upload's own rerun has reached the server when the last file's messages are gone
    expect(page.get_by_text("Not loaded: the case on the form is unchanged.", exact=False)).to_have_count(0)
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Load into the form", exact=True).click()
    expect(decision_banner(page)).to_have_attribute("data-decision", "approve", timeout=WAIT_MS)
    expect(page.get_by_text("uploaded file my-case.yaml", exact=False).first).to_be_visible()
    shot(page, "13-upload-loaded.png")

    uploader.set_input_files(str(big))
    expect(page.get_by_text("big.yaml", exact=False).first).to_be_visible()
    expect(page.get_by_text("1.0MB", exact=False).first).to_be_visible()  # the uploader's own refusal
    shot(page, "14-upload-too-big.png")
