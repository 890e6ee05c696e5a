"""Sharing in Chromium: a result shared on every inference tab opens the same after the server
restarts, on SQLite and on PostgreSQL; stale links say why; "My results" makes a report that opens
offline with every image, in English and Chinese, and prints to PDF with no image cut."""

from __future__ import annotations

import importlib
import io
import re
from urllib.parse import urlparse

import pytest
from pypdf import PdfReader

import i18n
import tasks
from harness.server import serve, spawned
from storage import results
from storage.results import Limits, ResultStore
from tests.results_databases import DATABASES, database
from tests.test_browser import CHROMIUM, SCREENSHOTS, fill_with_first_example, open_tab, sync_api

INFERENCE_TABS = [task for task in tasks.registered() if task.section != "Training"]
REPORTED = ("detection", "image_classification", "text_classification")  # three tabs, four images


def on_screen(panel, key: str) -> list[str]:
    """What the tab's text boxes hold (inputs and answers), its share link aside."""
    return panel.locator(f"textarea:not(#{key}-share-link textarea)").evaluate_all("boxes => boxes.map(b => b.value)")


def images(panel):
    return panel.locator("img[src]:visible:not(.gallery img):not(button.gallery-item img)")


def share_every_tab(page) -> dict[str, tuple[str, str, list[str], int]]:
    """Runs each inference tab's first example and shares it (image classification explained too):
    per tab its link, the answer IN_BROWSER found, its text boxes and how many images it shows."""
    shared = {}
    for task in INFERENCE_TABS:
        expected = importlib.import_module(f"tests.test_{task.key}").IN_BROWSER
        panel = open_tab(page, task)
        fill_with_first_example(panel)
        panel.locator("button.primary:visible").first.click()
        sync_api.expect(panel).to_contain_text(re.compile(expected), timeout=120_000)
        if task.key == "image_classification":
            panel.get_by_role("button", name="Explain", exact=True).click()
            panel.locator("#image-classification-explanation img").wait_for(timeout=60_000)
        page.wait_for_timeout(500)  # the last stream step or heat lands
        answer = re.search(expected, panel.inner_text()).group(0)
        shown = (on_screen(panel, task.key), images(panel).count())
        panel.locator(f"#{task.key}-share-button").click()
        link = panel.locator(f"#{task.key}-share-link textarea")
        sync_api.expect(link).to_have_value(re.compile(r"^http://127\.0\.0\.1:\d+/\?result=[\w-]{32}$"), timeout=30_000)
        shared[task.key] = (link.input_value(), answer, *shown)
    return shared


@pytest.mark.parametrize("kind", DATABASES)
def test_a_result_shared_on_every_inference_tab_opens_the_same_after_a_restart(
    kind, tiny_defaults, tmp_path, monkeypatch
):
    data = tmp_path / "data"
    with database(kind, data) as url, sync_api.sync_playwright() as playwright:
        monkeypatch.setenv("SHOWCASE_DATA", str(data))
        if kind == "postgresql":
            monkeypatch.setenv("SHOWCASE_DB", url)
        monkeypatch.setattr(results, "_store", ResultStore(url, data / "files", Limits.from_environment()))
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1300, "height": 1000}, accept_downloads=True)
        page = context.new_page()
        serving = serve(tiny_defaults)  # the first server: this process, stand-in models
        address = next(serving).src
        page.goto(address)
        shared = share_every_tab(page)
        next(serving, None)  # closed
        results.store().close()
        # The restarted server: the app in a process of its own, on the same address (the browser's
        # key in localStorage is the same origin's), with no model loaded: a saved result needs none.
        with spawned(["app.py", "--lazy"], port=urlparse(address).port):
            for key, (link, answer, boxes, count) in shared.items():
                page.goto(link)
                panel = page.locator(f"#task-{key}")
                sync_api.expect(panel).to_contain_text(answer, timeout=30_000)
                sync_api.expect(page.locator("#saved-result")).to_contain_text("A saved result")
                assert on_screen(panel, key) == boxes, key
                sync_api.expect(images(panel)).to_have_count(count)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=SCREENSHOTS / f"shared-{kind}.png", full_page=True)
            link, answer, *_ = shared["detection"]
            elsewhere = browser.new_context(viewport={"width": 390, "height": 900}).new_page()  # another browser
            elsewhere.goto(link)
            sync_api.expect(elsewhere.locator("#task-detection")).to_contain_text(answer, timeout=30_000)
            elsewhere.context.close()
            change_and_run_again(page, shared["tokenizer"][0])
            links_that_open_nothing_say_why(browser, page, address, shared["generation"][0])
            if kind == "sqlite":
                reports_open_offline_and_print_whole(browser, page, tmp_path)
        browser.close()


def change_and_run_again(page, link: str) -> None:
    """A saved result's inputs are locked until the visitor chooses to run it again (a tokenizer
    runs on the restarted server: its files are real, offline)."""
    page.goto(link)
    text = page.locator("#task-tokenizer textarea").first
    sync_api.expect(text).to_be_disabled(timeout=30_000)
    page.get_by_role("button", name="Change it and run it again").click()
    sync_api.expect(text).to_be_enabled()
    sync_api.expect(page.locator("#saved-result")).to_be_hidden()
    text.fill("Hello again")
    page.locator("#task-tokenizer button.primary").click()
    sync_api.expect(page.locator("#task-tokenizer")).to_contain_text("for 11 characters", timeout=60_000)


def links_that_open_nothing_say_why(browser, page, address: str, deleted_link: str) -> None:
    """A deleted result's link and a made-up one, in English and in Chinese."""
    page.goto(address)
    page.locator("#my-results button.label-wrap").click()  # opens it
    rows = page.locator("#my-results-table .virtual-row")
    sync_api.expect(rows).to_have_count(len(INFERENCE_TABS), timeout=30_000)
    generation = next(n for n in range(rows.count()) if "Text generation" in rows.nth(n).inner_text())
    page.locator("#my-results-rows textarea").fill(str(generation + 1))
    page.locator("#my-results-delete").click()
    sync_api.expect(page.locator("#my-results-said")).to_contain_text("Deleted 1 results")
    sync_api.expect(rows).to_have_count(len(INFERENCE_TABS) - 1)
    page.goto(deleted_link)
    sync_api.expect(page.locator("#saved-result")).to_contain_text("deleted by the browser that saved it")
    chinese = browser.new_context(locale="zh-CN").new_page()
    chinese.goto(address + "?result=" + "x" * 32)
    sync_api.expect(chinese.locator("#saved-result")).to_contain_text("没有与这个链接对应的已保存结果")
    chinese.goto(deleted_link)
    sync_api.expect(chinese.locator("#saved-result")).to_contain_text("保存它的浏览器删除了这个结果")
    chinese.context.close()


def reports_open_offline_and_print_whole(browser, page, tmp_path) -> None:
    """A report of three results from three tabs, in English and then in Chinese: offline, every
    image shown; printed to PDF by Chromium, each image on one page, none split across two."""
    for language, locale in (("en", "en-US"), ("zh", "zh-CN")):
        if language == "zh":  # the switch: remembered in the browser, the page drawn again in Chinese
            page.locator("#language-switch").get_by_text("中文").click()
            page.wait_for_load_state()
        opener = page.locator("#my-results button.label-wrap")
        sync_api.expect(opener).to_contain_text(i18n.translate("My results", language))
        opener.click()
        rows = page.locator("#my-results-table .virtual-row")
        sync_api.expect(rows).to_have_count(len(INFERENCE_TABS) - 1, timeout=30_000)
        titles = [i18n.translate(task.title, language) for task in INFERENCE_TABS if task.key in REPORTED]
        picked = [n + 1 for n in range(rows.count()) if any(t in rows.nth(n).inner_text() for t in titles)]
        page.locator("#my-results-rows textarea").fill(", ".join(map(str, picked)))
        page.locator("#my-results-report").click()
        download_link = page.locator("#my-results-file a").first
        download_link.wait_for(timeout=60_000)
        with page.expect_download() as downloaded:
            download_link.click()
        path = tmp_path / f"report-{language}.html"
        downloaded.value.save_as(path)
        offline = browser.new_context(offline=True, locale=locale, viewport={"width": 1000, "height": 1000})
        reader = offline.new_page()
        requested: list[str] = []
        reader.on("request", lambda request, seen=requested: seen.append(request.url))
        reader.goto(path.as_uri())
        reader.wait_for_load_state("load")
        shown = reader.evaluate("[...document.images].map(image => image.complete && image.naturalWidth > 0)")
        assert shown == [True] * 4, shown
        assert [url for url in requested if not url.startswith(("file:", "data:"))] == []
        assert reader.locator("section.result").count() == 3
        heading = i18n.translate("What the model answered", language)
        assert reader.locator("h3", has_text=heading).count() == 3
        reader.screenshot(path=SCREENSHOTS / f"report-{language}.png", full_page=True)
        printed = PdfReader(io.BytesIO(reader.pdf(format="A4", print_background=True)))
        per_page = [len(pdf_page.images) for pdf_page in printed.pages]
        assert sum(per_page) == 4, per_page  # an image cut by a page break is drawn on both pages
        offline.close()
