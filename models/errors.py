"""The errors a visitor can act on, raised by the model layer and by the tabs alike."""

from __future__ import annotations


class ShowcaseError(Exception):
    """A problem the user can act on; its message is shown in the page as it is."""


class ModelUnavailable(ShowcaseError):
    """A model's weights could not be loaded (no network, missing file)."""


def unavailable(model_id: str, error: BaseException, how_to_fix: str) -> ModelUnavailable:
    """The message for a model that cannot be had: which model, why, and how to make it available."""
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return ModelUnavailable(
        f"The model '{model_id}' could not be loaded ({reason[:200]}). {how_to_fix} "
        "The other tabs keep working."
    )
