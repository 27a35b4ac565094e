"""``alwayson_scripts``: ControlNet units and the Refiner, as A1111 clients send them.

ControlNet units follow the sd-webui-controlnet extension's API (unit dicts in
``alwayson_scripts["ControlNet"]["args"]``, as webuiapi's ``ControlNetUnit.to_dict``
writes them). pixref runs the ControlNet models but not the preprocessors
(annotators), so a unit must bring its control image ready-made (module "none").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pixref.params import ControlNetUnit, PixrefError
from pixref.server._sdapi_images import Upload, decode_image
from pixref.server._sdapi_schemas import GenerationRequest

#: The extension's control modes, by the index webuiapi sends (0, 1, 2).
CONTROL_MODES = ("Balanced", "My prompt is more important", "ControlNet is more important")
#: The extension's resize modes, by index; older labels map onto them.
RESIZE_MODES = ("Just Resize", "Crop and Resize", "Resize and Fill")
_RESIZE_ALIASES = {
    "inner fit (scale to fit)": "Crop and Resize",
    "outer fit (shrink to fit)": "Resize and Fill",
    "envelope (outer fit)": "Resize and Fill",
}
#: Script names `GET /sdapi/v1/scripts` lists. "controlnet m2m" is the extension's
#: selectable script: webuiapi looks for it to decide that ControlNet is installed.
SCRIPTS = ["refiner", "controlnet", "controlnet m2m"]


class ScriptError(PixrefError):
    """An ``alwayson_scripts`` entry pixref cannot run."""


@dataclass(frozen=True)
class ControlUnitRequest:
    """One enabled unit: ControlNet model name, control image (None: the init image)."""

    model: str
    upload: Upload | None
    unit: ControlNetUnit


def apply_scripts(req: GenerationRequest, max_pixels: int) -> list[ControlUnitRequest]:
    """Read ``req.alwayson_scripts``: returns the ControlNet units; the Refiner script's
    arguments fill ``refiner_checkpoint``/``refiner_switch_at`` when the request has none."""
    units: list[ControlUnitRequest] = []
    for name, entry in (req.alwayson_scripts or {}).items():
        args = entry.get("args", []) if isinstance(entry, dict) else None
        if not isinstance(args, list):
            raise ScriptError(f"`alwayson_scripts.{name}` must be an object with an `args` list")
        key = name.strip().lower()
        if key == "controlnet":
            units += [
                unit
                for i, arg in enumerate(args)
                if (unit := _control_unit(f"alwayson_scripts.{name}.args[{i}]", arg, max_pixels))
            ]
        elif key == "refiner":
            _refiner(req, args)
        else:
            raise ScriptError(
                f"always on script {name!r} not found: pixref runs ControlNet and Refiner"
            )
    return units


def _refiner(req: GenerationRequest, args: list[Any]) -> None:
    # A1111's Refiner script: [enabled, checkpoint, switch_at].
    if len(args) >= 3 and args[0] and req.refiner_checkpoint in (None, "", "None"):
        req.refiner_checkpoint, req.refiner_switch_at = args[1], args[2]


def _control_unit(where: str, arg: Any, max_pixels: int) -> ControlUnitRequest | None:
    if not isinstance(arg, dict):
        raise ScriptError(f"`{where}` must be a ControlNet unit object")
    model = arg.get("model") or "None"
    if not arg.get("enabled", True) or model == "None":
        return None  # the extension skips disabled units and units without a model
    module = str(arg.get("module") or "none")
    if module.lower() != "none":
        raise ScriptError(
            f"`{where}.module` {module!r}: preprocessors need their annotator weights, which "
            'pixref cannot run yet; send the control image ready-made with module "none" '
            "(a pose from `pixref pose render`, an edge map, a depth map)"
        )
    image = arg.get("image", arg.get("input_image"))
    if isinstance(image, dict):  # newer extension versions: {"image": ..., "mask": ...}
        image = image.get("image")
    upload = decode_image(image, f"{where}.image", max_pixels) if image else None
    unit = ControlNetUnit(
        module="none",
        model=str(model),
        weight=_number(where, arg, "weight", 1.0),
        resize_mode=_resize_mode(where, arg.get("resize_mode", "Crop and Resize")),
        processor_res=_number(where, arg, "processor_res", 512),
        threshold_a=_number(where, arg, "threshold_a", 0.5),
        threshold_b=_number(where, arg, "threshold_b", 0.5),
        guidance_start=_number(where, arg, "guidance_start", 0.0),
        guidance_end=_number(where, arg, "guidance_end", 1.0),
        pixel_perfect=bool(arg.get("pixel_perfect", False)),
        control_mode=_control_mode(where, arg.get("control_mode", 0)),
    )
    return ControlUnitRequest(str(model), upload, unit)


def _number(where: str, arg: dict, key: str, default: float) -> float:
    value = arg.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScriptError(f"`{where}.{key}` must be a number, got {value!r}")
    return value


def _control_mode(where: str, value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 3:
        return CONTROL_MODES[value]
    for label in CONTROL_MODES:
        if str(value).strip().lower() == label.lower():
            return label
    raise ScriptError(
        f"`{where}.control_mode` must be 0, 1, 2 or one of {', '.join(CONTROL_MODES)}, "
        f"got {value!r}"
    )


def _resize_mode(where: str, value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 3:
        return RESIZE_MODES[value]
    text = str(value).strip().lower()
    for label in RESIZE_MODES:
        if text == label.lower():
            return label
    if text in _RESIZE_ALIASES:
        return _RESIZE_ALIASES[text]
    raise ScriptError(
        f"`{where}.resize_mode` must be 0, 1, 2 or one of {', '.join(RESIZE_MODES)}, got {value!r}"
    )
