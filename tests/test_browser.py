"""Every tab in a real browser: Debian's Chromium driven by Playwright, a screenshot per tab.

Missing weights are replaced by random-weight stand-ins, as in test_app. Screenshots go to
test-artifacts/ (ignored by git).
"""

import os
import re
import shutil

import pytest

import tasks
from tasks import common, compare, generation, text_classification, zero_shot
from tests.conftest import ROOT
from tests.server import serve
from tests.test_finetune_image import coloured, make_zip

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"

if not os.path.exists(CHROMIUM) and not os.environ.get("CI"):
    pytest.skip("Debian's chromium is not installed (apt-get install chromium); CI installs it", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")

# Per tab: what appears in the tab once its first example has run.
EXPECTED = {
    "Object detection": r"Found \d+ person, \d+ bus",
    "Image classification": r"ResNet-50 \(IMAGENET1K_V2\)",
    "Zero-shot (CLIP)": r"label prompts \d+ ms",
    "CLIP vs ResNet": r"ResNet says \w+",
    "Text generation": r"\d+ tokens · [\d.]+ tokens/s · [\d.]+ s · done",
    "Text classification": r"(POSITIVE|NEGATIVE)",
    "Semantic search": r"1 query\(ies\) × 7 sentence\(s\)",
    "Tokenizer explorer": r"\d+ tokens for \d+ characters",
    "Attention explorer": r"\d+ tokens, 6 layers × 12 heads",
    "Fine-tune text": r"Validation accuracy",
    "Few-shot images": r"cross-validated accuracy",
}


@pytest.fixture(scope="module")
def url(cheetah_resnet, tiny_clip, tiny_gpt2, tiny_sentiment):
    stand_ins = {
        compare.RESNET_ID: cheetah_resnet,
        zero_shot.CHOICES[0]: tiny_clip,
        common.hub_key(generation.AutoModelForCausalLM, generation.CHOICES[0]): tiny_gpt2,
        common.hub_key(text_classification.AutoModelForSequenceClassification, text_classification.CHOICES[0]): tiny_sentiment,
    }
    for client in serve(stand_ins):
        yield client.src


@pytest.fixture(scope="module")
def page(url):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            # No sandbox as root in CI; no background traffic: this machine reaches no other host.
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.goto(url)
        page.get_by_role("tab", name="Object detection").wait_for()
        yield page
        browser.close()


def open_tab(page, title: str) -> None:
    tab = page.get_by_role("tab", name=title, exact=True)
    if not tab.count():  # tabs beyond the page's width sit in Gradio's overflow menu
        page.get_by_label("More tabs").first.click()
        tab = page.locator(".overflow-dropdown button", has_text=title)
    tab.click()


def prepare(page, panel, title: str, tmp_path) -> None:
    """Fills the tab's inputs: its first example, or what a user would upload."""
    if title == "Fine-tune text":
        panel.get_by_role("button", name=re.compile("built-in example")).click()
        sync_api.expect(panel.get_by_label("Text column")).to_have_value("text")  # filled from the file
    elif title == "Few-shot images":
        members = {f"{name}/{i}.png": coloured(rgb, i) for name, rgb in (("red", (200, 30, 30)), ("blue", (30, 30, 200))) for i in range(3)}
        panel.locator("input[type=file]").first.set_input_files(make_zip(tmp_path / "few.zip", members))
        panel.get_by_text("few.zip").wait_for()
    else:
        panel.locator("tr.tr-body td, button.gallery-item").first.click()
        # Run only once the example has landed in the inputs (on a busy machine that takes a moment).
        if panel.get_by_label("Drop an image file here to upload").count():
            panel.get_by_label("Remove Image").first.wait_for()
        else:
            sync_api.expect(panel.locator("textarea").first).not_to_have_value("")


@pytest.mark.parametrize("title", [task.TITLE for task in tasks.TASKS])
def test_every_tab_runs_its_first_example(page, title, tmp_path):
    assert set(EXPECTED) == {task.TITLE for task in tasks.TASKS}
    open_tab(page, title)
    panel = page.locator('div[role="tabpanel"]:visible').first
    prepare(page, panel, title, tmp_path)
    panel.locator("button.primary:visible").first.click()
    sync_api.expect(panel).to_contain_text(re.compile(EXPECTED[title]), timeout=120_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{re.sub(r'[^a-z0-9]+', '-', title.lower()).strip('-')}.png", full_page=True)
    assert not page.get_by_text("Error", exact=True).is_visible()
