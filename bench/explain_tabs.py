"""What explaining costs on the tabs of CLIP, text classification, semantic search and few-shot
images, against answering; the alternative measured and not chosen; the round trip a visitor waits
for; and whether the search explanation means something (deletion on the real MiniLM weights).

    python -m bench.explain_tabs [--rounds 5]

CLIP ViT-B/32, DistilBERT (SST-2) and ResNet-50 have random weights here (full size: their speed
does not depend on the weights' values); all-MiniLM-L6-v2 has its real weights.
"""

from __future__ import annotations

import argparse

from harness import offline  # noqa: F401  (first: offline model caches, before huggingface_hub reads them)

# isort: split

import time

import numpy as np
import torch
from gradio_client import handle_file

import examples
import models
from bench import machine
from bench.explain_images import median_ms
from harness import sanity, stand_ins
from harness.server import serve
from models import runtime
from models.clip import Labels
from models.sentence_encoder import pretrained
from tasks import finetune_image, image_classification, similarity, text_classification, zero_shot
from toolkit.inputs import open_image

LABELS = ["cheetah", "leopard", "lion", "house cat", "dog"]
SENTENCE = "This movie was a masterpiece: moving, funny and beautifully shot."
QUERY = similarity.QUERIES[0]


def clip_row(rounds: int) -> tuple:
    photo = open_image(examples.cheetah())
    clip = stand_ins.clip(tiny=False)
    plain = stand_ins.clip(tiny=False).image_tower.network.model  # the same network, kept in PyTorch
    labels = clip.label_embeddings(Labels(tuple(LABELS)))

    def pytorch() -> None:
        with torch.inference_mode():
            features = plain.get_image_features(pixel_values=clip.preprocess([photo])).pooler_output
            (clip.logit_scale * torch.nn.functional.normalize(features, dim=-1) @ labels.T).softmax(-1)

    return (
        "CLIP ViT-B/32: Grad-CAM of a label, last block only",
        median_ms(pytorch, rounds),
        median_ms(lambda: clip.classify([photo], LABELS), rounds),
        median_ms(lambda: clip.label_maps([photo], LABELS, False, [0]), rounds),
    )


def text_rows(rounds: int) -> list[tuple]:
    """DistilBERT: occlusion on the converted network (chosen) against Integrated Gradients on a kept
    PyTorch copy (Captum's LayerIntegratedGradients over the embeddings, 50 steps)."""
    from captum.attr import LayerIntegratedGradients

    classifier = stand_ins.sentiment(tiny=False)
    plain = stand_ins.sentiment(tiny=False).logits.network  # the same network, in PyTorch
    tokens = dict(classifier.encode(SENTENCE, return_tensors="pt"))

    def pytorch() -> None:
        with torch.inference_mode():
            plain(**tokens).logits.softmax(-1)

    def integrated_gradients() -> None:
        def forward(input_ids, attention_mask):
            return plain(input_ids=input_ids, attention_mask=attention_mask).logits.softmax(-1)[:, 0]

        baseline = torch.full_like(tokens["input_ids"], classifier.tokenizer.pad_token_id)
        LayerIntegratedGradients(forward, plain.distilbert.embeddings).attribute(
            tokens["input_ids"],
            baselines=baseline,
            additional_forward_args=(tokens["attention_mask"],),
            n_steps=50,
            internal_batch_size=50,
        )

    predict_ms = median_ms(pytorch, rounds)
    answer_ms = median_ms(lambda: classifier.classify([SENTENCE]), rounds)
    return [
        (
            "DistilBERT: token occlusion on OpenVINO (chosen)",
            predict_ms,
            answer_ms,
            median_ms(lambda: classifier.token_effects([SENTENCE], [0]), rounds),
        ),
        (
            "DistilBERT: Integrated Gradients on PyTorch (not chosen)",
            predict_ms,
            answer_ms,
            median_ms(integrated_gradients, rounds),
        ),
    ]


def search_row(rounds: int) -> tuple:
    encoder = models.load(similarity.TASK.default())
    sentences = similarity.EXAMPLE_SENTENCES.splitlines()
    plain = pretrained(similarity.TASK.default()).eval()  # the same weights, in PyTorch
    tokens = encoder.preprocess([QUERY, sentences[6]])

    def pytorch() -> None:
        with torch.inference_mode():
            plain(**tokens)

    return (
        "all-MiniLM-L6-v2 (real weights): token alignment of a match",
        median_ms(pytorch, rounds),
        median_ms(lambda: encoder.rank([QUERY], [sentences[6]]), rounds),
        median_ms(lambda: encoder.alignments([QUERY], [sentences[6]]), rounds),
    )


def few_shot_row(rounds: int) -> tuple:
    photos = [open_image(path) for path in sorted(offline.PHOTOS.glob("*.jpg"))]
    backbone = stand_ins.resnet(tiny=False)
    labels = ["first half" if i < len(photos) // 2 else "second half" for i in range(len(photos))]
    features = finetune_image.embed_all(backbone, photos)
    model = finetune_image.fit("resnet50", backbone, photos, features, labels)
    photo = open_image(examples.bus())
    return (
        "Few-shot on ResNet-50: nearest training images",
        float("nan"),
        median_ms(lambda: model.classify(photo), rounds),
        median_ms(lambda: model.explain(photo), rounds),
    )


def round_trips(rounds: int) -> list[tuple[str, float, float]]:
    """Each tab's answer and its explanation through gradio_client, on the app served here."""
    cheetah, bus = handle_file(examples.cheetah()), handle_file(examples.bus())
    labels = ", ".join(LABELS)
    pairs = {
        "Image classification": (
            ("/classify_image", cheetah, image_classification.TASK.default()),
            ("/explain_classify_image", cheetah, image_classification.TASK.default(), 1, 0.5),
        ),
        "Zero-shot": (
            ("/zero_shot", cheetah, labels, False, zero_shot.TASK.default()),
            ("/explain_zero_shot", cheetah, labels, False, zero_shot.TASK.default(), 1, 0.5),
        ),
        "Detection": (
            ("/detect", bus, 0.25, 0.45, "yolov8n.pt"),
            ("/explain_detect", bus, 0.25, 0.45, "yolov8n.pt", 1, 0.5),
        ),
        "Text classification": (
            ("/classify_text", SENTENCE, text_classification.TASK.default()),
            ("/explain_classify_text", SENTENCE, text_classification.TASK.default(), 1),
        ),
        "Semantic search": (
            ("/similarity", QUERY, similarity.EXAMPLE_SENTENCES, similarity.TASK.default()),
            ("/explain_similarity", QUERY, similarity.EXAMPLE_SENTENCES, similarity.TASK.default(), 1),
        ),
    }
    rows = []
    for client in serve(stand_ins.defaults(tiny=False)):
        for tab, calls in pairs.items():
            answer, explanation = (
                median_ms(lambda call=call, client=client: client.predict(*call[1:], api_name=call[0]), rounds)
                for call in calls
            )
            rows.append((tab, answer, explanation))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    print(f"{machine()}, OpenVINO {runtime.openvino_version()}; medians of {args.rounds} rounds after a warm call\n")
    print("In process (the model layer's task-level methods):\n")
    print("| model: explanation | PyTorch fp32 predict ms | app's answer ms | explain ms | explain / PyTorch predict |")
    print("|---|---:|---:|---:|---:|")
    rows = [clip_row(args.rounds), *text_rows(args.rounds), search_row(args.rounds), few_shot_row(args.rounds)]
    for name, pytorch_ms, answer_ms, explain_ms in rows:
        ratio = f"{explain_ms / pytorch_ms:.2f}x" if pytorch_ms == pytorch_ms else "-"
        shown = f"{pytorch_ms:.0f}" if pytorch_ms == pytorch_ms else "-"
        print(f"| {name} | {shown} | {answer_ms:.0f} | {explain_ms:.0f} | {ratio} |")
    print("\nRound trip through gradio_client (the app served here, full-size stand-ins):\n")
    print("| tab | answer ms | Explain ms | Explain / answer |")
    print("|---|---:|---:|---:|")
    for tab, answer_ms, explain_ms in round_trips(args.rounds):
        print(f"| {tab} | {answer_ms:.0f} | {explain_ms:.0f} | {explain_ms / answer_ms:.2f}x |")
    drops = sanity.on_example_pairs(models.load(similarity.TASK.default()))
    salient, random = np.median(drops, axis=0)
    print(f"\nDeletion, all-MiniLM-L6-v2, {len(drops)} query-sentence pairs of the semantic search tab's examples:")
    print(f"  median similarity drop, the 20% of the sentence's tokens with the largest parts masked: {salient:.3f};")
    share = (drops[:, 0] > drops[:, 1]).mean()
    print(f"  as many random tokens masked: {random:.3f}; pairs where the first drops more: {share:.0%}")
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
