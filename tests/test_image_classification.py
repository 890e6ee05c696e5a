import re

import pytest
import torch
from PIL import Image

import examples
import models
from harness import stand_ins
from harness.offline import IMAGENET_SAMPLE
from models import image_classifier
from models.errors import ModelUnavailable, ShowcaseError
from tasks import image_classification
from toolkit.inputs import open_image

IN_BROWSER = r"ResNet-50 \(IMAGENET1K_V2\)"  # what the tab shows after its first example


def test_preprocessing_is_exactly_the_weights_transforms(cheetah_resnet):
    image = Image.open(examples.bus()).convert("RGB")
    expected = image_classifier.weights_for("resnet50").transforms()(image)
    batch = cheetah_resnet.preprocess([image])
    assert batch.shape == (1, 3, 224, 224)
    assert torch.equal(batch[0], expected)


def test_top_label_is_the_class_the_head_picks(cheetah_resnet):
    ((top, info),) = image_classification.classify(cheetah_resnet, [open_image(examples.lion())])
    assert list(top)[0] == "cheetah"
    assert top["cheetah"] > 0.9
    assert len(top) == 5
    assert list(top.values()) == sorted(top.values(), reverse=True)
    assert re.search(r"\d+ ms", info)


def test_the_task_method_times_each_step_and_ranks_by_index(cheetah_resnet):
    answers = cheetah_resnet.top_k([open_image(examples.lion())], 5)
    assert list(answers.timings.ms) == ["preprocess", "forward", "postprocess"]
    assert all(ms > 0 for ms in answers.timings.ms.values())
    assert answers[0].first == 293 and cheetah_resnet.categories[293] == "cheetah"


def test_a_batch_equals_one_by_one():
    classifier = stand_ins.resnet()
    images = [open_image(i) for i in (examples.lion(), examples.bus(), IMAGENET_SAMPLE / "n01440764_tench.JPEG")]
    batch = classifier.top_k(images, 5)
    for row, image in enumerate(images):
        (single,) = classifier.top_k([image], 5)
        assert single.indices == batch[row].indices
        torch.testing.assert_close(single.probabilities, batch[row].probabilities, rtol=1e-4, atol=1e-4)


def test_categories_are_imagenet(cheetah_resnet):
    assert len(cheetah_resnet.categories) == 1000
    assert cheetah_resnet.categories[281] == "tabby"
    assert cheetah_resnet.weights_name == "IMAGENET1K_V2"  # the best weights torchvision has for ResNet-50


def test_missing_weights_say_which_and_how(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(ModelUnavailable, match=r"'resnet50' could not be loaded.*resnet50-11ad3fa6\.pth.*TORCH_HOME"):
        image_classifier.load("resnet50")


def test_unknown_model_is_refused():
    with pytest.raises(ShowcaseError, match="Unknown model 'vgg16' for Image classification"):
        image_classification.TASK.load("vgg16")


def test_a_model_added_to_spaces_yaml_needs_no_code(monkeypatch, tmp_path):
    """ResNet-34 is in no code: listed with a known family, it loads through torchvision's own weights."""
    from models import config

    entries = {**config.model_entries(), "resnet34": {"family": "image_classifier", "label": "ResNet-34"}}
    monkeypatch.setattr(config, "model_entries", lambda: entries)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(ModelUnavailable, match=r"'resnet34' could not be loaded.*resnet34-b627a593\.pth"):
        models.load("resnet34")
    stand_in = stand_ins.resnet("resnet34", top_class=0)
    assert stand_in.weights_name == "IMAGENET1K_V1" and stand_in.categories[0] == "tench"
