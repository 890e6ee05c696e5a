"""The model layer: its registry of spaces.yaml's models, the cache, devices and batched forwards."""

import threading
import time

import pytest
import torch

import models
from models import config
from models.base import Answers, Ranking, Timings
from models.cache import ModelCache
from models.device import inference_dtype, pick_device
from models.errors import ModelUnavailable, ShowcaseError
from models.tensors import chunked


def test_cache_loads_once_under_concurrent_first_requests():
    cache = ModelCache()
    loads = []

    def slow_loader():
        loads.append(1)
        time.sleep(0.2)
        return object()

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("m", slow_loader))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(loads) == 1
    assert len({id(r) for r in results}) == 1


def test_cache_retries_a_failed_load():
    cache = ModelCache()

    def failing():
        raise ModelUnavailable("offline")

    with pytest.raises(ModelUnavailable):
        cache.get("m", failing)
    assert cache.get("m", lambda: "loaded") == "loaded"


def test_device_and_precision(monkeypatch):
    monkeypatch.setenv("SHOWCASE_DEVICE", "cpu")
    assert pick_device() == torch.device("cpu")
    assert inference_dtype(torch.device("cpu")) == torch.float32
    assert inference_dtype(torch.device("cuda")) == torch.float16


def test_every_listed_model_has_a_known_family():
    assert models.problems() == []
    for model_id in config.model_entries():
        assert models.family(models.family_of(model_id)).load  # each family module loads by id


def test_an_unlisted_model_is_refused_before_anything_loads():
    with pytest.raises(ShowcaseError, match="'evil/model' is not listed in spaces.yaml"):
        models.load("evil/model")


def test_a_bad_family_is_reported(monkeypatch):
    entries = {**config.model_entries(), "mystery": {"family": "telepathy"}, "odd": {"family": "yolo", "colour": "red"}}
    monkeypatch.setattr(config, "model_entries", lambda: entries)
    found = models.problems()
    assert any("'mystery' needs a family" in p for p in found)
    assert any("'odd' has unknown fields ['colour']" in p for p in found)


def test_a_clip_model_reading_a_language_without_prompts_is_reported(monkeypatch):
    entries = {**config.model_entries(), "someone/japanese-clip": {"family": "clip", "languages": ["ja"]}}
    monkeypatch.setattr(config, "model_entries", lambda: entries)
    assert "spaces.yaml: prompts has no templates in a language 'someone/japanese-clip' reads." in models.problems()


def test_serve_options_for_no_family_are_reported(monkeypatch):
    spaces = {**config.spaces(), "serve": {**config.spaces()["serve"], "yolov8": {"num_replicas": 2}}}
    monkeypatch.setattr(config, "spaces", lambda: spaces)
    assert models.problems() == [
        f"spaces.yaml: serve: 'yolov8' is not a model family (one of {', '.join(models.FAMILIES)}, or default)."
    ]


def test_stand_ins_are_served_under_their_id(empty_model_cache, tiny_clip):
    models.backend().install("openai/clip-vit-base-patch32", tiny_clip)
    assert models.load("openai/clip-vit-base-patch32") is tiny_clip
    assert models.backend().is_loaded("openai/clip-vit-base-patch32") and not models.backend().is_loaded(
        "openai/clip-vit-base-patch16"
    )


def test_a_tokenizer_loads_without_its_weights(empty_model_cache):
    tokenizer = models.load_tokenizer("openai-community/gpt2")  # ../shared has no GPT-2 weights
    assert tokenizer("Hello world")["input_ids"] == [15496, 995]
    with pytest.raises(ModelUnavailable):
        models.load("openai-community/gpt2")
    with pytest.raises(ShowcaseError, match="not a Hugging Face model"):
        models.load_tokenizer("yolov8n.pt")


def test_offline_default_is_the_first_model_that_can_load_here():
    assert models.default(["yolo11n.pt", "yolov8n.pt"]) == "yolov8n.pt"  # yolo11n.pt is not on disk here
    assert models.default(["openai/clip-vit-base-patch32"]) == "openai/clip-vit-base-patch32"


def test_chunked_forward_equals_one_pass():
    rows = torch.arange(10.0).reshape(10, 1)
    calls = []

    def forward(part):
        calls.append(len(part))
        return part * 2

    assert torch.equal(chunked(forward, rows, 4), rows * 2)
    assert calls == [4, 4, 2]
    assert torch.equal(
        chunked(lambda part: torch.tensor([len(s) for s in part]), ["a", "bb", "ccc"], 2), torch.tensor([1, 2, 3])
    )


def test_a_ranking_is_most_likely_first_by_index_and_named_rounded():
    ranking = Ranking.of(torch.tensor([0.1, 0.654321, 0.245679]))
    assert ranking.indices == [1, 2, 0] and ranking.first == 1
    assert ranking.named(["a", "b", "c"]) == {"b": 0.6543, "c": 0.2457, "a": 0.1}
    assert list(Ranking.of([0.2, 0.5, 0.3], k=2).named(["a", "b", "c"])) == ["b", "c"]
    assert Ranking.of([0.2, 0.5, 0.3]).named(["一", "二", "三"], k=1) == {"二": 0.5}


def test_answers_split_back_into_each_callers_rows():
    answers = Answers(["a", "b", "c", "d"], Timings({"forward": 8.0}))
    first, second = answers.split([1, 3])
    assert (first.rows, second.rows) == (["a"], ["b", "c", "d"]) and second.timings["forward"] == 8.0
