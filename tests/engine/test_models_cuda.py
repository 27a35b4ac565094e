"""Model loading on CUDA: half precision, SDXL's float32 VAE, placement, SDPA (GPU only)."""

from __future__ import annotations

import pytest
import torch

from pixref.engine import models as m

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def _same_weights_as(expected, loaded, dtype) -> None:
    want, got = expected.state_dict(), loaded.state_dict()
    assert set(got) == set(want)
    for key, value in want.items():
        cast = value.to(dtype) if value.is_floating_point() else value
        assert torch.equal(cast, got[key].cpu()), key


def test_cuda_defaults_to_float16_with_sdxl_vae_in_float32(tiny_models):
    model = tiny_models["sdxl"]
    loaded = m.load_checkpoint(model.single_file, config_dir=model.config_dir, use_cache=False)
    assert loaded.device.type == "cuda" and loaded.dtype == torch.float16
    assert {p.device.type for p in loaded.unet.parameters()} == {"cuda"}
    assert {p.dtype for p in loaded.unet.parameters()} == {torch.float16}
    for encoder in loaded.text_encoders:
        assert {(p.device.type, p.dtype) for p in encoder.parameters()} == {("cuda", torch.float16)}
    # SDXL's VAE config says force_upcast: float16 overflows, so it stays float32.
    assert {(p.device.type, p.dtype) for p in loaded.vae.parameters()} == {("cuda", torch.float32)}
    _same_weights_as(model.unet, loaded.unet, torch.float16)
    _same_weights_as(model.vae, loaded.vae, torch.float32)


def test_cuda_sd1_vae_follows_dtype_and_bf16_is_honoured(tiny_models):
    model = tiny_models["sd1"]
    half = m.load_checkpoint(model.single_file, config_dir=model.config_dir, use_cache=False)
    assert {p.dtype for p in half.vae.parameters()} == {torch.float16}
    bf16 = m.load_checkpoint(
        model.single_file, config_dir=model.config_dir, dtype=torch.bfloat16, use_cache=False
    )
    assert {p.dtype for p in bf16.unet.parameters()} == {torch.bfloat16}
    _same_weights_as(model.unet, bf16.unet, torch.bfloat16)


def test_cuda_diffusers_folder_and_unet_forward(tiny_models):
    model = tiny_models["sd2"]
    loaded = m.load_checkpoint(model.diffusers_dir, use_cache=False)
    assert {p.device.type for p in loaded.unet.parameters()} == {"cuda"}
    assert {p.device.type for p in loaded.vae.parameters()} == {"cuda"}
    x = torch.randn(1, 4, 8, 8, device="cuda", dtype=torch.float16)
    context = torch.randn(1, 77, 32, device="cuda", dtype=torch.float16)
    with torch.no_grad():
        out = loaded.unet(x, torch.tensor([500], device="cuda"), encoder_hidden_states=context)
    assert out.sample.shape == x.shape and torch.isfinite(out.sample).all()
    # A1111's v-prediction test runs on the device in the UNet's dtype.
    assert m.is_v_prediction_unet(loaded.unet) in (True, False)
