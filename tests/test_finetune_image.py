import io

import pytest
from PIL import Image

from harness import stand_ins
from models.errors import ShowcaseError
from tasks import finetune_image
from tests.images import coloured, make_zip
from toolkit import image_data

IN_BROWSER = r"cross-validated accuracy"  # what the tab shows once it trained


def fill_in_browser(panel, tmp_path, expect) -> None:
    """What a visitor does: upload a zip of two class folders."""
    members = {f"{name}/{i}.png": coloured(rgb, i) for name, rgb in (("red", (200, 30, 30)), ("blue", (30, 30, 200)))
               for i in range(3)}
    panel.locator("input[type=file]").first.set_input_files(make_zip(tmp_path / "few.zip", members))
    panel.get_by_text("few.zip").wait_for()


@pytest.fixture
def class_zip(tmp_path):
    members = {f"photos/train/red/{i}.png": coloured((200, 30, 30), i) for i in range(6)}
    members |= {f"photos/train/blue/{i}.png": coloured((30, 30, 200), 100 + i) for i in range(6)}
    members |= {"photos/train/blue/broken.png": b"\x89PNG not really", "README.txt": b"notes",
                "__MACOSX/photos/._0.png": b"junk"}
    return make_zip(tmp_path / "classes.zip", members)


@pytest.fixture(scope="module")
def tiny_backbone():
    return stand_ins.resnet()


def test_zip_of_nested_class_folders(class_zip):
    data = image_data.collect([class_zip])
    assert data.counts() == {"blue": 6, "red": 6}
    assert len(data.skipped) == 2  # the broken PNG, and README.txt (no class folder)
    assert any("broken.png" in s for s in data.skipped)


def test_linear_probe_on_a_tiny_backbone_separates_the_classes(class_zip, tiny_backbone):
    data = image_data.collect([class_zip])
    features = finetune_image.embed_all(tiny_backbone, data.images)
    model = finetune_image.fit("resnet50", features, data.labels)
    assert model.folds == 5
    assert model.scores.accuracy >= 0.9
    assert next(iter(model.classify(tiny_backbone, Image.open(io.BytesIO(coloured((210, 20, 20), 999)))))) == "red"


def test_images_named_class_underscore(tmp_path):
    paths = []
    for label, colour in (("cat", (200, 200, 30)), ("dog", (30, 200, 200))):
        for i in range(2):
            path = tmp_path / f"{label}_{i}.png"
            path.write_bytes(coloured(colour, i))
            paths.append(str(path))
    assert image_data.collect(paths).counts() == {"cat": 2, "dog": 2}


@pytest.mark.parametrize(
    "members, message",
    [
        ({"readme.txt": b"no pictures"}, "No usable labelled images"),
        ({f"cats/{i}.png": coloured((9, 9, 9), i) for i in range(3)}, "only the class 'cats'"),
        ({"cats/1.png": coloured((9, 9, 9), 1), "dogs/1.png": coloured((99, 9, 9), 2), "dogs/2.png": coloured((99, 9, 9), 3)},
         "at least 2 images; these have 1: cats"),
    ],
)
def test_bad_uploads_say_why(tmp_path, members, message):
    data = image_data.collect([make_zip(tmp_path / "x.zip", members)])
    with pytest.raises(ShowcaseError, match=message):
        image_data.check(data)


def test_zip_bombs_are_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(image_data, "MAX_UNZIPPED_BYTES", 1000)
    path = make_zip(tmp_path / "big.zip", {"a/1.png": b"0" * 5000})
    with pytest.raises(ShowcaseError, match="unpacks to more than"):
        image_data.collect([path])
