"""Everything a visitor reads, in their language: one gettext catalog per language (locales/), the
English extracted from the code by a tool (python -m i18n.extract), and a third language added as
one file, which every tab's titles, labels, messages, columns and class names then speak."""

import ast
import string

import gradio as gr
import pandas as pd
import pytest
from babel.messages.pofile import read_po
from gradio.context import LocalContext
from gradio_client import handle_file

import app
import examples
import i18n
from harness.offline import ROOT
from harness.server import local_client, serve
from i18n import LanguageName, Text, extract
from models.errors import ShowcaseError
from models.image_classifier import categories
from tests.conftest import PSEUDO, pseudo
from toolkit import gradio_internals, interface, ui
from toolkit.messages import language_of, message, with_columns_translated

# Calls whose first argument is English for a visitor: it must be a literal, for the extractor.
TEMPLATE_CALLS = {"t", "N_", "message", "Text", "ShowcaseError", "ModelUnavailable"}


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


@pytest.fixture(scope="module")
def template():
    return extract.template()


@pytest.fixture(scope="module")
def chinese():
    with open(i18n.LOCALES / "zh.po", "rb") as file:
        return read_po(file)


def test_every_text_a_visitor_reads_has_chinese_with_the_same_values(template, chinese):
    problems = []
    for entry in template:
        if not entry.id:
            continue
        found = chinese.get(entry.id, context=entry.context)
        where = ":".join(map(str, entry.locations[0])) if entry.locations else entry.context
        if found is None or not found.string:
            problems.append(f"{where}: no Chinese for {entry.id!r} (locales/zh.po)")
        elif fields(found.string) != fields(entry.id):
            problems.append(f"{where}: the Chinese of {entry.id!r} fills other values")
    assert not problems, "\n".join(problems)
    # The walk finds them: 80 COCO and 1,000 ImageNet classes, and over 400 texts of the interface and server.
    assert sum(entry.context is None for entry in template if entry.id) > 400 and len(template) > 1500


def test_the_catalog_holds_nothing_the_code_no_longer_says(template, chinese):
    stale = [entry.id for entry in chinese if entry.id and template.get(entry.id, context=entry.context) is None]
    assert not stale, stale


def test_visitor_text_is_a_template_not_an_f_string():
    """The extractor reads literals only: an f-string's text could never be in a catalog."""
    problems = []
    for path in sorted(p for source in extract.SOURCES for p in [ROOT / source, *(ROOT / source).glob("*.py")]):
        if path.suffix != ".py":
            continue
        for call in (
            node for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(node, ast.Call)
        ):
            name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")
            if name in TEMPLATE_CALLS and call.args and isinstance(call.args[0], ast.JoinedStr):
                problems.append(f"{path.relative_to(ROOT)}:{call.lineno}: an f-string; pass a template and its values")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "headers, language",
    [
        ({"accept-language": "zh-CN,zh;q=0.9,en;q=0.8"}, "zh"),
        ({"accept-language": "en-US,en;q=0.9,zh-CN;q=0.8"}, "en"),
        ({"accept-language": "fr-FR,zh-TW;q=0.8,en;q=0.5"}, "zh"),  # the first one there is a catalog for
        ({"accept-language": "en;q=0.2,zh;q=0.7"}, "zh"),  # by preference, not by place
        ({"accept-language": "en-US", "cookie": "showcase-lang=zh-CN"}, "zh"),  # the switch beats the browser
        ({"accept-language": "zh-TW", "cookie": "other=1; showcase-lang=en"}, "en"),
        ({"cookie": "showcase-lang=%7B%22broken"}, "en"),
        ({"accept-language": "zh;q=nonsense"}, "zh"),
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


def test_nested_texts_and_language_names_are_rendered_with_their_message(chinese_request):
    error = ShowcaseError("{what} must be at least {low:,g}, got {value:,g}.", what=Text("Batch size"), low=8, value=2)
    assert str(error) == "Batch size must be at least 8, got 2."  # logs and the API read English
    with pytest.raises(gr.Error, match="批大小至少为 8，收到的是 2。"):
        ui.user_errors(lambda: (_ for _ in ()).throw(error))()
    note = Text("`{name}` does not read {language}.", {"name": "GPT-2", "language": LanguageName("zh")})
    assert note.render("en") == "`GPT-2` does not read Chinese." and note.render("zh") == "`GPT-2` 读不懂中文。"


def test_a_streaming_handlers_error_is_translated_too(chinese_request):
    def stream():
        yield "first"
        raise ShowcaseError("Pretrain an encoder first; then pick an image.")

    with pytest.raises(gr.Error, match="请先预训练一个编码器"):
        list(ui.user_errors(stream)())


def test_table_columns_follow_the_language(chinese_request):
    table = with_columns_translated(pd.DataFrame({"class": ["bus"], "confidence": [0.9]}))
    assert list(table.columns) == ["类别", "置信度"]


def test_class_names_follow_the_language_by_index():
    imagenet = categories("resnet50")
    chinese_names = i18n.class_names("ImageNet", imagenet, "zh")
    assert (imagenet[134], imagenet[517]) == ("crane bird", "crane")
    assert (chinese_names[134], chinese_names[517]) == ("鹤", "起重机")
    assert len(set(chinese_names)) > 990 and i18n.class_names("ImageNet", imagenet, "en") == imagenet
    # A model whose classes are not the dataset's keeps its own names.
    assert i18n.class_names("COCO", ["person", "bicycle", "unicorn"], "zh") == ["人", "自行车", "unicorn"]


def test_what_a_model_reads_is_model_data():
    from models import config

    assert config.prompt_language("OFA-Sys/chinese-clip-vit-base-patch16") == "zh"
    assert config.prompts("zh")["one"] == ["一张{}的照片。"] and len(config.prompts("zh")["ensemble"]) == 7
    assert config.reads("google-bert/bert-base-multilingual-cased", "ko")  # multilingual reads most languages
    assert i18n.text_language(["猫, 狗"]) == "zh" and i18n.text_language(["ねこ"]) == "ja"
    assert i18n.text_language(["cat, dog"]) == "en"


# ---------------------------------------------------------------- a third language, as one file


def test_a_third_language_is_one_catalog_file(pseudo_language):
    language = i18n.languages()[PSEUDO]
    assert (language.name, language.locale) == ("日本語", "ja")
    assert i18n.negotiate("ja-JP,en;q=0.5") == PSEUDO and i18n.negotiate("en") == "en"
    assert "日本語" in interface.switch_choices() and '"ja": "日本語"' in interface.restore_js()
    assert interface.switch_choices()["中文"] == "zh-CN"  # a locale Gradio's own labels know


def visible_texts(demo: gr.Blocks) -> tuple[set[str], list[str]]:
    """The interface text of every tab: the keys of what the browser translates, and any text it
    would show as it is (model names, example inputs and the app's name aside)."""
    translatable, plain = set(), []

    def take(value, where: str) -> None:
        if isinstance(value, gr.i18n.I18nData) or (isinstance(value, str) and value.startswith("__i18n__")):
            translatable.add(gradio_internals.english(value))
        elif isinstance(value, str) and value.strip() and value != "# 🔭 Model Showcase":
            plain.append(f"{where}: {value!r}")

    greeted = next(
        {id(output) for output in fn.outputs} for fn in demo.fns.values() if getattr(fn.fn, "__name__", "") == "greet"
    )
    for block in demo.blocks.values():
        kind = type(block).__name__
        if isinstance(block, gr.Dataframe) and id(block) not in greeted:
            plain += [f"{kind}.headers: {header!r}" for header in block.headers or [] if not str(header).isdigit()]
        if getattr(block, "elem_id", None) == "language-switch" or (isinstance(block, gr.Button) and not block.visible):
            continue  # each language named in itself; the batched twins' buttons, never shown
        if isinstance(block, gr.Dataset):
            take(block.label, kind)  # its rows are example inputs, its column titles the inputs' labels
            continue
        for prop in ("label", "placeholder", "info", "x_title", "y_title", "color_title"):
            take(getattr(block, prop, None), f"{kind}.{prop}")
        if isinstance(block, (gr.Button, gr.Markdown)):
            take(block.value, f"{kind}.value")
        if isinstance(block, gr.Radio):
            for display, _ in block.choices:
                take(display, "Radio choice")
        for prop in ("x", "y", "color"):  # a plot titles its axes and legend by these columns unless told otherwise
            if getattr(block, prop, None) and getattr(block, f"{prop}_title", None) is None:
                plain.append(f"{kind}.{prop}: {getattr(block, prop)!r} untitled")
    return translatable, plain


def test_in_a_third_language_every_title_label_and_description_changes(pseudo_language):
    demo = app.build_app()
    translatable, plain = visible_texts(demo)
    assert not plain, "\n".join(plain)
    translations = interface.I18N.translations[PSEUDO]
    assert len(translatable) > 180
    # Each is the pseudo-translation of its template (a value in it, a language's name, in that language).
    assert [key for key in translatable if not translations.get(key, "").startswith("⟦")] == []


@pytest.fixture(scope="module")
def pseudo_client(pseudo_language, tiny_defaults):
    for client in serve(tiny_defaults):
        yield local_client(client.src), client.src


def test_in_a_third_language_the_server_speaks_it(pseudo_client):
    """Info lines, table columns, summaries, errors and the class names models answer with."""
    from gradio_client import Client

    _, url = pseudo_client
    visitor = Client(url, headers={"Accept-Language": "ja-JP,ja;q=0.9"}, verbose=False, ssl_verify=False)
    _, table, info = visitor.predict(handle_file(examples.bus()), 0.25, 0.45, "yolov8n.pt", api_name="/detect")
    assert table["headers"][:2] == [pseudo("class"), pseudo("confidence")]
    assert pseudo("bus") in [row[0] for row in table["data"]] and info.startswith("⟦**yolov8n.pt**")
    label, _ = visitor.predict(handle_file(examples.lion()), "resnet50", api_name="/classify_image")
    assert label["label"] == pseudo("cheetah")
    resnet, clip, verdict = visitor.predict(
        handle_file(examples.lion()), "", False, "openai/clip-vit-base-patch32", api_name="/compare"
    )
    assert resnet["label"] == pseudo("cheetah") and all(c["label"].startswith("⟦") for c in clip["confidences"])
    assert verdict.startswith("⟦")
    _, _, summary, *_ = visitor.predict(
        "hello", "openai-community/gpt2", "sentence-transformers/all-MiniLM-L6-v2", api_name="/tokenize"
    )
    assert summary.startswith("⟦**openai-community/gpt2**")
    ranking, _, info = visitor.predict(
        "a query", "one sentence\nanother", "sentence-transformers/all-MiniLM-L6-v2", api_name="/similarity"
    )
    assert ranking["headers"] == [pseudo(c) for c in ("query", "rank", "sentence", "cosine")]
    assert pseudo("{queries} query(ies) × {sentences} sentence(s).").format(queries=1, sentences=2) in info
    with pytest.raises(Exception, match="⟦Please enter ⟦some text⟧ first"):
        visitor.predict("", "openai-community/gpt2", "openai-community/gpt2", api_name="/tokenize")
