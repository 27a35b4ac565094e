"""Reading and writing mockup documents, and loading the images they reference.

The only module of the document model that touches files (besides the ORA and PSD
writers). Paths inside a document are relative to the document's folder.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from pixref._atomic import write_bytes_atomic
from pixref.mockup._document import Document, Layer, document_from_dict, document_to_dict
from pixref.mockup._errors import MockupError

SUFFIX = ".pixmock.json"


def read_document(path: str | os.PathLike[str]) -> Document:
    """Load and validate a ``.pixmock.json``; MockupError with a one-line reason otherwise."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise MockupError(
            f"mockup `{path}` does not exist; `pixref mockup new` makes one"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MockupError(f"cannot read mockup `{path}`: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MockupError(
            f"mockup `{path}` is not valid JSON (line {exc.lineno}): {exc.msg}"
        ) from None
    return document_from_dict(data)


def _tidy(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    if isinstance(value, dict):
        return {k: _tidy(v) for k, v in value.items()}
    return value


# A list holding only numbers (or only such lists) fits on one line: points stay readable.
_NUMERIC_LIST = re.compile(r"\[[\s\d.,eE+\-\[\]]*\]")


def _one_line(match: re.Match[str]) -> str:
    text = match.group(0)
    if "\n" not in text:  # JSON strings never hold a raw newline: this one is inside a string
        return text
    return re.sub(r"\s+", " ", text).replace("[ ", "[").replace(" ]", "]")


def dumps_document(doc: Document) -> str:
    """The document as indented JSON text (what `write_document` writes)."""
    text = json.dumps(_tidy(document_to_dict(doc)), indent=2, ensure_ascii=False)
    text = _NUMERIC_LIST.sub(_one_line, text)
    return text + "\n"


def write_document(doc: Document, path: str | os.PathLike[str]) -> Path:
    """Write ``doc`` atomically as readable JSON."""
    return write_bytes_atomic(path, dumps_document(doc).encode("utf-8"))


def read_image(path: str | os.PathLike[str], *, what: str = "image") -> np.ndarray:
    """Any image Pillow reads → (H, W, 4) uint8 straight-alpha sRGB."""
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGBA"))
    except FileNotFoundError:
        raise MockupError(f"{what} `{path}` is missing") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise MockupError(f"{what} `{path}` is not an image pixref can read: {exc}") from None


def read_gray(path: str | os.PathLike[str], *, what: str = "mask image") -> np.ndarray:
    """A mask image → (H, W) uint8: its alpha when it has transparency, else its luminance."""
    try:
        with Image.open(path) as im:
            if "A" in im.getbands() or "transparency" in im.info:
                alpha = im.convert("RGBA").getchannel("A")
                if alpha.getextrema() != (255, 255):
                    return np.asarray(alpha)
            return np.asarray(im.convert("L"))
    except FileNotFoundError:
        raise MockupError(f"{what} `{path}` is missing") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise MockupError(f"{what} `{path}` is not an image pixref can read: {exc}") from None


def write_png(image: np.ndarray, path: str | os.PathLike[str]) -> Path:
    """Write an (H, W[, C]) uint8 array as PNG, atomically."""
    from io import BytesIO

    buf = BytesIO()
    Image.fromarray(image).save(buf, "PNG")
    return write_bytes_atomic(path, buf.getvalue())


def _resolve(base_dir: Path, rel: str) -> Path:
    p = Path(rel).expanduser()
    return p if p.is_absolute() else base_dir / p


def source_path(layer: Layer, base_dir: str | os.PathLike[str], library: Any = None) -> Path:
    """The file a path or library source reads from; MockupError naming the layer if missing."""
    src = layer.source
    where = f"layer {layer.name!r}"
    if src.path is not None:
        path = _resolve(Path(base_dir), src.path)
        if not path.is_file():
            raise MockupError(f"{where}: source file `{src.path}` is missing (looked for {path})")
        return path
    if src.library is None:
        raise MockupError(f"{where}: a colour source has no file")
    from pixref.library import LibraryError, open_library

    try:
        if library is None:
            with open_library() as lib:
                entry = lib.get(src.library)
        else:
            entry = library.get(src.library)
    except LibraryError as exc:
        raise MockupError(f"{where}: library entry #{src.library} is unavailable: {exc}") from None
    if not Path(entry.path).is_file():
        raise MockupError(
            f"{where}: library entry #{src.library}'s image `{entry.path}` is missing"
        )
    return Path(entry.path)


def load_sources(
    doc: Document, *, base_dir: str | os.PathLike[str], library: Any = None
) -> dict[str, np.ndarray]:
    """Read every path and library source of ``doc`` (once each), keyed by `Source.key`.

    Parameters
    ----------
    doc : Document
    base_dir : path
        The document's folder; relative source paths start there.
    library : pixref.library.Library, optional
        For library-id sources; the default library is opened when needed.

    Returns
    -------
    sources : dict of str to (H, W, 4) uint8 ndarray

    Raises
    ------
    MockupError
        Naming the layer and the missing file or library entry.
    """
    out: dict[str, np.ndarray] = {}
    for layer in doc.walk():
        key = layer.source.key
        if layer.source.color is not None or key in out:
            continue
        path = source_path(layer, base_dir, library)
        out[key] = read_image(path, what=f"layer {layer.name!r}: source")
    return out


def load_mask_images(doc: Document, *, base_dir: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read every mask image of ``doc``, keyed by the path written in the document."""
    out: dict[str, np.ndarray] = {}
    for layer in doc.walk():
        for item in layer.mask:
            if item.image is None or item.image in out:
                continue
            path = _resolve(Path(base_dir), item.image)
            if not path.is_file():
                where = f"layer {layer.name!r}"
                raise MockupError(
                    f"{where}: mask image `{item.image}` is missing (looked for {path})"
                )
            out[item.image] = read_gray(path, what=f"layer {layer.name!r}: mask image")
    return out


def render_file(
    path: str | os.PathLike[str], *, library: Any = None
) -> tuple[Document, np.ndarray]:
    """Read a document, load its sources and render it; ``(doc, (H, W, 4) uint8)``."""
    from pixref.mockup._render import render

    doc = read_document(path)
    base = Path(path).parent
    image = render(
        doc,
        load_sources(doc, base_dir=base, library=library),
        mask_images=load_mask_images(doc, base_dir=base),
    )
    return doc, image


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (".ora", ".psd"):
        raise MockupError(f"`{path}`: export and import speak .ora and .psd, got {suffix!r}")
    return suffix


def export_file(
    doc_path: str | os.PathLike[str], out: str | os.PathLike[str], *, library: Any = None
) -> Document:
    """Render ``doc_path`` and write it as a layered ``.ora`` or ``.psd`` at ``out``."""
    from pixref.mockup._convert import premul2rgba
    from pixref.mockup._interchange import to_layered
    from pixref.mockup._render import composite_rasters, rasterize

    out = Path(out)
    kind = _kind(out)
    doc = read_document(doc_path)
    base = Path(doc_path).parent
    rasters = rasterize(
        doc,
        load_sources(doc, base_dir=base, library=library),
        mask_images=load_mask_images(doc, base_dir=base),
    )
    merged = premul2rgba(composite_rasters(doc, rasters))
    layered = to_layered(doc, rasters)
    if kind == ".ora":
        from pixref.mockup._ora import write_ora

        write_ora(layered, merged, out)
    else:
        from pixref.mockup._psd import write_psd

        write_psd(layered, merged, out)
    return doc


def read_layered(path: str | os.PathLike[str]):
    """Read an ``.ora`` or ``.psd`` into a `LayeredFile`."""
    path = Path(path)
    if _kind(path) == ".ora":
        from pixref.mockup._ora import read_ora

        return read_ora(path)
    from pixref.mockup._psd import read_psd

    return read_psd(path)


def layers_folder(doc_path: str | os.PathLike[str]) -> Path:
    """Where `import_file` puts layer images: ``fairy.pixmock.json`` → ``fairy.layers/``."""
    doc_path = Path(doc_path)
    name = doc_path.name
    stem = name[: -len(SUFFIX)] if name.endswith(SUFFIX) else doc_path.stem
    return doc_path.with_name(stem + ".layers")


def import_file(
    path: str | os.PathLike[str], doc_path: str | os.PathLike[str]
) -> tuple[Document, tuple[str, ...]]:
    """Turn an ``.ora``/``.psd`` into a mockup document, one image file per layer.

    Layer images (and PSD layer masks) are written to `layers_folder`; the document
    refers to them by relative path. Returns ``(document, warnings)``.
    """
    from pixref.mockup._interchange import from_layered

    layered = read_layered(path)
    doc_path = Path(doc_path)
    folder = layers_folder(doc_path)
    folder.mkdir(parents=True, exist_ok=True)

    def save_layer(number: int, layer) -> tuple[str, str | None]:
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", layer.name).strip("-.")[:40] or "layer"
        image = folder / f"{number:03d}-{slug}.png"
        write_png(layer.rgba, image)
        mask = None
        if layer.mask is not None:
            mask = folder / f"{number:03d}-{slug}.mask.png"
            write_png(layer.mask, mask)
        rel = os.path.relpath
        base = doc_path.parent
        return rel(image, base), (None if mask is None else rel(mask, base))

    doc = from_layered(layered, save_layer)
    write_document(doc, doc_path)
    return doc, layered.warnings


#: PNG text chunk of a rendered mockup holding the document JSON.
MOCKUP_CHUNK = "pixref-mockup"


@dataclass(frozen=True)
class RenderedFile:
    """A render written by `render_to_png`: the document, the PNG, its library entry id
    (None when not logged) and warnings (why it was not logged)."""

    document: Document
    path: Path
    entry_id: int | None
    warnings: tuple[str, ...] = ()


def render_to_png(
    doc_path: str | os.PathLike[str], output: str | os.PathLike[str], *, log: bool = True
) -> RenderedFile:
    """Render ``doc_path`` to the PNG ``output`` (the document rides along in its
    ``pixref-mockup`` text chunk) and record it in the library as a ``mockup``.

    A library problem does not fail the render: it becomes a warning.
    """
    from pixref.metadata import save_png
    from pixref.params import PixrefError

    doc_path, output = Path(doc_path), Path(output)
    doc, image = render_file(doc_path)
    save_png(image, output, extra_text={MOCKUP_CHUNK: dumps_document(doc)})
    if not log:
        return RenderedFile(doc, output, None)
    try:
        entry_id = log_render(doc, doc_path.parent, output)
    except PixrefError as exc:
        return RenderedFile(doc, output, None, (f"not logged in the library: {exc}",))
    return RenderedFile(doc, output, entry_id)


def log_render(doc: Document, base_dir: str | os.PathLike[str], png: str | os.PathLike[str]) -> int:
    """Log a rendered mockup as library kind ``mockup``; its parents are the library
    sources and the path sources whose bytes are in the library (``mockup_layer``).

    Returns the new entry's id; raises `PixrefError` when the library fails.
    """
    from pixref.library import Kind, Relation, find_image, open_library

    with open_library() as lib:
        parents: dict[int, str] = {}
        for layer in doc.walk():
            if layer.source.library is not None:
                parents[layer.source.library] = Relation.mockup_layer
            elif layer.source.path is not None:
                found = find_image(lib, source_path(layer, base_dir, lib))
                if found is not None:
                    parents.setdefault(found, Relation.mockup_layer)
        return lib.add(png, kind=Kind.mockup, parents=parents, source_path=str(png)).id
