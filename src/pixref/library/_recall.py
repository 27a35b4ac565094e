"""Recall: everything needed to return to an entry's point in latent space."""

from __future__ import annotations

import shlex

from pixref.params import GenerationParams


def txt2img_command(params: GenerationParams) -> str:
    """The ``pixref txt2img ...`` command line that reproduces ``params``.

    Flags follow A1111's names (``--steps``, ``--sampler``, ``--cfg``, ``--seed``,
    ``--size WxH``, ``-n`` for the negative prompt, ``--model``); only values that
    differ from the engine's defaults are written, except the ones that define the
    image (steps, sampler, CFG, seed, size).
    """
    p = params
    args: list[str] = ["pixref", "txt2img", p.prompt]
    if p.negative_prompt:
        args += ["-n", p.negative_prompt]
    args += ["--steps", str(p.steps), "--sampler", p.sampler]
    if p.schedule_type and p.schedule_type != "Automatic":
        args += ["--schedule", p.schedule_type]
    args += ["--cfg", str(p.cfg_scale), "--seed", str(p.seed), "--size", f"{p.width}x{p.height}"]
    if p.model:
        args += ["--model", p.model]
    if p.vae:
        args += ["--vae", p.vae]
    if p.clip_skip != 1:
        args += ["--clip-skip", str(p.clip_skip)]
    if p.variation_seed is not None:
        args += ["--variation-seed", str(p.variation_seed)]
        if p.variation_strength is not None:
            args += ["--variation-strength", str(p.variation_strength)]
    if p.refiner:
        args += ["--refiner", p.refiner]
        if p.refiner_switch_at is not None:
            args += ["--refiner-switch-at", str(p.refiner_switch_at)]
    if p.hires is not None:
        if p.hires.resize:
            args += ["--hires-resize", f"{p.hires.resize[0]}x{p.hires.resize[1]}"]
        elif p.hires.upscale is not None:
            args += ["--hires-upscale", str(p.hires.upscale)]
        if p.denoising_strength is not None:
            args += ["--denoise", str(p.denoising_strength)]
    if p.rng != "GPU":
        args += ["--rng", p.rng]
    if p.eta is not None:
        args += ["--eta", str(p.eta)]
    if p.ensd:
        args += ["--ensd", str(p.ensd)]
    return shlex.join(args)
