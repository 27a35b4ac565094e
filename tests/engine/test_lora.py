"""LoRAs from prompt tags on a tiny model: applied for one generation, weight 0 == none."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from pixref.engine import generate, load_models, resolve_loras
from pixref.engine.models import ModelLoadError
from pixref.params import GenerationParams

BASE = GenerationParams(prompt="a knight", steps=3, sampler="Euler", seed=9, width=64, height=64)
_UNET_TARGETS = ("to_q", "to_k", "to_v", "to_out.0")
_TE_TARGETS = ("q_proj", "k_proj", "v_proj", "out_proj")


def kohya_lora(unet, text_encoder, rank: int = 2, seed: int = 0) -> dict[str, torch.Tensor]:
    """A LoRA in kohya/A1111 key layout for every attention projection, random but strong."""
    gen = torch.Generator().manual_seed(seed)
    state = {}
    modules = [
        ("lora_unet_", name, m) for name, m in unet.named_modules() if name.endswith(_UNET_TARGETS)
    ]
    te = [(n, m) for n, m in text_encoder.named_modules() if n.endswith(_TE_TARGETS)]
    modules += [("lora_te_", "text_model." + n.removeprefix("text_model."), m) for n, m in te]
    for prefix, name, module in modules:
        key = prefix + name.replace(".", "_")
        state[f"{key}.lora_down.weight"] = torch.randn(rank, module.in_features, generator=gen)
        state[f"{key}.lora_up.weight"] = torch.randn(module.out_features, rank, generator=gen)
        state[f"{key}.alpha"] = torch.tensor(float(rank))
    return state


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    from tests.engine import tiny

    root = tmp_path_factory.mktemp("lora")
    built = tiny.build("sd1", root / "sd1")
    models = load_models(built.single_file, config_dir=built.config_dir, device="cpu")
    lora_dir = root / "models" / "Lora"
    lora_dir.mkdir(parents=True)
    save_file(kohya_lora(models.unet, models.text_encoders[0]), lora_dir / "pixelart.safetensors")
    sdxl_like = {
        "lora_te1_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight": torch.zeros(2, 32)
    }
    save_file(sdxl_like, lora_dir / "xl_only.safetensors")
    return models, root / "models"


def pixels(result):
    return np.asarray(result.images[0], dtype=np.int16)


def run(models, models_dir, prompt):
    params = BASE.replace(prompt=prompt)
    return generate(params, models, loras=resolve_loras(prompt, models_dir=models_dir))


def test_weight_zero_equals_no_lora_and_lora_changes_the_image(setup):
    models, models_dir = setup
    plain = run(models, models_dir, "a knight")
    zero = run(models, models_dir, "a knight <lora:pixelart:0>")
    strong = run(models, models_dir, "a knight <lora:pixelart:1>")
    assert np.abs(pixels(zero) - pixels(plain)).max() <= 1
    assert np.abs(pixels(strong) - pixels(plain)).mean() > 1
    # Unloaded afterwards: the cached model is as it was, module for module.
    assert np.array_equal(pixels(run(models, models_dir, "a knight")), pixels(plain))
    assert not any("base_layer" in key for key in models.unet.state_dict())
    assert not any("lora" in key for key in models.text_encoders[0].state_dict())


def test_lora_hash_recorded_as_a1111(setup):
    models, models_dir = setup
    result = run(models, models_dir, "a knight <lora:pixelart:0.7>")
    ((name, digest),) = result.params[0].lora_hashes
    assert name == "pixelart" and len(digest) == 12
    assert f'Lora hashes: "pixelart: {digest}"' in result.infotexts[0]


def test_unet_only_weight(setup):
    models, models_dir = setup
    te_only = run(models, models_dir, "a knight <lora:pixelart:1:0>")
    plain = run(models, models_dir, "a knight")
    assert not np.array_equal(pixels(te_only), pixels(plain))  # text encoder side alone acts


def test_missing_and_foreign_loras_are_clear_errors(setup):
    models, models_dir = setup
    with pytest.raises(ModelLoadError, match="nosuch"):
        resolve_loras("x <lora:nosuch:1>", models_dir=models_dir)
    with pytest.raises(ModelLoadError, match="sdxl"):
        run(models, models_dir, "x <lora:xl_only:1>")


def test_textual_inversion_embedding_from_the_embeddings_folder(setup):
    from pixref.engine import load_embeddings

    models, models_dir = setup
    folder = models_dir / "embeddings"
    folder.mkdir(exist_ok=True)
    vectors = torch.randn(2, 32, generator=torch.Generator().manual_seed(3)) * 5
    save_file({"emb_params": vectors}, folder / "pxstyle.safetensors")
    save_file({"emb_params": torch.zeros(1, 1024)}, folder / "other_width.safetensors")
    embeddings = load_embeddings(models, models_dir=models_dir)
    assert sorted(embeddings) == ["pxstyle"]  # the 1024-wide one is for another family
    with_ti = generate(BASE.replace(prompt="a pxstyle knight"), models, embeddings=embeddings)
    without = generate(BASE.replace(prompt="a pxstyle knight"), models)
    assert not np.array_equal(pixels(with_ti), pixels(without))
    assert f'TI hashes: "pxstyle: {embeddings["pxstyle"].short_hash}"' in with_ti.infotexts[0]
