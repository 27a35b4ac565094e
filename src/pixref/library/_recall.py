"""Recall: everything needed to return to an entry's point in latent space."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from pixref.library._library import Library
from pixref.params import GenerationParams


@dataclass(frozen=True)
class Recall:
    """An entry's infotext, parameters and the commands that make it again.

    ``not_in_command`` names the parameters `txt2img_command` has no flag for;
    ``from_command`` (``pixref txt2img --from ID``) carries them all.
    """

    id: int
    infotext: str | None
    params: GenerationParams
    command: str
    from_command: str
    not_in_command: list[str]


def recall(lib: Library, ref: int | str) -> Recall:
    """What returns to entry ``ref``'s exact point; LibraryError when it has no parameters.

    The infotext is the one stored with the image, or A1111's formatting of its
    parameters when the image carried none.
    """
    entry = lib.get(ref)
    params = lib.params_for(entry.id)
    infotext = entry.infotext
    if infotext is None:
        try:
            from pixref.infotext import format_infotext

            infotext = format_infotext(params)
        except ImportError:
            infotext = None
    return Recall(
        id=entry.id,
        infotext=infotext,
        params=params,
        command=txt2img_command(params),
        from_command=f"pixref txt2img --from {entry.id}",
        not_in_command=unsupported_flags(params),
    )


def txt2img_command(params: GenerationParams) -> str:
    """The ``pixref txt2img ...`` command line that reproduces ``params``.

    Uses the engine CLI's A1111-named flags (``--steps``, ``--sampler``, ``--cfg``,
    ``--seed``, ``--size WxH``, ``-n``, ``--model``, ...). Values with no flag are
    listed by `unsupported_flags`; ``pixref txt2img --from ID`` carries everything.
    """
    p = params
    args: list[str] = ["pixref", "txt2img", p.prompt]
    if p.negative_prompt:
        args += ["-n", p.negative_prompt]
    args += ["--steps", str(p.steps), "--sampler", p.sampler]
    if p.schedule_type and p.schedule_type != "Automatic":
        args += ["--schedule", p.schedule_type]
    args += ["--cfg", str(p.cfg_scale), "--seed", str(p.seed), "--size", f"{p.width}x{p.height}"]
    if p.variation_seed is not None:
        args += ["--variation-seed", str(p.variation_seed)]
        if p.variation_strength is not None:
            args += ["--variation-strength", str(p.variation_strength)]
    if p.seed_resize_from is not None:
        args += ["--seed-resize-from", f"{p.seed_resize_from[0]}x{p.seed_resize_from[1]}"]
    if p.model:
        args += ["--model", p.model]
    if p.clip_skip != 1:
        args += ["--clip-skip", str(p.clip_skip)]
    if p.rng != "GPU":
        args += ["--rng", p.rng.lower()]
    if p.ensd:
        args += ["--ensd", str(p.ensd)]
    return shlex.join(args)


def unsupported_flags(params: GenerationParams) -> list[str]:
    """Parameters of ``params`` that `txt2img_command` cannot express as flags."""
    p = params
    missing = []
    for name, value in (
        ("vae", p.vae),
        ("refiner", p.refiner),
        ("hires", p.hires),
        ("eta", p.eta),
        ("controlnets", p.controlnets or None),
        ("inpaint", p.inpaint),
        ("denoising_strength", p.denoising_strength),
    ):
        if value is not None:
            missing.append(name)
    return missing
