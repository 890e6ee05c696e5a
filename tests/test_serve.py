"""The Ray Serve backend (models/remote.py): the tabs' own functions, unchanged, on a local Ray
instance of 2 CPUs serving YOLO and MiniLM (real weights) and a tiny GPT-2 stand-in."""

from __future__ import annotations

import functools
import json
import threading
import time

import numpy as np
import pytest
import ray
import torch
from ray import serve

import examples
import models
from harness import stand_ins
from models.backend import Embedded
from models.decoding import Decoding
from models.errors import ShowcaseError
from models.remote import RemoteModel
from tasks import detection, generation, similarity
from toolkit.inputs import open_image

MINILM, YOLO, GPT2 = "sentence-transformers/all-MiniLM-L6-v2", "yolov8n.pt", "openai-community/gpt2"
QUERY, SENTENCES = "I can't log in", similarity.EXAMPLE_SENTENCES  # one per line
SETTINGS = Decoding(max_new_tokens=12, strategy="greedy")


def detections(image) -> list[list]:
    return detection.run(image, 0.25, 0.45, YOLO)[1].values.tolist()


def ranking() -> list[list]:
    return similarity.run(QUERY, SENTENCES, MINILM)[0].values.tolist()


@pytest.fixture(scope="module")
def embedded(yolo, minilm, tiny_gpt2):
    """The answers of the embedded backend, before the switch."""
    bus = examples.bus()
    return {
        "detections": detections(bus),
        "ranking": ranking(),
        "bus": bus,
        "text": list(generation.stream(tiny_gpt2, "Hello there", SETTINGS))[-1].text,
        "explained": detection.explain(bus, 0.25, 0.45, YOLO, 2, 0.5),
        "aligned": similarity.explain(QUERY, SENTENCES, MINILM, 2),
    }


@pytest.fixture(scope="module")
def on_serve(embedded):
    """Models on Ray Serve for this module: MiniLM with two replicas, the rest with one."""
    kept = models._backend  # the embedded models stay loaded for the other modules
    models._backend = Embedded()
    models.serve_on_ray(
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=256 * 2**20,
        overrides={"sentence_encoder": {"num_replicas": 2}},
        setup=functools.partial(stand_ins.install_defaults, tiny=True),
    )
    yield
    models.stop_serving_on_ray()
    models._backend = kept


def test_yolo_and_minilm_on_serve_answer_as_embedded(embedded, on_serve):
    assert isinstance(models.load(YOLO), RemoteModel) and isinstance(models.load(MINILM), RemoteModel)
    assert detections(embedded["bus"]) == embedded["detections"]
    assert "bus" in [row[0] for row in embedded["detections"]]
    assert ranking() == embedded["ranking"]
    _, _, info = similarity.run(QUERY, SENTENCES, MINILM)
    assert "OpenVINO" in info  # the replica's runtime, named in the tab's info line


def test_objects_are_tracked_and_counted_in_the_app_on_what_the_replica_detects(on_serve):
    """Each stream's tracker lives in the app, fed the detections the replica returns: the counting
    example counts as exactly on Ray Serve as embedded (tests/test_counting.py)."""
    table, _, info = detection.count_objects(
        examples.counting_clip(), json.dumps(examples.COUNTING_SHAPES), 0.25, 0.45, YOLO
    )
    assert table.astype(object).where(table.notna(), None).values.tolist() == [
        ["Door", "line", "person", 1, 1, None, None, None, None],
        ["Corner", "zone", "person", None, None, 1, 1, 2.8, 2.8],
    ]
    assert "2 followed" in info


def test_a_box_is_explained_in_the_replica_as_embedded(embedded, on_serve):
    """The explanation's gradients are taken where the model runs: the replica's PyTorch network."""
    shown, table, info = detection.explain(embedded["bus"], 0.25, 0.45, YOLO, 2, 0.5)
    expected_shown, expected_table, _ = embedded["explained"]
    assert table.values.tolist() == expected_table.values.tolist()
    assert "object 2, “person”" in info and "OpenVINO" in info
    assert np.abs(shown.astype(int) - expected_shown.astype(int)).mean() < 1


def test_a_match_is_explained_in_the_replica_as_embedded(embedded, on_serve):
    """The token states of a search's alignment map come from the replica: the same map, the same tokens named."""
    figure, info = similarity.explain(QUERY, SENTENCES, MINILM, 2)
    expected_figure, expected_info = embedded["aligned"]
    np.testing.assert_allclose(
        figure.axes[0].images[0].get_array(), expected_figure.axes[0].images[0].get_array(), atol=1e-3
    )
    assert info.split("\n\n")[-1] == expected_info.split("\n\n")[-1] and "Match 2:" in info


def test_concurrent_calls_joined_in_a_replica_each_get_their_own_rows(minilm, on_serve):
    """MiniLM's embed is batched across requests (models.sentence_encoder.BATCHED): eight callers
    with different numbers of sentences each get the embeddings of theirs."""
    from concurrent.futures import ThreadPoolExecutor

    encoder = models.load(MINILM)
    lines = SENTENCES.splitlines()
    asked = [lines[: 1 + i % len(lines)] for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(encoder.embed, asked))
    for sentences, answer in zip(asked, answers):
        assert answer.shape[0] == len(sentences)
        assert torch.nn.functional.cosine_similarity(answer, minilm.embed(sentences)).min() > 0.9999


def test_a_comparison_asks_each_model_once(on_serve, monkeypatch):
    """/compare on one photo: one replica call to the ImageNet classifier and one to CLIP, the label
    set's embeddings computed (and kept) in CLIP's replica; the same again for a second photo."""
    from tasks import compare

    calls = []
    call = RemoteModel._call
    monkeypatch.setattr(
        RemoteModel,
        "_call",
        lambda self, method, *a, **k: calls.append((self._model_id, method)) or call(self, method, *a, **k),
    )
    no_progress = lambda *args, **kwargs: None  # noqa: E731
    clip_id = compare.TASK.default("clip")
    for photo in (examples.cheetah(), examples.bus()):
        calls.clear()
        theirs, clips, verdict = compare.run(photo, "", False, clip_id, progress=no_progress)
        assert sorted(calls) == [(clip_id, "classify"), ("resnet50", "top_k")], calls
        assert len(theirs) == len(clips) == 5 and "1,000 ImageNet classes" in verdict


def test_a_model_error_in_a_replica_reaches_the_tab_as_it_is(on_serve):
    with pytest.raises(ShowcaseError, match="could not be loaded"):
        models.load("openai/clip-vit-base-patch16")  # no weights here, and no stand-in: the replica says so


def test_generation_streams_through_serve_and_stop_ends_it_in_the_replica(embedded, on_serve):
    generator = models.load(GPT2)
    updates = list(generation.stream(generator, "Hello there", SETTINGS))
    assert len(updates) > 2 and updates[-1].text == embedded["text"]

    # Stop: the replica's generation ends well before a whole one would (tiny GPT-2 is fast, so time it).
    replica, whole = models.backend().deployment("causal_lm"), Decoding(max_new_tokens=500, strategy="greedy")
    started = time.monotonic()
    assert list(generation.stream(generator, "Once upon a time", whole))[-1].tokens == 500
    whole_s, started = time.monotonic() - started, time.monotonic()
    stream = generation.stream(generator, "Once upon a time", whole)
    next(stream), next(stream)
    stream.close()  # what Stop does
    while replica.generations.remote().result() and time.monotonic() - started < 30:
        time.sleep(0.01)
    assert replica.generations.remote().result() == 0
    assert time.monotonic() - started < whole_s / 2, "the stopped generation ran on in the replica"


def replicas(family: str) -> dict[str, int]:
    return serve.status().applications[family].deployments[family].replica_states


def replica_actors(family: str) -> list[str]:
    """The names of the family's live replica actors."""
    return [
        actor["name"]
        for actor in ray.util.list_named_actors(all_namespaces=True)
        if actor["name"].startswith(f"SERVE_REPLICA::{family}")
    ]


def replaced(family: str, victim: str, count: int) -> bool:
    """Whether a new replica runs in the victim's place. Serve's status still counts a killed replica
    as running until its controller notices, so the actors are checked too."""
    actors = replica_actors(family)
    return victim not in actors and len(actors) == count and replicas(family) == {"RUNNING": count}


def test_a_killed_replica_is_replaced_and_its_requests_get_a_message(on_serve):
    """Four clients search while one of MiniLM's two replicas is killed: each request is answered or
    told what happened (none hangs), a new replica takes its place, and every request after succeeds."""
    encoder = models.load(MINILM)
    outcomes, stop = [], threading.Event()

    def client():
        while not stop.is_set():
            started = time.monotonic()
            try:
                encoder.embed([QUERY, *SENTENCES.splitlines()])
                outcomes.append(("answered", time.monotonic() - started))
            except ShowcaseError as error:
                outcomes.append((str(error), time.monotonic() - started))

    clients = [threading.Thread(target=client) for _ in range(4)]
    for thread in clients:
        thread.start()
    time.sleep(2)
    victim = replica_actors("sentence_encoder")[0]
    ray.kill(ray.get_actor(victim, namespace="serve"), no_restart=True)
    killed_at = len(outcomes)
    deadline = time.monotonic() + 120
    while not replaced("sentence_encoder", victim, 2) and time.monotonic() < deadline:
        time.sleep(0.5)
    recovered_at = len(outcomes)
    time.sleep(3)
    stop.set()
    for thread in clients:
        thread.join(timeout=60)

    assert replaced("sentence_encoder", victim, 2), "the killed replica was not replaced"
    failures = {what for what, _ in outcomes if what != "answered"}
    assert failures <= {
        f"The worker running {MINILM} stopped while answering; it is being replaced. Try again in a few seconds."
    }, failures
    assert max(seconds for _, seconds in outcomes) < 30, "a request hung"
    assert killed_at > 0 and all(what == "answered" for what, _ in outcomes[recovered_at:])
    assert len(outcomes) - recovered_at >= 8


def test_a_generation_whose_replica_dies_ends_with_a_message(on_serve):
    stream = generation.stream(models.load(GPT2), "Once upon a time", Decoding(max_new_tokens=500, strategy="greedy"))
    next(stream)
    victim = replica_actors("causal_lm")[0]
    ray.kill(ray.get_actor(victim, namespace="serve"), no_restart=True)
    with pytest.raises(ShowcaseError, match=f"The worker running {GPT2} stopped while answering"):
        list(stream)


def test_a_family_whose_replicas_cannot_be_placed_is_refused_with_a_message(on_serve, monkeypatch):
    """More CPUs per replica than the instance has: serve.run would wait for ever; the tab is told."""
    from models import remote

    monkeypatch.setattr(remote, "DEPLOY_TIMEOUT_S", 3.0)
    backend = models.backend()
    monkeypatch.setitem(backend.overrides, "sequence_classifier", {"ray_actor_options": {"num_cpus": 8}})
    assert "sequence_classifier" not in backend.deployments
    try:
        with pytest.raises(ShowcaseError, match="No worker for sequence_classifier models could be started"):
            models.load("distilbert/distilbert-base-uncased-finetuned-sst-2-english")
    finally:
        serve.delete("sequence_classifier")


def test_labels_and_tokens_are_explained_in_the_replica(on_serve):
    """CLIP's Grad-CAM (its last block's gradients) and a text classifier's token ablation run in the
    replica, on the same seeded stand-ins as here: the same maps, the same effects. (After the test
    above, which needs the text classifiers' family not deployed yet.)"""
    from tasks import text_classification, zero_shot

    photo, labels = open_image(examples.lion()), ["lion", "house cat", "car"]
    clip_id, classifier_id = zero_shot.TASK.default(), text_classification.TASK.default()
    (remote,) = models.load(clip_id).label_maps([photo], labels, False, [1])
    (local,) = stand_ins.build(clip_id).label_maps([photo], labels, False, [1])
    assert remote.class_index == local.class_index
    np.testing.assert_allclose(remote.evidence, local.evidence, atol=0.02)
    text = "I loved every minute of it."
    (remote,) = models.load(classifier_id).token_effects([text], [0])
    (local,) = stand_ins.build(classifier_id).token_effects([text], [0])
    assert remote.spans == local.spans and remote.class_index == local.class_index
    np.testing.assert_allclose(remote.effects, local.effects, atol=1e-3)


def test_the_runtime_ledger_runs_in_the_replica(on_serve, monkeypatch):
    """The copies are built and timed where the model runs: this process's ledger is never called."""
    from models import ledger
    from toolkit import runtime_ledger

    def not_here(*args, **kwargs):
        raise AssertionError("the ledger ran in the app's process")

    monkeypatch.setattr(ledger, "measure", not_here)
    table, line = runtime_ledger.api("detection", YOLO, examples.bus())
    found = {row["Runtime"]: row for row in table.to_dict("records")}
    assert list(found) == list(ledger.RUNTIMES)
    assert found["OpenVINO fp32"]["Agreement with PyTorch fp32"].startswith("6 of 6 boxes matched")
    assert found["OpenVINO INT8"]["Precision"] == "int8" and line.startswith("Every runtime measured")
