"""Why a YOLO detector found a box: HiResCAM (the `grad-cam` package) of the box's class logit at
the feature map its detection head read it from, and the classes that box came next to.

It runs the PyTorch network, which the detector keeps beside its OpenVINO export (a nano model's
weights are about 13 MB): gradients need PyTorch. Only the layers from the first map the head reads
onwards take part in the backward pass; the backbone before them is not differentiated.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch

# The network's input side, as Ultralytics predicts (the short side padded to a multiple of the stride).
INPUT_SIDE = 640
PAD_VALUE = 114
# A candidate of the network is the picked box when they overlap at least this much (IoU).
SAME_BOX_IOU = 0.5
RUNNER_UPS = 3


@dataclass
class Letterboxed:
    """A photo as the network reads it: resized into INPUT_SIDE, padded grey to the stride."""

    tensor: torch.Tensor  # [1, 3, rows, columns], RGB in 0..1
    scale: float
    left: int
    top: int
    size: tuple[int, int]  # the photo's (width, height)

    def to_input(self, box: list[float]) -> torch.Tensor:
        x1, y1, x2, y2 = box
        return torch.tensor(
            [
                x1 * self.scale + self.left,
                y1 * self.scale + self.top,
                x2 * self.scale + self.left,
                y2 * self.scale + self.top,
            ]
        )

    def to_photo(self, heat: np.ndarray) -> np.ndarray:
        """The input-sized heat without its padding: the photo's area, at the input's resolution."""
        width, height = round(self.size[0] * self.scale), round(self.size[1] * self.scale)
        return heat[self.top : self.top + height, self.left : self.left + width]


def letterbox(rgb: np.ndarray, stride: int) -> Letterboxed:
    height, width = rgb.shape[:2]
    scale = min(INPUT_SIDE / height, INPUT_SIDE / width)
    new_width, new_height = round(width * scale), round(height * scale)
    resized = cv2.resize(rgb, (new_width, new_height), interpolation=cv2.INTER_LINEAR)
    pad_x, pad_y = -new_width % stride, -new_height % stride
    left, top = pad_x // 2, pad_y // 2
    padded = cv2.copyMakeBorder(
        resized, top, pad_y - top, left, pad_x - left, cv2.BORDER_CONSTANT, value=(PAD_VALUE,) * 3
    )
    tensor = torch.from_numpy(np.ascontiguousarray(padded)).permute(2, 0, 1)[None].float() / 255
    return Letterboxed(tensor, scale, left, top, (width, height))


class Candidates(torch.nn.Module):
    """The network's every candidate box before non-maximum suppression: [images, 4 + classes,
    candidates], the box (centre x, centre y, width, height in input pixels) then each class's score."""

    def __init__(self, network: torch.nn.Module) -> None:
        super().__init__()
        self.network = network
        self.classes = network.model[-1].nc

    def forward(self, tensor: torch.Tensor) -> torch.Tensor:
        output = self.network(tensor)[0]
        if isinstance(output, (tuple, list)):  # a segmenter's: (candidates with mask coefficients, prototypes)
            output = output[0]
        return output[:, : 4 + self.classes]


def overlaps(box: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
    """The IoU of a box (corners) with each candidate's box (centre and size)."""
    # Imported here, as Ultralytics is: torchvision's package import costs seconds of start-up.
    from torchvision.ops import box_convert, box_iou

    return box_iou(box[None], box_convert(candidates[:4].T, "cxcywh", "xyxy"))[0]


def candidate_for(candidates: torch.Tensor, box: torch.Tensor, class_id: int) -> int:
    """The candidate that stands for a box: of those overlapping it at least SAME_BOX_IOU, the one
    most sure of its class (the one non-maximum suppression kept); else the one overlapping it most."""
    iou = overlaps(box, candidates)
    same = iou >= SAME_BOX_IOU
    if not same.any():
        return int(iou.argmax())
    return int(torch.where(same, candidates[4 + class_id], -1.0).argmax())


def box_score(candidates: torch.Tensor, box: torch.Tensor, class_id: int) -> float:
    """How sure the network is of a box: the best score for its class among the candidates
    overlapping it at least SAME_BOX_IOU (0 when none does)."""
    same = overlaps(box, candidates) >= SAME_BOX_IOU
    return float(candidates[4 + class_id][same].max()) if same.any() else 0.0


def runner_ups(candidates: torch.Tensor, index: int, class_id: int) -> list[tuple[int, float]]:
    """The classes the candidate scored next, most likely first."""
    scores = candidates[4:, index].clone()
    scores[class_id] = -1
    top = scores.topk(RUNNER_UPS)
    return [(int(c), float(s)) for c, s in zip(top.indices, top.values)]


@dataclass
class BoxSaliency:
    """Where a box's class score comes from (heat over the photo's area at the network's input
    resolution, 0..1), and each box's runner-up classes."""

    heat: np.ndarray
    score: float  # the box's class score, as the network gave it here
    runner_ups: list[list[tuple[int, float]]]  # per box: (class id, score), most likely first


def differentiated_from(network: torch.nn.Module) -> None:
    """Gradients only from the first layer the detection head reads: the backward pass stops there."""
    first = min(network.model[-1].f)
    for index, layer in enumerate(network.model):
        layer.requires_grad_(index >= first)


class Target:
    """What the saliency explains: the logit of the candidate that stands for the picked box, found
    in the same forward pass (candidate_for); it keeps every candidate for the runner-up classes."""

    def __init__(self, box: torch.Tensor, class_id: int) -> None:
        self.box, self.class_id = box, class_id
        self.candidates: torch.Tensor | None = None
        self.index = 0

    def __call__(self, output: torch.Tensor) -> torch.Tensor:
        self.candidates = output.detach().float().cpu()
        self.index = candidate_for(self.candidates, self.box, self.class_id)
        # The logit, not the score: a sigmoid near 1 has almost no gradient left.
        return torch.logit(output[4 + self.class_id, self.index], eps=1e-6)


def level_of(stride: torch.Tensor, size: tuple[int, int], index: int) -> int:
    """Which map the head reads a candidate from: candidates are numbered finest map first."""
    cells = [(size[0] // int(s)) * (size[1] // int(s)) for s in stride]
    return int(np.searchsorted(np.cumsum(cells), index, side="right"))


def explain(
    network: torch.nn.Module, rgb: np.ndarray, boxes: list[list[float]], class_ids: list[int], picked: int
) -> BoxSaliency:
    """HiResCAM (gradient times activation, cell by cell) of the picked box's class logit at the map
    the head read it from, and every box's runner-up classes: one forward and one backward pass."""
    from pytorch_grad_cam import HiResCAM
    from pytorch_grad_cam.utils.image import scale_cam_image

    image = letterbox(rgb, int(network.stride.max()))
    parameter = next(network.parameters())
    tensor = image.tensor.to(parameter.device, parameter.dtype)
    target = Target(image.to_input(boxes[picked]), class_ids[picked])

    class AtItsMap(HiResCAM):
        """Computed at every map the head reads; kept: the one the candidate came from."""

        def aggregate_multi_layers(self, per_layer: list[np.ndarray]) -> np.ndarray:
            level = level_of(network.stride, tuple(tensor.shape[2:]), target.index)
            return scale_cam_image(np.maximum(per_layer[level][:, 0], 0))

    layers = [network.model[i] for i in network.model[-1].f]
    with AtItsMap(model=Candidates(network), target_layers=layers) as cam:
        heat = cam(input_tensor=tensor, targets=[target])[0]
    candidates = target.candidates
    chosen = [candidate_for(candidates, image.to_input(box), c) for box, c in zip(boxes, class_ids)]
    return BoxSaliency(
        image.to_photo(heat),
        float(candidates[4 + class_ids[picked], target.index]),
        [runner_ups(candidates, i, c) for i, c in zip(chosen, class_ids)],
    )


def score_of(network: torch.nn.Module, rgb: np.ndarray, box: list[float], class_id: int) -> float:
    """The network's confidence in a box of a class in a photo (box_score), e.g. after part of it was blanked."""
    image = letterbox(rgb, int(network.stride.max()))
    parameter = next(network.parameters())
    with torch.no_grad():
        candidates = Candidates(network)(image.tensor.to(parameter.device, parameter.dtype))[0].float().cpu()
    return box_score(candidates, image.to_input(box), class_id)
