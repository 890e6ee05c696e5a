"""The errors a visitor can act on, raised by the model layer and by the tabs alike, and the text
shown to visitors: written in English as a template with values, translated where it is shown
(toolkit/messages.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Text:
    """Text for a visitor: an English template (str.format) and its values. A value that is itself
    a Text is translated with it."""

    template: str
    values: dict[str, Any] = field(default_factory=dict)

    def render(self, translate: Callable[[str], str] = lambda template: template) -> str:
        """The text, its template (and every nested one) passed through translate first."""
        if not self.values:
            return translate(self.template)
        values = {
            name: value.render(translate) if isinstance(value, Text) else value for name, value in self.values.items()
        }
        return translate(self.template).format(**values)

    def __str__(self) -> str:
        return self.render()


class ShowcaseError(Exception):
    """A problem the user can act on; its message is shown in the page, in the visitor's language.

    The message is an English template and its values: ShowcaseError("{name} is empty.", name=...).
    """

    def __init__(self, template: str, **values: Any) -> None:
        self.text = Text(template, values)
        super().__init__(str(self.text))


class ModelUnavailable(ShowcaseError):
    """A model's weights could not be loaded (no network, missing file)."""


def unavailable(model_id: str, error: BaseException, how_to_fix: Text) -> ModelUnavailable:
    """The message for a model that cannot be had: which model, why, and how to make it available."""
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return ModelUnavailable(
        "The model '{model_id}' could not be loaded ({reason}). {how_to_fix} The other tabs keep working.",
        model_id=model_id,
        reason=reason[:200],
        how_to_fix=how_to_fix,
    )
