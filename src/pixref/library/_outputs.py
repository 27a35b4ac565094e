"""Saving generated images as A1111 does, and logging each in the library.

Shared by every generating front end (CLI, sweeps, server): files go to
``outputs/<kind>-images/<date>/<counter:05>-<seed>.png`` with their infotext, then
each is recorded; a library problem never loses an image.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PIL import Image

from pixref.home import paths
from pixref.library._library import open_library
from pixref.library._record import record_generation
from pixref.metadata import save_png
from pixref.params import GenerationParams, PixrefError

# Two generations finishing at once must not pick the same counter.
_counter_lock = threading.Lock()


@dataclass(frozen=True)
class SavedOutputs:
    """Where the images went, their library ids (None where not logged), and why not."""

    paths: list[Path]
    entry_ids: list[int | None]
    log_error: str | None = None


def output_paths(
    kind: str, seeds: Sequence[int], out: str | os.PathLike[str] | None = None
) -> list[Path]:
    """Where ``len(seeds)`` images go: ``out`` as a file (one image; several get
    ``-NN`` suffixes), ``out`` as a folder, or A1111's outputs layout for ``kind``
    (``txt2img``, ``img2img``) with its ``<counter:05>-<seed>.png`` names."""
    count = len(seeds)
    target = Path(out) if out is not None else None
    if target is not None and target.suffix.lower() == ".png":
        if count == 1:
            return [target]
        return [target.with_name(f"{target.stem}-{i:02d}.png") for i in range(count)]
    folder = target or paths().outputs / f"{kind}-images" / date.today().isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    start = next_counter(folder)
    return [folder / f"{start + i:05d}-{seed}.png" for i, seed in enumerate(seeds)]


def next_counter(folder: Path) -> int:
    """A1111's next file counter in ``folder``: one more than the highest ``NNNNN-`` name."""
    numbers = [int(p.name[:5]) for p in folder.glob("*.png") if p.name[:5].isdigit()]
    return max(numbers, default=-1) + 1


def save_outputs(
    images: Sequence[Image.Image],
    params: Sequence[GenerationParams],
    infotexts: Sequence[str],
    *,
    kind: str,
    out: str | os.PathLike[str] | None = None,
    init_image: str | os.PathLike[str] | bytes | None = None,
    inpaint: bool = False,
    variation_of: int | str | None = None,
    log: bool = True,
) -> SavedOutputs:
    """Save each image with its infotext (atomically), then log it in the library.

    ``init_image`` (a file or its bytes) links img2img/inpaint results to their input when its
    bytes are in the library; ``variation_of`` is the library id a generation
    started from. A library failure is reported in ``log_error``, never raised.
    """
    with _counter_lock:
        targets = output_paths(kind, [q.seed for q in params], out)
        for image, text, target in zip(images, infotexts, targets, strict=True):
            save_png(image, target, infotext=text)
    if not log:
        return SavedOutputs(targets, [None] * len(targets))
    return log_outputs(
        targets, params, infotexts, init_image=init_image, inpaint=inpaint,
        variation_of=variation_of,
    )  # fmt: skip


def log_outputs(
    targets: Sequence[str | os.PathLike[str]],
    params: Sequence[GenerationParams],
    infotexts: Sequence[str | None],
    *,
    init_image: str | os.PathLike[str] | bytes | None = None,
    inpaint: bool = False,
    variation_of: int | str | None = None,
) -> SavedOutputs:
    """Log images already saved at ``targets`` in the library, as `save_outputs` does.

    For callers that pick the paths themselves (`output_paths`) and write the files
    first (``pixref batch`` records the paths before writing, to resume exactly).
    A library failure is reported in ``log_error``, never raised.
    """
    targets = [Path(t) for t in targets]
    ids: list[int | None] = [None] * len(targets)
    try:
        with open_library() as lib:
            for i, (target, q, text) in enumerate(zip(targets, params, infotexts, strict=True)):
                entry = record_generation(
                    lib,
                    target,
                    params=q,
                    infotext=text,
                    init_image=init_image,
                    inpaint=inpaint,
                    variation_of=variation_of,
                    source_path=str(target),
                )
                ids[i] = entry.id
    except PixrefError as exc:
        return SavedOutputs(targets, ids, str(exc))
    return SavedOutputs(targets, ids)
