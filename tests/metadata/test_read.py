"""Reading generation parameters from real files of every generator, and from bad files."""

import json
import os
import time

import numpy as np
import pytest
from PIL import Image

from pixref.infotext import format_infotext
from pixref.metadata import MetadataError, read_metadata, read_stealth, save_png
from pixref.params import GenerationParams

from .pngbuild import chunk, png, text_chunk

INFOTEXT = (
    "pixel knight, (armor:1.2)\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, "
    "Schedule type: Automatic, CFG scale: 7, Seed: 1882829984, Size: 64x64, Model: px, "
    "Version: v1.10.1"
)

# name -> (generator, prompt, seed, steps, sampler)
SHARED_PNGS = {
    "a1111_cropped.png": ("A1111", "photo of a duck", 235284042, 15, "UniPC"),
    "a1111_stealth_64x64.png": ("A1111", "a circle", 2015833630, 20, "Euler"),
    "comfyui_img2img_cropped.png": (
        "ComfyUI",
        "photograph of victorian woman with wings, sky clouds, meadow grass\n",
        280823642470253,
        20,
        "DPM++ 2M",
    ),
    "fooocus_cropped.png": (
        "Fooocus",
        "a smiling goldfish",
        6952411511246973023,
        30,
        "DPM++ 2M SDE",
    ),
    "invokeai_metadata_cropped.png": (
        "InvokeAI",
        "digital artwork, oil painting. painterly brushstrokes, holidays,",
        3293022630,
        35,
        "Euler",
    ),
    "novelai_cropped.png": (
        "NovelAI",
        "masterpiece, best quality,  cat, space, icon",
        2253955223,
        50,
        "Euler a",
    ),
}


@pytest.mark.parametrize("name", sorted(SHARED_PNGS))
def test_shared_generator_files(shared_data, name):
    meta = read_metadata(shared_data / "metadata" / name)
    generator, prompt, seed, steps, sampler = SHARED_PNGS[name]
    p = meta.params
    assert (meta.generator, p.prompt, p.seed, p.steps, p.sampler) == (
        generator,
        prompt,
        seed,
        steps,
        sampler,
    )


def test_shared_file_details(shared_data):
    folder = shared_data / "metadata"
    comfy = read_metadata(folder / "comfyui_img2img_cropped.png").params
    assert comfy.negative_prompt == "watermark, text\n"
    assert (comfy.cfg_scale, comfy.schedule_type, comfy.model) == (
        8.0,
        "Normal",
        "v1-5-pruned-emaonly",
    )
    assert comfy.denoising_strength == pytest.approx(0.87)
    fooocus = read_metadata(folder / "fooocus_cropped.png").params
    assert (fooocus.width, fooocus.height, fooocus.schedule_type) == (768, 1280, "Karras")
    assert fooocus.model == "juggernautXL_v8Rundiffusion" and fooocus.cfg_scale == 4
    invoke = read_metadata(folder / "invokeai_metadata_cropped.png").params
    assert (invoke.width, invoke.height, invoke.cfg_scale, invoke.model) == (
        1024,
        1024,
        8.0,
        "juggernautXL",
    )
    assert invoke.negative_prompt.startswith("grainy+, photo")
    novel = read_metadata(folder / "novelai_cropped.png").params
    assert (novel.cfg_scale, novel.clip_skip, novel.ensd) == (10.0, 2, 31337)
    assert novel.negative_prompt.startswith("lowres, bad anatomy")
    stealth = read_metadata(folder / "a1111_stealth_64x64.png")
    assert stealth.params.negative_prompt == "a square" and stealth.params.clip_skip == 2
    assert "parameters" not in stealth.raw  # it really came from the pixels


def test_swarmui_json_in_a_png(shared_data, tmp_path):
    text = (shared_data / "metadata" / "params_swarmui.json").read_text("utf-8")
    path = tmp_path / "swarm.png"
    path.write_bytes(png(before=[text_chunk("parameters", text, "iTXt")]))
    meta = read_metadata(path)
    p = meta.params
    assert meta.generator == "SwarmUI"
    assert p.prompt.startswith("general, masterpiece") and p.prompt.endswith("#テスト")
    assert (p.seed, p.steps, p.cfg_scale, p.sampler, p.schedule_type) == (
        2083100758,
        20,
        7.0,
        "Euler a",
        "Karras",
    )
    assert (p.width, p.height, p.model) == (1024, 1024, "waiIllustriousSDXL_v160")


def test_comfyui_krea2_graph_resolves_what_it_can(shared_data, tmp_path):
    graph = (shared_data / "metadata" / "comfyui_krea2_prompt.json").read_text("utf-8")
    path = tmp_path / "krea.png"
    path.write_bytes(png(before=[text_chunk("prompt", graph, "iTXt")]))
    meta = read_metadata(path)
    p = meta.params
    assert meta.generator == "ComfyUI"
    assert (p.seed, p.steps, p.cfg_scale, p.sampler, p.schedule_type) == (
        371644226245214,
        8,
        1.0,
        "Euler",
        "Simple",
    )
    assert p.model == "krea2_turbo_int8_convrot"  # through a ComfySwitchNode
    assert p.negative_prompt == ""  # ConditioningZeroOut
    # The positive prompt is an LLM's output at run time: reported, not guessed.
    assert p.prompt == ""
    assert any(u.startswith("prompt (made at run time by TextGenerate") for u in meta.unresolved)
    assert any(u.startswith("size") for u in meta.unresolved)


def _comfy(nodes: dict) -> bytes:
    return png(before=[text_chunk("prompt", json.dumps(nodes))])


def test_comfyui_graph_with_cycle_and_missing_nodes(tmp_path):
    nodes = {
        "1": {"class_type": "KSampler", "inputs": {"seed": ["2", 0], "steps": 10, "cfg": 5,
              "sampler_name": "euler", "scheduler": "karras", "positive": ["3", 0],
              "negative": ["99", 0], "model": ["4", 0], "latent_image": ["5", 0]}},
        "2": {"class_type": "Loop", "inputs": {"a": ["6", 0]}},
        "6": {"class_type": "Loop", "inputs": {"a": ["2", 0]}},
        "3": {"class_type": "CLIPTextEncode", "inputs": {"text": ["3", 0]}},
        "4": {"class_type": "LoraLoader",
              "inputs": {"model": ["4", 0], "lora_name": "px.safetensors"}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 768}},
        "9": {"class_type": "SaveImage", "inputs": {"images": ["1", 0]}},
    }  # fmt: skip
    path = tmp_path / "cycle.png"
    path.write_bytes(_comfy(nodes))
    start = time.perf_counter()
    meta = read_metadata(path)
    assert time.perf_counter() - start < 1.0
    p = meta.params
    assert (p.steps, p.schedule_type, p.width, p.height) == (10, "Karras", 512, 768)
    assert "seed" in meta.unresolved and "model" in meta.unresolved
    assert any(u.startswith("prompt") for u in meta.unresolved)
    assert any(u.startswith("negative_prompt") for u in meta.unresolved)


def test_comfyui_graph_without_sampler(tmp_path):
    path = tmp_path / "nosampler.png"
    path.write_bytes(_comfy({"1": {"class_type": "LoadImage", "inputs": {"image": "x.png"}}}))
    meta = read_metadata(path)
    assert meta.generator == "ComfyUI"
    assert any("no KSampler" in u for u in meta.unresolved)


@pytest.mark.parametrize("kind", ["tEXt", "zTXt", "iTXt", "iTXt-z"])
@pytest.mark.parametrize("where", ["before", "after"])
def test_parameters_chunk_any_kind_any_place(tmp_path, kind, where):
    body = png(**{where: [text_chunk("parameters", INFOTEXT, kind)]})
    path = tmp_path / "p.png"
    path.write_bytes(body)
    meta = read_metadata(path)
    assert meta.infotext == INFOTEXT
    assert meta.params.seed == 1882829984 and meta.params.prompt == "pixel knight, (armor:1.2)"


def _user_comment_exif(text: str, encoding: str) -> bytes:
    exif = Image.Exif()
    body = text.encode(encoding)
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + body
    return exif.tobytes()


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP"])
@pytest.mark.parametrize("encoding", ["utf-16-be", "utf-16-le"])
def test_exif_user_comment_in_jpeg_and_webp(tmp_path, fmt, encoding):
    text = INFOTEXT.replace("pixel knight", "ピクセル騎士")
    path = tmp_path / f"x.{fmt.lower()}"
    Image.new("RGB", (8, 8), "gray").save(path, format=fmt, exif=_user_comment_exif(text, encoding))
    meta = read_metadata(path)
    assert meta.params.prompt.startswith("ピクセル騎士")
    assert meta.params.seed == 1882829984


def _stealth_rgb(pixels: np.ndarray, text: str) -> np.ndarray:
    """Hide ``text`` the way sd-webui-stealth-pnginfo's RGB mode does."""
    payload = text.encode("utf-8")
    bits = "".join(f"{b:08b}" for b in b"stealth_rgbinfo")
    bits += f"{len(payload) * 8:032b}" + "".join(f"{b:08b}" for b in payload)
    out = pixels.copy()
    flat = out.transpose(1, 0, 2)[..., :3].reshape(-1).copy()
    for i, bit in enumerate(bits):
        flat[i] = (flat[i] & 0xFE) | int(bit)
    h, w = pixels.shape[:2]
    out[..., :3] = flat.reshape(w, h, 3).transpose(1, 0, 2)
    return out


def test_stealth_rgb_mode():
    pixels = np.random.default_rng(0).integers(0, 256, (48, 40, 3), dtype=np.uint8)
    assert read_stealth(pixels) is None
    assert read_stealth(_stealth_rgb(pixels, INFOTEXT)) == INFOTEXT


def test_save_png_round_trip_and_is_atomic(tmp_path):
    params = GenerationParams(prompt="tiny fairy, [wings:0.5]", seed=42, width=64, height=32)
    pixels = np.zeros((32, 64, 3), np.uint8)
    path = save_png(pixels, tmp_path / "out" / "a.png", params, extra_text={"pixref": "{}"})
    meta = read_metadata(path)
    assert meta.params == params and meta.infotext == format_infotext(params)
    assert meta.raw["pixref"] == "{}"
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.png"]  # no temp files left


def test_save_png_failure_leaves_no_file(tmp_path):
    with pytest.raises(Exception):  # noqa: B017 - any failure inside Pillow
        save_png(np.zeros((0, 0, 3), np.uint8), tmp_path / "bad.png")
    assert list(tmp_path.iterdir()) == []


def test_no_metadata_is_not_an_error(tmp_path):
    path = tmp_path / "plain.png"
    Image.new("RGBA", (5, 3), (10, 20, 30, 255)).save(path)
    meta = read_metadata(path)
    assert meta.params is None and meta.generator is None and meta.size == (5, 3)


def test_bad_files_give_one_line_errors(tmp_path):
    good = png(before=[text_chunk("parameters", INFOTEXT)])
    cases = {
        "missing.png": None,
        "text.png": b"definitely not an image",
        "empty.png": b"",
        "truncated.png": good[: len(good) // 2],
        "badcrc.png": good.replace(b"pixel knight", b"pixel knave!"),
    }
    expected = {
        "missing.png": "does not exist",
        "text.png": "not an image",
        "empty.png": "not an image",
        "truncated.png": "truncated",
        "badcrc.png": "bad CRC",
    }
    for name, data in cases.items():
        path = tmp_path / name
        if data is not None:
            path.write_bytes(data)
        with pytest.raises(MetadataError, match=expected[name]) as info:
            read_metadata(path)
        assert "\n" not in str(info.value)


def test_decompression_bomb_is_refused(tmp_path):
    bomb = chunk(b"zTXt", b"parameters\x00\x00" + __import__("zlib").compress(b"a" * (20 * 2**20)))
    path = tmp_path / "bomb.png"
    path.write_bytes(png(before=[bomb]))
    with pytest.raises(MetadataError, match="MiB"):
        read_metadata(path)


def test_hostile_parameters_chunk(tmp_path):
    path = tmp_path / "hostile.png"
    path.write_bytes(png(before=[text_chunk("parameters", "x" * 300_000 + ":" + "," * 1000)]))
    with pytest.raises(MetadataError, match="no generation parameters"):
        read_metadata(path)


def test_parameters_without_a_params_line(tmp_path):
    path = tmp_path / "promptonly.png"
    path.write_bytes(png(before=[text_chunk("parameters", "just a prompt")]))
    with pytest.raises(MetadataError, match="no generation parameters"):
        read_metadata(path)


def test_saved_files_get_ordinary_permissions(tmp_path):
    path = save_png(np.zeros((4, 4, 3), np.uint8), tmp_path / "perm.png")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
