"""A1111's refiner: a second checkpoint takes over inside the same sampling loop.

Since A1111 1.8 the switch happens at the first denoiser call whose noise level's
nearest training timestep t has ``(999 - t) / 1000 >= switch_at``; the prompt is
re-encoded with the refiner's text encoders and sampling goes on with the same
sampler state. Infotexts older than 1.8 switched by step count instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pixref.engine import _adapters as adapters
from pixref.engine._denoiser import RefinerStage
from pixref.engine.models import Arch, Models
from pixref.params import GenerationParams, PixrefError

# Which refiners can take over from which base: same latent space and conditioning kind.
_COMPATIBLE = {
    Arch.sd1: {Arch.sd1},
    Arch.sd2: {Arch.sd2, Arch.sd2_v},
    Arch.sd2_v: {Arch.sd2, Arch.sd2_v},
    Arch.sdxl: {Arch.sdxl, Arch.sdxl_refiner},
    Arch.sdxl_refiner: {Arch.sdxl, Arch.sdxl_refiner},
}


class RefinerError(PixrefError):
    """A refiner that cannot take over from the base model."""


def _switches_by_steps(version: str | None) -> bool:
    """A1111 before 1.8 switched at a fraction of steps (its infotext backcompat rule)."""
    match = re.match(r"v?(\d+)\.(\d+)", version or "")
    return bool(match) and (int(match[1]), int(match[2])) < (1, 8)


@dataclass
class Refiner:
    """The refiner's models and how its stage is built for one pass."""

    models: Models
    base: Models

    def __post_init__(self) -> None:
        base, refiner = Arch(self.base.arch), Arch(self.models.arch)
        if refiner not in _COMPATIBLE[base]:
            raise RefinerError(
                f"refiner `{self.models.name}` is {refiner.value}, which cannot take over from "
                f"`{self.base.name}` ({base.value}); pick a refiner of the same model family"
            )

    @property
    def title(self) -> str:
        """A1111's short title, ``name [hash]``, as its infotext writes it."""
        digest = self.models.short_hash
        return f"{self.models.name} [{digest}]" if digest else self.models.name

    def stage(self, p: GenerationParams, *, first_pass_calls: int | None = None) -> RefinerStage:
        """The refiner for pass ``p``; ``first_pass_calls`` when ``p`` is the hires pass.

        The prompts are re-encoded with the refiner's text encoders on the same
        timeline as the pass they take over (A1111 re-runs ``setup_conds``).
        """
        conds = adapters.encode_prompts(self.models, p, first_pass_calls=first_pass_calls)
        calls = adapters.denoiser_calls(p)
        return RefinerStage(
            unet=self.models.unet,
            log_sigmas=adapters.log_sigmas(self.models),
            prediction_type=self.models.prediction_type,
            positive=conds.positive,
            negative=conds.negative,
            switch_at=float(p.refiner_switch_at if p.refiner_switch_at is not None else 0.8),
            by_steps=_switches_by_steps(p.version),
            total_calls=calls,
        )
