"""Training mode in a real browser: a trainer's session and a trainee's, side by side.

The trainer starts an exercise on the Training page; the trainee opens the join link
(``?role=trainee``), joins by name, reads the briefing, saves a judgement, reloads the page
(the answer is still there), receives an inject released by the trainer (the page updates by
itself), and sees the debrief once the trainer opens it. A trainee's session offers no other
page. Screenshots go to out/screenshots/training-*.png. Every wait is bounded.
"""

from __future__ import annotations

import re

import pytest

from .test_browser import CHROMIUM, FLAGS, WAIT_MS, server, shot  # noqa: F401  (server: the fixture)

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
expect = sync_api.expect

SCENARIO_TITLE = "Iraq 2013: tanks and armoured personnel carriers for the Iraqi army"
C3 = "3 Criterion 3: internal situation"
C7S = "7 Criterion 7(c): stockpile security (weakest link)"
INJECT = "IS takes Fallujah; fighting reaches depots in Anbar"


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def new_page(browser, height: int = 2600):
    context = browser.new_context(viewport={"width": 1400, "height": height})
    pg = context.new_page()
    pg.set_default_timeout(WAIT_MS)
    return pg


def choose(page, label: str, option: str) -> None:
    """Pick an option of a selectbox by its (possibly hidden) label."""
    page.get_by_label(label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_trainer_runs_an_exercise_and_a_trainee_takes_part(server, browser):  # noqa: F811 (the fixture)
    # --- the trainer starts an exercise ------------------------------------------------------------
    trainer = new_page(browser)
    trainer.goto(f"{server}/training", wait_until="domcontentloaded")
    expect(trainer.get_by_text("Start an exercise", exact=True)).to_be_visible(timeout=WAIT_MS)
    trainer.get_by_label("Exercise name", exact=True).fill("Browser class")
    trainer.get_by_label(
        "Scenarios, in the order the class takes them (those with injects first)", exact=True
    ).click()
    trainer.get_by_role("option", name=re.compile(r"^Iraq 2013: tanks")).click()
    trainer.keyboard.press("Escape")
    trainer.get_by_role("button", name="Start the exercise", exact=True).click()
    expect(trainer.get_by_text("Exercise 'Browser class' started", exact=False)).to_be_visible()
    link = trainer.locator('[data-testid="stCode"]').first.inner_text().strip()
    assert link.endswith("/?role=trainee&exercise=Browser+class"), link
    assert link.startswith(server), link  # the address the trainees open, with this server's host
    shot(trainer, "training-10-trainer-exercise-started.png")

    # --- a trainee opens the join link: the Training page only --------------------------------------
    trainee = new_page(browser)
    trainee.goto(link, wait_until="domcontentloaded")
    expect(trainee.get_by_text("Join the exercise", exact=True)).to_be_visible(timeout=WAIT_MS)
    for other in ("Assess", "History", "Rule sets"):
        expect(trainee.get_by_role("link", name=other, exact=True)).to_have_count(0)
    trainee.get_by_label("Your name", exact=True).fill("Ana")
    trainee.get_by_role("button", name="Join", exact=True).click()
    expect(trainee.get_by_text("you are Ana", exact=False)).to_be_visible()
    expect(trainee.get_by_text("Iraq's defence ministry asks to buy", exact=False)).to_be_visible()
    trainee.locator('[data-testid="stDataFrame"] canvas').first.wait_for()
    assert trainee.locator("div[data-decision]").count() == 0  # the tool's answer is hidden
    shot(trainee, "training-11-trainee-briefing-and-evidence.png")

    # --- the trainee records a judgement ----------------------------------------------------------------
    trainee.get_by_role("tab", name="Your judgement", exact=True).click()
    choose(trainee, f"Risk level: {C3}", "Refer: for a decision at a higher level")
    trainee.get_by_label(f"Why: {C3}", exact=True).fill("Violence rising, not yet a war")
    # A look back at the evidence while typing keeps what was typed (nothing is saved yet).
    trainee.get_by_role("tab", name="Briefing and evidence", exact=True).click()
    expect(trainee.get_by_text("The evidence", exact=True)).to_be_visible()
    trainee.get_by_role("tab", name="Your judgement", exact=True).click()
    expect(trainee.get_by_label(f"Why: {C3}", exact=True)).to_have_value("Violence rising, not yet a war")
    choose(trainee, f"Risk level: {C7S}", "Deny: the risk requires refusal")
    trainee.get_by_label(f"Why: {C7S}", exact=True).fill("Nothing is known about the depots")
    # Another trainee joining does not disturb the form either (the page reruns only when the trainer acts).
    ben = new_page(browser, height=900)
    ben.goto(link, wait_until="domcontentloaded")
    ben.get_by_label("Your name", exact=True).fill("Ben")
    ben.get_by_role("button", name="Join", exact=True).click()
    expect(ben.get_by_text("you are Ben", exact=False)).to_be_visible(timeout=WAIT_MS)
    ben.context.close()
    trainee.wait_for_timeout(5000)  # longer than the pages' polling interval
    expect(trainee.get_by_label(f"Why: {C7S}", exact=True)).to_have_value("Nothing is known about the depots")
    choose(trainee, "Your decision", "Deny")
    trainee.get_by_label("Conditions you would attach (one per line)", exact=True).fill("Serial-number lists")
    trainee.get_by_role("button", name="Save my judgement", exact=True).click()
    expect(trainee.get_by_text("Saved at", exact=False)).to_be_visible()
    shot(trainee, "training-12-trainee-judgement-saved.png")

    # --- a reload keeps the trainee in the exercise, with the answer filled in ---------------------------
    trainee.reload(wait_until="domcontentloaded")
    expect(trainee.get_by_text("you are Ana", exact=False)).to_be_visible(timeout=WAIT_MS)
    trainee.get_by_role("tab", name="Your judgement", exact=True).click()
    expect(trainee.get_by_label(f"Why: {C3}", exact=True)).to_have_value("Violence rising, not yet a war")
    trainee.get_by_role("tab", name="Your answers", exact=True).click()
    expect(trainee.get_by_text("decision: Deny", exact=False)).to_be_visible()

    # The Rule sets page is not there for a trainee, even by its address.
    other = new_page(browser, height=900)
    other.goto(f"{server}/rules?role=trainee", wait_until="domcontentloaded")
    expect(other.get_by_text("Page not found", exact=True)).to_be_visible(timeout=WAIT_MS)
    expect(other.get_by_text("Join the exercise", exact=True)).to_be_visible()  # Training runs instead
    expect(other.get_by_role("heading", name="Rule sets")).to_have_count(0)
    shot(other, "training-16-trainee-cannot-open-rule-sets.png")
    other.context.close()

    # --- the trainer sees the answer arrive and releases inject 1 ---------------------------------------------
    expect(trainer.get_by_text("1 of 2", exact=True)).to_be_visible(timeout=WAIT_MS)  # by polling
    trainer.get_by_role("button", name=f"Release inject 1: {INJECT}", exact=True).click()
    expect(trainer.get_by_text("Inject 1 released", exact=False)).to_be_visible()

    # The trainee's page picks the inject up by itself and asks for a reassessment.
    expect(trainee.get_by_text(f"{INJECT}. Read it in the briefing", exact=False)).to_be_visible(
        timeout=WAIT_MS
    )
    trainee.get_by_role("tab", name="Briefing and evidence", exact=True).click()
    expect(trainee.get_by_text("Injects released so far", exact=True)).to_be_visible()
    shot(trainee, "training-13-trainee-inject-released.png")
    trainee.get_by_role("tab", name="Your judgement", exact=True).click()
    expect(trainee.get_by_text("reassess (ATT Art. 7(7))", exact=False)).to_be_visible()
    choose(trainee, f"Risk level: {C3}", "Deny: the risk requires refusal")
    trainee.get_by_label(f"Why: {C3}", exact=True).fill("Fallujah: this is a war")
    trainee.get_by_role("button", name="Save my judgement", exact=True).click()
    expect(trainee.get_by_text("Saved at", exact=False)).to_be_visible()

    # --- the trainer opens the debrief; the trainee sees the tool beside their own answers ----------------------
    expect(trainer.get_by_text("1 of 2", exact=True)).to_be_visible(timeout=WAIT_MS)
    trainer.get_by_role("button", name="Open the debrief", exact=True).click()
    expect(trainer.get_by_text("The debrief is open", exact=False)).to_be_visible()
    trainer.get_by_role("tab", name="Debrief", exact=True).click()
    trainer.locator(
        '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg'
    ).first.wait_for()
    expect(trainer.locator("div[data-decision]").first).to_have_attribute("data-decision", "deny")
    shot(trainer, "training-14-trainer-debrief.png")

    trainee.get_by_role("tab", name="Debrief", exact=True).click(timeout=WAIT_MS)  # appears by polling
    trainee.locator(
        '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg'
    ).first.wait_for()
    expect(trainee.get_by_text("Your answers beside the tool", exact=True)).to_be_visible()
    expect(trainee.locator("div[data-decision]").first).to_have_attribute("data-decision", "deny")
    shot(trainee, "training-15-trainee-debrief.png")
    trainee.context.close()
    trainer.context.close()
