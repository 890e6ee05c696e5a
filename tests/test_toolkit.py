import inspect

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from models.errors import ShowcaseError
from tests.images import write_awkward_images, write_huge_image
from toolkit import inputs, ui


@pytest.fixture(scope="module")
def awkward(tmp_path_factory):
    return write_awkward_images(tmp_path_factory.mktemp("awkward"))


@pytest.mark.parametrize(
    "name", ["grey.png", "transparent.png", "cmyk.jpg", "sixteen_bit.png", "one_pixel.png", "palette.gif"]
)
def test_unusual_modes_become_rgb(awkward, name):
    image = inputs.open_image(str(awkward[name]))
    assert image.mode == "RGB"
    assert image.size == Image.open(awkward[name]).size


def test_transparent_pixels_become_white(awkward):
    assert inputs.open_image(str(awkward["transparent.png"])).getpixel((10, 10)) == (255, 255, 255)


def test_sixteen_bit_uses_the_whole_range(awkward):
    array = np.asarray(inputs.open_image(str(awkward["sixteen_bit.png"])))
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
    with pytest.raises(ShowcaseError, match=message):
        inputs.open_image(value)


@pytest.mark.parametrize("extension", ["webp", "bmp", "tiff"])
def test_the_common_formats_open(tmp_path, extension):
    path = tmp_path / f"photo.{extension}"
    Image.new("RGB", (40, 30), (10, 200, 10)).save(path, lossless=True)  # lossless: WebP's option, others ignore it
    assert inputs.open_image(str(path)).getpixel((5, 5)) == (10, 200, 10)


def test_every_format_on_the_list_has_a_reader():
    """HEIC comes from pi-heif's opener, registered by toolkit.inputs (Pillow alone cannot read it)."""
    Image.init()
    assert set(inputs.IMAGE_FORMATS) <= set(Image.OPEN)


def test_formats_outside_the_list_are_refused_unread(tmp_path, monkeypatch):
    """PostScript would go to Ghostscript where it is installed: it is refused from its header."""
    from PIL import EpsImagePlugin

    path = tmp_path / "drawing.eps"
    Image.new("RGB", (40, 30)).save(path)
    called = []
    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", lambda *args, **kwargs: called.append(args))
    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open", lambda image: called.append("parsed"))
    with pytest.raises(ShowcaseError, match="'drawing.eps' is not an image this app can read"):
        inputs.open_image(str(path))
    assert called == []


def test_huge_image_is_refused_before_decoding(tmp_path):
    with pytest.raises(ShowcaseError, match="144 megapixels"):
        inputs.open_image(str(write_huge_image(tmp_path)))


def test_large_image_is_shrunk():
    image = inputs.open_image(Image.new("RGB", (8000, 2000)))
    assert image.size == (inputs.MAX_IMAGE_SIDE, 1024)


def test_user_errors_turn_failures_into_page_messages():
    @ui.user_errors
    def refuses():
        raise ShowcaseError("Please do X.")

    @ui.user_errors
    def breaks():
        raise KeyError("boom")

    @ui.user_errors
    def streams():
        yield 1
        raise ShowcaseError("stopped")

    @ui.user_errors
    def names_a_file():
        raise ShowcaseError("'<img src=x onerror=alert(1)>.png' is not an image")

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
            raise ShowcaseError(f"{x} is negative")
        return key, x

    def predict(key, xs):
        calls.append((key, xs))
        return [(x * 10, f"{key}") for x in xs]

    handler = ui.batch_endpoint(prepare, predict, lambda message: (None, message))
    values, infos = handler([1, -2, 3, 4], ["a", "a", "b", "a"])
    assert values == [10, None, 30, 40]
    assert infos == ["a", "-2 is negative", "b", "a"]
    assert sorted(calls) == [("a", [1, 4]), ("b", [3])]  # one predict call per group


def test_one_request_is_a_batch_of_one():
    def prepare(x, key):
        if x < 0:
            raise ShowcaseError(f"{x} is negative")
        return key, x

    def predict(key, xs):
        return [(x * 10, f"{key}: batch of {len(xs)}") for x in xs]

    handler = ui.one_request(prepare, predict, "Tens.\n\nArgs:\n    x: a number\n    key: a group")
    assert handler(2, "a") == (20, "a: batch of 1")
    # What Gradio's API page and MCP tools read: the parameters by name, and the docstring.
    assert list(inspect.signature(handler).parameters) == ["x", "key"] and handler.__doc__.startswith("Tens.")
    with pytest.raises(gr.Error, match="-1 is negative"):
        handler(-1, "a")


def test_image_input_hands_over_the_path_unopened(tmp_path):
    """A corrupt upload must reach open_image, which says what is wrong, instead of failing inside Gradio."""
    from gradio.data_classes import FileData

    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg at all")
    with gr.Blocks():
        component = ui.image_input()
    assert component.preprocess(FileData(path=str(broken))) == str(broken)
    with pytest.raises(ShowcaseError, match="not an image"):
        inputs.open_image(component.preprocess(FileData(path=str(broken))))


@pytest.mark.parametrize(
    "value, kwargs, message",
    [
        (None, {}, "must be a number, got None"),
        ("abc", {}, "must be a number"),
        (float("nan"), {}, "must be a number"),
        (1.5, {"whole": True}, "must be a whole number"),
        (0, {"low": 2, "whole": True}, "must be at least 2, got 0"),
        (7, {"low": 1, "high": 6}, "must be from 1 to 6, got 7"),
    ],
)
def test_numbers_out_of_reach_say_which_setting(value, kwargs, message):
    with pytest.raises(ShowcaseError, match=f"Epochs {message}"):
        inputs.number(value, "Epochs", **kwargs)
    assert inputs.number("3", "Epochs", 1, 6, whole=True) == 3


def test_lone_surrogates_and_control_characters_are_dropped():
    assert inputs.clean_text("caf\ud800é\x07") == "café"
    assert inputs.parse_labels("cat\udfff, dog") == ["cat", "dog"]
    with pytest.raises(ShowcaseError, match="enter a prompt"):
        inputs.clean_text("\ud800", "a prompt")


def test_chinese_labels_render_in_figures():
    """Every glyph of a Chinese heatmap found in a font (matplotlib warns of each one it draws as a box)."""
    import io
    import warnings

    from toolkit import plots

    figure = plots.heatmap(np.eye(2), ["一只可爱的猫", "我喜欢这部电影"], ["正面", "负面"], "相似度 similarity")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure.savefig(io.BytesIO(), format="png")
    assert not [str(w.message) for w in caught if "missing from font" in str(w.message)]
