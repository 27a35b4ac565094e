"""Infotext round trips: A1111's own texts, and any parameters pixref can hold."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pixref.infotext import format_infotext, parse_infotext, split_params_line
from pixref.metadata import read_metadata

from .strategies import generation_params

# Published A1111 v1.10 infotexts (a1111-compat.md §1.5): three real, two composed from its rules.
A1111_TEXTS = [
    "a cute kitty wearing a hat\nNegative prompt: visible ears\nSteps: 20, Sampler: Euler a, "
    "Schedule type: Automatic, CFG scale: 7, Seed: 1882829984, Size: 1024x1024, Model hash: "
    "0724518c6b, Model: juggernautXL_v7Rundiffusion, Version: v1.9.0",
    "a cute kitty wearing a hat\nNegative prompt: visible ears\nSteps: 30, Sampler: DPM++ 2M, "
    "Schedule type: Karras, CFG scale: 7.0, Seed: 1882829984, Size: 512x768, Model hash: "
    "6ce0161689, Model: v1-5-pruned-emaonly, VAE hash: 235745af8d, VAE: "
    "vae-ft-mse-840000-ema-pruned.safetensors, Variation seed: 3034059467, Variation seed "
    'strength: 0.5, ControlNet 0: "Module: openpose_full, Model: control_v11p_sd15_openpose '
    "[cab727d4], Weight: 0.6, Resize Mode: Crop and Resize, Processor Res: 512, Threshold A: "
    "0.5, Threshold B: 0.5, Guidance Start: 0.0, Guidance End: 1.0, Pixel Perfect: False, "
    'Control Mode: Balanced", Lora hashes: "pixelart: 0a8a6d1c9f2b", Refiner: anythingV3_fp16 '
    "[812cd9f9d9], Refiner switch at: 0.33, Version: v1.10.1",
    "tiny fairy riding a dragonfly, (pixel art:1.2), [blurry]\nNegative prompt: lowres, "
    "watermark\nSteps: 20, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7, Seed: 42, "
    "Size: 512x768, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Denoising strength: "
    "0.75, Clip skip: 2, ENSD: 31337, Mask blur: 4, Inpaint area: Only masked, Masked area "
    "padding: 32, Masked content: latent noise, Version: v1.10.1",
    "castle\nSteps: 24, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 4.0, Seed: "
    "-353763303, Face restoration: CodeFormer, Size: 1216x832, Model hash: 31e35c80fc, Model: "
    "sd_xl_base_1.0, RNG: NV, Refiner: sd_xl_refiner_1.0 [7440042bbd], Refiner switch at: 0.7, "
    "Version: v1.10.1",
    "a knight\nSteps: 30, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 123, "
    "Size: 512x768, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Denoising strength: 0.5, "
    "Hires upscale: 2, Hires steps: 15, Hires upscaler: Latent, Version: v1.10.1",
]


@pytest.mark.parametrize("text", A1111_TEXTS)
def test_a1111_published_texts_round_trip(text):
    assert format_infotext(parse_infotext(text)) == text


A1111_FILES = ["infotext_a1111_sd-webui.txt"]
A1111_PNGS = ["a1111_cropped.png", "a1111_stealth_64x64.png"]


@pytest.mark.parametrize("name", A1111_FILES)
def test_a1111_written_text_files_round_trip(shared_data, name):
    text = (shared_data / "metadata" / name).read_text(encoding="utf-8")
    assert format_infotext(parse_infotext(text)) == text


@pytest.mark.parametrize("name", A1111_PNGS)
def test_a1111_written_pngs_round_trip(shared_data, name):
    meta = read_metadata(shared_data / "metadata" / name)
    assert meta.generator == "A1111"
    assert format_infotext(meta.params) == meta.infotext


@settings(max_examples=300, deadline=None)
@given(generation_params())
def test_parse_of_format_is_identity(params):
    assert parse_infotext(format_infotext(params)) == params


# A1111's own parameter regex (modules/infotext_utils.py) is the oracle for the scanner.
RE_PARAM = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet='ab :,"\\ -/_\t1', max_size=60))
def test_params_scanner_matches_a1111_regex(line):
    assert split_params_line(line) == RE_PARAM.findall(line)


def test_params_scanner_matches_a1111_regex_on_real_lines():
    for text in A1111_TEXTS:
        line = text.split("\n")[-1]
        assert split_params_line(line) == RE_PARAM.findall(line)
