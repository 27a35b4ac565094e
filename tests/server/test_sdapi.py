"""A1111's /sdapi/v1 on the tiny SD 1.x model: request fields, response shapes, errors.

Oracles are A1111's documented behaviour (a1111-compat §7): seeds increment per image
unless a variation strength is set, ``parameters`` echoes the request (seed stays -1),
``info`` is ``Processed.js()``, images carry their infotext in the PNG.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import time

import numpy as np
import pytest
from PIL import Image

from pixref.infotext import parse_infotext

SMALL = {"width": 64, "height": 64, "steps": 3, "prompt": "a pixel knight", "cfg_scale": 7}


def b64png(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def decode(text: str) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(text)))
    image.load()
    return image


def pixels(text: str) -> np.ndarray:
    return np.asarray(decode(text).convert("RGB"))


def txt2img(client, **fields):
    response = client.post("/sdapi/v1/txt2img", json={**SMALL, **fields})
    assert response.status_code == 200, response.text
    data = response.json()
    return data, json.loads(data["info"])


def assert_same_image(single: np.ndarray, batched: np.ndarray) -> None:
    """An image made alone equals the one made in a batch with its seed, up to the
    rounding a different batch size brings to convolution kernels: at most 1 of 255 on
    CPU float32, 2 on an H100 in float16 (A1111 has the same, a1111-compat §8.1)."""
    diff = np.abs(single.astype(int) - batched.astype(int))
    assert diff.max() <= 3 and diff.mean() < 0.5


def noise_image(seed=0, size=64) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8))


# --- txt2img ----------------------------------------------------------------------------------


def test_txt2img_seeds_batches_and_infotext(sd_client):
    data, info = txt2img(sd_client, seed=123, batch_size=2, n_iter=2, sampler_name="Euler")
    assert len(data["images"]) == 4
    assert info["all_seeds"] == [123, 124, 125, 126] and info["seed"] == 123
    assert info["sd_model_name"] == "tiny" and len(info["sd_model_hash"]) == 10
    assert info["sampler_name"] == "Euler" and info["batch_size"] == 2
    assert info["index_of_first_image"] == 0 and len(info["infotexts"]) == 4
    assert data["parameters"]["seed"] == 123 and data["parameters"]["n_iter"] == 2
    for i, text in enumerate(data["images"]):
        image = decode(text)
        assert image.size == (64, 64)
        p = parse_infotext(image.info["parameters"])
        assert image.info["parameters"] == info["infotexts"][i]
        assert (p.seed, p.steps, p.sampler, p.width, p.height) == (123 + i, 3, "Euler", 64, 64)
        assert p.cfg_scale == 7.0 and p.prompt == "a pixel knight"  # float, as A1111's API
        assert p.model == "tiny" and p.model_hash == info["sd_model_hash"]
    again, _ = txt2img(sd_client, seed=124, sampler_name="Euler")
    single = pixels(again["images"][0])
    assert_same_image(single, pixels(data["images"][1]))
    repeat, _ = txt2img(sd_client, seed=124, sampler_name="Euler")
    assert np.array_equal(pixels(repeat["images"][0]), single)


def test_random_seed_is_resolved_but_echoed_as_minus_one(sd_client):
    data, info = txt2img(sd_client, steps=1, batch_size=2)
    assert data["parameters"]["seed"] == -1
    first = info["all_seeds"][0]
    assert isinstance(first, int) and 0 <= first < 4294967294
    assert info["all_seeds"] == [first, first + 1]
    assert parse_infotext(info["infotexts"][1]).seed == first + 1


def test_variation_seed(sd_client):
    plain, _ = txt2img(sd_client, seed=5, steps=2, sampler_name="Euler")
    data, info = txt2img(
        sd_client, seed=5, steps=2, sampler_name="Euler", subseed=77, subseed_strength=0.3,
        batch_size=2,
    )  # fmt: skip
    assert info["all_seeds"] == [5, 5] and info["all_subseeds"] == [77, 78]
    p = parse_infotext(info["infotexts"][1])
    assert (p.seed, p.variation_seed, p.variation_strength) == (5, 78, 0.3)
    assert not np.array_equal(pixels(data["images"][0]), pixels(plain["images"][0]))
    same, _ = txt2img(
        sd_client, seed=5, steps=2, sampler_name="Euler", subseed=77, subseed_strength=0.3
    )
    assert_same_image(pixels(same["images"][0]), pixels(data["images"][0]))


@pytest.mark.parametrize(
    ("fields", "sampler", "schedule"),
    [
        ({}, "Euler", "Automatic"),  # the API's sampler_index default
        ({"sampler_name": "DPM++ 2M Karras"}, "DPM++ 2M", "Karras"),  # pre-1.9 name
        ({"sampler_name": "Euler a", "scheduler": "automatic"}, "Euler a", "Automatic"),
        ({"sampler_name": "k_dpmpp_2m", "scheduler": "exponential"}, "DPM++ 2M", "Exponential"),
        ({"sampler_index": "Heun", "sampler_name": None}, "Heun", "Automatic"),
    ],
)
def test_sampler_and_scheduler_names(sd_client, fields, sampler, schedule):
    _, info = txt2img(sd_client, steps=1, seed=1, **fields)
    p = parse_infotext(info["infotexts"][0])
    assert (p.sampler, p.schedule_type) == (sampler, schedule)
    assert info["sampler_name"] == sampler


def test_size_is_honoured_and_rounded_as_a1111(sd_client):
    data, info = txt2img(sd_client, steps=1, width=72, height=44)
    assert decode(data["images"][0]).size == (72, 40)
    assert any("not a multiple of 8" in w for w in info["warnings"])


def test_unknown_sampler_is_a_400(sd_client):
    response = sd_client.post("/sdapi/v1/txt2img", json={**SMALL, "sampler_name": "Nope a"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Sampler not found")
    bad = sd_client.post("/sdapi/v1/txt2img", json={**SMALL, "scheduler": "Wobbly"})
    assert bad.status_code == 400 and "`scheduler`" in bad.json()["detail"]


def test_infotext_fills_the_fields_not_given(sd_client):
    text = "a red fox\nNegative prompt: blurry\nSteps: 9, Sampler: Euler, CFG scale: 5, Seed: 42, Size: 64x64, Clip skip: 2"  # noqa: E501
    data, info = txt2img(sd_client, infotext=text, steps=2, prompt="a blue fox", cfg_scale=7)
    p = parse_infotext(info["infotexts"][0])
    assert (p.prompt, p.negative_prompt, p.steps, p.seed) == ("a blue fox", "blurry", 2, 42)
    assert (p.sampler, p.clip_skip, p.cfg_scale) == ("Euler", 2, 7.0)
    assert data["parameters"]["seed"] == 42  # the echo shows the request after the infotext


def test_overrides_hires_and_ignored_fields(sd_client):
    data, info = txt2img(
        sd_client, steps=2, seed=3, restore_faces=True, enable_hr=True, hr_scale=1.5,
        hr_second_pass_steps=1, denoising_strength=0.6, hr_upscaler="Latent (nearest)",
        override_settings={"CLIP_stop_at_last_layers": 2, "eta_noise_seed_delta": 31337},
        sampler_name="Euler a",
    )  # fmt: skip
    assert decode(data["images"][0]).size == (96, 96)
    p = parse_infotext(info["infotexts"][0])
    assert p.clip_skip == 2 and p.ensd == 31337 and p.hires.upscale == 1.5
    assert p.denoising_strength == 0.6 and p.hires.upscaler == "Latent (nearest)"
    assert any("restore_faces" in w for w in info["warnings"])
    # override_settings are per request (restored afterwards)
    assert sd_client.get("/sdapi/v1/options").json()["CLIP_stop_at_last_layers"] == 1


def test_refiner_fields(sd_client):
    [model] = sd_client.get("/sdapi/v1/sd-models").json()
    _, info = txt2img(
        sd_client, steps=4, seed=2, sampler_name="Euler", refiner_checkpoint=model["title"],
        refiner_switch_at=0.5,
    )  # fmt: skip
    p = parse_infotext(info["infotexts"][0])
    # A1111 records the refiner's short title: name without extension, then its hash
    assert p.refiner == f"tiny [{model['hash']}]" and p.refiner_switch_at == 0.5
    missing = sd_client.post(
        "/sdapi/v1/txt2img", json={**SMALL, "refiner_checkpoint": "nope", "refiner_switch_at": 0.8}
    )
    assert missing.status_code == 400 and "nope" in missing.json()["detail"]


def test_send_images_false_still_saves_and_logs(sd_client):
    from pixref.library import open_library

    data, info = txt2img(sd_client, steps=1, seed=11, batch_size=2, send_images=False)
    assert data["images"] == [] and info["all_seeds"] == [11, 12]
    with open_library() as lib:
        seeds = sorted(entry.params.seed for entry in lib.search())
    assert seeds == [11, 12]


def test_every_generated_image_is_in_the_library(sd_client):
    from pixref.library import open_library

    data, _ = txt2img(sd_client, steps=1, seed=20, n_iter=2)
    init = b64png(noise_image())
    response = sd_client.post(
        "/sdapi/v1/img2img", json={**SMALL, "steps": 2, "seed": 30, "init_images": [init]}
    )
    assert response.status_code == 200
    with open_library() as lib:
        entries = lib.search()
    assert sorted(e.params.seed for e in entries) == [20, 21, 30]
    returned = {base64.b64decode(t) for t in data["images"] + response.json()["images"]}
    assert returned == {entry.path.read_bytes() for entry in entries}
    ids = json.loads(data["info"])["pixref_entry_ids"]
    with open_library() as lib:
        assert [lib.get(i).params.seed for i in ids] == [20, 21]


# --- img2img and inpainting -------------------------------------------------------------------


def test_img2img(sd_client):
    init = noise_image(1)
    body = {
        **SMALL, "init_images": ["data:image/png;base64," + b64png(init)], "seed": 8,
        "denoising_strength": 0.5, "sampler_name": "Euler", "include_init_images": False,
    }  # fmt: skip
    response = sd_client.post("/sdapi/v1/img2img", json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    info = json.loads(data["info"])
    p = parse_infotext(info["infotexts"][0])
    assert (p.seed, p.denoising_strength, p.width, p.height) == (8, 0.5, 64, 64)
    assert data["parameters"]["init_images"] is None
    again = sd_client.post("/sdapi/v1/img2img", json={**body, "include_init_images": True})
    assert again.json()["parameters"]["init_images"] == body["init_images"]
    assert np.array_equal(pixels(again.json()["images"][0]), pixels(data["images"][0]))


def test_img2img_resize_modes(sd_client):
    wide = noise_image(2, size=96).resize((96, 48))
    for mode in (0, 1, 2):
        body = {**SMALL, "steps": 1, "init_images": [b64png(wide)], "resize_mode": mode}
        response = sd_client.post("/sdapi/v1/img2img", json=body)
        assert response.status_code == 200, response.text
        assert decode(response.json()["images"][0]).size == (64, 64)
    refused = sd_client.post(
        "/sdapi/v1/img2img", json={**SMALL, "init_images": [b64png(wide)], "resize_mode": 3}
    )
    assert refused.status_code == 400 and "resize_mode" in refused.json()["detail"]


@pytest.mark.parametrize("only_masked", [True, False])
def test_inpainting_keeps_unmasked_pixels(sd_client, only_masked):
    init = noise_image(3)
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (24, 24, 40, 40))
    body = {
        **SMALL, "seed": 4, "init_images": [b64png(init)], "mask": b64png(mask),
        "denoising_strength": 0.9, "inpaint_full_res": only_masked,
    }  # fmt: skip
    response = sd_client.post("/sdapi/v1/img2img", json=body)
    assert response.status_code == 200, response.text
    info = json.loads(response.json()["info"])
    out = pixels(response.json()["images"][0])
    original = np.asarray(init)
    # mask blur 4 reaches 10 px past the mask; further out the original comes back exactly
    far = np.ones((64, 64), bool)
    far[12:52, 12:52] = False
    assert np.array_equal(out[far], original[far])
    assert not np.array_equal(out[28:36, 28:36], original[28:36, 28:36])
    p = parse_infotext(info["infotexts"][0])
    assert p.inpaint.mask_blur == 4 and p.inpaint.masked_content == "fill"  # the API's defaults
    assert p.inpaint.only_masked is only_masked
    if only_masked:
        assert p.inpaint.padding == 0


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "message"),
    [
        ("not base64 at all!", "not valid base64"),
        (base64.b64encode(b"hello, not an image").decode(), "not an image"),
        ("", "must be a base64-encoded image"),
    ],
)
def test_bad_images_are_a_one_line_400(sd_client, image, message):
    response = sd_client.post("/sdapi/v1/img2img", json={**SMALL, "init_images": [image]})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert message in detail and "init_images[0]" in detail and "\n" not in detail


def test_images_over_the_pixel_limit_are_refused(make_client, tiny_sd_models):
    client = make_client(models_dir=tiny_sd_models.models_dir, max_image_pixels=32 * 32)
    response = client.post(
        "/sdapi/v1/img2img", json={**SMALL, "init_images": [b64png(noise_image())]}
    )
    assert response.status_code == 400 and "over the server's limit" in response.json()["detail"]
    info = client.post("/sdapi/v1/png-info", json={"image": b64png(noise_image())})
    assert info.status_code == 400


def test_no_checkpoint_is_a_503_and_the_rest_works(make_client, tmp_path):
    client = make_client(models_dir=tmp_path / "empty-models")
    response = client.post("/sdapi/v1/txt2img", json=SMALL)
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "no_checkpoint" and "Stable-diffusion" in body["detail"]
    assert client.get("/sdapi/v1/sd-models").json() == []
    assert client.get("/sdapi/v1/options").json()["sd_model_checkpoint"] is None
    assert client.get("/sdapi/v1/progress").json()["progress"] == 0
    assert client.get("/sdapi/v1/samplers").status_code == 200


# --- ControlNet -------------------------------------------------------------------------------


def test_controlnet_unit_from_alwayson_scripts(sd_client):
    assert sd_client.get("/controlnet/model_list").json()["model_list"] == ["tiny-controlnet"]
    control = Image.new("RGB", (64, 64), "black")
    control.paste((255, 255, 255), (16, 16, 48, 48))
    unit = {
        "image": b64png(control), "module": "none", "model": "tiny-controlnet", "weight": 0.8,
        "guidance_start": 0.0, "guidance_end": 0.5, "control_mode": 1, "enabled": True,
        "resize_mode": "Resize and Fill",
    }  # fmt: skip
    disabled = {**unit, "enabled": False}
    with_unit, info = txt2img(
        sd_client, seed=9, sampler_name="Euler",
        alwayson_scripts={"ControlNet": {"args": [unit, disabled]}},
    )  # fmt: skip
    p = parse_infotext(info["infotexts"][0])
    assert len(p.controlnets) == 1
    recorded = p.controlnets[0]
    assert recorded.model.startswith("tiny-controlnet") and recorded.weight == 0.8
    assert recorded.guidance_end == 0.5 and recorded.control_mode == "My prompt is more important"
    assert "ControlNet 0" in info["extra_generation_params"]
    plain, _ = txt2img(sd_client, seed=9, sampler_name="Euler")
    assert not np.array_equal(pixels(with_unit["images"][0]), pixels(plain["images"][0]))


def test_controlnet_preprocessors_are_refused_clearly(sd_client):
    unit = {"image": b64png(noise_image()), "module": "openpose", "model": "tiny-controlnet"}
    response = sd_client.post(
        "/sdapi/v1/txt2img", json={**SMALL, "alwayson_scripts": {"controlnet": {"args": [unit]}}}
    )
    assert response.status_code == 400
    assert "annotator" in response.json()["detail"] and "openpose" in response.json()["detail"]
    missing = {**unit, "module": "none", "model": "control_nothing [12345678]"}
    response = sd_client.post(
        "/sdapi/v1/txt2img", json={**SMALL, "alwayson_scripts": {"ControlNet": {"args": [missing]}}}
    )
    assert response.status_code == 400 and "control_nothing" in response.json()["detail"]
    other = sd_client.post(
        "/sdapi/v1/txt2img", json={**SMALL, "alwayson_scripts": {"ADetailer": {"args": [True]}}}
    )
    assert other.status_code == 400 and "ADetailer" in other.json()["detail"]


# --- listings and options ---------------------------------------------------------------------


def test_listings(sd_client):
    samplers = {s["name"]: s for s in sd_client.get("/sdapi/v1/samplers").json()}
    assert {"Euler a", "Euler", "DPM++ 2M", "DDIM"} <= set(samplers)
    assert "k_euler_a" in samplers["Euler a"]["aliases"]
    assert samplers["DPM++ 2M"]["options"] == {"scheduler": "karras"}
    assert samplers["Heun"]["options"] == {"second_order": "True"}
    schedulers = {s["label"]: s for s in sd_client.get("/sdapi/v1/schedulers").json()}
    assert schedulers["Automatic"]["name"] == "automatic"
    assert schedulers["Karras"]["default_rho"] == 7.0
    [model] = sd_client.get("/sdapi/v1/sd-models").json()
    assert model["title"] == f"tiny.safetensors [{model['hash']}]" and model["model_name"] == "tiny"
    assert len(model["hash"]) == 10 and model["sha256"].startswith(model["hash"])
    assert model["filename"].endswith("tiny.safetensors")
    assert sd_client.get("/sdapi/v1/sd-vae").json() == []
    assert sd_client.get("/sdapi/v1/loras").json() == []
    assert sd_client.get("/sdapi/v1/embeddings").json() == {"loaded": {}, "skipped": {}}
    assert "Lanczos" in [u["name"] for u in sd_client.get("/sdapi/v1/upscalers").json()]
    modes = [m["name"] for m in sd_client.get("/sdapi/v1/latent-upscale-modes").json()]
    assert "Latent" in modes
    scripts = sd_client.get("/sdapi/v1/scripts").json()
    assert "controlnet" in scripts["txt2img"] and "controlnet m2m" in scripts["img2img"]
    assert sd_client.get("/controlnet/module_list").json()["module_list"] == ["none"]
    assert sd_client.get("/controlnet/version").json() == {"version": 2}
    assert sd_client.get("/sdapi/v1/cmd-flags").json()["api"] is True
    for name in ("refresh-checkpoints", "refresh-loras", "refresh-vae"):
        assert sd_client.post(f"/sdapi/v1/{name}").status_code == 200


def test_options_get_and_post(sd_client):
    options = sd_client.get("/sdapi/v1/options").json()
    [model] = sd_client.get("/sdapi/v1/sd-models").json()
    assert options["sd_model_checkpoint"] == model["title"]
    assert options["sd_checkpoint_hash"] == model["sha256"]
    assert options["samples_format"] == "png" and options["randn_source"] == "GPU"
    for name in (model["title"], "tiny", "tiny.safetensors", model["hash"]):
        assert (
            sd_client.post("/sdapi/v1/options", json={"sd_model_checkpoint": name}).status_code
            == 200
        )  # noqa: E501
    ok = sd_client.post(
        "/sdapi/v1/options", json={"CLIP_stop_at_last_layers": 2, "randn_source": "cpu"}
    )  # noqa: E501
    assert ok.status_code == 200
    options = sd_client.get("/sdapi/v1/options").json()
    assert options["CLIP_stop_at_last_layers"] == 2 and options["randn_source"] == "CPU"
    _, info = txt2img(sd_client, steps=1)
    p = parse_infotext(info["infotexts"][0])
    assert p.clip_skip == 2 and p.rng == "CPU"
    for bad, word in [
        ({"sd_model_checkpoint": "nope"}, "nope"),
        ({"randn_source": "NV"}, "randn_source"),
        ({"samples_format": "jpg"}, "samples_format"),
        ({"show_progress_every_n_steps": 5}, "show_progress_every_n_steps"),
    ]:
        response = sd_client.post("/sdapi/v1/options", json=bad)
        assert response.status_code == 400 and word in response.json()["detail"]


def test_png_info_on_a1111_files(sd_client, shared_data):
    path = shared_data / "metadata" / "a1111_cropped.png"
    raw = "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()
    response = sd_client.post("/sdapi/v1/png-info", json={"image": raw})
    assert response.status_code == 200
    data = response.json()
    expected = Image.open(path).info["parameters"]
    assert data["info"] == expected and "Steps: " in data["info"]
    assert data["parameters"]["Prompt"] == parse_infotext(expected).prompt
    assert data["parameters"]["Steps"].isdigit() and "Size-1" in data["parameters"]
    assert data["parameters"]["Clip skip"]  # A1111's parser fills its defaults
    stealth = shared_data / "metadata" / "a1111_stealth_64x64.png"
    hidden = base64.b64encode(stealth.read_bytes()).decode()
    assert "Steps: " in sd_client.post("/sdapi/v1/png-info", json={"image": hidden}).json()["info"]


def test_png_info_reads_back_a_generation(sd_client):
    data, info = txt2img(sd_client, steps=1, seed=99)
    response = sd_client.post("/sdapi/v1/png-info", json={"image": data["images"][0]})
    parsed = response.json()
    assert parsed["info"] == info["infotexts"][0]
    assert parsed["parameters"]["Seed"] == "99" and parsed["parameters"]["Size-1"] == "64"


# --- progress, interrupt, skip ----------------------------------------------------------------


def test_progress_when_idle(sd_client):
    data = sd_client.get("/sdapi/v1/progress").json()
    assert data["progress"] == 0 and data["eta_relative"] == 0
    assert data["state"]["job_count"] == 0 and data["current_image"] is None


def test_interrupt_returns_the_images_finished_before_it(sd_client):
    result = {}

    def generate():
        body = {**SMALL, "steps": 40, "n_iter": 3, "seed": 50, "sampler_name": "Euler"}
        result["response"] = sd_client.post("/sdapi/v1/txt2img", json=body)

    thread = threading.Thread(target=generate)
    thread.start()
    seen = _wait_for(sd_client, lambda s: s["state"]["job_no"] >= 1 and s["current_image"])
    assert seen["state"]["job_count"] == 3 and 0 < seen["progress"] < 1
    preview = decode(seen["current_image"])
    assert preview.size == (8, 8)  # one pixel per latent cell
    started = time.monotonic()
    assert sd_client.post("/sdapi/v1/interrupt").json() == {}
    thread.join(60)
    assert time.monotonic() - started < 30
    response = result["response"]
    assert response.status_code == 200
    info = json.loads(response.json()["info"])
    assert 1 <= len(response.json()["images"]) < 3
    assert info["all_seeds"] == [50, 51, 52]
    assert any("interrupted" in w for w in info["warnings"])
    assert sd_client.get("/sdapi/v1/progress").json()["state"]["interrupted"] is True


def _wait_for(client, condition, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get("/sdapi/v1/progress").json()
        if state["state"]["job_count"] and condition(state):
            return state
        time.sleep(0.05)
    raise AssertionError("the generation never reached the expected progress")


def test_skip_abandons_the_current_batch(sd_client):
    result = {}

    def generate():
        body = {**SMALL, "steps": 40, "n_iter": 2, "seed": 60, "sampler_name": "Euler"}
        result["response"] = sd_client.post("/sdapi/v1/txt2img", json=body)

    thread = threading.Thread(target=generate)
    thread.start()
    _wait_for(sd_client, lambda s: s["state"]["sampling_step"] >= 1 and s["state"]["job_no"] == 0)
    assert sd_client.post("/sdapi/v1/skip").status_code == 200
    thread.join(60)
    info = json.loads(result["response"].json()["info"])
    assert [parse_infotext(t).seed for t in info["infotexts"]] == [61]


def test_without_torch_the_api_says_which_extra_is_missing(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = f"""
import sys; sys.modules["torch"] = None
from pathlib import Path
from fastapi.testclient import TestClient
from pixref.server import ServerSettings, create_app
client = TestClient(create_app(ServerSettings(models_dir=Path({str(tmp_path)!r}))))
assert client.get("/sdapi/v1/sd-models").json() == []
assert client.post("/sdapi/v1/txt2img", json={{}}).status_code == 503  # no checkpoint yet
refused = client.get("/sdapi/v1/samplers")
assert refused.status_code == 400, refused.text
print(refused.json()["detail"])
"""
    src = Path(__file__).resolve().parents[2] / "src"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(src)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "pixref[gen]" in result.stdout
