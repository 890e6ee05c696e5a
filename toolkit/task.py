"""The contract every tab module meets: a TASK that the registry (tasks/__init__.py) checks at start-up."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import i18n
import models
from i18n import LanguageName, Text
from models import config
from models.errors import ShowcaseError
from toolkit.messages import message

# The runtime ledger's endpoint, shared by the tabs that have one (Task.runtimes).
LEDGER_ENDPOINT = "runtimes"
# The saved results' endpoints (toolkit.sharing): a result's link, and a report of results.
SHARING_ENDPOINTS = ("share", "report")
# Tabs are grouped under these headings, in this order.
SECTIONS = (i18n.N_("Vision"), i18n.N_("Language"), i18n.N_("Training"))


@dataclass(frozen=True)
class Endpoint:
    """One of a tab's API endpoints, `/name`: its handler (whose docstring describes it on the API
    page and to MCP clients), whether MCP clients get it as a tool (inference, not training), and for
    handlers built from a prepare and a predict step (toolkit.ui.one_request), a batched twin
    `/name_batched` whose concurrent requests share one forward pass."""

    name: str
    handler: Callable
    tool: bool = True
    batched: tuple[Callable, Callable] | None = None  # (prepare, predict)

    @property
    def streams(self) -> bool:
        return inspect.isgeneratorfunction(self.handler)

    @property
    def twin(self) -> str | None:
        return f"{self.name}_batched" if self.batched else None


@dataclass(frozen=True)
class Task:
    """A tab: its title and section, the model families it can run per role, and its UI.

    Its model choices are not here: spaces.yaml lists them under the module's name.
    """

    module: str  # the module's __name__; its last part is the key in spaces.yaml
    title: str
    section: str
    families: dict[str, tuple[str, ...]]  # role -> families its models may be ({"model": ("yolo",)})
    build_ui: Callable[[], None]  # the tab's contents, inside gr.Blocks; it binds the endpoints to its buttons
    endpoints: tuple[Endpoint, ...] = ()
    preload: Callable[[], None] | None = field(default=None)  # default: load each role's default model
    # The runtime ledger's call for (model id, image, text) (a toolkit.runtime_ledger.LedgerCall, or one
    # per model the tab shows), if the tab has one.
    runtimes: Callable[[str, Any, str], Any] | None = None

    @property
    def key(self) -> str:
        return self.module.rsplit(".", 1)[-1]

    def choices(self, role: str = "model") -> list[str]:
        return config.task_entries()[self.key][role]

    def default(self, role: str = "model") -> str:
        return models.default(self.choices(role))

    def check(self, model_id: str, role: str = "model") -> str:
        """The id, if this tab offers it for the role; otherwise a ShowcaseError listing the choices."""
        choices = self.choices(role)
        if model_id not in choices:
            raise ShowcaseError(
                "Unknown model '{model_id}' for {title}; choose one of {choices}.",
                model_id=model_id,
                title=Text(self.title),
                choices=choices,
            )
        return model_id

    def load(self, model_id: str, role: str = "model") -> Any:
        """One of this tab's models, loaded once; an id the tab does not offer is refused."""
        return models.load(self.check(model_id, role))

    def endpoint(self, name: str) -> Endpoint:
        return next(endpoint for endpoint in self.endpoints if endpoint.name == name)

    def reader(self, language: str, role: str = "model") -> str | None:
        """The tab's model for text in a language (spaces.yaml's `languages`): the first trained on
        it, else the first multilingual one, else None."""
        choices = self.choices(role)
        own = [model_id for model_id in choices if language in models.languages(model_id)]
        return next(iter(own + [model_id for model_id in choices if models.reads(model_id, language)]), None)

    def model_for(self, language: str, role: str = "model") -> str:
        """The model a visitor who reads `language` starts with: the default, unless it does not read
        that language and another of the tab's models does."""
        default = self.default(role)
        if models.reads(default, language):
            return default
        return self.reader(language, role) or default

    def with_models(self, rows: list[list], role: str = "model") -> list[list]:
        """Example rows with the model each runs on: the tab's model that reads the row's language,
        else the default."""
        default = self.default(role)
        return [[*row, self.reader(i18n.text_language([str(v) for v in row]), role) or default] for row in rows]

    def language_note(self, model_id: str, texts: list[str], tokenizer: Any = None, role: str = "model") -> str:
        """For text sent to a model that does not read its language: says so (with how many tokens
        its tokenizer does not know) and names the first of the tab's models that reads it."""
        language = i18n.text_language(texts)
        if models.reads(model_id, language):
            return ""
        name, language_name = models.label(model_id), LanguageName(language)
        if tokenizer is not None and tokenizer.unk_token_id is not None:
            ids = [i for text in texts for i in tokenizer(text, add_special_tokens=False)["input_ids"]]
            note = message(
                "`{name}` does not read {language} ({unknown} of {count} tokens are unknown to it).",
                name=name,
                language=language_name,
                unknown=ids.count(tokenizer.unk_token_id),
                count=len(ids),
            )
        else:
            note = message("`{name}` does not read {language}.", name=name, language=language_name)
        reader = self.reader(language, role)
        if reader is None:
            return note
        return note + message(
            " For {language}, choose `{reader}`.", language=language_name, reader=models.label(reader)
        )

    def warm(self) -> None:
        """Loads what the tab needs before its first request (app.py --preload)."""
        if self.preload is not None:
            self.preload()
            return
        for role in self.families:
            self.load(self.default(role), role)

    def problems(self, module_name: str) -> list[str]:
        """Every way this task breaks the contract; empty when it meets it."""
        where = f"tasks/{module_name.rsplit('.', 1)[-1]}.py"
        found = []
        if self.module != module_name:
            found.append(f"{where}: TASK.module is '{self.module}'; pass __name__.")
        if not self.title.strip():
            found.append(f"{where}: TASK.title is empty.")
        if self.section not in SECTIONS:
            found.append(f"{where}: section '{self.section}' is not one of {SECTIONS}.")
        if not callable(self.build_ui):
            found.append(f"{where}: TASK.build_ui is not a function.")
        listed = config.task_entries().get(self.key, {})
        if set(listed) != set(self.families):
            found.append(
                f"{where}: spaces.yaml gives model roles {sorted(listed)}; the task declares {sorted(self.families)}."
            )
        for role, model_ids in listed.items():
            if not model_ids:
                found.append(f"spaces.yaml: task '{self.key}' lists no {role} model.")
            for model_id in model_ids:
                entry = config.model_entries().get(model_id)
                if entry is None:
                    found.append(f"spaces.yaml: task '{self.key}' offers '{model_id}', which the models list lacks.")
                elif entry.get("family") not in self.families.get(role, ()):
                    found.append(
                        f"spaces.yaml: '{model_id}' is a {entry.get('family')} model; {where} runs "
                        f"{' or '.join(self.families.get(role, ()))} models as its {role}."
                    )
        return found
