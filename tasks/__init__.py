"""The dashboard's tasks, in tab order.

Each module defines TITLE, build_ui() (its tab's contents and named API endpoints) and preload()
(loads its default model). Adding a task: write tasks/<name>.py and add it to TASKS.
"""

from tasks import (
    attention,
    compare,
    detection,
    finetune_image,
    finetune_text,
    generation,
    image_classification,
    similarity,
    text_classification,
    tokenizer,
    zero_shot,
)

TASKS = [
    detection,
    image_classification,
    zero_shot,
    compare,
    generation,
    text_classification,
    similarity,
    tokenizer,
    attention,
    finetune_text,
    finetune_image,
]
