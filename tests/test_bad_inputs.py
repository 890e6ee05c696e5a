"""Every bad input the issues list, sent through gradio_client: a clear message or a correct result,
and the server keeps answering."""

import pytest
from gradio_client import handle_file

import examples
from harness.server import local_client, serve
from tests.images import write_awkward_images, write_huge_image

CLIP = "openai/clip-vit-base-patch32"
GPT2 = "openai-community/gpt2"
SENTIMENT = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
SAMPLING = (GPT2, 5, "sampling", 0.8, 50, 0.95, 0, 1.0, 1)


@pytest.fixture(scope="module")
def client(tiny_defaults):
    yield from serve(tiny_defaults)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    found = write_awkward_images(folder)
    found["huge.png"] = write_huge_image(folder)
    found["notes.csv"] = folder / "notes.csv"
    found["notes.csv"].write_text("review,stars\nnice,5\nbad,1\n")
    found["empty.zip"] = folder / "empty.zip"
    import zipfile

    with zipfile.ZipFile(found["empty.zip"], "w") as archive:
        archive.writestr("readme.txt", "no images here")
    found["bad_crc.zip"] = folder / "bad_crc.zip"
    with zipfile.ZipFile(found["bad_crc.zip"], "w") as archive:
        for name in ("a/1.png", "a/2.png", "b/1.png", "b/2.png"):
            archive.writestr(name, found["one_pixel.png"].read_bytes())
    damaged = found["bad_crc.zip"].read_bytes().replace(b"IEND", b"IEN!")  # every member fails its CRC check
    found["bad_crc.zip"].write_bytes(damaged)
    return found


def image(files, name):
    return handle_file(str(files[name]))


# (endpoint, arguments builder, expected: a message regex, or None for "answers correctly")
CASES = [
    ("/classify_image", lambda f: (None, "resnet50"), "upload an image"),
    ("/classify_image", lambda f: (image(f, "corrupt.jpg"), "resnet50"), "damaged or truncated"),
    ("/classify_image", lambda f: (image(f, "not_an_image.png"), "resnet50"), "not an image"),
    ("/classify_image", lambda f: (image(f, "huge.png"), "resnet50"), "144 megapixels"),
    ("/classify_image", lambda f: (image(f, "grey.png"), "resnet50"), None),
    ("/classify_image", lambda f: (image(f, "transparent.png"), "resnet50"), None),
    ("/classify_image", lambda f: (image(f, "cmyk.jpg"), "resnet50"), None),
    ("/classify_image", lambda f: (image(f, "sixteen_bit.png"), "resnet50"), None),
    ("/classify_image", lambda f: (image(f, "one_pixel.png"), "resnet50"), None),
    ("/detect", lambda f: (image(f, "corrupt.jpg"), 0.25, 0.45, "yolov8n.pt"), "damaged or truncated"),
    ("/detect", lambda f: (image(f, "one_pixel.png"), 0.25, 0.45, "yolov8n.pt"), None),
    ("/zero_shot", lambda f: (handle_file(examples.cheetah()), "", False, CLIP), "at least one label"),
    ("/zero_shot", lambda f: (handle_file(examples.cheetah()), "  ,   , ", False, CLIP), "at least one label"),
    ("/zero_shot", lambda f: (handle_file(examples.cheetah()), "cat", False, CLIP), None),
    (
        "/zero_shot",
        lambda f: (handle_file(examples.cheetah()), ", ".join(f"thing {i}" for i in range(500)), False, CLIP),
        None,
    ),
    ("/zero_shot", lambda f: (handle_file(examples.cheetah()), "猫, 狗", True, CLIP), None),
    ("/compare", lambda f: (image(f, "not_an_image.png"), "", False, CLIP), "not an image"),
    ("/generate", lambda f: ("", *SAMPLING), "enter a prompt"),
    ("/generate", lambda f: (" \n\t ", *SAMPLING), "enter a prompt"),
    ("/generate", lambda f: ("x" * 100_000, *SAMPLING), None),
    ("/generate", lambda f: ("bell\x07 and null\x00 🙂 中文 mixed", *SAMPLING), None),
    ("/classify_text", lambda f: ("", SENTIMENT), "enter a sentence"),
    ("/classify_text", lambda f: ("word " * 20_000, SENTIMENT), None),
    ("/classify_text", lambda f: ("😀😀 emoji only\n中文和English混合", SENTIMENT), None),
    ("/similarity", lambda f: ("   ", "a\nb", MINILM), "enter a query"),
    ("/similarity", lambda f: ("query", "\n\n", MINILM), "enter sentences"),
    ("/tokenize", lambda f: ("", GPT2, MINILM), "enter some text"),
    ("/tokenize", lambda f: ("\x01\x02 控制 characters 🙂", GPT2, MINILM), None),
    ("/train_bpe", lambda f: ("onlyoneword", 10, ""), None),
    ("/train_bpe", lambda f: ("a corpus", 0, ""), None),
    ("/train_bpe", lambda f: ("a corpus", 1_000_000, ""), None),
    ("/train_bpe", lambda f: ("   ", 10, ""), "enter a corpus"),
    ("/attention", lambda f: ("", 1, 1, MINILM), "enter a sentence"),
    ("/attention", lambda f: ("word " * 20_000, 1, 1, MINILM), None),  # cut to 48 tokens, with a notice
    (
        "/finetune_text",
        lambda f: (image(f, "notes.csv"), None, None, None, MINILM, "linear probe (fast)", 3, 5e-5, 16, 128, 2000),
        "No label column",
    ),
    (
        "/finetune_text",
        lambda f: (
            image(f, "not_an_image.png"),
            None,
            None,
            None,
            MINILM,
            "linear probe (fast)",
            3,
            5e-5,
            16,
            128,
            2000,
        ),
        "Invalid file type",
    ),  # refused by Gradio itself, from the tab's file_types
    (
        "/finetune_text",
        lambda f: (None, None, None, None, MINILM, "linear probe (fast)", 3, 5e-5, 16, 128, 2000),
        "Upload a CSV or TSV file first",
    ),
    (
        "/finetune_text",
        lambda f: (
            handle_file(str(examples.REVIEWS["en"])),
            None,
            None,
            None,
            MINILM,
            "linear probe (fast)",
            3,
            5e-5,
            16,
            128,
            0,
        ),
        "Max rows used must be at least 2",
    ),
    (
        "/finetune_text",
        lambda f: (
            handle_file(str(examples.REVIEWS["en"])),
            None,
            None,
            None,
            MINILM,
            "linear probe (fast)",
            3,
            5e-5,
            16,
            128,
            -5,
        ),
        "Max rows used must be at least 2",
    ),
    ("/generate", lambda f: ("Hi", *SAMPLING[:-1], 2**64), "The seed must be from 0 to"),
    # Past float's range: Gradio's own integer rounding of the box failed with its generic error.
    ("/generate", lambda f: ("Hi", *SAMPLING[:-1], "1e400"), "The seed must be a whole number, got '1e400'"),
    ("/generate", lambda f: ("Hi", *SAMPLING[:-1], -5), "The seed must be from 0 to"),
    ("/train_bpe", lambda f: ("abc def", "1e400", ""), "Merges must be a whole number"),
    ("/train_bpe", lambda f: ("word " * 5000, 10, ""), None),  # one line over the sample's 20,000-character limit
    ("/finetune_image", lambda f: ([image(f, "bad_crc.zip")], "resnet50"), "damaged inside the zip"),
    ("/finetune_image", lambda f: ([image(f, "empty.zip")], "resnet50"), "No usable labelled images"),
    (
        "/finetune_image",
        lambda f: ([image(f, "grey.png"), image(f, "cmyk.jpg")], "resnet50"),
        "No usable labelled images",
    ),
]


@pytest.mark.parametrize("endpoint, arguments, expected", CASES, ids=[f"{c[0]}-{n}" for n, c in enumerate(CASES)])
def test_bad_input_gets_a_message_or_a_result(client, files, endpoint, arguments, expected):
    if expected is None:
        assert client.predict(*arguments(files), api_name=endpoint) is not None
    else:
        with pytest.raises(Exception, match=expected):
            client.predict(*arguments(files), api_name=endpoint)


def test_the_server_still_answers_afterwards(client):
    label, _ = client.predict(handle_file(examples.cheetah()), "resnet50", api_name="/classify_image")
    assert label["label"] == "cheetah"
    assert local_client(client.src).predict("hello", GPT2, MINILM, api_name="/tokenize")


# A lone surrogate cannot be encoded as UTF-8, so gradio_client cannot send one; raw JSON can ("\\ud800").
SURROGATES = [
    ("generate", ["\\ud800", *SAMPLING], "error", "enter a prompt"),
    ("generate", ["caf\\ud800e", *SAMPLING], "complete", "cafe"),
    ("similarity", ["\\ud800", "a\\nb", MINILM], "error", "enter a query"),
    ("similarity", ["caf\\ud800e", "a\\nb\\ud800", MINILM], "complete", "cafe"),
    ("tokenize", ["\\ud800 lone", GPT2, MINILM], "complete", "lone"),
]


@pytest.mark.parametrize("api_name, data, event, expected", SURROGATES, ids=[f"{c[0]}-{c[2]}" for c in SURROGATES])
def test_lone_surrogates_in_raw_json(client, api_name, data, event, expected):
    import json

    import httpx

    base = client.src.rstrip("/")
    body = (
        "{"
        + '"data": ['
        + ", ".join(f'"{item}"' if isinstance(item, str) else json.dumps(item) for item in data)
        + "]}"
    )
    started = httpx.post(
        f"{base}/gradio_api/call/{api_name}", content=body, headers={"content-type": "application/json"}
    )
    answer = httpx.get(f"{base}/gradio_api/call/{api_name}/{started.json()['event_id']}", timeout=120).text
    assert f"event: {event}" in answer and expected in answer, answer[:300]
