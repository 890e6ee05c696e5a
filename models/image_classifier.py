"""torchvision ImageNet classifiers (ResNets and any other `torchvision.models` name), with the
best weights torchvision publishes for each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from PIL import Image

from i18n import Text
from models import calibration as calibration_set
from models.base import Answers, ClassMap, LoadedModel, Ranking, Timings
from models.device import place
from models.errors import unavailable
from models.runtime import Runner
from models.tensors import IMAGES_PER_PASS, chunked, unit

FROM_HUB = False
# Row-wise methods (a row out per row of the first argument): joined across requests on Ray Serve.
BATCHED = ("top_k", "embed_images")
# The dataset its classes come from: the catalogs name them in other languages (i18n.class_names).
DATASET = "ImageNet"


def weights_for(model_id: str):
    """The architecture's DEFAULT weights enum (for ResNet-50, IMAGENET1K_V2)."""
    # Imported here: torchvision.models pulls in torch._dynamo, seconds of start-up for every tab.
    from torchvision.models import get_model_weights

    return get_model_weights(model_id).DEFAULT


def categories(model_id: str) -> list[str]:
    """The class names the model answers with, from its weights' metadata (no download)."""
    return list(weights_for(model_id).meta["categories"])


@dataclass
class ImageClassifier(LoadedModel):
    body: Runner  # every layer before the pooling: feature maps (2,048 channels of 7x7 for ResNet-50)
    head: torch.nn.Linear  # the last layer: pooled features -> logits
    transform: Callable[[Image.Image], torch.Tensor]  # exactly weights.transforms()
    categories: list[str]
    weights_name: str  # e.g. IMAGENET1K_V2

    def runners(self) -> list[Runner]:
        return [self.body]

    def preprocess(self, images: list[Image.Image]) -> torch.Tensor:
        return torch.stack([self.transform(image) for image in images])

    def feature_maps(self, batch: torch.Tensor) -> torch.Tensor:
        """The last convolution's maps for a preprocessed batch: [images, channels, rows, columns]."""
        return chunked(lambda chunk: self.body(input=chunk), batch, IMAGES_PER_PASS)

    def features(self, batch: torch.Tensor) -> torch.Tensor:
        """The pooled features the classification head reads, for a preprocessed batch."""
        return self.feature_maps(batch).mean(dim=(2, 3))

    def forward(self, batch: torch.Tensor) -> torch.Tensor:
        """Logits for a preprocessed batch."""
        features = self.features(batch)
        with torch.inference_mode():
            return self.head(features.to(device=self.device, dtype=self.dtype)).float()

    def top_k(self, images: list[Image.Image], k: int = 5) -> Answers[Ranking]:
        """Each image's k most likely classes (indices into `categories`) with their probabilities."""
        timings = Timings()
        with timings.measure("preprocess"):
            batch = self.preprocess(images)
        with timings.measure("forward", self.device):
            logits = self.forward(batch)
        with timings.measure("postprocess"):
            rows = [Ranking.of(row, k) for row in logits.softmax(dim=-1).cpu()]
        return Answers(rows, timings)

    def class_maps(self, images: list[Image.Image], ranks: list[int]) -> Answers[ClassMap]:
        """Where in each image the evidence for its class of a rank (0: the likeliest) lies: the
        class activation map (Zhou et al., 2016), the head's weights for the class over the last
        convolution's maps. With the global average pooling and single linear layer of these
        networks it is exactly Grad-CAM at that layer (the gradient of the logit is the class's
        weight, divided by the grid's size), computed without gradients: the accelerated runtime
        answers it and the ranking in one forward pass."""
        timings = Timings()
        with timings.measure("preprocess"):
            batch = self.preprocess(images)
        with timings.measure("forward", self.device):
            maps = self.feature_maps(batch)
        with timings.measure("postprocess"), torch.inference_mode():
            pooled = maps.mean(dim=(2, 3)).to(device=self.device, dtype=self.dtype)
            probabilities = self.head(pooled).float().softmax(dim=-1).cpu()
            classes = [Ranking.of(row).indices[rank] for row, rank in zip(probabilities, ranks)]
            weights = self.head.weight.float().cpu()[classes]  # [images, channels]
            evidence = torch.einsum("ic,ichw->ihw", weights, maps.float().cpu())
            rows = [
                ClassMap(index, float(probabilities[row, index]), evidence[row].numpy(), self.crop_box(image.size))
                for row, (index, image) in enumerate(zip(classes, images))
            ]
        return Answers(rows, timings)

    def crop_box(self, size: tuple[int, int]) -> tuple[int, int, int, int]:
        """The part of a photo (width, height) the network sees: the preprocessing resizes its short
        side and keeps the centre square."""
        width, height = size
        side = min(width, height) * self.transform.crop_size[0] / self.transform.resize_size[0]
        x1, y1 = (width - side) / 2, (height - side) / 2
        return round(x1), round(y1), round(x1 + side), round(y1 + side)

    def embed_images(self, images: list[Image.Image]) -> torch.Tensor:
        """Unit feature vectors: a frozen backbone for classes it was never trained on."""
        return unit(self.features(self.preprocess(images)))

    def warm(self) -> None:
        self.top_k([Image.new("RGB", (256, 256))])


def wrap(network: torch.nn.Module, model_id: str) -> ImageClassifier:
    """Places a network (loaded, or built with random weights by tests) with its weights' preprocessing."""
    weights = weights_for(model_id)
    # Channels-last convolutions: faster batches on CPU (oneDNN), the layout tensor cores want on CUDA.
    network, device, dtype = place(network, channels_last=True)
    *body, _pooling, head = network.children()  # the pooling is a mean, taken in features()
    transform = weights.transforms()
    calibration = calibration_set.of_images(lambda photo: {"input": transform(photo)[None]})
    features = Runner(torch.nn.Sequential(*body), model_id, "feature-maps", device, dtype, calibration=calibration)
    return ImageClassifier(model_id, device, dtype, features, head, transform, categories(model_id), weights.name)


def load(model_id: str) -> ImageClassifier:
    from torchvision.models import get_model

    weights = weights_for(model_id)
    try:
        network = get_model(model_id, weights=weights)
    except Exception as error:  # URLError offline, RuntimeError for a corrupt file
        raise unavailable(
            model_id,
            error,
            Text(
                "torchvision downloads {weights} on first use: connect to the internet, or put {file} in "
                "$TORCH_HOME/hub/checkpoints.",
                {"weights": str(weights), "file": weights.url.rsplit("/", 1)[-1]},
            ),
        ) from error
    return wrap(network, model_id)
