import pytest
import torch

import models
from models import contrastive
from tasks import self_supervised
from tests.images import coloured, make_zip
from toolkit import image_data

IN_BROWSER = r"Linear probe, \d-fold cross-validated on \d+ labelled images of 10 classes"  # once it pretrained


def fill_in_browser(panel, tmp_path, expect) -> None:
    """A short run: the CIFAR-10 sample (offline), 3 epochs."""
    epochs = panel.get_by_label("number input for Epochs")
    epochs.fill("3")
    epochs.press("Enter")


def quiet(*args, **kwargs) -> None:
    """gr.Progress's place outside Gradio."""


@pytest.fixture(scope="module")
def cifar():
    """The real CIFAR-10 test images of ../shared (CIFAR-10 itself cannot be downloaded here)."""
    return image_data.cifar10(200)


def test_offline_cifar10_is_the_sample_with_its_classes(cifar):
    assert len(cifar.images) == 200 and cifar.images[0].size == (32, 32)
    assert cifar.counts() == {
        name: 20 for name in ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
    }


def test_without_cifar10_or_a_stand_in_the_tab_says_to_upload(monkeypatch):
    monkeypatch.delenv("SHOWCASE_CIFAR10_DIR")
    with pytest.raises(models.ShowcaseError, match="CIFAR-10 could not be downloaded .*upload your own images"):
        image_data.cifar10(100)


def test_nt_xent_rewards_views_that_agree():
    torch.manual_seed(0)
    views = torch.randn(16, 64)
    agreeing = contrastive.nt_xent(views, views + 0.01 * torch.randn(16, 64))
    unrelated = contrastive.nt_xent(views, torch.randn(16, 64))
    assert agreeing + 1 < unrelated  # about log(31) when a view cannot tell its partner from 30 others


def test_a_few_contrastive_steps_lower_the_loss_on_real_images(cifar):
    """The loss on the same augmented views, before and after 40 steps of pretraining."""
    torch.manual_seed(0)
    pixels = contrastive.to_pixels(cifar.images[::2])
    first, second = contrastive.two_views(pixels, contrastive.augmentation())
    start = contrastive.new(seed=0)

    def loss(encoder) -> float:
        with torch.no_grad():
            return contrastive.nt_xent(encoder.network(first), encoder.network(second)).item()

    *_, result = self_supervised.pretrain(
        image_data.LabelledImages(cifar.images[::2], cifar.labels[::2]), epochs=20, batch_size=50, learning_rate=1e-3
    )
    assert len(result.losses) == 40
    assert loss(result.encoder) < 0.9 * loss(start)  # log(199) at the random start; 15% lower after


def test_pretraining_beats_random_weights_in_a_linear_probe(cifar):
    """What the tab shows: the pretrained encoder's probe against the same CNN's random start."""
    torch.manual_seed(0)
    *_, result = self_supervised.pretrain(cifar, epochs=20, batch_size=64, learning_rate=1e-3)
    evaluation = self_supervised.evaluate(result)
    accuracy = {row["encoder"]: float(row["probe accuracy"].rstrip("%")) for _, row in evaluation.table.iterrows()}
    assert accuracy["Self-supervised (pretrained here)"] > accuracy["Same CNN, random weights"] + 3
    assert list(evaluation.table["folds"]) == [5, 5]


def test_the_encoder_round_trips_through_its_file(tmp_path, cifar):
    encoder = contrastive.new(seed=5)
    encoder.trained_on = "200 images, 1 epochs"
    encoder.save(tmp_path / "encoder.safetensors")
    again = contrastive.read(tmp_path / "encoder.safetensors")
    assert torch.allclose(encoder.embed_images(cifar.images[:4]), again.embed_images(cifar.images[:4]))
    assert again.trained_on == "200 images, 1 epochs"
    from safetensors.torch import save_file

    save_file({"weight": torch.zeros(2)}, tmp_path / "other.safetensors")
    with pytest.raises(models.ShowcaseError, match="not an encoder from the Self-supervised tab"):
        contrastive.read(tmp_path / "other.safetensors")


def test_neighbours_and_the_map():
    features = torch.nn.functional.normalize(torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0]]), dim=1)
    assert [i for i, _ in self_supervised.neighbours(features, 0, k=3)] == [1, 2, 3]
    points = self_supervised.projection(features, ["a", "a", "b", ""])
    assert list(points.columns) == ["x", "y", "class"] and list(points["class"])[-1] == "(unlabelled)"


def test_the_tab_pretrains_probes_and_finds_neighbours(empty_model_cache, cheetah_resnet):
    """The handler end to end on the CIFAR-10 sample: loss streamed, probes against random weights
    and ImageNet features, the encoder offered for download, neighbours of a picked image."""
    from types import SimpleNamespace

    models.backend().install("resnet50", cheetah_resnet)
    updates = list(self_supervised.run(self_supervised.CIFAR10, None, 200, 2, 64, 1e-3, progress=quiet))
    assert len(updates) > 2 and "Epoch 1/2" in updates[0][0]
    summary, losses, table, points, pickable, download, state = updates[-1]
    assert (
        "Pretrained on **200 images** for 2 epochs" in summary and len(losses) == 6
    )  # 3 whole batches of 64 per epoch
    assert list(table["encoder"]) == [
        "Self-supervised (pretrained here)",
        "Same CNN, random weights",
        "ResNet-50 (ImageNet labels)",
    ]
    assert len(points) == 200 and len(pickable) == self_supervised.PICKABLE
    assert contrastive.read(download).trained_on == "200 images, 2 epochs"
    found, agreement = self_supervised.show_neighbours(state, SimpleNamespace(index=0))
    assert len(found) == self_supervised.NEIGHBOURS and "Same class (airplane)" in agreement


def test_unlabelled_uploads_pretrain_without_a_probe(tmp_path, empty_model_cache):
    members = {f"photo{i}.png": coloured((10 * i, 200 - 5 * i, 90), i) for i in range(20)}
    updates = list(
        self_supervised.run(
            self_supervised.UPLOAD, [make_zip(tmp_path / "mine.zip", members)], 100, 1, 16, 1e-3, progress=quiet
        )
    )
    summary, _, table, points, *_ = updates[-1]
    assert "No classes to score it with" in summary and table.empty and set(points["class"]) == {"(unlabelled)"}


def test_one_class_folder_is_named_not_asked_for(tmp_path, empty_model_cache):
    members = {f"cats/{i}.png": coloured((10 * i, 200 - 5 * i, 90), i) for i in range(20)}
    updates = list(
        self_supervised.run(
            self_supervised.UPLOAD, [make_zip(tmp_path / "cats.zip", members)], 100, 1, 16, 1e-3, progress=quiet
        )
    )
    summary, _, table, *_ = updates[-1]
    assert "One class only ('cats'): scoring needs two or more class folders" in summary and table.empty


@pytest.mark.parametrize(
    "arguments, message",
    [
        ((self_supervised.UPLOAD, None, 100, 1, 16, 1e-3), "Upload a zip of images"),
        ((self_supervised.CIFAR10, None, 100, 0, 16, 1e-3), "Epochs must be"),
        ((self_supervised.CIFAR10, None, 100, 1, 16, float("nan")), "learning rate"),
    ],
)
def test_bad_settings_say_why(arguments, message):
    with pytest.raises(Exception, match=message):
        list(self_supervised.run(*arguments, progress=quiet))
