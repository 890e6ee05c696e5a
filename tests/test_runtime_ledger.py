"""The runtime ledger: the input on screen through a copy of the model on every runtime here."""

import functools
import re

import pandas as pd
import pytest
import torch

import examples
import models
from harness import stand_ins
from models import ledger, runtime
from models.errors import ShowcaseError
from toolkit import runtime_ledger

AGREEMENT = "Agreement with PyTorch fp32"


def rows(table: pd.DataFrame) -> dict[str, dict]:
    return {row["Runtime"]: row for row in table.to_dict("records")}


def with_recipe(model_id: str) -> None:
    """A tiny stand-in installed as the stand-in server does: with how to build it again."""
    models.backend().install(model_id, stand_ins.build(model_id), functools.partial(stand_ins.build, model_id))


def every_runtime_listed(table: pd.DataFrame) -> dict[str, dict]:
    """Each runtime has its row: times and agreement where it runs here, why not where it cannot."""
    found = rows(table)
    assert list(found) == list(ledger.RUNTIMES)
    assert found["PyTorch fp32"][AGREEMENT] == "(the reference)" and found["PyTorch fp32"]["Speed-up"] == "1.00x"
    for name in ("PyTorch fp32", "OpenVINO fp32", "OpenVINO INT8"):
        assert float(found[name]["Total (ms)"]) > 0 and float(found[name]["Network (ms)"].split()[0]) > 0
        assert found[name]["Speed-up"].endswith("x")
    assert found["OpenVINO fp32"]["Precision"] == "fp32"
    if not runtime.computes_bf16():
        assert found["OpenVINO bf16"][AGREEMENT] == "Not here: This CPU has no bf16 (AVX-512 BF16 or AMX)."
    if not torch.cuda.is_available():
        assert found["CUDA fp16"][AGREEMENT] == "Not here: No CUDA GPU on this machine."
    return found


def test_the_ledger_of_a_detection_matches_every_box_of_pytorch(yolo):
    """Real YOLOv8n weights: OpenVINO fp32 finds each box PyTorch finds in the bus photo, INT8 too."""
    table, line = runtime_ledger.api("detection", "yolov8n.pt", examples.bus())
    found = every_runtime_listed(table)
    assert found["OpenVINO fp32"][AGREEMENT].startswith("6 of 6 boxes matched (mean IoU 1.00)")
    assert "boxes matched" in found["OpenVINO INT8"][AGREEMENT] and found["OpenVINO INT8"]["Precision"] == "int8"
    assert line.startswith("Every runtime measured: medians of 5 runs after one warm-up. Fastest here:")


def test_the_ledger_of_an_image_classification_compares_the_top_5():
    with_recipe("resnet50")
    table, _ = runtime_ledger.api("image_classification", "resnet50", examples.cheetah())
    found = every_runtime_listed(table)
    assert found["OpenVINO fp32"][AGREEMENT].startswith("top-1 the same (")
    assert "top-5 overlap 5/5" in found["OpenVINO fp32"][AGREEMENT]


def test_the_ledger_of_a_text_classification_measures_the_first_line():
    model_id = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
    with_recipe(model_id)
    table, _ = runtime_ledger.api("text_classification", model_id, text="I loved it.\nI hated it.")
    found = every_runtime_listed(table)
    assert "top-1 the same" in found["OpenVINO fp32"][AGREEMENT]
    assert "largest probability change 0.000" in found["OpenVINO fp32"][AGREEMENT]


def test_one_ledger_at_a_time_and_stop_frees_its_copy():
    with_recipe("resnet50")
    calls = runtime_ledger.ledger_call_for("image_classification", "resnet50", examples.lion())
    running = runtime_ledger.runs(calls)
    assert next(running)[1] is None  # PyTorch's copy built; the ledger holds the server's turn
    with pytest.raises(ShowcaseError, match="Another visitor's runtime ledger is running"):
        runtime_ledger.api("image_classification", "resnet50", examples.lion())
    running.close()  # Stop, between two steps
    assert not runtime_ledger._running.locked()
    table, _ = runtime_ledger.api("image_classification", "resnet50", examples.lion())
    assert len(table) == len(ledger.RUNTIMES)


def test_a_tab_without_a_ledger_is_refused_with_the_ones_that_have_one():
    with pytest.raises(ShowcaseError, match="The runtime ledger runs on the tabs .*'detection'.*; got 'tokenizer'"):
        runtime_ledger.api("tokenizer", "openai-community/gpt2", text="hello")


def test_the_ledger_of_a_cut_out_matches_every_box_of_pytorch():
    """Real YOLOv8n-seg weights."""
    table, _ = runtime_ledger.api("segmentation", "yolov8n-seg.pt", examples.zidane())
    found = every_runtime_listed(table)
    assert re.match(r"(\d+) of \1 boxes matched", found["OpenVINO fp32"][AGREEMENT])


def test_the_ledger_of_a_zero_shot_answer_compares_the_labels():
    with_recipe("openai/clip-vit-base-patch32")
    labels = "a bus, a tram, a truck, people, a bicycle"
    table, _ = runtime_ledger.api("zero_shot", "openai/clip-vit-base-patch32", examples.bus(), labels)
    found = every_runtime_listed(table)
    assert "top-5 overlap 5/5" in found["OpenVINO fp32"][AGREEMENT]


def test_the_ledger_of_a_search_compares_the_ranking(minilm):
    """Real all-MiniLM-L6-v2 weights: the query on the first line, the sentences after it."""
    text = "How do I reset my password?\nI forgot my login\nThe weather is lovely\nMy card was declined"
    table, _ = runtime_ledger.api("similarity", "sentence-transformers/all-MiniLM-L6-v2", text=text)
    found = every_runtime_listed(table)
    assert found["OpenVINO fp32"][AGREEMENT].startswith("3 of 3 places in the ranking the same")
    with pytest.raises(ShowcaseError, match="Put the sentences to search after the query"):
        runtime_ledger.api("similarity", "sentence-transformers/all-MiniLM-L6-v2", text="a query alone")


def test_the_ledger_of_a_generation_compares_its_tokens():
    with_recipe("openai-community/gpt2")
    table, _ = runtime_ledger.api("generation", "openai-community/gpt2", text="The city at night")
    found = every_runtime_listed(table)
    assert found["OpenVINO fp32"][AGREEMENT] == "identical tokens (60 of 60)"
    assert found["OpenVINO INT8"]["Precision"] == "fp32, int8 weights"


def test_the_ledger_of_clip_vs_resnet_measures_both_models():
    """Each model against its own PyTorch fp32, named beside each runtime."""
    with_recipe("resnet50")
    with_recipe("openai/clip-vit-base-patch32")
    labels = "cheetah, leopard, lion, house cat, dog"
    table, line = runtime_ledger.api("compare", "openai/clip-vit-base-patch32", examples.cheetah(), labels)
    clip = models.label("openai/clip-vit-base-patch32")
    assert table["Runtime"].tolist() == [
        f"{model} · {name}" for model in ("ResNet-50", clip) for name in ledger.RUNTIMES
    ]
    assert table["Agreement with PyTorch fp32"].tolist().count("(the reference)") == 2
    for model in ("ResNet-50", clip):
        assert f"{model} · OpenVINO" in line  # each model's fastest runtime
