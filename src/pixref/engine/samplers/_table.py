"""The name table: A1111 sampler and schedule labels -> pixref functions, and the sigmas to run.

Spellings are resolved by `pixref.infotext` (the one table of A1111 names);
this module only maps canonical labels to code, "Automatic" schedules and flags.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import torch
from torch import Tensor

from pixref.engine.samplers._ddim import sample_ddim
from pixref.engine.samplers._dpm2 import sample_dpm_2
from pixref.engine.samplers._dpm2_ancestral import sample_dpm_2_ancestral
from pixref.engine.samplers._dpmpp_2m import sample_dpmpp_2m
from pixref.engine.samplers._dpmpp_2m_sde import sample_dpmpp_2m_sde
from pixref.engine.samplers._dpmpp_2s_ancestral import sample_dpmpp_2s_ancestral
from pixref.engine.samplers._dpmpp_3m_sde import sample_dpmpp_3m_sde
from pixref.engine.samplers._dpmpp_sde import sample_dpmpp_sde
from pixref.engine.samplers._errors import SamplerError
from pixref.engine.samplers._euler import sample_euler
from pixref.engine.samplers._euler_ancestral import sample_euler_ancestral
from pixref.engine.samplers._heun import sample_heun
from pixref.engine.samplers._lcm import sample_lcm
from pixref.engine.samplers._lms import sample_lms
from pixref.engine.samplers._model_sigmas import ModelSigmas
from pixref.engine.samplers._plms import sample_plms
from pixref.engine.samplers._restart import sample_restart
from pixref.engine.samplers._schedule_align_your_steps import sigmas_align_your_steps
from pixref.engine.samplers._schedule_beta import sigmas_beta
from pixref.engine.samplers._schedule_ddim import sigmas_ddim
from pixref.engine.samplers._schedule_exponential import sigmas_exponential
from pixref.engine.samplers._schedule_karras import sigmas_karras
from pixref.engine.samplers._schedule_kl_optimal import sigmas_kl_optimal
from pixref.engine.samplers._schedule_lcm import LcmModelSigmas
from pixref.engine.samplers._schedule_normal import sigmas_normal, sigmas_sgm_uniform
from pixref.engine.samplers._schedule_polyexponential import sigmas_polyexponential
from pixref.engine.samplers._schedule_simple import sigmas_simple
from pixref.engine.samplers._schedule_uniform import sigmas_uniform
from pixref.engine.samplers._unipc import sample_unipc
from pixref.infotext import SCHEDULES, canonical_sampler, canonical_schedule


@dataclass(frozen=True, kw_only=True)
class SamplerSpec:
    """One A1111 sampler: its function, fixed knobs, "Automatic" schedule and A1111 flags.

    ``schedule`` is the label "Automatic" resolves to. ``timesteps`` marks the
    DDIM/PLMS/UniPC family: they take ``model=``, ignore the schedule type and
    start txt2img from unit-variance DDPM noise (see `noise_scale`).
    """

    label: str
    function: Callable[..., Tensor]
    schedule: str
    knobs: Mapping[str, Any] = field(default_factory=dict)
    second_order: bool = False
    brownian_noise: bool = False
    uses_ensd: bool = False
    discard_next_to_last_sigma: bool = False
    timesteps: bool = False
    takes_eta: bool = False


def _spec(label: str, function: Callable[..., Tensor], schedule: str, **flags: Any) -> SamplerSpec:
    return SamplerSpec(label=label, function=function, schedule=schedule, **flags)


#: A1111 v1.10 samplers pixref runs, in A1111's UI order (``sd_samplers_kdiffusion.py``).
SAMPLER_SPECS: dict[str, SamplerSpec] = {
    s.label: s
    for s in (
        _spec("DPM++ 2M", sample_dpmpp_2m, "Karras"),
        _spec("DPM++ SDE", sample_dpmpp_sde, "Karras", second_order=True, brownian_noise=True,
              takes_eta=True),
        _spec("DPM++ 2M SDE", sample_dpmpp_2m_sde, "Exponential", brownian_noise=True,
              takes_eta=True),
        _spec("DPM++ 2M SDE Heun", sample_dpmpp_2m_sde, "Exponential", brownian_noise=True,
              knobs={"solver_type": "heun"}, takes_eta=True),
        _spec("DPM++ 2S a", sample_dpmpp_2s_ancestral, "Karras", uses_ensd=True,
              second_order=True, takes_eta=True),
        _spec("DPM++ 3M SDE", sample_dpmpp_3m_sde, "Exponential",
              discard_next_to_last_sigma=True, brownian_noise=True, takes_eta=True),
        _spec("Euler a", sample_euler_ancestral, "Uniform", uses_ensd=True, takes_eta=True),
        _spec("Euler", sample_euler, "Uniform"),
        _spec("LMS", sample_lms, "Uniform"),
        _spec("Heun", sample_heun, "Uniform", second_order=True),
        _spec("DPM2", sample_dpm_2, "Karras", discard_next_to_last_sigma=True,
              second_order=True),
        _spec("DPM2 a", sample_dpm_2_ancestral, "Karras", discard_next_to_last_sigma=True,
              uses_ensd=True, second_order=True, takes_eta=True),
        _spec("Restart", sample_restart, "Karras", second_order=True),
        _spec("DDIM", sample_ddim, "DDIM", timesteps=True),
        _spec("PLMS", sample_plms, "DDIM", timesteps=True),
        _spec("UniPC", sample_unipc, "Uniform", timesteps=True),
        _spec("LCM", sample_lcm, "Uniform"),
    )
}  # fmt: skip

#: Schedule label -> ``f(n, sigma_min, sigma_max, model) -> (n + 1,) sigmas``.
SCHEDULE_FUNCTIONS: dict[str, Callable[[int, float, float, ModelSigmas], Tensor]] = {
    "Uniform": sigmas_uniform,
    "Karras": lambda n, lo, hi, m: sigmas_karras(n, lo, hi),
    "Exponential": lambda n, lo, hi, m: sigmas_exponential(n, lo, hi),
    "Polyexponential": lambda n, lo, hi, m: sigmas_polyexponential(n, lo, hi),
    "SGM Uniform": sigmas_sgm_uniform,
    "KL Optimal": lambda n, lo, hi, m: sigmas_kl_optimal(n, lo, hi),
    "Align Your Steps": lambda n, lo, hi, m: sigmas_align_your_steps(n, lo, hi, sdxl=m.is_sdxl),
    "Simple": sigmas_simple,
    "Normal": sigmas_normal,
    "DDIM": sigmas_ddim,
    "Beta": lambda n, lo, hi, m: sigmas_beta(n, lo, hi),
}


def _names(labels: Any) -> str:
    return ", ".join(f'"{label}"' for label in labels)


def sampler_spec(name: str) -> SamplerSpec:
    """The spec for an A1111 sampler name or alias ("Euler a", "k_euler_a", ...).

    Raises
    ------
    SamplerError
        Unknown, or known to A1111 but not run by pixref; the message lists valid names.
    """
    label = canonical_sampler(name)
    if label is None:
        raise SamplerError(f"`sampler` {name!r} is unknown; use one of {_names(SAMPLER_SPECS)}")
    if label not in SAMPLER_SPECS:
        raise SamplerError(
            f"`sampler` {label!r} is not supported by pixref yet; "
            f"use one of {_names(SAMPLER_SPECS)}"
        )
    return SAMPLER_SPECS[label]


def resolve_schedule(sampler: str, schedule: str = "Automatic") -> str:
    """The schedule label actually used: "Automatic" becomes the sampler's default.

    Timestep samplers (DDIM, PLMS, UniPC) always use their own, as A1111.

    >>> resolve_schedule("DPM++ 2M"), resolve_schedule("Euler a", "karras")
    ('Karras', 'Karras')
    """
    spec = sampler_spec(sampler)
    label = canonical_schedule(schedule)
    if label is None:
        raise SamplerError(f"`schedule` {schedule!r} is unknown; use one of {_names(SCHEDULES)}")
    if spec.timesteps or label == "Automatic":
        return spec.schedule
    return label


def sigmas_for(sampler: str, schedule: str, steps: int, model: ModelSigmas) -> Tensor:
    """The sigmas A1111 runs for ``steps`` steps of ``sampler`` with ``schedule`` (txt2img).

    Honours ``discard_next_to_last_sigma`` (compute steps + 1, drop the
    penultimate). Timestep samplers get the sigmas of their own timesteps:
    DDIM/PLMS ``range(0, T, T // steps) + 1``, UniPC ``linspace(T - 1, 0, steps + 1)``.

    Parameters
    ----------
    sampler, schedule : str
        A1111 names or aliases; schedule "Automatic" resolves per sampler.
    steps : int
        Sampling steps, >= 1.
    model : ModelSigmas
        The model's training sigmas.

    Returns
    -------
    sigmas : (k + 1,) float32 tensor
        Decreasing; k == steps except the DDIM schedule (may be more) and
        ending in 0 except KL Optimal and UniPC (end at sigma_min, as A1111).
    """
    if steps < 1:
        raise SamplerError(f"`steps` must be at least 1, got {steps}")
    spec = sampler_spec(sampler)
    label = resolve_schedule(sampler, schedule)
    if spec.label == "LCM":
        model = LcmModelSigmas.from_model(model)
    if spec.label == "UniPC":
        t = torch.linspace(len(model.sigmas) - 1, 0, steps + 1)
        return model.t_to_sigma(t)
    n = steps + 1 if spec.discard_next_to_last_sigma else steps
    sigmas = SCHEDULE_FUNCTIONS[label](n, model.sigma_min, model.sigma_max, model)
    if spec.discard_next_to_last_sigma:
        sigmas = torch.cat([sigmas[:-2], sigmas[-1:]])
    return sigmas


class Img2ImgSigmas(NamedTuple):
    """What img2img runs: the sampler's ``sigmas`` and the level ``noise_sigma`` x0 is noised to."""

    sigmas: Tensor
    noise_sigma: Tensor

    def start(self, x0: Tensor, noise: Tensor) -> Tensor:
        """The sampler's start latent ``x0 + noise * noise_sigma``, in the sampler's scale.

        When ``noise_sigma`` differs from ``sigmas[0]`` (A1111's timestep
        samplers noise one timestep above their first model call) the latent is
        rescaled so its DDPM-scale value is A1111's
        ``sqrt(a) x0 + sqrt(1 - a) noise``.
        """
        x = x0 + noise * self.noise_sigma
        if torch.equal(self.noise_sigma, self.sigmas[0]):
            return x
        return x * ((self.sigmas[0] ** 2 + 1) / (self.noise_sigma**2 + 1)) ** 0.5


def img2img_sigmas(
    sampler: str, schedule: str, steps: int, denoising_strength: float, model: ModelSigmas
) -> Img2ImgSigmas:
    """A1111's img2img tail: ``t_enc = int(min(d, 0.999) * steps)``, run ``t_enc + 1`` steps.

    k-diffusion samplers (and UniPC, approximately) run ``sigmas[steps - t_enc - 1:]``
    and noise x0 to its first sigma. DDIM and PLMS (A1111 ``sample_img2img``)
    noise to the ``t_enc``-th timestep and walk timesteps ``[:t_enc]`` downwards.
    """
    if not 0 <= denoising_strength <= 1:
        raise SamplerError(f"`denoising_strength` must be within 0–1, got {denoising_strength}")
    t_enc = int(min(denoising_strength, 0.999) * steps)
    full = sigmas_for(sampler, schedule, steps, model)
    if sampler_spec(sampler).label in ("DDIM", "PLMS"):
        ascending = full[:-1].flip(0)  # the timesteps' sigmas, lowest first
        tail = torch.cat([ascending[:t_enc].flip(0), full.new_zeros(1)])
        return Img2ImgSigmas(tail, ascending[t_enc])
    tail = full[steps - t_enc - 1 :]
    return Img2ImgSigmas(tail, tail[0])


def noise_scale(sampler: str, sigma: Tensor) -> Tensor:
    """Factor on unit noise for the txt2img start latent: sigma, or sqrt(1 + sigma**2).

    k-diffusion samplers start from ``noise * sigmas[0]``; A1111's timestep
    samplers start from the DDPM-scale noise itself, which is
    ``noise * sqrt(1 + sigma**2)`` in pixref's (k-diffusion) scale.
    """
    return (sigma**2 + 1) ** 0.5 if sampler_spec(sampler).timesteps else sigma


def records_ensd(sampler: str, eta: float | None = None) -> bool:
    """Whether A1111 writes ``ENSD`` for this sampler: it ``uses_ensd`` and eta != 0.

    ``eta=None`` means the sampler's default (1 for ancestral samplers).
    """
    spec = sampler_spec(sampler)
    return spec.uses_ensd and (1.0 if eta is None else eta) != 0


def sampler_knobs(sampler: str, *, eta: float | None = None, **extra: Any) -> dict[str, Any]:
    """Keyword arguments for ``spec.function``: fixed knobs, eta where taken, then ``extra``."""
    spec = sampler_spec(sampler)
    knobs = dict(spec.knobs)
    if eta is not None and (spec.takes_eta or spec.timesteps and spec.label == "DDIM"):
        knobs["eta"] = eta
    return {**knobs, **extra}
