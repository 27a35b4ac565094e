"""Helpers for the pixel tests: the shared pixel-art images (skipped cleanly when absent)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter


def _find_pixelart() -> Path:
    # CI clones the repository with shared/ beside it; a git worktree sits one level
    # deeper, so look in every ancestor's shared/.
    repo = Path(__file__).resolve().parents[2]
    for folder in repo.parents:
        candidate = folder / "shared/data/pixelart"
        if candidate.is_dir():
            return candidate
    return repo.parent / "shared/data/pixelart"


PIXELART = _find_pixelart()


def load_sprite(name: str) -> np.ndarray:
    """A shared sprite as RGBA uint8, or skip the test when the data is absent."""
    path = PIXELART / name
    if not path.exists():
        pytest.skip(f"shared data {name} not found beside the repository")
    return np.asarray(Image.open(path).convert("RGBA"))


def upscale_nearest(image: np.ndarray, scale: float) -> np.ndarray:
    """Nearest-neighbour upscale by a possibly non-integer factor (Pillow NEAREST)."""
    rows, cols = image.shape[:2]
    mode = "RGBA" if image.shape[2] == 4 else "RGB"
    size = (round(cols * scale), round(rows * scale))
    return np.asarray(Image.fromarray(image, mode).resize(size, Image.Resampling.NEAREST))


def degrade(image: np.ndarray, *, blur: float, jpeg: int, noise: float, seed: int = 0):
    """Blur, add Gaussian noise (sigma in 0–255 units) and JPEG-compress an RGB image."""
    pil = Image.fromarray(image[..., :3], "RGB").filter(ImageFilter.GaussianBlur(blur))
    arr = np.asarray(pil).astype(np.float32)
    arr += np.random.default_rng(seed).normal(0, noise, arr.shape)
    pil = Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8), "RGB")
    buffer = io.BytesIO()
    pil.save(buffer, "JPEG", quality=jpeg)
    return np.asarray(Image.open(buffer).convert("RGB"))
