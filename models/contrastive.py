"""A small CNN encoder pretrained without labels, SimCLR-style: two augmented views of each image,
pulled together against every other image in the batch (NT-Xent loss).

Not a spaces.yaml family: visitors train it (tasks/self_supervised.py) and load it back from the
file they downloaded (tasks/finetune_image.py), where it is one more frozen backbone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image
from torch import nn
from torch.nn import functional as F

from models.base import LoadedModel
from models.device import pick_device
from models.errors import ShowcaseError
from models.tensors import IMAGES_PER_PASS, chunked, unit

SIDE = 32  # the encoder reads CIFAR-sized images
# CIFAR-10's channel means and deviations: the encoder's inputs are normalised with them.
MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2470, 0.2435, 0.2616)
WIDTHS = (32, 64, 128, 256)
PROJECTION = 64  # the contrastive loss reads a projection; the features before it transfer better
LABEL = "Self-supervised CNN"


def block(channels_in: int, channels_out: int, pool: bool) -> nn.Sequential:
    layers = [nn.Conv2d(channels_in, channels_out, 3, padding=1, bias=False), nn.BatchNorm2d(channels_out), nn.ReLU()]
    return nn.Sequential(*layers, nn.MaxPool2d(2)) if pool else nn.Sequential(*layers)


class SmallCNN(nn.Module):
    """Four conv blocks and global average pooling: 256 features per image; a projection head on top."""

    def __init__(self) -> None:
        super().__init__()
        stages, channels = [], 3
        for n, width in enumerate(WIDTHS):
            stages.append(block(channels, width, pool=n < len(WIDTHS) - 1))
            channels = width
        self.body = nn.Sequential(*stages, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.projection = nn.Sequential(nn.Linear(channels, channels), nn.ReLU(), nn.Linear(channels, PROJECTION))

    def forward(self, batch: torch.Tensor) -> torch.Tensor:
        return self.projection(self.body(batch))


def to_pixels(images: list[Image.Image]) -> torch.Tensor:
    """Images as [N, 3, 32, 32] in [0, 1]: the centre square of each, resized."""
    from PIL import ImageOps
    from torchvision.transforms.v2 import functional as TF

    return torch.stack(
        [
            TF.to_dtype(
                TF.pil_to_tensor(ImageOps.fit(image.convert("RGB"), (SIDE, SIDE), Image.BICUBIC)),
                torch.float32,
                scale=True,
            )
            for image in images
        ]
    )


def normalise(pixels: torch.Tensor) -> torch.Tensor:
    from torchvision.transforms.v2 import functional as TF

    return TF.normalize(pixels, MEAN, STD)


def augmentation():
    """SimCLR's views, at CIFAR scale: a random crop resized back, a flip, colour jitter, sometimes grey."""
    from torchvision.transforms import v2

    return v2.Compose(
        [
            v2.RandomResizedCrop(SIDE, scale=(0.2, 1.0), antialias=True),
            v2.RandomHorizontalFlip(),
            v2.RandomApply([v2.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
            v2.RandomGrayscale(p=0.2),
        ]
    )


def two_views(pixels: torch.Tensor, augment) -> tuple[torch.Tensor, torch.Tensor]:
    """Two independently augmented, normalised views of a batch of [0, 1] images [N, 3, 32, 32]."""

    def view() -> torch.Tensor:
        return normalise(torch.stack([augment(image) for image in pixels]))

    return view(), view()


def nt_xent(first: torch.Tensor, second: torch.Tensor, temperature: float = 0.5) -> torch.Tensor:
    """SimCLR's loss: each view must pick its partner out of the 2N-1 other views (cosine / temperature)."""
    z = F.normalize(torch.cat([first, second]), dim=1)
    similarity = z @ z.T / temperature
    similarity.fill_diagonal_(float("-inf"))  # a view is not its own partner
    n = len(first)
    partners = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
    return F.cross_entropy(similarity, partners)


@dataclass
class ContrastiveEncoder(LoadedModel):
    """The encoder as a frozen backbone: unit feature vectors from its body."""

    network: SmallCNN
    trained_on: str = ""  # for the reader: what and how long it was pretrained on

    def features(self, batch: torch.Tensor) -> torch.Tensor:
        return chunked(lambda chunk: self.network.body(chunk.to(self.device)).float().cpu(), batch, IMAGES_PER_PASS)

    def embed_images(self, images: list[Image.Image]) -> torch.Tensor:
        return unit(self.features(normalise(to_pixels(images))))

    def save(self, path: Path) -> None:
        from safetensors.torch import save_file

        state = {name: value.detach().cpu().contiguous() for name, value in self.network.state_dict().items()}
        save_file(
            state,
            path,
            metadata={
                "format": "model-showcase/contrastive-cnn",
                "info": json.dumps({"side": SIDE, "trained_on": self.trained_on}),
            },
        )


def new(seed: int = 0) -> ContrastiveEncoder:
    """An encoder with random weights, the same ones for the same seed."""
    torch.manual_seed(seed)
    network = SmallCNN().eval().to(pick_device())
    return ContrastiveEncoder("self-supervised", pick_device(), torch.float32, network)


def read(path: str | Path) -> ContrastiveEncoder:
    """An encoder saved by ContrastiveEncoder.save; anything else is refused with a message."""
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_file

    try:
        with safe_open(str(path), "pt") as handle:
            metadata = handle.metadata() or {}
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as error:
        raise ShowcaseError(
            "That file is not a saved encoder ({error}); download one from the Self-supervised tab.", error=error
        ) from error
    if metadata.get("format") != "model-showcase/contrastive-cnn":
        raise ShowcaseError("That .safetensors file is not an encoder from the Self-supervised tab.")
    encoder = new()
    try:
        encoder.network.load_state_dict(state)
    except RuntimeError as error:
        raise ShowcaseError("That encoder file does not match this version's encoder (its layers differ).") from error
    encoder.network.eval()
    encoder.trained_on = json.loads(metadata.get("info", "{}")).get("trained_on", "")
    return encoder
