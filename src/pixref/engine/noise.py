"""Seeds and noise exactly as A1111 makes them (``modules/rng.py``, ``processing.py``).

The engine builds one `ImageNoise` per batch and calls, in this order:

- ``noise.initial() -> (B, C, H, W)`` float32: each image's start noise, with
  variation seed (slerp) and "seed resize from" applied; draw it first.
- ``noise.step_like(x) -> Tensor`` shaped like x: per-step noise of ancestral
  samplers, continuing **each image's own generator** (re-seeded with
  seed + ENSD after `initial` when ENSD != 0), so a batch equals the same
  seeds run one by one.
- ``noise.brownian(x, sigmas) -> callable(sigma, sigma_next)``: the
  Brownian-tree noise of the SDE samplers, one torchsde tree per image seeded
  with that image's seed over ``[min sigma > 0, max sigma]``.

`resolve_seed` turns -1 into the random seed to record, and `batch_seeds`
gives each image its seed and variation seed.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from pixref.params import PixrefError

#: RNG sources A1111 offers (infotext ``RNG``); "NV" is not implemented yet.
RNG_SOURCES = ("GPU", "CPU", "NV")


class NoiseError(PixrefError):
    """Bad seed or noise settings."""


def resolve_seed(seed: int | str | None) -> int:
    """A1111's ``get_fixed_seed``: -1, None, '' or a non-number -> a fresh random seed.

    The random seed comes from a private ``random.Random()`` (OS entropy), in
    A1111's range ``randrange(4294967294)``; record the returned value.
    """
    try:
        value = int(seed) if seed not in (None, "") else -1
    except (TypeError, ValueError):
        value = -1
    return random.Random().randrange(4294967294) if value == -1 else value


def batch_seeds(
    seed: int, subseed: int, subseed_strength: float, n: int
) -> tuple[list[int], list[int]]:
    """Per-image ``(seeds, subseeds)`` for n images (all batches of a run, in order).

    Seeds increase by one per image only when ``subseed_strength`` is 0;
    subseeds always do (``processing.py``).
    """
    seeds = [seed + (i if subseed_strength == 0 else 0) for i in range(n)]
    return seeds, [subseed + i for i in range(n)]


def slerp(val: float, low: Tensor, high: Tensor) -> Tensor:
    """A1111's spherical blend of two ``(C, H, W)`` noises, norms over dim 1 (rows).

    ``val`` 0 gives ``low`` (seed noise), 1 gives ``high`` (variation noise).
    When the mean cosine exceeds 0.9995 A1111 falls back to a linear blend with
    the weights swapped (``low * val + high * (1 - val)``); reproduced as is.
    """
    low_norm = low / torch.norm(low, dim=1, keepdim=True)
    high_norm = high / torch.norm(high, dim=1, keepdim=True)
    dot = (low_norm * high_norm).sum(1)
    if dot.mean() > 0.9995:
        return low * val + high * (1 - val)
    omega = torch.acos(dot)
    so = torch.sin(omega)
    return (torch.sin((1.0 - val) * omega) / so).unsqueeze(1) * low + (
        torch.sin(val * omega) / so
    ).unsqueeze(1) * high


def paste_center(noise: Tensor, into: Tensor) -> Tensor:
    """Centre ``noise`` (C, h, w) in ``into`` (C, H, W): cropped if larger, padded if smaller."""
    dx = (into.shape[2] - noise.shape[2]) // 2
    dy = (into.shape[1] - noise.shape[1]) // 2
    w = noise.shape[2] if dx >= 0 else noise.shape[2] + 2 * dx
    h = noise.shape[1] if dy >= 0 else noise.shape[1] + 2 * dy
    tx, ty = max(dx, 0), max(dy, 0)
    sx, sy = max(-dx, 0), max(-dy, 0)
    out = into.clone()
    out[:, ty : ty + h, tx : tx + w] = noise[:, sy : sy + h, sx : sx + w]
    return out


class ImageNoise:
    """One batch's noise: a seeded ``torch.Generator`` per image, as A1111's ``ImageRNG``.

    Parameters
    ----------
    seeds : sequence of int
        One seed per image (see `batch_seeds`).
    subseeds : sequence of int, optional
        Variation seeds, one per image.
    subseed_strength : float
        Variation strength 0–1; 0 ignores ``subseeds``.
    shape : (C, H, W) tuple of int
        Latent shape of one image (``(4, height // 8, width // 8)`` for SD).
    seed_resize_from : (width, height) in pixels, optional
        Make the noise as for that size and paste its centre (A1111 "Resize seed from").
    rng : {"GPU", "CPU"}
        A1111's RNG source: "GPU" draws with a CUDA generator when ``device`` is CUDA
        (else on the CPU); "CPU" always draws on the CPU, so images match across machines.
    device : torch.device or str
        Where the returned tensors live.
    ensd : int
        A1111's eta noise seed delta: after `initial`, generators restart at seed + ensd.
    latent_factor : int
        Pixels per latent cell, for ``seed_resize_from``.
    """

    def __init__(
        self,
        seeds: Sequence[int],
        subseeds: Sequence[int] | None = None,
        subseed_strength: float = 0.0,
        shape: tuple[int, int, int] = (4, 64, 64),
        *,
        seed_resize_from: tuple[int, int] | None = None,
        rng: str = "GPU",
        device: torch.device | str = "cpu",
        ensd: int = 0,
        latent_factor: int = 8,
    ) -> None:
        if rng not in ("GPU", "CPU"):
            valid = '"GPU", "CPU"'
            raise NoiseError(f"`rng` {rng!r} is not supported; use one of {valid}")
        if not 0 <= subseed_strength <= 1:
            raise NoiseError(f"`subseed_strength` must be within 0–1, got {subseed_strength}")
        self.seeds = [int(s) for s in seeds]
        self.subseeds = None if subseeds is None else [int(s) for s in subseeds]
        self.subseed_strength = subseed_strength
        self.shape = tuple(shape)
        self.device = torch.device(device)
        self.ensd = ensd
        self.rng = rng
        self.generator_device = self.device if rng == "GPU" and self.device.type == "cuda" else None
        self.generator_device = self.generator_device or torch.device("cpu")
        self.noise_shape = self.shape
        if seed_resize_from and seed_resize_from[0] > 0 and seed_resize_from[1] > 0:
            w, h = seed_resize_from
            self.noise_shape = (self.shape[0], h // latent_factor, w // latent_factor)
        self.generators = [self._generator(s) for s in self.seeds]

    @property
    def rng_used(self) -> str:
        """ "GPU" if noise came from a CUDA generator, else "CPU": what reproduces it elsewhere."""
        return "GPU" if self.generator_device.type == "cuda" else "CPU"

    def _generator(self, seed: int) -> torch.Generator:
        return torch.Generator(self.generator_device).manual_seed(int(seed))

    def _randn(self, shape: Sequence[int], generator: torch.Generator) -> Tensor:
        return torch.randn(tuple(shape), generator=generator, device=self.generator_device)

    def _initial_one(self, i: int, seed: int) -> Tensor:
        subnoise = None
        if self.subseeds is not None and self.subseed_strength != 0:
            subseed = self.subseeds[i] if i < len(self.subseeds) else 0
            subnoise = self._randn(self.noise_shape, self._generator(subseed))
        resized = self.noise_shape != self.shape
        # Resized noise comes from a fresh generator; the image's own stream is kept
        # for the full-size noise it is pasted into, then for the step noise.
        generator = self._generator(seed) if resized else self.generators[i]
        noise = self._randn(self.noise_shape, generator)
        if subnoise is not None:
            noise = slerp(self.subseed_strength, noise, subnoise)
        if resized:
            noise = paste_center(noise, self._randn(self.shape, self.generators[i]))
        return noise

    def initial(self) -> Tensor:
        """Each image's start noise, ``(B, C, H, W)`` float32 on ``device`` (unit variance)."""
        xs = [self._initial_one(i, seed) for i, seed in enumerate(self.seeds)]
        if self.ensd:
            self.generators = [self._generator(s + self.ensd) for s in self.seeds]
        return torch.stack(xs).to(self.device)

    def step_like(self, x: Tensor) -> Tensor:
        """Fresh standard-normal noise shaped like ``x``, row i from image i's generator."""
        if x.shape[0] != len(self.generators):
            raise ValueError(f"x has batch {x.shape[0]}, noise has {len(self.generators)} seeds")
        xs = [self._randn(x.shape[1:], g) for g in self.generators]
        return torch.stack(xs).to(x.device)

    def brownian(self, x: Tensor, sigmas: Tensor) -> Callable[[Tensor, Tensor], Tensor]:
        """Brownian-tree noise over the run's sigmas, one tree per image seed.

        As k-diffusion's ``BrownianTreeNoiseSampler`` with A1111's per-image
        seeds; the tree draws on the RNG device, so "CPU" matches across machines.
        """
        return BrownianTreeNoise(x, sigmas, self.seeds, self.generator_device)


class BrownianTreeNoise:
    """``(sigma, sigma_next) -> (W(sigma_next) - W(sigma)) / sqrt(|dsigma|)``, per image."""

    def __init__(self, x: Tensor, sigmas: Tensor, seeds: Sequence[int], device: torch.device):
        import torchsde  # only the SDE samplers need it

        self.sigma_min = sigmas[sigmas > 0].min().cpu()
        self.sigma_max = sigmas.max().cpu()
        w0 = torch.zeros(x.shape[1:], dtype=torch.float32, device=device)
        self.trees = [
            torchsde.BrownianTree(self.sigma_min, w0, self.sigma_max, entropy=seed)
            for seed in seeds
        ]
        self.out_device = x.device

    def __call__(self, sigma: Tensor, sigma_next: Tensor) -> Tensor:
        t0, t1 = sigma.cpu(), sigma_next.cpu()
        lo, hi, sign = (t0, t1, 1) if t0 < t1 else (t1, t0, -1)
        with warnings.catch_warnings():
            # torchsde warns when a float32 sigma rounds just past the tree's end (as in A1111).
            warnings.filterwarnings("ignore", message="Should have", category=UserWarning)
            w = torch.stack([tree(lo, hi) for tree in self.trees]) * sign
        return (w / (t1 - t0).abs().sqrt()).to(self.out_device)
