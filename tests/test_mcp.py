"""The MCP server (`python app.py --mcp`): named, described tools for the inference tabs, called on real weights."""

import asyncio
import base64
import json
import re

import pytest

import app
import examples
import tasks
from harness.server import free_port
from harness.stand_ins import install
from storage import results


def tools_and_calls(url: str, calls: dict[str, dict]) -> tuple[list, dict]:
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    async def session():
        async with streamablehttp_client(url) as (read, write, _):
            async with ClientSession(read, write) as client:
                await client.initialize()
                listed = (await client.list_tools()).tools
                answers = {name: await client.call_tool(name, arguments) for name, arguments in calls.items()}
                return listed, answers

    return asyncio.run(session())


@pytest.fixture(scope="module")
def mcp_url(tiny_defaults):
    install(tiny_defaults)
    demo = app.build_app()
    port = free_port()
    app.launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True, mcp_server=True)
    yield f"http://127.0.0.1:{port}/gradio_api/mcp/"
    demo.close()


def data_url(path, kind: str = "image/jpeg") -> str:
    return f"data:{kind};base64," + base64.b64encode(open(path, "rb").read()).decode()


def test_tools_are_named_described_and_exclude_training(mcp_url):
    bus = data_url(examples.bus())
    calls = {
        "detect": {"image": bus, "confidence": 0.25, "iou": 0.45, "model_id": "yolov8n.pt"},
        "similarity": {
            "queries_text": "I can't log in",
            "sentences_text": "Reset my password\nThe cat sleeps",
            "model_id": "sentence-transformers/all-MiniLM-L6-v2",
        },
    }
    listed, answers = tools_and_calls(mcp_url, calls)
    tools = {tool.name: tool for tool in listed}
    assert set(tools) == set(tasks.tools())  # what the tabs declare
    training = ("finetune_text", "try_text_model", "finetune_image", "try_image_model", "pretrain", "train_bpe")
    assert "detect" in tools and not set(training) & set(tools) and not any(t.endswith("_batched") for t in tools)
    detect = tools["detect"]
    assert detect.description.startswith("Finds the objects of the 80 COCO classes")
    properties = detect.inputSchema["properties"]
    assert properties["confidence"]["description"].startswith("keep objects found with at least this confidence")
    assert properties["model_id"]["description"].startswith("a model the tab offers")

    detected = json.dumps([part.model_dump() for part in answers["detect"].content])
    assert not answers["detect"].isError, detected
    assert "bus" in detected and "person" in detected
    ranked = json.dumps([part.model_dump() for part in answers["similarity"].content])
    assert not answers["similarity"].isError, ranked
    assert ranked.index("Reset my password") < ranked.index("The cat sleeps")


def test_every_tool_answers_a_call(mcp_url):
    """One call to each tool the tabs declare, sending only what a client must (and a list of files
    to compare_batch, which Gradio's own MCP server refused: toolkit.gradio_internals mends it)."""
    bus, lion = data_url(examples.bus()), data_url(examples.lion())
    typed = {"key": "Text|value|1", "label": "Text", "kind": "value", "input": True, "value": "Hello world"}
    saved = results.store().save("f" * 32, "tokenizer", "en", {"title": "Tokenizers", "fields": [typed]}, [])
    calls = {
        "detect": {"image": bus},
        "explain_detect": {"image": bus, "box": 2},
        "cut_out": {"image": bus},
        "explain_cut_out": {"image": bus, "keep": "bus"},
        "classify_image": {"image": lion},
        "explain_classify_image": {"image": lion, "rank": 2},
        "zero_shot": {"image": lion, "labels_text": "lion, house cat"},
        "explain_zero_shot": {"image": lion, "labels_text": "lion, house cat", "rank": 2},
        "compare": {"image": lion, "labels_text": ""},
        "explain_compare": {"image": lion, "labels_text": ""},
        "compare_batch": {"files": [lion, bus], "labels_text": ""},
        "generate": {"prompt": "Once upon a time", "max_new_tokens": 5},
        "explain_generate": {"prompt": "Once upon a time", "max_new_tokens": 5},
        "classify_text": {"text": "I loved every minute of it."},
        "explain_classify_text": {"text": "I loved every minute of it.", "rank": 2},
        "similarity": {"queries_text": "I can't log in", "sentences_text": "Reset my password\nThe cat sleeps"},
        "explain_similarity": {"queries_text": "I can't log in", "sentences_text": "Reset my password", "row": 1},
        "tokenize": {"text": "Hello world"},
        "attention": {"sentence": "The cat sleeps on the mat."},
        "count_objects": {
            "clip_path": data_url(examples.counting_clip(), "video/webm"),
            "shapes_json": json.dumps(examples.COUNTING_SHAPES),
        },
        "runtimes": {
            "tab": "text_classification",
            "model_id": "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
            "text": "I loved every minute of it.",
        },
        "share": {"result_id": saved.id},
        "report": {"result_ids": saved.id, "language": "zh"},
    }
    assert set(calls) == set(tasks.tools())
    _, answers = tools_and_calls(mcp_url, calls)
    texts = {name: json.dumps([part.model_dump() for part in answer.content]) for name, answer in answers.items()}
    assert [name for name, answer in answers.items() if answer.isError] == [], texts
    # compare_batch's summary row: model, top-1, top-5, agreement, ms per image, images, labelled.
    assert re.search(r"\['ResNet-50', [^\]]*, 2, 0\]", texts["compare_batch"]), texts["compare_batch"]
    # A row per new token: position, token, probability, the likeliest five (" · " between them, escaped).
    explained = texts["explain_generate"]
    assert re.search(r"\[5, '[^']*', '[\d.]+%'", explained) and explained.count("\\u00b7") >= 5 * 4, explained
    # Each object's next likeliest classes (" · " between them); the picked object named.
    assert "object 2, \\u201cperson\\u201d" in texts["explain_detect"], texts["explain_detect"]
    assert re.search(r"\[1, 'bus', 0\.\d+, '[^']+ \d", texts["explain_cut_out"]), texts["explain_cut_out"]
    # The stand-in ResNet's head has only a bias: nothing in a photo raises a class's score.
    assert "the map is empty" in texts["explain_classify_image"], texts["explain_classify_image"]
    assert re.search(r"\d+\.\d%, number 2\): Grad-CAM", texts["explain_zero_shot"]), texts["explain_zero_shot"]
    # The text's tokens with their effects, the class of rank 2 named.
    assert "loved" in texts["explain_classify_text"] and "number 2" in texts["explain_classify_text"]
    assert "Match 1: with mean-pooled embeddings" in texts["explain_similarity"], texts["explain_similarity"]
    # Both models' first answers: the stand-in ResNet's empty map, CLIP's label.
    assert "the map is empty" in texts["explain_compare"] and "its similarity to" in texts["explain_compare"]
    # A row per runtime, PyTorch fp32 the reference, INT8 agreeing on the first label.
    assert "(the reference)" in texts["runtimes"] and "OpenVINO INT8" in texts["runtimes"], texts["runtimes"]
    assert re.search(r"'OpenVINO INT8', '[\d.]+', '[\d.]+x', 'int8'.*top-1 the same", texts["runtimes"]), texts[
        "runtimes"
    ]
    # A saved result's link, and its report (an HTML file).
    assert f"/?result={saved.id}" in texts["share"] and ".html" in texts["report"], texts["report"]
    # The counting example's counts: the door crossed once each way, one person in the corner for 2.8 s.
    assert re.search(
        r"\['Door', 'line', 'person', 1, 1, .*\['Corner', 'zone', 'person', .*1, 1, 2\.8, 2\.8\]",
        texts["count_objects"],
    ), texts["count_objects"]


def test_a_url_the_server_will_not_fetch_gets_a_message_that_says_why(mcp_url):
    """Gradio's guard refuses private addresses; its refusal reached MCP clients as "The upstream Gradio
    app has raised an exception but has not enabled verbose error reporting"."""
    detect = {"confidence": 0.25, "iou": 0.45, "model_id": "yolov8n.pt"}
    calls = {"detect": {"image": "http://127.0.0.1:1/bus.jpg", **detect}}
    _, answers = tools_and_calls(mcp_url, calls)
    said = answers["detect"].content[0].text
    assert answers["detect"].isError
    assert said.startswith("The file at http://127.0.0.1:1/bus.jpg could not be fetched: it is on a private or local")


def test_a_url_refused_through_the_api_is_explained_in_the_visitors_language(mcp_url):
    from gradio_client import Client, handle_file

    client = Client(mcp_url.split("gradio_api")[0], headers={"Accept-Language": "zh-CN"}, verbose=False)
    with pytest.raises(Exception, match="无法获取位于 http://10.0.0.1/bus.jpg 的文件：它位于私有或本地网络上"):
        client.predict(handle_file("http://10.0.0.1/bus.jpg"), 0.25, 0.45, "yolov8n.pt", api_name="/detect")
