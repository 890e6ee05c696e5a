"""Where an answer rests, over the photo: a model's coarse saliency grid laid over the pixels it
covers, with an opacity the visitor sets, and the outline of what was explained."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

OUTLINE = (255, 255, 255)
# How much of the picture the heat covers by default (the page's slider starts here).
OPACITY = 0.5


@dataclass
class Heatmap:
    """A saliency grid in 0..1 (1: what the answer rests on most) and the part of the photo it covers."""

    heat: np.ndarray  # float32 [rows, columns]: the network's own grid, or finer
    region: tuple[int, int, int, int]  # x1, y1, x2, y2 in the photo's pixels
    outline: tuple[int, int, int, int] | None = None  # what was explained (a box), in the photo's pixels

    def over(self, size: tuple[int, int]) -> np.ndarray:
        """The heat at the photo's pixel size (width, height): zero outside the region."""
        full = np.zeros((size[1], size[0]), np.float32)
        x1, y1, x2, y2 = self.region
        x1, y1, x2, y2 = max(x1, 0), max(y1, 0), min(x2, size[0]), min(y2, size[1])
        if x2 <= x1 or y2 <= y1:
            return full
        width, height = self.region[2] - self.region[0], self.region[3] - self.region[1]
        scaled = cv2.resize(self.heat.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
        ox, oy = x1 - self.region[0], y1 - self.region[1]
        full[y1:y2, x1:x2] = scaled[oy : oy + y2 - y1, ox : ox + x2 - x1]
        return full


def normalised(heat: np.ndarray) -> np.ndarray:
    """Negative evidence dropped and the rest scaled to 0..1 (all zeros if nothing is positive)."""
    heat = np.maximum(np.nan_to_num(heat.astype(np.float32)), 0)
    top = float(heat.max()) if heat.size else 0.0
    return heat / top if top > 0 else heat


def overlay(photo: Image.Image, heatmap: Heatmap, opacity: float = OPACITY) -> np.ndarray:
    """The RGB photo with the heat blended over it (Turbo colours, more opaque where the heat is higher) and the
    explained box outlined."""
    rgb = np.asarray(photo.convert("RGB"))
    heat = heatmap.over((rgb.shape[1], rgb.shape[0]))
    colours = cv2.cvtColor(cv2.applyColorMap((heat * 255).astype(np.uint8), cv2.COLORMAP_TURBO), cv2.COLOR_BGR2RGB)
    # The more heat, the more colour: where the answer does not rest, the photo shows through.
    alpha = (float(np.clip(opacity, 0.0, 1.0)) * np.sqrt(heat))[..., None]
    blended = (rgb * (1 - alpha) + colours * alpha).astype(np.uint8)
    # Outside what the model saw, the photo stays as it is.
    seen = np.zeros(heat.shape, bool)
    x1, y1, x2, y2 = heatmap.region
    seen[max(y1, 0) : max(y2, 0), max(x1, 0) : max(x2, 0)] = True
    result = np.where(seen[..., None], blended, rgb)
    thickness = max(2, round(max(rgb.shape[:2]) / 300))
    boxes = (
        [heatmap.outline] if heatmap.region == (0, 0, rgb.shape[1], rgb.shape[0]) else [heatmap.region, heatmap.outline]
    )
    for box in boxes:
        if box is not None:
            cv2.rectangle(result, (int(box[0]), int(box[1])), (int(box[2]), int(box[3])), OUTLINE, thickness)
    return result


def most_salient(heat: np.ndarray, box: tuple[int, int, int, int], fraction: float) -> np.ndarray:
    """A mask of the `fraction` of the box's pixels with the most heat (heat at pixel size)."""
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    inside = heat[y1:y2, x1:x2]
    count = int(round(inside.size * fraction))
    mask = np.zeros(heat.shape, bool)
    if count:
        order = np.argsort(inside, axis=None, kind="stable")[::-1][:count]
        rows, columns = np.unravel_index(order, inside.shape)
        mask[rows + y1, columns + x1] = True
    return mask
