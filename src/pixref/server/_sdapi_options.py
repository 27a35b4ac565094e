"""The A1111 options (``/sdapi/v1/options``, ``override_settings``) pixref honours.

A1111 keeps hundreds of settings; pixref answers for the ones that change what a
generation makes, and refuses the others by name rather than ignoring them.
Options live for the server's lifetime (A1111 also writes them to config.json).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from pixref.params import PixrefError


class OptionError(PixrefError):
    """An option pixref does not know, or a value it cannot use."""


#: A1111's ``randn_source`` values pixref runs ("NV", A1111's Philox, is not implemented).
RNG_SOURCES = ("GPU", "CPU")


@dataclass(frozen=True)
class Options:
    """A1111's generation-relevant options with A1111's defaults.

    ``sd_model_checkpoint`` is the path of the chosen checkpoint (None: the first
    installed one); the API shows it as A1111's title ``name.safetensors [hash]``.
    """

    sd_model_checkpoint: str | None = None
    sd_vae: str = "Automatic"
    CLIP_stop_at_last_layers: int = 1
    eta_noise_seed_delta: int = 0
    randn_source: str = "GPU"
    samples_format: str = "png"

    def updated(self, changes: dict[str, Any], models_dir: Path | None, field: str) -> Options:
        """A copy with ``changes`` (A1111 option names) checked and applied.

        Raises
        ------
        OptionError
            An unknown key or an unusable value; ``field`` names where it came from.
        """
        known = set(asdict(self))
        unknown = sorted(set(changes) - known)
        if unknown:
            raise OptionError(
                f"`{field}`: option(s) {', '.join(unknown)} not supported by pixref; "
                f"supported: {', '.join(sorted(known))}"
            )
        values = {key: _check(key, value, models_dir, field) for key, value in changes.items()}
        return replace(self, **values)


def _check(key: str, value: Any, models_dir: Path | None, field: str) -> Any:
    if key == "sd_model_checkpoint":
        from pixref.engine.models import find_checkpoint

        if not isinstance(value, str) or not value.strip():
            raise OptionError(f"`{field}.sd_model_checkpoint` must be a checkpoint title or name")
        return str(find_checkpoint(value, models_dir=models_dir))
    if key == "sd_vae":
        if value in (None, "", "Automatic", "None"):
            return value or "Automatic"
        from pixref.engine.models import find_vae

        find_vae(str(value), models_dir=models_dir)  # raises ModelLoadError when missing
        return str(value)
    if key in ("CLIP_stop_at_last_layers", "eta_noise_seed_delta"):
        number = _integer(key, value, field)
        if key == "CLIP_stop_at_last_layers" and not 1 <= number <= 12:
            raise OptionError(f"`{field}.{key}` must be within 1-12, got {number}")
        return number
    if key == "randn_source":
        text = str(value).upper()
        if text not in RNG_SOURCES:
            raise OptionError(
                f"`{field}.randn_source` must be one of {', '.join(RNG_SOURCES)}, got {value!r} "
                "(NV is not implemented yet)"
            )
        return text
    if str(value).lower() != "png":  # samples_format
        raise OptionError(
            f"`{field}.samples_format` must be png (pixref writes PNG), got {value!r}"
        )
    return "png"


def _integer(key: str, value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise OptionError(f"`{field}.{key}` must be a whole number, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise OptionError(f"`{field}.{key}` must be a whole number, got {value!r}") from None
    if not number.is_integer():
        raise OptionError(f"`{field}.{key}` must be a whole number, got {value!r}")
    return int(number)
