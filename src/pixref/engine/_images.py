"""Image and mask preparation for img2img and inpainting, as A1111 does it.

Pure functions over PIL images and numpy arrays (no torch): resizing an init
image to the generation size, A1111's mask blur, the "only masked" crop region,
and the "fill" masked-content mode.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter
from scipy.ndimage import gaussian_filter1d

#: A1111 img2img resize modes, by infotext/API name and index.
RESIZE_MODES = ("Just resize", "Crop and resize", "Resize and fill")


def flatten_alpha(image: Image.Image, background: str = "#ffffff") -> Image.Image:
    """Composite a transparent image onto ``background`` (A1111's img2img background)."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        base = Image.new("RGBA", rgba.size, background)
        return Image.alpha_composite(base, rgba).convert("RGB")
    return image.convert("RGB")


def resize_image(image: Image.Image, width: int, height: int, mode: int = 0) -> Image.Image:
    """Fit ``image`` to ``width`` x ``height`` pixels by A1111's resize ``mode``.

    0 stretches; 1 scales to cover and centre-crops; 2 scales to fit and fills
    the borders by stretching the edge rows/columns, as A1111 does.
    """
    if mode == 0:
        return image.resize((width, height), Image.LANCZOS)
    ratio, src_ratio = width / height, image.width / image.height
    cover = (ratio > src_ratio) if mode == 1 else (ratio < src_ratio)
    src_w = width if cover else image.width * height // image.height
    src_h = image.height * width // image.width if cover else height
    resized = image.resize((max(src_w, 1), max(src_h, 1)), Image.LANCZOS)
    out = Image.new(image.mode, (width, height))
    out.paste(resized, ((width - src_w) // 2, (height - src_h) // 2))
    if mode == 2:
        _stretch_edges(out, resized, width, height, src_w, src_h)
    return out


def _stretch_edges(out, resized, width, height, src_w, src_h) -> None:
    if src_h < height:
        top = (height - src_h) // 2
        if top > 0:
            out.paste(resized.resize((width, top), box=(0, 0, width, 0)), (0, 0))
            bottom_box = (0, resized.height, width, resized.height)
            out.paste(resized.resize((width, top), box=bottom_box), (0, top + src_h))
    elif src_w < width:
        left = (width - src_w) // 2
        if left > 0:
            out.paste(resized.resize((left, height), box=(0, 0, 0, height)), (0, 0))
            right_box = (resized.width, 0, resized.width, height)
            out.paste(resized.resize((left, height), box=right_box), (left + src_w, 0))


def binary_mask(mask: Image.Image) -> np.ndarray:
    """``(H, W)`` uint8 mask of 0/255: alpha > 128 for RGBA masks, else luminance > 128."""
    if mask.mode in ("RGBA", "LA"):
        channel = np.asarray(mask.getchannel("A"))
    else:
        channel = np.asarray(mask.convert("L"))
    return np.where(channel > 128, 255, 0).astype(np.uint8)


def blur_mask(mask: np.ndarray, sigma: float) -> np.ndarray:
    """A1111's mask blur: a separable Gaussian of radius ``int(2.5 * sigma + 0.5)`` pixels.

    Matches OpenCV's ``GaussianBlur`` with kernel ``2 * radius + 1`` and
    reflect-101 borders, which A1111 uses, without needing OpenCV.
    """
    if sigma <= 0:
        return mask
    radius = int(2.5 * sigma + 0.5)
    out = mask.astype(np.float32)
    for axis in (1, 0):  # x then y, as A1111
        out = gaussian_filter1d(out, sigma, axis=axis, mode="mirror", radius=radius)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def crop_region(mask: np.ndarray, padding: int) -> tuple[int, int, int, int] | None:
    """``(x1, y1, x2, y2)`` around the mask's non-zero pixels plus ``padding``; None if empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    h, w = mask.shape
    return (
        max(int(cols[0]) - padding, 0),
        max(int(rows[0]) - padding, 0),
        min(int(cols[-1]) + 1 + padding, w),
        min(int(rows[-1]) + 1 + padding, h),
    )


def expand_crop_region(
    region: tuple[int, int, int, int], width: int, height: int, image_w: int, image_h: int
) -> tuple[int, int, int, int]:
    """Grow ``region`` to the ``width / height`` aspect ratio inside the image."""
    x1, y1, x2, y2 = region
    ratio = width / height
    if (x2 - x1) / (y2 - y1) < ratio:
        want = int((y2 - y1) * ratio)
        x1, x2 = _grow(x1, x2, want, image_w)
    else:
        want = int((x2 - x1) / ratio)
        y1, y2 = _grow(y1, y2, want, image_h)
    return x1, y1, x2, y2


def _grow(lo: int, hi: int, want: int, limit: int) -> tuple[int, int]:
    extra = want - (hi - lo)
    lo -= extra // 2
    hi += extra - extra // 2
    if lo < 0:
        hi, lo = min(hi - lo, limit), 0
    if hi > limit:
        lo, hi = max(lo - (hi - limit), 0), limit
    return lo, hi


def fill_masked(image: Image.Image, mask: np.ndarray) -> Image.Image:
    """A1111's "fill" masked content: masked pixels take blurred colours from around them.

    The unmasked image is blurred at decreasing radii (256 px down to none) and
    composited over itself, so holes fill from the outside in.
    """
    keep = Image.fromarray(255 - mask)
    source = image.convert("RGBA")
    holes = Image.new("RGBA", image.size)
    holes.paste(source, mask=keep)
    premultiplied = holes.convert("RGBa")
    out = Image.new("RGBA", image.size)
    for radius, repeats in ((256, 1), (64, 1), (16, 2), (4, 4), (2, 2), (0, 1)):
        blurred = premultiplied.filter(ImageFilter.GaussianBlur(radius)).convert("RGBA")
        for _ in range(repeats):
            out.alpha_composite(blurred)
    return out.convert("RGB")
