"""Align Your Steps: NVIDIA's optimised 10-step lists (Sabour et al. 2024), stretched to n."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

#: The 10-step lists A1111 ships (``sd_schedulers.get_align_your_steps_sigmas``).
AYS_SD15 = (14.615, 6.475, 3.861, 2.697, 1.886, 1.396, 0.963, 0.652, 0.399, 0.152, 0.029)
AYS_SDXL = (14.615, 6.315, 3.771, 2.181, 1.342, 0.862, 0.555, 0.380, 0.234, 0.113, 0.029)


def loglinear_interp(sigmas: tuple[float, ...], n: int) -> np.ndarray:
    """Resample a decreasing list to n points, linearly in log sigma (NVIDIA's how-to)."""
    xs = np.linspace(0, 1, len(sigmas))
    ys = np.log(np.asarray(sigmas)[::-1])
    return np.exp(np.interp(np.linspace(0, 1, n), xs, ys))[::-1].copy()


def sigmas_align_your_steps(n: int, sigma_min: float, sigma_max: float, *, sdxl: bool) -> Tensor:
    """The SD1.5 or SDXL AYS list (ignoring the model's sigma range, as A1111), then 0.

    A list of the same length as n + 1 is used as is; others are log-linearly
    interpolated to n values. Returns ``(n + 1,)`` float32.
    """
    base = AYS_SDXL if sdxl else AYS_SD15
    sigmas = list(base) if n == len(base) else loglinear_interp(base, n).tolist()
    return torch.tensor([*sigmas, 0.0], dtype=torch.float32)
