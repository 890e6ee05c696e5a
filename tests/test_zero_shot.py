import pytest
import torch

import examples
from harness import stand_ins
from models import clip as clip_family
from models.errors import ModelUnavailable, ShowcaseError
from tasks import zero_shot
from tests.rankings import as_matrix
from toolkit import inputs
from toolkit.inputs import open_image, parse_labels

IN_BROWSER = r"label prompts \d+ ms"  # what the tab shows after its first example


@pytest.mark.parametrize(
    "text, labels",
    [
        ("cat, dog,car", ["cat", "dog", "car"]),
        ("猫，狗、鸟", ["猫", "狗", "鸟"]),
        ("  red   panda ;\nCat, cat , dog", ["red panda", "Cat", "dog"]),
        ("one", ["one"]),
    ],
)
def test_labels_are_split_trimmed_and_deduplicated(text, labels):
    assert parse_labels(text) == labels


@pytest.mark.parametrize("text", ["", "   ", " , ,， ", None])
def test_no_labels_is_a_clear_error(text):
    with pytest.raises(ShowcaseError, match="at least one label"):
        parse_labels(text)


def test_too_many_labels_is_a_clear_error():
    with pytest.raises(ShowcaseError, match="too many"):
        parse_labels(",".join(f"label {i}" for i in range(inputs.MAX_LABELS + 1)))


def probabilities(clip, images: list, labels: list[str], ensemble: bool = False) -> torch.Tensor:
    """[images, labels]: each image's probability per label, in the labels' order."""
    return as_matrix(clip.classify([open_image(image) for image in images], labels, ensemble).rows, len(labels))


def test_probabilities_cover_every_label_and_sum_to_one(tiny_clip):
    labels = ["cat", "dog", "car"]
    shown = zero_shot.classify(tiny_clip, [open_image(examples.cheetah()), open_image(examples.bus())], labels)
    assert [set(top) for top, _ in shown] == [set(labels)] * 2
    torch.testing.assert_close(probabilities(tiny_clip, [examples.cheetah()], labels).sum(dim=1), torch.ones(1))
    assert [list(top.values()) for top, _ in shown] == [sorted(top.values(), reverse=True) for top, _ in shown]


def test_probabilities_are_clip_scaled_cosine_softmax(tiny_clip):
    """The model layer's answer (on the accelerated runtime) against CLIP's math in plain PyTorch."""
    labels = ["cat", "dog", "car"]
    image = open_image(examples.cheetah())
    result = probabilities(tiny_clip, [image], labels)
    assert tiny_clip.runtime == "OpenVINO"
    model = stand_ins.clip().image_tower.network.model  # the same seeded weights, never compiled
    with torch.no_grad():
        tokens = tiny_clip.tokenizer([f"a photo of a {label}." for label in labels], padding=True, return_tensors="pt")
        text = model.get_text_features(
            input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"]
        ).pooler_output
        pixels = tiny_clip.image_processor(images=[image], return_tensors="pt")["pixel_values"]
        picture = model.get_image_features(pixel_values=pixels).pooler_output
    text = text / text.norm(dim=-1, keepdim=True)
    picture = picture / picture.norm(dim=-1, keepdim=True)
    expected = (model.logit_scale.exp() * picture @ text.T).softmax(dim=-1)
    torch.testing.assert_close(result, expected, rtol=1e-4, atol=1e-5)


def test_ensemble_averages_the_templates(tiny_clip):
    labels = ["cat", "dog"]
    templates = tiny_clip.templates(ensemble=True)
    assert len(templates) == 7
    ensembled = tiny_clip.encode_prompts(labels, templates)
    singles = torch.stack([tiny_clip.encode_prompts(labels, (t,)) for t in templates], dim=1)
    mean = singles.mean(dim=1)
    torch.testing.assert_close(ensembled, mean / mean.norm(dim=-1, keepdim=True), rtol=1e-4, atol=1e-5)
    assert not torch.allclose(ensembled, singles[:, 0])


def test_text_embeddings_are_cached_per_label_set(tiny_clip, monkeypatch):
    calls = []
    original = clip_family.Clip.encode_prompts
    monkeypatch.setattr(
        clip_family.Clip, "encode_prompts", lambda self, labels, *a: calls.append(labels) or original(self, labels, *a)
    )
    labels = ["zebra", "giraffe", "cached label"]
    for _ in range(3):
        probabilities(tiny_clip, [examples.lion()], labels)
    probabilities(tiny_clip, [examples.lion()], labels, ensemble=True)
    assert calls == [labels, labels]


def test_a_batch_equals_one_by_one(tiny_clip):
    labels = ["cat", "dog", "bus"]
    images = [examples.cheetah(), examples.bus(), examples.tower()]
    batch = probabilities(tiny_clip, images, labels)
    for row, image in enumerate(images):
        torch.testing.assert_close(batch[row], probabilities(tiny_clip, [image], labels)[0], rtol=1e-4, atol=1e-5)


def test_five_hundred_labels(tiny_clip):
    labels = parse_labels(", ".join(f"thing number {i}" for i in range(500)))
    assert probabilities(tiny_clip, [examples.cheetah()], labels).shape == (1, 500)
    ((top, _),) = zero_shot.classify(tiny_clip, [open_image(examples.cheetah())], labels)
    assert len(top) == zero_shot.SHOWN_LABELS


def test_one_label_is_certain_and_explained(tiny_clip):
    ((top, info),) = zero_shot.classify(tiny_clip, [open_image(examples.cheetah())], ["cat"])
    assert top == {"cat": 1.0}
    assert "always 100%" in info


def test_chinese_labels(tiny_clip, tiny_chinese_clip):
    labels = parse_labels("猫, 狗, 狮子")
    assert tiny_chinese_clip.templates(False) == ("一张{}的照片。",)
    ids = tiny_chinese_clip.tokenizer("猫狗狮子", add_special_tokens=False)["input_ids"]
    assert len(ids) == 4 and tiny_chinese_clip.tokenizer.unk_token_id not in ids  # its vocabulary reads Chinese
    torch.testing.assert_close(
        probabilities(tiny_chinese_clip, [examples.lion()], labels, True).sum(), torch.tensor(1.0)
    )
    ((_, english_info),) = zero_shot.classify(tiny_clip, [open_image(examples.lion())], labels)
    ((_, chinese_info),) = zero_shot.classify(tiny_chinese_clip, [open_image(examples.lion())], labels)
    assert "does not read Chinese" in english_info and "chinese-clip" in english_info
    assert "does not read" not in chinese_info


def test_missing_weights_say_which_and_how():
    with pytest.raises(ModelUnavailable, match=r"'openai/clip-vit-base-patch32' could not be loaded.*HF_HOME"):
        clip_family.load("openai/clip-vit-base-patch32")
