"""The launched app, driven through gradio_client as a user's script would."""

import os
import re
import subprocess
import sys
import time
import zipfile

import pytest
from gradio_client import handle_file

import app
import examples
import models
from harness.offline import IMAGENET_SAMPLE, ROOT
from harness.server import local_client, serve
from harness.stand_ins import install
from models.backend import Embedded
from tests.images import write_awkward_images
from toolkit.interface import t

CLIP = "openai/clip-vit-base-patch32"
CLIP16 = "openai/clip-vit-base-patch16"


@pytest.fixture(scope="module")
def client(tiny_defaults):
    yield from serve(tiny_defaults)


def test_detect_finds_the_bus(client):
    image, table, info = client.predict(handle_file(examples.bus()), 0.25, 0.45, "yolov8n.pt", api_name="/detect")
    classes = [row[0] for row in table["data"]]
    assert "bus" in classes and classes.count("person") >= 3
    assert table["headers"][:2] == ["class", "confidence"]
    assert "yolov8n.pt" in info and "cpu" in info and " ms" in info
    assert image.endswith((".jpeg", ".jpg"))


def test_classify_image(client):
    label, info = client.predict(handle_file(examples.lion()), "resnet50", api_name="/classify_image")
    assert label["label"] == "cheetah"
    assert len(label["confidences"]) == 5
    assert "ResNet-50" in info


def test_zero_shot(client):
    label, info = client.predict(handle_file(examples.cheetah()), "cat, dog, 狮子", True, CLIP, api_name="/zero_shot")
    assert {c["label"] for c in label["confidences"]} == {"cat", "dog", "狮子"}
    assert sum(c["confidence"] for c in label["confidences"]) == pytest.approx(1, abs=1e-3)
    assert "chinese-clip" in info  # the hint to pick the Chinese model


def test_compare_one_and_many(client):
    resnet, clip, verdict = client.predict(handle_file(examples.lion()), "", False, CLIP, api_name="/compare")
    assert resnet["label"] == "cheetah"
    assert len(clip["confidences"]) == 5
    assert "1,000 ImageNet classes" in verdict and re.search(r"agree|disagree", verdict)
    files = [handle_file(str(p)) for p in sorted(IMAGENET_SAMPLE.glob("*.JPEG"))[:3]]
    table, summary, chart, note = client.predict(files, "", False, CLIP, api_name="/compare_batch")
    assert len(table["data"]) == 3
    assert [row[0] for row in summary["data"]] == ["ResNet-50", "CLIP"]


def test_bad_inputs_get_messages_and_the_server_keeps_serving(client, tmp_path):
    awkward = write_awkward_images(tmp_path)
    cases = [
        (("/detect", handle_file(str(awkward["corrupt.jpg"])), 0.25, 0.45, "yolov8n.pt"), "damaged or truncated"),
        (("/classify_image", handle_file(str(awkward["not_an_image.png"])), "resnet50"), "not an image"),
        (("/classify_image", None, "resnet50"), "upload an image"),
        (("/zero_shot", handle_file(examples.cheetah()), "  ,  ", False, CLIP), "at least one label"),
        (("/zero_shot", handle_file(examples.cheetah()), "cat", False, CLIP16), "could not be loaded"),
        (("/detect", handle_file(examples.bus()), 0.25, 0.45, "yolo11n.pt"), "SHOWCASE_MODEL_DIR"),
    ]
    for (endpoint, *args), message in cases:
        with pytest.raises(Exception, match=message):
            client.predict(*args, api_name=endpoint)
    for name in ("grey.png", "transparent.png", "cmyk.jpg", "sixteen_bit.png", "one_pixel.png"):
        label, _ = client.predict(handle_file(str(awkward[name])), "resnet50", api_name="/classify_image")
        assert label["label"] == "cheetah", name


def test_image_inputs_render_as_gradio_images():
    """The photo uploads hand files over unopened, yet the page gets plain gr.Image props."""
    config = app.build_app().get_config_file()
    uploads = [
        c for c in config["components"] if c["type"] == "image" and str(c["props"].get("label")) == str(t("Photo"))
    ]
    assert len(uploads) >= 4  # detection, classification, zero-shot, comparison, ...
    assert all(c["props"]["sources"] == ["upload", "webcam", "clipboard"] for c in uploads)
    assert not list((ROOT / "toolkit").glob("*.pyi"))  # no stale stub beside the source


def test_help_lists_the_options():
    help_text = subprocess.run(
        [sys.executable, "app.py", "--help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    for option in (
        "--host",
        "--port",
        "--share",
        "--mcp",
        "--preload",
        "--lazy",
        "--backend",
        "--ray-address",
        "--replicas",
    ):
        assert option in help_text


@pytest.fixture(scope="module")
def language_client(tiny_defaults):
    yield from serve(tiny_defaults)


GENERATE_DEFAULTS = ("openai-community/gpt2", 40, "sampling", 0.8, 50, 0.95, 0, 1.0)


def test_generate_streams_growing_text(language_client):
    job = language_client.submit("Once upon a time", *GENERATE_DEFAULTS, 42, api_name="/generate")
    final_text, final_info = job.result()
    texts = [text for text, _ in job.outputs()]
    assert len(texts) > 2
    assert all(later.startswith(earlier) for earlier, later in zip(texts, texts[1:]))
    assert final_text.startswith("Once upon a time") and len(final_text) > len("Once upon a time")
    assert "40 tokens" in final_info and "tokens/s" in final_info and "done" in final_info
    again, _ = language_client.predict("Once upon a time", *GENERATE_DEFAULTS, 42, api_name="/generate")
    assert again == final_text  # same seed, same settings, same text


def test_generate_cancelled_midway_then_serves_again(language_client):
    from models import causal_lm

    job = language_client.submit(
        "Keep going", "openai-community/gpt2", 512, "sampling", 0.8, 50, 0.95, 0, 1.0, 1, api_name="/generate"
    )
    deadline = time.time() + 60
    while len(job.outputs()) < 2 and time.time() < deadline:
        time.sleep(0.05)
    job.cancel()
    deadline = time.time() + 30
    while causal_lm.running() and time.time() < deadline:
        time.sleep(0.1)
    assert causal_lm.running() == 0
    text, info = language_client.predict(
        "Hello", "openai-community/gpt2", 5, "greedy", 0.8, 50, 0.95, 0, 1.0, 1, api_name="/generate"
    )
    assert "5 tokens" in info


def test_stop_pressed_twice_answers_both_and_the_server_serves_on(language_client):
    """Two cancels of one run at once (a Stop storm): Gradio's second failed with HTTP 500."""
    import concurrent.futures
    import uuid

    import httpx

    url = language_client.src.rstrip("/")
    config = httpx.get(f"{url}/config").json()
    fn_index = next(d["id"] for d in config["dependencies"] if d.get("api_name") == "generate")
    for _ in range(5):
        session = uuid.uuid4().hex[:11]
        settings = ["Keep going", "openai-community/gpt2", 512, "sampling", 0.8, 50, 0.95, 0, 1.0, 1]
        body = {"data": settings, "fn_index": fn_index, "session_hash": session}
        event_id = httpx.post(f"{url}/gradio_api/queue/join", json=body).json()["event_id"]
        with httpx.stream("GET", f"{url}/gradio_api/queue/data", params={"session_hash": session}) as events:
            for line in events.iter_lines():
                if "process_generating" in line:  # running: its iterator exists
                    break
            cancel = {"session_hash": session, "fn_index": fn_index, "event_id": event_id}
            with concurrent.futures.ThreadPoolExecutor(3) as pool:
                answers = list(pool.map(lambda body: httpx.post(f"{url}/gradio_api/cancel", json=body), [cancel] * 3))
        assert [answer.status_code for answer in answers] == [200, 200, 200]
    text, info = language_client.predict(
        "Hello", "openai-community/gpt2", 5, "greedy", 0.8, 50, 0.95, 0, 1.0, 1, api_name="/generate"
    )
    assert "5 tokens" in info


def test_a_cancelled_beam_search_frees_the_cpu(language_client, tiny_defaults, monkeypatch):
    """Beam search over a long prompt on a full-size GPT-2, cancelled after 1.5 s: the work stops too,
    so the one-at-a-time generation queue is free again and the next request is quick."""
    import psutil

    from harness import stand_ins
    from models import causal_lm

    monkeypatch.setattr(models, "_backend", Embedded())  # for this test only: a full-size model too
    stand_ins.install({**tiny_defaults, "distilbert/distilgpt2": stand_ins.gpt2("distilbert/distilgpt2", tiny=False)})
    job = language_client.submit(
        "word " * 600, "distilbert/distilgpt2", 300, "beam search", 0.8, 50, 0.95, 0, 1.0, 1, api_name="/generate"
    )
    time.sleep(1.5)
    assert causal_lm.running() == 1
    job.cancel()
    cancelled = time.time()
    while causal_lm.running() and time.time() - cancelled < 10:
        time.sleep(0.05)
    assert causal_lm.running() == 0 and time.time() - cancelled < 2
    server = psutil.Process()
    before = sum(server.cpu_times()[:2])
    time.sleep(1)
    assert sum(server.cpu_times()[:2]) - before < 0.5  # idle: the search is not running on
    text, info = language_client.predict(
        "Hello", "openai-community/gpt2", 5, "greedy", 0.8, 50, 0.95, 0, 1.0, 1, api_name="/generate"
    )
    assert "5 tokens" in info


def test_classify_text_one_and_many(language_client):
    model = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
    label, rows, counts, info = language_client.predict("What a lovely day", model, api_name="/classify_text")
    assert label["label"] in {"POSITIVE", "NEGATIVE"}
    label, rows, counts, info = language_client.predict("good\nbad\nso-so", model, api_name="/classify_text")
    assert [row[0] for row in rows["value"]["data"]] == ["good", "bad", "so-so"]
    assert "3 lines classified in 1 batched pass" in info


def test_similarity_tokenize_and_attention_with_real_weights(language_client):
    ranking, plot, info = language_client.predict(
        "I can't log in",
        "The market fell.\nI forgot my password and cannot sign in.",
        "sentence-transformers/all-MiniLM-L6-v2",
        api_name="/similarity",
    )
    assert ranking["data"][0][2] == "I forgot my password and cannot sign in."
    assert plot is not None
    outputs = language_client.predict(
        "我喜欢猫 unbelievably", "openai-community/gpt2", "sentence-transformers/all-MiniLM-L6-v2", api_name="/tokenize"
    )
    assert "喜 (1/3)" in [piece["token"] for piece in outputs[0]]
    merges, segments, info = language_client.predict("low lower lowest", 1_000_000, "lowest", api_name="/train_bpe")
    assert "Stopped after" in info
    one, mean, info = language_client.predict(
        "The cat sat.", 6, 12, "sentence-transformers/all-MiniLM-L6-v2", api_name="/attention"
    )
    assert "6 layers × 12 heads" in info


def test_language_bad_inputs_get_messages(language_client):
    cases = [
        (("/generate", "   ", *GENERATE_DEFAULTS, 1), "enter a prompt"),
        (("/generate", "Hi", "distilbert/distilgpt2", *GENERATE_DEFAULTS[1:], 1), "could not be loaded"),
        (("/classify_text", "\n\n", "distilbert/distilbert-base-uncased-finetuned-sst-2-english"), "enter a sentence"),
        (("/similarity", "query", "", "sentence-transformers/all-MiniLM-L6-v2"), "enter sentences"),
        (("/attention", "Hello", 7, 1, "sentence-transformers/all-MiniLM-L6-v2"), "greater than maximum value 6"),
        (("/train_bpe", "", 10, ""), "enter a corpus"),
    ]
    for (endpoint, *args), message in cases:
        with pytest.raises(Exception, match=message):
            language_client.predict(*args, api_name=endpoint)
    text, _ = language_client.predict(
        "Still here?", "openai-community/gpt2", 3, "greedy", 0.8, 50, 0.95, 0, 1.0, 1, api_name="/generate"
    )
    assert text.startswith("Still here?")


def test_finetune_text_then_try_the_model(language_client):
    status, losses, confusion, plot, archive, *_ = language_client.predict(
        handle_file(str(examples.REVIEWS["en"])),
        None,
        "text",
        "label",
        "sentence-transformers/all-MiniLM-L6-v2",
        "linear probe (fast)",
        3,
        5e-5,
        16,
        128,
        2000,
        api_name="/finetune_text",
    )
    assert "Validation accuracy" in status and "32 training rows, 8 validation rows" in status
    assert archive.endswith(".zip")
    with zipfile.ZipFile(archive) as saved:
        assert {"config.json", "showcase.json", "probe_head.safetensors"} <= set(saved.namelist())
    label = language_client.predict("Fantastic value, I love it", api_name="/try_text_model")
    assert label["label"] in {"positive", "negative"}


def test_training_bad_inputs_get_messages(language_client, tmp_path):
    no_columns = tmp_path / "cols.csv"
    no_columns.write_text("review,stars\nnice,5\nbad,1\n")
    one_class = tmp_path / "one.csv"
    one_class.write_text("text,label\na,x\nb,x\n")
    cases = [
        ((handle_file(str(no_columns)), None, None, None), "No label column.*'review', 'stars'"),
        ((handle_file(str(one_class)), None, "text", "label"), "at least two classes"),
    ]
    for (file, validation, text, label), message in cases:
        with pytest.raises(Exception, match=message):
            language_client.predict(
                file,
                validation,
                text,
                label,
                "sentence-transformers/all-MiniLM-L6-v2",
                "linear probe (fast)",
                3,
                5e-5,
                16,
                128,
                2000,
                api_name="/finetune_text",
            )
    with pytest.raises(Exception, match="Train a model first"):
        local_client(language_client.src).predict("hello", api_name="/try_text_model")


def test_few_shot_images_then_try_the_classifier(client, tmp_path):
    from tests.images import coloured, make_zip

    members = {f"red/{i}.png": coloured((200, 30, 30), i) for i in range(4)}
    members |= {f"blue/{i}.png": coloured((30, 30, 200), 10 + i) for i in range(4)}
    archive = make_zip(tmp_path / "few.zip", members)
    summary, plot, per_class, *_ = client.predict([handle_file(archive)], "resnet50", api_name="/finetune_image")
    assert "8 images" in summary and "4-fold cross-validated accuracy" in summary
    assert [row[0] for row in per_class["data"]] == ["blue", "red"]
    image = tmp_path / "probe.png"
    image.write_bytes(coloured((210, 20, 20), 99))
    label = client.predict(handle_file(str(image)), api_name="/try_image_model")
    assert {c["label"] for c in label["confidences"]} == {"red", "blue"}


def test_few_shot_training_cancelled_through_the_api_frees_the_slot(client, tmp_path, monkeypatch):
    """Cancelled through the API, Auto ran on 29.8 s at 175% CPU, holding the training slot."""
    from tasks import finetune_image
    from tests.images import coloured, make_zip
    from tests.test_finetune_image import SlowBackbone
    from toolkit import training

    chosen = finetune_image.backbone
    monkeypatch.setattr(finetune_image, "backbone", lambda *arguments: SlowBackbone(chosen(*arguments)))
    members = {f"red/{i}.png": coloured((200, 30, 30), i) for i in range(64)}
    members |= {f"blue/{i}.png": coloured((30, 30, 200), 100 + i) for i in range(64)}
    archive = make_zip(tmp_path / "many.zip", members)
    job = client.submit([handle_file(archive)], "resnet50", finetune_image.AUTO, 600, api_name="/finetune_image")
    deadline = time.time() + 60
    while len(job.outputs()) < 3 and time.time() < deadline:  # reading, then features
        time.sleep(0.05)
    assert training._slot.locked() and not job.done()
    job.cancel()
    cancelled = time.time()
    while training._slot.locked() and time.time() - cancelled < 30:
        time.sleep(0.05)
    assert not training._slot.locked() and time.time() - cancelled < 2


def test_a_model_that_fails_to_load_then_loads(language_client, monkeypatch):
    """A load that breaks mid-run (disk, network) costs one request a message; the next one works."""
    from models import sentence_encoder

    real_loader = sentence_encoder.load
    failures = []

    def flaky(model_id):
        if not failures:
            failures.append(1)
            raise models.ModelUnavailable(f"The model '{model_id}' could not be loaded (disk error).")
        return real_loader(model_id)

    monkeypatch.setattr(models, "_backend", Embedded())  # nothing loaded: the next request loads
    monkeypatch.setattr(sentence_encoder, "load", flaky)
    arguments = ("query", "one sentence\nanother one", "sentence-transformers/all-MiniLM-L6-v2")
    with pytest.raises(Exception, match="could not be loaded"):
        language_client.predict(*arguments, api_name="/similarity")
    ranking, _, _ = language_client.predict(*arguments, api_name="/similarity")
    assert len(ranking["data"]) == 2


def test_a_client_gone_during_training_frees_the_server(language_client):
    from toolkit import training

    def training_busy() -> bool:
        return training._slot.locked()

    arguments = (
        handle_file(str(examples.REVIEWS["en"])),
        None,
        "text",
        "label",
        "sentence-transformers/all-MiniLM-L6-v2",
        "full fine-tuning",
        10,
        5e-5,
        4,
        16,
        2000,
    )
    job = language_client.submit(*arguments, api_name="/finetune_text")
    deadline = time.time() + 120
    while len(job.outputs()) < 2 and time.time() < deadline:
        time.sleep(0.05)
    assert not job.done() and training_busy()
    # Training does not block the other tabs: another one answers while it runs.
    pieces, *_ = local_client(language_client.src).predict(
        "still serving", "openai-community/gpt2", "sentence-transformers/all-MiniLM-L6-v2", api_name="/tokenize"
    )
    assert [piece["token"] for piece in pieces] == ["still", " serving"]
    assert not job.done()  # answered during training, not after it
    job.cancel()
    deadline = time.time() + 30
    while training_busy() and time.time() < deadline:
        time.sleep(0.1)
    assert not training_busy()
    status, *_ = language_client.predict(
        *arguments[:5], "linear probe (fast)", *arguments[6:], api_name="/finetune_text"
    )
    assert "Validation accuracy" in status


def test_concurrent_requests_share_a_batch(language_client):
    """Requests that wait while a batch runs go through the next forward pass together."""
    model = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
    jobs = [language_client.submit(f"Review {i}: lovely", model, api_name="/classify_text_batched") for i in range(16)]
    sizes = [int(re.search(r"batch of (\d+) requests", job.result()[1]).group(1)) for job in jobs]
    assert max(sizes) > 1, sizes


def test_batched_twins_answer_like_the_plain_endpoints(client, language_client):
    label, info = client.predict(handle_file(examples.lion()), "resnet50", api_name="/classify_image_batched")
    assert label["label"] == "cheetah" and "ResNet-50" in info
    label, info = client.predict(handle_file(examples.lion()), "cat, dog", False, CLIP, api_name="/zero_shot_batched")
    assert {c["label"] for c in label["confidences"]} == {"cat", "dog"}
    _, info = client.predict(handle_file(examples.lion()), " , ", False, CLIP, api_name="/zero_shot_batched")
    assert "at least one label" in info  # a bad request in a batch gets its message, not an exception
    label, info = language_client.predict(
        "Lovely\nAwful", "distilbert/distilbert-base-uncased-finetuned-sst-2-english", api_name="/classify_text_batched"
    )
    assert label["label"] in {"POSITIVE", "NEGATIVE"}


def test_no_third_party_telemetry_unless_turned_on(monkeypatch):
    import os

    from ultralytics.utils.events import events

    from models import yolo

    clean = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_DISABLE_TELEMETRY", "GRADIO_ANALYTICS_ENABLED")}
    printed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import app, os; print(os.environ['HF_HUB_DISABLE_TELEMETRY'], os.environ['GRADIO_ANALYTICS_ENABLED'])",
        ],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert printed == ["1", "False"]
    monkeypatch.setattr(events, "enabled", True)
    monkeypatch.setenv("SHOWCASE_TELEMETRY", "1")
    yolo.no_usage_events()
    assert events.enabled  # the user turned it on
    monkeypatch.delenv("SHOWCASE_TELEMETRY")
    yolo.no_usage_events()
    assert not events.enabled


def test_the_api_page_names_and_describes_every_endpoint():
    demo = app.build_app()
    endpoints = demo.get_api_info()["named_endpoints"]
    assert len(endpoints) >= 19
    described = {f"/{fn.api_name}": fn.fn.__doc__ for fn in demo.fns.values() if fn.api_visibility == "public"}
    for name, endpoint in endpoints.items():
        outputs = [r.get("label") for r in endpoint["returns"]]
        assert None not in outputs and len(set(outputs)) == len(outputs), (name, outputs)
        assert not [p["parameter_name"] for p in endpoint["parameters"] if p["parameter_name"].startswith("param_")], (
            name
        )
        assert (described[name] or "").strip(), f"{name} has no description"
    integers = {p["parameter_name"] for p in endpoints["/generate"]["parameters"] if p["type"].get("type") == "integer"}
    assert {"max_new_tokens", "top_k", "no_repeat_ngram_size", "seed"} <= integers


def test_downloads_go_to_persistent_storage_when_a_space_has_some(monkeypatch, tmp_path):
    for name in ("TORCH_HOME", "SHOWCASE_MODEL_DIR", "SHOWCASE_CACHE"):
        monkeypatch.delenv(name, raising=False)
    app.use_persistent_storage(str(tmp_path / "missing"))  # no persistent storage: nothing changes
    assert "TORCH_HOME" not in os.environ
    monkeypatch.setenv("SHOWCASE_CACHE", "/kept")  # set by the user: kept
    app.use_persistent_storage(str(tmp_path))
    assert (
        os.environ["TORCH_HOME"] == f"{tmp_path}/torch"
        and os.environ["SHOWCASE_MODEL_DIR"] == f"{tmp_path}/ultralytics"
    )
    assert os.environ["SHOWCASE_CACHE"] == "/kept"


def test_a_gpu_this_torch_cannot_use_is_reported(monkeypatch, tmp_path):
    from models import device

    assert not device.unusable_gpu(tmp_path / "none")
    (tmp_path / "0000:00:1e.0").mkdir()
    monkeypatch.setattr(device.torch.cuda, "is_available", lambda: False)
    assert device.unusable_gpu(tmp_path)
    monkeypatch.setattr(device.torch.cuda, "is_available", lambda: True)
    assert not device.unusable_gpu(tmp_path)


def test_a_video_through_the_api_then_one_stopped_midway(client, tmp_path, monkeypatch):
    """What the video mode's download and Stop rest on: the finished clip comes back whole; a cancelled
    one stops detecting at once and the server serves the next request."""
    from tasks import detection

    clip = examples.street_clip(tmp_path)
    frame, info, annotated, counts, *no_counts = client.predict(
        handle_file(clip), 0.25, 0.45, "yolov8n.pt", api_name="/detect_video"
    )
    table, _, heatmap, csv_file = no_counts  # tracking not asked for: old clients' four arguments still work
    assert table["data"] == [] and heatmap is None and csv_file is None
    assert "40 frames" in info and annotated.endswith(".webm")
    assert {"bus", "person", "tie"} <= {row[1] for row in counts["data"]}
    detected, original = [], detection.detect
    monkeypatch.setattr(detection, "detect", lambda *args: detected.append(1) or original(*args))
    long_clip = examples.street_clip(tmp_path, fps=60)  # the same 4 s in 240 frames
    job = client.submit(handle_file(long_clip), 0.25, 0.45, "yolov8n.pt", api_name="/detect_video")
    deadline = time.time() + 60
    while len(job.outputs()) < 2 and time.time() < deadline:
        time.sleep(0.05)
    job.cancel()
    time.sleep(0.5)
    stopped_at = len(detected)
    time.sleep(2)
    assert 0 < stopped_at == len(detected) < 200
    assert "yolov8n.pt" in client.predict(handle_file(examples.bus()), 0.25, 0.45, "yolov8n.pt", api_name="/detect")[2]


def test_the_same_photo_from_many_visitors_at_once_comes_back_whole(client):
    """A room clicking the same example: identical results are written to one cached file, which no
    download may find half-written."""
    from concurrent.futures import ThreadPoolExecutor

    def detect(_):
        own = local_client(client.src)
        return [
            own.predict(handle_file(examples.bus()), 0.25, 0.45, "yolov8n.pt", api_name="/detect")[0] for _ in range(6)
        ]

    with ThreadPoolExecutor(4) as pool:
        images = [path for paths in pool.map(detect, range(4)) for path in paths]
    sizes = {os.path.getsize(path) for path in images}
    assert len(images) == 24 and len(sizes) == 1


def test_translated_labels_read_as_english_where_gradio_does_not_translate():
    """The API description (API page, gradio_client, MCP) and example tables' column titles show
    the English text, not gr.I18n's keys."""
    import json

    import gradio as gr

    demo = app.build_app()
    api = json.dumps(demo.get_api_info(), default=str)
    assert "__i18n__" not in api and '"label": "Query (one per line for several)"' in api
    headers = [block.headers for block in demo.blocks.values() if isinstance(block, gr.Dataset)]
    assert ["Prompt", "Model"] in headers and not any("__i18n__" in str(h) for h in headers)


def test_only_the_page_gets_the_early_language_script(tiny_defaults):
    """The script that applies a remembered language goes first in the page's head; JSON and other
    responses pass through as they are."""
    import httpx

    from toolkit.interface import EARLY_SCRIPT

    for client in serve(tiny_defaults):
        page = httpx.get(client.src)
        assert page.text.startswith("<!doctype html>") and EARLY_SCRIPT.decode() in page.text
        assert page.text.index(EARLY_SCRIPT.decode()) < page.text.index('<script type="module"')
        info = httpx.get(client.src + "gradio_api/info")
        assert info.headers["content-type"].startswith("application/json") and "localStorage" not in info.text


def test_a_chinese_visitor_gets_the_servers_messages_in_chinese(client, tiny_defaults):
    """Info lines, tables and errors follow the visitor's language (the page's cookie, else the
    browser's); a client that says nothing gets English."""
    from gradio_client import Client

    install(tiny_defaults)  # again: a test before may have served and forgotten them
    chinese = Client(client.src, headers={"Accept-Language": "zh-CN,zh;q=0.9"}, verbose=False, ssl_verify=False)
    _, table, info = chinese.predict(handle_file(examples.bus()), 0.25, 0.45, "yolov8n.pt", api_name="/detect")
    assert table["headers"][:2] == ["类别", "置信度"] and "运行于 `cpu`" in info and "找到：" in info
    assert {"公交车", "人"} <= {row[0] for row in table["data"]}  # COCO's classes, named in Chinese
    label, _ = chinese.predict(handle_file(examples.lion()), "resnet50", api_name="/classify_image")
    assert label["label"] == "猎豹"  # ImageNet's too (the stand-in always answers cheetah)
    resnet, clip, verdict = chinese.predict(handle_file(examples.lion()), "", False, CLIP, api_name="/compare")
    assert resnet["label"] == "猎豹" and "1000 个 ImageNet 类别" in verdict
    assert sum(not c["label"].isascii() for c in clip["confidences"]) == len(clip["confidences"])
    _, _, summary, *_ = chinese.predict(
        "你好 world", "openai-community/gpt2", "sentence-transformers/all-MiniLM-L6-v2", api_name="/tokenize"
    )
    assert "个字符切成" in summary
    tokenize = ("", "openai-community/gpt2", "sentence-transformers/all-MiniLM-L6-v2")
    with pytest.raises(Exception, match="请先输入一些文本（或点击一个示例）"):
        chinese.predict(*tokenize, api_name="/tokenize")
    switched = Client(
        client.src, headers={"Accept-Language": "zh-CN", "Cookie": "showcase-lang=en"}, verbose=False, ssl_verify=False
    )
    for english in (switched, client):
        with pytest.raises(Exception, match="Please enter some text first"):
            english.predict(*tokenize, api_name="/tokenize")
