"""The project's own rules: the task contract, the layering, the Space card, docs that name real files."""

import ast
import os
import re
from dataclasses import replace

import pytest
import yaml

import models
import tasks
from harness.offline import ROOT, SHARED
from models import config

LAYERS = ("app.py", "i18n", "models", "storage", "toolkit", "tasks", "harness", "bench", "tests", "examples")
# Gradio's internals (private modules, attributes and markers): only toolkit/gradio_internals.py may touch them.
GRADIO_INTERNALS = ("gradio.i18n", "gradio.context", "gradio.processing_utils", "gradio.data_classes")
GRADIO_INTERNAL_NAMES = ("_mcp_type", "__i18n__", "get_api_info", "LocalContext", "GRADIO_CACHE")


def python_files(*folders: str):
    for folder in folders:
        yield from sorted((ROOT / folder).glob("*.py"))


def imported_modules(path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_every_task_meets_the_contract():
    registered = tasks.registered()
    assert [task.key for task in registered] == list(config.task_entries())
    assert {task.section for task in registered} <= {"Vision", "Language", "Training"}


@pytest.mark.parametrize(
    "tasks_section, message",
    [
        ({"weather": ["yolo11n-seg.pt"]}, "spaces.yaml lists the task 'weather', but tasks/weather.py does not exist"),
        (
            {"detection": ["resnet50"]},
            "'resnet50' is a image_classifier model; tasks/detection.py runs yolo models as its model",
        ),
        (
            {"detection": ["no-such-model.pt"]},
            "task 'detection' offers 'no-such-model.pt', which the models list lacks",
        ),
        (
            {"compare": ["resnet50"]},
            "spaces.yaml gives model roles ['model']; the task declares ['classifier', 'clip']",
        ),
    ],
)
def test_the_registry_refuses_a_broken_task_with_a_clear_message(monkeypatch, tasks_section, message):
    monkeypatch.setattr(config, "task_entries", lambda: {key: {"model": ids} for key, ids in tasks_section.items()})
    tasks.registered.cache_clear()
    try:
        with pytest.raises(tasks.TaskContractError, match=re.escape(message)):
            tasks.registered()
    finally:
        tasks.registered.cache_clear()


def test_two_tabs_cannot_serve_one_endpoint(monkeypatch):
    from tasks import similarity, text_classification
    from toolkit.task import Endpoint

    taken = Endpoint("classify_text", similarity.run)
    monkeypatch.setattr(similarity, "TASK", replace(similarity.TASK, endpoints=(taken,)))
    tasks.registered.cache_clear()
    try:
        with pytest.raises(tasks.TaskContractError, match=re.escape("the endpoint /classify_text is already another")):
            tasks.registered()
    finally:
        tasks.registered.cache_clear()
    assert text_classification.TASK.endpoint("classify_text").twin == "classify_text_batched"


def test_no_task_module_imports_another():
    task_modules = {f"tasks.{key}" for key in config.task_entries()} | {"tasks"}
    for path in python_files("tasks"):
        if path.name == "__init__.py":
            continue
        assert not imported_modules(path) & task_modules, path.name


def test_tabs_make_task_level_calls_not_a_models_pipeline_steps():
    """The pipeline lives in the model layer: a tab calls `top_k`, `classify`, `detect`, `rank` or
    `stream`, never a model's preprocess, forward, probabilities or label embeddings."""
    steps = {"preprocess", "forward", "probabilities", "label_embeddings", "encode_prompts"}
    for path in python_files("tasks"):
        calls = [node for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(node, ast.Call)]
        called = {call.func.attr for call in calls if isinstance(call.func, ast.Attribute)}
        assert not called & steps, f"{path.name} calls {sorted(called & steps)}"


def test_the_language_core_knows_nothing_above_it():
    for path in python_files("i18n"):
        imported = {m.split(".")[0] for m in imported_modules(path)}
        assert not imported & {"models", "toolkit", "tasks", "gradio", "torch"}, path.name


def test_only_one_module_reaches_into_gradios_internals():
    for path in [ROOT / "app.py", *python_files("models", "toolkit", "tasks", "i18n")]:
        if path.name == "gradio_internals.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert not {m for m in imported_modules(path) if m.startswith(GRADIO_INTERNALS)}, path.name
        assert not [name for name in GRADIO_INTERNAL_NAMES if name in text], path.name


def readme_tabs() -> list[tuple[str, list[str], list[str]]]:
    """README's table of tabs: each row's title, API names, and those it says stream."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| tab | API name |") :].split("\n\n")[0].splitlines()[2:]
    rows = []
    for line in table:
        title, names = line.split("|")[1:3]
        rows.append((title.strip(), re.findall(r"`/(\w+)`", names), re.findall(r"`/(\w+)` \(streams\)", names)))
    return rows


def test_readmes_table_of_tabs_is_the_registrys():
    registered = [
        (task.title, [e.name for e in task.endpoints], [e.name for e in task.endpoints if e.streams])
        for task in tasks.registered()
    ]
    assert readme_tabs() == registered


def test_readmes_mcp_tools_are_the_registrys():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = readme[readme.index("named after them:") :].split("each described")[0]
    assert re.findall(r"`(\w+)`", listed) == tasks.tools()


def test_the_model_layer_and_the_results_store_know_nothing_of_tabs_or_gradio():
    for path in python_files("models", "storage", "storage/migrations", "storage/migrations/versions"):
        assert not {m for m in imported_modules(path) if m.split(".")[0] in ("tasks", "toolkit", "gradio")}, path.name


def test_benchmarks_do_not_import_the_tests():
    for path in python_files("bench", "harness"):
        assert not {m for m in imported_modules(path) if m.split(".")[0] == "tests"}, path.name


def test_docs_comments_and_config_name_only_files_that_exist():
    # A path inside the repository, not one under ../shared nor a pattern such as tasks/<name>.py.
    mention = re.compile(
        r"(?<![/\w.])((?:models|storage|toolkit|tasks|harness|bench|tests|examples|\.ci)/[\w./-]*\w)(?![\w<])"
    )
    sources = [
        ROOT / "README.md",
        ROOT / "spaces.yaml",
        ROOT / "bench" / "RESULTS.md",
        ROOT / ".ci" / "run",
        ROOT / "app.py",
        *(p for p in python_files(*LAYERS[1:]) if p.name != "test_project.py"),
    ]
    for source in sources:
        for name in mention.findall(source.read_text(encoding="utf-8")):
            assert (ROOT / name).exists() or (ROOT / f"{name}.py").exists(), f"{source.name} names {name}"


def test_readme_front_matter_agrees_with_spaces_yaml():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    front = yaml.safe_load(readme.split("---")[1])
    spaces = config.spaces()
    for key, value in spaces["space"].items():
        assert front[key] == value, key
    assert set(front["models"]) == set(models.hub_models())
    preloaded = dict(entry.split() for entry in front["preload_from_hub"])  # repo id -> its files
    assert set(preloaded) <= set(models.hub_models())
    assert all("model.safetensors" in files.split(",") for files in preloaded.values())  # one weight format only
    requirements = (ROOT / "requirements.txt").read_text()
    assert re.search(rf"^gradio(\[[a-z,]+\])?=={re.escape(spaces['space']['sdk_version'])}$", requirements, re.M)


def test_the_spaces_python_runs_every_pinned_package():
    """Each pin's own Requires-Python admits the front matter's python_version (Spaces' default, 3.10,
    fails to install numpy 2.4, pandas 3.1 and transformers 5.23)."""
    from importlib.metadata import metadata

    from packaging.specifiers import SpecifierSet

    python = config.spaces()["space"]["python_version"]
    pinned = (ROOT / "requirements.txt").read_text() + (ROOT / "requirements-ray.txt").read_text()
    pins = re.findall(r"^([A-Za-z0-9_.-]+)(?:\[[a-z,]+\])?==([^\s#]+)", pinned, re.M)
    assert len(pins) > 10
    refused = []
    for name, version in pins:
        info = metadata(name)
        assert info["Version"] == version, f"{name} {info['Version']} installed, {version} pinned"
        if python not in SpecifierSet(info.get("Requires-Python") or ""):
            refused.append(f"{name}=={version} requires Python {info['Requires-Python']}")
    assert not refused, refused


def test_the_files_preloaded_for_a_model_are_enough_to_load_it(tmp_path):
    """all-MiniLM-L6-v2's preload list, alone in a hub cache, loads it (its real files are in ../shared)."""
    import subprocess
    import sys

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    files = dict(entry.split() for entry in yaml.safe_load(readme.split("---")[1])["preload_from_hub"])
    model_id = "sentence-transformers/all-MiniLM-L6-v2"
    shared = SHARED / "models" / "hf" / "hub" / f"models--{model_id.replace('/', '--')}"
    revision = (shared / "refs" / "main").read_text().strip()
    copy = tmp_path / "hub" / shared.name
    (copy / "refs").mkdir(parents=True)
    (copy / "refs" / "main").write_text(revision)
    (copy / "snapshots" / revision).mkdir(parents=True)
    for name in files[model_id].split(","):
        (copy / "snapshots" / revision / name).symlink_to((shared / "snapshots" / revision / name).resolve())
    code = (
        f"from transformers import AutoModel, AutoTokenizer; AutoTokenizer.from_pretrained('{model_id}'); "
        f"print(AutoModel.from_pretrained('{model_id}').config.hidden_size)"
    )
    env = {**os.environ, "HF_HUB_CACHE": str(tmp_path / "hub"), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.stdout.strip() == "384", done.stderr[-2000:]
