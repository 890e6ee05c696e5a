"""Image files for tests: awkward ones for bad-input tests, and small labelled sets."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

import examples


def write_awkward_images(folder: Path) -> dict[str, Path]:
    photo = Image.open(examples.cheetah()).convert("RGB")
    files = {}

    def save(name: str, image: Image.Image, **kwargs) -> None:
        files[name] = folder / name
        image.save(files[name], **kwargs)

    save("grey.png", photo.convert("L"))
    rgba = photo.convert("RGBA")
    rgba.putalpha(0)  # fully transparent: must come out white, not black
    save("transparent.png", rgba)
    save("cmyk.jpg", photo.convert("CMYK"))
    ramp = (np.linspace(0, 65535, 64 * 64).reshape(64, 64)).astype(np.uint16)
    save("sixteen_bit.png", Image.fromarray(ramp))
    save("one_pixel.png", Image.new("RGB", (1, 1), (200, 10, 10)))
    save("palette.gif", photo.convert("P"))
    files["corrupt.jpg"] = folder / "corrupt.jpg"
    files["corrupt.jpg"].write_bytes(Path(examples.cheetah()).read_bytes()[:2000])
    files["not_an_image.png"] = folder / "not_an_image.png"
    files["not_an_image.png"].write_text("hello, I am text")
    return files


def write_huge_image(folder: Path) -> Path:
    """12000x12000: PNG of one colour, small on disk, 144 megapixels when decoded."""
    path = folder / "huge.png"
    Image.new("L", (12000, 12000), 128).save(path, optimize=False)
    return path


def coloured(rgb, seed, size: int = 48) -> bytes:
    """A noisy square of one colour, as PNG bytes."""
    noise = np.random.default_rng(seed).integers(-40, 40, (size, size, 3))
    pixels = np.clip(np.array(rgb) + noise, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def make_zip(path, members: dict[str, bytes]) -> str:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return str(path)


def camera_file(path: Path, photo: str, size: tuple[int, int] = (640, 480), frames: int = 10) -> Path:
    """A Y4M video of the photo, gliding slightly, for Chromium's fake camera
    (--use-file-for-fake-video-capture), which loops it."""
    import cv2

    image = cv2.resize(cv2.imread(photo), size, interpolation=cv2.INTER_AREA)
    width, height = size
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for i in range(frames):
            shifted = np.roll(image, 4 * i, axis=1)
            out.write(b"FRAME\n" + cv2.cvtColor(shifted, cv2.COLOR_BGR2YUV_I420).tobytes())
    return path
