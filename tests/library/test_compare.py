import shlex

import pytest

from pixref.infotext import format_infotext
from pixref.library import (
    Kind,
    LibraryError,
    diff,
    flatten,
    format_word_diff,
    similar,
    txt2img_command,
    unsupported_flags,
    word_diff,
)
from pixref.params import Hires

from .conftest import params, unique_png


def test_word_diff_marks_moved_words():
    parts = word_diff("a cute kitty wearing a hat", "a cute puppy wearing a big hat")
    assert format_word_diff(parts) == "a cute [-kitty-] {+puppy+} wearing a {+big+} hat"
    assert word_diff("same", "same") == [("=", "same")]


def test_flatten_treats_size_as_one_slider_and_skips_run_fields():
    f = flatten(params(hires=Hires(upscale=2), batch_count=4, version="v1.9.0"))
    assert f["size"] == "512x512" and "width" not in f
    assert f["hires.upscale"] == 2
    assert "batch_count" not in f and "version" not in f


def test_diff_lists_the_sliders_that_moved(lib):
    a = lib.add(unique_png(), params=params())
    b = lib.add(
        unique_png(),
        params=params(
            cfg_scale=8, steps=30, width=1032, height=1032, prompt="a cute kitty wearing a red hat"
        ),
    )
    d = diff(lib, a.id, b.id)
    assert {c.name: (c.a, c.b) for c in d.changes} == {
        "prompt": ("a cute kitty wearing a hat", "a cute kitty wearing a red hat"),
        "steps": (20, 30),
        "cfg_scale": (7, 8),
        "size": ("512x512", "1032x1032"),
    }
    assert d.to_dict()["prompt"] == "a cute kitty wearing a {+red+} hat"
    assert diff(lib, a.id, a.id).changes == []


def test_cfg_7_and_7_0_are_the_same_position(lib):
    a = lib.add(unique_png(), params=params(cfg_scale=7))
    b = lib.add(unique_png(), params=params(cfg_scale=7.0))
    assert diff(lib, a.id, b.id).changes == []


def test_similar_groups_single_parameter_neighbours(lib):
    base = lib.add(unique_png(), params=params())
    cfg8 = lib.add(unique_png(), params=params(cfg_scale=8))
    cfg6 = lib.add(unique_png(), params=params(cfg_scale=6))
    steps = lib.add(unique_png(), params=params(steps=30))
    seed = lib.add(unique_png(), params=params(variation_seed=3034059467, variation_strength=0.5))
    lib.add(unique_png(), params=params(cfg_scale=8, steps=30))  # two sliders: not similar
    lib.add(unique_png(), params=params(refiner="anythingV3_fp16", refiner_switch_at=0.33))
    neg = lib.add(unique_png(), params=params(negative_prompt=""))
    lib.add(unique_png(), kind=Kind.pixelized)  # no parameters
    trashed = lib.add(unique_png(), params=params(cfg_scale=9))
    lib.trash([trashed.id])
    groups = similar(lib, base.id)
    assert {k: [e.id for e, _ in v] for k, v in groups.items()} == {
        "cfg_scale": [cfg6.id, cfg8.id],
        "negative_prompt": [neg.id],
        "steps": [steps.id],
    }
    assert seed.id not in [e.id for v in groups.values() for e, _ in v]  # two fields moved
    assert groups["cfg_scale"][0][1].a == 7 and groups["cfg_scale"][0][1].b == 6


def test_compare_needs_parameters(lib):
    plain = lib.add(unique_png(), kind=Kind.import_, generator=None)
    other = lib.add(unique_png(), params=params())
    with pytest.raises(LibraryError, match="no generation parameters"):
        diff(lib, plain.id, other.id)
    with pytest.raises(LibraryError, match="no generation parameters"):
        similar(lib, plain.id)


def test_recall_command_carries_every_slider():
    p = params(
        prompt="tiny fairy, 'quoted' [cat:dog:10]",
        schedule_type="Karras",
        variation_seed=3034059467,
        variation_strength=0.5,
        clip_skip=2,
        rng="CPU",
        seed_resize_from=(512, 768),
        refiner="anythingV3_fp16",
        refiner_switch_at=0.33,
    )
    argv = shlex.split(txt2img_command(p))
    assert argv[:3] == ["pixref", "txt2img", "tiny fairy, 'quoted' [cat:dog:10]"]
    opts = dict(zip(argv[3::2], argv[4::2], strict=True))
    assert opts == {
        "-n": "visible ears",
        "--steps": "20",
        "--sampler": "Euler a",
        "--schedule": "Karras",
        "--cfg": "7",
        "--seed": "1882829984",
        "--size": "512x512",
        "--model": "juggernautXL_v7Rundiffusion",
        "--clip-skip": "2",
        "--variation-seed": "3034059467",
        "--variation-strength": "0.5",
        "--seed-resize-from": "512x768",
        "--rng": "cpu",
    }
    assert unsupported_flags(p) == ["refiner"]


def test_add_formats_infotext_from_params(lib):
    p = params()
    e = lib.add(unique_png(), params=p)
    assert e.infotext == format_infotext(p)
