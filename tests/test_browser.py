"""Every tab in a real browser: Debian's Chromium driven by Playwright, a screenshot per tab.

Missing weights are replaced by random-weight stand-ins, as in test_app. Screenshots go to
test-artifacts/ (ignored by git).
"""

import importlib
import os
import re
import shutil
import time

import pytest

import i18n
import tasks
from harness.offline import ROOT
from harness.server import serve

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"

if not os.path.exists(CHROMIUM) and not os.environ.get("CI"):
    pytest.skip(
        "Debian's chromium is not installed (apt-get install chromium); CI installs it", allow_module_level=True
    )

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def url(tiny_defaults):
    for client in serve(tiny_defaults):
        yield client.src


@pytest.fixture(scope="module")
def page(url, tmp_path_factory):
    import examples
    from tests.images import camera_file

    camera = camera_file(tmp_path_factory.mktemp("camera") / "bus.y4m", examples.bus())
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            # No sandbox as root in CI; no background traffic: this machine reaches no other host.
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                # A camera that films the bus photo, allowed without asking.
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={camera}",
            ],
        )
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.goto(url)
        page.get_by_role("tab", name="Vision", exact=True).wait_for()
        yield page
        browser.close()


def open_tab(page, task):
    """Opens the task's section, then its tab; returns the tab's panel."""
    page.get_by_role("tab", name=task.section, exact=True).click()
    tab = page.get_by_role("tab", name=task.title, exact=True)
    if not tab.count():  # tabs beyond the page's width sit in Gradio's overflow menu
        page.get_by_label("More tabs").first.click()
        tab = page.locator(".overflow-dropdown button", has_text=task.title)
    tab.click()
    return page.locator(f"#task-{task.key}")


def fill_with_first_example(panel) -> None:
    panel.locator("tr.tr-body td, button.gallery-item").first.click()
    # Run only once the example has landed in the inputs (on a busy machine that takes a moment).
    if panel.get_by_label("Drop an image file here to upload").count():
        panel.get_by_label("Remove Image").first.wait_for()
    else:
        sync_api.expect(panel.locator("textarea").first).not_to_have_value("")


@pytest.mark.parametrize("task", tasks.registered(), ids=lambda task: task.key)
def test_every_tab_runs_its_first_example(page, task, tmp_path):
    """Each task's test module says what its tab shows once run (IN_BROWSER), and how to fill its
    inputs when its first example is not enough (fill_in_browser)."""
    expectations = importlib.import_module(f"tests.test_{task.key}")
    panel = open_tab(page, task)
    getattr(expectations, "fill_in_browser", lambda panel, tmp_path, expect: fill_with_first_example(panel))(
        panel, tmp_path, sync_api.expect
    )
    panel.locator("button.primary:visible").first.click()
    sync_api.expect(panel).to_contain_text(re.compile(expectations.IN_BROWSER), timeout=120_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{task.key}.png", full_page=True)
    assert not page.get_by_text("Error", exact=True).is_visible()


def test_class_names_from_an_upload_show_as_text_not_markup(page, tmp_path):
    """A folder named like an HTML tag must show as that text, and nothing in it may run."""
    from tests.images import coloured, make_zip
    from tests.test_finetune_image import upload

    evil = "<img src=x onerror=window.pwned=1>"
    members = {
        f"{name}/{i}.png": coloured(rgb, i)
        for name, rgb in ((evil, (200, 30, 30)), ("blue", (30, 30, 200)))
        for i in range(3)
    }
    panel = open_tab(page, next(task for task in tasks.registered() if task.key == "finetune_image"))
    upload(panel, make_zip(tmp_path / "evil.zip", members))
    panel.locator("button.primary:visible").first.click()
    sync_api.expect(panel).to_contain_text(f"{evil} (3)", timeout=120_000)
    assert page.evaluate("window.pwned") is None


def test_a_link_opens_its_tab(url, page):
    """`?tab=<task key>` opens that tab in its section: a presenter can send a link to one demo."""
    page.goto(url + "?tab=compare")
    panel = page.locator("#task-compare")
    panel.wait_for(state="visible", timeout=30_000)
    assert page.get_by_role("tab", name="Vision", exact=True).get_attribute("aria-selected") == "true"
    page.goto(url + "?tab=similarity")
    page.locator("#task-similarity").wait_for(state="visible", timeout=30_000)
    assert not page.locator("#task-compare").is_visible()
    page.goto(url)  # the other tests start from the plain page
    page.get_by_role("tab", name="Vision", exact=True).wait_for()


def test_the_webcam_streams_annotated_frames(page):
    """Chromium's fake camera films the bus photo; annotated frames keep arriving, the bus found in them."""
    from tasks import detection

    panel = open_tab(page, detection.TASK)
    panel.get_by_role("tab", name="Webcam (live)").click()
    panel.get_by_text("Click to Access Webcam").click()
    panel.get_by_role("button", name="capture photo").click()
    # "p95 of the last N": N frames answered within the last seconds; five or more is a stream, not a still.
    sync_api.expect(panel).to_contain_text(
        re.compile(
            r"Live: [\d.]+ frames/s, \d+ ms per frame on the server \(p95 of the last ([5-9]|\d{2,})\) · .*1 bus"
        ),
        timeout=120_000,
    )
    live = panel.locator("#detection-live img")
    frames = {live.get_attribute("src")}
    for _ in range(20):
        page.wait_for_timeout(100)
        frames.add(live.get_attribute("src"))
    assert len(frames) >= 3  # new annotated frames keep replacing the last
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "detection-live.png", full_page=True)
    panel.get_by_role("button", name="capture photo").click()  # the record button, now reading "Stop"
    panel.get_by_role("tab", name="Photo").click()


def test_self_supervised_neighbours_then_auto_few_shot(page, tmp_path):
    """Pretrain on the CIFAR-10 sample, pick an image for its neighbours; then Few-shot images in
    Auto mode ranks every backbone and setting and keeps the best."""
    from tasks import finetune_image, self_supervised
    from tests.images import coloured, make_zip
    from tests.test_finetune_image import upload

    panel = open_tab(page, self_supervised.TASK)
    epochs = panel.get_by_label("number input for Epochs")
    epochs.fill("2")
    epochs.press("Enter")
    panel.get_by_role("button", name="Pretrain").click()
    # "2 epochs": not the summary of an earlier run left in the page (the first-example test's 3).
    sync_api.expect(panel).to_contain_text(
        re.compile(r"for 2 epochs in \d+ s.*Linear probe, 5-fold cross-validated", re.S), timeout=120_000
    )
    panel.locator("#ssl-pickable .thumbnail-item").first.click()
    sync_api.expect(panel).to_contain_text(re.compile(r"Same class \(airplane\): \d of 8 with the pretrained encoder"))

    panel = open_tab(page, finetune_image.TASK)
    members = {
        f"{name}/{i}.png": coloured(rgb, i)
        for name, rgb in (("red", (200, 30, 30)), ("blue", (30, 30, 200)))
        for i in range(3)
    }
    upload(panel, make_zip(tmp_path / "auto.zip", members))
    panel.get_by_label(finetune_image.AUTO).check()
    panel.get_by_text("Time budget for Auto").wait_for()
    panel.locator("button.primary:visible").first.click()
    sync_api.expect(panel).to_contain_text(re.compile(r"weight decay [\d.e-]+, the best of 8 tried"), timeout=120_000)
    sync_api.expect(panel.get_by_text("CV accuracy")).to_be_visible()


@pytest.fixture(scope="module")
def browser(page):
    """The page's browser, for pages of another language or size (one Playwright per process)."""
    return page.context.browser


def section_and_tab_names(page) -> list[str]:
    """Every section's title, and the titles of each section's tabs, clicking through the sections."""
    names = []
    for section in page.locator("[id^=section-][id$=-button]").all():
        section.click()
        names.append(section.inner_text().strip())
        panel = page.locator(f"#{section.get_attribute('id').removesuffix('-button')}")
        names += [tab.inner_text().strip() for tab in panel.get_by_role("tab").all() if tab.inner_text().strip()]
    return names


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_browsers_language_picks_the_interface(url, browser, locale):
    """A Chinese browser sees every section and tab title in Chinese, an English one in English; the
    switch then changes the language, and the choice survives a reload."""
    context = browser.new_context(locale=locale, viewport={"width": 1300, "height": 900})
    page = context.new_page()
    page.goto(url)
    language = "zh" if locale == "zh-CN" else "en"
    page.get_by_role("tab", name=i18n.translate("Vision", language), exact=True).wait_for()
    english = [task.section for task in tasks.registered()] + [task.title for task in tasks.registered()]
    assert {i18n.translate(name, language) for name in english} <= set(section_and_tab_names(page))
    other = "English" if locale == "zh-CN" else "中文"
    page.get_by_label(other).check()
    section = i18n.translate("Training", "en" if other == "English" else "zh")
    page.get_by_role("tab", name=section, exact=True).wait_for()
    page.reload()
    page.get_by_role("tab", name=section, exact=True).wait_for()
    assert page.get_by_label(other).is_checked()
    context.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_every_section_title_shows_on_a_phone(url, browser, locale):
    """At 390 px every section's title is on screen (the tabs within may scroll into a menu)."""
    context = browser.new_context(locale=locale, viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(url)
    for section in dict.fromkeys(task.section for task in tasks.registered()):
        title = i18n.translate(section, "zh" if locale == "zh-CN" else "en")
        tab = page.get_by_role("tab", name=title, exact=True)
        sync_api.expect(tab).to_be_visible()
        box = tab.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"phone-{locale}.png", full_page=True)
    context.close()


def test_a_chinese_visitor_starts_with_chinese_inputs_models_and_example_titles(url, browser):
    from tasks import generation

    context = browser.new_context(locale="zh-CN", viewport={"width": 1300, "height": 900})
    page = context.new_page()
    page.goto(url + "?tab=generation")
    panel = page.locator("#task-generation")
    panel.wait_for(state="visible", timeout=30_000)
    sync_api.expect(panel.get_by_label(i18n.translate("Prompt", "zh"), exact=True)).to_have_value(
        generation.EXAMPLES[-1]
    )
    sync_api.expect(panel.get_by_label(i18n.translate("Model", "zh"), exact=True)).to_have_value(
        "GPT-2 Chinese (CLUECorpusSmall)"
    )
    headers = panel.locator("thead th, .table-wrap th").all_inner_texts()
    assert i18n.translate("Prompt", "zh") in [header.strip() for header in headers], headers
    page.goto(url + "?tab=detection")
    objects = page.locator("#task-detection")
    objects.wait_for(state="visible", timeout=30_000)
    sync_api.expect(objects.get_by_text(i18n.translate("confidence", "zh"), exact=True).first).to_be_visible()
    # A title with a value filled in: the example table's first column, the video's label.
    objects.get_by_role("tab", name=i18n.translate("Video file", "zh")).click()
    video = i18n.Text("Video (up to {minutes} minutes)", {"minutes": 2}).render("zh")
    sync_api.expect(objects.locator("thead th", has_text=video).first).to_be_visible()
    context.close()


def test_a_chinese_visitor_sees_every_radio_with_its_choice_marked(url, browser):
    """The training tabs' mode radios showed no choice marked on a Chinese page (toolkit.ui.radio)."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1300, "height": 900})
    page = context.new_page()
    for key in ("finetune_image", "finetune_text", "self_supervised"):
        page.goto(url + f"?tab={key}")
        panel = page.locator(f"#task-{key}")
        panel.wait_for(state="visible", timeout=30_000)
        sync_api.expect(panel.locator("input[type=radio]:checked")).to_have_count(1)
    context.close()


def test_after_the_switch_the_server_answers_in_chinese(url, browser):
    """An English browser switched to 中文 gets the server's lines in Chinese too (the page tells the
    server by a cookie): where it runs, a result's summary, and an error."""
    zh = {text: i18n.translate(text, "zh") for text in ("Examples", "Tokenize", "Text")}
    context = browser.new_context(locale="en-US", viewport={"width": 1300, "height": 900})
    page = context.new_page()
    page.goto(url + "?tab=tokenizer")
    page.get_by_label("中文").check()
    panel = page.locator("#task-tokenizer")
    panel.wait_for(state="visible", timeout=30_000)
    sync_api.expect(page.locator(".showcase-where").last).to_contain_text("运行于 CPU")
    sync_api.expect(panel.get_by_text(zh["Examples"], exact=True)).to_be_visible()  # Gradio's own title, translated
    panel.get_by_role("button", name=zh["Tokenize"], exact=True).click()
    sync_api.expect(panel).to_contain_text("个字符切成", timeout=30_000)
    panel.get_by_label(zh["Text"], exact=True).fill("")
    panel.get_by_role("button", name=zh["Tokenize"], exact=True).click()
    sync_api.expect(page.get_by_text("请先输入一些文本（或点击一个示例）。").first).to_be_visible(timeout=30_000)
    context.close()


def test_copy_link_gives_the_tab_on_screen(page, url):
    page.goto(url + "?tab=similarity")
    page.locator("#task-similarity").wait_for(state="visible", timeout=30_000)
    page.get_by_role("button", name="Copy a link to this tab").click()
    sync_api.expect(page.locator("#tab-link textarea")).to_have_value(url + "?tab=similarity")
    page.goto(url)
    page.get_by_role("tab", name="Vision", exact=True).wait_for()


@pytest.fixture(scope="module")
def pseudo_url(pseudo_language, tiny_defaults):
    for client in serve(tiny_defaults):
        yield client.src


def test_a_third_language_shows_in_every_title_and_in_what_the_server_writes(pseudo_url, browser):
    """A catalog added as one file (tests/conftest.py: every text in ⟦ ⟧) reaches a browser of that
    language: every section and tab title, a tab's labels, and the server's lines."""
    from tests.conftest import pseudo

    context = browser.new_context(locale="ja-JP", viewport={"width": 1300, "height": 900})
    page = context.new_page()
    page.goto(pseudo_url + "?tab=tokenizer")
    panel = page.locator("#task-tokenizer")
    panel.wait_for(state="visible", timeout=30_000)
    names = section_and_tab_names(page)
    sections = {pseudo(task.section) for task in tasks.registered()}
    assert sections <= set(names) and len(names) > 10 and all(name.startswith("⟦") for name in names), names
    page.goto(pseudo_url + "?tab=tokenizer")
    panel.wait_for(state="visible", timeout=30_000)
    sync_api.expect(panel.get_by_text(pseudo("Examples"), exact=True)).to_be_visible()
    panel.get_by_role("button", name=pseudo("Tokenize"), exact=True).click()
    sync_api.expect(panel).to_contain_text("⟦**openai-community/gpt2**".replace("**", ""), timeout=30_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "pseudo-language.png", full_page=True)
    context.close()


def downloaded(page, link) -> str:
    """The text of the file a click on the link downloads (a CSV with a BOM)."""
    with page.expect_download() as download:
        link.click()
    return open(download.value.path(), encoding="utf-8-sig").read()


def click_on_frame(canvas, points, frame_size=(640, 480)) -> None:
    """Clicks at points given in the frame's pixels on the drawing frame as the page shows it."""
    image = canvas.locator("img").first
    box = image.bounding_box()
    for x, y in points:
        image.click(position={"x": x * box["width"] / frame_size[0], "y": y * box["height"] / frame_size[1]})


def test_a_line_and_a_zone_drawn_on_the_example_clip_count_it(page):
    """The counting example's clip, its shapes cleared and drawn again by clicking (a line across
    the middle, a zone in the lower left corner): one person crosses each way, one stands in the
    zone; the chart, the heatmap and a CSV to download come with the counts."""
    from tasks import detection

    panel = open_tab(page, detection.TASK)
    panel.get_by_role("tab", name="Video file").click()
    panel.locator("tr.tr-body", has_text="Door").click()
    canvas = panel.locator("#detection-canvas")
    sync_api.expect(canvas.locator("img")).to_be_visible(timeout=30_000)  # the clip's first frame, to draw on
    panel.get_by_role("button", name="Clear all").click()
    shapes_json = panel.get_by_label("Lines and zones (JSON: edit it, or paste it into the API)")
    sync_api.expect(shapes_json).to_have_value("")
    click_on_frame(canvas, [(320, 20), (320, 460)])
    sync_api.expect(shapes_json).to_have_value(re.compile(r'"name": "Line 1", "kind": "line"'))
    panel.get_by_label("zone", exact=True).check()
    click_on_frame(canvas, [(10, 250), (225, 250), (225, 470), (10, 470)])
    sync_api.expect(panel).to_contain_text("4 points: click more, then Close the zone")
    panel.get_by_role("button", name="Close the zone").click()
    sync_api.expect(shapes_json).to_have_value(re.compile(r'"name": "Zone 1", "kind": "zone"'))
    panel.get_by_role("button", name="Detect in video").click()
    counts = panel.locator("#detection-clip-counts")
    # shape, kind, class, in, out; then shape, kind, class, inside now, entered, dwell median and longest.
    # The table grows as the clip is annotated: the finished clip's counts are there once it is done.
    sync_api.expect(panel.locator("#detection-clip-csv a[download]").first).to_be_visible(timeout=120_000)
    sync_api.expect(counts).to_contain_text(re.compile(r"Line 1\s*line\s*person\s*1\s*1"))
    sync_api.expect(panel).to_contain_text("seen: person · 2 followed")  # the two walkers, an id each
    sync_api.expect(counts).to_contain_text(re.compile(r"Zone 1\s*zone\s*person\s*1\s*1\s*2\.8\s*2\.8"))
    sync_api.expect(panel.locator("#detection-clip-chart")).to_contain_text("Zone 1 · inside now")
    sync_api.expect(panel.locator("#detection-heatmap img")).to_be_visible()
    written = downloaded(page, panel.locator("#detection-clip-csv a[download]").first)
    assert written.startswith("shape,kind,class,in,out") and "Line 1,line,person,1,1" in written
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "detection-counting.png", full_page=True)
    panel.get_by_role("tab", name="Photo").click()


def test_a_chinese_phone_counts_a_zone_drawn_on_the_webcams_frame(url, browser):
    """At 390 px, in Chinese: tracking on, the webcam streams, a zone drawn on its frozen frame counts
    the bus in it live; the counts download as a CSV in Chinese."""
    zh = {
        text: i18n.translate(text, "zh") for text in ("Webcam (live)", "Tracking, lines and zones (webcam and video)")
    }
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, permissions=["camera"]
    )
    page = context.new_page()
    page.goto(url + "?tab=detection")
    panel = page.locator("#task-detection")
    panel.wait_for(state="visible", timeout=30_000)
    panel.get_by_text(zh["Tracking, lines and zones (webcam and video)"]).click()  # the panel opens
    panel.get_by_label(i18n.translate("Follow objects (ids and trails)", "zh")).check()
    panel.get_by_role("tab", name=zh["Webcam (live)"]).click()
    panel.get_by_text("Click to Access Webcam").click()
    panel.get_by_role("button", name="capture photo").click()
    counts = panel.locator("#detection-live-counts")
    sync_api.expect(panel).to_contain_text(re.compile(r"实时：.*1 公交车"), timeout=120_000)
    panel.get_by_role("button", name=i18n.translate("Take the webcam's last frame", "zh")).click()
    canvas = panel.locator("#detection-canvas")
    sync_api.expect(canvas.locator("img")).to_be_visible(timeout=30_000)
    panel.get_by_label(i18n.translate("zone", "zh"), exact=True).check()
    panel.get_by_label(i18n.translate("Name of the next line or zone (optional)", "zh")).fill("车站")
    click_on_frame(canvas, [(5, 5), (635, 5), (635, 475), (5, 475)])  # the whole frame
    panel.get_by_role("button", name=i18n.translate("Close the zone", "zh")).click()
    sync_api.expect(counts).to_contain_text(re.compile(r"车站\s*区域\s*公交车"), timeout=60_000)
    sync_api.expect(panel.locator("#detection-live-chart")).to_contain_text("车站 · 当前在内", timeout=30_000)
    panel.get_by_role("button", name="capture photo").click()  # the record button, now reading "Stop"
    panel.get_by_role("button", name=i18n.translate("Download the counts (CSV)", "zh")).click()
    written = downloaded(page, panel.locator("#detection-live-csv a[download]").first)
    assert written.startswith("图形,类型,类别") and "车站,区域,公交车" in written
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "detection-counting-zh-phone.png", full_page=True)
    context.close()


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_generated_text_is_explained_token_by_token(url, browser, locale):
    """Explain under a generation colours each new token by its probability; a click on one shows
    the five it could have been, the one picked marked, in the visitor's language."""
    language = "zh" if locale == "zh-CN" else "en"
    context = browser.new_context(locale=locale, viewport={"width": 1300, "height": 900})
    page = context.new_page()
    page.goto(url + "?tab=generation")
    panel = page.locator("#task-generation")
    panel.wait_for(state="visible", timeout=30_000)
    explain = panel.get_by_role("button", name=i18n.translate("Explain", language), exact=True)
    explain.click()  # nothing generated yet: said so
    nothing = i18n.translate(
        "There is no answer to explain yet: generate a text with greedy decoding or sampling first (beam search keeps "
        "several texts at once, so no single token has one probability).",
        language,
    )
    sync_api.expect(page.get_by_text(nothing[:20]).first).to_be_visible(timeout=30_000)
    panel.get_by_role("button", name=i18n.translate("Generate", language), exact=True).click()
    sync_api.expect(panel).to_contain_text(" · " + i18n.translate("done", language), timeout=60_000)
    explain.click()
    tokens = panel.locator("#generation-tokens span.token")
    sync_api.expect(tokens.first).to_be_visible(timeout=30_000)
    assert tokens.count() == 60  # the tab's default: 60 new tokens
    tokens.nth(3).click()
    clicked = i18n.Text("Token {position}: “{token}”, {probability}.", {"position": 4, "token": "", "probability": ""})
    sync_api.expect(panel).to_contain_text(clicked.render(language).split("“")[0])
    alternatives = panel.locator("#generation-alternatives")
    sync_api.expect(alternatives).to_contain_text("← " + i18n.translate("picked", language))
    sync_api.expect(alternatives).to_contain_text(re.compile(r"(\d%.*){5}", re.S))  # five, with probabilities
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"generation-explained-{locale}.png", full_page=True)
    panel.get_by_role("button", name=i18n.translate("Generate", language), exact=True).click()
    sync_api.expect(tokens).to_have_count(0)  # a new text: the last one's explanation goes
    context.close()


def opened(browser, url: str, key: str, locale: str, width: int):
    """The tab's page in the visitor's language and width: its language, context, page and panel."""
    language = "zh" if locale == "zh-CN" else "en"
    context = browser.new_context(locale=locale, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(url + f"?tab={key}")
    panel = page.locator(f"#task-{key}")
    panel.wait_for(state="visible", timeout=30_000)
    return language, context, page, panel


def explain_refused_before_an_answer(browser, url: str, key: str, locale: str, width: int):
    """The tab's page in the visitor's language and width, where Explain before any answer is refused
    (a toast): its language, context, page, panel and Explain button."""
    language, context, page, panel = opened(browser, url, key, locale, width)
    explain = panel.get_by_role("button", name=i18n.translate("Explain", language), exact=True)
    explain.click()
    sync_api.expect(page.locator(".toast-body").first).to_be_visible(timeout=30_000)
    return language, context, page, panel, explain


@pytest.mark.parametrize(
    ("key", "answer", "locale", "width"),
    [
        ("image_classification", "#image-classification-top", "en-US", 1300),
        ("image_classification", "#image-classification-top", "zh-CN", 390),
        ("detection", "#detection-objects", "en-US", 1300),
        ("detection", "#detection-objects", "zh-CN", 390),
        ("segmentation", "#segmentation-kept", "en-US", 390),
        ("segmentation", "#segmentation-kept", "zh-CN", 1300),
    ],
)
def test_an_image_answer_is_explained_with_heat_over_the_photo(url, browser, key, answer, locale, width):
    """Explain under the first example's answer lays the heat over the photo; another object's row
    explains that one, in the visitor's language."""
    language, context, page, panel, explain = explain_refused_before_an_answer(browser, url, key, locale, width)
    panel.locator("tr.tr-body td, button.gallery-item").first.click()
    panel.locator(".image-frame img").first.wait_for()  # the example's photo has landed in the input
    panel.locator("button.primary:visible").first.click()
    dataset, index, english = {
        "image_classification": ("ImageNet", 293, "cheetah"),
        "detection": ("COCO", 5, "bus"),
        "segmentation": ("COCO", 0, "person"),
    }[key]
    shown = i18n.translate(english, language, i18n.class_context(dataset, index))
    sync_api.expect(panel.locator(answer)).to_contain_text(shown, timeout=60_000)
    explain.click()
    sync_api.expect(panel.locator(f"#{key.replace('_', '-')}-explanation img")).to_be_visible(timeout=60_000)
    if key == "image_classification":
        # The stand-in's head answers cheetah by its bias alone: nothing in the photo raises it.
        said = i18n.Text("Nothing in the photo raises the score of “{name}”: the map is empty.", {"name": ""})
        sync_api.expect(panel).to_contain_text(said.render(language).split("“")[0], timeout=30_000)
    else:
        sync_api.expect(panel).to_contain_text("HiResCAM", timeout=30_000)
        panel.get_by_label(i18n.translate("Object to explain (its row)", language)).fill("2")
        explain.click()
        second = "第 2 个对象" if language == "zh" else "object 2,"
        sync_api.expect(panel).to_contain_text(second, timeout=60_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{key}-explained-{locale}-{width}.png", full_page=True)
    context.close()


@pytest.mark.parametrize(
    ("key", "answer", "shown", "locale", "width"),
    [
        ("zero_shot", "#zero-shot-top", "#zero-shot-explanation img", "en-US", 1300),
        ("zero_shot", "#zero-shot-top", "#zero-shot-explanation img", "zh-CN", 390),
        ("compare", "#compare-clip-explanation", "#compare-clip-explanation img", "zh-CN", 1300),
        ("compare", "#compare-clip-explanation", "#compare-clip-explanation img", "en-US", 390),
        ("text_classification", "#text-classification-top", "#text-classification-explanation", "en-US", 390),
        ("text_classification", "#text-classification-top", "#text-classification-explanation", "zh-CN", 1300),
        ("similarity", "#similarity-ranking", "#similarity-explanation img", "zh-CN", 390),
        ("similarity", "#similarity-ranking", "#similarity-explanation img", "en-US", 1300),
    ],
)
def test_every_other_answer_is_explained(url, browser, key, answer, shown, locale, width):
    """Explain under the first example's answer, on the tabs of CLIP, text classification and search:
    refused before an answer, then the explanation and its line in the visitor's language."""
    language, context, page, panel, explain = explain_refused_before_an_answer(browser, url, key, locale, width)
    panel.locator("tr.tr-body td, button.gallery-item").first.click()
    if key in ("zero_shot", "compare"):
        panel.locator(".image-frame img").first.wait_for()  # the example's photo has landed in the input
    else:
        sync_api.expect(panel.locator("textarea").first).not_to_have_value("")
    panel.locator("button.primary:visible").first.click()
    if key == "compare":
        sync_api.expect(panel).to_contain_text(i18n.translate("CLIP top 5", language), timeout=60_000)
        sync_api.expect(panel.locator(".label-container, [data-testid=label-output-value]").first).to_be_visible(
            timeout=60_000
        )
    else:  # a label's percentages, or the ranking's cosines
        sync_api.expect(panel.locator(answer)).to_contain_text(re.compile(r"\d%|\d\.\d{3}"), timeout=60_000)
    explain.click()
    sync_api.expect(panel.locator(shown).first).to_be_visible(timeout=60_000)
    said = {
        "zero_shot": "Grad-CAM",
        "compare": "Grad-CAM",
        "text_classification": i18n.translate("Most: {tokens}.", language).split("{")[0],
        "similarity": i18n.Text(
            "Match {row}: with mean-pooled embeddings the cosine is exactly the sum of these parts, one per "
            "query token (down) and sentence token (across). The query's tokens that carry it most: {query}; "
            "the sentence's: {sentence}.",
            {"row": 1, "query": "", "sentence": ""},
        )
        .render(language)
        .split("：")[0]
        .split(":")[0],
    }[key]
    sync_api.expect(panel).to_contain_text(said, timeout=30_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{key}-explained-{locale}-{width}.png", full_page=True)
    context.close()


@pytest.mark.parametrize(("locale", "width"), [("en-US", 1300), ("zh-CN", 390)])
def test_a_trained_classifiers_answer_is_explained(url, browser, tmp_path, locale, width):
    """Fine-tune text on its built-in English example, then Explain a sentence: its
    tokens coloured; few-shot images on two colours, then Explain a photo: the nearest training images."""
    from tasks import finetune_image
    from tests.images import coloured
    from tests.test_finetune_image import fill_in_browser as fill_few_shot

    language = "zh" if locale == "zh-CN" else "en"
    context = browser.new_context(locale=locale, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(url + "?tab=finetune_text")
    panel = page.locator("#task-finetune_text")
    panel.wait_for(state="visible", timeout=30_000)
    explain = panel.get_by_role("button", name=i18n.translate("Explain", language), exact=True)
    # The English reviews in both languages: they train on MiniLM, whose weights are here (the Chinese
    # reviews' model, BERT-base Chinese, has none offline).
    panel.get_by_role("button", name=re.compile("40")).first.click()  # examples.REVIEWS: English first
    sync_api.expect(panel.get_by_label(i18n.translate("Text column", language))).not_to_have_value("")
    panel.get_by_role("button", name=i18n.translate("Train", language), exact=True).click()
    scores = i18n.translate("accuracy {accuracy:.1%} · macro-F1 {macro_f1:.3f}", language)
    sync_api.expect(panel).to_contain_text(scores.split("·")[1].split("{")[0].strip(), timeout=120_000)
    sentence = "An absolute joy, I loved every minute."
    panel.get_by_label(i18n.translate("Try the trained model", language)).fill(sentence)
    explain.click()
    sync_api.expect(panel.locator("#finetune-text-explanation")).to_contain_text(sentence[2:5], timeout=60_000)
    sync_api.expect(panel).to_contain_text(i18n.translate("Most: {tokens}.", language).split("{")[0])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"finetune_text-explained-{locale}-{width}.png", full_page=True)

    page.goto(url + "?tab=finetune_image")
    panel = page.locator("#task-finetune_image")
    panel.wait_for(state="visible", timeout=30_000)
    fill_few_shot(panel, tmp_path, sync_api.expect)  # three red and three blue images
    panel.locator("button.primary:visible").first.click()
    sync_api.expect(panel).to_contain_text("red (3)", timeout=120_000)
    photo = tmp_path / "red.png"
    photo.write_bytes(coloured((210, 20, 20), 999))
    panel.locator("#finetune-image-try input[type=file]").set_input_files(photo)
    panel.locator("#finetune-image-try .image-frame img").wait_for()
    panel.get_by_role("button", name=i18n.translate("Explain", language), exact=True).click()
    nearest = panel.locator("#finetune-image-explanation img")
    sync_api.expect(nearest).to_have_count(2 * finetune_image.NEAREST, timeout=60_000)
    sync_api.expect(panel.locator("#finetune-image-explanation")).to_contain_text(
        re.compile(r"red · [01]\.\d\d.*blue · 0\.\d\d")
    )
    page.screenshot(path=SCREENSHOTS / f"finetune_image-explained-{locale}-{width}.png", full_page=True)
    context.close()


# The agreement each ledger tab's OpenVINO rows state; each tab in both languages, at both widths.
LEDGER_AGREEMENTS = {
    "detection": "{matched} of {count} boxes matched (mean IoU {iou:.2f})",
    "image_classification": "top-1 the same ({name})",
    "text_classification": "top-1 the same ({name})",
}
SCREENS = ((("en-US", 1300), ("zh-CN", 390)), (("zh-CN", 1300), ("en-US", 390)))


@pytest.mark.parametrize(
    ("key", "locale", "width"),
    [(key, *screen) for i, key in enumerate(LEDGER_AGREEMENTS) for screen in SCREENS[i % 2]],
)
def test_the_runtime_ledger_shows_every_runtime_with_times_and_agreement(url, browser, key, locale, width):
    """The first example's input through every runtime: a row each, times and agreement with PyTorch
    fp32 where it runs, why not where it cannot, in the visitor's language. Stopped once first, the
    next run is not refused (the server's one ledger was freed)."""
    from models import ledger
    from toolkit import runtime_ledger

    language, context, page, panel = opened(browser, url, key, locale, width)
    panel.locator("tr.tr-body td, button.gallery-item").first.click()
    if key == "text_classification":
        sync_api.expect(panel.locator("textarea").first).not_to_have_value("")
    else:
        panel.locator(".image-frame img").first.wait_for()  # the example's photo has landed in the input
    prefix = f"#{key.replace('_', '-')}-runtimes"
    panel.locator(prefix).get_by_text(
        i18n.translate("Runtime ledger: this input on every runtime here", language)
    ).click()
    run = panel.get_by_role("button", name=i18n.translate("Run on every runtime", language), exact=True)
    line = panel.locator(f"{prefix}-line")
    if width == 1300:  # Stop at once: the server's one ledger is free again within a step of the work
        run.click()
        sync_api.expect(line).to_contain_text(re.compile(r"\d"), timeout=30_000)
        panel.locator(prefix).get_by_role("button", name=i18n.translate("Stop", language), exact=True).click()
        page.wait_for_timeout(500)
        stopped = time.monotonic()
        while runtime_ledger._running.locked() and time.monotonic() - stopped < 120:  # the app is in this process
            time.sleep(0.2)
        assert not runtime_ledger._running.locked()
    run.click()
    done = i18n.translate(
        "Every runtime measured: medians of {repeats} runs after one warm-up. Fastest here: {name}.", language
    )
    sync_api.expect(line).to_contain_text(done.split("{")[0], timeout=300_000)
    assert not page.locator(".toast-body").is_visible()  # the run after Stop was not refused
    rows = panel.locator(f"{prefix}-table .virtual-row")  # Gradio's table draws its rows as these
    sync_api.expect(rows).to_have_count(len(ledger.RUNTIMES))
    shown = {row.locator(".body-cell").first.inner_text().strip(): row.inner_text() for row in rows.all()}
    assert list(shown) == list(ledger.RUNTIMES)
    assert i18n.translate("(the reference)", language) in shown["PyTorch fp32"]
    for name in ("PyTorch fp32", "OpenVINO fp32", "OpenVINO INT8"):
        assert re.search(r"\d+\.\d", shown[name]) and re.search(r"\d\.\d\dx", shown[name]), shown[name]
    for name in ("OpenVINO fp32", "OpenVINO INT8"):
        said = i18n.translate(LEDGER_AGREEMENTS[key], language)
        assert re.search(re.sub(r"\\\{[^}]*\\\}", ".+", re.escape(said)), shown[name]), (said, shown[name])
    why_not = i18n.translate("Not here: {why}", language).split("{")[0]
    for name in ("OpenVINO bf16", "CUDA fp16"):
        if ledger.why_not(name) is not None:
            assert why_not in shown[name], shown[name]
    page.screenshot(path=SCREENSHOTS / f"{key}-runtimes-{locale}-{width}.png", full_page=True)
    context.close()
