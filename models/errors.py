"""The errors a visitor can act on, raised by the model layer and by the tabs alike. Each carries
its message as an i18n.Text, rendered in the visitor's language where it is shown (toolkit.ui)."""

from __future__ import annotations

from typing import Any

from i18n import Text


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
