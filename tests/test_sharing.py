"""Sharing without a browser (toolkit/sharing.py, toolkit/report.py): what a result records, what a
link shows again, reports, and the /share and /report endpoints."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

import examples
import models
from harness.server import serve
from storage import results
from storage.results import Limits, ResultStore
from tasks import generation, image_classification, text_classification
from toolkit import report, sharing

KEY = "0123456789abcdef" * 2


@pytest.fixture(scope="module")
def client(tiny_defaults):
    """The app served in this process (its tabs' Share panels registered), models on stand-ins."""
    yield from serve(tiny_defaults)


@pytest.fixture
def store(tmp_path, monkeypatch):
    opened = ResultStore(f"sqlite:///{tmp_path / 'results.sqlite'}", tmp_path / "files", Limits())
    monkeypatch.setattr(results, "_store", opened)
    yield opened
    opened.close()


def classified_on_screen(client) -> tuple:
    """Image classification's fields as the page holds them after a run and an explanation."""
    model_id = image_classification.TASK.default()
    label, info = client.predict(handle_file(examples.cheetah()), model_id, api_name="/classify_image")
    explanation = np.asarray(Image.open(examples.cheetah()).convert("RGB"))
    return (examples.cheetah(), model_id, 1, 0.5, {c["label"]: c["confidence"] for c in label["confidences"]}, info,
            explanation, "Class 1 explained")  # fmt: skip


def test_a_result_records_inputs_outputs_models_version_and_language(client, store):
    shared = sharing._tabs["image_classification"]
    record, files = sharing.record_of(shared, classified_on_screen(client))
    by_label = {field["label"]: field for field in record["fields"]}
    assert by_label["Photo"]["input"] and by_label["Photo"]["value"]["media_type"] == "image/jpeg"
    assert by_label["Top 5"]["value"]["cheetah"] > 0.9 and not by_label["Top 5"]["input"]
    assert by_label["Explanation"]["value"]["media_type"] == "image/jpeg"
    assert [file.sha256 for file in files] == [
        by_label["Photo"]["value"]["sha256"],
        by_label["Explanation"]["value"]["sha256"],
    ]
    (model,) = record["models"]
    loaded = models.load(model["id"])
    assert model["weights"] == loaded.weights_hash and re.fullmatch(r"[0-9a-f]{16}", model["weights"])
    assert (model["device"], model["runtime"], model["precision"]) == ("cpu", loaded.runtime, loaded.precision)
    assert record["app"] == sharing.app_version() and re.fullmatch(r"[0-9a-f]{12}|unknown", record["app"])
    assert record["language"] == "en" and re.match(r"\d{4}-\d\d-\d\dT", record["when"])


def test_a_link_shows_the_same_values_with_the_inputs_locked(client, store):
    shared = sharing._tabs["image_classification"]
    values = classified_on_screen(client)
    record, files = sharing.record_of(shared, values)
    saved = store.save(KEY, "image_classification", "en", record, files)
    updates = sharing.reopened(saved.id, lambda key: [key])
    assert updates[0] == "image_classification" and "A saved result" in updates[2]
    shown = dict(zip(sharing.every_field(), updates[5:]))
    by_label = {field.component.label.key: update for field, update in shown.items() if field in shared.fields}
    assert by_label["Top 5"]["value"] == values[4] and by_label["Photo"]["interactive"] is False
    photo = np.asarray(by_label["Photo"]["value"])
    assert photo.shape == np.asarray(Image.open(examples.cheetah())).shape
    assert all(update == {"__type__": "update"} or "value" not in update for field, update in shown.items()
               if field not in shared.fields)  # fmt: skip


def test_nothing_is_shared_before_an_answer(client, store):
    shared = sharing._tabs["text_classification"]
    with pytest.raises(models.ShowcaseError, match="nothing to share yet"):
        sharing.record_of(shared, ("Great film", text_classification.TASK.default(), 1, None, "", None, "", None, None))


def test_a_stale_link_says_why_in_the_visitors_language(client, store, chinese_request):
    saved = store.save(KEY, "generation", "zh", {"fields": []}, [])
    store.delete(saved.id, KEY)
    for result_id, why in ((saved.id, "保存它的浏览器删除了这个结果"), ("nonsense" * 4, "没有")):
        updates = sharing.reopened(result_id, lambda key: [key])
        assert updates[0] is None and why in updates[2], updates[2]


def test_a_report_is_self_contained_escaped_and_in_the_readers_language(client, store):
    shared = sharing._tabs["image_classification"]
    record, files = sharing.record_of(shared, classified_on_screen(client))
    photo = store.save(KEY, "image_classification", "en", record, files)
    text_tab = sharing._tabs["text_classification"]
    typed = "<script>alert('typed')</script>\nsecond line"
    label = {"<img src=x onerror=alert(1)>": 0.9, "NEGATIVE": 0.1}
    text_values = (
        typed,
        text_classification.TASK.default(),
        1,
        label,
        "**model** · 12 ms <b>raw</b>",
        None,
        "",
        None,
        None,
    )
    text = store.save(KEY, "text_classification", "en", *sharing.record_of(text_tab, text_values))
    generation_tab = sharing._tabs["generation"]
    generated = (
        "Once",
        generation.TASK.default(),
        5,
        "greedy",
        1,
        0,
        1,
        0,
        1,
        42,
        "Once upon a time",
        "line",
        None,
        "",
        None,
    )
    story = store.save(KEY, "generation", "en", *sharing.record_of(generation_tab, generated))
    results_ = [store.open(result.id) for result in (photo, text, story)]
    english = report.render(results_, store, "en")
    assert "<script>" not in english and "&lt;script&gt;" in english and "<img src=x" not in english
    assert "<b>raw</b>" not in english and "<strong>model</strong>" in english
    assert not re.search(r"(src|href)=[\"']?(https?:|//)", english)
    assert english.count('src="data:image/jpeg;base64,') == 2  # the photo and its explanation
    assert (
        english.index("Image classification") < english.index("Text classification") < english.index("Text generation")
    )
    chinese = report.render(results_, store, "zh")
    assert "模型回答了什么" in chinese and "图像分类" in chinese and 'lang="zh"' in chinese


def test_share_and_report_endpoints(client, store, tmp_path):
    shared = sharing._tabs["image_classification"]
    saved = store.save(KEY, "image_classification", "en", *sharing.record_of(shared, classified_on_screen(client)))
    link = client.predict(saved.id, api_name="/share")
    assert link == f"{client.src.rstrip('/')}/?result={saved.id}"
    page = Path(client.predict(f"{link}, {saved.id}", "zh", api_name="/report")).read_text()
    assert page.count("<section") == 1 and "模型回答了什么" in page
    with pytest.raises(Exception, match="no saved result with this link"):
        client.predict("x" * 32, api_name="/share")
