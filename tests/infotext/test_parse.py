"""Reading infotext the way A1111 and its forks write it."""

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pixref.infotext import (
    MAX_INFOTEXT_CHARS,
    InfotextError,
    format_infotext,
    parse_infotext,
    quote,
    split_sampler_name,
    unquote,
)
from pixref.params import ControlNetUnit, GenerationParams

LINE = "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 5, Size: 512x768"


def test_prompt_negative_and_values():
    p = parse_infotext(f"a cat\nNegative prompt: dog\n{LINE}")
    assert (p.prompt, p.negative_prompt) == ("a cat", "dog")
    assert (p.steps, p.sampler, p.cfg_scale, p.seed, p.width, p.height) == (
        20, "Euler a", 7, 5, 512, 768,
    )  # fmt: skip
    assert isinstance(p.cfg_scale, int)
    assert p.schedule_type is None  # written before A1111 1.9: no schedule type


def test_multiline_prompt_and_negative_with_crlf():
    text = f"line one,\r\nline two\r\nNegative prompt: bad,\r\nworse\r\n{LINE}\r\n"
    p = parse_infotext(text)
    assert p.prompt == "line one,\nline two"
    assert p.negative_prompt == "bad,\nworse"


def test_only_the_first_negative_line_switches():
    p = parse_infotext(f"a\nNegative prompt: b\nNegative prompt: c\n{LINE}")
    assert p.negative_prompt == "b\nNegative prompt: c"


@pytest.mark.parametrize(
    ("written", "sampler", "schedule"),
    [
        ("DPM++ 2M Karras", "DPM++ 2M", "Karras"),
        ("DPM++ SDE Karras", "DPM++ SDE", "Karras"),
        ("DPM++ 2M SDE Exponential", "DPM++ 2M SDE", "Exponential"),
        ("Euler a", "Euler a", None),
        ("k_euler_a", "Euler a", None),
        ("euler_ancestral", "Euler a", None),
        ("dpmpp_2m_sgm_uniform", "DPM++ 2M", "SGM Uniform"),
        ("euler_simple", "Euler", "Simple"),
        ("My Sampler", "My Sampler", None),
    ],
)
def test_sampler_names_split_like_a1111(written, sampler, schedule):
    assert split_sampler_name(written) == (sampler, schedule)


def test_legacy_combined_sampler_fills_schedule_type():
    p = parse_infotext("x\nSteps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1, Size: 8x8")
    assert (p.sampler, p.schedule_type) == ("DPM++ 2M", "Karras")


def test_explicit_schedule_type_wins_over_legacy_name():
    p = parse_infotext(
        "x\nSteps: 20, Sampler: DPM++ 2M Karras, Schedule type: Exponential, CFG scale: 7, "
        "Seed: 1, Size: 8x8"
    )
    assert p.schedule_type == "Exponential"


def test_unknown_keys_kept_in_order_before_version():
    text = (
        "x\nSteps: 20, Sampler: Euler, Schedule type: Automatic, CFG scale: 7, Seed: 1, "
        'Size: 8x8, Zeta: 1, Alpha: "a, b", Version: v1.10.1'
    )
    p = parse_infotext(text)
    assert p.extra == (("Zeta", "1"), ("Alpha", "a, b"))
    assert format_infotext(p) == text


def test_forge_and_adetailer_keys(shared_data):
    text = (shared_data / "metadata" / "infotext_forge-neo-adetailer.txt").read_text("utf-8")
    p = parse_infotext(text)
    assert (p.steps, p.sampler, p.cfg_scale, p.seed, p.rng) == (24, "Euler a", 4, 4179307297, "CPU")
    assert p.model == "waiNSFWIllustrious_v140" and p.model_hash == "c9b4dab236"
    assert p.extra_value("ADetailer model") == "face_yolov8n.pt"
    assert p.extra_value("ADetailer inpaint only masked") == "True"
    assert p.version == "neo-2.28"


def test_comfy_image_saver_text(shared_data):
    text = (shared_data / "metadata" / "infotext_comfyui-comfy-image-saver.txt").read_text("utf-8")
    p = parse_infotext(text)
    # "CFG Scale" (capital S) and "euler_simple" are that node's spellings.
    assert (p.sampler, p.schedule_type, p.cfg_scale, p.seed, p.steps) == (
        "Euler", "Simple", 8.0, 0, 20,
    )  # fmt: skip


def test_controlnet_units_and_old_flat_keys():
    unit = ControlNetUnit(module="openpose", model="control_sd15_openpose [fef5e48e]", weight=0.6)
    p = GenerationParams(prompt="x", controlnets=(unit, unit))
    text = format_infotext(p)
    assert (
        'ControlNet 0: "Module: openpose, Model: control_sd15_openpose [fef5e48e], Weight: 0.6,'
        in text
    )
    assert "ControlNet 1: " in text
    old = (
        "x\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 8x8, ControlNet Enabled: True, "
        "ControlNet Module: openpose, ControlNet Model: control_sd15_openpose [fef5e48e], "
        "ControlNet Weight: 1, ControlNet Guidance Start: 0, ControlNet Guidance End: 1"
    )
    (unit,) = parse_infotext(old).controlnets
    assert (unit.module, unit.model, unit.weight, unit.guidance_end) == (
        "openpose", "control_sd15_openpose [fef5e48e]", 1, 1,
    )  # fmt: skip


def test_hires_and_inpaint_keys():
    p = parse_infotext(
        "x\nSteps: 20, Sampler: Euler, Schedule type: Automatic, CFG scale: 7, Seed: 1, "
        "Size: 512x512, Denoising strength: 0.5, Hires resize: 1024x1536, Hires steps: 10, "
        "Hires upscaler: R-ESRGAN 4x+"
    )
    assert p.hires.resize == (1024, 1536) and p.hires.upscale is None
    assert (p.hires.steps, p.hires.upscaler, p.denoising_strength) == (10, "R-ESRGAN 4x+", 0.5)
    q = parse_infotext(
        "x\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 8x8, Mask mode: Inpaint not "
        "masked, Mask blur: 8, Inpaint area: Only masked, Masked area padding: 0, Masked "
        "content: fill"
    )
    assert q.inpaint.invert and q.inpaint.only_masked
    assert (q.inpaint.mask_blur, q.inpaint.padding, q.inpaint.masked_content) == (8, 0, "fill")


def test_quote_follows_a1111():
    assert quote("plain") == "plain"
    assert quote("a, b") == '"a, b"'
    assert quote("k: v") == '"k: v"'
    assert quote("a\nb") == '"a\\nb"'
    assert quote("日本") == "日本"
    assert quote(7.0) == "7.0"
    assert unquote('"a, b"') == "a, b"
    assert unquote('"broken') == '"broken'
    assert unquote('"') == '"'


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("just a prompt, no parameters", "no generation parameters"),
        ("", "no generation parameters"),
        ("x\nSteps: many, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 8x8", "Steps"),
        ("x\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: big", "Size"),
        ("x\nSteps: 20, Sampler: Euler, CFG scale: seven, Seed: 1, Size: 8x8", "CFG scale"),
        ("bin\x00ary\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 8x8", "binary"),
        ('x\nSteps: 20, Sampler: Euler, ControlNet 0: "no label here", Seed: 1', "ControlNet"),
    ],
)
def test_bad_infotext_gives_one_line_error(text, match):
    with pytest.raises(InfotextError, match=match) as info:
        parse_infotext(text)
    assert "\n" not in str(info.value)


def test_unbalanced_quotes_do_not_break_parsing():
    p = parse_infotext(
        'x\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 8x8, Model: "half'
    )
    assert p.model == '"half'


def test_huge_infotext_is_refused():
    with pytest.raises(InfotextError, match="limit"):
        parse_infotext("a" * (MAX_INFOTEXT_CHARS + 1))


def test_hostile_long_line_does_not_hang():
    # A1111's regex is quadratic on a long run of key characters with no colon.
    hostile = "a" * 400_000 + "\n" + "b " * 200_000
    start = time.perf_counter()
    with pytest.raises(InfotextError):
        parse_infotext(hostile)
    assert time.perf_counter() - start < 2.0


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_parse_never_raises_anything_but_infotext_error(text):
    try:
        parse_infotext(text)
    except InfotextError:
        pass
