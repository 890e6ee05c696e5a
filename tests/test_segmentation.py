import numpy as np
import pytest
from PIL import Image

import examples
import models
from models.errors import ShowcaseError
from tasks import segmentation
from toolkit.inputs import open_image

IN_BROWSER = r"Kept \d+ person: [\d.]+% of the photo"  # what the tab shows after its first example


@pytest.fixture(scope="module")
def segmenter():
    return models.load("yolo11n-seg.pt")


def test_keeps_the_people_and_clears_the_rest(segmenter):
    found = segmentation.cut_out(segmenter, open_image(examples.bus()), "person")
    photo = np.asarray(Image.open(examples.bus()).convert("RGB"))
    assert found.image.shape == (*photo.shape[:2], 4)
    assert set(found.table["class"]) == {"person"} and len(found.table) >= 3
    alpha = found.image[..., 3]
    assert np.array_equal(alpha, found.mask)
    assert 0.05 < (alpha > 0).mean() < 0.6  # people, not the whole photo
    assert np.array_equal(found.image[..., :3][alpha > 0], photo[alpha > 0])  # kept pixels untouched
    assert found.table["area %"].sum() >= 100 * (alpha > 0).mean() - 0.5  # overlaps counted once in the mask


def test_the_bus_covers_more_than_the_people(segmenter):
    bus = segmentation.cut_out(segmenter, open_image(examples.bus()), "bus")
    people = segmentation.cut_out(segmenter, open_image(examples.bus()), "person")
    everything = segmentation.cut_out(segmenter, open_image(examples.bus()), "")
    assert bus.table["class"].tolist() == ["bus"]
    assert (bus.mask > 0).mean() > (people.mask > 0).mean()
    assert ((everything.mask > 0) >= (bus.mask > 0)).all() and len(everything.table) > len(bus.table)


def test_a_chinese_visitor_names_the_classes_in_chinese(segmenter, chinese_request):
    found = segmentation.cut_out(segmenter, open_image(examples.bus()), "人, bus")
    assert set(found.table["class"]) == {"人", "公交车"}


def test_nothing_found_gives_an_empty_cut_out(segmenter):
    found = segmentation.cut_out(segmenter, Image.new("RGB", (64, 48), (90, 140, 200)), "")
    assert found.table.empty and not found.mask.any()


@pytest.mark.parametrize(
    "keep, message", [("unicorn, person", "unicorn: not among the 80 classes"), (" , ", "at least one label")]
)
def test_unknown_classes_say_which(segmenter, keep, message):
    with pytest.raises(ShowcaseError, match=message):
        segmentation.cut_out(segmenter, open_image(examples.bus()), keep)


def test_a_detection_only_model_is_refused():
    with pytest.raises(ShowcaseError, match="Unknown model 'yolov8n.pt' for Cut-out"):
        segmentation.TASK.load("yolov8n.pt")
    with pytest.raises(ShowcaseError, match="choose a -seg model"):
        segmentation.cut_out(models.load("yolov8n.pt"), open_image(examples.bus()))
