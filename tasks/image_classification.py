"""ImageNet classification with torchvision ResNets (`/classify_image`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from PIL import Image

import examples
from tasks import common

TASK = "classify_image"
TITLE = "Image classification"
CHOICES = common.model_choices(TASK)
TOP_K = 5
# Images per forward pass in batch work: bounds memory on CPU while keeping the matrix work dense.
BATCH_SIZE = 16
# The best weights torchvision publishes for each architecture (ResNet-18 has only V1).
WEIGHTS = {"resnet18": "IMAGENET1K_V1", "resnet50": "IMAGENET1K_V2", "resnet101": "IMAGENET1K_V2"}
NAMES = {"resnet18": "ResNet-18", "resnet50": "ResNet-50", "resnet101": "ResNet-101"}


@dataclass
class Classifier:
    model: torch.nn.Module
    transform: Callable[[Image.Image], torch.Tensor]  # exactly weights.transforms()
    categories: list[str]
    model_id: str
    device: torch.device
    dtype: torch.dtype


def weights_for(model_id: str):
    # Imported here: torchvision.models pulls in torch._dynamo, seconds of start-up for every tab.
    from torchvision.models import get_model_weights

    return get_model_weights(model_id)[WEIGHTS[model_id]]


def prepare(model: torch.nn.Module, weights, model_id: str) -> Classifier:
    """Puts a ResNet on the best device once, in eval mode, with its weights' preprocessing."""
    device = common.pick_device()
    dtype = common.inference_dtype(device)
    # Channels-last convolutions: a batch of 8 ResNet-50 images runs about 1.15x faster per image on
    # CPU (oneDNN), and it is the layout tensor cores want on CUDA; one image runs as fast as before.
    model = model.eval().to(device=device, dtype=dtype, memory_format=torch.channels_last)
    return Classifier(model, weights.transforms(), list(weights.meta["categories"]), model_id, device, dtype)


def load_model(model_id: str) -> Classifier:
    from torchvision.models import get_model

    weights = weights_for(model_id)
    try:
        model = get_model(model_id, weights=weights)
    except Exception as error:  # URLError offline, RuntimeError for a corrupt file
        raise common.unavailable(
            model_id,
            error,
            f"torchvision downloads {weights} on first use: connect to the internet, or put "
            f"{weights.url.rsplit('/', 1)[-1]} in $TORCH_HOME/hub/checkpoints.",
        ) from error
    return prepare(model, weights, model_id)


def get_model(model_id: str) -> Classifier:
    common.check_choice(model_id, CHOICES, "classifier")
    return common.MODELS.get(model_id, lambda: load_model(model_id))


def preprocess(classifier: Classifier, images: list[Image.Image]) -> torch.Tensor:
    return torch.stack([classifier.transform(image) for image in images])


def _batched(classifier: Classifier, batch: torch.Tensor, network: torch.nn.Module) -> torch.Tensor:
    outputs = []
    with torch.inference_mode():
        for chunk in batch.split(BATCH_SIZE):
            chunk = chunk.to(device=classifier.device, dtype=classifier.dtype, non_blocking=True)
            outputs.append(network(chunk).flatten(1).float())
    return torch.cat(outputs)


def forward(classifier: Classifier, batch: torch.Tensor) -> torch.Tensor:
    """Logits for a preprocessed batch, BATCH_SIZE images per pass."""
    return _batched(classifier, batch, classifier.model)


def features(classifier: Classifier, batch: torch.Tensor) -> torch.Tensor:
    """The pooled features the classification head reads (2,048 for ResNet-50): a backbone for new labels."""
    body = torch.nn.Sequential(*list(classifier.model.children())[:-1])  # every layer but the final fc
    return _batched(classifier, batch, body)


def postprocess(classifier: Classifier, logits: torch.Tensor, k: int = TOP_K) -> list[dict[str, float]]:
    probabilities = logits.softmax(dim=-1)
    top = probabilities.topk(min(k, probabilities.shape[-1]), dim=-1)
    return [
        {classifier.categories[i]: round(float(p), 4) for p, i in zip(values.tolist(), indices.tolist())}
        for values, indices in zip(top.values.cpu(), top.indices.cpu())
    ]


def classify(classifier: Classifier, images: list, k: int = TOP_K) -> tuple[list[dict[str, float]], float]:
    """Pure predict function: images in, each image's top-k {class: probability} and the forward ms."""
    rgb = [common.open_image(image) for image in images]
    batch = preprocess(classifier, rgb)
    watch = common.Stopwatch()
    with watch.measure(classifier.device):
        logits = forward(classifier, batch)
    return postprocess(classifier, logits, k), watch.ms


@common.user_errors
def run(image, model_id):
    classifier = get_model(model_id)
    (top,), ms = classify(classifier, [image])
    weights = WEIGHTS[model_id]
    return top, common.describe_run(f"{NAMES[model_id]} ({weights})", classifier.device, ms)


def _prepare(image, model_id):
    common.check_choice(model_id, CHOICES, "classifier")
    return model_id, common.open_image(image)


def _predict(model_id, images):
    classifier = get_model(model_id)
    tops, ms = classify(classifier, images)
    note = f"Answered in a batch of {len(images)} requests ({ms:.0f} ms for the batch)."
    return [(top, common.describe_run(f"{NAMES[model_id]} ({WEIGHTS[model_id]})", classifier.device, ms / len(images), note))
            for top in tops]


# API-only twin of run for many concurrent callers: Gradio's queue batches their requests.
run_batched = common.batch_endpoint(_prepare, _predict, lambda message: ({}, f"**Error:** {message}"))


def build_ui() -> None:
    import gradio as gr

    gr.Markdown(
        "Names the main object in a photo among the 1,000 ImageNet classes with a **torchvision "
        "ResNet**, using its weights' own preprocessing (resize, centre crop, normalise)."
    )
    with gr.Row():
        with gr.Column():
            image = common.image_input()
            model_id = gr.Dropdown(CHOICES, value=CHOICES[0], label="Model")
            button = gr.Button("Classify", variant="primary")
        with gr.Column():
            label = gr.Label(num_top_classes=TOP_K, label="Top 5")
            info = gr.Markdown()
    gr.Examples([[examples.cheetah()], [examples.lion()], [examples.bus()]], inputs=[image])
    button.click(run, [image, model_id], [label, info], api_name="classify_image")
    common.add_batched_api(run_batched, [image, model_id], [label, info], "classify_image_batched")


def preload() -> None:
    get_model(CHOICES[0])
