"""Layered PSD writing and reading through psd-tools (the ``mockup`` extra).

psd-tools 1.26 writes layered PSDs (`PSDImage.new`, `create_pixel_layer_from_array`,
`create_group`, `create_mask`). Two of its defaults do not suit painting apps, so:

- The document is RGB (3 channels), not RGBA: Clip Studio Paint reads the alpha of an
  RGBA merged image as a saved selection and adds a "selection" layer (psd-tools #585).
  Layers keep their own transparency channel: `create_pixel_layer_from_array` stores a
  4th array channel as transparency even in an RGB document (`create_pixel_layer` with
  an RGBA PIL image would turn alpha into a layer mask instead).
- The merged image is pixref's own render flattened on white, not psd-tools'
  compositor (which needs the ``composite`` extra and differs from W3C for some
  modes). psd-tools has no public setter for it, so it is written through
  ``_record.image_data.set_data`` and the "updated" flag is cleared so `save` keeps it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pixref._atomic import atomic_path
from pixref.mockup._blend import BlendMode
from pixref.mockup._convert import to_float01
from pixref.mockup._errors import MockupError
from pixref.mockup._layers import FileGroup, FileLayer, LayeredFile


def _psd_tools():
    try:
        import psd_tools
        from psd_tools.constants import BlendMode as PsdBlend
    except ImportError:
        raise MockupError(
            "PSD needs psd-tools: pip install 'pixref[mockup]' (ORA works without it)"
        ) from None
    return psd_tools, PsdBlend


_PSD_NAMES = {
    BlendMode.normal: "NORMAL",
    BlendMode.multiply: "MULTIPLY",
    BlendMode.screen: "SCREEN",
    BlendMode.overlay: "OVERLAY",
    BlendMode.darken: "DARKEN",
    BlendMode.lighten: "LIGHTEN",
    BlendMode.color_dodge: "COLOR_DODGE",
    BlendMode.color_burn: "COLOR_BURN",
    BlendMode.hard_light: "HARD_LIGHT",
    BlendMode.soft_light: "SOFT_LIGHT",
    BlendMode.difference: "DIFFERENCE",
    BlendMode.add: "LINEAR_DODGE",  # Photoshop's "Linear Dodge (Add)"
    BlendMode.hue: "HUE",
    BlendMode.saturation: "SATURATION",
    BlendMode.color: "COLOR",
    BlendMode.luminosity: "LUMINOSITY",
}
_BLEND_OF_NAME = {name: mode for mode, name in _PSD_NAMES.items()}


def flatten_on_white(rgba: np.ndarray) -> np.ndarray:
    """(H, W, 4) uint8 straight RGBA → (H, W, 3) float32 0–1 over white (the PSD preview)."""
    f = to_float01(rgba)
    return f[..., :3] * f[..., 3:4] + (1 - f[..., 3:4])


def write_psd(layered: LayeredFile, merged: np.ndarray, path: str | os.PathLike[str]) -> Path:
    """Write a layered 8-bit RGB PSD atomically.

    Parameters
    ----------
    layered : LayeredFile
        The stack, bottom first. Names, offsets, opacity (stored 0–255), visibility,
        blend modes and layer masks are kept; groups become PSD groups.
    merged : (H, W, 4) uint8 ndarray
        The flattened render; stored as the RGB merged image, composited on white.
    path : path
    """
    psd_tools, psd_blend = _psd_tools()
    from psd_tools.api import numpy_io

    psd = psd_tools.PSDImage.new("RGB", (layered.width, layered.height), color=(255, 255, 255))

    def add(items, parent):
        for item in items:  # psd-tools puts each new layer on top: bottom first
            if isinstance(item, FileGroup):
                layer = parent.create_group([], name=item.name)
                add(item.layers, layer)
            else:
                rgba, top, left = item.rgba, item.top, item.left
                if rgba.size == 0:
                    rgba, top, left = np.zeros((1, 1, 4), np.uint8), 0, 0
                layer = parent.create_pixel_layer_from_array(
                    rgba, name=item.name, top=top, left=left
                )
                if item.mask is not None:
                    from PIL import Image

                    layer.create_mask(Image.fromarray(item.mask, "L"), top=top, left=left)
            layer.opacity = round(item.opacity * 255)
            layer.blend_mode = getattr(psd_blend, _PSD_NAMES[item.blend])
            layer.visible = item.visible

    add(layered.layers, psd)
    color = flatten_on_white(merged)
    alpha = np.ones(color.shape[:2] + (1,), np.float32)
    psd._record.image_data.set_data(
        numpy_io.encode_image_data(psd, color, alpha), psd._record.header
    )
    psd._updated = False  # keep pixref's merged image; see the module docstring
    with atomic_path(path) as tmp:
        psd.save(tmp)
    return Path(path)


def read_psd(path: str | os.PathLike[str]) -> LayeredFile:
    """Read a PSD's pixel layers and groups (other layer kinds are rasterized or skipped)."""
    psd_tools, _ = _psd_tools()
    path = Path(path)
    warnings: list[str] = []
    try:
        psd = psd_tools.PSDImage.open(path)
    except FileNotFoundError:
        raise MockupError(f"`{path}` does not exist") from None
    except Exception as exc:  # psd-tools raises assorted errors on foreign bytes
        raise MockupError(f"`{path}` is not a PSD pixref can read: {exc}") from None

    def attrs(layer, where):
        name = layer.blend_mode.name
        blend = _BLEND_OF_NAME.get(name)
        if blend is None:
            if name != "PASS_THROUGH":
                warnings.append(f"{where}: blend mode {name} is not supported; using normal")
            blend = BlendMode.normal
        return {"opacity": layer.opacity / 255, "visible": layer.visible, "blend": blend}

    def walk(group) -> tuple:
        items: list[FileLayer | FileGroup] = []
        for layer in group:  # psd-tools iterates bottom first
            where = f"layer {layer.name!r}"
            if layer.is_group():
                items.append(FileGroup(name=layer.name, layers=walk(layer), **attrs(layer, where)))
                continue
            image = layer.topil()
            if image is None:
                warnings.append(f"{where}: has no pixels; skipped")
                continue
            if layer.kind != "pixel":
                warnings.append(f"{where}: {layer.kind} layer imported as pixels")
            rgba = np.asarray(image.convert("RGBA"))
            items.append(
                FileLayer(
                    name=layer.name,
                    left=layer.left,
                    top=layer.top,
                    rgba=rgba,
                    mask=_mask_of(layer, rgba.shape[:2]),
                    **attrs(layer, where),
                )
            )
        return tuple(items)

    layers = walk(psd)
    merged_im = psd.topil()
    merged = None if merged_im is None else np.asarray(merged_im.convert("RGB"))
    return LayeredFile(
        width=psd.width, height=psd.height, layers=layers, merged=merged, warnings=tuple(warnings)
    )


def _mask_of(layer, shape) -> np.ndarray | None:
    """The layer's user mask over the layer's own box (outside the mask: its background)."""
    if not layer.has_mask() or layer.mask.disabled:
        return None
    mask = layer.mask
    out = np.full(shape, mask.background_color, np.uint8)
    image = mask.topil()
    if image is None:
        return out
    m = np.asarray(image.convert("L"))
    top, left = mask.top - layer.top, mask.left - layer.left
    r0, c0 = max(0, top), max(0, left)
    r1, c1 = min(shape[0], top + m.shape[0]), min(shape[1], left + m.shape[1])
    if r1 > r0 and c1 > c0:
        out[r0:r1, c0:c1] = m[r0 - top : r1 - top, c0 - left : c1 - left]
    return out
