import shutil

import pytest

import examples
from harness import stand_ins
from harness.offline import IMAGENET_SAMPLE
from models.errors import ShowcaseError
from models.image_classifier import categories
from tasks import compare

IN_BROWSER = r"ResNet-50 says \w+"  # what the tab shows after its first example


def test_file_names_give_imagenet_classes():
    """Every sample's file name maps onto one of the names ResNet and CLIP answer with."""
    classes = {name.casefold() for name in categories("resnet50")}
    files = sorted(IMAGENET_SAMPLE.glob("*.JPEG"))
    assert len(files) == 100
    assert all(compare.true_label(f).casefold() in classes for f in files)
    assert compare.true_label("n01682714_American_chameleon.JPEG") == "American chameleon"
    assert compare.true_label("holiday.jpg") is None


def test_default_labels_are_the_imagenet_classes():
    assert compare.candidate_labels("resnet50", "") == categories("resnet50")
    assert compare.candidate_labels("resnet50", " cat, dog ") == ["cat", "dog"]


def test_one_image_side_by_side(cheetah_resnet, tiny_clip):
    result = compare.compare(cheetah_resnet, tiny_clip, [examples.cheetah()], ["cheetah", "bus", "tower"])
    assert compare.first(result.classifier_top[0]) == "cheetah"
    assert len(result.classifier_top[0]) == 5 and len(result.clip_top[0]) == 3
    assert result.agree(0) == (compare.first(result.clip_top[0]) == "cheetah")
    assert result.classifier_ms > 0 and result.clip_ms > 0


def test_batch_table_summary_and_chart(tmp_path, tiny_clip):
    tench_resnet = stand_ins.resnet(top_class=0)  # always answers "tench"
    names = [
        "n01440764_tench.JPEG",
        "n01530575_brambling.JPEG",
        "n02077923_sea_lion.JPEG",
        "n02088094_Afghan_hound.JPEG",
    ]
    for name in names:
        shutil.copy(IMAGENET_SAMPLE / name, tmp_path / name)
    (tmp_path / "n09999999_broken.JPEG").write_bytes(b"not a jpeg")
    labels = categories("resnet50")
    progress = []
    table, summary, skipped = compare.compare_batch(
        tench_resnet, tiny_clip, [tmp_path], labels, on_progress=lambda done, total: progress.append((done, total))
    )
    assert table["image"].tolist() == sorted(names)
    assert table["ResNet-50"].tolist() == ["tench"] * 4  # columns are named by the models' labels
    assert table["ResNet-50 top-1"].tolist() == [True, False, False, False]
    assert len(skipped) == 1 and "broken" in skipped[0]
    assert progress[-1] == (5, 5)
    resnet, clip = summary.set_index("model").loc["ResNet-50"], summary.set_index("model").loc["CLIP"]
    assert resnet["top-1 accuracy"] == 0.25
    assert resnet["top-5 accuracy"] >= 0.25
    assert clip["top-1 accuracy"] == table["CLIP top-1"].mean()
    assert resnet["agreement"] == table["agree"].mean()
    assert resnet["images"] == 4 and resnet["mean ms / image"] > 0
    chart = compare.chart_data(summary)
    assert len(chart) == 5 and chart["value"].between(0, 1).all()


def test_batch_of_unlabelled_images_has_no_accuracy(cheetah_resnet, tiny_clip):
    table, summary, _ = compare.compare_batch(
        cheetah_resnet, tiny_clip, [examples.lion(), examples.bus()], ["cat", "bus"]
    )
    assert table["true class"].isna().all()
    assert summary["top-1 accuracy"].isna().all()
    assert len(compare.chart_data(summary)) == 1  # only the agreement bar


def test_batch_without_images_says_so(tmp_path, cheetah_resnet, tiny_clip):
    (tmp_path / "notes.txt").write_text("no pictures here")
    with pytest.raises(ShowcaseError, match="No image files"):
        compare.compare_batch(cheetah_resnet, tiny_clip, [tmp_path], ["cat"])
