"""Whether explanations mean something, on models with real weights (tests and the explanation
benches): deletion (blanking what an explanation calls most important should hurt the answer more
than blanking as much at random: a YOLO box's pixels, a sentence's tokens for MiniLM) and model
randomisation (Adebayo et al., 2018: an explanation of random weights should look unlike that of
the trained ones)."""

from __future__ import annotations

import copy
import dataclasses
import threading

import cv2
import numpy as np
import torch
from PIL import Image
from scipy.stats import spearmanr

from harness.offline import PHOTOS
from models.box_saliency import PAD_VALUE
from models.sentence_encoder import MAX_TOKENS, SentenceEncoder
from models.token_ablation import mask_id
from models.yolo import Detections, Detector
from toolkit import heatmaps
from toolkit.inputs import open_image

FRACTION = 0.2


def heat_over(detector: Detector, photo: Image.Image, found: Detections, picked: int) -> np.ndarray:
    """The picked box's saliency at the photo's pixel size."""
    (saliency,) = detector.explain_box(photo, found, picked)
    return heatmaps.Heatmap(saliency.heat, (0, 0, *photo.size)).over(photo.size)


def random_pixels(shape: tuple[int, int], box: list[float], fraction: float, seed: int) -> np.ndarray:
    """A mask of a random `fraction` of the box's pixels."""
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    rows, columns = y2 - y1, x2 - x1
    picked = np.random.default_rng(seed).choice(rows * columns, round(rows * columns * fraction), replace=False)
    mask = np.zeros(shape, bool)
    mask[y1 + picked // columns, x1 + picked % columns] = True
    return mask


def blanked(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = rgb.copy()
    out[mask] = PAD_VALUE
    return out


def box_deletion(detector: Detector, photo: Image.Image, found: Detections, picked: int, seed: int = 0):
    """How much the box's confidence drops when the FRACTION of its pixels the saliency ranks highest
    are blanked grey, and when as many random ones are: (salient drop, random drop)."""
    rgb = np.asarray(photo)
    heat = heat_over(detector, photo, found, picked)
    box, class_id = found.boxes[picked], found.class_ids[picked]
    before = detector.box_score(rgb, box, class_id)
    salient = blanked(rgb, heatmaps.most_salient(heat, box, FRACTION))
    random = blanked(rgb, random_pixels(heat.shape, box, FRACTION, seed))
    return before - detector.box_score(salient, box, class_id), before - detector.box_score(random, box, class_id)


def randomised(detector: Detector, seed: int = 0) -> Detector:
    """The detector with its PyTorch network's weights drawn again at random (as at initialisation)."""
    network = copy.deepcopy(detector.network)
    torch.manual_seed(seed)
    for module in network.modules():
        if isinstance(module, (torch.nn.Conv2d, torch.nn.BatchNorm2d)):
            module.reset_parameters()
    return dataclasses.replace(detector, network=network, explain_lock=threading.Lock())


def on_shared_photos(detector: Detector, boxes_per_photo: int = 3) -> tuple[np.ndarray, list[float]]:
    """Both checks over the shared photos' most confident boxes: each box's (salient, random) drop,
    and the rank correlation of its heat with that of re-randomised weights."""
    randomised_detector = randomised(detector)
    drops, correlations = [], []
    for path in sorted(PHOTOS.glob("*.jpg")):
        photo = open_image(path)
        (found,) = detector.detect([photo], 0.25, 0.45)
        for picked in range(min(boxes_per_photo, len(found.class_ids))):
            drops.append(box_deletion(detector, photo, found, picked))
            trained = heat_over(detector, photo, found, picked)
            correlations.append(rank_correlation(trained, heat_over(randomised_detector, photo, found, picked)))
    return np.array(drops), correlations


def rank_correlation(a: np.ndarray, b: np.ndarray, cells: int = 64) -> float:
    """Spearman's rank correlation of two heatmaps, on a cells x cells grid."""
    small = [cv2.resize(h.astype(np.float32), (cells, cells), interpolation=cv2.INTER_AREA).ravel() for h in (a, b)]
    return float(spearmanr(*small).statistic)


def token_deletion(encoder: SentenceEncoder, query: str, sentence: str, seeds: int = 5) -> tuple[float, float]:
    """How much a query's cosine similarity to a sentence drops when FRACTION of the sentence's tokens
    (at least one) are masked: those with the largest parts of the cosine (Alignment), and as many
    at random (the mean over `seeds` draws)."""
    (alignment,) = encoder.alignments([query], [sentence])
    tokens = dict(encoder.encode(sentence, truncation=True, max_length=MAX_TOKENS, return_tensors="pt"))
    real = np.flatnonzero(~np.isin(tokens["input_ids"][0].numpy(), encoder.tokenizer.all_special_ids))
    count = max(1, round(FRACTION * len(real)))
    query_vector = encoder.embed([query])[0]

    def cosine_without(positions: np.ndarray) -> float:
        ids = tokens["input_ids"].clone()
        ids[0, positions] = mask_id(encoder.tokenizer)
        return float(encoder.forward({**tokens, "input_ids": ids})[0] @ query_vector)

    parts = alignment.parts.sum(axis=0)[real]
    salient = real[np.argsort(-parts, kind="stable")[:count]]
    generator = np.random.default_rng(0)
    at_random = [cosine_without(generator.choice(real, count, replace=False)) for _ in range(seeds)]
    return alignment.cosine - cosine_without(salient), alignment.cosine - float(np.mean(at_random))


def on_example_pairs(encoder: SentenceEncoder) -> np.ndarray:
    """token_deletion over the semantic search tab's examples: each English query with each sentence."""
    from tasks import similarity

    queries = [similarity.QUERIES[0], "Somebody is making music", "The economy is struggling"]
    sentences = similarity.EXAMPLE_SENTENCES.splitlines()
    return np.array([token_deletion(encoder, query, sentence) for query in queries for sentence in sentences])
