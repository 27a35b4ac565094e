"""The one denoiser every sampler calls: ``(x, sigma) -> x0``.

It wraps the UNet (epsilon or v prediction, k-diffusion's discrete-time scaling),
classifier-free guidance over one negative and one or more weighted positive
parts (A1111's AND), per-step conditioning (prompt editing and alternation),
SDXL's pooled/size conditioning, inpainting-model image conditioning, and the
inpaint latent mask. Every generation mode goes through this one class.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch

from pixref.engine._controlnet import ActiveUnit, residuals


@dataclass(frozen=True)
class TextCond:
    """Text conditioning for one prompt (or one AND part) at one step.

    ``embeds`` is ``(1, tokens, dim)``; ``pooled`` is SDXL's ``(1, dim2)`` or None;
    ``time_ids`` SDXL's ``(1, 6)`` size conditioning (``(1, 5)`` for the refiner,
    whose aesthetic score differs between prompt and negative) or None.
    """

    embeds: torch.Tensor
    pooled: torch.Tensor | None = None
    time_ids: torch.Tensor | None = None


#: Per-step conditioning: call with the denoiser-call index, get the conditioning.
CondSchedule = Callable[[int], TextCond]


def sigma_to_t(sigma: torch.Tensor, log_sigmas: torch.Tensor) -> torch.Tensor:
    """Continuous training timestep for ``sigma`` by log-sigma interpolation (k-diffusion)."""
    log_sigma = sigma.log()
    dists = log_sigma - log_sigmas[:, None]
    low = dists.ge(0).cumsum(dim=0).argmax(dim=0).clamp(max=log_sigmas.shape[0] - 2)
    high = low + 1
    w = (log_sigmas[low] - log_sigma) / (log_sigmas[low] - log_sigmas[high])
    w = w.clamp(0, 1)
    return ((1 - w) * low + w * high).view(sigma.shape)


@dataclass
class RefinerStage:
    """A second model that takes over mid-sampling (A1111's refiner).

    ``switch_at`` is the fraction of the noise schedule completed (0-1) at which
    it takes over; ``positive``/``negative`` are the prompts encoded with its own
    text encoders. With ``by_steps`` (infotexts from A1111 < 1.8) the fraction is
    denoiser calls done over ``total_calls`` instead.
    """

    unet: Callable[..., torch.Tensor]
    log_sigmas: torch.Tensor
    prediction_type: str
    positive: Sequence[tuple[CondSchedule, float]]
    negative: CondSchedule
    switch_at: float
    by_steps: bool = False
    total_calls: int = 0


@dataclass
class Denoiser:
    """``denoiser(x, sigma)`` returns the model's estimate of the clean latent ``x0``.

    Parameters
    ----------
    unet : callable
        ``unet(x, t, encoder_hidden_states, added_cond_kwargs=...) -> model output``
        (a diffusers ``UNet2DConditionModel`` or anything with that signature).
    log_sigmas : (1000,) tensor
        Log of the model's training sigmas, ascending.
    prediction_type : {"epsilon", "v_prediction"}
    positive : sequence of (CondSchedule, weight)
        The AND parts of the prompt with their weights.
    negative : CondSchedule
    cfg_scale : float or (B, 1, 1, 1) tensor
        One scale for the batch, or one per image (a batch of sweep cells).
    image_cond : (B, 5, h, w) tensor or None
        Mask and masked-image latents for 9-channel inpainting models.
    init_latent, keep_mask : tensors or None
        Inpainting: where ``keep_mask`` is 1 the denoised latent is replaced by
        ``init_latent`` at every step (A1111 applies this inside its CFG denoiser).
    controlnets : list of ActiveUnit
        ControlNet units; each acts while ``calls / total_calls`` is within its
        guidance range.
    refiner : RefinerStage or None
        Checked at the start of every call, as A1111's ``apply_refiner``;
        ``switched_at`` then holds the call index where it took over.
    """

    unet: Callable[..., torch.Tensor]
    log_sigmas: torch.Tensor
    prediction_type: str
    positive: Sequence[tuple[CondSchedule, float]]
    negative: CondSchedule
    cfg_scale: float | torch.Tensor
    image_cond: torch.Tensor | None = None
    init_latent: torch.Tensor | None = None
    keep_mask: torch.Tensor | None = None
    controlnets: list[ActiveUnit] = field(default_factory=list)
    total_calls: int = 1
    refiner: RefinerStage | None = None
    switched_at: int | None = None
    calls: int = 0

    def _completed_ratio(self, sigma: torch.Tensor) -> float:
        stage = self.refiner
        if stage.by_steps:
            return self.calls / max(stage.total_calls, 1)
        # A1111 >= 1.8: the training timestep nearest to this noise level.
        t = torch.argmin((self.log_sigmas.exp() - sigma.max()).abs()).item()
        return (999 - t) / 1000

    def _maybe_switch(self, sigma: torch.Tensor) -> None:
        stage = self.refiner
        if stage is None or self.switched_at is not None:
            return
        if self._completed_ratio(sigma) < stage.switch_at:
            return
        self.switched_at = self.calls
        self.unet, self.log_sigmas = stage.unet, stage.log_sigmas
        self.prediction_type = stage.prediction_type
        self.positive, self.negative = stage.positive, stage.negative

    def _model(
        self, x: torch.Tensor, sigma: torch.Tensor, conds: list[TextCond], cond_parts: int
    ) -> torch.Tensor:
        """Run the UNet once for each conditioning, batched: ``(len(conds) * B, C, h, w)``."""
        batch = x.shape[0]
        n = len(conds)
        c_in = 1 / (sigma**2 + 1) ** 0.5
        model_in = (x * c_in).repeat(n, 1, 1, 1)
        if self.image_cond is not None:
            model_in = torch.cat([model_in, self.image_cond.repeat(n, 1, 1, 1)], dim=1)
        t = sigma_to_t(sigma, self.log_sigmas).expand(n * batch)
        embeds = torch.cat([c.embeds.expand(batch, -1, -1) for c in conds])
        added = None
        if conds[0].pooled is not None and conds[0].time_ids is not None:
            added = {
                "text_embeds": torch.cat([c.pooled.expand(batch, -1) for c in conds]),
                "time_ids": torch.cat([c.time_ids.expand(batch, -1) for c in conds]),
            }
        # The UNet runs in its own dtype (fp16 on CUDA); the sampler's maths stays float32.
        dtype = embeds.dtype
        model_in = model_in.to(dtype)
        extra = {}
        if self.controlnets:
            progress = (self.calls - 1) / max(self.total_calls, 1)
            control_in = model_in[:, : x.shape[1]]  # ControlNets never see inpainting channels
            found = residuals(
                self.controlnets, progress, control_in, t, embeds, added, cond_parts * batch
            )
            if found is not None:
                extra = {
                    "down_block_additional_residuals": found[0],
                    "mid_block_additional_residual": found[1],
                }
        out = self.unet(model_in, t, encoder_hidden_states=embeds, added_cond_kwargs=added, **extra)
        out = (out.sample if hasattr(out, "sample") else out).float()
        x_all = x.repeat(n, 1, 1, 1)
        if self.prediction_type == "v_prediction":
            # k-diffusion's VDenoiser with sigma_data = 1.
            return x_all / (sigma**2 + 1) - out * sigma / (sigma**2 + 1) ** 0.5
        return x_all - out * sigma

    def _model_all(self, x: torch.Tensor, sigma: torch.Tensor, conds: list[TextCond], parts: int):
        """Model outputs for ``conds``; the first ``parts`` are the prompt side."""
        # One batched UNet call when the token lengths agree (A1111 does the same);
        # prompts of different chunk counts run as separate calls.
        if len({c.embeds.shape for c in conds}) == 1:
            return self._model(x, sigma, conds, parts).chunk(len(conds))
        return [self._model(x, sigma, [c], int(i < parts)) for i, c in enumerate(conds)]

    def __call__(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        self._maybe_switch(sigma)
        step = self.calls
        self.calls += 1
        parts = [(schedule(step), weight) for schedule, weight in self.positive]
        per_image = isinstance(self.cfg_scale, torch.Tensor)
        if not per_image and self.cfg_scale == 1 and len(parts) == 1 and parts[0][1] == 1:
            (denoised,) = self._model_all(x, sigma, [parts[0][0]], 1)
        else:
            conds = [c for c, _ in parts] + [self.negative(step)]
            outs = self._model_all(x, sigma, conds, len(parts))
            uncond = outs[-1]
            denoised = uncond.clone()
            for out, (_, weight) in zip(outs[:-1], parts, strict=True):
                scale = weight * self.cfg_scale
                if per_image:  # float64 -> float32 rounds as a Python float scalar does
                    scale = scale.to(out.device, out.dtype)
                denoised += (out - uncond) * scale
        if self.keep_mask is not None and self.init_latent is not None:
            denoised = self.init_latent * self.keep_mask + denoised * (1 - self.keep_mask)
        return denoised
