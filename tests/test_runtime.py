"""The accelerated CPU runtime: conversion on first use, the disk cache, fallback to PyTorch, parity."""

import logging
import threading
import time

import numpy as np
import pytest
import torch
from PIL import Image

import examples
import models
from harness import stand_ins
from models import runtime
from models import yolo as yolo_family
from models.cache import ModelCache
from models.clip import Labels
from models.decoding import Decoding
from models.runtime import Runner
from toolkit import ui

CPU = torch.device("cpu")


def tiny_network(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten()
    )


def expected(network: torch.nn.Module, batch: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return network(batch)


def test_first_call_converts_keeps_it_on_disk_and_frees_pytorch(monkeypatch, tmp_path):
    monkeypatch.setenv("SHOWCASE_CACHE", str(tmp_path))
    batch = torch.rand(2, 3, 32, 32)
    runner = Runner(tiny_network(), "test/net", "body", CPU, torch.float32)
    assert runner.runtime == "PyTorch"  # nothing converted before the first call
    answer = runner(input=batch)
    torch.testing.assert_close(answer, expected(tiny_network(), batch), rtol=1e-4, atol=1e-5)
    assert runner.runtime == "OpenVINO" and runner.precision == "fp32" and runner.network is None
    assert runner.converted_s is not None
    assert [p.name.split("-")[0] for p in (tmp_path / "test--net").glob("*.xml")] == ["body"]
    # Another shape (batch and size) through the same compiled network.
    other = torch.rand(5, 3, 48, 40)
    torch.testing.assert_close(runner(input=other), expected(tiny_network(), other), rtol=1e-4, atol=1e-5)

    again = Runner(tiny_network(), "test/net", "body", CPU, torch.float32)
    again(input=batch)
    assert again.runtime == "OpenVINO" and again.converted_s is None  # read back, not converted

    different = Runner(tiny_network(seed=1), "test/net", "body", CPU, torch.float32)
    torch.testing.assert_close(different(input=batch), expected(tiny_network(seed=1), batch), rtol=1e-4, atol=1e-5)
    assert len(list((tmp_path / "test--net").glob("*.xml"))) == 2  # other weights, another file


def test_a_failed_conversion_runs_in_pytorch_with_a_log_line(monkeypatch, tmp_path, caplog):
    import openvino

    monkeypatch.setenv("SHOWCASE_CACHE", str(tmp_path))

    def broken(*args, **kwargs):
        raise RuntimeError("unsupported operation")

    monkeypatch.setattr(openvino, "convert_model", broken)
    batch = torch.rand(1, 3, 16, 16)
    runner = Runner(tiny_network(), "test/broken", "body", CPU, torch.float32)
    with caplog.at_level(logging.WARNING, logger="showcase"):
        answer = runner(input=batch)
    torch.testing.assert_close(answer, expected(tiny_network(), batch))
    assert runner.runtime == "PyTorch"
    assert "OpenVINO conversion failed (RuntimeError: unsupported operation); running in PyTorch" in caplog.text
    assert not list(tmp_path.rglob("*.xml"))


def test_showcase_runtime_torch_keeps_pytorch(monkeypatch, tmp_path):
    monkeypatch.setenv("SHOWCASE_CACHE", str(tmp_path))
    monkeypatch.setenv("SHOWCASE_RUNTIME", "torch")
    classifier = stand_ins.resnet()
    classifier.forward(classifier.preprocess([Image.new("RGB", (64, 64))]))
    assert classifier.runtime == "PyTorch" and classifier.precision == "fp32"
    assert not list(tmp_path.rglob("*.xml"))
    assert not runtime.wanted(torch.device("cuda"))  # CUDA keeps PyTorch half precision


def test_every_family_agrees_with_pytorch_on_the_accelerated_runtime(monkeypatch):
    """Each family's stand-in on OpenVINO against the same seeded weights kept in PyTorch."""
    photos = [Image.open(examples.cheetah()).convert("RGB"), Image.open(examples.bus()).convert("RGB")]
    fast = stand_ins.resnet()
    monkeypatch.setenv("SHOWCASE_RUNTIME", "torch")
    plain = stand_ins.resnet()
    monkeypatch.delenv("SHOWCASE_RUNTIME")
    batch = fast.preprocess(photos)
    torch.testing.assert_close(fast.forward(batch), plain.forward(batch), rtol=1e-3, atol=1e-4)
    assert (fast.runtime, plain.runtime) == ("OpenVINO", "PyTorch")

    sentences = ["short", "a considerably longer sentence, so the batch is padded", "与中文混合的一句话"]
    encoder = models.load("sentence-transformers/all-MiniLM-L6-v2")  # real weights
    reference = encoder.network()
    tokens = encoder.preprocess(sentences)
    with torch.inference_mode():
        states = reference(**tokens).last_hidden_state
    mask = tokens["attention_mask"].unsqueeze(-1).float()
    mean = torch.nn.functional.normalize((states * mask).sum(1) / mask.sum(1), dim=-1)
    assert encoder.runtime == "OpenVINO"
    assert (encoder.embed(sentences) * mean).sum(dim=1).min() > 0.9999


def finds_what_pytorch_finds(detector, monkeypatch, confidence_gap: float) -> None:
    """Every box PyTorch finds in the bus photo above 0.5 confidence, found again by `detector`."""
    import torchvision

    photo = detector.preprocess(Image.open(examples.bus()).convert("RGB"))
    accelerated = detector.forward([photo], 0.25, 0.45)[0].boxes
    monkeypatch.setenv("SHOWCASE_RUNTIME", "torch")
    plain = yolo_family.load("yolov8n.pt")
    monkeypatch.delenv("SHOWCASE_RUNTIME")
    assert plain.runtime == "PyTorch"
    reference = plain.forward([photo], 0.25, 0.45)[0].boxes
    strong = reference.conf > 0.5
    assert strong.sum() >= 4  # the bus and the people
    overlaps = torchvision.ops.box_iou(reference.xyxy[strong], accelerated.xyxy)
    for row, (cls, conf) in enumerate(zip(reference.cls[strong], reference.conf[strong])):
        match = int(overlaps[row].argmax())
        assert overlaps[row, match] > 0.9 and accelerated.cls[match] == cls
        assert abs(float(accelerated.conf[match] - conf)) < confidence_gap


def test_yolo_export_finds_what_pytorch_finds(yolo, monkeypatch):
    """Its precision is OpenVINO's default, bf16 on some CPUs: boxes near the threshold may come and go."""
    assert yolo.runtime == "OpenVINO"
    finds_what_pytorch_finds(yolo, monkeypatch, confidence_gap=0.05)


def test_yolo_in_int8_finds_what_pytorch_finds(monkeypatch, tmp_path):
    """Quantized on the example photos (real weights), kept in a folder named by that set and NNCF's version."""
    monkeypatch.setenv("SHOWCASE_CACHE", str(tmp_path))
    with runtime.choosing(runtime.Choice(precision="int8")):
        detector = yolo_family.load("yolov8n.pt")
    assert (detector.runtime, detector.precision) == ("OpenVINO", "int8")
    assert detector.take_conversion_seconds() > 0
    [folder] = tmp_path.rglob(f"yolov8n_int8-*-nncf{runtime.nncf_version()}_openvino_model")
    assert (folder / "metadata.yaml").is_file() and not list(tmp_path.rglob("*.partial"))
    finds_what_pytorch_finds(detector, monkeypatch, confidence_gap=0.1)


def test_yolo_computes_in_the_precision_asked_for():
    """Ultralytics compiles the export with options of its own: asked for fp32, the detector computes
    in fp32 on a CPU where OpenVINO would pick bf16 (it ran bf16 there); asked for bf16, in bf16 on a
    CPU that has it. Ultralytics' later compiles (per input shape, on AMX) ask for it too, on every CPU."""
    asked = ["fp32", "bf16"] if runtime.computes_bf16() else ["fp32"]
    for precision in asked:
        with runtime.choosing(runtime.Choice(precision=precision)):
            detector = yolo_family.load("yolov8n.pt")
            hint = runtime.compile_options()["INFERENCE_PRECISION_HINT"]
        detector.warm()
        backend = detector.model.predictor.model.backend
        assert backend.compile_model.keywords["config"]["INFERENCE_PRECISION_HINT"] == hint
        compiled = backend.ov_compiled_model.get_property("INFERENCE_PRECISION_HINT").to_string()
        assert runtime.PRECISION_NAMES[compiled] == precision


def test_int8_is_calibrated_on_the_example_photos_and_keeps_the_answer(monkeypatch, tmp_path):
    monkeypatch.setenv("SHOWCASE_CACHE", str(tmp_path))
    photos = [Image.open(examples.cheetah()).convert("RGB"), Image.open(examples.bus()).convert("RGB")]
    monkeypatch.setenv("SHOWCASE_RUNTIME", "torch")
    plain = stand_ins.resnet()
    monkeypatch.delenv("SHOWCASE_RUNTIME")
    with runtime.choosing(runtime.Choice(precision="int8")):
        quantized = stand_ins.resnet()
    batch = plain.preprocess(photos)
    cosine = torch.nn.functional.cosine_similarity(quantized.features(batch), plain.features(batch))
    assert cosine.min() > 0.98, cosine
    assert (quantized.runtime, quantized.precision) == ("OpenVINO", "int8")
    [path] = tmp_path.rglob("*.xml")
    assert "-int8-" in path.name and f"-nncf{runtime.nncf_version()}-" in path.name

    # Another calibration set (the photos the project ships changed): quantized again, not read back.
    monkeypatch.setattr(examples, "photos", lambda: [examples.bus()])
    with runtime.choosing(runtime.Choice(precision="int8")):
        again = stand_ins.resnet()
    again.features(batch)
    assert again.take_conversion_seconds() > 0 and len(list(tmp_path.rglob("*.xml"))) == 2


def test_showcase_precision_int8_quantizes_and_the_decode_step_compresses_its_weights(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("SHOWCASE_CACHE", str(tmp_path))
    monkeypatch.setenv("SHOWCASE_PRECISION", "int8")
    classifier = stand_ins.sentiment()
    classifier.warm()
    assert classifier.precision == "int8"  # calibrated on the English reviews, DistilBERT's inputs only
    greedy = Decoding(strategy="greedy", max_new_tokens=8)
    compressed = stand_ins.gpt2()
    compressed.warm()
    assert compressed.precision == "fp32, int8 weights"  # no calibration set: its weights alone
    monkeypatch.setenv("SHOWCASE_PRECISION", "fp32")
    full = stand_ins.gpt2()
    assert [*compressed.stream("The city", greedy)][-1].text == [*full.stream("The city", greedy)][-1].text

    monkeypatch.setenv("SHOWCASE_PRECISION", "int4")
    with caplog.at_level(logging.WARNING, logger="showcase"):
        assert runtime.chosen().precision == ""
    assert "SHOWCASE_PRECISION=int4 is none of fp32, bf16, int8" in caplog.text


def test_large_label_sets_are_kept_on_disk(monkeypatch, tmp_path):
    monkeypatch.setenv("SHOWCASE_CACHE", str(tmp_path))
    labels = Labels(tuple(f"class {n}" for n in range(120)))
    first = stand_ins.clip().label_embeddings(labels)
    assert len(list(tmp_path.rglob("labels-*.pt"))) == 1
    later = stand_ins.clip()  # a restart: same weights, nothing in memory
    later.warm()  # as models.load does

    def never(*args, **kwargs):
        raise AssertionError("the label set was computed again")

    monkeypatch.setattr(later, "encode_prompts", never)
    torch.testing.assert_close(later.label_embeddings(labels), first)
    with pytest.raises(AssertionError):
        later.label_embeddings(Labels(labels.names[:3]))  # small sets are not written to disk


def test_the_info_line_names_the_runtime_and_the_first_conversion_once(monkeypatch, tmp_path):
    monkeypatch.setenv("SHOWCASE_CACHE", str(tmp_path))
    classifier = stand_ins.resnet()
    classifier.warm()
    line = ui.run_info(classifier, 12.3)
    assert "(OpenVINO fp32) · 12 ms" in line and "First use: converted to OpenVINO in" in line
    assert "First use" not in ui.run_info(classifier, 10.0)


def test_a_request_waiting_for_a_warming_model_is_told(monkeypatch):
    cache = ModelCache()
    told = []
    cache.on_wait = told.append
    loading = threading.Event()

    def slow():
        loading.set()
        time.sleep(0.3)
        return "model"

    warm_up = threading.Thread(target=cache.get, args=("m", slow))
    warm_up.start()
    loading.wait()
    assert cache.get("m", slow) == "model"
    warm_up.join()
    assert told == ["m"]
    cache.get("m", slow)
    assert told == ["m"]  # loaded: nobody waits


def test_by_default_weights_are_stored_in_fp16_and_answers_stay_close(monkeypatch, tmp_path):
    monkeypatch.setenv("SHOWCASE_CACHE", str(tmp_path))
    monkeypatch.delenv("SHOWCASE_PRECISION", raising=False)
    batch = torch.rand(2, 3, 32, 32)
    runner = Runner(tiny_network(), "test/net", "body", CPU, torch.float32)
    answer = runner(input=batch)
    assert [p.name.split("-")[2] for p in (tmp_path / "test--net").glob("*.xml")] == ["fp16"]
    assert runner.precision in ("fp32, fp16 weights", "bf16")
    torch.testing.assert_close(answer, expected(tiny_network(), batch), rtol=2e-2, atol=2e-3)


def test_a_warmed_encoder_drops_pytorch_and_loads_it_again_for_attention():
    from models import sentence_encoder

    encoder = sentence_encoder.load("sentence-transformers/all-MiniLM-L6-v2")
    encoder.warm()
    assert encoder.model is None and encoder.runtime == "OpenVINO"
    weights = encoder.attentions("The cat sat.", 32).weights
    assert encoder.model is not None and weights.shape[:2] == encoder.shape
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-4)


def gpt2_pair(monkeypatch):
    """(accelerated, PyTorch) tiny GPT-2s with the same seeded weights."""
    fast = stand_ins.gpt2()
    fast.warm()
    monkeypatch.setenv("SHOWCASE_RUNTIME", "torch")
    plain = stand_ins.gpt2()
    monkeypatch.delenv("SHOWCASE_RUNTIME")
    return fast, plain


def streamed(model, prompt: str, **settings) -> tuple[list[str], int]:
    from tasks import generation

    updates = list(generation.stream(model, prompt, Decoding(**settings)))
    return [update.text for update in updates], updates[-1].tokens


def test_gpt2_generates_through_its_decode_step_as_generate_does(monkeypatch):
    """On the accelerated runtime GPT-2's tokens come from the converted decode step (its key/value
    cache as explicit tensors), streamed, and greedy decoding writes what transformers' generate writes,
    penalties included; beam search still runs through generate."""
    fast, plain = gpt2_pair(monkeypatch)
    assert (fast.runtime, plain.runtime, plain.decoder) == ("OpenVINO", "PyTorch", None)
    assert fast.model is None  # the PyTorch copy is dropped once the step is compiled
    for settings in (
        {"strategy": "greedy"},
        {"strategy": "greedy", "repetition_penalty": 1.5, "no_repeat_ngram_size": 2},
        {"strategy": "sampling", "seed": 3},
        {"strategy": "beam search"},
    ):
        texts, tokens = streamed(fast, "The history of the city", max_new_tokens=20, **settings)
        assert (
            tokens == 20
            and texts[-1] == streamed(plain, "The history of the city", max_new_tokens=20, **settings)[0][-1]
        )
    assert len(set(streamed(fast, "The history of the city", max_new_tokens=40, strategy="sampling", seed=3)[0])) > 3
    assert list(runtime.cache_dir().rglob("decode-step-*.xml")), "the decode step is kept on disk"


def test_the_decode_step_never_takes_one_row_alone(monkeypatch):
    """A one-token prompt and each new token go through the step after a copy of themselves (OpenVINO
    would lay the weights out again for one-row inputs) that is never cached, and the text is still
    generate's."""
    fast, plain = gpt2_pair(monkeypatch)
    rows, slots, outputs = [], [], fast.decoder.step.outputs

    def counted(**inputs):
        rows.append(inputs["input_ids"].shape[1])
        answer = outputs(**inputs)
        slots.append(answer[1].shape[3])  # the keys' cache positions, the empty slot included
        return answer

    monkeypatch.setattr(fast.decoder.step, "outputs", counted)
    assert fast.tokenizer("Hello")["input_ids"] == [15496]
    texts, _ = streamed(fast, "Hello", max_new_tokens=12, strategy="greedy")
    assert rows == [2] * 12 and slots == list(range(2, 14))
    assert texts[-1] == streamed(plain, "Hello", max_new_tokens=12, strategy="greedy")[0][-1]


def test_gpt2_sampling_on_the_decode_step_is_seeded(monkeypatch):
    """Sampling on the decode step repeats itself with the same seed and not with another. (Stop on
    the decode step: tests/test_generation.py, whose tiny GPT-2 runs on it.)"""
    fast, _ = gpt2_pair(monkeypatch)
    first = streamed(fast, "Once upon a time", max_new_tokens=30, strategy="sampling", seed=7)[0][-1]
    assert first == streamed(fast, "Once upon a time", max_new_tokens=30, strategy="sampling", seed=7)[0][-1]
    assert first != streamed(fast, "Once upon a time", max_new_tokens=30, strategy="sampling", seed=8)[0][-1]


def test_a_generation_that_converts_the_decode_step_says_so(monkeypatch, tmp_path, empty_model_cache):
    """With --lazy the first /generate converts GPT-2's decode step; its info line says so, once."""
    from tasks import generation

    monkeypatch.setenv("SHOWCASE_CACHE", str(tmp_path))
    models.backend().install("openai-community/gpt2", stand_ins.gpt2())  # loaded, not warmed: as --lazy leaves it
    lines = [
        list(generation.run("Hello", "openai-community/gpt2", 5, "greedy", 1.0, 0, 1.0, 0, 1.0, -1))[-1][1]
        for _ in range(2)
    ]
    assert "(OpenVINO fp32)" in lines[0] and "First use: converted to OpenVINO in" in lines[0]
    assert "First use" not in lines[1]
