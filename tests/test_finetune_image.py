import io
import threading
import time
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from PIL import Image

import models
from harness import stand_ins
from models.errors import ShowcaseError
from tasks import finetune_image
from tests.images import coloured, make_zip
from toolkit import image_data

IN_BROWSER = r"\d-fold cross-validated accuracy \d+"  # what the tab shows once it trained


def fill_in_browser(panel, tmp_path, expect) -> None:
    """What a visitor does: upload a zip of two class folders."""
    members = {
        f"{name}/{i}.png": coloured(rgb, i)
        for name, rgb in (("red", (200, 30, 30)), ("blue", (30, 30, 200)))
        for i in range(3)
    }
    upload(panel, make_zip(tmp_path / "few.zip", members))


def upload(panel, archive) -> None:
    """Puts a file in the tab's first upload box and waits until the box lists it. The listed name is
    its cell's label: its text is the stem and extension apart ("few .zip"); the whole name shows only
    while the upload is in progress, which a fast upload passes before a test looks."""
    panel.locator("input[type=file]").first.set_input_files(archive)
    panel.get_by_label(Path(archive).name, exact=True).wait_for()


@pytest.fixture
def class_zip(tmp_path):
    members = {f"photos/train/red/{i}.png": coloured((200, 30, 30), i) for i in range(6)}
    members |= {f"photos/train/blue/{i}.png": coloured((30, 30, 200), 100 + i) for i in range(6)}
    members |= {
        "photos/train/blue/broken.png": b"\x89PNG not really",
        "README.txt": b"notes",
        "__MACOSX/photos/._0.png": b"junk",
    }
    return make_zip(tmp_path / "classes.zip", members)


@pytest.fixture(scope="module")
def tiny_backbone():
    return stand_ins.resnet()


def test_zip_of_nested_class_folders(class_zip):
    data = image_data.collect([class_zip])
    assert data.counts() == {"blue": 6, "red": 6}
    assert len(data.skipped) == 2  # the broken PNG, and README.txt (no class folder)
    (broken,) = [s for s in data.skipped if "broken.png" in s]
    assert broken.startswith("photos/train/blue/broken.png: 'broken.png' is not an image"), broken  # not 'upload'


def test_linear_probe_on_a_tiny_backbone_separates_the_classes(class_zip, tiny_backbone):
    data = image_data.collect([class_zip])
    features = finetune_image.embed_all(tiny_backbone, data.images)
    model = finetune_image.fit("resnet50", tiny_backbone, data.images, features, data.labels)
    assert model.folds == 5
    assert model.scores.accuracy >= 0.9
    assert next(iter(model.classify(Image.open(io.BytesIO(coloured((210, 20, 20), 999)))))) == "red"
    # Explained by the nearest training images: three of each class, the likeliest class's first and closest.
    named, nearest, line = finetune_image.explain_model(model, Image.open(io.BytesIO(coloured((210, 20, 20), 999))))
    captions = [caption for _, caption in nearest]
    assert next(iter(named)) == "red" and [c.split(" · ")[0] for c in captions] == ["red"] * 3 + ["blue"] * 3
    cosines = [float(c.split(" · ")[1]) for c in captions]
    assert cosines[:3] == sorted(cosines[:3], reverse=True) and min(cosines[:3]) > max(cosines[3:])
    red, green, blue = np.asarray(nearest[0][0]).reshape(-1, 3).mean(axis=0)
    assert red > 2 * blue and max(nearest[0][0].size) <= finetune_image.THUMBNAIL
    assert "“red”" in line
    with pytest.raises(gr.Error, match="Build a classifier first"):
        finetune_image.explain_model(None, Image.open(io.BytesIO(coloured((210, 20, 20), 999))))


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
        (
            {
                "cats/1.png": coloured((9, 9, 9), 1),
                "dogs/1.png": coloured((99, 9, 9), 2),
                "dogs/2.png": coloured((99, 9, 9), 3),
            },
            "at least 2 images; these have 1: cats",
        ),
    ],
)
def test_bad_uploads_say_why(tmp_path, members, message):
    data = image_data.collect([make_zip(tmp_path / "x.zip", members)])
    with pytest.raises(ShowcaseError, match=message):
        image_data.check(data)


def test_zip_bombs_by_size_are_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(image_data, "MAX_UNZIPPED_BYTES", 1000)
    path = make_zip(tmp_path / "big.zip", {"a/1.png": b"0" * 5000})
    with pytest.raises(ShowcaseError, match="unpacks to more than"):
        image_data.collect([path])


def many_entries(path, count: int) -> str:
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        for i in range(count):
            archive.writestr(f"cats/{i}.png", b"")
    return str(path)


def test_a_zip_of_too_many_entries_is_refused_before_its_directory_is_read(tmp_path, monkeypatch):
    """zipfile reads a zip's whole directory when it opens it: 250,000 entries took seconds and 217 MB."""
    path = many_entries(tmp_path / "many.zip", image_data.MAX_ZIP_ENTRIES + 1)
    opened = []
    monkeypatch.setattr(image_data.zipfile, "ZipFile", lambda *args: opened.append(args))
    with pytest.raises(ShowcaseError, match="More than 2,000 files to read"):
        image_data.collect([path])
    assert opened == []


def test_zip64_directories_are_measured_too(tmp_path):
    """Over 65,535 entries the count lives in the zip64 end record; the plain one says 0xFFFF."""
    assert image_data.zip_directory(many_entries(tmp_path / "zip64.zip", 70_000))[0] == 70_000
    assert image_data.zip_directory(many_entries(tmp_path / "small.zip", 3)) == (3, 3 * (46 + len("cats/0.png")))


def image_bomb(path, entries: int = 40, side: int = 7999) -> str:
    """A zip of solid-colour PNGs, each under the 64-megapixel limit, a few hundred bytes compressed."""
    import io
    import zipfile

    buffer = io.BytesIO()
    Image.new("L", (side, side), 128).save(buffer, format="PNG")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(entries):
            archive.writestr(f"c{i % 2}/{i}.png", buffer.getvalue())
    return str(path)


def test_an_image_bomb_is_refused_at_once_and_cheaply(tmp_path):
    """40 PNGs of 64 megapixels in a 26 KB zip: refused from their headers, before any is decoded."""
    import subprocess
    import sys

    from harness.offline import ROOT

    bomb = image_bomb(tmp_path / "bomb.zip")
    script = (
        "import resource, sys, time\n"
        "from toolkit import image_data\n"
        "from models.errors import ShowcaseError\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "started = time.perf_counter()\n"
        "try:\n"
        f"    image_data.collect([{bomb!r}])\n"
        "    print('accepted')\n"
        "except ShowcaseError as error:\n"
        "    print(error)\n"
        "print(time.perf_counter() - started)\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)\n"
    )
    message, seconds, growth_mb = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert "megapixels in all" in message
    assert float(seconds) < 1.0 and float(growth_mb) < 300


def test_zip_entries_count_against_the_image_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(image_data, "MAX_IMAGES", 10)
    path = make_zip(tmp_path / "many.zip", {f"c{i % 2}/{i}.png": coloured((9, 9, 9), i) for i in range(11)})
    with pytest.raises(ShowcaseError, match="More than 10 files"):
        image_data.collect([path])


def test_large_images_are_kept_small(tmp_path):
    big = Image.new("RGB", (3000, 2000), (200, 30, 30))
    members = {}
    for name in ("red/a.jpg", "red/b.png", "blue/c.jpg"):
        buffer = io.BytesIO()
        big.save(buffer, format="PNG" if name.endswith("png") else "JPEG")
        members[name] = buffer.getvalue()
    data = image_data.collect([make_zip(tmp_path / "big.zip", members)])
    assert len(data.images) == 3
    assert all(max(image.size) <= image_data.KEPT_SIDE and image.mode == "RGB" for image in data.images)


def test_a_damaged_zip_member_is_skipped_with_its_reason(tmp_path):
    path = make_zip(
        tmp_path / "crc.zip", {f"{c}/{i}.png": coloured((9, 9, 9 + i), i) for c in ("a", "b") for i in range(3)}
    )
    raw = bytearray(open(path, "rb").read())
    start = raw.index(b"IDAT")  # corrupt the first image's pixel data: its CRC no longer matches
    raw[start + 8 : start + 12] = b"\x00\x00\x00\x00"
    open(path, "wb").write(bytes(raw))
    data = image_data.collect([path])
    assert len(data.images) == 5
    assert any("a/0.png: damaged inside the zip" in s and "CRC" in s for s in data.skipped)


def test_class_names_from_folders_are_escaped_in_the_summary(tmp_path, empty_model_cache, cheetah_resnet):
    models.backend().install("resnet50", cheetah_resnet)
    evil = "<img src=x onerror=alert(1)>"
    members = {f"{evil}/{i}.png": coloured((200, 30, 30), i) for i in range(3)}
    members |= {f"blue/{i}.png": coloured((30, 30, 200), 10 + i) for i in range(3)}
    summary, *_ = build([make_zip(tmp_path / "evil.zip", members)], "resnet50", progress=lambda *a, **k: None)
    assert "&lt;img src=x onerror=alert(1)&gt; (3)" in summary and evil not in summary


def test_class_folders_named_in_gbk_read_as_chinese(tmp_path, monkeypatch):
    """A zip made on Chinese Windows: GBK names, no UTF-8 flag (Python alone reads them as cp437)."""
    import zipfile

    monkeypatch.setattr(
        zipfile.ZipInfo, "_encodeFilenameFlags", lambda info: (info.filename.encode("gbk"), info.flag_bits)
    )
    members = {
        f"{name}/{i}.png": coloured(rgb, i)
        for name, rgb in (("猫", (200, 30, 30)), ("狗", (30, 30, 200)))
        for i in range(3)
    }
    path = make_zip(tmp_path / "gbk.zip", members)
    monkeypatch.undo()
    assert "猫" not in zipfile.ZipFile(path).namelist()[0]  # what Python reads by itself
    assert image_data.collect([path]).counts() == {"狗": 3, "猫": 3}
    utf8 = make_zip(
        tmp_path / "utf8.zip",
        {
            "café/0.png": coloured((1, 2, 3), 0),
            "café/1.png": coloured((3, 2, 1), 1),
            "thé/0.png": coloured((9, 9, 9), 2),
            "thé/1.png": coloured((7, 7, 7), 3),
        },
    )
    assert image_data.collect([utf8]).counts() == {"café": 2, "thé": 2}


def build(*arguments, **settings):
    """What the tab shows once the classifier is built: run's last answer (those before only mark
    steps, where Stop can end it)."""
    *_, last = finetune_image.run(*arguments, **settings)
    return last


def quiet(*args, **kwargs) -> None:
    """gr.Progress's place outside Gradio."""


@pytest.fixture
def backbones(empty_model_cache, tiny_backbone, tiny_clip):
    models.backend().install("resnet50", tiny_backbone)
    models.backend().install("openai/clip-vit-base-patch32", tiny_clip)


def test_auto_keeps_the_leaderboards_best_row(tmp_path, backbones):
    """Auto cross-validates every backbone and weight decay; the model it keeps is the first row."""
    from toolkit.probe import WEIGHT_DECAYS

    data = image_data.cifar10(100)  # real photos: the backbones and settings score differently on them
    model, trials = finetune_image.auto_fit(finetune_image.TASK.choices(), data.images, data.labels, budget_s=600)
    assert len(trials) == len(finetune_image.TASK.choices()) * len(WEIGHT_DECAYS)
    accuracies = [trial.scores.accuracy for trial in trials]
    assert accuracies == sorted(accuracies, reverse=True) and len(set(accuracies)) > 1
    best = trials[0]
    assert (finetune_image.short_name(model.backbone_id), model.weight_decay) == (best.backbone, best.weight_decay)
    assert model.scores.accuracy == best.scores.accuracy


def test_auto_through_the_tab_shows_the_leaderboard(tmp_path, backbones):
    members = {
        f"{name}/{i}.png": coloured(rgb, i)
        for name, rgb in (("red", (200, 30, 30)), ("blue", (30, 30, 200)))
        for i in range(4)
    }
    summary, _, _, model, board = build(
        [make_zip(tmp_path / "few.zip", members)], "resnet50", finetune_image.AUTO, 60, progress=quiet
    )
    table = board["value"]
    assert "the best of 8 tried" in summary and list(table["rank"])[:2] == [1, 2]
    assert table["backbone"][0] == finetune_image.short_name(model.backbone_id)


def test_auto_stops_starting_backbones_once_the_budget_is_spent(backbones):
    data = image_data.cifar10(40)
    _, trials = finetune_image.auto_fit(finetune_image.TASK.choices(), data.images, data.labels, budget_s=0)
    assert [trial.note for trial in trials if trial.scores is None] == ["not tried: the time budget was spent"]


def test_a_backbone_that_cannot_load_is_listed_and_the_others_run(empty_model_cache, tiny_backbone):
    models.backend().install(
        "resnet50", tiny_backbone
    )  # CLIP's weights are not here: its load fails as it would offline
    data = image_data.cifar10(40)
    model, trials = finetune_image.auto_fit(finetune_image.TASK.choices(), data.images, data.labels, budget_s=600)
    assert model.backbone_id == "resnet50"
    assert any(
        trial.note.startswith("not available: The model 'openai/clip-vit-base-patch32' could not be loaded")
        for trial in trials
    )


def test_the_self_supervised_encoder_is_a_backbone(tmp_path, backbones):
    """The file the Self-supervised tab offers loads here as a backbone, alone or among Auto's."""
    from models import contrastive

    path = tmp_path / "encoder.safetensors"
    contrastive.new(seed=3).save(path)
    members = {
        f"{name}/{i}.png": coloured(rgb, i)
        for name, rgb in (("red", (200, 30, 30)), ("blue", (30, 30, 200)))
        for i in range(4)
    }
    upload = [make_zip(tmp_path / "few.zip", members)]
    summary, *_, model, _ = build(upload, finetune_image.OWN_ENCODER, finetune_image.ONE, 60, str(path), progress=quiet)
    assert "Self-supervised CNN" in summary and model.scores.accuracy == 1.0
    assert next(iter(model.classify(Image.open(io.BytesIO(coloured((210, 20, 20), 99)))))) == "red"
    *_, board = build(upload, "resnet50", finetune_image.AUTO, 60, str(path), progress=quiet)
    assert board["value"]["backbone"].str.startswith("Self-supervised CNN").sum() == 4
    with pytest.raises(Exception, match="Upload the encoder"):  # as the page shows it (gr.Error)
        build(upload, finetune_image.OWN_ENCODER, progress=quiet)
    (tmp_path / "not-an-encoder.safetensors").write_bytes(b"hello")
    with pytest.raises(Exception, match="not a saved encoder"):
        build(
            upload,
            finetune_image.OWN_ENCODER,
            encoder_file=str(tmp_path / "not-an-encoder.safetensors"),
            progress=quiet,
        )


class SlowBackbone:
    """A backbone that takes its time over each pass, as a full-size one on a CPU does."""

    def __init__(self, backbone) -> None:
        self.backbone = backbone

    def embed_images(self, images):
        time.sleep(0.2)
        return self.backbone.embed_images(images)


@pytest.fixture
def slow_backbones(backbones, monkeypatch):
    chosen = finetune_image.backbone
    monkeypatch.setattr(finetune_image, "backbone", lambda *arguments: SlowBackbone(chosen(*arguments)))


@pytest.mark.parametrize("mode", [finetune_image.ONE, finetune_image.AUTO])
def test_stop_ends_a_build_at_its_next_step_and_frees_the_slot(tmp_path, slow_backbones, mode):
    """Cancelled through the API, Auto ran on 29.8 s at 175% CPU, holding the training slot."""
    from toolkit import training

    members = {
        f"{name}/{i}.png": coloured(rgb, i)
        for name, rgb in (("red", (200, 30, 30)), ("blue", (30, 30, 200)))
        for i in range(64)
    }
    steps = finetune_image.run([make_zip(tmp_path / "many.zip", members)], "resnet50", mode, 600, progress=quiet)
    for _ in range(3):  # reading, then features
        assert next(steps) == (gr.skip(),) * 5
    assert training._slot.locked()
    stopped = time.monotonic()
    steps.close()
    assert not training._slot.locked() and time.monotonic() - stopped < 2
    assert all(thread.name != "training" for thread in threading.enumerate())
