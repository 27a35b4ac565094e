"""``pixelize``: high-resolution reference → native-resolution indexed pixel art."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from pixref.pixel._adjust import adjust_colors
from pixref.pixel._cleanup import remove_isolated_pixels
from pixref.pixel._dither import Dither, map_to_palette
from pixref.pixel._downscale import downscale
from pixref.pixel._errors import PaletteError, PixelError
from pixref.pixel._image import check_image, opaque_mask
from pixref.pixel._indexed import IndexedImage, indexed_from_labels
from pixref.pixel._outline import expand_outlines
from pixref.pixel._palette import Palette
from pixref.pixel._quantize import extract_palette
from pixref.pixel._settings import PixelizeSettings


def target_shape(image_shape: tuple[int, ...], settings: PixelizeSettings) -> tuple[int, int]:
    """Output (rows, cols) for a source of ``image_shape`` (aspect kept where one side is given).

    With no size setting the target is 128 art pixels across the longer side.

    Raises
    ------
    PixelError
        If the target is larger than the source or below 1 pixel.
    """
    src_rows, src_cols = image_shape[:2]
    if settings.size:
        cols, rows = settings.size
    elif settings.width:
        cols = settings.width
        rows = max(1, round(src_rows * cols / src_cols))
    elif settings.height:
        rows = settings.height
        cols = max(1, round(src_cols * rows / src_rows))
    elif settings.pixel_size:
        if settings.pixel_size < 1:
            raise PixelError(f"`pixel size` must be at least 1, got {settings.pixel_size}")
        rows = max(1, round(src_rows / settings.pixel_size))
        cols = max(1, round(src_cols / settings.pixel_size))
    else:
        scale = min(1.0, 128 / max(src_rows, src_cols))
        rows, cols = max(1, round(src_rows * scale)), max(1, round(src_cols * scale))
    if rows < 1 or cols < 1:
        raise PixelError(f"target size must be at least 1×1, got {cols}×{rows}")
    if rows > src_rows or cols > src_cols:
        raise PixelError(
            f"target {cols}×{rows} is larger than the source {src_cols}×{src_rows}; pixelize "
            "only reduces (use --preview-scale to enlarge the result)"
        )
    return rows, cols


def pixelize(image: np.ndarray, settings: PixelizeSettings | None = None) -> IndexedImage:
    """Turn a reference image into indexed pixel art.

    Steps: outline expansion → OKLCh colour adjustment → downscale → binary alpha →
    palette (extracted or fixed) → nearest OKLab colour, optionally dithered →
    optional clean-up of isolated pixels.

    Parameters
    ----------
    image : (H, W, 3|4) uint8 array
        sRGB(A) source, 0–255, at least 2×2 pixels.
    settings : PixelizeSettings, optional
        Defaults: 128 px across the longer side, box downscale, 16 k-means colours.

    Returns
    -------
    IndexedImage
        ``(rows, cols)`` indices and the palette; transparent pixels use index 0.

    Raises
    ------
    PixelError
        For a bad image, an impossible target, or a fully transparent image.
    """
    settings = settings or PixelizeSettings()
    image = check_image(image)
    shape = target_shape(image.shape, settings)
    work = expand_outlines(image, settings.outline)
    work = adjust_colors(
        work,
        brightness=settings.brightness,
        contrast=settings.contrast,
        saturation=settings.saturation,
        hue_shift=settings.hue_shift,
        gamma=settings.gamma,
    )
    small = downscale(work, shape, method=settings.method)
    opaque = opaque_mask(small, alpha_threshold=settings.alpha_threshold)
    if not opaque.any():
        raise PixelError(
            "the image is fully transparent after downscaling; nothing to pixelize "
            "(lower `alpha threshold` or check the input)"
        )
    # An indexed PNG holds 256 entries; transparency takes index 0.
    room = 256 if opaque.all() else 255
    palette = settings.palette or extract_palette(
        small,
        min(settings.colors, room),
        method=settings.palette_method,
        alpha_threshold=settings.alpha_threshold,
    )
    return palettize(
        small,
        palette,
        dither=settings.dither,
        strength=settings.dither_strength,
        alpha_threshold=settings.alpha_threshold,
        clean=settings.clean,
    )


def palettize(
    image: np.ndarray,
    palette: Palette,
    *,
    dither: Dither | str = "none",
    strength: float = 1.0,
    alpha_threshold: int = 128,
    clean: bool = False,
) -> IndexedImage:
    """Map an image onto ``palette`` as an `IndexedImage` with binary alpha.

    Pixels with alpha below ``alpha_threshold`` become the transparent index 0;
    ``clean`` removes isolated single pixels (see `remove_isolated_pixels`).
    """
    opaque = opaque_mask(image, alpha_threshold=alpha_threshold)
    if len(palette) > 255 and not opaque.all():
        raise PaletteError(
            f"the image has transparent pixels, so the palette may hold at most 255 colours "
            f"(index 0 is transparent), got {len(palette)}; use a smaller palette"
        )
    labels = map_to_palette(image, palette, dither=dither, strength=strength)
    labels = np.where(opaque, labels, -1)
    if clean:
        labels = remove_isolated_pixels(labels)
    return indexed_from_labels(labels, palette)


def variant_widths(width: int, count: int, *, max_width: int) -> list[int]:
    """``count`` widths around ``width`` in steps of 12.5 %, within 2 – ``max_width``.

    Examples
    --------
    >>> variant_widths(128, 3, max_width=1024)
    [112, 128, 144]
    """
    steps = np.arange(count) - (count - 1) / 2
    widths = {int(np.clip(round(width * (1 + 0.125 * s)), 2, max_width)) for s in steps}
    return sorted(widths)


def pixelize_variants(
    image: np.ndarray, widths: list[int], settings: PixelizeSettings | None = None
) -> list[IndexedImage]:
    """`pixelize` at each of ``widths`` (aspect kept), other settings unchanged."""
    settings = settings or PixelizeSettings()
    base = dataclasses.replace(settings, width=None, height=None, pixel_size=None, size=None)
    return [pixelize(image, dataclasses.replace(base, width=w)) for w in widths]


def variant_settings(
    image_shape: tuple[int, ...],
    settings: PixelizeSettings,
    *,
    widths: Sequence[int] = (),
    heights: Sequence[int] = (),
    variants: int | None = None,
) -> list[PixelizeSettings]:
    """The settings of each output of one pixelize run: widths, then heights, as given.

    Parameters
    ----------
    image_shape : tuple
        The source's shape; ``variants`` centre on its target width.
    settings : PixelizeSettings
        Everything but the size is shared by all outputs.
    widths, heights : sequence of int
        One output per width (aspect kept), and one per height.
    variants : int, optional
        ``variants`` widths around the target width in 12.5 % steps (see
        `variant_widths`); not together with ``widths`` or ``heights``.

    Returns
    -------
    list of PixelizeSettings
        ``[settings]`` when no size list is given.

    Raises
    ------
    PixelError
        For a non-positive size or count, or ``variants`` beside a size list.
    """
    for name, values in (("widths", widths), ("heights", heights)):
        if any(v < 1 for v in values):
            raise PixelError(f"`{name}` must be positive, got {list(values)}")
    if variants is not None:
        if variants < 1:
            raise PixelError(f"`variants` must be 1 or more, got {variants}")
        if widths or heights:
            raise PixelError("give `variants` or `widths`/`heights`, not both")
        base_cols = target_shape(image_shape, settings)[1]
        widths = variant_widths(base_cols, variants, max_width=image_shape[1])
    if not widths and not heights:
        return [settings]
    base = dataclasses.replace(settings, width=None, height=None, pixel_size=None, size=None)
    out = [dataclasses.replace(base, width=w) for w in dict.fromkeys(widths)]
    return out + [dataclasses.replace(base, height=h) for h in dict.fromkeys(heights)]
