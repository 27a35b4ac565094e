"""OpenRaster (.ora) writing and reading, per the OpenRaster 0.0.6 baseline spec.

https://www.openraster.org/baseline/file-layout-spec.html and layer-stack-spec.html:
a ZIP whose first entry is an uncompressed ``mimetype`` (``image/openraster``, no
newline), then ``stack.xml`` (first child of a stack is the top), the layer PNGs under
``data/``, ``mergedimage.png`` (the full render) and ``Thumbnails/thumbnail.png``
(at most 256×256, aspect kept, never upscaled, not referenced from the XML).
"""

from __future__ import annotations

import io
import os
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from pixref._atomic import atomic_path
from pixref.mockup._blend import BlendMode
from pixref.mockup._errors import MockupError
from pixref.mockup._layers import FileGroup, FileLayer, LayeredFile

MIMETYPE = "image/openraster"
ORA_VERSION = "0.0.6"
THUMBNAIL_MAX = 256

# W3C / SVG compositing names as ORA spells them. ``add`` → ``svg:plus`` is the nearest
# baseline operator (equal for opaque layers; Porter–Duff plus for translucent ones).
COMPOSITE_OPS = {
    BlendMode.normal: "svg:src-over",
    BlendMode.multiply: "svg:multiply",
    BlendMode.screen: "svg:screen",
    BlendMode.overlay: "svg:overlay",
    BlendMode.darken: "svg:darken",
    BlendMode.lighten: "svg:lighten",
    BlendMode.color_dodge: "svg:color-dodge",
    BlendMode.color_burn: "svg:color-burn",
    BlendMode.hard_light: "svg:hard-light",
    BlendMode.soft_light: "svg:soft-light",
    BlendMode.difference: "svg:difference",
    BlendMode.add: "svg:plus",
    BlendMode.hue: "svg:hue",
    BlendMode.saturation: "svg:saturation",
    BlendMode.color: "svg:color",
    BlendMode.luminosity: "svg:luminosity",
}
_BLEND_OF_OP = {op: mode for mode, op in COMPOSITE_OPS.items()}


def _png(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, "PNG")
    return buf.getvalue()


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def thumbnail(image: np.ndarray) -> np.ndarray:
    """Shrink to fit 256×256 keeping the aspect ratio; never upscale."""
    im = Image.fromarray(image)
    im.thumbnail((THUMBNAIL_MAX, THUMBNAIL_MAX), Image.Resampling.LANCZOS)
    return np.asarray(im)


def write_ora(layered: LayeredFile, merged: np.ndarray, path: str | os.PathLike[str]) -> Path:
    """Write an OpenRaster file atomically.

    Parameters
    ----------
    layered : LayeredFile
        The stack, bottom first; each layer's mask is multiplied into its alpha (ORA
        baseline has no layer masks).
    merged : (H, W, 4) uint8 ndarray
        The flattened render, stored as ``mergedimage.png`` and shrunk for the thumbnail.
    path : path
    """
    files: list[tuple[str, bytes]] = []

    def stack(items, element):
        for item in reversed(items):  # ORA lists the top first
            attrs = {"name": item.name}
            if item.opacity != 1.0:
                attrs["opacity"] = _fmt(item.opacity)
            attrs["visibility"] = "visible" if item.visible else "hidden"
            attrs["composite-op"] = COMPOSITE_OPS[item.blend]
            if isinstance(item, FileGroup):
                sub = ET.SubElement(element, "stack", attrs | {"isolation": "isolate"})
                stack(item.layers, sub)
                continue
            src = f"data/layer{len(files) + 1:03d}.png"
            rgba = item.rgba
            if rgba.size == 0:  # a layer off the canvas: keep it, as one clear pixel
                rgba = np.zeros((1, 1, 4), np.uint8)
            elif item.mask is not None:
                rgba = rgba.copy()
                a = rgba[..., 3].astype(np.uint32) * item.mask + 127
                rgba[..., 3] = (a // 255).astype(np.uint8)  # uint8×uint8/255, rounded
            files.append((src, _png(rgba)))
            attrs |= {"src": src, "x": str(item.left), "y": str(item.top)}
            ET.SubElement(element, "layer", attrs)

    root = ET.Element(
        "image", {"version": ORA_VERSION, "w": str(layered.width), "h": str(layered.height)}
    )
    stack(layered.layers, ET.SubElement(root, "stack"))
    xml = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    with atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w") as z:
            z.writestr(zipfile.ZipInfo("mimetype"), MIMETYPE, compress_type=zipfile.ZIP_STORED)
            z.writestr("stack.xml", xml, compress_type=zipfile.ZIP_DEFLATED)
            for name, data in files:
                # PNG data is already deflated; storing it saves time for nothing lost.
                z.writestr(name, data, compress_type=zipfile.ZIP_STORED)
            z.writestr("mergedimage.png", _png(merged), compress_type=zipfile.ZIP_STORED)
            z.writestr(
                "Thumbnails/thumbnail.png",
                _png(thumbnail(merged)),
                compress_type=zipfile.ZIP_STORED,
            )
    return Path(path)


def _float_attr(el, key, default, where):
    text = el.get(key)
    if text is None:
        return default
    try:
        return float(text)
    except ValueError:
        raise MockupError(f"{where}: `{key}` must be a number, got {text!r}") from None


def read_ora(path: str | os.PathLike[str]) -> LayeredFile:
    """Read an OpenRaster file's layer stack (PNG layers; unknown ops become normal)."""
    path = Path(path)
    warnings: list[str] = []
    try:
        z = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise MockupError(f"`{path}` does not exist") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise MockupError(f"`{path}` is not an OpenRaster file (not a ZIP: {exc})") from None
    with z:
        names = z.namelist()
        if not names or names[0] != "mimetype" or z.read("mimetype") != MIMETYPE.encode():
            raise MockupError(f"`{path}` is not an OpenRaster file (no image/openraster mimetype)")
        try:
            root = ET.fromstring(z.read("stack.xml"))
        except (KeyError, ET.ParseError) as exc:
            raise MockupError(f"`{path}`: unreadable stack.xml ({exc})") from None
        try:
            w, h = int(root.get("w", "")), int(root.get("h", ""))
        except ValueError:
            raise MockupError(f"`{path}`: stack.xml <image> needs integer `w` and `h`") from None

        def read_png(src: str, where: str) -> np.ndarray:
            try:
                with Image.open(io.BytesIO(z.read(src))) as im:
                    return np.asarray(im.convert("RGBA"))
            except KeyError:
                raise MockupError(f"`{path}`: {where} refers to missing `{src}`") from None
            except (UnidentifiedImageError, OSError):
                raise MockupError(f"`{path}`: {where} `{src}` is not a readable image") from None

        def attrs(el, where):
            op = el.get("composite-op", "svg:src-over")
            blend = _BLEND_OF_OP.get(op)
            if blend is None:
                warnings.append(f"{where}: composite-op {op!r} is not supported; using normal")
                blend = BlendMode.normal
            opacity = min(1.0, max(0.0, _float_attr(el, "opacity", 1.0, where)))
            return {
                "opacity": opacity,
                "visible": el.get("visibility", "visible") != "hidden",
                "blend": blend,
            }

        def stack(element) -> tuple:
            items: list[FileLayer | FileGroup] = []
            for i, el in enumerate(element):
                name = el.get("name") or f"Layer {i + 1}"
                where = f"layer {name!r}"
                if el.tag == "stack":
                    items.append(FileGroup(name=name, layers=stack(el), **attrs(el, where)))
                elif el.tag == "layer":
                    src = el.get("src", "")
                    if not src.lower().endswith(".png"):
                        warnings.append(f"{where}: skipped, `{src}` is not a PNG layer")
                        continue
                    items.append(
                        FileLayer(
                            name=name,
                            left=int(_float_attr(el, "x", 0, where)),
                            top=int(_float_attr(el, "y", 0, where)),
                            rgba=read_png(src, where),
                            **attrs(el, where),
                        )
                    )
                else:
                    warnings.append(f"{where}: <{el.tag}> elements are not supported; skipped")
            return tuple(reversed(items))  # ORA lists the top first

        top = root.find("stack")
        layers = stack(top) if top is not None else ()
        merged = read_png("mergedimage.png", "mergedimage") if "mergedimage.png" in names else None
    return LayeredFile(width=w, height=h, layers=layers, merged=merged, warnings=tuple(warnings))
