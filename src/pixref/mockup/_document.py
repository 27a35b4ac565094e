"""The mockup document: a canvas and a stack of layers and groups, as plain frozen values.

Stored as readable JSON (``.pixmock.json``)::

    {"format": "pixref-mockup", "version": 1, "width": 1024, "height": 1024,
     "layers": [                                   # bottom to top (paint order)
       {"name": "sky", "source": {"color": "#8fb8de"}},
       {"name": "fairy", "source": {"library": 12}, "x": 100, "y": 40, "scale": 0.5,
        "blend": "normal", "opacity": 0.9,
        "adjust": {"brightness": 0.1, "hue": -10},
        "mask": [{"shape": "ellipse", "points": [[0, 0], [512, 700]], "feather": 8}]},
       {"group": "leaves", "layers": [...], "blend": "multiply"}]}

`document_from_dict` validates everything and names the layer in each one-line error.
Longer than 400 lines because that validating reader (every key, its type, its range,
and where it is) is most of the module; splitting it from the types it builds would
only scatter one format over two files.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from pixref.mockup._adjust import Adjustments, Levels
from pixref.mockup._blend import BlendMode, parse_blend_mode
from pixref.mockup._errors import MockupError
from pixref.mockup._mask import MaskItem, MaskOp, MaskShape
from pixref.mockup._transform import Resample, Transform

FORMAT = "pixref-mockup"
VERSION = 1
MAX_SIDE = 30000  # PSD's limit; also keeps a typo from allocating terabytes


@dataclass(frozen=True, kw_only=True)
class Source:
    """Where a layer's pixels come from: exactly one of ``path``, ``library`` or ``color``.

    ``path`` is relative to the document's folder (or absolute); ``library`` is a
    library entry id; ``color`` is ``#rrggbb`` or ``#rrggbbaa`` filling ``size``
    (default: the canvas).
    """

    path: str | None = None
    library: int | None = None
    color: str | None = None
    size: tuple[int, int] | None = None

    @property
    def key(self) -> str:
        if self.path is not None:
            return f"path:{self.path}"
        if self.library is not None:
            return f"library:{self.library}"
        return f"color:{self.color}"

    def describe(self) -> str:
        if self.path is not None:
            return self.path
        if self.library is not None:
            return f"#{self.library}"
        return str(self.color)


@dataclass(frozen=True, kw_only=True)
class Layer:
    """One layer: a source placed by ``transform``, adjusted, masked and blended."""

    name: str
    source: Source
    transform: Transform = Transform()
    opacity: float = 1.0
    visible: bool = True
    blend: BlendMode = BlendMode.normal
    adjust: Adjustments = Adjustments()
    mask: tuple[MaskItem, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Group:
    """Layers composited on their own (isolated), then blended as one."""

    name: str
    layers: tuple[Layer | Group, ...] = ()
    opacity: float = 1.0
    visible: bool = True
    blend: BlendMode = BlendMode.normal


@dataclass(frozen=True, kw_only=True)
class Document:
    """A mockup: canvas size, optional background colour and the layer stack, bottom first."""

    width: int
    height: int
    layers: tuple[Layer | Group, ...] = ()
    background: str | None = None
    resample: Resample = Resample.bicubic
    version: int = field(default=VERSION)

    def walk(self):
        """Every `Layer`, bottom to top, groups flattened."""
        yield from _walk(self.layers)

    def find(self, ref: str) -> Layer:
        """A layer by name, or by 1-based position from the bottom (``"3"``)."""
        layers = list(self.walk())
        for layer in layers:
            if layer.name == ref:
                return layer
        if ref.isdigit() and 1 <= int(ref) <= len(layers):
            return layers[int(ref) - 1]
        names = ", ".join(repr(x.name) for x in layers) or "none"
        raise MockupError(f"no layer {ref!r} in the mockup; layers: {names}")

    def replace_layer(self, name: str, new: Layer | None) -> Document:
        """A copy with layer ``name`` replaced by ``new`` (removed when None)."""
        return dataclasses.replace(self, layers=_replace(self.layers, name, new))


def _walk(items):
    for item in items:
        if isinstance(item, Group):
            yield from _walk(item.layers)
        else:
            yield item


def _replace(items, name, new):
    out = []
    for item in items:
        if isinstance(item, Group):
            out.append(dataclasses.replace(item, layers=_replace(item.layers, name, new)))
        elif item.name == name:
            if new is not None:
                out.append(new)
        else:
            out.append(item)
    return tuple(out)


# ------------------------------------------------------------------ to_dict


def _omit_defaults(obj, default) -> dict[str, Any]:
    out = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if value != getattr(default, f.name):
            out[f.name] = value
    return out


def _mask_to_dict(item: MaskItem) -> dict[str, Any]:
    d: dict[str, Any] = {"shape": item.shape.value}
    if item.points:
        d["points"] = [list(p) for p in item.points]
    if item.shape is MaskShape.stroke:
        d["width"] = item.width
    if item.image is not None:
        d["image"] = item.image
    if item.feather:
        d["feather"] = item.feather
    if item.invert:
        d["invert"] = True
    if item.op is not MaskOp.add:
        d["op"] = item.op.value
    return d


def _layer_to_dict(item: Layer | Group) -> dict[str, Any]:
    if isinstance(item, Group):
        d: dict[str, Any] = {"group": item.name, "layers": [_layer_to_dict(x) for x in item.layers]}
        rest = _omit_defaults(item, Group(name=item.name))
        rest.pop("layers", None)
    else:
        src = {k: v for k, v in dataclasses.asdict(item.source).items() if v is not None}
        if "size" in src:
            src["size"] = list(src["size"])
        d = {"name": item.name, "source": src}
        t = _omit_defaults(item.transform, Transform())
        if "scale" in t:
            sx, sy = t["scale"]
            t["scale"] = sx if sx == sy else [sx, sy]
        if "perspective" in t:
            t["perspective"] = [list(p) for p in t["perspective"]]
        d.update(t)
        rest = _omit_defaults(item, Layer(name=item.name, source=item.source))
        for key in ("name", "source", "transform"):
            rest.pop(key, None)
        if "adjust" in rest:
            adj = _omit_defaults(item.adjust, Adjustments())
            if "levels" in adj:
                adj["levels"] = dataclasses.asdict(adj["levels"])
            if "color_balance" in adj:
                adj["color_balance"] = list(adj["color_balance"])
            rest["adjust"] = adj
        if "mask" in rest:
            rest["mask"] = [_mask_to_dict(m) for m in item.mask]
    if "blend" in rest:
        rest["blend"] = rest["blend"].value
    d.update(rest)
    return d


def document_to_dict(doc: Document) -> dict[str, Any]:
    """The JSON-ready view of ``doc``: defaults omitted, enums by name, layers bottom first."""
    d: dict[str, Any] = {"format": FORMAT, "version": VERSION, "width": doc.width}
    d["height"] = doc.height
    if doc.background is not None:
        d["background"] = doc.background
    if doc.resample is not Resample.bicubic:
        d["resample"] = doc.resample.value
    d["layers"] = [_layer_to_dict(x) for x in doc.layers]
    return d


# ------------------------------------------------------------------ from_dict


class _Checker:
    """Reads one JSON object, naming where it is (``layer 'arm'``) in every error."""

    def __init__(self, data: Any, where: str):
        if not isinstance(data, dict):
            raise MockupError(f"{where}: expected a JSON object, got {_short(data)}")
        self.data = dict(data)
        self.where = where

    def fail(self, message: str):
        raise MockupError(f"{self.where}: {message}")

    def get(self, key, kind, default, *, lo=None, hi=None):
        if key not in self.data:
            return default
        value = self.data.pop(key)
        if kind is bool:
            ok = isinstance(value, bool)
        else:
            ok = isinstance(value, kind) and not isinstance(value, bool)
        if not ok:
            self.fail(f"`{key}` must be {_kind_name(kind)}, got {_short(value)}")
        if lo is not None and value < lo or hi is not None and value > hi:
            self.fail(f"`{key}` must be between {lo} and {hi}, got {value}")
        return value

    def points(self, key, *, count=None, minimum=1):
        value = self.data.pop(key, None)
        if value is None:
            return None
        if not isinstance(value, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(_is_num(c) for c in p) for p in value
        ):
            self.fail(f"`{key}` must be a list of [x, y] pairs, got {_short(value)}")
        if count is not None and len(value) != count:
            self.fail(f"`{key}` needs exactly {count} [x, y] points, got {len(value)}")
        if len(value) < minimum:
            self.fail(f"`{key}` needs at least {minimum} [x, y] points, got {len(value)}")
        return tuple((float(x), float(y)) for x, y in value)

    def done(self):
        if self.data:
            self.fail(f"unknown key(s) {', '.join(map(repr, sorted(self.data)))}")


def _is_num(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _kind_name(kind) -> str:
    names = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}
    names[(int, float)] = "a number"
    names[list] = "a list"
    names[dict] = "an object"
    return names.get(kind, str(kind))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


NUM = (int, float)


def check_color(text: str, where: str) -> str:
    """``#rgb``, ``#rrggbb`` or ``#rrggbbaa``; MockupError naming ``where`` otherwise."""
    t = text.strip().lower()
    ok = t.startswith("#") and len(t) in (4, 7, 9)
    if ok:
        try:
            int(t[1:], 16)
        except ValueError:
            ok = False
    if not ok:
        raise MockupError(f"{where}: colour must be #rrggbb or #rrggbbaa, got {text!r}")
    return t


def color_rgba(text: str) -> tuple[int, int, int, int]:
    """``#rrggbb[aa]`` (or ``#rgb``) → (r, g, b, a), each 0–255."""
    t = text.lstrip("#")
    if len(t) == 3:
        t = "".join(c * 2 for c in t)
    if len(t) == 6:
        t += "ff"
    return tuple(int(t[i : i + 2], 16) for i in (0, 2, 4, 6))  # type: ignore[return-value]


def _source(data: Any, where: str) -> Source:
    c = _Checker(data, f"{where} source")
    path = c.get("path", str, None)
    library = c.get("library", int, None)
    color = c.get("color", str, None)
    size = c.data.pop("size", None)
    c.done()
    if sum(v is not None for v in (path, library, color)) != 1:
        c.fail("give exactly one of `path`, `library` or `color`")
    if color is not None:
        color = check_color(color, f"{where} source")
    if size is not None:
        if not (isinstance(size, list) and len(size) == 2 and all(isinstance(v, int) for v in size)
                and all(1 <= v <= MAX_SIDE for v in size)):  # fmt: skip
            c.fail(f"`size` must be [width, height] in pixels, got {_short(size)}")
        size = (size[0], size[1])
        if color is None:
            c.fail("`size` applies to colour sources only (an image has its own size)")
    return Source(path=path, library=library, color=color, size=size)


def _mask_item(data: Any, where: str) -> MaskItem:
    c = _Checker(data, f"{where} mask")
    shape_name = c.get("shape", str, None)
    try:
        shape = MaskShape(shape_name)
    except ValueError:
        shapes = ", ".join(s.value for s in MaskShape)
        c.fail(f"`shape` must be one of {shapes}, got {shape_name!r}")
    op_name = c.get("op", str, "add")
    try:
        op = MaskOp(op_name)
    except ValueError:
        c.fail(f"`op` must be one of {', '.join(o.value for o in MaskOp)}, got {op_name!r}")
    if shape in (MaskShape.rect, MaskShape.ellipse):
        points = c.points("points", count=2)
    elif shape is MaskShape.polygon:
        points = c.points("points", minimum=3)
    elif shape is MaskShape.stroke:
        points = c.points("points", minimum=1)
    else:
        points = ()
    if shape is not MaskShape.image and points is None:
        c.fail(f"a {shape.value} mask needs `points`")
    image = c.get("image", str, None)
    if shape is MaskShape.image and image is None:
        c.fail("an image mask needs `image` (a path)")
    item = MaskItem(
        shape=shape,
        points=points or (),
        width=float(c.get("width", NUM, 16.0, lo=0.5, hi=MAX_SIDE)),
        image=image,
        feather=float(c.get("feather", NUM, 0.0, lo=0, hi=1000)),
        invert=c.get("invert", bool, False),
        op=op,
    )
    c.done()
    return item


def _adjust(data: Any, where: str) -> Adjustments:
    c = _Checker(data, f"{where} adjust")
    levels = None
    if "levels" in c.data:
        lc = _Checker(c.data.pop("levels"), f"{where} levels")
        levels = Levels(
            in_low=float(lc.get("in_low", NUM, 0.0, lo=0, hi=1)),
            in_high=float(lc.get("in_high", NUM, 1.0, lo=0, hi=1)),
            gamma=float(lc.get("gamma", NUM, 1.0, lo=0.01, hi=10)),
            out_low=float(lc.get("out_low", NUM, 0.0, lo=0, hi=1)),
            out_high=float(lc.get("out_high", NUM, 1.0, lo=0, hi=1)),
        )
        lc.done()
        if levels.in_high <= levels.in_low:
            lc.fail(f"`in_high` must be above `in_low`, got {levels.in_high} ≤ {levels.in_low}")
    balance = c.data.pop("color_balance", [0.0, 0.0, 0.0])
    if not (isinstance(balance, list) and len(balance) == 3 and all(_is_num(v) and -1 <= v <= 1
                                                                    for v in balance)):  # fmt: skip
        c.fail(f"`color_balance` must be [r, g, b], each -1 to 1, got {_short(balance)}")
    adj = Adjustments(
        levels=levels,
        brightness=float(c.get("brightness", NUM, 0.0, lo=-1, hi=1)),
        contrast=float(c.get("contrast", NUM, 0.0, lo=-1, hi=1)),
        hue=float(c.get("hue", NUM, 0.0, lo=-180, hi=180)),
        saturation=float(c.get("saturation", NUM, 0.0, lo=-1, hi=1)),
        lightness=float(c.get("lightness", NUM, 0.0, lo=-1, hi=1)),
        color_balance=tuple(float(v) for v in balance),  # type: ignore[arg-type]
    )
    c.done()
    return adj


def _blend(c: _Checker) -> BlendMode:
    name = c.get("blend", str, "normal")
    try:
        return parse_blend_mode(name)
    except ValueError as exc:
        c.fail(f"`blend`: {exc}")
        raise  # unreachable; fail raises


def _item(data: Any, index: int, names: set[str]) -> Layer | Group:
    if isinstance(data, dict) and "group" in data:
        name = data.get("group")
        where = f"group {name!r}"
        c = _Checker(data, where)
        c.data.pop("group")
        if not isinstance(name, str) or not name:
            c.fail("`group` must be a non-empty name")
        children = c.data.pop("layers", [])
        if not isinstance(children, list):
            c.fail("`layers` must be a list")
        group = Group(
            name=name,
            layers=tuple(_item(x, i, names) for i, x in enumerate(children)),
            opacity=float(c.get("opacity", NUM, 1.0, lo=0, hi=1)),
            visible=c.get("visible", bool, True),
            blend=_blend(c),
        )
        c.done()
        return group
    name = data.get("name") if isinstance(data, dict) else None
    where = f"layer {name!r}" if isinstance(name, str) and name else f"layer {index + 1}"
    c = _Checker(data, where)
    c.data.pop("name", None)
    if not isinstance(name, str) or not name.strip():
        c.fail("every layer needs a non-empty `name`")
    if name in names:
        c.fail("layer names must be unique; rename one of them")
    names.add(name)
    if "source" not in c.data:
        c.fail("missing `source` (a `path`, `library` id or `color`)")
    source = _source(c.data.pop("source"), where)
    scale = c.data.pop("scale", 1.0)
    if _is_num(scale):
        scale = (float(scale), float(scale))
    elif isinstance(scale, list) and len(scale) == 2 and all(_is_num(v) for v in scale):
        scale = (float(scale[0]), float(scale[1]))
    else:
        c.fail(f"`scale` must be a number or [sx, sy], got {_short(scale)}")
    if not all(0 < v <= 100 for v in scale):
        c.fail(f"`scale` must be above 0 and at most 100, got {scale}")
    perspective = c.points("perspective", count=4)
    transform = Transform(
        x=float(c.get("x", NUM, 0.0)),
        y=float(c.get("y", NUM, 0.0)),
        scale=scale,
        rotate=float(c.get("rotate", NUM, 0.0)),
        flip_x=c.get("flip_x", bool, False),
        flip_y=c.get("flip_y", bool, False),
        perspective=perspective,
    )
    masks = c.data.pop("mask", [])
    if not isinstance(masks, list):
        c.fail("`mask` must be a list of mask items")
    layer = Layer(
        name=name,
        source=source,
        transform=transform,
        opacity=float(c.get("opacity", NUM, 1.0, lo=0, hi=1)),
        visible=c.get("visible", bool, True),
        blend=_blend(c),
        adjust=_adjust(c.data.pop("adjust", {}), where),
        mask=tuple(_mask_item(m, where) for m in masks),
    )
    c.done()
    return layer


def document_from_dict(data: Any) -> Document:
    """Validate and build a `Document`; MockupError with a one-line reason otherwise."""
    c = _Checker(data, "mockup")
    fmt = c.get("format", str, FORMAT)
    if fmt != FORMAT:
        c.fail(f"`format` must be {FORMAT!r}, got {fmt!r}; is this a pixref mockup?")
    version = c.get("version", int, VERSION)
    if version > VERSION:
        c.fail(f"document version {version} is newer than this pixref ({VERSION}); upgrade pixref")
    if version < 1:
        c.fail(f"`version` must be at least 1, got {version}")
    width = c.get("width", int, None, lo=1, hi=MAX_SIDE)
    height = c.get("height", int, None, lo=1, hi=MAX_SIDE)
    if width is None or height is None:
        c.fail("`width` and `height` (canvas pixels) are required")
    background = c.get("background", str, None)
    if background is not None:
        background = check_color(background, "mockup `background`")
    resample_name = c.get("resample", str, "bicubic")
    try:
        resample = Resample(resample_name)
    except ValueError:
        c.fail(f"`resample` must be one of {', '.join(r.value for r in Resample)}, "
               f"got {resample_name!r}")  # fmt: skip
    layers = c.data.pop("layers", [])
    if not isinstance(layers, list):
        c.fail("`layers` must be a list")
    names: set[str] = set()
    items = tuple(_item(x, i, names) for i, x in enumerate(layers))
    c.done()
    return Document(
        width=width, height=height, layers=items, background=background, resample=resample
    )
