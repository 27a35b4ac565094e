"""A1111's samplers and schedule types as small functions over a denoiser.

Every sampler is ``sample_<name>(denoise, x, sigmas, *, noise, on_step=None,
**knobs) -> x`` with ``denoise(x, sigma) -> x0`` (x ``(B, C, H, W)`` float32 in
k-diffusion scale ``x0 + sigma * eps``, sigma a 0-d tensor), ``noise`` a
`StepNoise` (`pixref.engine.noise.ImageNoise`) and ``on_step(i, x, sigma,
denoised)`` called after each step's first model call (raise from it to stop).
DDIM, PLMS and UniPC also take ``model=ModelSigmas`` and return the DDPM-scale
latent A1111 decodes.

The engine's recipe::

    spec = sampler_spec(p.sampler)
    sigmas = sigmas_for(p.sampler, p.schedule, p.steps, model_sigmas)
    x = noise.initial() * noise_scale(p.sampler, sigmas[0])
    x = spec.function(denoise, x, sigmas, noise=noise, on_step=cb,
                      **sampler_knobs(p.sampler, eta=p.eta), **({"model": model_sigmas}
                      if spec.timesteps else {}))
"""

from pixref.engine.samplers._common import (
    BrownianNoise,
    Denoise,
    OnStep,
    StepNoise,
    ancestral_step,
    to_d,
)
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
from pixref.engine.samplers._model_sigmas import ModelSigmas, scaled_linear_alphas_cumprod
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
from pixref.engine.samplers._table import (
    SAMPLER_SPECS,
    SCHEDULE_FUNCTIONS,
    Img2ImgSigmas,
    SamplerSpec,
    img2img_sigmas,
    noise_scale,
    records_ensd,
    resolve_schedule,
    sampler_knobs,
    sampler_spec,
    sigmas_for,
)
from pixref.engine.samplers._unipc import sample_unipc

__all__ = [
    "SAMPLER_SPECS",
    "SCHEDULE_FUNCTIONS",
    "BrownianNoise",
    "Denoise",
    "Img2ImgSigmas",
    "LcmModelSigmas",
    "ModelSigmas",
    "OnStep",
    "SamplerError",
    "SamplerSpec",
    "StepNoise",
    "ancestral_step",
    "img2img_sigmas",
    "noise_scale",
    "records_ensd",
    "resolve_schedule",
    "sample_ddim",
    "sample_dpm_2",
    "sample_dpm_2_ancestral",
    "sample_dpmpp_2m",
    "sample_dpmpp_2m_sde",
    "sample_dpmpp_2s_ancestral",
    "sample_dpmpp_3m_sde",
    "sample_dpmpp_sde",
    "sample_euler",
    "sample_euler_ancestral",
    "sample_heun",
    "sample_lcm",
    "sample_lms",
    "sample_plms",
    "sample_restart",
    "sample_unipc",
    "sampler_knobs",
    "sampler_spec",
    "scaled_linear_alphas_cumprod",
    "sigmas_align_your_steps",
    "sigmas_beta",
    "sigmas_ddim",
    "sigmas_exponential",
    "sigmas_for",
    "sigmas_karras",
    "sigmas_kl_optimal",
    "sigmas_normal",
    "sigmas_polyexponential",
    "sigmas_sgm_uniform",
    "sigmas_simple",
    "sigmas_uniform",
    "to_d",
]
