"""The registry of tabs: spaces.yaml's `tasks`, in order, each a module here that defines TASK.

Adding a tab: write tasks/<name>.py with a TASK (toolkit.task.Task) and add `<name>: [model ids]`
to spaces.yaml's tasks. registered() refuses, at start-up, a tab that breaks the contract.
"""

from __future__ import annotations

import functools
import importlib

import models
from models import config
from toolkit.task import LEDGER_ENDPOINT, SECTIONS, SHARING_ENDPOINTS, Endpoint, Task


class TaskContractError(Exception):
    """spaces.yaml and the task modules disagree; the message lists every problem."""


@functools.lru_cache(maxsize=1)
def registered() -> tuple[Task, ...]:
    """Every tab, checked against the contract, in spaces.yaml's order."""
    problems = models.problems()
    found: list[Task] = []
    for key in config.task_entries():
        name = f"{__name__}.{key}"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            problems.append(f"spaces.yaml lists the task '{key}', but tasks/{key}.py does not exist.")
            continue
        task = getattr(module, "TASK", None)
        if not isinstance(task, Task):
            problems.append(f"tasks/{key}.py defines no TASK (a toolkit.task.Task).")
            continue
        problems += task.problems(name)
        if any(other.title == task.title for other in found):
            problems.append(f"tasks/{key}.py: the title '{task.title}' is already another tab's.")
        taken = {name for other in found for name in api_names(other)}
        for endpoint_name in sorted(set(api_names(task)) & taken):
            problems.append(f"tasks/{key}.py: the endpoint /{endpoint_name} is already another tab's.")
        found.append(task)
    if problems:
        raise TaskContractError("The dashboard cannot start:\n" + "\n".join(f"- {problem}" for problem in problems))
    return tuple(found)


def api_names(task: Task) -> list[str]:
    """The API names a tab serves: each endpoint's, and its batched twin's."""
    return [name for endpoint in task.endpoints for name in (endpoint.name, endpoint.twin) if name]


def endpoints() -> list[Endpoint]:
    """Every tab's endpoints, in tab order."""
    return [endpoint for task in registered() for endpoint in task.endpoints]


def tools() -> list[str]:
    """The endpoints MCP clients get as tools, by name: the tabs', the runtime ledger's of the
    tabs that have one (toolkit.runtime_ledger), and the saved results' (toolkit.sharing)."""
    ledger = [LEDGER_ENDPOINT] if any(task.runtimes is not None for task in registered()) else []
    return [endpoint.name for endpoint in endpoints() if endpoint.tool] + ledger + list(SHARING_ENDPOINTS)


def by_section() -> list[tuple[str, list[Task]]]:
    """The tabs grouped under their section headings, in SECTIONS order."""
    tasks = registered()
    return [
        (section, [t for t in tasks if t.section == section])
        for section in SECTIONS
        if any(t.section == section for t in tasks)
    ]
