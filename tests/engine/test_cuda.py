"""The engine on a CUDA device (skipped without one): fp16, GPU noise, CPU-noise parity."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pixref.engine import generate, load_models
from pixref.params import GenerationParams

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

BASE = GenerationParams(
    prompt="a knight", steps=6, sampler="DPM++ 2M", seed=77, width=64, height=64
)


@pytest.fixture(scope="module", params=["sd1", "sdxl"])
def built(request, tmp_path_factory):
    from tests.engine import tiny

    return tiny.build(request.param, tmp_path_factory.mktemp("cuda") / request.param)


def pixels(result):
    return np.asarray(result.images[0], dtype=np.int16)


def test_fp16_on_cuda_is_deterministic_and_records_gpu_rng(built):
    models = load_models(built.single_file, config_dir=built.config_dir, device="cuda")
    assert models.dtype == torch.float16
    a, b = generate(BASE, models), generate(BASE, models)
    assert np.array_equal(pixels(a), pixels(b))
    assert "RNG" not in a.infotexts[0]  # GPU is A1111's default and is not written


def test_cpu_rng_matches_a_cpu_run(built):
    gpu = load_models(built.single_file, config_dir=built.config_dir, device="cuda",
                      dtype=torch.float32)  # fmt: skip
    cpu = load_models(built.single_file, config_dir=built.config_dir, device="cpu")
    params = BASE.replace(rng="CPU", sampler="Euler a")
    on_gpu, on_cpu = generate(params, gpu), generate(params, cpu)
    assert "RNG: CPU" in on_gpu.infotexts[0]
    # Same noise on both machines; only float rounding differs.
    assert np.abs(pixels(on_gpu) - pixels(on_cpu)).max() <= 2
