"""``/api/mockups``: mockup documents by name — layers, masks, adjustments, render, PSD/ORA.

Thin over `pixref.mockup`, as ``pixref mockup`` is: every edit goes through the
stage's `add_layer` / `update_layer` / `reorder_layer` and is checked as loading a
document is; render, export and import are the stage's `render_to_png`,
`export_file` and `import_file`, run as CPU jobs. Documents live in the data home
(see `pixref.server._mockups`).
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import FileResponse, Response
from PIL import Image
from pydantic import BaseModel

from pixref.mockup import (
    BlendMode,
    Document,
    MockupError,
    add_layer,
    document_from_dict,
    document_to_dict,
    remove_layer,
    reorder_layer,
    unique_layer_name,
    update_layer,
)
from pixref.mockup.io import SUFFIX, export_file, import_file, render_file, render_to_png
from pixref.server import _mockups as store
from pixref.server._errors import API_ERROR_RESPONSES, Conflict
from pixref.server._mockup_models import (
    DocumentIn,
    ImportForm,
    LayerFields,
    LayerIn,
    LayerPatch,
    LayerUploadForm,
    MaskItemIn,
    MockupOut,
    MockupSummary,
    NewMockup,
    OrderIn,
    RenderResult,
    SourceIn,
    StoredFile,
)
from pixref.server._results import JobAccepted, Wait, new_output, run_job, stored_image
from pixref.server._state import State
from pixref.server._uploads import UploadError, check_library_id, probe_image, read_upload

router = APIRouter(prefix="/api/mockups", tags=["mockup"], responses=API_ERROR_RESPONSES)
Inline = Annotated[bool, Query(description="Also return the render as a base64 PNG.")]
MEDIA = {"psd": "image/vnd.adobe.photoshop", "ora": "image/openraster"}
FILE_MEDIA = {
    ".png": "image/png", ".jpg": "image/jpeg", ".webp": "image/webp", ".gif": "image/gif",
    ".bmp": "image/bmp", ".tiff": "image/tiff",
}  # fmt: skip


def _out(name: str, doc: Document) -> MockupOut:
    return MockupOut(
        name=name,
        document=document_to_dict(doc),
        layers=[layer.name for layer in doc.walk()],
    )


def _source(name: str, source: SourceIn) -> dict[str, Any]:
    given = [source.library, source.file, source.color]
    if sum(v is not None for v in given) != 1:
        raise MockupError("`source` needs exactly one of `library`, `file` or `color`")
    if source.library is not None:
        check_library_id(source.library)
        return {"library": source.library}
    if source.file is not None:
        return {"path": store.file_ref(name, source.file)}
    out: dict[str, Any] = {"color": source.color}
    if source.size is not None:
        out["size"] = list(source.size)
    return out


def _mask(name: str, item: MaskItemIn) -> dict[str, Any]:
    out = item.model_dump(mode="json", exclude_none=True, exclude={"file"})
    if item.file is not None:
        out["image"] = store.file_ref(name, item.file)
    return out


def _storage(name: str, fields: LayerFields) -> dict[str, Any]:
    """The layer keys sent, in the document's storage form (None = restore the default)."""
    out: dict[str, Any] = {}
    for key in fields.model_fields_set:
        value = getattr(fields, key)
        if value is None:
            out[key] = None
        elif key == "source":
            out[key] = _source(name, value)
        elif key == "mask":
            out[key] = [_mask(name, item) for item in value]
        elif key == "adjust":
            out[key] = value.model_dump(mode="json", exclude_none=True)
        elif isinstance(value, BaseModel):
            out[key] = value.model_dump(mode="json")
        else:
            out[key] = value.value if isinstance(value, BlendMode) else _jsonable(value)
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value


@router.post(
    "/import",
    summary="Import a layered PSD or ORA as a new mockup",
    status_code=201,
    response_model=MockupOut,
    responses={202: {"model": JobAccepted}},
)
async def import_mockup(
    form: Annotated[ImportForm, Form(media_type="multipart/form-data")],
    state: State,
    wait: Wait = True,
):
    """Each file layer becomes an image layer (PNG in the mockup's folder); groups,
    opacity, visibility, blend modes and PSD layer masks come back."""
    filename = form.file.filename or "upload"
    suffix = Path(filename).suffix.lower()
    if suffix not in (".psd", ".ora"):
        raise UploadError(f"`file` must be a .psd or .ora file, got {filename!r}")
    name = store.check_name(form.name or _name_from(filename))
    if store.doc_path(name).exists():
        raise Conflict(f"mockup {name!r} already exists; give another `name`")
    data = await read_upload(form.file, field="file")
    width, height = _layered_size(data, suffix, filename)
    limit = state.settings.max_image_pixels
    if width * height > limit:
        raise UploadError(
            f"`file` {filename!r} is {width}×{height} = {width * height} pixels, above the "
            f"server's limit of {limit}"
        )

    def run(ctx) -> MockupOut:
        return _import(name, data, suffix, filename)

    return await run_job(state, "mockup_import", run, title=f"import {filename}", wait=wait)


@router.get("", summary="List the stored mockups")
def list_mockups() -> list[MockupSummary]:
    out = []
    for name in store.names():
        try:
            doc = store.read(name)
        except MockupError:
            continue  # a document edited by hand into an invalid state; GET it to see why
        out.append(
            MockupSummary(
                name=name, width=doc.width, height=doc.height, layers=len(list(doc.walk()))
            )
        )
    return out


@router.post("", summary="Create an empty mockup", status_code=201)
def create_mockup(body: NewMockup) -> MockupOut:
    data: dict[str, Any] = {"width": body.width, "height": body.height, "layers": []}
    data["resample"] = body.resample.value
    if body.background is not None:
        data["background"] = body.background
    return _out(body.name, store.create(body.name, document_from_dict(data)))


@router.get("/{name}", summary="A mockup's document")
def get_mockup(name: str) -> MockupOut:
    return _out(name, store.read(name))


@router.put("/{name}", summary="Replace (or create) a mockup's whole document")
def put_mockup(name: str, body: DocumentIn) -> MockupOut:
    """For editors that keep the document themselves. Path sources and mask images
    must be files of this mockup (``NAME.layers/FILE``)."""
    return _out(name, store.write(name, document_from_dict(body.document)))


@router.delete("/{name}", summary="Delete a mockup and its files", status_code=204)
def delete_mockup(name: str) -> Response:
    store.delete(name)
    return Response(status_code=204)


@router.post("/{name}/files", summary="Upload an image for the mockup's layers or masks")
async def upload_file(
    name: str, file: Annotated[UploadFile, File(description="An image file.")], state: State
) -> StoredFile:
    store.read(name)
    data = await read_upload(file, field="file")
    width, height, fmt = probe_image(
        data, name=file.filename or "upload", field="file",
        max_pixels=state.settings.max_image_pixels,
    )  # fmt: skip
    return StoredFile(file=store.save_file(name, data, fmt), width=width, height=height)


@router.get(
    "/{name}/files/{file}",
    summary="Download a file of the mockup (an upload or an imported layer)",
    response_class=FileResponse,
    responses={
        200: {"content": {m: {} for m in [*FILE_MEDIA.values(), "application/octet-stream"]}}
    },
)
def get_file(name: str, file: str) -> FileResponse:
    """The bytes as stored in ``NAME.layers/``, for editors that draw the layers
    themselves: ``file`` is a `source.file` or the last part of a path source."""
    store.read(name)
    path = store.folder() / store.file_ref(name, file)
    media = FILE_MEDIA.get(path.suffix.lower(), "application/octet-stream")
    return FileResponse(
        path,
        media_type=media,
        headers={"cache-control": "no-cache", "x-content-type-options": "nosniff"},
    )


@router.post("/{name}/layers", summary="Add a layer on top", status_code=201)
def add_mockup_layer(name: str, body: LayerIn) -> MockupOut:
    """Add a layer from a library entry, an uploaded file of this mockup, or a colour."""
    doc = store.read(name)
    data = _storage(name, body)
    default = body.source.file or (
        f"#{body.source.library}" if body.source.library is not None else "color"
    )
    data["name"] = unique_layer_name(doc, body.name or default.rsplit(".", 1)[0])
    data = {k: v for k, v in data.items() if v is not None}
    return _out(name, store.write(name, add_layer(doc, data)))


@router.post("/{name}/layers/upload", summary="Add a layer from an uploaded image", status_code=201)
async def add_uploaded_layer(
    name: str,
    form: Annotated[LayerUploadForm, Form(media_type="multipart/form-data")],
    state: State,
) -> MockupOut:
    """Upload and add in one request (the file is kept in the mockup's folder)."""
    doc = store.read(name)
    data = await read_upload(form.file, field="file")
    filename = form.file.filename or "layer.png"
    _, _, fmt = probe_image(
        data, name=filename, field="file", max_pixels=state.settings.max_image_pixels
    )
    file = store.save_file(name, data, fmt)
    layer = {
        "name": unique_layer_name(doc, form.name or Path(filename).stem or "layer"),
        "source": {"path": store.file_ref(name, file)},
        "x": form.x, "y": form.y, "scale": form.scale, "rotate": form.rotate,
        "opacity": form.opacity, "blend": form.blend.value,
    }  # fmt: skip
    return _out(name, store.write(name, add_layer(doc, layer)))


@router.patch("/{name}/layers/{layer}", summary="Change a layer")
def patch_mockup_layer(name: str, layer: str, body: LayerPatch) -> MockupOut:
    """Move, scale, rotate, flip, warp, adjust, mask, re-blend, hide or rename a layer
    (``layer`` is its name or its position from the bottom, 1 first)."""
    doc = store.read(name)
    changes = _storage(name, body)
    if changes.get("name") is not None and changes["name"] != doc.find(layer).name:
        if changes["name"] in {x.name for x in doc.walk()}:
            raise Conflict(f"mockup {name!r} already has a layer {changes['name']!r}")
    return _out(name, store.write(name, update_layer(doc, layer, changes)))


@router.delete("/{name}/layers/{layer}", summary="Remove a layer")
def delete_mockup_layer(name: str, layer: str) -> MockupOut:
    return _out(name, store.write(name, remove_layer(store.read(name), layer)))


@router.post("/{name}/layers/{layer}/order", summary="Restack a layer within its group")
def order_mockup_layer(name: str, layer: str, body: OrderIn) -> MockupOut:
    return _out(name, store.write(name, reorder_layer(store.read(name), layer, body.to)))


@router.post("/{name}/layers/{layer}/mask", summary="Add a mask item to a layer")
def add_mask_item(name: str, layer: str, body: MaskItemIn) -> MockupOut:
    """Mask items combine in order (``op``); coordinates are the source's pixels."""
    doc = store.read(name)
    target = doc.find(layer)
    stored = document_to_dict(doc)["layers"]
    current = next(x for x in _walk_dicts(stored) if x.get("name") == target.name)
    mask = [*current.get("mask", []), _mask(name, body)]
    return _out(name, store.write(name, update_layer(doc, target.name, {"mask": mask})))


@router.delete("/{name}/layers/{layer}/mask", summary="Remove a layer's mask")
def clear_mask(name: str, layer: str) -> MockupOut:
    return _out(name, store.write(name, update_layer(store.read(name), layer, {"mask": None})))


def _walk_dicts(items: list):
    for item in items:
        if "group" in item:
            yield from _walk_dicts(item.get("layers", []))
        else:
            yield item


@router.post(
    "/{name}/render",
    summary="Render the mockup to a flattened PNG (logged as a mockup)",
    response_model=RenderResult,
    responses={202: {"model": JobAccepted}},
)
async def render_mockup(name: str, state: State, inline: Inline = False, wait: Wait = True):
    """Render as ``pixref mockup render`` does: the PNG carries the document, and its
    library entry links to the library sources (``mockup_layer``)."""
    doc = store.read(name)
    path = store.doc_path(name)

    def run(ctx) -> RenderResult:
        with new_output("mockups", name) as out:
            rendered = render_to_png(path, out, log=True)
            png = out.read_bytes()
        return RenderResult(
            image=stored_image(png, doc.width, doc.height, rendered.entry_id, inline=inline),
            warnings=list(rendered.warnings),
        )

    return await run_job(state, "mockup_render", run, title=f"render {name}", wait=wait)


@router.get(
    "/{name}/preview",
    summary="Render the mockup to a PNG without keeping it",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
def preview_mockup(name: str) -> Response:
    """The pixels `render` makes, for an editor to show after each change: the PNG
    only, neither written to the outputs folder nor logged in the library."""
    store.read(name)
    _, image = render_file(store.doc_path(name))
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, "PNG", compress_level=1)
    return Response(buf.getvalue(), media_type="image/png", headers={"cache-control": "no-store"})


@router.get(
    "/{name}/export",
    summary="Download the layers as a PSD or OpenRaster file",
    response_class=Response,
    responses={200: {"content": {MEDIA["psd"]: {}, MEDIA["ora"]: {}}}},
)
async def export_mockup(
    name: str,
    state: State,
    format: Annotated[Literal["psd", "ora"], Query(description="psd or ora.")] = "psd",
):
    """PSD for Clip Studio Paint and Photoshop, ORA for Krita, GIMP and MyPaint."""
    store.read(name)
    path = store.doc_path(name)

    def run(ctx) -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / f"{name}.{format}"
            export_file(path, out)
            return out.read_bytes()

    data = await run_job(state, "mockup_export", run, title=f"export {name}.{format}", wait=True)
    return Response(
        data,
        media_type=MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{name}.{format}"'},
    )


def _name_from(filename: str) -> str:
    from pixref.server._results import slug

    stem = Path(filename).stem.replace(".", "-")
    return slug(stem, "imported").replace(".", "-")[:64]


def _import(name: str, data: bytes, suffix: str, filename: str) -> MockupOut:
    """Import into a temporary folder beside the documents, then move it into place, so
    a failed import leaves nothing behind."""
    store.folder().mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=store.folder(), prefix=".import-") as tmp:
        upload = Path(tmp) / f"upload{suffix}"
        upload.write_bytes(data)
        staged = Path(tmp) / f"{name}{SUFFIX}"
        try:
            doc, warnings = import_file(upload, staged)
        except MockupError as exc:
            raise MockupError(str(exc).replace(str(upload), filename)) from None
        except Image.DecompressionBombError:
            raise UploadError(f"`file` {filename!r} holds a layer too large to open") from None
        store.check_files(name, document_from_dict(document_to_dict(doc)))
        if store.doc_path(name).exists():
            raise Conflict(f"mockup {name!r} already exists; give another `name`")
        files = store.files_dir(name)
        shutil.rmtree(files, ignore_errors=True)
        (Path(tmp) / files.name).rename(files)
        staged.rename(store.doc_path(name))
    return _out(name, doc)


def _layered_size(data: bytes, suffix: str, filename: str) -> tuple[int, int]:
    """The canvas size a PSD or ORA declares, read before anything is decoded."""
    if suffix == ".psd":
        if len(data) < 26 or data[:4] != b"8BPS":
            raise UploadError(f"`file` {filename!r} is not a PSD file")
        height = int.from_bytes(data[14:18], "big")
        width = int.from_bytes(data[18:22], "big")
        return width, height
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            head = z.read("stack.xml")[:4096].decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError):
        raise UploadError(f"`file` {filename!r} is not an OpenRaster file") from None
    w = re.search(r"<image[^>]*\sw=\"(\d+)\"", head)
    h = re.search(r"<image[^>]*\sh=\"(\d+)\"", head)
    if not (w and h):
        raise UploadError(f"`file` {filename!r}: stack.xml does not give the canvas size")
    return int(w.group(1)), int(h.group(1))
