"""A1111's sampler and schedule names: the one table from outside names to pixref's.

pixref stores A1111's display names ("Euler a", "DPM++ 2M", "Karras"), so a
record reads the same in pixref, in A1111 and in the infotext. This module maps
every other spelling (A1111 aliases, pre-1.9 combined names such as
"DPM++ 2M Karras", ComfyUI's ``sampler_name``/``scheduler``) onto them.
"""

from __future__ import annotations

#: A1111 v1.10 samplers in UI order, with their aliases (lower-cased on lookup).
SAMPLERS: dict[str, tuple[str, ...]] = {
    "DPM++ 2M": ("k_dpmpp_2m", "dpmpp_2m"),
    "DPM++ SDE": ("k_dpmpp_sde", "dpmpp_sde", "dpmpp_sde_gpu"),
    "DPM++ 2M SDE": ("k_dpmpp_2m_sde", "dpmpp_2m_sde", "dpmpp_2m_sde_gpu"),
    "DPM++ 2M SDE Heun": ("k_dpmpp_2m_sde_heun", "dpmpp_2m_sde_heun", "dpmpp_2m_sde_heun_gpu"),
    "DPM++ 2S a": ("k_dpmpp_2s_a", "dpmpp_2s_ancestral"),
    "DPM++ 3M SDE": ("k_dpmpp_3m_sde", "dpmpp_3m_sde", "dpmpp_3m_sde_gpu"),
    "Euler a": ("k_euler_a", "k_euler_ancestral", "euler_ancestral"),
    "Euler": ("k_euler", "euler"),
    "LMS": ("k_lms", "lms"),
    "Heun": ("k_heun", "heun"),
    "DPM2": ("k_dpm_2", "dpm_2"),
    "DPM2 a": ("k_dpm_2_a", "dpm_2_ancestral"),
    "DPM fast": ("k_dpm_fast", "dpm_fast"),
    "DPM adaptive": ("k_dpm_ad", "dpm_adaptive"),
    "Restart": ("restart",),
    "DDIM": ("ddim",),
    "DDIM CFG++": ("ddim_cfgpp",),
    "PLMS": ("plms",),
    "UniPC": ("unipc", "uni_pc", "uni_pc_bh2"),
    "LCM": ("k_lcm", "lcm"),
}

#: A1111 v1.10 schedule types: label -> (name, aliases...).
SCHEDULES: dict[str, tuple[str, ...]] = {
    "Automatic": ("automatic",),
    "Uniform": ("uniform",),
    "Karras": ("karras",),
    "Exponential": ("exponential",),
    "Polyexponential": ("polyexponential",),
    "SGM Uniform": ("sgm_uniform", "sgmuniform"),
    "KL Optimal": ("kl_optimal",),
    "Align Your Steps": ("align_your_steps",),
    "Simple": ("simple",),
    "Normal": ("normal",),
    "DDIM": ("ddim", "ddim_uniform"),
    "Beta": ("beta",),
}


def _lookup(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for label, aliases in table.items():
        for spelling in (label, *aliases):
            out[spelling.lower()] = label
    return out


_SAMPLER_BY_NAME = _lookup(SAMPLERS)
_SCHEDULE_BY_NAME = _lookup(SCHEDULES)


def canonical_sampler(name: str) -> str | None:
    """A1111's label for a sampler spelling, or None if unknown."""
    return _SAMPLER_BY_NAME.get(name.strip().lower())


def canonical_schedule(name: str) -> str | None:
    """A1111's label for a schedule spelling, or None if unknown."""
    return _SCHEDULE_BY_NAME.get(name.strip().lower())


def split_sampler_name(name: str) -> tuple[str, str | None]:
    """Split a sampler name into ``(sampler, schedule or None)``.

    Accepts A1111 labels and aliases, pre-1.9 combined names
    (``"DPM++ 2M Karras"`` -> ``("DPM++ 2M", "Karras")``) and ComfyUI-style
    ``sampler_scheduler`` names (``"euler_simple"`` -> ``("Euler", "Simple")``).
    An unknown name comes back unchanged with no schedule.

    >>> split_sampler_name("DPM++ 2M Karras")
    ('DPM++ 2M', 'Karras')
    >>> split_sampler_name("k_euler_a")
    ('Euler a', None)
    """
    whole = canonical_sampler(name)
    if whole is not None:
        return whole, None
    for sep in (" ", "_"):
        head, _, tail = name.strip().rpartition(sep)
        while head:
            sampler = canonical_sampler(head)
            schedule = canonical_schedule(tail)
            if sampler is not None and schedule is not None:
                return sampler, schedule
            # Schedule names may hold the separator ("sgm_uniform", "SGM Uniform").
            head, _, more = head.rpartition(sep)
            tail = f"{more}{sep}{tail}"
    return name, None
