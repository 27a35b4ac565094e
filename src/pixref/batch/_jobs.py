"""Reading a jobs file: one generation request per line, every line checked up front."""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pixref.params import GenerationParams, Inpaint, PixrefError


class BatchError(PixrefError):
    """A jobs file that cannot be run as it is (the message names the line)."""


class BatchInterrupted(BatchError):
    """A batch stopped before its end; ``result`` holds what was finished."""

    def __init__(self, message: str, result: Any) -> None:
        super().__init__(message)
        self.result = result


#: Keys a line's object may carry beside the parameter fields: images, relative to the file.
IMAGE_KEYS = ("init_image", "mask")
_FIELDS = {f.name for f in dataclasses.fields(GenerationParams)}
_INT = {"steps", "seed", "width", "height", "batch_size", "batch_count", "clip_skip", "ensd"}
_OPT_INT = {"variation_seed"}
_NUM = {"cfg_scale"}
_OPT_NUM = {"variation_strength", "denoising_strength", "refiner_switch_at", "eta"}
_STR = {"prompt", "negative_prompt", "sampler", "rng"}
_OPT_STR = {"schedule_type", "model", "model_hash", "vae", "vae_hash", "refiner", "version"}


@dataclass(frozen=True)
class Job:
    """One line of a jobs file, checked: what to generate and from which images.

    ``key`` identifies the request across runs (its parameters and images, and how
    many identical lines came before it), so ``--resume`` survives edits elsewhere
    in the file.
    """

    line: int
    params: GenerationParams
    kind: str = "txt2img"
    init_image: Path | None = None
    mask: Path | None = None
    key: str = ""

    @property
    def images(self) -> int:
        return self.params.batch_size * self.params.batch_count


def read_jobs(
    path: str | os.PathLike[str],
    *,
    model: str | None = None,
    models_dir: str | os.PathLike[str] | None = None,
    check: Callable[[GenerationParams], None] | None = None,
) -> tuple[list[Job], list[str]]:
    """Every job of the jobs file at ``path``, and warnings; nothing is generated.

    Each non-blank line (``#`` starts a comment line) is a JSON object, a parameter
    record as `GenerationParams.to_dict` writes it with optional ``init_image`` and
    ``mask`` paths (relative to the file), or a JSON string holding an A1111 infotext.
    A line without a model takes ``model``. Every checkpoint, VAE and refiner must be
    found in ``models_dir``; ``check(params)`` may raise a `PixrefError` for more
    checks (the engine's sampler table).

    Raises
    ------
    BatchError
        ``"<path> line N: <what is wrong and what to do>"`` for the first bad line.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BatchError(f"`{path}` does not exist") from None
    except UnicodeDecodeError:
        raise BatchError(f"`{path}` is not UTF-8 text (JSON lines expected)") from None
    except OSError as exc:
        raise BatchError(f"cannot read `{path}`: {exc.strerror or exc}") from None
    jobs: list[Job] = []
    dropped: list[int] = []
    seen: dict[str, int] = {}
    found: dict[tuple[str, str], None] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        try:
            job, had_controls = _job(raw, number, path.parent, model)
            _check_models(job.params, models_dir, found)
            if check is not None:
                check(job.params)
        except PixrefError as exc:
            raise BatchError(f"{path} line {number}: {exc}") from None
        if had_controls:
            dropped.append(number)
        digest = _digest(job)
        seen[digest] = seen.get(digest, 0) + 1
        jobs.append(dataclasses.replace(job, key=f"{digest}-{seen[digest]}"))
    if not jobs:
        raise BatchError(f"`{path}` holds no jobs: write one JSON object or infotext per line")
    warnings = []
    if dropped:
        lines = ", ".join(map(str, dropped))
        warnings.append(
            f"line(s) {lines}: ControlNet units dropped (a jobs file carries no control images)"
        )
    return jobs, warnings


def _job(raw: str, number: int, folder: Path, model: str | None) -> tuple[Job, bool]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BatchError(
            f"not valid JSON ({exc.msg} at column {exc.colno}); write one JSON object or "
            "one JSON string (an infotext) per line"
        ) from None
    init = mask = None
    if isinstance(value, str):
        from pixref.infotext import InfotextError, parse_infotext

        try:
            params = parse_infotext(value)
        except InfotextError as exc:
            raise BatchError(f"the infotext cannot be read: {exc}") from None
        given = {"width", "height"}
    elif isinstance(value, dict):
        data = dict(value)
        images = {key: data.pop(key) for key in IMAGE_KEYS if key in data}
        _check_keys(data)
        try:
            params = GenerationParams.from_dict(data)
        except (TypeError, ValueError, KeyError, IndexError) as exc:
            raise BatchError(f"a value cannot be read ({exc})") from None
        init = _image_path(images.get("init_image"), "init_image", folder)
        mask = _image_path(images.get("mask"), "mask", folder)
        given = set(data)
    else:
        kind = "an array" if isinstance(value, list) else type(value).__name__
        raise BatchError(
            f"expected a JSON object (a parameter record) or a string (an infotext), got {kind}"
        )
    if mask is not None and init is None:
        raise BatchError("a `mask` needs an `init_image` too")
    if params.model is None:
        if model is None:
            raise BatchError("no model: give the line a `model` (or its infotext a `Model:`), "
                             "or pass --model NAME")  # fmt: skip
        params = params.replace(model=model)
    had_controls = bool(params.controlnets)
    params = _checked(params.replace(controlnets=()), init is not None)
    kind = "txt2img"
    if init is not None:
        kind = "img2img"
        changes: dict[str, Any] = {}
        if params.denoising_strength is None:
            changes["denoising_strength"] = 0.75  # A1111's img2img default
        if not given & {"width", "height"}:
            changes.update(zip(("width", "height"), _image_size(init, "init_image"), strict=True))
        if mask is not None:
            _image_size(mask, "mask")
            changes["inpaint"] = params.inpaint or Inpaint()
        else:
            changes["inpaint"] = None
        params = params.replace(**changes)
    else:
        params = params.replace(inpaint=None)
    return Job(number, params, kind, init, mask), had_controls


def _check_keys(data: dict[str, Any]) -> None:
    unknown = [key for key in data if key not in _FIELDS and key != "version_record"]
    if unknown:
        hints = []
        for key in unknown:
            names = sorted([*_FIELDS, *IMAGE_KEYS])
            close = [name for name in names if name.startswith(key)]
            close = close or difflib.get_close_matches(key, names, n=1)
            hints.append(f"`{key}`" + (f" (did you mean `{close[0]}`?)" if close else ""))
        raise BatchError(
            f"unknown key(s) {', '.join(hints)}; a line holds generation parameter fields "
            "(prompt, negative_prompt, steps, sampler, cfg_scale, seed, width, height, "
            "model, ...) and optionally init_image and mask"
        )
    for key, value in data.items():
        if value is None and (key in _OPT_INT | _OPT_NUM | _OPT_STR):
            continue
        if key in _INT | _OPT_INT:
            ok, want = isinstance(value, int) and not isinstance(value, bool), "a whole number"
        elif key in _NUM | _OPT_NUM:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            want = "a number"
        elif key in _STR | _OPT_STR:
            ok, want = isinstance(value, str), "a string"
        else:
            continue  # structured fields: from_dict reads them
        if not ok:
            raise BatchError(f"`{key}` must be {want}, got {json.dumps(value)}")


def _checked(p: GenerationParams, img2img: bool) -> GenerationParams:
    """``p`` with its values checked (and rng and names in A1111's spelling)."""
    from pixref.infotext import canonical_sampler, canonical_schedule

    if p.steps < 1:
        raise BatchError(f"`steps` must be at least 1, got {p.steps}")
    if p.cfg_scale < 0:
        raise BatchError(f"`cfg_scale` must be 0 or more, got {p.cfg_scale}")
    if p.batch_size < 1 or p.batch_count < 1:
        raise BatchError("`batch_size` and `batch_count` must be at least 1")
    if p.width < 8 or p.height < 8:
        raise BatchError(f"size must be at least 8x8, got {p.width}x{p.height}")
    if p.seed < -1:
        raise BatchError(f"`seed` must be -1 (random) or more, got {p.seed}")
    if p.clip_skip < 1:
        raise BatchError(f"`clip_skip` must be at least 1, got {p.clip_skip}")
    for name in ("variation_strength", "denoising_strength", "refiner_switch_at"):
        value = getattr(p, name)
        if value is not None and not 0 <= value <= 1:
            raise BatchError(f"`{name}` must be within 0-1, got {value}")
    if p.rng.upper() not in ("GPU", "CPU", "NV"):
        raise BatchError(f"`rng` must be GPU, CPU or NV, got {p.rng!r}")
    sampler = canonical_sampler(p.sampler)
    if sampler is None:
        raise BatchError(f"`sampler` {p.sampler!r} is unknown; `pixref samplers` lists them")
    schedule = p.schedule_type
    if schedule is not None:
        schedule = canonical_schedule(schedule)
        if schedule is None:
            raise BatchError(
                f"`schedule_type` {p.schedule_type!r} is unknown; `pixref samplers` lists them"
            )
    return p.replace(rng=p.rng.upper(), sampler=sampler, schedule_type=schedule)


def _image_path(value: Any, key: str, folder: Path) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise BatchError(f"`{key}` must be an image path (relative to the jobs file)")
    return folder / Path(value).expanduser()


def _image_size(path: Path, key: str) -> tuple[int, int]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return image.size
    except FileNotFoundError:
        raise BatchError(f"`{key}` {path} does not exist") from None
    except (UnidentifiedImageError, OSError):
        raise BatchError(f"`{key}` {path} is not an image pixref can read") from None


def _check_models(p: GenerationParams, models_dir, found: dict) -> None:
    """Find the checkpoint, VAE and refiner ``p`` names (each looked up once per file)."""
    from pixref.engine.models import find_checkpoint, find_vae

    for kind, name in (("checkpoint", p.model), ("vae", p.vae), ("refiner", p.refiner)):
        if name is None or (kind, name) in found:
            continue
        if kind == "vae":
            find_vae(name, models_dir=models_dir)
        else:
            find_checkpoint(name, models_dir=models_dir)
        found[(kind, name)] = None


def _digest(job: Job) -> str:
    request = {
        "params": job.params.to_dict(),
        "init_image": str(job.init_image) if job.init_image else None,
        "mask": str(job.mask) if job.mask else None,
    }
    text = json.dumps(request, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
