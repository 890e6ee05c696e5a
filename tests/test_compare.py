import shutil
from dataclasses import replace

import pandas as pd
import pytest

import examples
from harness import stand_ins
from harness.offline import IMAGENET_SAMPLE
from models.base import Answers, Ranking, Timings
from models.clip import Labels
from models.errors import ShowcaseError
from models.image_classifier import categories
from tasks import compare
from toolkit.inputs import open_image
from toolkit.messages import with_columns_translated

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
    assert compare.candidate_labels("resnet50", "") == Labels(tuple(categories("resnet50")), "ImageNet")
    assert compare.candidate_labels("resnet50", " cat, dog ") == Labels(("cat", "dog"))


def test_one_image_side_by_side(cheetah_resnet, tiny_clip):
    labels = Labels(("cheetah", "bus", "tower"))
    result = compare.compare(cheetah_resnet, tiny_clip, [open_image(examples.cheetah())], labels)
    assert next(iter(result.classifier_top(0))) == "cheetah"
    assert len(result.classifier_top(0)) == 5 and len(result.clip_top(0)) == 3
    assert result.agree(0) == (next(iter(result.clip_top(0))) == "cheetah")
    assert result.classifier.timings["forward"] > 0 and result.clip.timings["forward"] > 0


def test_over_imagenet_they_agree_by_class_not_by_name(cheetah_resnet, tiny_clip):
    labels = compare.candidate_labels("resnet50", "")
    result = compare.compare(cheetah_resnet, tiny_clip, [open_image(examples.cheetah())], labels)
    assert result.agree(0) == (result.clip[0].first == 293)  # 293: cheetah
    cheetah, tench = (Answers([Ranking([index], [1.0])], Timings()) for index in (293, 0))
    assert replace(result, clip=cheetah).agree(0) and not replace(result, clip=tench).agree(0)


def test_a_chinese_visitor_reads_the_classes_in_chinese_and_chinese_clip_is_asked_in_chinese(
    cheetah_resnet, tiny_chinese_clip, chinese_request, monkeypatch, tmp_path
):
    # Prompts encoded now: not read from the embeddings an earlier test kept, in memory or on disk.
    monkeypatch.setenv("SHOWCASE_CACHE", str(tmp_path))
    tiny_chinese_clip.label_cache.clear()
    prompted = []
    encode = type(tiny_chinese_clip).encode_prompts
    monkeypatch.setattr(
        type(tiny_chinese_clip),
        "encode_prompts",
        lambda self, labels, *rest: prompted.append(list(labels)) or encode(self, labels, *rest),
    )
    labels = compare.candidate_labels("resnet50", "")
    result = compare.compare(cheetah_resnet, tiny_chinese_clip, [open_image(examples.cheetah())], labels)
    assert next(iter(result.classifier_top(0))) == "猎豹"  # the cn-clip list's name for class 293, cheetah
    assert all(not name.isascii() for name in result.clip_top(0))
    assert prompted and prompted[-1][293] == "猎豹" and prompted[-1][281] == "虎斑猫"


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
    labels = compare.candidate_labels("resnet50", "")
    progress = []
    table, summary, skipped = compare.compare_batch(
        tench_resnet, tiny_clip, [tmp_path], labels, on_progress=lambda done, total: progress.append((done, total))
    )
    assert table["image"].tolist() == sorted(names)
    assert table["ResNet-50"].tolist() == ["tench"] * 4  # columns are named by the models' labels
    assert table["ResNet-50 top-1"].tolist() == [True, False, False, False]
    assert len(skipped) == 1 and "broken" in skipped[0]
    assert progress[-1] == (5, 5)
    resnet = summary.set_index("model").loc["ResNet-50"]
    assert resnet["top-1 accuracy"] == 0.25  # the tench, and only it
    assert resnet["images"] == 4 and resnet["labelled"] == 4 and resnet["mean ms / image"] > 0
    chart = compare.chart_data(summary)
    assert len(chart) == 5 and chart["value"].between(0, 1).all()


def test_the_summary_counts_hits_over_labelled_images_only():
    table = pd.DataFrame(
        {
            "image": ["a", "b", "c", "d"],
            "true class": ["cat", "dog", "cat", None],
            "agree": [True, False, False, True],
            "ResNet-50 top-1": [True, False, False, None],
            "ResNet-50 top-5": [True, True, False, None],
            "CLIP top-1": [True, True, True, None],
            "CLIP top-5": [True, True, True, None],
        }
    )
    summary = compare.summarise(table, {"ResNet-50": 40.0, "CLIP": 80.0}).set_index("model")
    assert summary.loc["ResNet-50", "top-1 accuracy"] == pytest.approx(1 / 3, abs=1e-4)
    assert summary.loc["ResNet-50", "top-5 accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert summary.loc["CLIP", "top-1 accuracy"] == 1.0
    assert summary.loc["CLIP", "agreement"] == 0.5
    assert summary.loc["CLIP", "mean ms / image"] == 20.0 and summary.loc["CLIP", "labelled"] == 3


def test_a_chinese_visitor_gets_every_column_in_chinese(chinese_request):
    table = pd.DataFrame(
        columns=[
            "image",
            "true class",
            "ResNet-50",
            "ResNet-50 p",
            "CLIP",
            "CLIP p",
            "agree",
            "ResNet-50 top-1",
            "ResNet-50 top-5",
            "CLIP top-1",
            "CLIP top-5",
        ]
    )
    titles = list(with_columns_translated(table, compare.column_titles("ResNet-50")).columns)
    assert titles == [
        "图像",
        "真实类别",
        "ResNet-50",
        "ResNet-50 概率",
        "CLIP",
        "CLIP 概率",
        "一致",
        "ResNet-50 前 1 命中",
        "ResNet-50 前 5 命中",
        "CLIP 前 1 命中",
        "CLIP 前 5 命中",
    ]


def test_batch_of_unlabelled_images_has_no_accuracy(cheetah_resnet, tiny_clip):
    table, summary, _ = compare.compare_batch(
        cheetah_resnet, tiny_clip, [examples.lion(), examples.bus()], Labels(("cat", "bus"))
    )
    assert table["true class"].isna().all()
    assert summary["top-1 accuracy"].isna().all()
    assert len(compare.chart_data(summary)) == 1  # only the agreement bar


def test_batch_without_images_says_so(tmp_path, cheetah_resnet, tiny_clip):
    (tmp_path / "notes.txt").write_text("no pictures here")
    with pytest.raises(ShowcaseError, match="No image files"):
        compare.compare_batch(cheetah_resnet, tiny_clip, [tmp_path], Labels(("cat",)))
