"""Model loading: detection, offline loading through the real path, hashes, the models folder."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket

import pytest
import torch
from safetensors.torch import load_file, save_file

from pixref.engine import models as m
from pixref.engine.models import Arch, ModelKind, ModelLoadError
from tests.engine import tiny

FAMILY = {"sd1": Arch.sd1, "sd2": Arch.sd2, "sdxl": Arch.sdxl, "sdxl-refiner": Arch.sdxl_refiner}


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _assert_same_weights(expected, loaded) -> None:
    want, got = expected.state_dict(), loaded.state_dict()
    assert set(got) == set(want)
    different = [k for k in want if not torch.equal(want[k], got[k])]
    assert different == []


def _assert_same_model(model: tiny.TinyModel, loaded: m.Models) -> None:
    _assert_same_weights(model.unet, loaded.unet)
    _assert_same_weights(model.vae, loaded.vae)
    assert len(loaded.text_encoders) == len(model.text_encoders)
    for want, got in zip(model.text_encoders, loaded.text_encoders, strict=True):
        assert type(got) is type(want)
        _assert_same_weights(want, got)


def _load(path, **kwargs) -> m.Models:
    kwargs.setdefault("use_cache", False)
    return m.load_checkpoint(path, **kwargs)


# --- detection ------------------------------------------------------------------------


@pytest.mark.parametrize("arch", tiny.ARCHES)
def test_detects_architecture_from_header_keys(tiny_models, arch):
    shapes = m.read_safetensors_header(tiny_models[arch].single_file).shapes
    assert m.detect_checkpoint(shapes) == m.Detection(FAMILY[arch], is_inpainting=False)


@pytest.mark.parametrize("arch", tiny.ARCHES)
def test_detects_architecture_of_diffusers_folder(tiny_models, arch):
    found = m.detect_diffusers_folder(tiny_models[arch].diffusers_dir)
    assert found == m.Detection(FAMILY[arch], is_inpainting=False)


def test_detects_inpainting_from_unet_input_channels(tiny_inpainting):
    shapes = m.read_safetensors_header(tiny_inpainting.single_file).shapes
    assert m.detect_checkpoint(shapes) == m.Detection(Arch.sd1, is_inpainting=True)


@pytest.mark.parametrize(
    ("keys", "hint"),
    [
        (["encoder.conv_in.weight", "decoder.conv_in.weight"], "VAE"),
        (["lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight"], "LoRA"),
        (["control_model.input_hint_block.0.weight", "model.diffusion_model.x"], "ControlNet"),
        (["emb_params"], "embedding"),
        (["model.diffusion_model.input_blocks.0.0.weight"], "no text encoder"),
    ],
)
def test_unknown_layout_is_one_clear_line(keys, hint):
    with pytest.raises(ModelLoadError, match=hint) as error:
        m.detect_checkpoint({k: (1,) for k in keys}, name="mystery.safetensors")
    assert "mystery.safetensors" in str(error.value)
    assert "\n" not in str(error.value)


def test_arch_family_and_default_size():
    assert [a.family for a in Arch] == ["sd1", "sd2", "sd2", "sdxl", "sdxl-refiner"]
    assert [a.default_size for a in Arch] == [512, 512, 768, 1024, 1024]


def test_detects_lora_controlnet_and_embedding_arch():
    assert m.detect_lora_arch({"lora_te1_text_model_x.lora_down.weight": (4, 768)}) == "sdxl"
    sd1_lora = {
        "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.lora_down.weight": (
            4,
            768,
        )
    }
    assert m.detect_lora_arch(sd1_lora) == "sd1"
    assert m.detect_lora_arch({"lora_te_text_model_encoder_layers_20_mlp_fc1.alpha": ()}) == "sd2"
    assert (
        m.detect_controlnet_arch(
            {"control_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight": (320, 768)}
        )
        == "sd1"
    )
    assert m.detect_embedding_arch({"clip_g": (2, 1280), "clip_l": (2, 768)}) == "sdxl"
    assert m.detect_embedding_arch({"emb_params": (2, 1024)}) == "sd2"


# --- loading through the real path ----------------------------------------------------


@pytest.mark.parametrize("arch", tiny.ARCHES)
def test_single_file_loads_every_tensor_of_the_diffusers_model(tiny_models, arch):
    model = tiny_models[arch]
    loaded = _load(model.single_file, config_dir=model.config_dir, prediction_type="epsilon")
    _assert_same_model(model, loaded)
    assert loaded.arch is FAMILY[arch]
    assert loaded.name == f"tiny-{arch}"
    assert loaded.short_hash == _sha256(model.single_file)[:10]
    assert loaded.prediction_type == "epsilon"
    assert (loaded.dtype, loaded.device) == (torch.float32, torch.device("cpu"))
    assert loaded.alphas_cumprod.dtype == torch.float64 and loaded.alphas_cumprod.shape == (1000,)
    processors = {type(p).__name__ for p in loaded.unet.attn_processors.values()}
    assert processors == {"AttnProcessor2_0"}  # SDPA


@pytest.mark.parametrize("arch", tiny.ARCHES)
def test_diffusers_folder_loads_every_tensor(tiny_models, arch):
    model = tiny_models[arch]
    loaded = _load(model.diffusers_dir)
    _assert_same_model(model, loaded)
    assert loaded.arch is FAMILY[arch]
    assert (loaded.name, loaded.short_hash) == (f"tiny-{arch}-diffusers", None)


def test_inpainting_checkpoint_loads_with_nine_channels(tiny_inpainting):
    model = tiny_inpainting
    loaded = _load(model.single_file, config_dir=model.config_dir)
    assert loaded.is_inpainting and loaded.unet.config.in_channels == 9
    _assert_same_model(model, loaded)


def test_loading_never_touches_the_network(tiny_models, monkeypatch):
    class NetworkUsed(AssertionError):
        pass

    def refuse(*args, **kwargs):
        raise NetworkUsed(f"network access attempted: {args!r}")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    with pytest.raises(NetworkUsed):  # the trap is armed
        socket.create_connection(("huggingface.co", 443))
    sdxl = tiny_models["sdxl"]
    assert _load(sdxl.single_file, config_dir=sdxl.config_dir).arch is Arch.sdxl
    assert _load(tiny_models["sd2"].diffusers_dir).arch is Arch.sd2


def test_ckpt_needs_the_unsafe_flag(tiny_models, tmp_path):
    model = tiny_models["sd1"]
    ckpt = tmp_path / "old.ckpt"
    torch.save({"state_dict": load_file(model.single_file)}, ckpt)
    with pytest.raises(ModelLoadError, match="pickle.*allow-unsafe-pickle"):
        _load(ckpt, config_dir=model.config_dir)
    loaded = _load(ckpt, config_dir=model.config_dir, allow_unsafe_pickle=True)
    _assert_same_model(model, loaded)


def test_truncated_and_corrupt_files_are_one_line_errors(tiny_models, tmp_path):
    data = tiny_models["sd1"].single_file.read_bytes()
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(data[: len(data) // 2])
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(os.urandom(4096))
    for path, why in ((truncated, "truncated"), (garbage, "not a valid safetensors")):
        with pytest.raises(ModelLoadError, match=why) as error:
            _load(path)
        assert "\n" not in str(error.value) and path.name in str(error.value)


def test_missing_weights_are_reported(tiny_models, tmp_path):
    model = tiny_models["sd1"]
    state = load_file(model.single_file)
    del state["model.diffusion_model.out.2.weight"]
    partial = tmp_path / "partial.safetensors"
    save_file(state, partial)
    with pytest.raises(ModelLoadError, match="lacks 1 UNet weights.*conv_out.weight"):
        _load(partial, config_dir=model.config_dir)


def test_missing_checkpoint_and_bad_prediction_type(tiny_models, tmp_path):
    with pytest.raises(ModelLoadError, match="no checkpoint named `nothing-here`"):
        _load("nothing-here", models_dir=tmp_path)
    with pytest.raises(ModelLoadError, match="prediction_type"):
        _load(tiny_models["sd1"].single_file, prediction_type="sample")


def test_config_dir_without_a_component_config_is_an_error(tiny_models, tmp_path):
    model = tiny_models["sdxl"]
    configs = shutil.copytree(model.config_dir, tmp_path / "configs")
    shutil.rmtree(configs / "text_encoder_2")
    with pytest.raises(ModelLoadError, match="text_encoder_2/config.json"):
        _load(model.single_file, config_dir=configs)


# --- prediction type ------------------------------------------------------------------


def _copy(path, folder):
    return shutil.copy(path, folder / path.name)


def test_sd2_prediction_type_override_and_yaml(tiny_models, tmp_path):
    model = tiny_models["sd2"]
    loaded = _load(model.single_file, config_dir=model.config_dir, prediction_type="v_prediction")
    assert (loaded.arch, loaded.prediction_type) == (Arch.sd2_v, "v_prediction")
    assert loaded.scheduler_config["prediction_type"] == "v_prediction"
    copy = tmp_path / "v-model.safetensors"
    shutil.copy(model.single_file, copy)
    copy.with_suffix(".yaml").write_text('model:\n  params:\n    parameterization: "v"\n')
    assert _load(copy, config_dir=model.config_dir).arch is Arch.sd2_v
    copy.with_suffix(".yaml").write_text("model:\n  params:\n    linear_start: 0.00085\n")
    assert _load(copy, config_dir=model.config_dir).arch is Arch.sd2


def test_sd2_without_hints_uses_a1111s_unet_test(tiny_models, monkeypatch):
    from pixref.engine.models import _prediction

    model = tiny_models["sd2"]
    real = _prediction.is_v_prediction_unet(model.unet)
    loaded = _load(model.single_file, config_dir=model.config_dir)
    assert loaded.arch is (Arch.sd2_v if real else Arch.sd2)
    tested = []
    monkeypatch.setattr(
        _prediction, "is_v_prediction_unet", lambda unet: tested.append(unet) or not real
    )
    flipped = _load(model.single_file, config_dir=model.config_dir)
    assert len(tested) == 1 and flipped.arch is (Arch.sd2 if real else Arch.sd2_v)
    sd1 = tiny_models["sd1"]
    _load(sd1.single_file, config_dir=sd1.config_dir)
    _load(model.single_file, config_dir=model.config_dir, prediction_type="epsilon")
    assert len(tested) == 1  # only SD 2.x without hints runs the test


class _StubUNet(torch.nn.Module):
    """Returns ``x + offset``: A1111's test reads the mean of ``out - x``."""

    def __init__(self, offset: float):
        super().__init__()
        self.offset = offset
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.config = type("Config", (), {"in_channels": 4, "cross_attention_dim": 8})()

    def forward(self, x, t, encoder_hidden_states):
        assert t.tolist() == [999] and encoder_hidden_states.shape == (1, 2, 8)
        assert torch.all(x == 0.5)
        return type("Out", (), {"sample": x + self.offset})()


@pytest.mark.parametrize(("offset", "is_v"), [(-2.0, True), (-0.5, False), (0.0, False)])
def test_v_prediction_test_follows_a1111_threshold(offset, is_v):
    assert m.is_v_prediction_unet(_StubUNet(offset)) is is_v


def test_v_pred_key_marks_v_prediction(tiny_models, tmp_path):
    model = tiny_models["sdxl"]
    state = load_file(model.single_file)
    state["v_pred"] = torch.tensor([])
    path = tmp_path / "vpred-xl.safetensors"
    save_file(state, path)
    assert _load(path, config_dir=model.config_dir).prediction_type == "v_prediction"


def test_alphas_cumprod_match_ldm_schedule():
    config = json.loads(
        (m.builtin_config_dir("sd1") / "scheduler/scheduler_config.json").read_text()
    )
    alphas = m.alphas_cumprod_from_config(config)
    sigmas = ((1 - alphas) / alphas) ** 0.5
    # A1111/k-diffusion's published SD sigma range.
    assert sigmas[0].item() == pytest.approx(0.0292, abs=5e-5)
    assert sigmas[-1].item() == pytest.approx(14.6146, abs=5e-4)
    betas = (
        torch.arange(1000, dtype=torch.float64) * ((0.012**0.5 - 0.00085**0.5) / 999) + 0.00085**0.5
    ) ** 2
    assert torch.allclose(alphas, torch.cumprod(1 - betas, 0), rtol=0, atol=1e-15)


# --- shipped configs ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arch", "unet_m", "text_m"),
    [
        ("sd1", 859.52, (123.06,)),
        ("sd2", 865.91, (340.39,)),
        ("sd2-v", 865.91, (340.39,)),
        ("sdxl", 2567.46, (123.06, 694.66)),
        ("sdxl-refiner", 2259.53, (694.66,)),
    ],
)
def test_shipped_configs_have_the_published_parameter_counts(arch, unet_m, text_m):
    from accelerate import init_empty_weights
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    folder = m.builtin_config_dir(arch)

    def millions(model):
        return round(sum(p.numel() for p in model.parameters()) / 1e6, 2)

    with init_empty_weights():
        unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(folder / "unet"))
        vae = AutoencoderKL.from_config(AutoencoderKL.load_config(folder / "vae"))
        texts = [
            (CLIPTextModelWithProjection if sub.endswith("_2") else CLIPTextModel)(
                CLIPTextConfig.from_pretrained(folder / sub)
            )
            for sub in Arch(arch).text_encoder_folders
        ]
    assert millions(unet) == unet_m
    assert millions(vae) == 83.65
    assert tuple(millions(t) for t in texts) == text_m
    scheduler = json.loads((folder / "scheduler/scheduler_config.json").read_text())
    assert scheduler["prediction_type"] == ("v_prediction" if arch == "sd2-v" else "epsilon")


# --- separate VAE, model cache, tokenizers, tiling ------------------------------------


def test_separate_vae_replaces_the_checkpoints(tiny_models, tmp_path):
    model = tiny_models["sd1"]
    vae_file = tmp_path / "models" / "VAE" / "other-vae.safetensors"
    other = tiny.save_vae_file("sd1", vae_file, seed=123)
    loaded = _load(
        model.single_file,
        config_dir=model.config_dir,
        vae="other-vae",
        models_dir=tmp_path / "models",
    )
    _assert_same_weights(other, loaded.vae)
    _assert_same_weights(model.unet, loaded.unet)
    assert (loaded.vae_name, loaded.vae_path) == ("other-vae.safetensors", vae_file)
    assert loaded.vae_short_hash == _sha256(vae_file)[:10]
    from_folder = _load(tiny_models["sd1"].diffusers_dir, vae=vae_file)
    _assert_same_weights(other, from_folder.vae)


def test_loaded_models_are_cached_by_file_version(tiny_models, tmp_path):
    path = shutil.copy(tiny_models["sd1"].single_file, tmp_path / "cached.safetensors")
    config = tiny_models["sd1"].config_dir
    first = m.load_checkpoint(path, config_dir=config)
    assert m.load_checkpoint(path, config_dir=config) is first
    assert m.load_checkpoint(path, config_dir=config, use_cache=False) is not first
    os.utime(path, ns=(1, 1))
    assert m.load_checkpoint(path, config_dir=config) is not first


def test_model_cache_keeps_at_most_its_limit(tiny_models):
    files = [tiny_models[a].single_file for a in ("sd1", "sd2")]
    configs = [tiny_models[a].config_dir for a in ("sd1", "sd2")]
    try:
        m.set_model_cache_limit(1)
        first = m.load_checkpoint(files[0], config_dir=configs[0], prediction_type="epsilon")
        m.load_checkpoint(files[1], config_dir=configs[1], prediction_type="epsilon")
        again = m.load_checkpoint(files[0], config_dir=configs[0], prediction_type="epsilon")
        assert again is not first  # evicted by the second checkpoint
    finally:
        m.set_model_cache_limit(2)


def test_half_precision_file_loads_as_float32_on_cpu(tiny_models, tmp_path):
    model = tiny_models["sd1"]
    half = {
        k: v.half() if v.is_floating_point() else v for k, v in load_file(model.single_file).items()
    }
    path = tmp_path / "fp16.safetensors"
    save_file(half, path)
    loaded = _load(path, config_dir=model.config_dir)
    for want, got in ((model.unet, loaded.unet), (model.text_encoders[0], loaded.text_encoders[0])):
        got_state = got.state_dict()
        for key, value in want.state_dict().items():
            assert got_state[key].dtype == value.dtype, key
            expected = value.half().to(value.dtype) if value.is_floating_point() else value
            assert torch.equal(got_state[key], expected), key


def test_vae_pickle_needs_the_flag_too(tiny_models, tmp_path):
    model = tiny_models["sd1"]
    vae_pt = tmp_path / "anime.vae.pt"
    torch.save(load_file(model.vae_file), vae_pt)
    with pytest.raises(ModelLoadError, match="anime.vae.pt` is a pickle"):
        _load(model.single_file, config_dir=model.config_dir, vae=vae_pt)
    loaded = _load(
        model.single_file, config_dir=model.config_dir, vae=vae_pt, allow_unsafe_pickle=True
    )
    _assert_same_weights(model.vae, loaded.vae)
    assert loaded.vae_name == "anime.vae.pt"


def test_describe_model_file_gives_arch_and_hash(a1111_root):
    lora = a1111_root / "models" / "lora" / "pixelart.safetensors"
    info = m.describe_model_file(ModelKind.lora, lora, compute_hash=True)
    assert (info.arch, info.name, info.short_hash) == ("sdxl", "pixelart", m.lora_short_hash(lora))
    with pytest.raises(ModelLoadError, match="lora file not found"):
        m.describe_model_file(ModelKind.lora, a1111_root / "missing.safetensors")


def test_tokenizer_factory_fills_tokenizers(tiny_models):
    model = tiny_models["sdxl"]
    loaded = _load(
        model.single_file, config_dir=model.config_dir, tokenizer_factory=lambda arch: (arch, "b")
    )
    assert loaded.tokenizers == (Arch.sdxl, "b")


def test_vae_tiling_switches_on_above_the_threshold(tiny_models):
    vae = tiny_models["sd1"].vae
    assert m.configure_vae_tiling(vae, 1024, 1024) is False and vae.use_tiling is False
    assert m.configure_vae_tiling(vae, 4096, 4096) is True and vae.use_tiling is True
    m.configure_vae_tiling(vae, 512, 512)


# --- hashes ---------------------------------------------------------------------------


def test_model_hash_is_sha256_prefix_and_cached(tiny_models, tmp_path, monkeypatch):
    from pixref.engine.models import _hashes

    path = shutil.copy(tiny_models["sd1"].single_file, tmp_path / "h.safetensors")
    reads = []
    real = _hashes.hash_stream
    monkeypatch.setattr(_hashes, "hash_stream", lambda *a, **k: reads.append(1) or real(*a, **k))
    cache = m.HashCache(tmp_path / "cache" / "hashes.json")
    assert m.checkpoint_short_hash(path, cache=cache) == _sha256(path)[:10]
    assert m.checkpoint_short_hash(path, cache=m.HashCache(cache.path)) == _sha256(path)[:10]
    assert len(reads) == 1
    os.utime(path, ns=(2, 2))  # a new file version is hashed again
    m.file_sha256(path, cache=cache)
    assert len(reads) == 2
    assert json.loads(cache.path.read_text())["version"] == 1
    assert [p.name for p in cache.path.parent.iterdir()] == ["hashes.json"]  # no temp files


def test_lora_addnet_hash_skips_the_header(tmp_path):
    path = tmp_path / "pixelart.safetensors"
    tensors = {"lora_unet_x.lora_down.weight": torch.arange(12.0).reshape(3, 4)}
    save_file(tensors, path, metadata={"ss_output_name": "pixelart"})
    data = path.read_bytes()
    body = data[8 + int.from_bytes(data[:8], "little") :]
    assert m.lora_short_hash(path) == hashlib.sha256(body).hexdigest()[:12]
    save_file(tensors, path, metadata={"ss_output_name": "renamed", "extra": "x" * 100})
    assert m.addnet_sha256(path)[:12] == hashlib.sha256(body).hexdigest()[:12]
    assert m.file_sha256(path) != hashlib.sha256(data).hexdigest()


def test_legacy_hash_reads_64k_at_1m(tiny_models):
    data = tiny_models["sd1"].single_file.read_bytes()
    expected = hashlib.sha256(data[0x100000:0x110000]).hexdigest()[:8]
    assert m.legacy_model_hash(tiny_models["sd1"].single_file) == expected


# --- models folder --------------------------------------------------------------------


@pytest.fixture
def a1111_root(tiny_models, tmp_path):
    """An A1111 install folder: models/ in A1111's layout, embeddings/ beside it."""
    root = tmp_path / "webui"
    models = root / "models"
    (models / "Stable-diffusion" / "xl").mkdir(parents=True)
    for sub in ("VAE", "lora", "ControlNet"):
        (models / sub).mkdir()
    (root / "embeddings").mkdir()
    _copy(tiny_models["sd1"].single_file, models / "Stable-diffusion")
    _copy(tiny_models["sdxl"].single_file, models / "Stable-diffusion" / "xl")
    shutil.copytree(
        tiny_models["sd2"].diffusers_dir, models / "Stable-diffusion" / "tiny-sd2-diffusers"
    )
    (models / "Stable-diffusion" / "notes.txt").write_text("not a model")
    tiny.save_vae_file("sd1", models / "VAE" / "vae-ft-mse.safetensors", seed=1)
    save_file(
        {"lora_te1_text_model_encoder_layers_0_mlp_fc1.lora_down.weight": torch.ones(4, 768)},
        models / "lora" / "pixelart.safetensors",
    )
    save_file(
        {
            "control_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight": torch.ones(
                320, 768
            )
        },
        models / "ControlNet" / "control_openpose.safetensors",
    )
    save_file({"emb_params": torch.ones(2, 768)}, root / "embeddings" / "bad-hands.safetensors")
    return root


def test_listing_finds_a1111_layout(a1111_root):
    infos = m.list_models(a1111_root / "models")
    table = [(i.kind, i.relative, i.format, i.arch) for i in infos]
    assert table == [
        (ModelKind.checkpoint, "tiny-sd1.safetensors", "safetensors", "sd1"),
        (ModelKind.checkpoint, "tiny-sd2-diffusers", "diffusers", "sd2"),
        (ModelKind.checkpoint, "xl/tiny-sdxl.safetensors", "safetensors", "sdxl"),
        (ModelKind.vae, "vae-ft-mse.safetensors", "safetensors", None),
        (ModelKind.lora, "pixelart.safetensors", "safetensors", "sdxl"),
        (ModelKind.embedding, "bad-hands.safetensors", "safetensors", "sd1"),
        (ModelKind.controlnet, "control_openpose.safetensors", "safetensors", "sd1"),
    ]
    assert [i.name for i in infos][:3] == ["tiny-sd1", "tiny-sd2-diffusers", "tiny-sdxl"]
    checkpoint = infos[0]
    assert checkpoint.hash is None and checkpoint.title == "tiny-sd1.safetensors"
    cn = infos[-1]
    assert cn.short_hash == m.legacy_model_hash(cn.path)


def test_listing_hashes_once_then_reads_the_cache(a1111_root, monkeypatch):
    from pixref.engine.models import _hashes

    models = a1111_root / "models"
    seen = []
    hashed = m.list_models(models, compute_hashes=True, on_progress=lambda p, d, t: seen.append(p))
    by_name = {i.name: i for i in hashed}
    sd1 = by_name["tiny-sd1"]
    assert sd1.short_hash == _sha256(sd1.path)[:10]
    assert sd1.title == f"tiny-sd1.safetensors [{sd1.short_hash}]"
    lora = by_name["pixelart"]
    assert len(lora.short_hash) == 12 and lora.hash == m.addnet_sha256(lora.path)
    assert sd1.path in seen
    monkeypatch.setattr(_hashes, "hash_stream", lambda *a, **k: pytest.fail("re-hashed"))
    again = {i.name: i for i in m.list_models(models)}
    assert (
        again["tiny-sd1"].hash == sd1.hash and again["tiny-sdxl"].hash == by_name["tiny-sdxl"].hash
    )


def test_find_checkpoint_by_name_filename_title_hash_and_path(a1111_root):
    models = a1111_root / "models"
    sd1 = models / "Stable-diffusion" / "tiny-sd1.safetensors"
    xl = models / "Stable-diffusion" / "xl" / "tiny-sdxl.safetensors"
    short = m.checkpoint_short_hash(sd1)
    for query in (
        "tiny-sd1",
        "tiny-sd1.safetensors",
        "TINY-SD1",
        f"tiny-sd1.safetensors [{short}]",
        short,
        str(sd1),
    ):
        assert m.find_checkpoint(query, models_dir=models) == sd1, query
    assert m.find_checkpoint("xl/tiny-sdxl", models_dir=models) == xl
    assert m.find_checkpoint(f"renamed [{short}]", models_dir=models) == sd1
    legacy = m.legacy_model_hash(xl)  # pre-2023 infotexts carry this 8-hex hash
    assert m.find_checkpoint(f"old-name [{legacy}]", models_dir=models) == xl
    assert m.find_checkpoint(legacy, models_dir=models) == xl
    assert m.find_checkpoint("tiny-sd2-diffusers", models_dir=models).is_dir()
    with pytest.raises(ModelLoadError, match="did you mean tiny-sd1"):
        m.find_checkpoint("tiny-sd", models_dir=models)


def test_find_checkpoint_reports_ambiguity(a1111_root):
    folder = a1111_root / "models" / "Stable-diffusion"
    (folder / "other").mkdir()
    _copy(folder / "xl" / "tiny-sdxl.safetensors", folder / "other")
    with pytest.raises(ModelLoadError, match="ambiguous: other/tiny-sdxl.safetensors, xl/tiny-"):
        m.find_checkpoint("tiny-sdxl", models_dir=folder.parent)
    # A top-level file's relative path is its name, so it wins over a stem match.
    _copy(folder / "xl" / "tiny-sdxl.safetensors", folder)
    assert (
        m.find_checkpoint("tiny-sdxl", models_dir=folder.parent) == folder / "tiny-sdxl.safetensors"
    )
    assert (
        m.find_checkpoint("xl/tiny-sdxl.safetensors", models_dir=folder.parent).parent.name == "xl"
    )


def test_load_by_name_from_models_folder(a1111_root, tiny_models):
    loaded = _load(
        "tiny-sdxl", models_dir=a1111_root / "models", config_dir=tiny_models["sdxl"].config_dir
    )
    assert (loaded.arch, loaded.name) == (Arch.sdxl, "tiny-sdxl")


# --- CLI ------------------------------------------------------------------------------


def test_cli_lists_models_as_json_and_hashes_on_request(a1111_root):
    from typer.testing import CliRunner

    from pixref.cli import app

    runner = CliRunner()
    args = ["models", "--models-dir", str(a1111_root / "models"), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    records = {r["name"]: r for r in json.loads(result.stdout)}
    assert records["tiny-sdxl"]["arch"] == "sdxl" and records["tiny-sdxl"]["short_hash"] is None
    assert records["pixelart"]["kind"] == "lora"
    hashed = runner.invoke(app, [*args, "--hash", "--kind", "checkpoint"])
    assert hashed.exit_code == 0, hashed.output
    records = {r["name"]: r for r in json.loads(hashed.stdout)}
    assert set(records) == {"tiny-sd1", "tiny-sdxl", "tiny-sd2-diffusers"}
    sdxl = records["tiny-sdxl"]
    assert sdxl["short_hash"] == _sha256(a1111_root / "models" / sdxl["path"])[:10]
    table = runner.invoke(app, ["models", "--models-dir", str(a1111_root / "models")])
    assert table.exit_code == 0 and sdxl["short_hash"] in table.stdout


# --- the key mapping at full size (meta tensors: names and shapes only) ---------------


@pytest.mark.parametrize(
    ("arch", "diffusers_type"),
    [("sd1", "v1"), ("sd2", "v2"), ("sdxl", "xl_base"), ("sdxl-refiner", "xl_refiner")],
)
def test_full_size_original_layout_round_trips_through_diffusers(arch, diffusers_type):
    """Real-size key layouts: pixref detects them as diffusers does, and diffusers'
    converters map `tiny.to_original_layout`'s names back onto every weight."""
    from accelerate import init_empty_weights
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from diffusers.loaders import single_file_utils as sfu
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    folder = m.builtin_config_dir(arch)
    with init_empty_weights(include_buffers=True):
        unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(folder / "unet"))
        vae = AutoencoderKL.from_config(AutoencoderKL.load_config(folder / "vae"))
        encoders = tuple(
            (CLIPTextModelWithProjection if sub.endswith("_2") else CLIPTextModel)(
                CLIPTextConfig.from_pretrained(folder / sub)
            )
            for sub in Arch(arch).text_encoder_folders
        )
    original = tiny.to_original_layout(arch, unet, vae, encoders)
    shapes = {k: tuple(v.shape) for k, v in original.items()}
    assert m.detect_checkpoint(shapes).arch is FAMILY[arch]
    assert sfu.infer_diffusers_model_type(original) == diffusers_type
    unet_keys = sfu.convert_ldm_unet_checkpoint(original, dict(unet.config))
    assert set(unet_keys) == set(unet.state_dict())
    vae_keys = sfu.convert_ldm_vae_checkpoint(original, dict(vae.config))
    assert set(vae_keys) == set(vae.state_dict())


@pytest.mark.parametrize(
    ("arch", "old", "new"),
    [
        # SD 2.x in SGM layout (SD-Turbo): A1111's checkpoint_dict_replacements_sd2_turbo.
        ("sd2", "cond_stage_model.", "conditioner.embedders.0."),
        # CLIP saved by old transformers: A1111's checkpoint_dict_replacements_sd1.
        ("sd1", "cond_stage_model.transformer.text_model.", "cond_stage_model.transformer."),
    ],
)
def test_key_variants_a1111_accepts_load_the_same_weights(tiny_models, tmp_path, arch, old, new):
    model = tiny_models[arch]
    state = {
        (new + k[len(old) :] if k.startswith(old) else k): v
        for k, v in load_file(model.single_file).items()
    }
    path = tmp_path / "variant.safetensors"
    save_file(state, path)
    assert m.detect_checkpoint(m.read_safetensors_header(path).shapes).arch is FAMILY[arch]
    loaded = _load(path, config_dir=model.config_dir, prediction_type="epsilon")
    _assert_same_model(model, loaded)
