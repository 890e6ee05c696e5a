"""What the server writes, in the visitor's language: every message has its Chinese, and a request
from a Chinese page gets it."""

import ast
import string
from pathlib import Path

import gradio as gr
import pytest
from gradio.context import LocalContext

from harness.offline import ROOT
from models.errors import ShowcaseError, Text
from toolkit import ui
from toolkit.messages import CHINESE, language_of, message, with_columns_translated
from toolkit.zh import ZH
from toolkit.zh_messages import ZH_MESSAGES
from toolkit.zh_tab_messages import ZH_TAB_MESSAGES

SOURCES = sorted(
    [ROOT / "app.py", *(ROOT / "models").glob("*.py"), *(ROOT / "toolkit").glob("*.py"), *(ROOT / "tasks").glob("*.py")]
)
# Calls whose first argument is an English template for visitors, and calls whose `what` (second
# argument) names a setting or input inside such a message.
TEMPLATE_CALLS = {"ShowcaseError", "ModelUnavailable", "Text", "message"}
NAME_CALLS = {"number", "clean_text", "text_lines"}


class Request:
    """What handlers see of a request: its headers."""

    def __init__(self, **headers: str) -> None:
        self.headers = {name.replace("_", "-"): value for name, value in headers.items()}


@pytest.fixture
def chinese_request():
    token = LocalContext.request.set(Request(accept_language="zh-CN,zh;q=0.9"))
    yield
    LocalContext.request.reset(token)


def called_name(call: ast.Call) -> str:
    return call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")


def visitor_texts(path: Path) -> list[tuple[int, ast.expr]]:
    """(line, expression) of every template and setting name the file hands to a visitor's message."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = {
        target.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    found = []
    for call in (node for node in ast.walk(tree) if isinstance(node, ast.Call)):
        name = called_name(call)
        if name in TEMPLATE_CALLS and call.args:
            argument = call.args[0]
        elif name in NAME_CALLS and len(call.args) > 1:
            argument = call.args[1]
        else:
            continue
        if isinstance(argument, ast.Name) and argument.id in constants:
            argument = constants[argument.id]
        found.append((call.lineno, argument))
    return found


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_every_message_has_chinese_with_the_same_values():
    problems, checked = [], 0
    for path in SOURCES:
        for line, argument in visitor_texts(path):
            where = f"{path.relative_to(ROOT)}:{line}"
            if isinstance(argument, ast.JoinedStr):
                problems.append(f"{where}: an f-string; pass a template and its values, so it can be translated")
            elif isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                checked += 1
                if argument.value not in CHINESE:
                    problems.append(
                        f"{where}: no Chinese for {argument.value!r} (toolkit/zh_messages.py, or "
                        "zh_tab_messages.py for a tab's own)"
                    )
                elif fields(CHINESE[argument.value]) != fields(argument.value):
                    problems.append(f"{where}: the Chinese of {argument.value!r} fills other values")
    assert not problems, "\n".join(problems)
    assert checked > 150  # the walk finds the messages (a broken walk would pass vacuously)


def test_each_chinese_text_is_in_one_table():
    tables = [set(ZH), set(ZH_MESSAGES), set(ZH_TAB_MESSAGES)]
    assert len(CHINESE) == sum(map(len, tables))


@pytest.mark.parametrize(
    "headers, language",
    [
        ({"accept-language": "zh-CN,zh;q=0.9,en;q=0.8"}, "zh"),
        ({"accept-language": "en-US,en;q=0.9,zh-CN;q=0.8"}, "en"),
        ({"accept-language": "en-US", "cookie": "showcase-lang=zh-CN"}, "zh"),  # the switch beats the browser
        ({"accept-language": "zh-TW", "cookie": "other=1; showcase-lang=en"}, "en"),
        ({"cookie": "showcase-lang=%7B%22broken"}, "en"),
        ({}, "en"),
    ],
)
def test_the_language_comes_from_the_pages_cookie_then_the_browser(headers, language):
    assert language_of(headers) == language


def test_a_message_is_english_outside_a_request_and_chinese_for_a_chinese_one(chinese_request):
    template = "Skipped {count} file(s): {skipped}"
    assert message(template, count=2, skipped="a.txt") == "跳过了 2 个文件：a.txt"
    token = LocalContext.request.set(None)
    assert message(template, count=2, skipped="a.txt") == "Skipped 2 file(s): a.txt"
    LocalContext.request.reset(token)


def test_nested_texts_are_translated_with_their_message(chinese_request):
    error = ShowcaseError("{what} must be at least {low:,g}, got {value:,g}.", what=Text("Batch size"), low=8, value=2)
    assert str(error) == "Batch size must be at least 8, got 2."  # logs and the API read English
    with pytest.raises(gr.Error, match="批大小至少为 8，收到的是 2。"):
        ui.user_errors(lambda: (_ for _ in ()).throw(error))()


def test_a_streaming_handlers_error_is_translated_too(chinese_request):
    def stream():
        yield "first"
        raise ShowcaseError("Pretrain an encoder first; then pick an image.")

    wrapped = ui.user_errors(stream)
    with pytest.raises(gr.Error, match="请先预训练一个编码器"):
        list(wrapped())


def test_table_columns_follow_the_language(chinese_request):
    import pandas as pd

    table = with_columns_translated(pd.DataFrame({"class": ["bus"], "confidence": [0.9]}))
    assert list(table.columns) == ["类别", "置信度"]
