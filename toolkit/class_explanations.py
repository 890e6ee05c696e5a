"""Where an image classifier's class or CLIP's label lies in a photo, and the line that says so:
the explanations of the image classification, zero-shot and CLIP vs ResNet tabs."""

from __future__ import annotations

from models.clip import Clip, Labels
from models.image_classifier import DATASET, ImageClassifier
from toolkit import heatmaps, ui
from toolkit.messages import class_names, message


def of_class(classifier: ImageClassifier, image, rank: int) -> tuple[heatmaps.Heatmap, str]:
    """Where the evidence for the photo's class number `rank` of the top 5 lies, and the line that says so."""
    answer = classifier.class_maps([image], [rank - 1])
    (found,) = answer
    name = class_names(DATASET, classifier.categories)[found.class_index]
    evidence = heatmaps.normalised(found.evidence)
    if not evidence.any():
        note = message("Nothing in the photo raises the score of “{name}”: the map is empty.", name=name)
    else:
        note = message(
            "The brighter, the more that part of the photo raises the score of “{name}” ({probability:.1%}, "
            "number {rank} of the top 5): its class activation map, which is Grad-CAM for this network. "
            "The frame is the square the model sees.",
            name=name,
            probability=found.probability,
            rank=rank,
        )
    heatmap = heatmaps.Heatmap(evidence, found.region)
    return heatmap, ui.run_info(classifier, answer.timings.total_ms, note)


def of_label(
    clip: Clip, image, labels: Labels, names: list[str], ensemble: bool, rank: int
) -> tuple[heatmaps.Heatmap, str]:
    """Where the evidence for the photo's label number `rank` lies (names: the labels as shown), and
    the line that says so."""
    answer = clip.label_maps([image], labels, ensemble, [rank - 1])
    (found,) = answer
    name = names[found.class_index]
    evidence = heatmaps.normalised(found.evidence)
    if not evidence.any():
        note = message("Nothing in the photo raises its similarity to “{name}”: the map is empty.", name=name)
    else:
        note = message(
            "The brighter, the more that part of the photo raises its similarity to “{name}” ({probability:.1%}, "
            "number {rank}): Grad-CAM at the patches entering CLIP's last transformer block. The frame is the "
            "part of the photo the model sees.",
            name=name,
            probability=found.probability,
            rank=rank,
        )
    return heatmaps.Heatmap(evidence, found.region), ui.run_info(clip, answer.timings.total_ms, note)
