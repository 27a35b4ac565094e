"""RNG sources on CUDA: run where a GPU is present (skipped elsewhere, as in CI)."""

from __future__ import annotations

import pytest
import torch

from pixref.engine import samplers as S
from pixref.engine.noise import ImageNoise
from tests.engine.toys import gaussian_denoiser

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
SHAPE = (4, 16, 16)
MODEL = S.ModelSigmas.from_alphas_cumprod(S.scaled_linear_alphas_cumprod())


def test_gpu_source_draws_from_a_cuda_generator():
    noise = ImageNoise([5, 6], shape=SHAPE, rng="GPU", device="cuda")
    assert noise.rng_used == "GPU"
    x = noise.initial()
    g = torch.Generator("cuda").manual_seed(6)
    want = torch.randn(SHAPE, generator=g, device="cuda")
    assert x.device.type == "cuda" and torch.equal(x[1], want)
    assert torch.equal(noise.step_like(x)[1], torch.randn(SHAPE, generator=g, device="cuda"))


def test_gpu_batch_equals_singles_with_variation_and_ensd():
    kw = {"subseed_strength": 0.3, "shape": SHAPE, "rng": "GPU", "device": "cuda", "ensd": 31337}
    batch = ImageNoise([3, 4], [8, 9], **kw)
    xb = batch.initial()
    sb = batch.step_like(xb)
    single = ImageNoise([4], [9], **kw)
    xs = single.initial()
    assert torch.equal(xs[0], xb[1]) and torch.equal(single.step_like(xs)[0], sb[1])


def test_cpu_source_on_cuda_equals_cpu_only_noise():
    on_gpu = ImageNoise([5], [7], 0.5, SHAPE, rng="CPU", device="cuda")
    on_cpu = ImageNoise([5], [7], 0.5, SHAPE, rng="CPU", device="cpu")
    xg, xc = on_gpu.initial(), on_cpu.initial()
    assert xg.device.type == "cuda" and torch.equal(xg.cpu(), xc)
    assert torch.equal(on_gpu.step_like(xg).cpu(), on_cpu.step_like(xc))
    sigmas = S.sigmas_for("DPM++ 2M SDE", "Automatic", 6, MODEL)
    bg = on_gpu.brownian(xg, sigmas.cuda())(sigmas[0].cuda(), sigmas[1].cuda())
    bc = on_cpu.brownian(xc, sigmas)(sigmas[0], sigmas[1])
    assert bg.device.type == "cuda" and torch.equal(bg.cpu(), bc)


@pytest.mark.parametrize("sampler", ["Euler a", "DPM++ 2M", "DPM++ 2M SDE", "DPM++ SDE", "Heun"])
def test_samplers_run_on_cuda_and_match_cpu(sampler):
    spec = S.sampler_spec(sampler)
    sigmas = S.sigmas_for(sampler, "Automatic", 8, MODEL)

    def run(device):
        noise = ImageNoise([11, 12], shape=SHAPE, rng="CPU", device=device)
        x = noise.initial() * sigmas[0].to(device)
        return spec.function(gaussian_denoiser(), x, sigmas.to(device), noise=noise, **spec.knobs)

    gpu, cpu = run("cuda"), run("cpu")
    assert gpu.device.type == "cuda" and gpu.dtype == torch.float32
    torch.testing.assert_close(gpu.cpu(), cpu, atol=1e-4, rtol=1e-4)
