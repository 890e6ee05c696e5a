"""The launched app, driven through gradio_client as a user's script would."""

import re
import socket
import subprocess
import sys

import pytest
import yaml
from gradio_client import Client, handle_file

import app
import examples
from tasks import common, compare, zero_shot
from tests import random_models
from tests.conftest import IMAGENET_SAMPLE, ROOT
from tests.images import write_awkward_images


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def client(cheetah_resnet, tiny_clip):
    # ResNet and CLIP weights are not on these machines: the random stand-ins answer for them.
    common.MODELS.put(compare.RESNET_ID, cheetah_resnet)
    common.MODELS.put(zero_shot.CHOICES[0], tiny_clip)
    demo = app.build_app()
    port = free_port()
    app.launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    yield Client(f"http://127.0.0.1:{port}/", verbose=False)
    demo.close()
    common.MODELS.clear()


def test_detect_finds_the_bus(client):
    image, table, info = client.predict(handle_file(examples.bus()), 0.25, 0.45, "yolov8n.pt", api_name="/detect")
    classes = [row[0] for row in table["data"]]
    assert "bus" in classes and classes.count("person") >= 3
    assert table["headers"][:2] == ["class", "confidence"]
    assert "yolov8n.pt" in info and "cpu" in info and " ms" in info
    assert image.endswith((".jpeg", ".jpg"))


def test_classify_image(client):
    label, info = client.predict(handle_file(examples.lion()), "resnet50", api_name="/classify_image")
    assert label["label"] == "cheetah"
    assert len(label["confidences"]) == 5
    assert "ResNet-50" in info


def test_zero_shot(client):
    label, info = client.predict(
        handle_file(examples.cheetah()), "cat, dog, 狮子", True, zero_shot.CHOICES[0], api_name="/zero_shot"
    )
    assert {c["label"] for c in label["confidences"]} == {"cat", "dog", "狮子"}
    assert sum(c["confidence"] for c in label["confidences"]) == pytest.approx(1, abs=1e-3)
    assert "chinese-clip" in info  # the hint to pick the Chinese model


def test_compare_one_and_many(client):
    resnet, clip, verdict = client.predict(handle_file(examples.lion()), "", False, compare.CHOICES[0], api_name="/compare")
    assert resnet["label"] == "cheetah"
    assert len(clip["confidences"]) == 5
    assert "1,000 ImageNet classes" in verdict and re.search(r"agree|disagree", verdict)
    files = [handle_file(str(p)) for p in sorted(IMAGENET_SAMPLE.glob("*.JPEG"))[:3]]
    table, summary, chart, note = client.predict(files, "", False, compare.CHOICES[0], api_name="/compare_batch")
    assert len(table["data"]) == 3
    assert [row[0] for row in summary["data"]] == ["ResNet", "CLIP"]


def test_bad_inputs_get_messages_and_the_server_keeps_serving(client, tmp_path):
    awkward = write_awkward_images(tmp_path)
    cases = [
        (("/detect", handle_file(str(awkward["corrupt.jpg"])), 0.25, 0.45, "yolov8n.pt"), "damaged or truncated"),
        (("/classify_image", handle_file(str(awkward["not_an_image.png"])), "resnet50"), "not an image"),
        (("/classify_image", None, "resnet50"), "upload an image"),
        (("/zero_shot", handle_file(examples.cheetah()), "  ,  ", False, zero_shot.CHOICES[0]), "at least one label"),
        (("/zero_shot", handle_file(examples.cheetah()), "cat", False, zero_shot.CHOICES[1]), "could not be loaded"),
        (("/detect", handle_file(examples.bus()), 0.25, 0.45, "yolo11n.pt"), "SHOWCASE_MODEL_DIR"),
    ]
    for (endpoint, *args), message in cases:
        with pytest.raises(Exception, match=message):
            client.predict(*args, api_name=endpoint)
    for name in ("grey.png", "transparent.png", "cmyk.jpg", "sixteen_bit.png", "one_pixel.png"):
        label, _ = client.predict(handle_file(str(awkward[name])), "resnet50", api_name="/classify_image")
        assert label["label"] == "cheetah", name


def test_image_inputs_render_as_gradio_images():
    """The upload component is a gr.Image subclass: the page must get gr.Image's own props."""
    config = app.build_app().get_config_file()
    uploads = [c for c in config["components"] if c["type"] == "image" and c["props"].get("label") == "Photo"]
    assert len(uploads) == 4
    assert all(c["props"]["sources"] == ["upload", "webcam", "clipboard"] for c in uploads)


def test_help_lists_the_options():
    help_text = subprocess.run([sys.executable, "app.py", "--help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for option in ("--host", "--port", "--share", "--preload"):
        assert option in help_text
    assert not app.parse_args([]).share


def test_readme_front_matter_agrees_with_spaces_yaml():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    front = yaml.safe_load(readme.split("---")[1])
    spaces = yaml.safe_load((ROOT / "spaces.yaml").read_text(encoding="utf-8"))
    for key, value in spaces["space"].items():
        assert front[key] == value, key
    hub_models = [m for task in spaces["tasks"].values() if task["source"] == "hub" for m in task["models"]]
    assert set(front["models"]) == set(hub_models)
    assert set(front["preload_from_hub"]) <= set(hub_models)
    requirements = (ROOT / "requirements.txt").read_text()
    assert f"gradio=={spaces['space']['sdk_version']}" in requirements
