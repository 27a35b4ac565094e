"""Hypothesis strategies for generation parameters that A1111 infotext can express."""

from hypothesis import strategies as st

from pixref.infotext import KEY_ORDER, SAMPLERS, SCHEDULES
from pixref.params import ControlNetUnit, GenerationParams, Hires, Inpaint

_printable = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))
# A value A1111 can write and read back: no surrounding white space, one line.
value_text = st.text(_printable, min_size=1, max_size=30).map(str.strip).filter(bool)
# ControlNet unit values may not hold ',' or ':' (the extension refuses to write them).
unit_text = value_text.filter(lambda s: "," not in s and ":" not in s)
number = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)
fraction = st.floats(0, 1, allow_nan=False)
size_pair = st.tuples(st.integers(1, 4096), st.integers(1, 4096))


def _prompt_line(s: str) -> bool:
    return not s.startswith("Negative prompt:")


prompt_text = (
    st.lists(st.text(_printable, max_size=40).filter(_prompt_line), min_size=1, max_size=3)
    .map("\n".join)
    .map(str.lstrip)
)
key_text = (
    st.from_regex(r"[A-Za-z][A-Za-z0-9 _\-/]{1,20}", fullmatch=True)
    .map(str.strip)
    .filter(lambda k: len(k) >= 2)
)

controlnet_unit = st.builds(
    ControlNetUnit,
    module=unit_text,
    model=unit_text,
    weight=number,
    resize_mode=unit_text,
    processor_res=number,
    threshold_a=number,
    threshold_b=number,
    guidance_start=fraction,
    guidance_end=fraction,
    pixel_perfect=st.booleans(),
    control_mode=unit_text,
)


@st.composite
def hires(draw):
    by_size = draw(st.booleans())
    return Hires(
        upscale=None if by_size else draw(number),
        resize=draw(size_pair) if by_size else None,
        steps=draw(st.integers(0, 150)),
        upscaler=draw(st.none() | value_text),
        sampler=draw(st.none() | st.sampled_from(sorted(SAMPLERS))),
        schedule_type=draw(st.none() | st.sampled_from(sorted(SCHEDULES))),
        checkpoint=draw(st.none() | value_text),
        prompt=draw(st.none() | value_text),
        negative_prompt=draw(st.none() | value_text),
    )


def _writes_a_key(m: Inpaint) -> bool:
    # With blur 0, whole picture, not inverted and original content A1111 writes no inpaint
    # key at all, so such a record reads back as plain img2img.
    return bool(m.mask_blur or m.invert or m.only_masked or m.masked_content != "original")


@st.composite
def _inpaint(draw):
    only_masked = draw(st.booleans())
    return Inpaint(
        mask_blur=draw(st.integers(0, 64)),
        invert=draw(st.booleans()),
        only_masked=only_masked,
        # A1111 writes the padding only for "Only masked"; the parser assumes 32.
        padding=draw(st.integers(0, 256)) if only_masked else 32,
        masked_content=draw(
            st.sampled_from(["fill", "original", "latent noise", "latent nothing"])
        ),
    )


inpaint = _inpaint().filter(_writes_a_key)


_MODELLED_KEYS = {
    "steps", "sampler", "schedule type", "cfg scale", "seed", "size", "model hash", "model",
    "vae hash", "vae", "variation seed", "variation seed strength", "seed resize from",
    "denoising strength", "clip skip", "ensd", "rng", "eta", "refiner", "refiner switch at",
    "version", "lora hashes", "mask blur", "mask mode", "inpaint area", "masked area padding",
    "masked content",
}  # fmt: skip


_SLOTTED = {key.lower() for key in KEY_ORDER}


def _free_key(key: str) -> bool:
    """A key pixref keeps in ``extra`` and writes in the unknown-key slot."""
    low = key.lower()
    taken = low in _MODELLED_KEYS or low in _SLOTTED
    return not taken and not low.startswith(("hires ", "controlnet"))


@st.composite
def generation_params(draw):
    extra_keys = draw(st.lists(key_text.filter(_free_key), max_size=4, unique_by=str.lower))
    return GenerationParams(
        prompt=draw(prompt_text),
        negative_prompt=draw(st.just("") | prompt_text),
        steps=draw(st.integers(1, 150)),
        sampler=draw(st.sampled_from(sorted(SAMPLERS))),
        schedule_type=draw(st.none() | st.sampled_from(sorted(SCHEDULES))),
        cfg_scale=draw(number),
        seed=draw(st.integers(-(2**63), 2**63)),
        variation_seed=draw(st.none() | st.integers(0, 2**32)),
        variation_strength=draw(st.none() | fraction),
        seed_resize_from=draw(st.none() | size_pair),
        width=draw(st.integers(8, 4096)),
        height=draw(st.integers(8, 4096)),
        model=draw(st.none() | value_text),
        model_hash=draw(st.none() | st.from_regex(r"[0-9a-f]{10}", fullmatch=True)),
        vae=draw(st.none() | value_text),
        vae_hash=draw(st.none() | st.from_regex(r"[0-9a-f]{10}", fullmatch=True)),
        clip_skip=draw(st.integers(1, 12)),
        denoising_strength=draw(st.none() | fraction),
        inpaint=draw(st.none() | inpaint),
        refiner=draw(st.none() | value_text),
        refiner_switch_at=draw(st.none() | fraction),
        controlnets=tuple(draw(st.lists(controlnet_unit, max_size=2))),
        hires=draw(st.none() | hires()),
        lora_hashes=tuple(
            draw(
                st.lists(
                    st.tuples(
                        unit_text.filter(lambda s: s == s.strip()),
                        st.from_regex(r"[0-9a-f]{12}", fullmatch=True),
                    ),
                    max_size=3,
                )
            )
        ),
        rng=draw(st.sampled_from(["GPU", "CPU", "NV"])),
        eta=draw(st.none() | fraction),
        ensd=draw(st.integers(0, 10**6)),
        version=draw(st.none() | value_text),
        extra=tuple((k, draw(value_text)) for k in extra_keys),
    )
