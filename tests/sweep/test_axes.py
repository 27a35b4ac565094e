"""Axis names and A1111's value syntax (``scripts/xyz_grid.py``), valid and invalid."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pixref.params import ControlNetUnit, GenerationParams, Hires, PixrefError
from pixref.sweep import SweepError, parse_axis

BASE = GenerationParams(
    prompt="a cat in a hat <lora:pixel:0.7>",
    negative_prompt="blurry cat",
    hires=Hires(),
    refiner="sdxl_refiner",
    refiner_switch_at=0.8,
)


@pytest.mark.parametrize(
    ("spec", "values"),
    [
        ("steps=20, 30,40", (20, 30, 40)),
        ("steps=1-5", (1, 2, 3, 4, 5)),
        ("steps=1-5 (+2)", (1, 3, 5)),
        ("steps=10-5 (-3)", (10, 7)),
        ("steps=1-10 [5]", (1, 3, 5, 7, 10)),  # int(linspace): truncated, not rounded
        ("cfg=7-9 [3]", (7, 8, 9)),
        ("cfg=1-3 (+0.5)", (1, 1.5, 2, 2.5, 3)),
        ("cfg=0.1-0.3 (+0.1)", (0.1, 0.2, 0.3)),
        ("cfg=3, 5.5, 7-8", (3, 5.5, 7, 8)),
        ("var strength=0-1 [3]", (0, 0.5, 1)),
        ("seed=1-3, 10", (1, 2, 3, 10)),
        ("clip skip=1-2", (1, 2)),
        ("width=64-128 (+32)", (64, 96, 128)),
        ("size=512x512, 512x768", ((512, 512), (512, 768))),
        ("sampler=euler a,DPM++ 2M", ("Euler a", "DPM++ 2M")),
        ("schedule type=karras, Automatic", ("Karras", "Automatic")),
        ('checkpoint="a, b",c', ("a, b", "c")),  # CSV quoting protects commas
        ("refiner switch=0.6-0.8 [2]", (0.6, 0.8)),
        ("denoising=0.3,0.7", (0.3, 0.7)),
    ],
)
def test_value_syntax(spec, values):
    assert parse_axis(spec, BASE).values == values


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("cfg", "CFG Scale"), ("CFG Scale", "CFG Scale"), ("cfg_scale", "CFG Scale"),
        ("Var. seed", "Var. seed"), ("variation seed", "Var. seed"),
        ("var strength", "Var. strength"), ("STEPS", "Steps"), ("Schedule type", "Schedule type"),
        ("denoising", "Denoising"), ("Checkpoint name", "Checkpoint name"), ("vae", "VAE"),
        ("Refiner switch at", "Refiner switch at"), ("Clip skip", "Clip skip"),
        ("lora weight", "LoRA weight"), ("Prompt S/R", "Prompt S/R"), ("weight:cat", "cat"),
    ],
)  # fmt: skip
def test_names_and_a1111_labels_case_insensitive(name, label):
    values = {"Prompt S/R": "cat,dog", "Checkpoint name": "a", "VAE": "v",
              "Schedule type": "Karras"}.get(label, "1")  # fmt: skip
    assert parse_axis(f"{name}={values}", BASE).name == label


def test_labels_follow_a1111():
    assert parse_axis("cfg=7,7.5", BASE).label(7) == "CFG Scale: 7"
    assert parse_axis("cfg=7,7.5", BASE).label(7.5) == "CFG Scale: 7.5"
    assert parse_axis("sampler=Euler a", BASE).label("Euler a") == "Euler a"
    assert parse_axis("prompt s/r=cat,dog", BASE).label("dog") == "dog"
    assert parse_axis("checkpoint=m/sd15.safetensors", BASE).label("m/sd15.safetensors") == (
        "sd15.safetensors"
    )
    assert parse_axis("size=64x96", BASE).label((64, 96)) == "Size: 64x96"


def test_random_seeds_fixed_once_per_sweep_unless_kept():
    axis = parse_axis("seed=-1,-1,5", BASE)
    assert axis.values[2] == 5 and all(v >= 0 for v in axis.values)
    assert parse_axis("var seed=-1", BASE, keep_random_seeds=True).values == (-1,)


def test_prompt_sr_replaces_in_prompt_and_negative():
    axis = parse_axis("Prompt S/R=cat,dog", BASE)
    p = axis.apply(BASE, "dog")
    assert (p.prompt, p.negative_prompt) == ("a dog in a hat <lora:pixel:0.7>", "blurry dog")
    assert axis.apply(BASE, "cat") == BASE  # the first cell is the prompt unchanged


def test_term_weight_and_lora_weight():
    p = parse_axis("weight:cat=0.8,1.2", BASE).apply(BASE, 1.2)
    assert p.prompt == "a (cat:1.2) in a hat <lora:pixel:0.7>"
    p = parse_axis("lora weight=0.5,1", BASE).apply(BASE, 1)
    assert p.prompt == "a cat in a hat <lora:pixel:1>"
    p = parse_axis("lora weight:pixel=0.25", BASE).apply(BASE, 0.25)
    assert p.prompt == "a cat in a hat <lora:pixel:0.25>"


def test_controlnet_weight_sets_every_unit():
    base = BASE.replace(controlnets=(ControlNetUnit(), ControlNetUnit(weight=0.5)))
    p = parse_axis("controlnet weight=0.3", base).apply(base, 0.3)
    assert [u.weight for u in p.controlnets] == [0.3, 0.3]


def test_resolved_spec_round_trips():
    axis = parse_axis('checkpoint="a, b",c', BASE)
    assert parse_axis(axis.resolved_spec(), BASE).values == axis.values
    seeds = parse_axis("seed=-1", BASE)
    assert parse_axis(seeds.resolved_spec(), BASE).values == seeds.values


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("cfg", "NAME=VALUES"),
        ("cfg=", "no values"),
        ("=3", "NAME=VALUES"),
        ("colour=3", "unknown axis `colour`"),
        ("steps=7.5", "whole numbers"),
        ("steps=ten", "not a number"),
        ("steps=0", "outside 1-1000"),
        ("cfg=-1", "outside 0-100"),
        ("var strength=1.5", "outside 0-1"),
        ("steps=1-5 (2)", "not a number"),  # A1111: the step's sign is mandatory
        ("steps=1-5 (-1)", "never reaches"),
        ("steps=1-5 [0]", "n of 1 or more"),
        ("cfg=3,,5", "empty value"),
        ("sampler=Euler z", "unknown sampler"),
        ("schedule=wobbly", "unknown schedule type"),
        ("size=512", "WIDTHxHEIGHT"),
        ("size=4x4", "at least 8x8"),
        ("Prompt S/R=dog,cat", "did not find 'dog'"),
        ("weight:dog=1,2", "'dog' does not occur"),
        ("weight:=1", "needs a term"),
        ("lora weight:other=1", "no <lora:other"),
        ("controlnet weight=1", "no ControlNet unit"),
        ("steps=1-100000", "at most 10000"),
    ],
)
def test_invalid_values_raise_one_line_sweep_error(spec, match):
    with pytest.raises(SweepError, match=match) as info:
        parse_axis(spec, BASE)
    assert isinstance(info.value, PixrefError) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("spec", "match"),
    [("denoising=0.5", "hires fix"), ("refiner switch=0.5", "needs a refiner")],
)
def test_axes_that_need_a_feature_turned_on(spec, match):
    with pytest.raises(SweepError, match=match):
        parse_axis(spec, GenerationParams(prompt="a cat"))


def test_lora_weight_needs_a_lora_tag():
    with pytest.raises(SweepError, match="no <lora:NAME:WEIGHT>"):
        parse_axis("lora weight=1", GenerationParams(prompt="a cat"))


def test_sweep_parsing_is_torch_free():
    code = "import sys; sys.modules['torch'] = None\nimport pixref.sweep, pixref.cli.sweep\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
