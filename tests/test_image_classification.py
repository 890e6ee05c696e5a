import pytest
import torch
from PIL import Image

import examples
from tasks import common, image_classification
from tests import random_models
from tests.conftest import IMAGENET_SAMPLE


def test_preprocessing_is_exactly_the_weights_transforms(cheetah_resnet):
    image = Image.open(examples.bus()).convert("RGB")
    weights = image_classification.weights_for("resnet50")
    expected = weights.transforms()(image)
    batch = image_classification.preprocess(cheetah_resnet, [image])
    assert batch.shape == (1, 3, 224, 224)
    assert torch.equal(batch[0], expected)


def test_top_label_is_the_class_the_head_picks(cheetah_resnet):
    (top,), ms = image_classification.classify(cheetah_resnet, [examples.lion()])
    assert list(top)[0] == "cheetah"
    assert top["cheetah"] > 0.9
    assert len(top) == 5
    assert list(top.values()) == sorted(top.values(), reverse=True)
    assert ms > 0


def test_a_batch_equals_one_by_one():
    classifier = random_models.resnet()
    images = [examples.lion(), examples.bus(), str(IMAGENET_SAMPLE / "n01440764_tench.JPEG")]
    batch = image_classification.forward(classifier, image_classification.preprocess(classifier, [common.open_image(i) for i in images]))
    for row, image in enumerate(images):
        single = image_classification.forward(classifier, image_classification.preprocess(classifier, [common.open_image(image)]))
        torch.testing.assert_close(batch[row], single[0], rtol=1e-4, atol=1e-4)


def test_categories_are_imagenet(cheetah_resnet):
    assert len(cheetah_resnet.categories) == 1000
    assert cheetah_resnet.categories[281] == "tabby"


def test_missing_weights_say_which_and_how(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(common.ModelUnavailable, match=r"'resnet50' could not be loaded.*resnet50-11ad3fa6\.pth.*TORCH_HOME"):
        image_classification.load_model("resnet50")


def test_unknown_model_is_refused():
    with pytest.raises(common.ShowcaseError, match="Unknown classifier"):
        image_classification.get_model("vgg16")
