"""Where an image classifier's class or CLIP's label lies in a photo, and the line that says so:
the explanations of the image classification, zero-shot and CLIP vs ResNet tabs."""

from __future__ import annotations

from i18n import N_
from models.base import Answers, ClassMap, LoadedModel
from models.clip import Clip, Labels
from models.image_classifier import DATASET, ImageClassifier
from toolkit import heatmaps, ui
from toolkit.messages import class_names, message

# What each line says: the map of a class (or label) of a rank, or that nothing raises its score.
CLASS_MAP = N_(
    "The brighter, the more that part of the photo raises the score of “{name}” ({probability:.1%}, "
    "number {rank} of the top 5): its class activation map, which is Grad-CAM for this network. "
    "The frame is the square the model sees."
)
NO_CLASS_MAP = N_("Nothing in the photo raises the score of “{name}”: the map is empty.")
LABEL_MAP = N_(
    "The brighter, the more that part of the photo raises its similarity to “{name}” ({probability:.1%}, "
    "number {rank}): Grad-CAM at the patches entering CLIP's last transformer block. The frame is the "
    "part of the photo the model sees."
)
NO_LABEL_MAP = N_("Nothing in the photo raises its similarity to “{name}”: the map is empty.")


def of_class(classifier: ImageClassifier, image, rank: int) -> tuple[heatmaps.Heatmap, str]:
    """Where the evidence for the photo's class number `rank` of the top 5 lies, and the line that says so."""
    answer = classifier.class_maps([image], [rank - 1])
    name = class_names(DATASET, classifier.categories)[answer[0].class_index]
    return described(classifier, answer, name, rank, CLASS_MAP, NO_CLASS_MAP)


def of_label(
    clip: Clip, image, labels: Labels, names: list[str], ensemble: bool, rank: int
) -> tuple[heatmaps.Heatmap, str]:
    """Where the evidence for the photo's label number `rank` lies (names: the labels as shown), and
    the line that says so."""
    answer = clip.label_maps([image], labels, ensemble, [rank - 1])
    return described(clip, answer, names[answer[0].class_index], rank, LABEL_MAP, NO_LABEL_MAP)


def described(
    model: LoadedModel, answer: Answers[ClassMap], name: str, rank: int, found: str, empty: str
) -> tuple[heatmaps.Heatmap, str]:
    """The map over the part of the photo it covers, and the line: `found`, or `empty` when nothing is positive."""
    (class_map,) = answer
    evidence = heatmaps.normalised(class_map.evidence)
    if evidence.any():
        note = message(found, name=name, probability=class_map.probability, rank=rank)
    else:
        note = message(empty, name=name)
    return heatmaps.Heatmap(evidence, class_map.region), ui.run_info(model, answer.timings.total_ms, note)
