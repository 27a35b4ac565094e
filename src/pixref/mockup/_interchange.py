"""Between mockup documents and the app-neutral layer tree that ORA and PSD files hold.

Export rasterizes every layer (adjustments, transform and mask baked into pixels at an
offset); import turns each file layer back into an image-file layer at that offset.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from pixref.mockup._document import Document, Group, Layer, Source
from pixref.mockup._layers import FileGroup, FileLayer, LayeredFile
from pixref.mockup._mask import MaskItem, MaskShape
from pixref.mockup._render import Raster
from pixref.mockup._transform import Transform

_EMPTY = np.zeros((0, 0, 4), np.uint8)


def to_layered(doc: Document, rasters: Mapping[str, Raster | None]) -> LayeredFile:
    """The document's layers as painting apps store them (off-canvas layers are empty)."""

    def convert(items) -> tuple:
        out: list[FileLayer | FileGroup] = []
        for item in items:
            common = {"name": item.name, "opacity": item.opacity, "visible": item.visible}
            if isinstance(item, Group):
                out.append(FileGroup(layers=convert(item.layers), blend=item.blend, **common))
                continue
            r = rasters.get(item.name)
            if r is None:
                out.append(FileLayer(top=0, left=0, rgba=_EMPTY, blend=item.blend, **common))
            else:
                out.append(
                    FileLayer(
                        top=r.top,
                        left=r.left,
                        rgba=np.ascontiguousarray(r.rgba),
                        mask=r.mask,
                        blend=item.blend,
                        **common,
                    )
                )
        return tuple(out)

    return LayeredFile(width=doc.width, height=doc.height, layers=convert(doc.layers))


def from_layered(
    layered: LayeredFile,
    save_layer: Callable[[int, FileLayer], tuple[str, str | None]],
) -> Document:
    """A document whose layers are the file's, each an image at its offset.

    Parameters
    ----------
    layered : LayeredFile
    save_layer : callable ``(number, layer) -> (image_path, mask_path or None)``
        Stores one layer's pixels (and mask) and returns the paths to write in the
        document (relative to it).
    """
    names: set[str] = set()
    counter = iter(range(1, 1_000_000))

    def unique(name: str) -> str:
        base, n = name.strip() or "Layer", 1
        while name in names or not name.strip():
            n += 1
            name = f"{base} {n}"
        names.add(name)
        return name

    def convert(items) -> tuple:
        out: list[Layer | Group] = []
        for item in items:
            common = {"opacity": item.opacity, "visible": item.visible, "blend": item.blend}
            if isinstance(item, FileGroup):
                out.append(Group(name=unique(item.name), layers=convert(item.layers), **common))
                continue
            if item.rgba.size == 0:
                continue
            image, mask = save_layer(next(counter), item)
            out.append(
                Layer(
                    name=unique(item.name),
                    source=Source(path=image),
                    transform=Transform(x=float(item.left), y=float(item.top)),
                    mask=() if mask is None else (MaskItem(shape=MaskShape.image, image=mask),),
                    **common,
                )
            )
        return tuple(out)

    return Document(width=layered.width, height=layered.height, layers=convert(layered.layers))
