"""``pixref mockup ...``: compose generations, photos and colours into one reference.

Thin commands over `pixref.mockup`: each reads the document, changes one thing,
validates and writes it back atomically. Longer than 400 lines because it is one
sub-app of ten commands with many options; the logic lives in `pixref.mockup`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from pixref.cli._console import console, err_console
from pixref.mockup import (
    Adjustments,
    Document,
    Levels,
    MaskItem,
    MaskOp,
    MaskShape,
    MockupError,
    Source,
    document_from_dict,
    document_to_dict,
    parse_blend_mode,
    reorder_layer,
    unique_layer_name,
)
from pixref.mockup._document import Group, check_color
from pixref.mockup.io import (
    export_file,
    import_file,
    read_document,
    write_document,
)
from pixref.mockup.io import render_to_png as render_file_to_png

Opt = typer.Option
mockup_app = typer.Typer(
    help="Mock up: layer generations and photos, mask, transform, adjust, render, "
    "and hand the layers to Krita/GIMP (.ora) or Clip Studio Paint (.psd).",
    no_args_is_help=True,
)

DocArg = Annotated[Path, typer.Argument(help="The mockup document (.pixmock.json).")]
LayerArg = Annotated[str, typer.Argument(help="Layer name, or its number from the bottom (1).")]


def _numbers(text: str | None, flag: str, counts: tuple[int, ...]) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        values = tuple(float(v) for v in text.replace(" ", "").split(","))
    except ValueError:
        raise typer.BadParameter(f"{flag} expects comma-separated numbers, got {text!r}") from None
    if len(values) not in counts and not (counts == (-1,) or (-2 in counts and len(values) >= 2)):
        want = " or ".join(str(c) for c in counts if c > 0) or "several"
        raise typer.BadParameter(f"{flag} expects {want} numbers, got {len(values)} in {text!r}")
    return values


def _pairs(values: tuple[float, ...], flag: str) -> tuple[tuple[float, float], ...]:
    if len(values) % 2:
        raise typer.BadParameter(f"{flag} expects x,y pairs, got an odd count ({len(values)})")
    return tuple(zip(values[0::2], values[1::2], strict=True))


def _save(doc: Document, path: Path) -> None:
    """Validate through the storage format (the same checks as loading) and write."""
    write_document(document_from_dict(document_to_dict(doc)), path)


def _blend(name: str | None):
    if name is None:
        return None
    try:
        return parse_blend_mode(name)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _source(text: str, doc_path: Path) -> tuple[Source, str]:
    """SOURCE → (Source, default layer name): ``color:#rrggbb``, an image file, or ``#12``."""
    if text.lower().startswith("color:"):
        return Source(color=check_color(text[6:], "SOURCE")), "color"
    path = Path(text).expanduser()
    if path.is_file():
        rel = os.path.relpath(path.resolve(), doc_path.resolve().parent)
        return Source(path=Path(rel).as_posix()), path.stem
    ref = text.strip().lstrip("#")
    if ref.isdigit():
        return Source(library=int(ref)), f"#{ref}"
    raise MockupError(
        f"SOURCE {text!r} is neither an image file, a library id like #12, nor color:#rrggbb"
    )


def new_command(
    output: Annotated[Path, Opt("-o", "--output", help="Document to create (.pixmock.json).")],
    size: Annotated[str, Opt("--size", help="Canvas WIDTHxHEIGHT in pixels.")] = "1024x1024",
    background: Annotated[str | None, Opt("--background", help="#rrggbb behind all.")] = None,
    resample: Annotated[str, Opt("--resample", help="nearest, bilinear or bicubic.")] = "bicubic",
    force: Annotated[bool, Opt("--force", help="Overwrite an existing document.")] = False,
) -> None:
    """Create an empty mockup document."""
    w, sep, h = size.lower().partition("x")
    if not (sep and w.isdigit() and h.isdigit()):
        raise typer.BadParameter(f"--size expects WIDTHxHEIGHT such as 1024x768, got {size!r}")
    if output.exists() and not force:
        raise MockupError(f"`{output}` already exists; pass --force to overwrite it")
    data: dict = {"width": int(w), "height": int(h), "resample": resample, "layers": []}
    if background is not None:
        data["background"] = background
    write_document(document_from_dict(data), output)
    console.print(str(output), markup=False)


def add_command(
    doc_path: DocArg,
    source: Annotated[str, typer.Argument(help="Image file, library id (#12) or color:#rrggbb.")],
    at: Annotated[str | None, Opt("--at", help="X,Y of the top-left corner (pixels).")] = None,
    scale: Annotated[str | None, Opt("--scale", help="S, or SX,SY.")] = None,
    rotate: Annotated[float, Opt("--rotate", help="Degrees clockwise about the centre.")] = 0.0,
    opacity: Annotated[float, Opt("--opacity", help="0-1.")] = 1.0,
    blend: Annotated[str, Opt("--blend", help="normal, multiply, screen, overlay, ...")] = "normal",
    name: Annotated[str | None, Opt("--name", help="Layer name [from the source].")] = None,
    size: Annotated[str | None, Opt("--size", help="WxH of a color: source [canvas].")] = None,
) -> None:
    """Add a layer on top of the stack."""
    doc = read_document(doc_path)
    src, default_name = _source(source, doc_path)
    if size is not None:
        wh = _numbers(size.lower().replace("x", ","), "--size", (2,))
        src = dataclasses.replace(src, size=(int(wh[0]), int(wh[1])))  # type: ignore[index]
    xy = _numbers(at, "--at", (2,)) or (0.0, 0.0)
    sc = _numbers(scale, "--scale", (1, 2)) or (1.0,)
    data = {
        "name": unique_layer_name(doc, name or default_name),
        "source": {k: (list(v) if isinstance(v, tuple) else v)
                   for k, v in dataclasses.asdict(src).items() if v is not None},
        "x": xy[0], "y": xy[1], "scale": list(sc) if len(sc) == 2 else sc[0], "rotate": rotate,
        "opacity": opacity, "blend": _blend(blend).value,  # type: ignore[union-attr]
    }  # fmt: skip
    full = document_to_dict(doc)
    full["layers"].append(data)
    write_document(document_from_dict(full), doc_path)
    console.print(escape(data["name"]))


def mask_command(
    doc_path: DocArg,
    layer: LayerArg,
    rect: Annotated[str | None, Opt("--rect", help="X0,Y0,X1,Y1 in source pixels.")] = None,
    ellipse: Annotated[str | None, Opt("--ellipse", help="X0,Y0,X1,Y1 bounding box.")] = None,
    polygon: Annotated[str | None, Opt("--polygon", help="Lasso: X,Y,X,Y,X,Y,...")] = None,
    stroke: Annotated[str | None, Opt("--stroke", help="Brush path: X,Y,X,Y,...")] = None,
    image: Annotated[Path | None, Opt("--image", help="Greyscale/alpha mask image.")] = None,
    width: Annotated[float, Opt("--width", help="Brush diameter for --stroke.")] = 16.0,
    feather: Annotated[float, Opt("--feather", help="Blur radius (sigma) in pixels.")] = 0.0,
    invert: Annotated[bool, Opt("--invert", help="Invert this item.")] = False,
    op: Annotated[str, Opt("--op", help="add, subtract or intersect.")] = "add",
    clear: Annotated[bool, Opt("--clear", help="Remove the layer's mask.")] = False,
) -> None:
    """Add a mask item to a layer (coordinates in the layer source's pixels)."""
    doc = read_document(doc_path)
    target = doc.find(layer)
    given = [x is not None for x in (rect, ellipse, polygon, stroke, image)]
    if clear:
        if any(given):
            raise typer.BadParameter("--clear takes no shape")
        _save(doc.replace_layer(target.name, dataclasses.replace(target, mask=())), doc_path)
        return
    if sum(given) != 1:
        raise typer.BadParameter(
            "give exactly one of --rect, --ellipse, --polygon, --stroke, --image"
        )
    try:
        mask_op = MaskOp(op)
    except ValueError:
        raise typer.BadParameter(f"--op must be add, subtract or intersect, got {op!r}") from None
    common = {"feather": feather, "invert": invert, "op": mask_op}
    if rect or ellipse:
        flag = "--rect" if rect else "--ellipse"
        values = _numbers(rect or ellipse, flag, (4,))
        shape = MaskShape.rect if rect else MaskShape.ellipse
        item = MaskItem(shape=shape, points=_pairs(values, flag), **common)  # type: ignore[arg-type]
    elif polygon:
        pts = _pairs(_numbers(polygon, "--polygon", (-2,)), "--polygon")  # type: ignore[arg-type]
        item = MaskItem(shape=MaskShape.polygon, points=pts, **common)
    elif stroke:
        pts = _pairs(_numbers(stroke, "--stroke", (-2,)), "--stroke")  # type: ignore[arg-type]
        item = MaskItem(shape=MaskShape.stroke, points=pts, width=width, **common)
    else:
        assert image is not None
        if not image.is_file():
            raise MockupError(f"mask image `{image}` does not exist")
        rel = Path(os.path.relpath(image.resolve(), doc_path.resolve().parent)).as_posix()
        item = MaskItem(shape=MaskShape.image, image=rel, **common)
    new = dataclasses.replace(target, mask=target.mask + (item,))
    _save(doc.replace_layer(target.name, new), doc_path)


def adjust_command(
    doc_path: DocArg,
    layer: LayerArg,
    brightness: Annotated[float | None, Opt("--brightness", help="-1 to 1.")] = None,
    contrast: Annotated[float | None, Opt("--contrast", help="-1 to 1.")] = None,
    levels: Annotated[
        str | None, Opt("--levels", help="IN_LO,IN_HI[,GAMMA[,OUT_LO,OUT_HI]], 0-1.")
    ] = None,
    hue: Annotated[float | None, Opt("--hue", help="Degrees, -180 to 180.")] = None,
    saturation: Annotated[float | None, Opt("--saturation", help="-1 to 1.")] = None,
    lightness: Annotated[float | None, Opt("--lightness", help="-1 to 1.")] = None,
    balance: Annotated[str | None, Opt("--balance", help="R,G,B shifts, -1 to 1.")] = None,
    opacity: Annotated[float | None, Opt("--opacity", help="0-1.")] = None,
    blend: Annotated[str | None, Opt("--blend", help="Blend mode.")] = None,
    visible: Annotated[bool | None, Opt("--show/--hide", help="Layer visibility.")] = None,
    reset: Annotated[bool, Opt("--reset", help="Drop all colour adjustments first.")] = False,
) -> None:
    """Set a layer's colour/value adjustments, opacity, blend mode or visibility."""
    doc = read_document(doc_path)
    target = doc.find(layer)
    adj = Adjustments() if reset else target.adjust
    changes: dict = {}
    for key, value in (("brightness", brightness), ("contrast", contrast), ("hue", hue),
                       ("saturation", saturation), ("lightness", lightness)):  # fmt: skip
        if value is not None:
            changes[key] = value
    if levels is not None:
        v = _numbers(levels, "--levels", (2, 3, 5))
        assert v is not None
        changes["levels"] = Levels(
            in_low=v[0], in_high=v[1], gamma=v[2] if len(v) > 2 else 1.0,
            out_low=v[3] if len(v) > 3 else 0.0, out_high=v[4] if len(v) > 3 else 1.0,
        )  # fmt: skip
    if balance is not None:
        changes["color_balance"] = _numbers(balance, "--balance", (3,))
    new = dataclasses.replace(target, adjust=dataclasses.replace(adj, **changes))
    layer_changes: dict = {}
    if opacity is not None:
        layer_changes["opacity"] = opacity
    if blend is not None:
        layer_changes["blend"] = _blend(blend)
    if visible is not None:
        layer_changes["visible"] = visible
    _save(doc.replace_layer(target.name, dataclasses.replace(new, **layer_changes)), doc_path)


def move_command(
    doc_path: DocArg,
    layer: LayerArg,
    at: Annotated[str | None, Opt("--at", help="X,Y of the top-left corner.")] = None,
    by: Annotated[str | None, Opt("--by", help="DX,DY to shift by.")] = None,
    scale: Annotated[str | None, Opt("--scale", help="S, or SX,SY.")] = None,
    rotate: Annotated[float | None, Opt("--rotate", help="Degrees clockwise.")] = None,
    flip_x: Annotated[bool, Opt("--flip-x", help="Toggle a left-right mirror.")] = False,
    flip_y: Annotated[bool, Opt("--flip-y", help="Toggle a top-bottom mirror.")] = False,
    perspective: Annotated[
        str | None, Opt("--perspective", help="X,Y x4: where TL, TR, BR, BL corners go.")
    ] = None,
    no_perspective: Annotated[bool, Opt("--no-perspective", help="Drop the warp.")] = False,
) -> None:
    """Move, scale, rotate, flip or perspective-warp a layer."""
    doc = read_document(doc_path)
    target = doc.find(layer)
    t = target.transform
    changes: dict = {}
    if at is not None:
        changes["x"], changes["y"] = _numbers(at, "--at", (2,))  # type: ignore[misc]
    if by is not None:
        dx, dy = _numbers(by, "--by", (2,))  # type: ignore[misc]
        changes["x"], changes["y"] = changes.get("x", t.x) + dx, changes.get("y", t.y) + dy
    if scale is not None:
        s = _numbers(scale, "--scale", (1, 2))
        changes["scale"] = (s[0], s[-1])  # type: ignore[index]
    if rotate is not None:
        changes["rotate"] = rotate
    if flip_x:
        changes["flip_x"] = not t.flip_x
    if flip_y:
        changes["flip_y"] = not t.flip_y
    if perspective is not None:
        changes["perspective"] = _pairs(
            _numbers(perspective, "--perspective", (8,)), "--perspective"
        )  # type: ignore[arg-type]  # noqa: E501
    if no_perspective:
        changes["perspective"] = None
    new = dataclasses.replace(target, transform=dataclasses.replace(t, **changes))
    _save(doc.replace_layer(target.name, new), doc_path)


def order_command(
    doc_path: DocArg,
    layer: LayerArg,
    to: Annotated[str, Opt("--to", help="top, bottom, up, down, or a position (1 = bottom).")],
) -> None:
    """Restack a layer within its group."""
    doc = read_document(doc_path)
    target = doc.find(layer)
    _save(reorder_layer(doc, target.name, to), doc_path)


def render_command(
    doc_path: DocArg,
    output: Annotated[Path, Opt("-o", "--output", help="Flattened PNG to write.")],
    log: Annotated[bool, Opt("--log/--no-log", help="Record the render in the library.")] = True,
) -> None:
    """Render the mockup to a flattened PNG (recorded in the library as a mockup)."""
    render_to_png(doc_path, output, log=log)
    console.print(str(output), markup=False)


def render_to_png(doc_path: Path, output: Path, *, log: bool = True) -> int | None:
    """Render ``doc_path`` to ``output`` and log it (see `pixref.mockup.io.render_to_png`);
    the entry id, or None when not logged."""
    rendered = render_file_to_png(doc_path, output, log=log)
    for warning in rendered.warnings:
        err_console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    if rendered.entry_id is not None:
        err_console.print(f"logged as #{rendered.entry_id}")
    return rendered.entry_id


def export_command(
    doc_path: DocArg,
    output: Annotated[Path, typer.Argument(help="fairy.psd (Clip Studio Paint) or fairy.ora.")],
) -> None:
    """Export the layers to a layered PSD or OpenRaster file."""
    export_file(doc_path, output)
    console.print(str(output), markup=False)


def import_command(
    source: Annotated[Path, typer.Argument(help="A .psd or .ora edited elsewhere.")],
    output: Annotated[Path, Opt("-o", "--output", help="Document to write (.pixmock.json).")],
    force: Annotated[bool, Opt("--force", help="Overwrite an existing document.")] = False,
) -> None:
    """Bring a layered PSD/ORA back as a mockup (one PNG per layer beside the document)."""
    if output.exists() and not force:
        raise MockupError(f"`{output}` already exists; pass --force to overwrite it")
    _, warnings = import_file(source, output)
    for warning in warnings:
        err_console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    console.print(str(output), markup=False)


def show_command(
    doc_path: DocArg,
    as_json: Annotated[bool, Opt("--json", help="Print the document JSON.")] = False,
) -> None:
    """List the layers, top first, as a layers panel does."""
    doc = read_document(doc_path)
    if as_json:
        console.print(json.dumps(document_to_dict(doc), indent=2), markup=False)
        return
    bg = f", background {doc.background}" if doc.background else ""
    console.print(f"{doc.width}x{doc.height}{bg}, {doc.resample.value} resampling", markup=False)
    layers = list(doc.walk())

    def lines(items, depth):
        for item in reversed(items):
            pad = "  " * depth
            flags = "" if item.visible else " (hidden)"
            if isinstance(item, Group):
                console.print(f"{pad}{escape('[group]')} {escape(item.name)}  {item.blend.value} "
                              f"{item.opacity:g}{flags}")  # fmt: skip
                lines(item.layers, depth + 1)
                continue
            t = item.transform
            where = "perspective" if t.perspective else f"at {t.x:g},{t.y:g}"
            extra = [where]
            if t.scale != (1.0, 1.0):
                extra.append(
                    f"scale {t.scale[0]:g}"
                    + (f",{t.scale[1]:g}" if t.scale[0] != t.scale[1] else "")
                )
            if t.rotate:
                extra.append(f"rotate {t.rotate:g}")
            if item.mask:
                extra.append(f"mask {len(item.mask)}")
            if not item.adjust.is_identity:
                extra.append("adjusted")
            number = layers.index(item) + 1
            console.print(
                f"{pad}{number:>3} {escape(item.name)}  {escape(item.source.describe())}  "
                f"{item.blend.value} {item.opacity:g}  {', '.join(extra)}{flags}"
            )

    lines(doc.layers, 0)


def register(app: typer.Typer) -> None:
    for name, fn in (
        ("new", new_command),
        ("add", add_command),
        ("mask", mask_command),
        ("adjust", adjust_command),
        ("move", move_command),
        ("order", order_command),
        ("render", render_command),
        ("export", export_command),
        ("import", import_command),
        ("show", show_command),
    ):
        mockup_app.command(name)(fn)
    app.add_typer(mockup_app, name="mockup")
