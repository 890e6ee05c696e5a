"""Explain on the image tabs: what each explanation computes, that it means something on real
weights (deletion, model randomisation), and its refusals."""

import re

import cv2
import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image

import examples
import models
from harness import sanity, stand_ins
from models.errors import ShowcaseError
from models.yolo import Detections
from tasks import compare, detection, image_classification, segmentation, similarity, text_classification, zero_shot
from toolkit import box_explanations, class_explanations, heatmaps
from toolkit.inputs import open_image

MINILM = "sentence-transformers/all-MiniLM-L6-v2"


def test_the_class_activation_map_is_grad_cam_of_the_same_network():
    """For a network that pools its last maps and has one linear layer, Grad-CAM at the last
    convolution reduces to the class activation map: grad-cam's own GradCAM is the reference."""
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
    from torchvision.models import resnet18

    classifier = stand_ins.resnet()  # resnet18, seed 0: the same weights as below
    photo = open_image(examples.bus())
    (ranking,) = classifier.top_k([photo])
    torch.manual_seed(0)
    network = resnet18().eval()
    for rank, index in enumerate(ranking.indices[:3]):
        (found,) = classifier.class_maps([photo], [rank])
        assert found.class_index == index
        reference = GradCAM(model=network, target_layers=[network.layer4])(
            input_tensor=classifier.preprocess([photo]), targets=[ClassifierOutputTarget(index)]
        )[0]
        ours = cv2.resize(heatmaps.normalised(found.evidence), (224, 224))
        ours = (ours - ours.min()) / (ours.max() - ours.min())
        assert np.abs(ours - reference).max() < 0.01
        assert found.probability == pytest.approx(ranking.probabilities[rank], abs=1e-4)


def test_the_map_covers_the_square_the_network_sees():
    classifier = stand_ins.resnet()
    (found,) = classifier.class_maps([Image.new("RGB", (800, 400))], [0])
    # ResNet-50's weights resize the short side to 232 and keep the centre 224.
    side = 400 * 224 / 232
    assert found.region == (round(400 - side / 2), round(200 - side / 2), round(400 + side / 2), round(200 + side / 2))


def test_image_classification_explains_the_class_asked_for(tiny_defaults):
    stand_ins.install(tiny_defaults)
    shown, info = image_classification.explain(examples.lion(), "resnet50", 1, 0.5)
    assert shown.shape == np.asarray(open_image(examples.lion())).shape
    # The stand-in's head has no weights, only a bias for cheetah: nothing in a photo raises it.
    assert "Nothing in the photo raises the score of “cheetah”" in info
    heatmap, info = class_explanations.of_class(stand_ins.resnet(), open_image(examples.lion()), 2)
    assert "number 2 of the top 5" in info and heatmap.heat.max() == 1.0
    with pytest.raises(gr.Error, match="The rank must be from 1 to 5, got 6"):
        image_classification.explain(examples.lion(), "resnet50", 6, 0.5)
    with pytest.raises(gr.Error, match="no answer to explain yet: classify a photo first"):
        image_classification.explain_on_page(examples.lion(), "resnet50", None, 1, 0.5)


def test_clips_map_is_grad_cam_of_the_whole_network_from_its_last_block(monkeypatch):
    """The converted tower hands over the tokens entering the last block, and only that block is
    differentiated: grad-cam's GradCAM over the whole PyTorch model is the reference."""
    from pytorch_grad_cam import GradCAM

    from models.clip import LabelScore, token_grid
    from models.tensors import unit

    monkeypatch.setenv("SHOWCASE_PRECISION", "fp32")  # the converted weights as PyTorch's, not rounded to fp16
    clip = stand_ins.clip()
    network = stand_ins.clip().image_tower.network.model  # the same seeded weights, in PyTorch
    photo = open_image(examples.bus())
    labels = ["a bus", "a cat", "a lion"]
    vectors = clip.label_embeddings(models.clip.Labels(tuple(labels)))
    (ranking,) = clip.classify([photo], labels)

    class Embedding(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.network = network

        def forward(self, pixels):
            return unit(self.network.get_image_features(pixel_values=pixels).pooler_output)

    layer = network.vision_model.encoder.layers[-1].layer_norm1
    for rank, index in enumerate(ranking.indices):
        (found,) = clip.label_maps([photo], labels, False, [rank])
        assert found.class_index == index
        assert found.probability == pytest.approx(ranking.probabilities[rank], abs=1e-3)
        reference = GradCAM(Embedding(), [layer], token_grid)(
            input_tensor=clip.preprocess([photo]), targets=[LabelScore(vectors[index])]
        )[0]
        ours = cv2.resize(found.evidence, reference.shape[::-1])
        ours = (ours - ours.min()) / (ours.max() - ours.min())  # grad-cam scales again after resizing
        assert np.abs(ours - reference).max() < 0.01


def test_clips_map_covers_what_its_processor_keeps():
    clip = stand_ins.clip()  # resizes the short side to 32 and keeps the centre square
    assert clip.seen_region((800, 400)) == (200, 0, 600, 400)
    clip.image_processor.do_center_crop = False  # as Chinese-CLIP's: squeezed whole into its square
    clip.image_processor.size = {"height": 32, "width": 32}
    assert clip.seen_region((800, 400)) == (0, 0, 800, 400)


def test_zero_shot_and_compare_explain_their_answers(tiny_defaults):
    stand_ins.install(tiny_defaults)
    clip_id = zero_shot.TASK.default()
    shown, info = zero_shot.explain(examples.lion(), "lion, house cat, car", False, clip_id, 3, 0.5)
    assert shown.shape == np.asarray(open_image(examples.lion())).shape
    assert re.search(r"“\w[^”]*” \(\d+\.\d%, number 3\): Grad-CAM", info), info  # the label of rank 3 named
    with pytest.raises(gr.Error, match="The rank must be from 1 to 3, got 4"):
        zero_shot.explain(examples.lion(), "lion, house cat, car", False, clip_id, 4, 0.5)
    with pytest.raises(gr.Error, match="no answer to explain yet: classify a photo first"):
        zero_shot.explain_on_page(examples.lion(), "lion, cat", False, clip_id, None, 1, 0.5)
    theirs, clips, info = compare.explain(examples.lion(), "", False, clip_id, "resnet50", 0.5)
    assert theirs.shape == clips.shape == np.asarray(open_image(examples.lion())).shape
    assert "“cheetah”" in info and "its similarity to" in info  # both models' first answers
    with pytest.raises(gr.Error, match="no answer to explain yet: compare a photo first"):
        compare.explain_on_page(examples.lion(), "", False, clip_id, "resnet50", {"cat": 1.0}, None, 0.5, 0.5)


def test_a_tokens_effect_is_the_drop_when_it_alone_is_masked(tiny_defaults):
    stand_ins.install(tiny_defaults)
    model_id = text_classification.TASK.default()
    classifier = text_classification.TASK.load(model_id)
    text = "I loved every minute of it."
    (found,) = classifier.token_effects([text], [0])
    tokens = dict(classifier.encode(text, return_tensors="pt"))
    probability = classifier.forward(tokens).softmax(-1)[0, found.class_index]
    assert found.score == pytest.approx(float(probability), abs=1e-5)
    masked = tokens["input_ids"].clone()
    masked[0, 2] = classifier.tokenizer.mask_token_id  # "loved", after [CLS] and "i"
    drop = probability - classifier.forward({**tokens, "input_ids": masked}).softmax(-1)[0, found.class_index]
    assert text[slice(*found.spans[1])] == "loved"
    assert found.effects[1] == pytest.approx(float(drop), abs=1e-5)
    shown, info = text_classification.explain(f"{text}\nA second line.", model_id, 2)
    assert "".join(piece for piece, _ in shown) == text and "number 2" in info
    assert max(abs(effect) for _, effect in shown if effect is not None) == 1.0
    with pytest.raises(gr.Error, match="The rank must be from 1 to 2, got 3"):
        text_classification.explain(text, model_id, 3)
    with pytest.raises(gr.Error, match="no answer to explain yet: classify a text first"):
        text_classification.explain_on_page(text, model_id, None, 1)


def test_a_matchs_token_parts_add_up_to_its_cosine_and_mean_something(minilm):
    """On real all-MiniLM-L6-v2 weights: the alignment's parts sum to the cosine the tab ranks by, and
    masking a sentence's tokens with the largest parts lowers its similarity to the query more than
    masking as many at random (deletion, over the tab's example queries and sentences)."""
    query, sentence = similarity.QUERIES[0], "I forgot my login credentials and cannot sign in."
    (found,) = minilm.alignments([query], [sentence])
    (cosines,) = minilm.rank([query], [sentence]).rows
    assert found.cosine == pytest.approx(float(cosines[0]), abs=1e-4)
    assert found.query_tokens[:3] == ["[CLS]", "i", "can"] and found.parts.shape == (11, 13)
    drops = sanity.on_example_pairs(minilm)
    salient, random = np.median(drops, axis=0)
    assert salient > 1.5 * random and (drops[:, 0] > drops[:, 1]).mean() > 0.7
    figure, info = similarity.explain(query, similarity.EXAMPLE_SENTENCES, MINILM, 1)
    assert "“cannot”" in info and figure.axes[0].get_title().startswith("Each token pair's part of the cosine 0.")
    with pytest.raises(gr.Error, match="The row must be from 1 to 7, got 8"):
        similarity.explain(query, similarity.EXAMPLE_SENTENCES, MINILM, 8)
    with pytest.raises(gr.Error, match="no answer to explain yet: search first"):
        similarity.explain_on_page(query, similarity.EXAMPLE_SENTENCES, MINILM, None, 1)


def test_the_heat_is_placed_over_its_region_and_clipped_to_the_photo():
    heat = heatmaps.Heatmap(np.ones((2, 2), np.float32), (-10, 5, 30, 25))
    over = heat.over((20, 20))
    assert over[5:20, 0:20].all() and not over[:5].any()
    assert heatmaps.most_salient(np.arange(100.0).reshape(10, 10), (0, 0, 10, 10), 0.1).sum() == 10


def test_blanking_the_salient_pixels_of_a_box_hurts_it_more_than_random_ones(yolo):
    """Deletion on the 12 shared photos (their three most confident boxes each), with real YOLOv8n
    weights; and model randomisation: the saliency of re-randomised weights looks unlike it."""
    drops, correlations = sanity.on_shared_photos(yolo)
    salient, random = np.median(drops, axis=0)
    assert len(drops) >= 20
    assert salient > random + 0.1
    assert np.median(correlations) < 0.3


def test_a_box_is_explained_by_its_own_candidate_with_runner_ups(yolo):
    photo = open_image(examples.bus())
    (found,) = yolo.detect([photo], 0.25, 0.45)
    bus = found.class_ids.index(5)
    (saliency,) = yolo.explain_box(photo, found, bus)
    assert saliency.score == pytest.approx(found.confidences[bus], abs=0.02)
    assert len(saliency.runner_ups) == len(found.class_ids)
    runner_ups = [class_id for class_id, _ in saliency.runner_ups[bus]]
    assert len(runner_ups) == 3 and 5 not in runner_ups
    heat = heatmaps.Heatmap(saliency.heat, (0, 0, *photo.size)).over(photo.size)
    x1, y1, x2, y2 = (int(v) for v in found.boxes[bus])
    assert heat[y1:y2, x1:x2].mean() > 2 * heat[:y1].mean()  # hotter on the bus than above it


def test_detection_explains_a_picked_object_and_refuses_a_missing_one(yolo):
    shown, table, info = detection.explain(examples.bus(), 0.25, 0.45, "yolov8n.pt", 1, 0.5)
    assert shown.shape == np.asarray(open_image(examples.bus())).shape
    assert table["class"].iloc[0] == "bus" and len(table) >= 5
    assert table["next likeliest classes"].str.count("·").eq(2).all()
    assert "object 1, “bus”" in info and "HiResCAM" in info
    with pytest.raises(gr.Error, match="There is no object 40 in the answer: it has \\d+"):
        detection.explain(examples.bus(), 0.25, 0.45, "yolov8n.pt", 40, 0.5)
    with pytest.raises(gr.Error, match="no object to explain yet"):
        detection.explain_on_page(examples.bus(), 0.25, 0.45, "yolov8n.pt", None, 1, 0.5)


def test_cut_out_explains_only_the_objects_it_kept():
    segmenter = models.load("yolov8n-seg.pt")
    kept = segmentation.cut_out(segmenter, open_image(examples.bus()), "bus")
    shown, table, info = segmentation.explain(examples.bus(), "bus", 0.25, "yolov8n-seg.pt", 1, 0.5)
    assert len(table) == len(kept.table) == 1 and table["class"].iloc[0] == "bus"
    with pytest.raises(gr.Error, match="There is no object 2 in the answer: it has 1"):
        segmentation.explain(examples.bus(), "bus", 0.25, "yolov8n-seg.pt", 2, 0.5)
    with pytest.raises(gr.Error, match="nothing was found above the threshold"):
        segmentation.explain(examples.bus(), "bus", 0.99, "yolov8n-seg.pt", 1, 0.5)


def test_an_empty_detection_list_has_nothing_to_explain(yolo):
    with pytest.raises(ShowcaseError, match="nothing was found"):
        box_explanations.explained(yolo, open_image(examples.bus()), Detections([], [], []), [], 0, [])
