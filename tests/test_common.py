import threading
import time

import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image

from tasks import common
from tests.images import write_awkward_images, write_huge_image


@pytest.fixture(scope="module")
def awkward(tmp_path_factory):
    return write_awkward_images(tmp_path_factory.mktemp("awkward"))


@pytest.mark.parametrize("name", ["grey.png", "transparent.png", "cmyk.jpg", "sixteen_bit.png", "one_pixel.png", "palette.gif"])
def test_unusual_modes_become_rgb(awkward, name):
    image = common.open_image(str(awkward[name]))
    assert image.mode == "RGB"
    assert image.size == Image.open(awkward[name]).size


def test_transparent_pixels_become_white(awkward):
    assert common.open_image(str(awkward["transparent.png"])).getpixel((10, 10)) == (255, 255, 255)


def test_sixteen_bit_uses_the_whole_range(awkward):
    array = np.asarray(common.open_image(str(awkward["sixteen_bit.png"])))
    assert array.min() == 0 and array.max() == 255


@pytest.mark.parametrize(
    "value, message",
    [
        (None, "upload an image"),
        ("", "upload an image"),
        ("/no/such/file.jpg", "was not found"),
        ("corrupt.jpg", "damaged or truncated"),
        ("not_an_image.png", "not an image"),
        (np.zeros((0, 3)), "Expected an image"),
    ],
)
def test_bad_images_say_why(awkward, value, message):
    if isinstance(value, str) and value in awkward:
        value = str(awkward[value])
    with pytest.raises(common.ShowcaseError, match=message):
        common.open_image(value)


def test_huge_image_is_refused_before_decoding(tmp_path):
    with pytest.raises(common.ShowcaseError, match="144 megapixels"):
        common.open_image(str(write_huge_image(tmp_path)))


def test_large_image_is_shrunk():
    image = common.open_image(Image.new("RGB", (8000, 2000)))
    assert image.size == (common.MAX_IMAGE_SIDE, 1024)


def test_cache_loads_once_under_concurrent_first_requests():
    cache = common.ModelCache()
    loads = []

    def slow_loader():
        loads.append(1)
        time.sleep(0.2)
        return object()

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("m", slow_loader))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(loads) == 1
    assert len({id(r) for r in results}) == 1


def test_cache_retries_a_failed_load():
    cache = common.ModelCache()

    def failing():
        raise common.ModelUnavailable("offline")

    with pytest.raises(common.ModelUnavailable):
        cache.get("m", failing)
    assert cache.get("m", lambda: "loaded") == "loaded"


def test_device_and_precision(monkeypatch):
    monkeypatch.setenv("SHOWCASE_DEVICE", "cpu")
    assert common.pick_device() == torch.device("cpu")
    assert common.inference_dtype(torch.device("cpu")) == torch.float32
    assert common.inference_dtype(torch.device("cuda")) == torch.float16


def test_user_errors_turn_failures_into_page_messages():
    @common.user_errors
    def refuses():
        raise common.ShowcaseError("Please do X.")

    @common.user_errors
    def breaks():
        raise KeyError("boom")

    @common.user_errors
    def streams():
        yield 1
        raise common.ShowcaseError("stopped")

    @common.user_errors
    def names_a_file():
        raise common.ShowcaseError("'<img src=x onerror=alert(1)>.png' is not an image")

    with pytest.raises(gr.Error, match="Please do X."):
        refuses()
    with pytest.raises(gr.Error, match="'&lt;img src=x onerror=alert\\(1\\)&gt;.png' is not"):
        names_a_file()
    with pytest.raises(gr.Error, match="went wrong inside the app.*KeyError"):
        breaks()
    stream = streams()
    assert next(stream) == 1
    with pytest.raises(gr.Error, match="stopped"):
        next(stream)


def test_batch_endpoint_answers_each_request_and_groups_by_key():
    calls = []

    def prepare(x, key):
        if x < 0:
            raise common.ShowcaseError(f"{x} is negative")
        return key, x

    def predict(key, xs):
        calls.append((key, xs))
        return [(x * 10, f"{key}") for x in xs]

    handler = common.batch_endpoint(prepare, predict, lambda message: (None, message))
    values, infos = handler([1, -2, 3, 4], ["a", "a", "b", "a"])
    assert values == [10, None, 30, 40]
    assert infos == ["a", "-2 is negative", "b", "a"]
    assert sorted(calls) == [("a", [1, 4]), ("b", [3])]  # one predict call per group
